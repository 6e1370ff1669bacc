/* apply_plan_execute: the writes, in the order the safety model asks for — check nothing
 * changed since the plan, save the undo record, define with VALIDATE, make the live calls
 * (LIVE only: the definition already carries the config, and libvirt's QEMU driver applies
 * LIVE|CONFIG one after the other with no rollback), verify. A failure after the first
 * write takes back what was done. */
#include "core/apply.h"
#include "core/apply_priv.h"

#include <string.h>
#include <glib/gstdio.h>
#include "core/domxml.h"
#include "core/session_priv.h"
#include "core/undo_store.h"
#include "probes/cpulist.h"

void apply_report_clear(struct apply_report *r)
{
    g_clear_pointer(&r->record, g_free);
    g_clear_pointer(&r->done, g_ptr_array_unref);
    g_clear_pointer(&r->checks, g_ptr_array_unref);
    g_clear_pointer(&r->notes, g_ptr_array_unref);
    r->mismatches = 0;
}

static void report_init(struct apply_report *r)
{
    if (!r->done)
        r->done = g_ptr_array_new_with_free_func(g_free);
    if (!r->checks)
        r->checks = g_ptr_array_new_with_free_func(g_free);
    if (!r->notes)
        r->notes = g_ptr_array_new_with_free_func(g_free);
}

static void done(struct apply_report *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void done(struct apply_report *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(r->done, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* ---- before writing ------------------------------------------------------------------------ */

static bool changed(GError **err, const struct apply_plan *plan, const char *what)
{
    g_set_error(err, APPLY_ERROR, APPLY_ERROR_CHANGED, "domain '%s': %s since the plan was made: "
                "nothing written (make the plan again)", plan->domain, what);
    return false;
}

static bool same_live_iothreads(const char *a_xml, const char *b_xml)
{
    g_autoptr(VmConfig) a = a_xml ? domxml_parse(a_xml, strlen(a_xml), NULL) : NULL;
    g_autoptr(VmConfig) b = b_xml ? domxml_parse(b_xml, strlen(b_xml), NULL) : NULL;

    if (!a || !b || a->iothread_ids->len != b->iothread_ids->len ||
        a->iothreadpins->len != b->iothreadpins->len)
        return false;
    for (guint i = 0; i < a->iothread_ids->len; i++)
        if (g_array_index(a->iothread_ids, unsigned, i) != g_array_index(b->iothread_ids, unsigned, i))
            return false;
    for (guint i = 0; i < a->iothreadpins->len; i++) {
        const struct vm_pin *x = g_ptr_array_index(a->iothreadpins, i);
        const struct vm_pin *y = g_ptr_array_index(b->iothreadpins, i);

        if (x->id != y->id || !cpulist_equal(x->cpuset, y->cpuset))
            return false;
    }
    return true;
}

/* The optimistic check (DESIGN.md safety model): the definition, the state and the live
 * iothreads are what the plan was made from. */
static bool check_unchanged(struct session *s, virDomainPtr dom, const struct apply_plan *plan,
                            GError **err)
{
    bool active = false, persistent = false;
    g_autofree char *xml = NULL, *live = NULL;

    if (!apply_read_state(s, dom, &active, &persistent, err))
        return false;
    if (active != plan->active)
        return changed(err, plan, active ? "it started" : "it stopped");
    if (persistent != plan->persistent)
        return changed(err, plan, persistent ? "it was defined" : "it was undefined");
    if (plan->persistent) {
        xml = apply_read_xml(s, dom, true, err);
        if (!xml)
            return false;
        if (strcmp(xml, plan->xml_before) != 0)
            return changed(err, plan, "its definition was edited");
    }
    if (plan->active) {
        live = apply_read_xml(s, dom, false, err);
        if (!live)
            return false;
        if (!same_live_iothreads(live, plan->live_before))
            return changed(err, plan, "its live iothreads or pins changed");
    }
    return true;
}

static struct undo_record *record_of(struct session *s, const struct apply_plan *plan)
{
    struct undo_record *r = undo_record_new();
    g_autoptr(VmConfig) live = plan->live_before
        ? domxml_parse(plan->live_before, strlen(plan->live_before), NULL) : NULL;

    r->domain = g_strdup(plan->domain);
    g_strlcpy(r->uuid, plan->uuid, sizeof(r->uuid));
    r->uri = g_strdup(session_uri(s));
    r->persistent = plan->persistent;
    r->active = plan->active;
    r->inactive_xml = g_strdup(plan->xml_before);
    for (guint i = 0; live && i < live->iothread_ids->len; i++)
        g_array_append_val(r->live_ids, g_array_index(live->iothread_ids, unsigned, i));
    for (guint i = 0; live && i < live->iothreadpins->len; i++) {
        const struct vm_pin *p = g_ptr_array_index(live->iothreadpins, i);
        struct vm_pin *copy = g_new0(struct vm_pin, 1);

        copy->id = p->id;
        copy->cpuset = g_strdup(p->cpuset);
        g_ptr_array_add(r->live_pins, copy);
    }
    for (guint i = 0; i < plan->changes->len; i++)
        g_ptr_array_add(r->changes,
                        g_strdup(((struct apply_change *)g_ptr_array_index(plan->changes, i))->text));
    return r;
}

/* ---- the writes ---------------------------------------------------------------------------- */

static bool define(struct session *s, const char *xml, const char *name, GError **err)
{
    virDomainPtr dom = virDomainDefineXMLFlags(s->conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
    g_autofree char *what = g_strdup_printf("domain '%s': defining", name);

    if (!dom)
        return session_call_failed(s, err, APPLY_ERROR, APPLY_ERROR_FAILED, what);
    virDomainFree(dom);
    return true;
}

/* A cpumap for cpuset (NULL: every CPU of the host). */
static unsigned char *cpumap_of(const char *cpuset, unsigned host_cpus, int *maplen)
{
    g_autoptr(GArray) cpus = cpuset ? cpulist_parse(cpuset, NULL) : NULL;
    /* The host's count unknown (virNodeGetCPUMap failed): as large as the list needs. */
    unsigned ncpus = MAX(host_cpus, cpus && cpus->len ? g_array_index(cpus, unsigned,
                                                                      cpus->len - 1) + 1 : 1);
    unsigned char *map;

    *maplen = VIR_CPU_MAPLEN(ncpus);
    map = g_malloc0((gsize)*maplen);
    for (unsigned c = 0; c < ncpus; c++)
        if (!cpuset)
            VIR_USE_CPU(map, c);
    for (guint i = 0; cpus && i < cpus->len; i++)
        if (g_array_index(cpus, unsigned, i) < ncpus)
            VIR_USE_CPU(map, g_array_index(cpus, unsigned, i));
    return map;
}

static int pin(virDomainPtr dom, unsigned id, const char *cpuset, unsigned host_cpus)
{
    int maplen = 0;
    g_autofree unsigned char *map = cpumap_of(cpuset, host_cpus, &maplen);

    return virDomainPinIOThread(dom, id, map, maplen, VIR_DOMAIN_AFFECT_LIVE);
}

static int live_call(virDomainPtr dom, const struct apply_live_op *op, unsigned host_cpus)
{
    switch (op->kind) {
    case LIVE_ADD: return virDomainAddIOThread(dom, op->id, VIR_DOMAIN_AFFECT_LIVE);
    case LIVE_DEL: return virDomainDelIOThread(dom, op->id, VIR_DOMAIN_AFFECT_LIVE);
    case LIVE_PIN: return pin(dom, op->id, op->cpuset, host_cpus);
    }
    return -1;
}

static char *live_op_text(const struct apply_live_op *op)
{
    switch (op->kind) {
    case LIVE_ADD: return g_strdup_printf("added iothread %u (live)", op->id);
    case LIVE_DEL: return g_strdup_printf("removed iothread %u (live)", op->id);
    case LIVE_PIN:
        return op->cpuset ? g_strdup_printf("pinned iothread %u to CPUs %s (live)", op->id,
                                            op->cpuset)
                          : g_strdup_printf("unpinned iothread %u (live)", op->id);
    }
    return g_strdup("?");
}

/* The live calls done so far, taken back newest first; false if one of them fails. */
static bool undo_live(virDomainPtr dom, const struct apply_plan *plan, guint ndone,
                      GString *why)
{
    bool ok = true;

    for (guint i = ndone; i-- > 0;) {
        const struct apply_live_op *op = g_ptr_array_index(plan->live_ops, i);
        int rc = 0;

        if (op->kind == LIVE_ADD)
            rc = virDomainDelIOThread(dom, op->id, VIR_DOMAIN_AFFECT_LIVE);
        else if (op->kind == LIVE_PIN)
            rc = pin(dom, op->id, op->previous, plan->host_cpus);
        else if ((rc = virDomainAddIOThread(dom, op->id, VIR_DOMAIN_AFFECT_LIVE)) == 0 &&
                 op->previous)
            rc = pin(dom, op->id, op->previous, plan->host_cpus);
        if (rc < 0) {
            g_autofree char *cause = session_last_error();
            g_autofree char *what = live_op_text(op);

            g_string_append_printf(why, "; taking back '%s' failed: %s", what, cause);
            ok = false;
        }
    }
    return ok;
}

/* After a failed step: take back the live calls and the definition; *err says what state
 * the domain is in. */
static bool roll_back(struct session *s, virDomainPtr dom, const struct apply_plan *plan,
                      guint ndone, bool defined, const char *record, const char *step,
                      const char *cause, struct apply_report *report, GError **err)
{
    g_autoptr(GString) why = g_string_new(NULL);
    bool ok = undo_live(dom, plan, ndone, why);

    if (defined) {
        g_autoptr(GError) derr = NULL;

        if (!define(s, plan->xml_before, plan->domain, &derr)) {
            g_string_append_printf(why, "; restoring the definition failed: %s", derr->message);
            ok = false;
        }
    }
    /* As before: its undo record would restore nothing. */
    if (ok && record && g_unlink(record) == 0 && report) {
        done(report, "removed the undo record %s: the domain is as it was", record);
        g_clear_pointer(&report->record, g_free);
    }
    if (ok)
        g_set_error(err, APPLY_ERROR, APPLY_ERROR_FAILED, "domain '%s': %s: %s; rolled back: "
                    "the domain is as before", plan->domain, step, cause);
    else
        g_set_error(err, APPLY_ERROR, APPLY_ERROR_FAILED, "domain '%s': %s: %s%s; the domain is "
                    "partly changed: `virt-disktune undo --domain %s` restores it from %s",
                    plan->domain, step, cause, why->str, plan->domain,
                    record ? record : "(no undo record)");
    return false;
}

static bool run_live_ops(struct session *s, virDomainPtr dom, const struct apply_plan *plan,
                         bool defined, const char *record, struct apply_report *report,
                         GError **err)
{
    for (guint i = 0; i < plan->live_ops->len; i++) {
        const struct apply_live_op *op = g_ptr_array_index(plan->live_ops, i);
        g_autofree char *text = live_op_text(op);

        if (live_call(dom, op, plan->host_cpus) < 0) {
            g_autoptr(GError) lerr = NULL;

            session_call_failed(s, &lerr, APPLY_ERROR, APPLY_ERROR_FAILED, "live call");
            if (lerr->domain == SESSION_ERROR) {
                /* No daemon, no rollback: the record says how to get back. */
                g_set_error(err, APPLY_ERROR, APPLY_ERROR_FAILED, "domain '%s': %s: %s; not "
                            "rolled back (no connection): the undo record %s is safe",
                            plan->domain, text, lerr->message, record ? record : "(none)");
                return false;
            }
            return roll_back(s, dom, plan, i, defined, record, text, lerr->message, report, err);
        }
        done(report, "%s", text);
    }
    return true;
}

static char *save_record(struct session *s, const struct apply_plan *plan, const char *dir,
                         GError **err)
{
    g_autoptr(UndoRecord) r = record_of(s, plan);

    if (!dir) {
        g_set_error(err, APPLY_ERROR, APPLY_ERROR_FAILED, "no state directory for the undo "
                    "record (set HOME or XDG_STATE_HOME): nothing written");
        return NULL;
    }
    if (!undo_store_save(dir, r, err))
        return NULL;
    return g_build_filename(dir, r->file, NULL);
}

static bool finish_undo(const struct apply_plan *plan, const char *dir,
                        struct apply_report *report, GError **err)
{
    g_autoptr(UndoRecord) r = undo_store_load(dir, plan->record, err);

    if (!r || !undo_store_mark_undone(dir, r, err))
        return false;
    done(report, "marked the undo record %s undone", plan->record);
    return true;
}

/* libvirt refused the definition: nothing changed, and the record would restore nothing.
 * The daemon went away: whether it took the definition is unknown, so the record stays and
 * the message says where. */
static void define_failed(const struct apply_plan *plan, struct apply_report *report,
                          GError **err)
{
    if (!report->record || !err || !*err)
        return;
    if ((*err)->domain != SESSION_ERROR) {
        if (g_unlink(report->record) == 0)
            g_clear_pointer(&report->record, g_free);
        return;
    }
    g_autofree char *cause = g_steal_pointer(&(*err)->message);

    (*err)->message = g_strdup_printf("%s; whether libvirt took the new definition of '%s' is "
                                      "unknown: the undo record %s is safe (`virt-disktune undo "
                                      "--domain %s` once libvirtd is back)", cause, plan->domain,
                                      report->record, plan->domain);
}

static bool has_work(const struct apply_plan *plan)
{
    return plan->xml_after || plan->live_ops->len > 0;
}

bool apply_plan_execute(struct session *s, const struct apply_plan *plan, const char *dir,
                        struct apply_report *report, GError **err)
{
    virDomainPtr dom;
    bool ok, defined = false;

    report_init(report);
    if (session_read_only(s)) {
        g_set_error(err, APPLY_ERROR, APPLY_ERROR_REFUSED, "%s: the connection is read-only "
                    "(%s): nothing written", session_uri(s),
                    session_fallback_reason(s) ? session_fallback_reason(s) : "asked so");
        return false;
    }
    if (!has_work(plan)) {
        done(report, "nothing to change: domain '%s' already has what was asked", plan->domain);
        /* An undo with nothing left to restore is done: the record is, too. */
        return !plan->undo || finish_undo(plan, dir, report, err);
    }
    dom = virDomainLookupByUUIDString(s->conn, plan->uuid);
    if (!dom)
        return changed(err, plan, "it vanished");
    ok = check_unchanged(s, dom, plan, err);
    if (ok && !plan->undo) {
        report->record = save_record(s, plan, dir, err);
        ok = report->record != NULL;
        if (ok)
            done(report, "saved the undo record %s", report->record);
    }
    if (ok && plan->xml_after) {
        ok = defined = define(s, plan->xml_after, plan->domain, err);
        if (ok)
            done(report, "defined '%s' (validated by libvirt)", plan->domain);
        else
            define_failed(plan, report, err);
    }
    if (ok)
        ok = run_live_ops(s, dom, plan, defined, report->record, report, err);
    virDomainFree(dom);
    if (!ok)
        return false;
    g_autoptr(GError) verr = NULL;
    if (apply_verify(s, plan, report, &verr) > 0) {
        if (verr)
            g_propagate_error(err, g_steal_pointer(&verr));
        else
            g_set_error(err, APPLY_ERROR, APPLY_ERROR_NOT_VERIFIED, "domain '%s': %u "
                        "check(s) found what was planned is not there (see the checks)",
                        plan->domain, report->mismatches);
        return false;
    }
    return !plan->undo || finish_undo(plan, dir, report, err);
}
