/* The console's key tables: key → action → help text, one table per pane or dialog plus the
 * global one (tmux's window modes have a key table each). A key goes to the table of what
 * has the focus (the dialog on top, else the focused pane) and, when unbound there, to the
 * global table. The help pane and the key bar are generated from the tables, so they
 * cannot disagree with what the keys do. */
#pragma once
#include <glib.h>
#include <stddef.h>

enum key_action {
    ACTION_NONE,
    ACTION_DOWN,
    ACTION_UP,
    ACTION_LEFT,
    ACTION_RIGHT,
    ACTION_FOCUS,     /* switch focus: domains, disks, results */
    ACTION_RELOAD,
    ACTION_BENCH,     /* open the bench dialog for the selected disk */
    ACTION_TOGGLE,    /* the dialog's item under the cursor */
    ACTION_SELECT,    /* Enter: start (dialog), a cell's details (results) */
    ACTION_METRIC,    /* the results grid's next metric */
    ACTION_WORKLOAD,  /* the results grid's next workload */
    ACTION_CANCEL,    /* cancel the running bench */
    ACTION_HELP,
    ACTION_CLOSE,     /* close the help, the dialog or the details; else cancel the bench */
    ACTION_APPLY,     /* results: apply the cursor cell's cache and io to the disk */
    ACTION_UNDO,      /* undo the selected domain's latest apply */
    ACTION_HISTORY,   /* the selected domain's apply records */
    ACTION_PINS,      /* the iothread pin editor of the selected domain */
    ACTION_IOTHREAD,  /* apply dialog: offer the disk another iothread */
    ACTION_ADD,       /* pin editor: one iothread more */
    ACTION_REMOVE,    /* pin editor: one iothread less */
    ACTION_ERASE,     /* pin editor: erase the last typed character */
    ACTION_ORIGIN,    /* pin editor: the suggestion or the domain's current pins */
    ACTION_ENGINE,    /* results: the other runner's grid of a cross-check */
    ACTION_CROSSCHECK, /* results: the cross-check report */
    ACTION_RECOMMEND, /* results: the recommendation and its reasons */
    ACTION_VERSUS,    /* results: beside another run of the disk (previous, before the apply) */
    ACTION_QUIT,
    ACTION_COUNT
};

#define KEYMAP_MAX_KEYS 3

struct keymap_entry {
    const char *label;          /* the keys as the help names them: "j, Down" */
    int keys[KEYMAP_MAX_KEYS];  /* ncurses key codes; unused slots 0 */
    enum key_action action;
    const char *help;           /* what it does, for the help pane */
    const char *bar;            /* short form for the key bar; NULL: help pane only */
};

enum keymap_id {
    KEYS_GLOBAL,    /* wherever the focus is */
    KEYS_LIST,      /* the domains and disks panes */
    KEYS_RESULTS,   /* the results pane */
    KEYS_DIALOG,    /* the bench dialog */
    KEYS_APPLY,     /* the apply dialog */
    KEYS_HISTORY,   /* the apply history */
    KEYS_PINS,      /* the iothread pin editor */
    KEYS_CROSSCHECK, /* the cross-check report */
    KEYS_RECOMMEND, /* the recommendation report */
    KEYS_HELP,      /* the help pane */
    KEYS_COUNT
};

struct keymap_table {
    const char *name;                    /* "Everywhere", "Domains and disks", ... */
    const struct keymap_entry *entries;
    size_t n;
};

/* The table (static storage); NULL when id is out of range. */
const struct keymap_table *keymap_table(enum keymap_id id);

/* The action key has in table id; ACTION_NONE when unbound there. */
enum key_action keymap_lookup(enum keymap_id id, int key);

/* The action for key with the focus on a pane or dialog whose table is id: its own table
 * first, then the global one. */
enum key_action keymap_action(enum keymap_id id, int key);

/* "j/k move  Tab focus  ...": the bar entries of the list and global tables joined.
 * Caller frees with g_free(). */
char *keymap_bar(void);

/* Every table: a heading line ("Domains and disks:"), then one line per entry,
 * "  <label padded>  <help>"; the table `first` (what has the focus) comes first, then the
 * global one, then the others in order. Caller frees with g_strfreev(). */
char **keymap_help_lines(enum keymap_id first);
