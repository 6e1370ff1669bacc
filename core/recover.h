/* Recovery of preserve mode's undo journals (probes/journal.h): at the start of every
 * subcommand and of the console, and with `virt-disktune recover`. Each journal's target
 * gets the safety check first (a domain started on it since, a mount, a holder: the journal
 * waits), then the journal is replayed: identity checked, written back, verified, removed. */
#pragma once
#include <glib.h>
#include <stdbool.h>

struct session;

enum recover_state {
    RECOVER_DONE,       /* replayed and removed (or nothing was left to replay) */
    RECOVER_BUSY,       /* open in a run going on: left alone */
    RECOVER_REFUSED,    /* the target is in use, or is not the journal's: nothing written */
    RECOVER_FAILED,     /* not readable, corrupt, or the replay failed: the journal stays */
};

struct recover_result {
    char *journal;          /* its path */
    char *target;           /* the path its header names; NULL when unreadable */
    enum recover_state state;
    unsigned restored;      /* regions written back */
    char *message;          /* raw (escape before showing): what happened, one line */
};

/* Every *.journal in dir (NULL: statedir_journals_here()), oldest first. s may be NULL: the
 * host-side checks only (no libvirt). Never NULL; empty when there is none (or no dir).
 * Caller frees with g_ptr_array_unref(). */
GPtrArray *recover_all(struct session *s, const char *dir);

/* Scratch files and scratch LVs a killed bench left (the markers core/bench_mode_scratch.c
 * writes in dir, NULL: statedir_journals_here()): each whose run is gone is removed when it
 * is still the object that run made (a file: same device, inode and birth time; an LV: same
 * lv_uuid, removed with lvremove), else left alone and said; one line each through say().
 * Returns how many lines it said. */
unsigned recover_scratch(const char *dir, void (*say)(const char *line));

/* The startup pass: recover_scratch, recover_all, and one line per journal that was replayed or still waits
 * (not the ones a run going on holds) through say(). Returns how many wait. */
unsigned recover_at_start(struct session *s, void (*say)(const char *line));
