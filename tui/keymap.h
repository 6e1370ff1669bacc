/* The console's one key map: key → action → help text. The help pane and the key bar are
 * generated from it, so they cannot disagree with what the keys do. */
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

/* The table itself (static storage); *n receives its length. */
const struct keymap_entry *keymap_entries(size_t *n);

/* The action bound to an ncurses key code; ACTION_NONE when unbound. */
enum key_action keymap_action(int key);

/* "j/k move  Tab focus  ...": the bar entries joined. Caller frees with g_free(). */
char *keymap_bar(void);

/* One line per entry, "  <label padded>  <help>". Caller frees with g_strfreev(). */
char **keymap_help_lines(void);
