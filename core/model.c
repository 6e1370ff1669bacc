#include "core/model.h"

#include <string.h>
#include "core/backing.h"
#include "probes/topology.h"

static const char *const state_names[VM_STATE_COUNT] = {
    [VM_STATE_NOSTATE] = "nostate",
    [VM_STATE_RUNNING] = "running",
    [VM_STATE_BLOCKED] = "blocked",
    [VM_STATE_PAUSED] = "paused",
    [VM_STATE_SHUTDOWN] = "shutdown",
    [VM_STATE_SHUTOFF] = "shutoff",
    [VM_STATE_CRASHED] = "crashed",
    [VM_STATE_PMSUSPENDED] = "pmsuspended",
};

const char *vm_state_name(enum vm_state state)
{
    if ((unsigned)state >= VM_STATE_COUNT)
        return "nostate";
    return state_names[state];
}

const struct vm_config *vm_domain_config(const struct vm_domain *dom)
{
    if (!dom)
        return NULL;
    if (dom->active && dom->live)
        return dom->live;
    if (dom->inactive)
        return dom->inactive;
    return dom->live;
}

const struct vm_disk *vm_domain_pending_disk(const struct vm_domain *dom, const char *target)
{
    const struct vm_disk *want, *now;

    if (!dom->active || !dom->live || !dom->inactive || !target)
        return NULL;
    want = vm_config_find_disk(dom->inactive, target);
    now = vm_config_find_disk(dom->live, target);
    if (want && now && (g_strcmp0(now->cache, want->cache) != 0 ||
                        g_strcmp0(now->io, want->io) != 0 || now->iothread != want->iothread))
        return want;
    return NULL;
}

bool vm_domain_pending_restart(const struct vm_domain *dom)
{
    for (guint i = 0; dom->inactive && i < dom->inactive->disks->len; i++)
        if (vm_domain_pending_disk(dom, ((struct vm_disk *)
                                         g_ptr_array_index(dom->inactive->disks, i))->target))
            return true;
    return false;
}

struct vm_domain *host_model_find_domain(const struct host_model *host, const char *name)
{
    if (!host || !host->domains || !name)
        return NULL;
    for (guint i = 0; i < host->domains->len; i++) {
        struct vm_domain *dom = g_ptr_array_index(host->domains, i);
        if (dom->name && strcmp(dom->name, name) == 0)
            return dom;
    }
    return NULL;
}

struct vm_disk *vm_config_find_disk(const struct vm_config *cfg, const char *target)
{
    if (!cfg || !cfg->disks || !target)
        return NULL;
    for (guint i = 0; i < cfg->disks->len; i++) {
        struct vm_disk *disk = g_ptr_array_index(cfg->disks, i);
        if (disk->target && strcmp(disk->target, target) == 0)
            return disk;
    }
    return NULL;
}

struct vm_config *vm_config_new(void)
{
    struct vm_config *cfg = g_new0(struct vm_config, 1);

    cfg->disks = g_ptr_array_new_with_free_func((GDestroyNotify)vm_disk_free);
    cfg->iothread_ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
    cfg->vcpupins = g_ptr_array_new_with_free_func((GDestroyNotify)vm_pin_free);
    cfg->iothreadpins = g_ptr_array_new_with_free_func((GDestroyNotify)vm_pin_free);
    return cfg;
}

void vm_disk_free(struct vm_disk *disk)
{
    if (!disk)
        return;
    g_free(disk->type);
    g_free(disk->device);
    g_free(disk->bus);
    g_free(disk->target);
    g_free(disk->source);
    g_free(disk->source_protocol);
    g_free(disk->source_pool);
    g_free(disk->source_volume);
    g_free(disk->driver_name);
    g_free(disk->driver_type);
    g_free(disk->cache);
    g_free(disk->io);
    g_free(disk->reason);
    backing_free(disk->backing);
    g_free(disk);
}

void vm_pin_free(struct vm_pin *pin)
{
    if (!pin)
        return;
    g_free(pin->cpuset);
    g_free(pin);
}

void vm_config_free(struct vm_config *cfg)
{
    if (!cfg)
        return;
    g_ptr_array_unref(cfg->disks);
    g_array_unref(cfg->iothread_ids);
    g_ptr_array_unref(cfg->vcpupins);
    g_ptr_array_unref(cfg->iothreadpins);
    g_free(cfg->emulatorpin);
    g_free(cfg->domain_type);
    g_free(cfg->emulator);
    g_free(cfg->name);
    g_free(cfg);
}

void vm_domain_free(struct vm_domain *dom)
{
    if (!dom)
        return;
    g_free(dom->name);
    vm_config_free(dom->live);
    vm_config_free(dom->inactive);
    g_free(dom->error);
    g_free(dom);
}

void host_model_free(struct host_model *host)
{
    if (!host)
        return;
    g_free(host->uri);
    g_free(host->hostname);
    if (host->domains)
        g_ptr_array_unref(host->domains);
    topology_free(host->topology);
    g_free(host);
}

/* Threads per core is the most CPUs any core has online, not online / cores: one offline
 * sibling would otherwise round the whole host down to one thread per core. */
char *model_topology_summary(const struct cpu_topology *t)
{
    g_autoptr(GHashTable) sockets = NULL;
    g_autoptr(GHashTable) cores = NULL;
    unsigned online = 0, threads = 0, total;
    GString *s;

    if (!t || !t->cpus || t->cpus->len == 0)
        return g_strdup("CPU topology unknown");
    sockets = g_hash_table_new(g_direct_hash, g_direct_equal);
    cores = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    total = t->cpus->len;
    for (unsigned i = 0; i < total; i++) {
        const struct topology_cpu *cpu = &g_array_index(t->cpus, struct topology_cpu, i);
        char *key;
        unsigned n;

        if (!cpu->online)
            continue;
        online++;
        if (cpu->socket < 0 || cpu->core < 0)
            continue;
        g_hash_table_add(sockets, GINT_TO_POINTER(cpu->socket + 1));
        key = g_strdup_printf("%d:%d", cpu->socket, cpu->core);
        n = GPOINTER_TO_UINT(g_hash_table_lookup(cores, key)) + 1;
        g_hash_table_insert(cores, key, GUINT_TO_POINTER(n));
        threads = MAX(threads, n);
    }
    s = g_string_new(NULL);
    g_string_append_printf(s, "%u CPU%s", online, online == 1 ? "" : "s");
    if (online != total)
        g_string_append_printf(s, " online of %u", total);
    if (g_hash_table_size(cores) > 0) {
        unsigned ns = g_hash_table_size(sockets), nc = g_hash_table_size(cores);

        g_string_append_printf(s, " (%u socket%s, %u core%s, %u thread%s/core)",
                               ns, ns == 1 ? "" : "s", nc, nc == 1 ? "" : "s",
                               threads, threads == 1 ? "" : "s");
    }
    if (t->nodes && t->nodes->len > 0)
        g_string_append_printf(s, ", %u NUMA node%s", t->nodes->len,
                               t->nodes->len == 1 ? "" : "s");
    return g_string_free(s, FALSE);
}

void model_topology_counts(const struct cpu_topology *t, unsigned *cpus, unsigned *nodes)
{
    *cpus = t && t->cpus ? t->cpus->len : 0;
    *nodes = t && t->nodes ? MAX(t->nodes->len, 1u) : 1;
}

const char *vm_config_iothread_pin(const struct vm_config *cfg, unsigned id)
{
    for (guint i = 0; cfg && i < cfg->iothreadpins->len; i++) {
        const struct vm_pin *p = g_ptr_array_index(cfg->iothreadpins, i);

        if (p->id == id)
            return p->cpuset;
    }
    return NULL;
}

bool vm_ids_contain(const GArray *ids, unsigned id)
{
    for (guint i = 0; ids && i < ids->len; i++)
        if (g_array_index(ids, unsigned, i) == id)
            return true;
    return false;
}
