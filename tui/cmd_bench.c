/* virt-disktune bench: benchmark one target with every selected cache/io/workload cell.
 * Front end only: option parsing, printing and exit codes. The job (plan, safety decision,
 * notices, scratch file, run) is core/bench_job.c, as the console's; the text is
 * core/bench_output.c. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/bench.h"
#include "core/bench_job.h"
#include "core/bench_output.h"
#include "core/crosscheck.h"
#include "core/host.h"
#include "core/recommend.h"
#include "core/results_store.h"
#include "core/session.h"
#include "core/textesc.h"
#include "core/statedir.h"
#include "tui/cli.h"

struct bench_args {
    struct cli_conn_opts conn;
    char *domain, *disk, *target;
    char *caches, *ios, *workloads;
    double runtime_s, ramp_s;
    char *depth, *jobs, *iothreads, *seed, *read_pct, *repeat;
    char *block, *span, *journal_limit, *scratch_size;
    char *mode, *engine, *format;
    gboolean json, csv, save, cross_check;
    char *yes_destroy_data;
};

static void bench_args_clear(struct bench_args *a)
{
    g_free(a->conn.uri);
    g_free(a->domain);
    g_free(a->disk);
    g_free(a->target);
    g_free(a->caches);
    g_free(a->ios);
    g_free(a->workloads);
    g_free(a->block);
    g_free(a->span);
    g_free(a->journal_limit);
    g_free(a->scratch_size);
    g_free(a->mode);
    g_free(a->engine);
    g_free(a->format);
    g_free(a->depth);
    g_free(a->jobs);
    g_free(a->iothreads);
    g_free(a->seed);
    g_free(a->read_pct);
    g_free(a->repeat);
    g_free(a->yes_destroy_data);
}

static const char bench_description[] =
    "Runs each selected workload once per cache/io combination on the target, as QEMU would\n"
    "do the I/O, and prints a table per workload (rows: cache, columns: io; best cell *).\n"
    "Combinations QEMU rejects (io=native without O_DIRECT) are shown 'invalid' and never run.\n"
    "The target's page cache is dropped before each cell; a cell whose reads mostly did not\n"
    "reach the device is marked RAM (it measured host memory; device_read_share in --json).\n"
    "--repeat N runs every cell N times, the rounds interleaved (each round in a new order);\n"
    "figures are medians, with min and max; the best mark * goes only to a lead beyond both\n"
    "cells' spreads, else the top cells are a tie (~).\n"
    "\n"
    "Lists: --cache none,writethrough,writeback,directsync,unsafe | all (default all)\n"
    "       --io native,threads,io_uring | all (default all)\n"
    "       --workload randread,randwrite,mixed,seqread,seqwrite,syncwrite | all\n"
    "       (default randread)\n"
    "Sizes: 4096, 4k, 1M, 1G (powers of 1024).\n"
    "\n"
    "Writes: reads are allowed on any target. Write workloads need\n"
    "  --mode scratch       with --target PATH: PATH must not exist; it is created (0600)\n"
    "                       at --span (default 256M), filled with data, and removed at the\n"
    "                       end; with --domain/--disk on an image file: the same, as a new\n"
    "                       file beside the image (as large as it, up to 256M); on an LVM\n"
    "                       logical volume, with --scratch-size SIZE: a new LV of SIZE in\n"
    "                       the same volume group (lvcreate; lvremove at the end), or\n"
    "  --mode preserve      on the target itself (a shut-off domain's disk, a device\n"
    "                       nothing uses): each writing cell writes the first --journal-limit\n"
    "                       bytes (default 256M), saved first to an undo journal in\n"
    "                       /var/lib/virt-disktune/journals (root) or $XDG_STATE_HOME/\n"
    "                       virt-disktune/journals, each record synced before the cell\n"
    "                       writes, written back and verified after it; an image file's\n"
    "                       QEMU lock bytes are held so the domain cannot start meanwhile.\n"
    "                       A run killed half-way is restored by 'virt-disktune recover' and\n"
    "                       at the start of every later command, or\n"
    "  --mode destructive   with --yes-destroy-data=PATH naming the target in full, on a\n"
    "                       target nothing else uses.\n"
    "\n"
    "Runners: --engine in-process (default) runs the cells in this program as QEMU's block\n"
    "  layer would; --engine qemu-img runs qemu-img bench (QEMU's own block layer, through\n"
    "  the image's format: qcow2 too), which measures no latency, has no random pattern\n"
    "  (random workloads run a stride that visits every block) and runs no mixed workload.\n"
    "  --cross-check runs the cells with both and prints, per workload, Spearman's rank\n"
    "  correlation of IOPS, the order of the io modes within each cache mode, and the\n"
    "  ratio per cell (with --json: an object with \"cells\" and \"cross_check\").\n"
    "\n"
    "--save writes the run to /var/lib/virt-disktune/results (root) or\n"
    "$XDG_DATA_HOME/virt-disktune/results ($VIRT_DISKTUNE_RESULTS_DIR when set), as\n"
    "bench-<UTC time>-<pid>.json: the --json cells with the host, the target's identity,\n"
    "the versions and the request ('virt-disktune history' lists and compares them).\n"
    "\n"
    "Exit status: 0 done; 1 failed (unknown domain or disk, a disk that cannot be\n"
    "benchmarked, a missing target, a cell that ended in error, interrupted by SIGINT);\n"
    "2 usage error; 3 refused for safety (nothing written; or, when the target came into\n"
    "use during the run, the writing cells from then on refused and not written).";

static GOptionContext *bench_context(struct bench_args *a)
{
    const GOptionEntry entries[] = {
        { "domain", 0, 0, G_OPTION_ARG_STRING, &a->domain, "domain whose disk to bench", "NAME" },
        { "disk", 0, 0, G_OPTION_ARG_STRING, &a->disk, "the disk's target dev (vda, ...)",
          "TARGET" },
        { "target", 0, 0, G_OPTION_ARG_FILENAME, &a->target, "a file or block device", "PATH" },
        { "cache", 0, 0, G_OPTION_ARG_STRING, &a->caches, "cache modes (default all)", "LIST" },
        { "io", 0, 0, G_OPTION_ARG_STRING, &a->ios, "io modes (default all)", "LIST" },
        { "workload", 0, 0, G_OPTION_ARG_STRING, &a->workloads,
          "workloads (default randread)", "LIST" },
        { "runtime", 0, 0, G_OPTION_ARG_DOUBLE, &a->runtime_s,
          "seconds measured per cell (default 5)", "S" },
        { "ramp", 0, 0, G_OPTION_ARG_DOUBLE, &a->ramp_s,
          "seconds run before measuring (default 1)", "S" },
        { "repeat", 0, 0, G_OPTION_ARG_STRING, &a->repeat,
          "rounds of every cell, interleaved; medians and min-max spreads (default 1)", "N" },
        { "depth", 0, 0, G_OPTION_ARG_STRING, &a->depth, "I/Os in flight (default: workload's)",
          "N" },
        { "block", 0, 0, G_OPTION_ARG_STRING, &a->block, "bytes per I/O (default: workload's)",
          "SIZE" },
        { "read-pct", 0, 0, G_OPTION_ARG_STRING, &a->read_pct,
          "share of reads in % (default: workload's: mixed 70, reads 100, writes 0)", "N" },
        { "span", 0, 0, G_OPTION_ARG_STRING, &a->span,
          "bytes of the target used from offset 0 (default: all; scratch: 256M)", "SIZE" },
        { "mode", 0, 0, G_OPTION_ARG_STRING, &a->mode,
          "read-only (default), scratch, preserve, destructive", "MODE" },
        { "journal-limit", 0, 0, G_OPTION_ARG_STRING, &a->journal_limit,
          "--mode preserve: bytes each writing cell writes and saves first (default 256M)",
          "SIZE" },
        { "scratch-size", 0, 0, G_OPTION_ARG_STRING, &a->scratch_size,
          "--mode scratch on an LV-backed disk: make a scratch LV this large in its VG",
          "SIZE" },
        { "engine", 0, 0, G_OPTION_ARG_STRING, &a->engine,
          "in-process (default) or qemu-img: what runs the cells", "RUNNER" },
        { "cross-check", 0, 0, G_OPTION_ARG_NONE, &a->cross_check,
          "run the cells with both runners and compare their ranks", NULL },
        { "format", 0, 0, G_OPTION_ARG_STRING, &a->format,
          "the image's format for qemu-img (default: the domain's driver type; --target: "
          "probed)", "FMT" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &a->json, "print the cells as JSON", NULL },
        { "csv", 0, 0, G_OPTION_ARG_NONE, &a->csv, "print the cells as CSV", NULL },
        { "save", 0, 0, G_OPTION_ARG_NONE, &a->save,
          "also write the JSON to the results directory", NULL },
        { "seed", 0, 0, G_OPTION_ARG_STRING, &a->seed, "seed of the random offsets (default 0)",
          "N" },
        { "jobs", 0, 0, G_OPTION_ARG_STRING, &a->jobs, "io=threads pool size (default 64)", "N" },
        { "iothreads", 0, 0, G_OPTION_ARG_STRING, &a->iothreads,
          "submitting threads, one per emulated iothread (default 1)", "N" },
        { "yes-destroy-data", 0, 0, G_OPTION_ARG_FILENAME, &a->yes_destroy_data,
          "confirm --mode destructive on PATH", "PATH" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new(
        "(--domain NAME --disk TARGET | --target PATH) - benchmark every cache/io mode");

    g_option_context_add_main_entries(ctx, cli_conn_entries(&a->conn), NULL);
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(ctx, bench_description);
    return ctx;
}

/* ---- arguments → request -------------------------------------------------------------- */

static int exit_for(const GError *err)
{
    if (err->domain == BENCH_ERROR && err->code == BENCH_ERROR_USAGE)
        return EXIT_USAGE;
    if (err->domain == BENCH_ERROR && err->code == BENCH_ERROR_REFUSED)
        return EXIT_REFUSED;
    return EXIT_FAILED;
}

static bool usage_error(GError **err, const char *msg)
{
    g_set_error_literal(err, BENCH_ERROR, BENCH_ERROR_USAGE, msg);
    return false;
}

static bool check_selection(const struct bench_args *a, GError **err)
{
    bool by_domain = a->domain || a->disk;

    if (by_domain && a->target)
        return usage_error(err, "--target excludes --domain/--disk");
    if (!by_domain && !a->target)
        return usage_error(err, "say what to bench: --domain NAME --disk TARGET, or --target PATH");
    if (by_domain && !(a->domain && a->disk))
        return usage_error(err, "--domain and --disk go together");
    if (a->json && a->csv)
        return usage_error(err, "--json and --csv exclude each other");
    if (a->cross_check && a->engine)
        return usage_error(err, "--cross-check runs both runners: leave out --engine");
    return true;
}

static bool parse_sizes(const struct bench_args *a, struct bench_request *req, GError **err)
{
    uint64_t v;

    if (a->block) {
        if (!bench_parse_size(a->block, &v, err))
            return false;
        if (v == 0 || v > UINT32_MAX)
            return usage_error(err, "--block out of range");
        req->block = (uint32_t)v;
    }
    if (a->span) {
        if (!bench_parse_size(a->span, &v, err))
            return false;
        if (v == 0)
            return usage_error(err, "--span must not be 0");
        req->span = v;
    }
    if (a->journal_limit) {
        if (!bench_parse_size(a->journal_limit, &v, err))
            return false;
        if (v < 4096)
            return usage_error(err, "--journal-limit must be at least 4k");
        req->journal_limit = v;
    }
    if (a->scratch_size) {
        if (!bench_parse_size(a->scratch_size, &v, err))
            return false;
        if (v < (1u << 20))
            return usage_error(err, "--scratch-size must be at least 1M");
        req->scratch_size = v;
    }
    return true;
}

/* A whole number in [min, max] given as option name, or keep *out when text is NULL. */
static bool parse_count(const char *text, const char *name, guint64 min, guint64 max,
                        guint64 *out, GError **err)
{
    g_autoptr(GError) why = NULL;

    if (!text)
        return true;
    if (!g_ascii_string_to_unsigned(text, 10, min, max, out, &why)) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE, "%s: %s", name, why->message);
        return false;
    }
    return true;
}

static bool parse_numbers(const struct bench_args *a, struct bench_request *req, GError **err)
{
    guint64 depth = 0, jobs = 0, iothreads = 0, seed = 0, read_pct = 0, repeat = 0;

    if (!isnan(a->runtime_s) && !(a->runtime_s > 0))
        return usage_error(err, "--runtime must be more than 0 seconds");
    if (!isnan(a->ramp_s) && !(a->ramp_s >= 0))
        return usage_error(err, "--ramp must be 0 or more seconds");
    if (!parse_count(a->depth, "--depth", 1, 4096, &depth, err) ||
        !parse_count(a->jobs, "--jobs", 1, 1024, &jobs, err) ||
        !parse_count(a->iothreads, "--iothreads", 1, 64, &iothreads, err) ||
        !parse_count(a->seed, "--seed", 0, G_MAXUINT64, &seed, err) ||
        !parse_count(a->read_pct, "--read-pct", 0, 100, &read_pct, err) ||
        !parse_count(a->repeat, "--repeat", 1, BENCH_MAX_REPEAT, &repeat, err))
        return false;
    req->repeat = (unsigned)repeat;
    req->read_pct = a->read_pct ? (int)read_pct : -1;
    req->runtime_s = isnan(a->runtime_s) ? -1 : a->runtime_s;
    req->ramp_s = isnan(a->ramp_s) ? -1 : a->ramp_s;
    req->depth = (uint32_t)depth;
    req->pool_workers = (unsigned)jobs;
    req->iothreads = (unsigned)iothreads;
    req->seed = seed;
    return true;
}

static bool build_request(const struct bench_args *a, struct bench_request *req,
                          enum bench_mode *mode, GError **err)
{
    int m = a->mode ? bench_mode_from_name(a->mode) : BENCH_MODE_READ_ONLY;

    if (m < 0) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE,
                    "unknown --mode '%s' (read-only, scratch, preserve, destructive)", a->mode);
        return false;
    }
    if (a->yes_destroy_data && m != BENCH_MODE_DESTRUCTIVE)
        return usage_error(err, "--yes-destroy-data goes with --mode destructive");
    *mode = m;
    bench_request_init(req);
    if (a->engine && (req->runner = runner_from_name(a->engine)) < 0) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE,
                    "unknown --engine '%s' (in-process, qemu-img)", a->engine);
        return false;
    }
    req->format = a->format;
    return bench_parse_caches(a->caches, &req->cache_mask, err) &&
           bench_parse_ios(a->ios, &req->io_mask, err) &&
           bench_parse_workloads(a->workloads, &req->workload_mask, err) &&
           parse_sizes(a, req, err) && parse_numbers(a, req, err);
}

/* ---- connection and target ----------------------------------------------------------- */

/* With --target and neither -c nor --demo, libvirt is only asked who else uses the target:
 * when the default URI cannot be opened the bench goes on without that check, saying so. */
static bool open_connection(const struct bench_args *a, struct cli_conn *conn,
                            char **no_libvirt)
{
    g_autoptr(GError) err = NULL;

    conn->demo = NULL;
    conn->session = NULL;
    *no_libvirt = NULL;
    if (a->domain || a->conn.uri || a->conn.demo)
        return cli_conn_open(&a->conn, false, conn);
    conn->session = session_open(NULL, &err);
    if (!conn->session)
        *no_libvirt = g_strdup(err->message);
    return true;
}

/* ---- SIGINT ---------------------------------------------------------------------------- */

/* The handler only writes to a pipe that the run loop polls with the worker's eventfd:
 * nothing else is async-signal-safe, and the wake-up is immediate. */
static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
    int saved = errno;
    char c = (char)sig;

    if (write(signal_pipe[1], &c, 1) < 0) {
        /* The pipe is full: a wake-up is pending already. */
    }
    errno = saved;
}

struct signal_guard {
    struct sigaction old_int, old_term, old_hup;
};

static bool signals_catch(struct signal_guard *g)
{
    struct sigaction sa;

    if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        cli_error("pipe: %s", g_strerror(errno));
        return false;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    /* SIGHUP too: a closed terminal must not leave a scratch file of up to 256 MiB. */
    if (sigaction(SIGINT, &sa, &g->old_int) < 0 || sigaction(SIGTERM, &sa, &g->old_term) < 0 ||
        sigaction(SIGHUP, &sa, &g->old_hup) < 0) {
        cli_error("sigaction: %s", g_strerror(errno));
        close(signal_pipe[0]);
        close(signal_pipe[1]);
        return false;
    }
    return true;
}

static void signals_release(struct signal_guard *g)
{
    if (sigaction(SIGINT, &g->old_int, NULL) < 0 || sigaction(SIGTERM, &g->old_term, NULL) < 0 ||
        sigaction(SIGHUP, &g->old_hup, NULL) < 0)
        cli_error("sigaction: %s", g_strerror(errno));
    close(signal_pipe[0]);
    close(signal_pipe[1]);
    signal_pipe[0] = signal_pipe[1] = -1;
}

static bool signal_seen(void)
{
    char buf[16];
    bool seen = false;

    while (read(signal_pipe[0], buf, sizeof(buf)) > 0)
        seen = true;
    return seen;
}

/* ---- the run --------------------------------------------------------------------------- */

struct run_view {
    const struct bench_plan *plan;
    bool tty;
    unsigned of;        /* runnable cells */
    unsigned runs;      /* runnable cells x rounds */
    unsigned done;      /* runnable cells finished */
};

static void show_progress(struct run_view *v, const struct bench_run *run)
{
    struct bench_progress p;
    g_autofree char *line = NULL;

    bench_run_progress(run, &p);
    line = bench_output_progress(v->plan, &p, v->runs);
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
}

static void show_finished(struct run_view *v, int index)
{
    const struct bench_cell *c = &g_array_index(v->plan->cells, struct bench_cell, index);
    g_autofree char *line = NULL;

    if (!c->valid)
        return;
    v->done++;
    if (v->tty)
        return;
    line = bench_output_cell_line(v->plan, (unsigned)index, v->done, v->of);
    fprintf(stderr, "%s\n", line);
}

static void on_finished(int index, gpointer data)
{
    show_finished(data, index);
}

/* Drain the finished cells; true once the run has ended. */
static bool collect(struct run_view *v, struct bench_run *run)
{
    g_autoptr(GError) err = NULL;
    bool ended;

    if (!bench_run_collect(run, on_finished, v, &ended, &err))
        cli_error("%s", err->message);
    return ended;
}

/* Runs the job to its end (the scratch file made first, when the mode wants one); true
 * when a signal cancelled it. */
static bool run_job(struct bench_job *job, GError **err)
{
    struct run_view v = { job->plan, isatty(STDERR_FILENO) == 1, bench_plan_runnable(job->plan),
                          bench_plan_runs(job->plan), 0 };
    struct bench_run *run;
    bool cancelled = false;

    if (!bench_job_start(job, err))
        return false;
    run = job->run;
    for (;;) {
        struct pollfd fds[2] = {
            { .fd = bench_run_fd(run), .events = POLLIN },
            { .fd = signal_pipe[0], .events = POLLIN },
        };

        if (poll(fds, 2, v.tty ? 100 : -1) < 0 && errno != EINTR)
            cli_error("poll: %s", g_strerror(errno));
        if (signal_seen() && !cancelled) {
            bench_run_cancel(run);
            cancelled = true;
        }
        if (collect(&v, run))
            break;
        if (v.tty)
            show_progress(&v, run);
    }
    if (v.tty)
        fprintf(stderr, "\r\033[K");
    return cancelled;
}

/* ---- output ---------------------------------------------------------------------------- */

/* After the tables: what the results recommend (core/recommend.h), for the disk the run
 * stands for (its current setting and backing), else for the target as it is. */
static void print_recommendation(const struct bench_plan *plan, struct session *s)
{
    const struct host_load_opts opts = { .resolve_backing = true, .sysfs_root = NULL };
    g_autoptr(VmDomain) dom = plan->domain && s ? host_load_domain(s, plan->domain, &opts, NULL)
                                                : NULL;
    const struct vm_config *cfg = dom ? vm_domain_config(dom) : NULL;
    const struct vm_disk *disk = cfg ? vm_config_find_disk(cfg, plan->disk) : NULL;
    struct recommend_input in = { .plan = plan, .qemu_version = plan->qemu_version };
    g_autoptr(Recommendation) r = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL, *args = NULL;
    struct stat st;

    if (disk)
        recommend_input_from_disk(&in, dom, disk);
    else
        in.block = stat(plan->target, &st) == 0 && S_ISBLK(st.st_mode);
    r = recommend_disk(&in, &err);
    if (!r) {
        printf("\nrecommendation: none: %s\n", err->message);
        return;
    }
    text = recommendation_text(r);
    args = recommendation_apply_args(r);
    printf("\nrecommendation: cache=%s io=%s (score %.2f)\n%s", cache_mode_info(r->cache)->name,
           io_mode_info(r->io)->name, r->score, text);
    if (disk) {
        g_autofree char *dq = cli_shell_word(dom->name), *tq = cli_shell_word(disk->target);
        g_autofree char *line = g_strdup_printf("virt-disktune apply --domain %s --disk %s %s",
                                                dq, tq, args);
        g_autofree char *esc = textesc_escape(line);

        printf("  apply: %s\n", esc);
    }
}

static void print_results(const struct bench_plan *plan, const struct bench_args *a,
                          struct session *s)
{
    g_autofree char *text = NULL;

    if (a->json) {
        g_autofree char *json = bench_output_json_text(plan);

        fputs(json, stdout);
        return;
    }
    text = a->csv ? bench_output_csv(plan) : bench_output_table(plan);
    fputs(text, stdout);
    if (!a->csv)
        print_recommendation(plan, s);
}

static bool save_results(const struct bench_plan *plan, struct session *session)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = statedir_results_here();
    g_autofree char *path = NULL;
    struct results_origin origin = { .tool = cli_tool_name(),
                                     .uri = session ? session_uri(session) : NULL };

    if (!dir) {
        cli_error("--save: no results directory: set XDG_DATA_HOME or HOME to an absolute path");
        return false;
    }
    path = results_store_save(plan, &origin, dir, &err);
    if (!path) {
        cli_error("%s", err->message);
        return false;
    }
    cli_error("results saved to %s", path);
    return true;
}

static bool any_status(const struct bench_plan *plan, enum bench_status status)
{
    for (guint i = 0; i < plan->cells->len; i++)
        if (g_array_index(plan->cells, struct bench_cell, i).result.status == status)
            return true;
    return false;
}

/* Interrupted or a cell in error: 1. Otherwise a cell the safety check refused during the
 * run (the target came into use, or changed): 3, as a refusal before the run. */
static int run_status_exit(const struct bench_plan *plan, bool interrupted)
{
    if (interrupted || any_status(plan, CELL_ERROR))
        return EXIT_FAILED;
    if (any_status(plan, CELL_REFUSED))
        return EXIT_REFUSED;
    return EXIT_DONE;
}

/* ---- main ------------------------------------------------------------------------------ */

static int bench_prepare(const struct bench_args *a, struct cli_conn *conn, int runner,
                         struct bench_job **out)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *no_libvirt = NULL;
    struct bench_job_spec spec = {
        .domain = a->domain, .disk = a->disk, .target = a->target,
        .yes_destroy_data = a->yes_destroy_data,
    };

    if (!check_selection(a, &err) || !build_request(a, &spec.req, &spec.mode, &err))
        goto fail;
    if (runner >= 0)
        spec.req.runner = runner;
    if (!conn->session && !conn->demo && !open_connection(a, conn, &no_libvirt))
        return EXIT_FAILED;
    spec.no_libvirt = no_libvirt;
    *out = bench_job_prepare(conn->session, &spec, &err);
    if (!*out)
        goto fail;
    for (guint i = 0; i < (*out)->notices->len; i++)
        cli_error("%s", (const char *)g_ptr_array_index((*out)->notices, i));
    return EXIT_DONE;
fail:
    cli_error("%s", err->message);
    return exit_for(err);
}

/* Runs one job to its end; false with the exit status in *status when it could not. */
static bool execute_one(struct bench_job *job, bool *interrupted, int *status)
{
    g_autoptr(GError) err = NULL;

    *interrupted = run_job(job, &err);
    if (!bench_job_finish(job, err ? NULL : &err) || err) {
        cli_error("%s", err->message);
        *status = exit_for(err);
        return false;
    }
    return true;
}

/* --cross-check: both plans' cells, then the comparison. */
static void print_cross_check(const struct bench_plan *ours, const struct bench_plan *theirs,
                              const struct bench_args *a)
{
    g_autoptr(GPtrArray) checks = crosscheck_compare(ours, theirs);
    const char *on = runner_kind((enum runner_id)ours->runner_id)->name;
    const char *tn = runner_kind((enum runner_id)theirs->runner_id)->name;

    if (a->json) {
        json_object *o = json_object_new_object(), *cells = bench_output_json(ours);
        json_object *more = bench_output_json(theirs);
        g_autofree char *safe = NULL;

        for (size_t i = 0; i < json_object_array_length(more); i++)
            json_object_array_add(cells, json_object_get(json_object_array_get_idx(more, i)));
        json_object_put(more);
        json_object_object_add(o, "cells", cells);
        json_object_object_add(o, "cross_check", crosscheck_json(checks));
        safe = textesc_json(json_object_to_json_string_ext(
            o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        printf("%s\n", safe);
        json_object_put(o);
        return;
    }
    if (a->csv) {
        g_autofree char *first = bench_output_csv(ours);
        g_autofree char *second = bench_output_csv(theirs);

        fputs(first, stdout);
        fputs(strchr(second, '\n') ? strchr(second, '\n') + 1 : "", stdout);   /* one header */
        return;
    }
    {
        g_autofree char *t1 = bench_output_table(ours);
        g_autofree char *t2 = bench_output_table(theirs);
        g_autofree char *report = crosscheck_text(checks, on, tn);

        printf("%s\n%s\n%s", t1, t2, report);
    }
}

/* A signal while the scratch file is filled stays in the pipe: the run then cancels at
 * once and reports every cell cancelled. With other (--cross-check), the second runner's
 * job runs after the first, unless the first was interrupted. */
static int bench_execute(struct bench_job *job, struct bench_job *other, const struct bench_args *a,
                         struct session *session)
{
    bool interrupted = false;
    int status = EXIT_DONE;

    if (!execute_one(job, &interrupted, &status))
        return status;
    if (other && !interrupted) {
        cli_error("cross-check: the same cells with %s",
                  runner_kind((enum runner_id)other->plan->runner_id)->name);
        if (!execute_one(other, &interrupted, &status))
            return status;
    }
    if (other && !interrupted)
        print_cross_check(job->plan, other->plan, a);
    else
        print_results(job->plan, a, session);
    status = run_status_exit(job->plan, interrupted);
    if (other && !interrupted && status == EXIT_DONE)
        status = run_status_exit(other->plan, false);
    if (a->save && !save_results(job->plan, session))
        status = EXIT_FAILED;
    if (a->save && other && !interrupted && !save_results(other->plan, session))
        status = EXIT_FAILED;
    if (interrupted)
        cli_error("%s: interrupted; the cells not run are marked cancelled", job->plan->target);
    else if (status == EXIT_REFUSED)
        cli_error("%s: writing cells refused during the run: the target came into use or "
                  "changed since the safety check", job->plan->target);
    return status;
}

int cmd_bench_main(int argc, char **argv)
{
    struct bench_args a = { .runtime_s = NAN, .ramp_s = NAN };
    g_autoptr(GOptionContext) ctx = bench_context(&a);
    g_autoptr(BenchJob) job = NULL;
    g_autoptr(BenchJob) other = NULL;
    struct cli_conn conn = { NULL, NULL };
    struct signal_guard guard;
    int status;

    g_set_prgname("virt-disktune bench");
    if (!cli_parse(ctx, &argc, &argv) || !cli_conn_opts_valid(&a.conn)) {
        bench_args_clear(&a);
        return EXIT_USAGE;
    }
    if (argc > 1) {
        cli_error("unexpected argument '%s' (see --help)", argv[1]);
        bench_args_clear(&a);
        return EXIT_USAGE;
    }
    status = bench_prepare(&a, &conn, a.cross_check ? RUNNER_IN_PROCESS : -1, &job);
    if (status == EXIT_DONE && a.cross_check)
        status = bench_prepare(&a, &conn, RUNNER_QEMU_IMG, &other);
    if (status == EXIT_DONE && signals_catch(&guard)) {
        status = bench_execute(job, other, &a, conn.session);
        signals_release(&guard);
    } else if (status == EXIT_DONE) {
        status = EXIT_FAILED;
    }
    /* The job ends (its worker joined, the scratch file gone) before the session closes. */
    g_clear_pointer(&job, bench_job_free);
    g_clear_pointer(&other, bench_job_free);
    cli_conn_close(&conn);
    bench_args_clear(&a);
    return status;
}
