/* apply_plan_make and apply_plan_undo: what would change, in words and as XML, before
 * anything is written. The changes are found by comparing the model of the definition
 * before and after (and the live iothreads before and after), so an apply and an undo are
 * described by the same code. */
#include "core/apply.h"
#include "core/apply_priv.h"

#include <stdlib.h>
#include <string.h>
#include "core/domxml.h"
#include "core/domxml_patch.h"
#include "core/session_priv.h"
#include "core/textdiff.h"
#include "core/undo_store.h"
#include "probes/cachemode.h"
#include "probes/cpulist.h"

G_DEFINE_QUARK(vdt-apply-error-quark, apply_error)

static const char *const when_names[APPLY_WHEN_COUNT] = {
    [APPLY_NOW] = "now",
    [APPLY_AT_POWER_CYCLE] = "at next power-off and start",
    [APPLY_AT_START] = "at next start",
};

const char *apply_when_name(enum apply_when when)
{
    return when < APPLY_WHEN_COUNT ? when_names[when] : "?";
}

/* ---- requests ----------------------------------------------------------------------------- */

static void disk_request_free(struct apply_disk_request *d)
{
    g_free(d->target);
    g_free(d->cache);
    g_free(d->io);
    g_free(d);
}

static void pin_request_free(struct apply_pin_request *p)
{
    g_free(p->cpuset);
    g_free(p);
}

struct apply_request *apply_request_new(const char *domain)
{
    struct apply_request *r = g_new0(struct apply_request, 1);

    r->domain = g_strdup(domain);
    r->disks = g_ptr_array_new_with_free_func((GDestroyNotify)disk_request_free);
    r->iothreads = -1;
    r->pins = g_ptr_array_new_with_free_func((GDestroyNotify)pin_request_free);
    return r;
}

void apply_request_free(struct apply_request *r)
{
    if (!r)
        return;
    g_free(r->domain);
    g_ptr_array_unref(r->disks);
    g_ptr_array_unref(r->pins);
    g_free(r);
}

static bool usage(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool usage(GError **err, const char *fmt, ...)
{
    va_list ap;

    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(err, APPLY_ERROR, APPLY_ERROR_USAGE, msg);
    return false;
}

bool apply_request_add_pin(struct apply_request *r, const char *arg, GError **err)
{
    const char *colon = strchr(arg, ':');
    g_autofree char *id_text = colon ? g_strndup(arg, (gsize)(colon - arg)) : NULL;
    guint64 id = 0;
    struct apply_pin_request *p;

    if (!colon || !g_ascii_string_to_unsigned(id_text, 10, 1, G_MAXINT, &id, NULL))
        return usage(err, "--pin '%s': expected IOTHREAD:CPULIST, e.g. 2:5,6 or 1:0-3", arg);
    p = g_new0(struct apply_pin_request, 1);
    p->iothread = (unsigned)id;
    p->cpuset = g_strdup(colon + 1);
    g_ptr_array_add(r->pins, p);
    return true;
}

/* ---- plans ------------------------------------------------------------------------------ */

void apply_live_op_free(struct apply_live_op *op)
{
    g_free(op->cpuset);
    g_free(op->previous);
    g_free(op);
}

static void change_free(struct apply_change *c)
{
    g_free(c->text);
    g_free(c);
}

static struct apply_plan *plan_new(void)
{
    struct apply_plan *p = g_new0(struct apply_plan, 1);

    p->changes = g_ptr_array_new_with_free_func((GDestroyNotify)change_free);
    p->live_ops = g_ptr_array_new_with_free_func((GDestroyNotify)apply_live_op_free);
    return p;
}

void apply_plan_free(struct apply_plan *plan)
{
    if (!plan)
        return;
    g_free(plan->domain);
    g_free(plan->record);
    g_free(plan->xml_before);
    g_free(plan->live_before);
    g_free(plan->xml_after);
    g_ptr_array_unref(plan->changes);
    g_ptr_array_unref(plan->live_ops);
    g_free(plan);
}

static void add_change(struct apply_plan *plan, bool live, bool config, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
static void add_change(struct apply_plan *plan, bool live, bool config, const char *fmt, ...)
{
    struct apply_change *c = g_new0(struct apply_change, 1);
    va_list ap;

    va_start(ap, fmt);
    c->text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    c->live = live;
    c->config = config;
    c->when = live ? APPLY_NOW : plan->active ? APPLY_AT_POWER_CYCLE : APPLY_AT_START;
    g_ptr_array_add(plan->changes, c);
}

/* ---- reading the domain -------------------------------------------------------------------- */

static virDomainPtr lookup(struct session *s, const char *name, GError **err)
{
    virDomainPtr dom = virDomainLookupByName(s->conn, name);
    virErrorPtr e;

    if (dom)
        return dom;
    e = virGetLastError();
    if (e && e->code == VIR_ERR_NO_DOMAIN)
        g_set_error(err, APPLY_ERROR, APPLY_ERROR_NOT_FOUND, "domain '%s': not found", name);
    else
        session_call_failed(s, err, APPLY_ERROR, APPLY_ERROR_FAILED, name);
    return NULL;
}

char *apply_read_xml(struct session *s, virDomainPtr dom, bool inactive, GError **err)
{
    /* SECURE keeps secrets a redefine would otherwise drop; a read-only connection may not
     * ask for it, and never defines. */
    unsigned flags = inactive ? VIR_DOMAIN_XML_INACTIVE | (s->read_only ? 0 : VIR_DOMAIN_XML_SECURE)
                              : 0;
    char *xml = virDomainGetXMLDesc(dom, flags);
    char *copy;
    g_autofree char *what = g_strdup_printf("domain '%s': reading its %s XML",
                                            virDomainGetName(dom),
                                            inactive ? "inactive" : "live");

    if (!xml) {
        session_call_failed(s, err, APPLY_ERROR, APPLY_ERROR_FAILED, what);
        return NULL;
    }
    copy = g_strdup(xml);
    free(xml);
    return copy;
}

bool apply_read_state(struct session *s, virDomainPtr dom, bool *active, bool *persistent,
                      GError **err)
{
    int a = virDomainIsActive(dom), p = virDomainIsPersistent(dom);
    g_autofree char *what = g_strdup_printf("domain '%s'", virDomainGetName(dom));

    if (a < 0 || p < 0)
        return session_call_failed(s, err, APPLY_ERROR, APPLY_ERROR_FAILED, what);
    *active = a == 1;
    *persistent = p == 1;
    return true;
}

static unsigned host_cpu_count(struct session *s)
{
    int n = virNodeGetCPUMap(s->conn, NULL, NULL, 0);

    return n > 0 ? (unsigned)n : 0;
}

/* The plan's domain facts and both XML texts, read now. */
static struct apply_plan *read_plan_base(struct session *s, const char *name, GError **err)
{
    g_autoptr(ApplyPlan) plan = plan_new();
    virDomainPtr dom = lookup(s, name, err);
    bool ok;

    if (!dom)
        return NULL;
    plan->domain = g_strdup(name);
    ok = virDomainGetUUIDString(dom, plan->uuid) == 0 ||
         session_call_failed(s, err, APPLY_ERROR, APPLY_ERROR_FAILED, name);
    ok = ok && apply_read_state(s, dom, &plan->active, &plan->persistent, err);
    if (ok && plan->persistent)
        ok = (plan->xml_before = apply_read_xml(s, dom, true, err)) != NULL;
    if (ok && plan->active)
        ok = (plan->live_before = apply_read_xml(s, dom, false, err)) != NULL;
    virDomainFree(dom);
    if (!ok)
        return NULL;
    plan->host_cpus = host_cpu_count(s);
    return g_steal_pointer(&plan);
}

static struct vm_config *parse(const char *xml, GError **err)
{
    return xml ? domxml_parse(xml, strlen(xml), err) : NULL;
}

/* ---- describing: the model before against after ------------------------------------------ */

static const char *or_default(const char *v)
{
    return v ? v : "default";
}

static char *iothread_name(int id)
{
    return id > 0 ? g_strdup_printf("%d", id) : g_strdup("none");
}

/* " (on its virtio-scsi controller 0, shared with sdb, sdc)" for a scsi disk. */
static char *controller_note(const struct vm_config *cfg, const struct vm_disk *disk)
{
    GString *with = g_string_new(NULL);

    if (disk->scsi_controller < 0)
        return g_string_free(with, FALSE);
    for (guint i = 0; i < cfg->disks->len; i++) {
        const struct vm_disk *d = g_ptr_array_index(cfg->disks, i);

        if (d != disk && d->scsi_controller == disk->scsi_controller)
            g_string_append_printf(with, "%s%s", with->len ? ", " : "", d->target);
    }
    g_autofree char *others = g_string_free(with, FALSE);
    return g_strdup_printf(" (on its virtio-scsi controller %d%s%s)", disk->scsi_controller,
                           *others ? ", shared with " : "", others);
}

static void describe_disks(struct apply_plan *plan, const struct vm_config *a,
                           const struct vm_config *b)
{
    for (guint i = 0; i < b->disks->len; i++) {
        const struct vm_disk *nd = g_ptr_array_index(b->disks, i);
        const struct vm_disk *od = nd->target ? vm_config_find_disk(a, nd->target) : NULL;

        if (!od)
            continue;
        if (g_strcmp0(od->cache, nd->cache) != 0)
            add_change(plan, false, true, "%s: cache %s → %s", nd->target, or_default(od->cache),
                       or_default(nd->cache));
        if (g_strcmp0(od->io, nd->io) != 0)
            add_change(plan, false, true, "%s: io %s → %s", nd->target, or_default(od->io),
                       or_default(nd->io));
        if (od->iothread != nd->iothread) {
            g_autofree char *from = iothread_name(od->iothread);
            g_autofree char *to = iothread_name(nd->iothread);
            g_autofree char *note = controller_note(b, nd);

            add_change(plan, false, true, "%s: iothread %s → %s%s", nd->target, from, to, note);
        }
    }
}

/* "3, 4" : the ids of a that b lacks. */
static char *ids_missing(const GArray *a, const GArray *b)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < a->len; i++)
        if (!vm_ids_contain(b, g_array_index(a, unsigned, i)))
            g_string_append_printf(out, "%s%u", out->len ? ", " : "", g_array_index(a, unsigned, i));
    return g_string_free(out, FALSE);
}

/* Whether the live ops add (or delete) exactly the ids in `ids` ("3, 4"). */
static bool live_ops_match(const struct apply_plan *plan, enum apply_live_kind kind,
                           const char *ids)
{
    g_autoptr(GString) live = g_string_new(NULL);

    for (guint i = 0; i < plan->live_ops->len; i++) {
        const struct apply_live_op *op = g_ptr_array_index(plan->live_ops, i);

        if (op->kind == kind)
            g_string_append_printf(live, "%s%u", live->len ? ", " : "", op->id);
    }
    return strcmp(live->str, ids) == 0;
}

static void describe_iothreads(struct apply_plan *plan, const struct vm_config *a,
                               const struct vm_config *b)
{
    g_autofree char *added = ids_missing(b->iothread_ids, a->iothread_ids);
    g_autofree char *removed = ids_missing(a->iothread_ids, b->iothread_ids);
    bool live;

    if (a->niothreads == b->niothreads && !*added && !*removed)
        return;
    live = plan->active && (*added || *removed) && live_ops_match(plan, LIVE_ADD, added) &&
           live_ops_match(plan, LIVE_DEL, removed);
    g_autoptr(GString) what = g_string_new(NULL);
    if (*added)
        g_string_append_printf(what, "%s %s added", strchr(added, ',') ? "ids" : "id", added);
    if (*removed)
        g_string_append_printf(what, "%s%s %s removed", what->len ? ", " : "",
                               strchr(removed, ',') ? "ids" : "id", removed);
    if (live)
        g_string_append_printf(what, "%slive and config", what->len ? "; " : "");
    add_change(plan, live, true, "iothreads %u → %u%s%s%s", a->niothreads, b->niothreads,
               what->len ? " (" : "", what->str, what->len ? ")" : "");
}

static struct apply_live_op *live_pin_op(const struct apply_plan *plan, unsigned id)
{
    for (guint i = 0; i < plan->live_ops->len; i++) {
        struct apply_live_op *op = g_ptr_array_index(plan->live_ops, i);

        if (op->kind == LIVE_PIN && op->id == id)
            return op;
    }
    return NULL;
}

static bool same_pin(const char *a, const char *b)
{
    return (!a && !b) || (a && b && cpulist_equal(a, b));
}

/* "pinned 0-15 → 5-6", "pinned 5-6 (was not pinned)", "pin 5-6 removed". */
static char *pin_change(const char *from, const char *to)
{
    if (!from)
        return g_strdup_printf("pinned %s (was not pinned)", to ? to : "nowhere");
    if (!to)
        return g_strdup_printf("pin %s removed", from);
    return g_strdup_printf("pinned %s → %s", from, to);
}

/* Pins that change in the definition, joined with the live pin of the same iothread when
 * it goes to the same CPUs. */
static void describe_pins(struct apply_plan *plan, const struct vm_config *a,
                          const struct vm_config *b, GHashTable *described)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(unsigned));

    for (guint i = 0; i < a->iothreadpins->len; i++)
        g_array_append_val(ids, ((struct vm_pin *)g_ptr_array_index(a->iothreadpins, i))->id);
    for (guint i = 0; i < b->iothreadpins->len; i++)
        if (!vm_ids_contain(ids, ((struct vm_pin *)g_ptr_array_index(b->iothreadpins, i))->id))
            g_array_append_val(ids, ((struct vm_pin *)g_ptr_array_index(b->iothreadpins, i))->id);
    for (guint i = 0; i < ids->len; i++) {
        unsigned id = g_array_index(ids, unsigned, i);
        const char *from = vm_config_iothread_pin(a, id), *to = vm_config_iothread_pin(b, id);
        struct apply_live_op *op = live_pin_op(plan, id);
        bool live = op && same_pin(op->cpuset, to);

        if (same_pin(from, to) || (!vm_ids_contain(b->iothread_ids, id) && !to))
            continue;
        g_autofree char *what = pin_change(from, to);

        add_change(plan, live, true, "iothread %u: %s%s", id, what,
                   live ? " (live and config)" : "");
        if (live)
            g_hash_table_add(described, op);
    }
}

/* Live calls the lines above did not already cover. */
static void describe_live(struct apply_plan *plan, GHashTable *described, bool iothreads_said)
{
    for (guint i = 0; i < plan->live_ops->len; i++) {
        struct apply_live_op *op = g_ptr_array_index(plan->live_ops, i);
        const char *scope = plan->persistent ? "live only" : "live only: transient domain";

        if (g_hash_table_contains(described, op))
            continue;
        if (op->kind == LIVE_PIN) {
            g_autofree char *what = pin_change(op->previous, op->cpuset);

            add_change(plan, true, false, "iothread %u: %s (%s)", op->id, what, scope);
        }
        else if (!iothreads_said)
            add_change(plan, true, false, "iothread %u %s (%s)", op->id,
                       op->kind == LIVE_ADD ? "added" : "removed", scope);
    }
}

static void describe(struct apply_plan *plan, const struct vm_config *before,
                     const struct vm_config *after)
{
    g_autoptr(GHashTable) described = g_hash_table_new(g_direct_hash, g_direct_equal);
    bool iothreads_said = false;

    if (before && after) {
        guint n0;

        describe_disks(plan, before, after);
        n0 = plan->changes->len;
        describe_iothreads(plan, before, after);
        iothreads_said = plan->changes->len > n0 &&
                         ((struct apply_change *)g_ptr_array_index(plan->changes, n0))->live;
        describe_pins(plan, before, after, described);
    }
    describe_live(plan, described, iothreads_said);
}

/* ---- planning an apply --------------------------------------------------------------------- */

static bool check_cache_io(const char *target, const char *cache, const char *io, GError **err)
{
    int c = cache ? cache_mode_from_name(cache) : (int)CACHE_QEMU_DEFAULT;
    int i = io ? io_mode_from_name(io) : (int)IO_QEMU_DEFAULT;
    const char *why = NULL;

    if (!cache_io_valid((enum cache_mode)c, (enum io_mode)i, &why))
        return usage(err, "disk '%s': cache %s with io %s: %s", target, cache ? cache : "default "
                     "(writeback)", io ? io : "default (threads)", why);
    return true;
}

static bool valid_name(const char *v, int (*from_name)(const char *))
{
    return !v || strcmp(v, "default") == 0 || from_name(v) >= 0;
}

static bool plan_disks(const struct apply_request *req, const struct vm_config *cfg,
                       struct domxml_edits *e, GError **err)
{
    for (guint i = 0; i < req->disks->len; i++) {
        const struct apply_disk_request *d = g_ptr_array_index(req->disks, i);
        const struct vm_disk *disk = vm_config_find_disk(cfg, d->target);
        struct patch_disk *pd;
        const char *cache, *io;

        if (!disk) {
            g_set_error(err, APPLY_ERROR, APPLY_ERROR_NOT_FOUND, "domain '%s': no disk '%s'",
                        req->domain, d->target);
            return false;
        }
        if (!valid_name(d->cache, cache_mode_from_name))
            return usage(err, "--cache '%s': not a cache mode (none, writethrough, writeback, "
                         "directsync, unsafe, default)", d->cache);
        if (!valid_name(d->io, io_mode_from_name))
            return usage(err, "--io '%s': not an io mode (native, threads, io_uring, default)",
                         d->io);
        cache = d->cache ? (strcmp(d->cache, "default") == 0 ? NULL : d->cache) : disk->cache;
        io = d->io ? (strcmp(d->io, "default") == 0 ? NULL : d->io) : disk->io;
        if (!check_cache_io(d->target, cache, io, err))
            return false;
        pd = g_new0(struct patch_disk, 1);
        pd->target = g_strdup(d->target);
        pd->cache = g_strdup(d->cache);
        pd->io = g_strdup(d->io);
        pd->iothread = d->iothread;
        g_ptr_array_add(e->disks, pd);
    }
    return true;
}

/* The iothread each disk will use after the disk edits. */
static int disk_iothread_after(const struct vm_disk *disk, const struct domxml_edits *e)
{
    for (guint i = 0; i < e->disks->len; i++) {
        const struct patch_disk *pd = g_ptr_array_index(e->disks, i);

        if (strcmp(pd->target, disk->target) == 0 && pd->iothread >= 0)
            return pd->iothread;
    }
    return disk->iothread;
}

static bool referenced(const struct vm_config *cfg, const struct domxml_edits *e, unsigned id)
{
    for (guint i = 0; i < cfg->disks->len; i++) {
        const struct vm_disk *d = g_ptr_array_index(cfg->disks, i);

        if (d->target && disk_iothread_after(d, e) == (int)id)
            return true;
    }
    return false;
}

/* iothreads N: ids added are the lowest unused; ids removed are the last ones (libvirt's
 * fill order puts the filled-in ids last) that no disk uses. */
static bool plan_iothreads(const struct apply_request *req, const struct vm_config *cfg,
                           struct domxml_edits *e, GArray *ids_after, GError **err)
{
    unsigned n = cfg->niothreads;

    g_array_append_vals(ids_after, cfg->iothread_ids->data, cfg->iothread_ids->len);
    if (req->iothreads < 0 || (unsigned)req->iothreads == n)
        return true;
    e->iothreads = req->iothreads;
    for (unsigned id = 1; ids_after->len < (unsigned)req->iothreads; id++)
        if (!vm_ids_contain(ids_after, id)) {
            g_array_append_val(ids_after, id);
            g_array_append_val(e->add_ids, id);
        }
    for (guint i = ids_after->len; i-- > 0 && ids_after->len > (unsigned)req->iothreads;) {
        unsigned id = g_array_index(ids_after, unsigned, i);

        if (referenced(cfg, e, id))
            continue;
        g_array_append_val(e->del_ids, id);
        g_array_remove_index(ids_after, i);
    }
    if (ids_after->len > (unsigned)req->iothreads)
        return usage(err, "domain '%s': --iothreads %d is fewer than the disks use (%u iothreads "
                     "are referenced by disks)", req->domain, req->iothreads, ids_after->len);
    return true;
}

static bool check_disk_iothreads(const struct apply_request *req, const struct vm_config *cfg,
                                 const struct domxml_edits *e, const GArray *ids_after,
                                 GError **err)
{
    for (guint i = 0; i < e->disks->len; i++) {
        const struct patch_disk *pd = g_ptr_array_index(e->disks, i);

        if (pd->iothread > 0 && !vm_ids_contain(ids_after, (unsigned)pd->iothread))
            return usage(err, "disk '%s': iothread %d will not exist (the domain's iothreads "
                         "will be %u; add one with --iothreads)", pd->target, pd->iothread,
                         ids_after->len);
    }
    return true;
}

static bool plan_pins(const struct apply_request *req, const struct apply_plan *plan,
                      const GArray *ids_after, struct domxml_edits *e, GError **err)
{
    for (guint i = 0; i < req->pins->len; i++) {
        const struct apply_pin_request *p = g_ptr_array_index(req->pins, i);
        g_autoptr(GError) perr = NULL;
        g_autoptr(GArray) cpus = cpulist_parse(p->cpuset, &perr);
        struct patch_pin *pp;

        if (!cpus)
            return usage(err, "--pin %u:%s: %s", p->iothread, p->cpuset, perr->message);
        for (guint k = 0; plan->host_cpus && k < cpus->len; k++)
            if (g_array_index(cpus, unsigned, k) >= plan->host_cpus)
                return usage(err, "--pin %u:%s: CPU %u is not on this host (it has CPUs 0-%u)",
                             p->iothread, p->cpuset, g_array_index(cpus, unsigned, k),
                             plan->host_cpus - 1);
        if (!vm_ids_contain(ids_after, p->iothread))
            return usage(err, "--pin %u:%s: domain '%s' will have no iothread %u", p->iothread,
                         p->cpuset, req->domain, p->iothread);
        pp = g_new0(struct patch_pin, 1);
        pp->iothread = p->iothread;
        pp->cpuset = cpulist_format(cpus);
        g_ptr_array_add(e->pins, pp);
    }
    return true;
}

static void add_live_op(struct apply_plan *plan, enum apply_live_kind kind, unsigned id,
                        const char *cpuset, const char *previous)
{
    struct apply_live_op *op = g_new0(struct apply_live_op, 1);

    op->kind = kind;
    op->id = id;
    op->cpuset = g_strdup(cpuset);
    op->previous = g_strdup(previous);
    g_ptr_array_add(plan->live_ops, op);
}

static bool live_disk_uses(const struct vm_config *live, unsigned id)
{
    for (guint i = 0; i < live->disks->len; i++)
        if (((struct vm_disk *)g_ptr_array_index(live->disks, i))->iothread == (int)id)
            return true;
    return false;
}

/* Live calls that bring the running domain's iothreads and pins to the target: ids to add,
 * pins (cpuset NULL: unpin, i.e. all the host's CPUs), ids to remove (last, and only those
 * no running disk uses: those wait for the power-off). */
void apply_plan_live(struct apply_plan *plan, const struct vm_config *live,
                     const GArray *add, const GArray *del, const GPtrArray *pins)
{
    for (guint i = 0; i < add->len; i++)
        if (!vm_ids_contain(live->iothread_ids, g_array_index(add, unsigned, i)))
            add_live_op(plan, LIVE_ADD, g_array_index(add, unsigned, i), NULL, NULL);
    for (guint i = 0; i < pins->len; i++) {
        const struct patch_pin *p = g_ptr_array_index(pins, i);
        const char *now = vm_config_iothread_pin(live, p->iothread);
        bool running = vm_ids_contain(live->iothread_ids, p->iothread) || vm_ids_contain(add, p->iothread);

        /* An iothread only the definition has is pinned there, at its next start. */
        if (running && !same_pin(now, p->cpuset))
            add_live_op(plan, LIVE_PIN, p->iothread, p->cpuset, now);
    }
    for (guint i = 0; i < del->len; i++) {
        unsigned id = g_array_index(del, unsigned, i);

        if (vm_ids_contain(live->iothread_ids, id) && !live_disk_uses(live, id))
            add_live_op(plan, LIVE_DEL, id, NULL, vm_config_iothread_pin(live, id));
    }
}

static bool make_after(struct apply_plan *plan, const struct domxml_edits *e, GError **err)
{
    g_autoptr(GError) perr = NULL;
    g_autoptr(DomxmlEdits) none = domxml_edits_new();
    g_autofree char *same = NULL, *c_same = NULL, *c_after = NULL;

    plan->xml_after = domxml_patch(plan->xml_before, strlen(plan->xml_before), e, &perr);
    if (!plan->xml_after) {
        g_set_error(err, APPLY_ERROR, perr->domain == DOMXML_PATCH_ERROR &&
                    perr->code == DOMXML_PATCH_ERROR_NO_DISK ? APPLY_ERROR_NOT_FOUND
                                                             : APPLY_ERROR_USAGE,
                    "domain '%s': %s", plan->domain, perr->message);
        return false;
    }
    same = domxml_patch(plan->xml_before, strlen(plan->xml_before), none, NULL);
    c_same = same ? domxml_canonical(same, strlen(same), NULL) : NULL;
    c_after = domxml_canonical(plan->xml_after, strlen(plan->xml_after), NULL);
    if (c_same && c_after && strcmp(c_same, c_after) == 0)
        g_clear_pointer(&plan->xml_after, g_free);
    return true;
}

/* A name with a CR comes back from libvirt's XML as LF (measured with the test driver: a
 * node file's "&#13;" is dumped as a line feed): a redefine from that XML would rename the
 * domain, or fail libvirt's schema. Refused before anything is written. */
static bool name_round_trips(const struct apply_plan *plan, const struct vm_config *cfg,
                             GError **err)
{
    if (g_strcmp0(cfg->name, plan->domain) == 0)
        return true;
    g_set_error(err, APPLY_ERROR, APPLY_ERROR_REFUSED, "domain '%s': its XML gives its name as "
                "'%s' (libvirt does not write a control character in a name back as it is): "
                "a redefine would rename it: nothing written", plan->domain,
                cfg->name ? cfg->name : "");
    return false;
}

/* What libvirt will make of the edited XML: every disk's iothread must exist there. An id
 * libvirt fills in (no <iothreadids>) cannot be removed below one a disk uses: the count
 * alone renumbers them 1..N. Refused before anything is written. */
static bool after_references_hold(const struct apply_plan *plan, const struct vm_config *after,
                                  GError **err)
{
    for (guint i = 0; i < after->disks->len; i++) {
        const struct vm_disk *d = g_ptr_array_index(after->disks, i);

        if (d->iothread > 0 && !vm_ids_contain(after->iothread_ids, (unsigned)d->iothread))
            return usage(err, "domain '%s': disk '%s' would use iothread %d, which the new "
                         "definition does not have (its ids are libvirt's 1..N: lower the count "
                         "only above the ids the disks use, or list <iothreadids>)", plan->domain,
                         d->target ? d->target : "?", d->iothread);
    }
    return true;
}

static bool request_touches_disks(const struct apply_request *req)
{
    return req->disks->len > 0;
}

struct apply_plan *apply_plan_make(struct session *s, const struct apply_request *req,
                                   GError **err)
{
    g_autoptr(ApplyPlan) plan = read_plan_base(s, req->domain, err);
    g_autoptr(VmConfig) cfg = NULL, live = NULL, after = NULL;
    g_autoptr(DomxmlEdits) e = domxml_edits_new();
    g_autoptr(GArray) ids_after = g_array_new(FALSE, FALSE, sizeof(unsigned));

    if (!plan)
        return NULL;
    if (!plan->persistent && request_touches_disks(req)) {
        usage(err, "domain '%s' is transient (no persistent definition): cache, io and a disk's "
              "iothread cannot change on a running domain, and there is no next start to "
              "change them for", req->domain);
        return NULL;
    }
    cfg = parse(plan->persistent ? plan->xml_before : plan->live_before, err);
    if (!cfg)
        return NULL;
    live = parse(plan->live_before, err);
    if ((plan->active && !live) || !name_round_trips(plan, cfg, err))
        return NULL;
    if (!plan_disks(req, cfg, e, err) || !plan_iothreads(req, cfg, e, ids_after, err) ||
        !check_disk_iothreads(req, cfg, e, ids_after, err) ||
        !plan_pins(req, plan, ids_after, e, err))
        return NULL;
    if (plan->persistent && !make_after(plan, e, err))
        return NULL;
    if (plan->active)
        apply_plan_live(plan, live, e->add_ids, e->del_ids, e->pins);
    after = parse(plan->xml_after, NULL);
    if (after && !after_references_hold(plan, after, err))
        return NULL;
    describe(plan, cfg, after);
    return g_steal_pointer(&plan);
}

char *apply_plan_diff(const struct apply_plan *plan)
{
    g_autoptr(DomxmlEdits) none = domxml_edits_new();
    g_autofree char *before = NULL, *a = NULL, *b = NULL;

    if (!plan->xml_after || !plan->xml_before)
        return g_strdup("");
    /* Both sides written by libxml2, so quoting and layout differ only where edited. */
    before = domxml_patch(plan->xml_before, strlen(plan->xml_before), none, NULL);
    a = g_strdup_printf("%s inactive XML (now)", plan->domain);
    b = g_strdup_printf("%s inactive XML (%s)", plan->domain, plan->undo ? "restored" : "planned");
    if (!before)
        return g_strdup("");
    if (plan->undo) {
        g_autofree char *after = domxml_patch(plan->xml_after, strlen(plan->xml_after), none, NULL);
        return textdiff_unified(before, after ? after : plan->xml_after, a, b, 3);
    }
    return textdiff_unified(before, plan->xml_after, a, b, 3);
}

/* ---- planning an undo ----------------------------------------------------------------------- */

static struct undo_record *latest_record(const char *dir, const struct apply_plan *plan,
                                         GError **err)
{
    g_autoptr(GPtrArray) bad = NULL;
    g_autoptr(GPtrArray) records = undo_store_list(dir, plan->uuid, &bad);

    if (bad->len > 0) {
        g_set_error(err, APPLY_ERROR, APPLY_ERROR_REFUSED, "%s (nothing written)",
                    (const char *)g_ptr_array_index(bad, 0));
        return NULL;
    }
    for (guint i = records->len; i-- > 0;) {
        struct undo_record *r = g_ptr_array_index(records, i);

        if (!r->undone)
            return g_ptr_array_steal_index(records, i);
    }
    g_set_error(err, APPLY_ERROR, APPLY_ERROR_NOT_FOUND,
                "domain '%s': no undo record to restore in %s", plan->domain, dir);
    return NULL;
}

static bool check_record(const struct apply_plan *plan, const struct undo_record *r,
                         GError **err)
{
    g_autoptr(GError) perr = NULL;
    g_autoptr(VmConfig) cfg = NULL;

    if (strcmp(r->uuid, plan->uuid) != 0) {
        g_set_error(err, APPLY_ERROR, APPLY_ERROR_REFUSED, "undo record %s: written for the "
                    "domain with UUID %s, not '%s' (%s): nothing written", r->file, r->uuid,
                    plan->domain, plan->uuid);
        return false;
    }
    if (r->persistent != plan->persistent) {
        g_set_error(err, APPLY_ERROR, APPLY_ERROR_REFUSED, "undo record %s: the domain was %s "
                    "then and is %s now: nothing written", r->file,
                    r->persistent ? "persistent" : "transient",
                    plan->persistent ? "persistent" : "transient");
        return false;
    }
    cfg = parse(r->inactive_xml, &perr);
    if (r->persistent && !cfg) {
        g_set_error(err, APPLY_ERROR, APPLY_ERROR_REFUSED, "undo record %s: %s: nothing written",
                    r->file, perr->message);
        return false;
    }
    return true;
}

/* The record's live iothreads and pins as the target of live calls. */
static void plan_live_restore(struct apply_plan *plan, const struct vm_config *live,
                              const struct undo_record *r)
{
    g_autoptr(GArray) del = g_array_new(FALSE, FALSE, sizeof(unsigned));
    g_autoptr(GPtrArray) pins = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) pin_structs = g_ptr_array_new();
    g_autoptr(GArray) pin_store = g_array_new(FALSE, TRUE, sizeof(struct patch_pin));

    for (guint i = 0; i < live->iothread_ids->len; i++)
        if (!vm_ids_contain(r->live_ids, g_array_index(live->iothread_ids, unsigned, i)))
            g_array_append_val(del, g_array_index(live->iothread_ids, unsigned, i));
    /* Pins as they were; an iothread pinned now but not then is unpinned. */
    for (guint i = 0; i < r->live_pins->len; i++) {
        const struct vm_pin *p = g_ptr_array_index(r->live_pins, i);
        struct patch_pin pp = { .iothread = p->id, .cpuset = p->cpuset };

        g_array_append_val(pin_store, pp);
    }
    for (guint i = 0; i < live->iothreadpins->len; i++) {
        const struct vm_pin *p = g_ptr_array_index(live->iothreadpins, i);
        struct patch_pin pp = { .iothread = p->id, .cpuset = NULL };
        bool known = false;

        for (guint k = 0; k < r->live_pins->len; k++)
            known |= ((struct vm_pin *)g_ptr_array_index(r->live_pins, k))->id == p->id;
        if (!known && vm_ids_contain(r->live_ids, p->id))
            g_array_append_val(pin_store, pp);
    }
    for (guint i = 0; i < pin_store->len; i++)
        g_ptr_array_add(pin_structs, &g_array_index(pin_store, struct patch_pin, i));
    apply_plan_live(plan, live, r->live_ids, del, pin_structs);
}

struct apply_plan *apply_plan_undo(struct session *s, const char *domain, const char *dir,
                                   GError **err)
{
    g_autoptr(ApplyPlan) plan = read_plan_base(s, domain, err);
    g_autoptr(UndoRecord) r = NULL;
    g_autoptr(VmConfig) now = NULL, then = NULL, live = NULL;

    if (!plan)
        return NULL;
    now = parse(plan->xml_before, NULL);
    if (now && !name_round_trips(plan, now, err))
        return NULL;
    r = latest_record(dir, plan, err);
    if (!r || !check_record(plan, r, err))
        return NULL;
    plan->undo = true;
    plan->record = g_strdup(r->file);
    if (plan->persistent) {
        g_autofree char *c_now = domxml_canonical(plan->xml_before, strlen(plan->xml_before), NULL);
        g_autofree char *c_then = domxml_canonical(r->inactive_xml, strlen(r->inactive_xml), NULL);

        if (!c_now || !c_then || strcmp(c_now, c_then) != 0)
            plan->xml_after = g_strdup(r->inactive_xml);
    }
    live = parse(plan->live_before, err);
    if (plan->active && !live)
        return NULL;
    if (plan->active && r->active)
        plan_live_restore(plan, live, r);
    then = parse(plan->xml_after, NULL);
    describe(plan, now, then);
    return g_steal_pointer(&plan);
}
