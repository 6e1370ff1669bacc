/* View models of the console's bench: the bench dialog's form, the progress of a run and the
 * results grid (cache modes down, io modes across). Pure functions of core's bench plan and
 * of plain state, unit-tested without a terminal (tests/test_view_bench.c); the dialog and
 * the results pane only draw them. Every string from domain XML is already escaped. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include "core/bench.h"

/* ---- the bench dialog's form ------------------------------------------------------------ */

#define VIEW_FORM_RUNTIMES 5   /* the runtime choices, seconds: 1, 2, 5, 10, 30 */
#define VIEW_FORM_REPEATS 4    /* the rounds choices: 1, 3, 5, 2 */
#define VIEW_FORM_LV_SIZES 3   /* a scratch LV's size choices: 1 GiB, 4 GiB, 256 MiB */

/* The dialog's state: what is chosen and where the cursor is. Items in order: the six
 * workloads, the runtime, the write mode, the rounds, the runner (left column), then the
 * five cache modes and the three io modes (right column). */
enum view_form_item_kind { FORM_WORKLOAD, FORM_RUNTIME, FORM_MODE, FORM_REPEAT, FORM_ENGINE,
                           FORM_CACHE, FORM_IO };
#define VIEW_FORM_LEFT (WL_COUNT + 4)
/* The runner choices: the in-process engines, qemu-img bench, or both (a cross-check). */
enum view_form_engine { FORM_ENGINE_IN_PROCESS, FORM_ENGINE_QEMU_IMG, FORM_ENGINE_BOTH,
                        FORM_ENGINE_COUNT };
#define VIEW_FORM_ITEMS (VIEW_FORM_LEFT + CACHE_COUNT + IO_COUNT)

struct view_form_state {
    bool workloads[WL_COUNT], caches[CACHE_COUNT], ios[IO_COUNT];
    unsigned runtime_idx;   /* into the runtime choices */
    unsigned repeat_idx;    /* into the rounds choices */
    enum view_form_engine engine;
    bool scratch;           /* write mode: scratch file beside the image; else read-only */
    /* The disk is on a block device: scratch is a new LV in its volume group, of the size
     * lv_size_idx chooses (the mode cycles through the sizes); an LV is checked on Enter. */
    bool scratch_lv;
    unsigned lv_size_idx;
    bool preserve;          /* write mode: the disk itself, saved to a journal first */
    /* Why scratch or preserve cannot run on this disk, in words (escaped; borrowed from
     * whoever opened the dialog), NULL when it can: said in the mode's words before Enter. */
    const char *scratch_unavailable, *preserve_unavailable;
    unsigned cursor;        /* 0 .. VIEW_FORM_ITEMS - 1 */
};

/* Defaults: randread, every cache and io mode, 5 s, read-only, 1 round, cursor on randread. */
void view_form_init(struct view_form_state *f);
/* What item i is: its kind and the index within the kind. */
enum view_form_item_kind view_form_item(unsigned i, unsigned *index);
/* Space on the cursor's item: toggle a box, or cycle the runtime, the mode (read-only,
 * scratch — for a scratch LV once per size —, preserve) or the rounds. */
void view_form_toggle(struct view_form_state *f);
/* The request and write mode the form stands for (with FORM_ENGINE_BOTH the request is the
 * in-process one; the console runs it again with qemu-img: view_form_cross_check()). */
void view_form_request(const struct view_form_state *f, struct bench_request *req,
                       enum bench_mode *mode);
double view_form_runtime(const struct view_form_state *f);
/* The scratch LV's size the form stands for (bytes); 0 unless scratch on a block device. */
uint64_t view_form_scratch_size(const struct view_form_state *f);
unsigned view_form_repeat(const struct view_form_state *f);
bool view_form_cross_check(const struct view_form_state *f);
/* Any write workload chosen. */
bool view_form_writes(const struct view_form_state *f);

struct view_form_line {
    char *text;       /* "[x] randread", "runtime  5 s", "mode  read-only" */
    bool selected;    /* the cursor is on it */
};

struct view_form {
    char *title;      /* "Bench web1 vda" */
    GPtrArray *left, *right;   /* struct view_form_line * */
    char *summary;    /* "24 cells, about 2 min 24 s" or what is missing */
    char *mode_words; /* the safety model's words for the chosen mode */
    bool startable;   /* something to run */
};

/* disk_label is shown as it is (escape it first). Caller frees with view_form_free(). */
struct view_form *view_form_build(const struct view_form_state *f, const char *disk_label);
void view_form_free(struct view_form *v);

/* "45 s", "2 min 24 s", "1 h 3 min". Caller frees with g_free(). */
char *view_duration(double seconds);

/* ---- progress --------------------------------------------------------------------------- */

struct view_progress {
    char *cell;          /* "[3/12] none/io_uring randread" or "preparing…" */
    double cell_frac;    /* 0..1 of the running cell (ramp + runtime) */
    double matrix_frac;  /* 0..1 of the run: finished cells over runnable ones */
    char *live;          /* "12.3k IOPS now, ≈ 2.60 ms mean at depth 32" or "" */
    char *left;          /* "about 1 min 2 s left" */
};

/* p as bench_run_progress() gives it; done: runnable cells finished (with repeats the
 * progress counts the runs made, p->ordinal). Caller frees with
 * view_progress_free(). */
struct view_progress *view_progress_build(const struct bench_plan *plan,
                                          const struct bench_progress *p, unsigned done);
void view_progress_free(struct view_progress *v);

/* ---- results ---------------------------------------------------------------------------- */

enum view_metric { METRIC_IOPS, METRIC_MBPS, METRIC_P50, METRIC_P99, METRIC_P999, METRIC_CPU,
                   METRIC_COUNT };
/* "IOPS", "MB/s", "p50", "p99", "p99.9", "CPU µs/IO". */
const char *view_metric_name(enum view_metric m);

struct view_result_cell {
    char *text;      /* the figure ("183k", "412 µs"), or the status and short reason
                        ("invalid", "unsup EINVAL", "error", "refused", "cancelled", "…"
                        pending, "-" not in the plan) */
    double bar;      /* 0..1 against the best cell in this metric; < 0: no bar */
    bool best, current, measured;
    bool tie;        /* one of the top cells whose leads are inside the spreads: "=" */
    bool ram;        /* its reads came mostly from the page cache: "… RAM" */
    char *versus;    /* view_results_versus(): the other run's figure and the change,
                        "vs 150k +6.7%" ("~" within noise, "?" one round); NULL: none */
};

struct view_results {
    char *title;     /* "randread: IOPS, higher is better · 3 min ago" */
    char *workloads; /* the plan's workloads, the shown one in brackets */
    struct view_result_cell cells[CACHE_COUNT][IO_COUNT];
    int sel_cache, sel_io;   /* the cell cursor */
    char **detail;   /* NULL, or every figure of the cursor's cell, one line each */
    char *legend;    /* "* best  = current setting (none/native)" */
    char *versus_title;   /* "vs the previous run, 3 h ago · ~ within noise ..."; NULL */
};

/* The grid of plan for one workload in one metric. current_cache/io: the disk's setting as
 * its XML names them (NULL: left to the hypervisor, which for libvirt's QEMU means
 * writeback and threads); age_s: seconds since the results were measured (< 0: running).
 * detail: fill detail for the cell at (sel_cache, sel_io). Caller frees with
 * view_results_free(). */
struct view_results *view_results_build(const struct bench_plan *plan, enum workload_kind wl,
                                        enum view_metric metric, const char *current_cache,
                                        const char *current_io, int sel_cache, int sel_io,
                                        gint64 age_s, bool detail);
void view_results_free(struct view_results *v);

/* Beside each measured cell of v (built for plan, wl, metric): other's figure of that cell
 * in the metric and the change in % (core/history.h: "~" when within both runs' spreads,
 * "?" when a side ran one round, so no spread was measured; "vs -" when other has no figure).
 * title names the other run (view_versus_title_*); it heads v->versus_title with the marks'
 * meaning. */
void view_results_versus(struct view_results *v, const struct bench_plan *plan,
                         const struct bench_plan *other, enum workload_kind wl,
                         enum view_metric metric, const char *title);
/* "vs the previous run, 3 h ago" (age_s: its age in s). Caller frees with g_free(). */
char *view_versus_title_previous(gint64 age_s);
/* "vs the last run before the apply of 2026-12-01 14:02" (apply_time: the record's UTC ISO
 * 8601 time). Caller frees with g_free(). */
char *view_versus_title_apply(const char *apply_time);

/* The workloads a plan has, in order; the next one after wl (wrapping). */
enum workload_kind view_results_next_workload(const struct bench_plan *plan, enum workload_kind wl);
/* The first workload of the plan. */
enum workload_kind view_results_first_workload(const struct bench_plan *plan);

typedef struct view_form ViewForm;
typedef struct view_progress ViewProgress;
typedef struct view_results ViewResults;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ViewForm, view_form_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ViewProgress, view_progress_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ViewResults, view_results_free)
