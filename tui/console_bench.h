/* The console's bench: the dialog's state, the job running on its workers and every disk's
 * last results. The job is core's (core/bench_job.h), the same one `virt-disktune bench`
 * drives: it is prepared and started on a GLib worker (libvirt calls, the scratch file),
 * then followed through its eventfd from the console's main loop, which never blocks. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include "core/bench_job.h"
#include "core/model.h"
#include "core/results_store.h"
#include "tui/view_bench.h"

struct console;

/* One disk's results: the finished (or running) job and how the grid shows it. */
struct console_results {
    struct bench_job *job;
    /* A cross-check: the same cells run by qemu-img after job; NULL otherwise. */
    struct bench_job *other;
    bool show_other;        /* the grid shows other's cells (e) */
    gint64 measured_at;     /* g_get_real_time() in s at the end; 0 while it runs */
    enum workload_kind wl;  /* shown workload */
    enum view_metric metric;
    int sel_cache, sel_io;  /* the grid's cursor */
    bool detail;            /* the cursor cell's figures are open */
    char *path;             /* the saved file of these results; NULL: not saved */
    /* v: another run of this disk beside each cell. The results these replaced in this
     * session (owned), or else the newest saved run before these (borrowed from the
     * bench's history); and the newest saved run before the domain's latest apply, when
     * these were measured after it (borrowed). NULL: none. */
    struct bench_job *earlier;
    const struct bench_plan *previous, *before_apply;
    gint64 previous_at;
    char *apply_time;       /* the latest apply's UTC time (undo record) */
    enum console_versus { VERSUS_OFF, VERSUS_PREVIOUS, VERSUS_BEFORE_APPLY } versus;
};

struct console_bench {
    GHashTable *results;    /* "domain\ntarget" → struct console_results * (owned) */
    GPtrArray *history;     /* struct results_run *: the saved runs of the last load (owned) */
    /* The dialog (tui/dialog_bench.c, on the console's dialog stack) is for one disk. */
    struct view_form_state form;
    char *dialog_domain, *dialog_disk, *dialog_label;
    char *dialog_error;     /* why the last start was refused, escaped; NULL when none */
    char *why_no_scratch, *why_no_preserve;   /* the form's borrowed words (escaped) */
    /* The run: preparing on the worker, then running until its cells are all returned. */
    bool preparing;
    struct console_results *running;   /* in results; NULL when nothing runs */
    struct bench_job *job;  /* the job running: running->job, or running->other */
    bool cross_check;       /* the run asked for both runners: other follows job */
    unsigned cross_scroll;  /* the cross-check report's first line */
    unsigned recommend_scroll; /* the recommendation report's first line */
    unsigned done;          /* runnable cells finished */
    guint fd_source, tick_source;
    char *notice;           /* last notice or message for the status line, escaped */
};

/* Caller frees with console_bench_free() (which ends a run: call console_bench_stop first). */
struct console_bench *console_bench_new(void);
void console_bench_free(struct console_bench *b);

/* The results of a disk, NULL when none. */
struct console_results *console_bench_results(const struct console_bench *b, const char *domain,
                                              const char *disk);
/* A run is preparing or running. */
bool console_bench_busy(const struct console_bench *b);

/* Saved runs (core/results_store.h, newest first) become the results of the host's disks
 * that have none in this session yet: the newest run of each, with its age. Takes runs
 * (kept as b->history: the earlier runs v shows); applies (struct undo_record *, oldest
 * first, may be NULL) give each domain's latest apply time. */
void console_bench_adopt_saved(struct console_bench *b, GPtrArray *runs,
                               const struct host_model *host, const GPtrArray *applies);
/* The plan v shows beside r's cells and the title naming it; NULL when v is off or there
 * is none. title: caller frees with g_free(). */
const struct bench_plan *console_results_versus(const struct console_results *r, char **title);

/* Opens the dialog for the selected disk (or says why not in b->notice). */
void console_bench_open_dialog(struct console *c);
/* The dialog's keys (its table's actions; ACTION_NONE is ignored). */
void console_bench_dialog_key(struct console *c, int action);
/* The results grid's keys for the selected disk; true when it took the action. */
bool console_bench_results_key(struct console *c, int action);
/* The cache and io names of the results grid's cursor cell for the selected disk; false
 * when the disk has no results. */
bool console_bench_cursor_cell(const struct console *c, const char **cache, const char **io);
/* The plan the grid of r shows: the cross-check's second runner's when toggled to it. */
const struct bench_plan *console_results_plan(const struct console_results *r);
/* The cross-check report of the selected disk's results (its keys: dialog_report_key). */
struct view_apply;
/* The report as lines for dialog_draw_lines(); NULL when the disk has no cross-check. */
struct view_apply *console_bench_crosscheck_view(const struct console *c);
/* Cancels a running bench (finished cells are kept, the running one ends cancelled). */
void console_bench_cancel(struct console *c);
/* Ends everything before the console closes: cancels, waits for the worker and the run
 * (iterating the main context so that a preparing job can finish). */
void console_bench_stop(struct console *c);
