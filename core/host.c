#include "core/host.h"
#include "core/session_priv.h"

#include <stdlib.h>
#include <string.h>
#include <libvirt/virterror.h>
#include "core/backing.h"
#include "core/domxml.h"
#include "core/host_priv.h"
#include "probes/topology.h"

static const struct host_load_opts default_opts = { .resolve_backing = true };

/* A failed call's error, taken before any further libvirt call overwrites it. */
struct call_error {
    int code;
    char *message;
};

static void call_error_take(struct call_error *ce)
{
    virErrorPtr e = virGetLastError();

    ce->code = e ? e->code : VIR_ERR_OK;
    ce->message = session_last_error();
}

static void call_error_clear(struct call_error *ce)
{
    g_clear_pointer(&ce->message, g_free);
    ce->code = VIR_ERR_OK;
}

static bool connection_lost(virConnectPtr conn, const struct call_error *ce)
{
    return session_error_is_lost(conn, ce->code);
}

static void set_lost(struct session *s, const struct call_error *ce, GError **err)
{
    g_set_error(err, SESSION_ERROR, SESSION_ERROR_LOST, "%s: connection lost: %s", s->uri,
                ce->message ? ce->message : "no reply");
}

static enum vm_state state_from_libvirt(int state)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING: return VM_STATE_RUNNING;
    case VIR_DOMAIN_BLOCKED: return VM_STATE_BLOCKED;
    case VIR_DOMAIN_PAUSED: return VM_STATE_PAUSED;
    case VIR_DOMAIN_SHUTDOWN: return VM_STATE_SHUTDOWN;
    case VIR_DOMAIN_SHUTOFF: return VM_STATE_SHUTOFF;
    case VIR_DOMAIN_CRASHED: return VM_STATE_CRASHED;
    case VIR_DOMAIN_PMSUSPENDED: return VM_STATE_PMSUSPENDED;
    default: return VM_STATE_NOSTATE;
    }
}

/* How describing one domain goes on after a step. */
enum step {
    STEP_OK,    /* go on */
    STEP_KEEP,  /* stop here: the domain is kept with ->error set (vanished, refused, ...) */
    STEP_LOST,  /* the connection is gone: the whole load fails */
};

/* A failed call on one domain: it vanished or failed (kept, with the error), or the
 * connection is lost. */
static enum step domain_call_failed(struct session *s, struct vm_domain *vd, const char *what,
                                    bool *vanished, GError **err)
{
    struct call_error ce = { 0 };
    enum step next = STEP_KEEP;

    call_error_take(&ce);
    if (ce.code == VIR_ERR_NO_DOMAIN) {
        if (vanished)
            *vanished = true;
        g_free(vd->error);
        vd->error = g_strdup_printf("domain '%s' vanished: %s", vd->name, ce.message);
    } else if (connection_lost(s->conn, &ce)) {
        set_lost(s, &ce, err);
        next = STEP_LOST;
    } else if (!vd->error) {
        vd->error = g_strdup_printf("domain '%s': %s: %s", vd->name, what, ce.message);
    }
    call_error_clear(&ce);
    return next;
}

static void resolve_backings(struct vm_config *cfg, const struct host_load_opts *opts)
{
    for (guint i = 0; cfg && i < cfg->disks->len; i++) {
        struct vm_disk *disk = g_ptr_array_index(cfg->disks, i);
        g_autoptr(GError) berr = NULL;

        if (!disk->benchable || !disk->source)
            continue;
        disk->backing = backing_resolve(disk->source, opts->sysfs_root, &berr);
        /* Still benchable in principle: the reason says why it cannot be right now. */
        if (!disk->backing) {
            g_free(disk->reason);
            disk->reason = g_strdup(berr ? berr->message : "unresolved");
        }
    }
}

/* Fetch and parse one XML description into *out. A document that does not parse leaves
 * *out NULL and vd->error set, and the description goes on with the other one. */
static enum step fetch_config(struct session *s, virDomainPtr dom, struct vm_domain *vd,
                              unsigned flags, struct vm_config **out, bool *vanished,
                              GError **err)
{
    const char *what = flags & VIR_DOMAIN_XML_INACTIVE ? "inactive XML" : "live XML";
    g_autoptr(GError) perr = NULL;
    char *xml = virDomainGetXMLDesc(dom, flags);

    *out = NULL;
    if (!xml)
        return domain_call_failed(s, vd, what, vanished, err);
    *out = domxml_parse(xml, strlen(xml), &perr);
    free(xml);
    if (!*out && !vd->error)
        vd->error = g_strdup_printf("domain '%s': %s: %s", vd->name, what, perr->message);
    return STEP_OK;
}

/* What host_load knew of a domain from its listing calls, so that describing it does not
 * ask again: persistence and activity (two list calls for all domains, instead of two
 * round trips per domain). */
struct listed_flags {
    bool persistent, active;
};

/* State and vCPUs from one virDomainGetInfo; persistence and activity from the listing
 * when known, else asked. */
static enum step read_state(struct session *s, virDomainPtr dom, struct vm_domain *vd,
                            const struct listed_flags *known, bool *vanished, GError **err)
{
    virDomainInfo info;
    int persistent, active;

    if (virDomainGetInfo(dom, &info) < 0)
        return domain_call_failed(s, vd, "info", vanished, err);
    vd->state = state_from_libvirt(info.state);
    vd->vcpus = info.nrVirtCpu;
    if (known) {
        vd->persistent = known->persistent;
        vd->active = known->active;
        return STEP_OK;
    }
    persistent = virDomainIsPersistent(dom);
    if (persistent < 0)
        return domain_call_failed(s, vd, "persistence", vanished, err);
    vd->persistent = persistent == 1;
    active = virDomainIsActive(dom);
    if (active < 0)
        return domain_call_failed(s, vd, "activity", vanished, err);
    vd->active = active == 1;
    return STEP_OK;
}

static struct vm_domain *describe_domain(struct session *s, virDomainPtr dom,
                                         const struct host_load_opts *opts,
                                         const struct listed_flags *known, bool *vanished,
                                         GError **err)
{
    g_autoptr(VmDomain) vd = g_new0(struct vm_domain, 1);
    /* Read-only connections are refused VIR_DOMAIN_XML_SECURE. */
    unsigned secure = s->read_only ? 0 : VIR_DOMAIN_XML_SECURE;
    const char *name = virDomainGetName(dom);
    enum step next;

    if (!opts)
        opts = &default_opts;
    if (vanished)
        *vanished = false;
    vd->name = g_strdup(name ? name : "");
    if (virDomainGetUUIDString(dom, vd->uuid) < 0)
        vd->uuid[0] = '\0';
    next = read_state(s, dom, vd, known, vanished, err);
    if (next == STEP_OK && vd->active)
        next = fetch_config(s, dom, vd, secure, &vd->live, vanished, err);
    if (next == STEP_OK && vd->persistent)
        next = fetch_config(s, dom, vd, secure | VIR_DOMAIN_XML_INACTIVE, &vd->inactive,
                            vanished, err);
    if (next == STEP_LOST)
        return NULL;
    if (opts->resolve_backing)
        resolve_backings((struct vm_config *)vm_domain_config(vd), opts);
    return g_steal_pointer(&vd);
}

struct vm_domain *host_describe_domain(struct session *s, virDomainPtr dom,
                                       const struct host_load_opts *opts, bool *vanished,
                                       GError **err)
{
    return describe_domain(s, dom, opts, NULL, vanished, err);
}

static gint compare_domain_names(gconstpointer a, gconstpointer b)
{
    const struct vm_domain *da = *(struct vm_domain *const *)a;
    const struct vm_domain *db = *(struct vm_domain *const *)b;

    return strcmp(da->name, db->name);
}

static void read_host_facts(struct session *s, struct host_model *host)
{
    char *hostname = virConnectGetHostname(s->conn);
    unsigned long version = 0;

    host->uri = g_strdup(s->uri);
    host->hostname = g_strdup(hostname);
    free(hostname);
    host->read_only = s->read_only;
    if (virConnectGetVersion(s->conn, &version) == 0)
        host->hv_version = version;
    version = 0;
    if (virConnectGetLibVersion(s->conn, &version) == 0)
        host->lib_version = version;
}

static bool list_failed(struct session *s, GError **err)
{
    struct call_error ce = { 0 };

    call_error_take(&ce);
    if (connection_lost(s->conn, &ce))
        set_lost(s, &ce, err);
    else
        g_set_error(err, SESSION_ERROR, SESSION_ERROR_CONNECT, "%s: cannot list domains: %s",
                    s->uri, ce.message);
    call_error_clear(&ce);
    return false;
}

static void free_domain_list(virDomainPtr *doms, int n)
{
    for (int i = 0; i < n; i++)
        virDomainFree(doms[i]);
    free(doms);
}

/* Describing a domain is five or six round trips to the daemon, one after the other; with
 * 1000 domains on a real libvirtd that made list 4x slower than `virsh list --all`.
 * libvirt's client is thread-safe and the daemon serves calls concurrently, so a few
 * workers share the one connection. Backings are resolved afterwards, on this thread:
 * their device cache (core/backing.c) is not shared between threads. */
#define DESCRIBE_WORKERS 4

struct describe_pool {
    struct session *s;
    virDomainPtr *doms;
    struct listed_flags *flags;     /* one per domain, from the listing; NULL: ask */
    struct host_load_opts opts;     /* the caller's, with resolve_backing off */
    struct vm_domain **slots;       /* one per domain, in list order */
    GMutex lock;
    GError *err;                    /* the first connection-wide failure */
};

/* data: the domain's index + 1 (a thread pool takes no NULL). */
static void describe_one(gpointer data, gpointer user)
{
    struct describe_pool *p = user;
    gsize i = GPOINTER_TO_SIZE(data) - 1;
    GError *e = NULL;

    p->slots[i] = describe_domain(p->s, p->doms[i], &p->opts, p->flags ? &p->flags[i] : NULL,
                                  NULL, &e);
    if (e) {
        g_mutex_lock(&p->lock);
        if (!p->err)
            p->err = g_steal_pointer(&e);
        g_mutex_unlock(&p->lock);
        g_clear_error(&e);
    }
}

/* The names of the domains a listing with flags gives; NULL when the call fails (then each
 * domain is asked). Caller frees with g_hash_table_unref(). */
static GHashTable *listed_names(struct session *s, unsigned flags)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(s->conn, &doms, flags);
    GHashTable *names;

    if (n < 0) {
        virResetLastError();
        return NULL;
    }
    names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);

        if (name)
            g_hash_table_add(names, g_strdup(name));
        virDomainFree(doms[i]);
    }
    free(doms);
    return names;
}

static struct listed_flags *listed_flags_of(struct session *s, virDomainPtr *doms, int n)
{
    g_autoptr(GHashTable) persistent = listed_names(s, VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
    g_autoptr(GHashTable) active = listed_names(s, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    struct listed_flags *flags;

    if (!persistent || !active || n <= 0)
        return NULL;
    flags = g_new0(struct listed_flags, n);
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);

        flags[i].persistent = name && g_hash_table_contains(persistent, name);
        flags[i].active = name && g_hash_table_contains(active, name);
    }
    return flags;
}

static bool describe_all(struct session *s, virDomainPtr *doms, int n,
                         const struct host_load_opts *opts, GPtrArray *out, GError **err)
{
    struct describe_pool p = { .s = s, .doms = doms, .opts = *opts,
                               .flags = listed_flags_of(s, doms, n) };
    GThreadPool *pool = NULL;
    bool ok = true;

    p.opts.resolve_backing = false;
    p.slots = g_new0(struct vm_domain *, n > 0 ? n : 1);
    g_mutex_init(&p.lock);
    if (n > 1)
        pool = g_thread_pool_new(describe_one, &p, MIN(n, DESCRIBE_WORKERS), TRUE, NULL);
    for (int i = 0; i < n; i++) {
        /* Without threads (none could be made) the same work runs here. */
        if (!pool || !g_thread_pool_push(pool, GSIZE_TO_POINTER((gsize)i + 1), NULL))
            describe_one(GSIZE_TO_POINTER((gsize)i + 1), &p);
    }
    if (pool)
        g_thread_pool_free(pool, FALSE, TRUE);   /* waits for every queued domain */
    for (int i = 0; i < n; i++) {
        if (!p.slots[i]) {
            ok = false;
            continue;
        }
        if (opts->resolve_backing)
            resolve_backings((struct vm_config *)vm_domain_config(p.slots[i]), opts);
        g_ptr_array_add(out, p.slots[i]);
    }
    if (!ok) {
        if (p.err)
            g_propagate_error(err, g_steal_pointer(&p.err));
        else
            g_set_error_literal(err, SESSION_ERROR, SESSION_ERROR_LOST, "describing failed");
    }
    g_clear_error(&p.err);
    g_mutex_clear(&p.lock);
    g_free(p.slots);
    g_free(p.flags);
    return ok;
}

struct host_model *host_load_names(struct session *s, GError **err)
{
    g_autoptr(HostModel) host = g_new0(struct host_model, 1);
    virDomainStatsRecordPtr *records = NULL;
    int n = virConnectGetAllDomainStats(s->conn, VIR_DOMAIN_STATS_STATE, &records, 0);

    if (n < 0) {
        list_failed(s, err);
        return NULL;
    }
    read_host_facts(s, host);
    host->listed_only = true;
    host->domains = g_ptr_array_new_full((guint)n, (GDestroyNotify)vm_domain_free);
    for (int i = 0; i < n; i++) {
        struct vm_domain *vd = g_new0(struct vm_domain, 1);
        const char *name = virDomainGetName(records[i]->dom);
        int state = VIR_DOMAIN_NOSTATE;

        vd->name = g_strdup(name ? name : "");
        if (virDomainGetUUIDString(records[i]->dom, vd->uuid) < 0)
            vd->uuid[0] = '\0';
        if (virTypedParamsGetInt(records[i]->params, records[i]->nparams, "state.state",
                                 &state) < 0)
            virResetLastError();
        vd->state = state_from_libvirt(state);
        vd->active = state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_NOSTATE;
        vd->listed_only = true;
        g_ptr_array_add(host->domains, vd);
    }
    virDomainStatsRecordListFree(records);
    g_ptr_array_sort(host->domains, compare_domain_names);
    return g_steal_pointer(&host);
}

struct host_model *host_load(struct session *s, const struct host_load_opts *opts, GError **err)
{
    g_autoptr(HostModel) host = g_new0(struct host_model, 1);
    virDomainPtr *doms = NULL;
    int n;

    if (!opts)
        opts = &default_opts;
    n = virConnectListAllDomains(s->conn, &doms, 0);
    if (n < 0) {
        list_failed(s, err);
        return NULL;
    }
    read_host_facts(s, host);
    host->domains = g_ptr_array_new_full((guint)n, (GDestroyNotify)vm_domain_free);
    if (!describe_all(s, doms, n, opts, host->domains, err)) {
        free_domain_list(doms, n);
        return NULL;
    }
    free_domain_list(doms, n);
    g_ptr_array_sort(host->domains, compare_domain_names);
    /* The topology is a nicety for pinning advice: without it the listing still stands. */
    host->topology = topology_read(opts->sysfs_root, NULL);
    return g_steal_pointer(&host);
}

struct vm_domain *host_load_domain(struct session *s, const char *name,
                                   const struct host_load_opts *opts, GError **err)
{
    g_autoptr(VmDomain) vd = NULL;
    virDomainPtr dom = virDomainLookupByName(s->conn, name);
    bool vanished = false;

    if (!dom) {
        struct call_error ce = { 0 };

        call_error_take(&ce);
        if (ce.code == VIR_ERR_NO_DOMAIN)
            g_set_error(err, SESSION_ERROR, SESSION_ERROR_NO_DOMAIN, "domain '%s': not found",
                        name);
        else if (connection_lost(s->conn, &ce))
            set_lost(s, &ce, err);
        else
            g_set_error(err, SESSION_ERROR, SESSION_ERROR_CONNECT, "domain '%s': %s", name,
                        ce.message);
        call_error_clear(&ce);
        return NULL;
    }
    vd = host_describe_domain(s, dom, opts, &vanished, err);
    virDomainFree(dom);
    if (vd && vanished) {
        g_set_error(err, SESSION_ERROR, SESSION_ERROR_NO_DOMAIN, "%s", vd->error);
        return NULL;
    }
    return g_steal_pointer(&vd);
}
