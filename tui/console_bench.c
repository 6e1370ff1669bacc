#include "tui/console_bench.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdint.h>
#include <unistd.h>
#include "core/bench_output.h"
#include "tui/console_recommend.h"
#include "core/crosscheck.h"
#include "core/statedir.h"
#include "core/textesc.h"
#include "core/undo_store.h"
#include "tui/cli.h"
#include "tui/console.h"
#include "tui/dialog.h"
#include "tui/keymap.h"
#include "tui/view_apply.h"

static char *results_key(const char *domain, const char *disk)
{
    return g_strdup_printf("%s\n%s", domain, disk);
}

static void results_free(gpointer p)
{
    struct console_results *r = p;

    bench_job_free(r->job);
    bench_job_free(r->other);
    bench_job_free(r->earlier);
    g_free(r->path);
    g_free(r->apply_time);
    g_free(r);
}

struct console_bench *console_bench_new(void)
{
    struct console_bench *b = g_new0(struct console_bench, 1);

    b->results = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, results_free);
    view_form_init(&b->form);
    return b;
}

void console_bench_free(struct console_bench *b)
{
    if (!b)
        return;
    if (b->fd_source)
        g_source_remove(b->fd_source);
    if (b->tick_source)
        g_source_remove(b->tick_source);
    g_hash_table_unref(b->results);
    if (b->history)
        g_ptr_array_unref(b->history);
    g_free(b->dialog_domain);
    g_free(b->dialog_disk);
    g_free(b->dialog_label);
    g_free(b->dialog_error);
    g_free(b->why_no_scratch);
    g_free(b->why_no_preserve);
    g_free(b->notice);
    g_free(b);
}

struct console_results *console_bench_results(const struct console_bench *b, const char *domain,
                                              const char *disk)
{
    g_autofree char *key = NULL;

    if (!domain || !disk)
        return NULL;
    key = results_key(domain, disk);
    return g_hash_table_lookup(b->results, key);
}

bool console_bench_busy(const struct console_bench *b)
{
    return b->preparing || b->running;
}

static void set_notice(struct console_bench *b, const char *raw)
{
    g_free(b->notice);
    b->notice = raw ? textesc_escape(raw) : NULL;
}

/* The newest saved run of domain's disk before the time `before` (exclusive), other than
 * the file `not` (the results shown); runs whose plan was taken are skipped. */
static const struct results_run *saved_before(const GPtrArray *runs, const char *domain,
                                              const char *disk, gint64 before, const char *not)
{
    for (guint i = 0; runs && i < runs->len; i++) {
        const struct results_run *run = g_ptr_array_index((GPtrArray *)runs, i);

        if (run->plan && run->mtime < before && g_strcmp0(run->path, not) != 0 &&
            g_strcmp0(run->plan->domain, domain) == 0 && g_strcmp0(run->plan->disk, disk) == 0)
            return run;
    }
    return NULL;
}

/* The domain's latest apply not undone (undo records, oldest first); NULL when none. */
static const struct undo_record *latest_apply(const GPtrArray *applies,
                                              const struct vm_domain *dom)
{
    for (guint i = applies ? applies->len : 0; i-- > 0;) {
        const struct undo_record *u = g_ptr_array_index((GPtrArray *)applies, i);

        if (!u->undone && strcmp(u->uuid, dom->uuid) == 0)
            return u;
    }
    return NULL;
}

static gint64 iso_time(const char *iso)
{
    g_autoptr(GDateTime) t = iso ? g_date_time_new_from_iso8601(iso, NULL) : NULL;

    return t ? g_date_time_to_unix(t) : 0;
}

/* r's earlier runs from b->history: the one before it (unless it replaced results in this
 * session) and, measured after the domain's latest apply, the last one before that apply. */
static void find_earlier(struct console_bench *b, struct console_results *r,
                         const struct vm_domain *dom, const char *disk,
                         const GPtrArray *applies)
{
    const struct undo_record *u = latest_apply(applies, dom);
    gint64 applied = u ? iso_time(u->time) : 0;
    gint64 now = r->measured_at ? r->measured_at : G_MAXINT64;
    const struct results_run *prev = NULL, *before = NULL;

    if (!r->earlier) {
        prev = saved_before(b->history, dom->name, disk, now, r->path);
        r->previous = prev ? prev->plan : NULL;
        r->previous_at = prev ? prev->mtime : 0;
    }
    before = applied && now > applied
                 ? saved_before(b->history, dom->name, disk, applied, r->path) : NULL;
    r->before_apply = before ? before->plan : NULL;
    g_free(r->apply_time);
    r->apply_time = before ? g_strdup(u->time) : NULL;
}

void console_bench_adopt_saved(struct console_bench *b, GPtrArray *runs,
                               const struct host_model *host, const GPtrArray *applies)
{
    /* The plans borrowed from the history before are gone with it: found again below. */
    if (b->history)
        g_ptr_array_unref(b->history);
    b->history = runs;
    for (guint d = 0; runs && host && host->domains && d < host->domains->len; d++) {
        const struct vm_domain *dom = g_ptr_array_index(host->domains, d);
        const struct vm_config *cfg = vm_domain_config(dom);

        for (guint k = 0; cfg && cfg->disks && k < cfg->disks->len; k++) {
            const struct vm_disk *disk = g_ptr_array_index(cfg->disks, k);
            struct results_run *run;
            struct console_results *r;

            r = console_bench_results(b, dom->name, disk->target);
            run = r ? NULL : (struct results_run *)results_store_find(runs, dom->name,
                                                                      disk->target);
            if (run && run->plan) {
                r = g_new0(struct console_results, 1);
                r->job = bench_job_from_plan(g_steal_pointer(&run->plan));
                r->measured_at = run->mtime;
                r->path = g_strdup(run->path);
                r->wl = view_results_first_workload(r->job->plan);
                r->metric = METRIC_IOPS;
                g_hash_table_replace(b->results, results_key(dom->name, disk->target), r);
            }
            if (r)
                find_earlier(b, r, dom, disk->target, applies);
        }
    }
}

/* ---- the dialog ------------------------------------------------------------------------- */

void console_bench_open_dialog(struct console *c)
{
    struct console_bench *b = c->bench;
    const struct vm_domain *dom = console_selected_domain(c);
    const struct vm_disk *disk = console_selected_disk(c);

    if (console_bench_busy(b)) {
        set_notice(b, "a bench is running: c cancels it");
        return;
    }
    if (!dom || !disk) {
        set_notice(b, "select a disk first (Tab to the disks, j/k)");
        return;
    }
    if (!disk->benchable) {
        g_autofree char *msg = g_strdup_printf("%s %s is not benchable: %s", dom->name,
                                               disk->target, disk->reason ? disk->reason : "");

        set_notice(b, msg);
        return;
    }
    g_free(b->dialog_domain);
    g_free(b->dialog_disk);
    g_free(b->dialog_label);
    g_clear_pointer(&b->dialog_error, g_free);
    b->dialog_domain = g_strdup(dom->name);
    b->dialog_disk = g_strdup(disk->target);
    {
        g_autofree char *label = g_strdup_printf("%s %s", dom->name, disk->target);

        b->dialog_label = textesc_escape(label);
    }
    /* What the safety model will say on Enter, said before it. */
    g_free(b->why_no_scratch);
    g_free(b->why_no_preserve);
    b->why_no_scratch = g_strcmp0(disk->type, "file") == 0 || g_strcmp0(disk->type, "block") == 0
        ? NULL
        : g_strdup("a scratch file goes beside an image file, a scratch LV beside an LV; "
                   "this disk is neither");
    b->form.scratch_lv = g_strcmp0(disk->type, "block") == 0;
    b->form.lv_size_idx = 0;
    b->why_no_preserve = NULL;
    if (dom->active) {
        g_autofree char *name = textesc_escape(dom->name);

        b->why_no_preserve = g_strdup_printf("%s is running: preserve writes only while the "
                                             "domain is shut off", name);
    }
    b->form.scratch_unavailable = b->why_no_scratch;
    b->form.preserve_unavailable = b->why_no_preserve;
    console_dialog_push(c, &dialog_bench);
}

/* ---- the run ---------------------------------------------------------------------------- */

struct prepare_task {
    struct session *session;
    char *domain, *disk;
    struct bench_request req;
    enum bench_mode mode;
};

static void prepare_task_free(gpointer p)
{
    struct prepare_task *t = p;

    g_free(t->domain);
    g_free(t->disk);
    g_free(t);
}

/* On a GLib worker: libvirt calls, the safety decision and the scratch file, which may all
 * take a while. */
static void prepare_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
    struct prepare_task *t = data;
    struct bench_job_spec spec = { .domain = t->domain, .disk = t->disk, .req = t->req,
                                   .mode = t->mode };
    GError *err = NULL;
    struct bench_job *job = bench_job_prepare(t->session, &spec, &err);

    if (job && !bench_job_start(job, &err)) {
        bench_job_free(job);
        job = NULL;
    }
    if (job)
        g_task_return_pointer(task, job, (GDestroyNotify)bench_job_free);
    else
        g_task_return_error(task, err);
}

static void start_prepare(struct console *c, int runner);

/* A cell of the plan was cancelled: the run was, and no second runner follows. */
static bool plan_cancelled(const struct bench_plan *plan)
{
    for (guint i = 0; i < plan->cells->len; i++)
        if (g_array_index(plan->cells, struct bench_cell, i).result.status == CELL_CANCELLED)
            return true;
    return false;
}

static void run_ended(struct console *c)
{
    struct console_bench *b = c->bench;
    struct console_results *r = b->running;
    struct bench_job *job = b->job;
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = NULL, *path = NULL, *msg = NULL;
    bool second = b->cross_check && job == r->job && !plan_cancelled(job->plan);
    struct results_origin origin = { .tool = cli_tool_name(),
                                     .uri = c->session ? session_uri(c->session) : NULL };

    b->running = NULL;
    b->job = NULL;
    b->fd_source = 0;
    if (b->tick_source)
        g_source_remove(b->tick_source);
    b->tick_source = 0;
    r->measured_at = g_get_real_time() / G_USEC_PER_SEC;
    if (!bench_job_finish(job, &err)) {
        set_notice(b, err->message);
        return;
    }
    /* Every finished matrix is kept the way bench --save keeps it. */
    dir = statedir_results_here();
    path = dir ? results_store_save(job->plan, &origin, dir, &err) : NULL;
    if (second) {
        /* The cross-check's second half: the same request, run by qemu-img. */
        start_prepare(c, RUNNER_QEMU_IMG);
        return;
    }
    b->cross_check = false;
    if (path && job == r->job) {
        g_free(r->path);
        r->path = g_strdup(path);
    }
    if (path)
        msg = g_strdup_printf("bench done%s: results saved to %s",
                              r->other && job == r->other ? " (x: the cross-check)" : "", path);
    else
        msg = g_strdup_printf("bench done; results not saved: %s",
                              err ? err->message : "no results directory (HOME unset?)");
    set_notice(b, msg);
    if (r->other && job == r->other && !c->quit) {
        b->cross_scroll = 0;
        console_dialog_push(c, &dialog_crosscheck);
    }
}

static void on_finished(int index, gpointer data)
{
    struct console_bench *b = data;

    if (g_array_index(b->job->plan->cells, struct bench_cell, index).valid)
        b->done++;
}

static gboolean on_cell(gint fd, GIOCondition cond, gpointer data)
{
    struct console *c = data;
    struct console_bench *b = c->bench;
    g_autoptr(GError) err = NULL;
    bool ended = false;

    if (!bench_run_collect(b->job->run, on_finished, b, &ended, &err))
        set_notice(b, err->message);
    if (ended) {
        run_ended(c);
        console_redraw(c);
        return G_SOURCE_REMOVE;
    }
    console_redraw(c);
    return G_SOURCE_CONTINUE;
}

static gboolean on_tick(gpointer data)
{
    console_redraw(data);
    return G_SOURCE_CONTINUE;
}

static void on_prepared(GObject *source, GAsyncResult *res, gpointer data)
{
    struct console *c = data;
    struct console_bench *b = c->bench;
    g_autoptr(GError) err = NULL;
    struct bench_job *job = g_task_propagate_pointer(G_TASK(res), &err);
    struct console_results *r;
    GString *notes;

    b->preparing = false;
    if (!job && b->cross_check && console_bench_results(b, b->dialog_domain, b->dialog_disk)) {
        /* The second runner could not start: the first's results stay, the reason shows. */
        g_autofree char *msg = g_strdup_printf("cross-check: qemu-img not run: %s", err->message);

        b->cross_check = false;
        set_notice(b, msg);
        console_redraw(c);
        return;
    }
    if (!job) {
        b->cross_check = false;
        g_free(b->dialog_error);
        b->dialog_error = textesc_escape(err->message);
        if (!c->quit)
            console_dialog_push(c, &dialog_bench);
        console_redraw(c);
        return;
    }
    r = console_bench_results(b, b->dialog_domain, b->dialog_disk);
    if (job->plan->runner_id == RUNNER_QEMU_IMG && b->cross_check && r) {
        bench_job_free(r->other);
        r->other = job;
    } else {
        struct console_results *old = r;

        r = g_new0(struct console_results, 1);
        r->job = job;
        r->wl = view_results_first_workload(job->plan);
        r->metric = METRIC_IOPS;
        if (old && old->measured_at) {
            /* The results this run replaces are its previous run; the apply's stays. */
            r->earlier = g_steal_pointer(&old->job);
            r->previous = r->earlier->plan;
            r->previous_at = old->measured_at;
            r->before_apply = old->before_apply;
            r->apply_time = g_strdup(old->apply_time);
            r->versus = old->versus;
        }
        g_hash_table_replace(b->results, results_key(b->dialog_domain, b->dialog_disk), r);
    }
    b->running = r;
    b->job = job;
    b->done = 0;
    notes = g_string_new(NULL);
    for (guint i = 0; i < job->notices->len; i++)
        g_string_append_printf(notes, "%s%s", i ? " · " : "",
                               (const char *)g_ptr_array_index(job->notices, i));
    set_notice(b, notes->len ? notes->str : NULL);
    g_string_free(notes, TRUE);
    b->fd_source = g_unix_fd_add(bench_run_fd(job->run), G_IO_IN, on_cell, c);
    b->tick_source = g_timeout_add(250, on_tick, c);
    console_redraw(c);
}

/* Prepares and starts the dialog's request on a worker; runner >= 0 overrides the form's. */
static void start_prepare(struct console *c, int runner)
{
    struct console_bench *b = c->bench;
    struct prepare_task *t = g_new0(struct prepare_task, 1);
    GTask *task = g_task_new(NULL, NULL, on_prepared, c);

    t->session = c->session;
    t->domain = g_strdup(b->dialog_domain);
    t->disk = g_strdup(b->dialog_disk);
    view_form_request(&b->form, &t->req, &t->mode);
    if (runner >= 0)
        t->req.runner = runner;
    g_task_set_task_data(task, t, prepare_task_free);
    b->preparing = true;
    set_notice(b, runner == RUNNER_QEMU_IMG ? "cross-check: preparing the same cells with "
                                              "qemu-img…" : "preparing the bench…");
    g_task_run_in_thread(task, prepare_thread);
    g_object_unref(task);
}

static void start(struct console *c)
{
    struct console_bench *b = c->bench;

    console_dialog_pop(c, &dialog_bench);
    g_clear_pointer(&b->dialog_error, g_free);
    b->cross_check = view_form_cross_check(&b->form);
    start_prepare(c, -1);
}

void console_bench_dialog_key(struct console *c, int action)
{
    struct console_bench *b = c->bench;
    struct view_form_state *f = &b->form;

    switch (action) {
    case ACTION_DOWN:
        if (f->cursor + 1 < VIEW_FORM_ITEMS)
            f->cursor++;
        break;
    case ACTION_UP:
        if (f->cursor > 0)
            f->cursor--;
        break;
    case ACTION_RIGHT:
        if (f->cursor < VIEW_FORM_LEFT)
            f->cursor = MIN(f->cursor + VIEW_FORM_LEFT, VIEW_FORM_ITEMS - 1);
        break;
    case ACTION_LEFT:
        if (f->cursor >= VIEW_FORM_LEFT)
            f->cursor = MIN(f->cursor - VIEW_FORM_LEFT, VIEW_FORM_LEFT - 1);
        break;
    case ACTION_TOGGLE:
        view_form_toggle(f);
        g_clear_pointer(&b->dialog_error, g_free);
        break;
    case ACTION_SELECT: {
        struct bench_request req;
        enum bench_mode mode;

        view_form_request(f, &req, &mode);
        if (bench_request_runnable(&req) == 0) {
            g_free(b->dialog_error);
            b->dialog_error = g_strdup("nothing to run");
        } else {
            start(c);
        }
        break;
    }
    case ACTION_CLOSE:
        console_dialog_pop(c, &dialog_bench);
        break;
    default:
        break;   /* nothing moves behind the dialog */
    }
}

bool console_bench_results_key(struct console *c, int action)
{
    const struct vm_domain *dom = console_selected_domain(c);
    const struct vm_disk *disk = console_selected_disk(c);
    struct console_results *r = console_bench_results(c->bench, dom ? dom->name : NULL,
                                                      disk ? disk->target : NULL);

    if (!r)
        return false;
    switch (action) {
    case ACTION_METRIC:
        r->metric = (enum view_metric)((r->metric + 1) % METRIC_COUNT);
        return true;
    case ACTION_VERSUS:
        /* off → the previous run → the last run before the apply → off, skipping what
         * this disk does not have. */
        do
            r->versus = (enum console_versus)((r->versus + 1) % (VERSUS_BEFORE_APPLY + 1));
        while ((r->versus == VERSUS_PREVIOUS && !r->previous) ||
               (r->versus == VERSUS_BEFORE_APPLY && !r->before_apply));
        if (r->versus == VERSUS_OFF && !r->previous && !r->before_apply)
            set_notice(c->bench, "no earlier run of this disk saved: nothing to compare");
        return true;
    case ACTION_WORKLOAD:
        r->wl = view_results_next_workload(console_results_plan(r), r->wl);
        return true;
    case ACTION_ENGINE:
        if (!r->other) {
            set_notice(c->bench, "one runner's results: the bench dialog's runner 'both' "
                                 "runs a cross-check");
            return true;
        }
        r->show_other = !r->show_other;
        return true;
    case ACTION_CROSSCHECK:
        if (!r->other || (c->bench->running == r)) {
            set_notice(c->bench, r->other ? "the cross-check is still running"
                                          : "no cross-check for this disk: the bench "
                                            "dialog's runner 'both' runs one");
            return true;
        }
        c->bench->cross_scroll = 0;
        console_dialog_push(c, &dialog_crosscheck);
        return true;
    case ACTION_RECOMMEND:
        console_recommend_open(c);
        return true;
    case ACTION_UP:
        r->sel_cache = MAX(r->sel_cache - 1, 0);
        return true;
    case ACTION_DOWN:
        r->sel_cache = MIN(r->sel_cache + 1, CACHE_COUNT - 1);
        return true;
    case ACTION_LEFT:
        r->sel_io = MAX(r->sel_io - 1, 0);
        return true;
    case ACTION_RIGHT:
        r->sel_io = MIN(r->sel_io + 1, IO_COUNT - 1);
        return true;
    case ACTION_SELECT:
        r->detail = !r->detail;
        return true;
    case ACTION_CLOSE:
        if (!r->detail)
            return false;
        r->detail = false;
        return true;
    default:
        return false;
    }
}

const struct bench_plan *console_results_versus(const struct console_results *r, char **title)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;

    *title = NULL;
    if (r->versus == VERSUS_PREVIOUS && r->previous) {
        *title = view_versus_title_previous(now - r->previous_at);
        return r->previous;
    }
    if (r->versus == VERSUS_BEFORE_APPLY && r->before_apply) {
        *title = view_versus_title_apply(r->apply_time);
        return r->before_apply;
    }
    return NULL;
}

const struct bench_plan *console_results_plan(const struct console_results *r)
{
    return r->show_other && r->other ? r->other->plan : r->job->plan;
}

struct view_apply *console_bench_crosscheck_view(const struct console *c)
{
    const struct vm_domain *dom = console_selected_domain(c);
    const struct vm_disk *disk = console_selected_disk(c);
    const struct console_results *r = console_bench_results(c->bench, dom ? dom->name : NULL,
                                                            disk ? disk->target : NULL);
    g_autoptr(GPtrArray) checks = NULL;
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    struct view_apply *v;

    if (!r || !r->other)
        return NULL;
    checks = crosscheck_compare(r->job->plan, r->other->plan);
    text = crosscheck_text(checks, "in-process", "qemu-img");
    lines = g_strsplit(text, "\n", -1);
    {
        g_autofree char *name = textesc_escape(dom->name), *target = textesc_escape(disk->target);

        v = view_lines_new(g_strdup_printf("Cross-check %s %s", name, target),
                           g_strdup("j/k scroll  Esc close  (e in the results: the other "
                                    "runner's grid)"));
    }
    for (char **l = lines; *l; l++)
        if (**l)
            view_lines_add_raw(v, g_str_has_prefix(*l, "cross-check") ? VIEW_LINE_HEAD
                                                                       : VIEW_LINE_NORMAL, *l);
    return v;
}

bool console_bench_cursor_cell(const struct console *c, const char **cache, const char **io)
{
    const struct vm_domain *dom = console_selected_domain(c);
    const struct vm_disk *disk = console_selected_disk(c);
    const struct console_results *r = console_bench_results(c->bench, dom ? dom->name : NULL,
                                                            disk ? disk->target : NULL);

    if (!r)
        return false;
    *cache = cache_mode_info((enum cache_mode)r->sel_cache)->name;
    *io = io_mode_info((enum io_mode)r->sel_io)->name;
    return true;
}

void console_bench_cancel(struct console *c)
{
    struct console_bench *b = c->bench;

    if (b->running) {
        bench_run_cancel(b->job->run);
        set_notice(b, "cancelling: the running cell ends cancelled, finished cells are kept");
    } else if (b->preparing) {
        set_notice(b, "the bench is still being prepared; c again once it runs");
    }
}

void console_bench_stop(struct console *c)
{
    struct console_bench *b = c->bench;

    while (b->preparing)
        g_main_context_iteration(NULL, TRUE);
    b->cross_check = false;
    if (b->running) {
        bench_run_cancel(b->job->run);
        /* The worker ends within 100 ms of the cancel; its job is freed with the results. */
        if (b->fd_source)
            g_source_remove(b->fd_source);
        b->fd_source = 0;
        (void)bench_job_finish(b->job, NULL);
        b->running = NULL;
        b->job = NULL;
    }
}
