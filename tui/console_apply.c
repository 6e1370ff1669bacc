#include "tui/console_apply.h"

#include <string.h>
#include <gio/gio.h>
#include "core/statedir.h"
#include "core/textesc.h"
#include "core/undo_store.h"
#include "tui/console.h"
#include "tui/dialog.h"
#include "tui/keymap.h"

#define SPIN_MS 150

struct console_apply *console_apply_new(void)
{
    return g_new0(struct console_apply, 1);
}

static void clear_result(struct console_apply *a)
{
    g_clear_pointer(&a->plan, apply_plan_free);
    g_clear_pointer(&a->diff, g_free);
    g_clear_pointer(&a->error, g_free);
    apply_report_clear(&a->report);
    a->scroll = 0;
}

void console_apply_free(struct console_apply *a)
{
    if (!a)
        return;
    clear_result(a);
    g_free(a->domain);
    g_clear_pointer(&a->req, apply_request_free);
    g_clear_pointer(&a->choices, g_array_unref);
    g_clear_pointer(&a->records, g_ptr_array_unref);
    g_free(a);
}

/* ---- the spinner ------------------------------------------------------------------------------ */

static gboolean on_spin(gpointer data)
{
    struct console *c = data;

    c->apply->spin++;
    console_redraw(c);
    return G_SOURCE_CONTINUE;
}

static void spin_start(struct console *c)
{
    if (!c->apply->spin_source)
        c->apply->spin_source = g_timeout_add(SPIN_MS, on_spin, c);
}

static void spin_stop(struct console *c)
{
    if (c->apply->spin_source)
        g_source_remove(c->apply->spin_source);
    c->apply->spin_source = 0;
}

/* ---- the workers ---------------------------------------------------------------------------- */

struct plan_task {
    struct session *session;
    char *domain;
    struct apply_request *req;  /* borrowed copy's owner is the console: NULL for undo */
    char *dir;
};

static void plan_task_free(gpointer p)
{
    struct plan_task *t = p;

    g_free(t->domain);
    g_free(t->dir);
    g_free(t);
}

static void plan_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
    struct plan_task *t = data;
    GError *err = NULL;
    struct apply_plan *plan = t->req ? apply_plan_make(t->session, t->req, &err)
                                     : apply_plan_undo(t->session, t->domain, t->dir, &err);

    if (plan)
        g_task_return_pointer(task, plan, (GDestroyNotify)apply_plan_free);
    else
        g_task_return_error(task, err);
}

static void on_planned(GObject *source, GAsyncResult *res, gpointer data)
{
    struct console *c = data;
    struct console_apply *a = c->apply;
    g_autoptr(GError) err = NULL;
    struct apply_plan *plan = g_task_propagate_pointer(G_TASK(res), &err);

    a->busy = false;
    spin_stop(c);
    if (plan) {
        a->plan = plan;
        a->diff = apply_plan_diff(plan);
        a->phase = VIEW_APPLY_PLANNED;
    } else {
        a->error = g_strdup(err->message);
        a->phase = VIEW_APPLY_REFUSED;
    }
    console_redraw(c);
}

static void start_plan(struct console *c)
{
    struct console_apply *a = c->apply;
    struct plan_task *t = g_new0(struct plan_task, 1);
    GTask *task = g_task_new(NULL, NULL, on_planned, c);

    clear_result(a);
    t->session = c->session;
    t->domain = g_strdup(a->domain);
    t->req = a->req;
    t->dir = statedir_apply_here();
    if (!t->req && !t->dir) {
        plan_task_free(t);
        g_object_unref(task);
        a->error = g_strdup("no state directory for undo records (set HOME or XDG_STATE_HOME)");
        a->phase = VIEW_APPLY_REFUSED;
        return;
    }
    g_task_set_task_data(task, t, plan_task_free);
    a->phase = VIEW_APPLY_PLANNING;
    a->busy = true;
    spin_start(c);
    g_task_run_in_thread(task, plan_thread);
    g_object_unref(task);
}

struct exec_task {
    struct session *session;
    const struct apply_plan *plan;  /* the console's, not touched until the task ends */
    char *dir;
    struct apply_report report;
    GError *err;
    bool ok;
};

static void exec_task_free(gpointer p)
{
    struct exec_task *t = p;

    g_free(t->dir);
    apply_report_clear(&t->report);
    g_clear_error(&t->err);
    g_free(t);
}

static void exec_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
    struct exec_task *t = data;

    t->ok = apply_plan_execute(t->session, t->plan, t->dir, &t->report, &t->err);
    g_task_return_boolean(task, TRUE);
}

static void on_executed(GObject *source, GAsyncResult *res, gpointer data)
{
    struct console *c = data;
    struct console_apply *a = c->apply;
    struct exec_task *t = g_task_get_task_data(G_TASK(res));

    a->busy = false;
    spin_stop(c);
    a->report = t->report;
    memset(&t->report, 0, sizeof(t->report));
    a->phase = t->ok ? VIEW_APPLY_DONE : VIEW_APPLY_FAILED;
    if (!t->ok)
        a->error = g_strdup(t->err ? t->err->message : "failed");
    a->scroll = 0;
    /* The panes show the new settings (and what waits for a power-off) once reloaded. */
    console_reload(c);
    console_redraw(c);
}

static void start_execute(struct console *c)
{
    struct console_apply *a = c->apply;
    struct exec_task *t = g_new0(struct exec_task, 1);
    GTask *task = g_task_new(NULL, NULL, on_executed, c);

    t->session = c->session;
    t->plan = a->plan;
    t->dir = statedir_apply_here();
    g_task_set_task_data(task, t, exec_task_free);
    a->phase = VIEW_APPLY_APPLYING;
    a->busy = true;
    spin_start(c);
    g_task_run_in_thread(task, exec_thread);
    g_object_unref(task);
}

/* ---- opening ---------------------------------------------------------------------------------- */

static bool open_for(struct console *c, const char *domain, bool undo)
{
    struct console_apply *a = c->apply;

    if (a->busy)
        return false;   /* the worker still holds the plan: the dialog is open anyway */
    g_free(a->domain);
    a->domain = g_strdup(domain);
    a->undo = undo;
    a->history = false;
    g_clear_pointer(&a->req, apply_request_free);
    g_clear_pointer(&a->choices, g_array_unref);
    a->choice = 0;
    console_dialog_push(c, &dialog_apply);
    return true;
}

void console_apply_open(struct console *c, struct apply_request *req, GArray *choices)
{
    if (!open_for(c, req->domain, false)) {
        apply_request_free(req);
        if (choices)
            g_array_unref(choices);
        return;
    }
    c->apply->req = req;
    c->apply->choices = choices;
    start_plan(c);
}

void console_apply_from_cell(struct console *c, const char *cache, const char *io)
{
    const struct vm_domain *dom = console_selected_domain(c);
    const struct vm_disk *disk = console_selected_disk(c);
    const struct vm_config *cfg = dom ? (dom->inactive ? dom->inactive : dom->live) : NULL;
    struct apply_request *req;
    struct apply_disk_request *d;
    GArray *choices = NULL;

    if (!dom || !disk || !disk->target)
        return;
    req = apply_request_new(dom->name);
    d = g_new0(struct apply_disk_request, 1);
    d->target = g_strdup(disk->target);
    d->cache = g_strdup(cache);
    d->io = g_strdup(io);
    d->iothread = -1;
    g_ptr_array_add(req->disks, d);
    /* A disk without an iothread on a domain that has some: offer them (none first). */
    if (disk->iothread == 0 && cfg && cfg->iothread_ids->len > 0) {
        unsigned none = 0;

        choices = g_array_new(FALSE, FALSE, sizeof(unsigned));
        g_array_append_val(choices, none);
        g_array_append_vals(choices, cfg->iothread_ids->data, cfg->iothread_ids->len);
    }
    console_apply_open(c, req, choices);
}

void console_apply_open_undo(struct console *c)
{
    const struct vm_domain *dom = console_selected_domain(c);

    if (dom && open_for(c, dom->name, true))
        start_plan(c);
}

void console_apply_open_history(struct console *c)
{
    const struct vm_domain *dom = console_selected_domain(c);
    struct console_apply *a = c->apply;
    g_autofree char *dir = statedir_apply_here();

    if (!dom)
        return;
    g_free(a->domain);
    a->domain = g_strdup(dom->name);
    a->history = true;
    a->scroll = 0;
    g_clear_pointer(&a->records, g_ptr_array_unref);
    /* A few small files: read here, as the listing would. */
    a->records = dir ? undo_store_list(dir, dom->uuid, NULL)
                     : g_ptr_array_new_with_free_func((GDestroyNotify)undo_record_free);
    console_dialog_push(c, &dialog_history);
}

/* ---- keys ------------------------------------------------------------------------------------- */

static void next_choice(struct console *c)
{
    struct console_apply *a = c->apply;
    struct apply_disk_request *d;

    if (!a->choices || !a->req || a->busy || a->req->disks->len == 0)
        return;
    a->choice = (a->choice + 1) % a->choices->len;
    d = g_ptr_array_index(a->req->disks, 0);
    d->iothread = a->choice == 0 ? -1 : (int)g_array_index(a->choices, unsigned, a->choice);
    start_plan(c);
}

static void scroll_lines(struct console_apply *a, int action)
{
    if (action == ACTION_DOWN)
        a->scroll++;
    else if (action == ACTION_UP && a->scroll > 0)
        a->scroll--;
}

void console_apply_key(struct console *c, int action)
{
    struct console_apply *a = c->apply;

    switch (action) {
    case ACTION_SELECT:
        /* An undo with nothing left to change still closes its record. */
        if (a->phase == VIEW_APPLY_PLANNED && a->plan && (a->plan->changes->len > 0 || a->undo))
            start_execute(c);
        break;
    case ACTION_IOTHREAD:
        next_choice(c);
        break;
    case ACTION_DOWN:
    case ACTION_UP:
        scroll_lines(a, action);
        break;
    case ACTION_CLOSE:
        /* While a worker runs the dialog stays: the plan or the verification is coming,
         * and the worker holds the request. */
        if (!a->busy)
            console_dialog_pop(c, &dialog_apply);
        break;
    default:
        break;
    }
}

void console_apply_history_key(struct console *c, int action)
{
    switch (action) {
    case ACTION_DOWN:
    case ACTION_UP:
        scroll_lines(c->apply, action);
        break;
    case ACTION_UNDO:
        console_dialog_pop(c, &dialog_history);
        console_apply_open_undo(c);
        break;
    case ACTION_CLOSE:
        console_dialog_pop(c, &dialog_history);
        break;
    default:
        break;
    }
}

void console_apply_stop(struct console *c)
{
    while (c->apply->busy)
        g_main_context_iteration(NULL, TRUE);
    spin_stop(c);
}

struct view_apply *console_apply_view(const struct console *c)
{
    const struct console_apply *a = c->apply;
    g_autofree char *choice = NULL;
    struct view_apply_input in = {
        .phase = a->phase, .domain = a->domain, .undo = a->undo, .plan = a->plan,
        .diff = a->diff, .error = a->error, .report = &a->report, .spin = a->spin,
    };

    if (a->choices && a->choices->len > 1) {
        unsigned id = g_array_index(a->choices, unsigned, a->choice);

        choice = id ? g_strdup_printf("disk iothread: %u (i: another)", id)
                    : g_strdup("disk iothread: none, as now (i: one of the domain's)");
        in.choice = choice;
    }
    return view_apply_build(&in);
}
