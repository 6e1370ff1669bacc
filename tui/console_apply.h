/* The console's apply, undo and apply history: the dialog's state and the core calls behind
 * it (core/apply.h, the same ones `virt-disktune apply` and `undo` make). Making the plan
 * and carrying it out run on GLib workers (libvirt calls, QEMU's verification); the dialog
 * on the console's modal stack shows a spinner meanwhile, and the console stays live. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include "core/apply.h"
#include "tui/view_apply.h"

struct console;

struct console_apply {
    enum view_apply_phase phase;
    char *domain;                   /* raw */
    bool undo;
    struct apply_request *req;      /* apply: kept so the iothread choice can re-plan */
    GArray *choices;                /* unsigned: iothread ids offered (0: none); NULL: none */
    guint choice;                   /* index into choices */
    struct apply_plan *plan;
    char *diff;
    char *error;                    /* raw */
    struct apply_report report;
    unsigned scroll, spin;
    guint spin_source;
    bool busy;                      /* a worker runs */
    bool history;                   /* the history dialog is open (its records below) */
    GPtrArray *records;             /* struct undo_record * of the history */
};

/* Caller frees with console_apply_free() (after console_apply_stop()). */
struct console_apply *console_apply_new(void);
void console_apply_free(struct console_apply *a);

/* The dialog for req (taken) on c's selected domain: plans on a worker, then shows it.
 * choices (taken, may be NULL): iothread ids to offer for req's disk (0: none). */
void console_apply_open(struct console *c, struct apply_request *req, GArray *choices);
/* `a` on the results grid: the selected cell's cache and io for the selected disk. */
void console_apply_from_cell(struct console *c, const char *cache, const char *io);
/* `u`: undo the selected domain's latest apply, through the same dialog. */
void console_apply_open_undo(struct console *c);
/* `H`: the selected domain's apply records. */
void console_apply_open_history(struct console *c);

void console_apply_key(struct console *c, int action);
void console_apply_history_key(struct console *c, int action);
/* Waits for a worker still running (at the console's end). */
void console_apply_stop(struct console *c);

/* The dialog's view model now. Caller frees with view_apply_free(). */
struct view_apply *console_apply_view(const struct console *c);
