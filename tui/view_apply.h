/* View models of the console's apply dialog (plan, confirm, progress, verification), its
 * undo and its apply history. Pure functions of core's plan and report and of plain state,
 * unit-tested without a terminal (tests/test_view_apply.c); tui/dialog_apply.c draws them.
 * The plan lines are core's words (core/apply.h), the same `apply --dry-run` prints. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include "core/apply.h"

enum view_apply_phase {
    VIEW_APPLY_PLANNING,    /* the plan is being made on a worker */
    VIEW_APPLY_PLANNED,     /* shown, waiting for Enter */
    VIEW_APPLY_REFUSED,     /* the plan could not be made: the reason */
    VIEW_APPLY_APPLYING,    /* the writes and the verification run on a worker */
    VIEW_APPLY_DONE,        /* done and verified */
    VIEW_APPLY_FAILED,      /* failed or not verified: what was done, what is there */
};

enum view_line_kind {
    VIEW_LINE_NORMAL,
    VIEW_LINE_HEAD,         /* a heading: bold */
    VIEW_LINE_DIM,
    VIEW_LINE_OK,           /* a verification that held */
    VIEW_LINE_BAD,          /* a refusal, a failure, a change that did not take */
};

struct view_line {
    char *text;             /* escaped */
    enum view_line_kind kind;
};

struct view_apply_input {
    enum view_apply_phase phase;
    const char *domain;     /* raw */
    bool undo;
    const struct apply_plan *plan;      /* from PLANNED on; NULL before */
    const char *diff;                   /* apply_plan_diff(); NULL or "" when none */
    const char *error;                  /* REFUSED, FAILED: raw */
    const struct apply_report *report;  /* DONE, FAILED */
    const char *choice;                 /* "iothread: none (i: another)"; NULL when none */
    unsigned spin;                      /* the spinner's frame */
};

struct view_apply {
    char *title;
    GPtrArray *lines;       /* struct view_line *: what the dialog scrolls through */
    char *hint;             /* the keys that do something now */
};

/* Lines of any text for dialog_draw_lines(): an empty view with title and hint (taken,
 * escaped already), and a raw line escaped on the way in. Caller frees with
 * view_apply_free(). */
struct view_apply *view_lines_new(char *title, char *hint);
void view_lines_add_raw(struct view_apply *v, enum view_line_kind kind, const char *raw);

/* Caller frees with view_apply_free(). */
struct view_apply *view_apply_build(const struct view_apply_input *in);
void view_apply_free(struct view_apply *v);

struct undo_record;
/* The apply history of one domain (H): one line per record, newest first: time, applied
 * or undone, the changes joined. Caller frees with view_apply_free(). */
struct view_apply *view_history_build(const char *domain, const GPtrArray *records,
                                      const char *dir);

typedef struct view_apply ViewApply;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ViewApply, view_apply_free)
