#include "probes/topology.h"
#include "probes/sysfs.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int read_int(const char *dir, const char *name)
{
    gint64 v;

    if (!sysfs_read_int64(dir, name, &v) || v < 0 || v > INT_MAX)
        return -1;
    return (int)v;
}

/* The number after a fixed prefix ("cpu12" → 12); false for "cpufreq", "cpuidle", ... */
static bool parse_numbered(const char *name, const char *prefix, unsigned *number)
{
    gsize len = strlen(prefix);
    char *end;

    if (strncmp(name, prefix, len) != 0 || !g_ascii_isdigit(name[len]))
        return false;
    errno = 0;
    unsigned long v = strtoul(name + len, &end, 10);
    if (errno || *end != '\0' || v > UINT_MAX)
        return false;
    *number = (unsigned)v;
    return true;
}

/* A kernel cpu list ("0-3,8,10-11"; empty for none). A malformed list contains nothing. */
static bool cpulist_contains(const char *list, unsigned cpu)
{
    g_auto(GStrv) ranges = NULL;

    if (!list)
        return false;
    ranges = g_strsplit(list, ",", -1);
    for (guint i = 0; ranges[i]; i++) {
        unsigned lo, hi;
        char *end;

        if (!g_ascii_isdigit(ranges[i][0]))
            continue;
        lo = hi = (unsigned)strtoul(ranges[i], &end, 10);
        if (*end == '-' && g_ascii_isdigit(end[1]))
            hi = (unsigned)strtoul(end + 1, &end, 10);
        if (*end != '\0')
            continue;
        if (cpu >= lo && cpu <= hi)
            return true;
    }
    return false;
}

static gint compare_cpus(gconstpointer a, gconstpointer b)
{
    unsigned x = ((const struct topology_cpu *)a)->cpu, y = ((const struct topology_cpu *)b)->cpu;
    return (x > y) - (x < y);
}

static gint compare_nodes(gconstpointer a, gconstpointer b)
{
    unsigned x = ((const struct topology_node *)a)->node;
    unsigned y = ((const struct topology_node *)b)->node;
    return (x > y) - (x < y);
}

static void clear_cpu(gpointer p)
{
    g_free(((struct topology_cpu *)p)->siblings);
}

static void clear_node(gpointer p)
{
    g_free(((struct topology_node *)p)->cpus);
    g_free(((struct topology_node *)p)->distance);
}

void topology_free(struct cpu_topology *t)
{
    if (!t)
        return;
    if (t->cpus)
        g_array_unref(t->cpus);
    if (t->nodes)
        g_array_unref(t->nodes);
    g_free(t);
}

static void read_nodes(struct cpu_topology *t, const char *root)
{
    g_autofree char *dir = g_build_filename(root, "devices", "system", "node", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        struct topology_node node = { 0 };
        g_autofree char *node_dir = NULL;

        if (!parse_numbered(name, "node", &node.node))
            continue;
        node_dir = g_build_filename(dir, name, NULL);
        node.cpus = sysfs_read_attr(node_dir, "cpulist");
        if (!node.cpus)
            node.cpus = g_strdup("");
        node.distance = sysfs_read_attr(node_dir, "distance");
        g_array_append_val(t->nodes, node);
    }
    g_array_sort(t->nodes, compare_nodes);
}

/* The kernel links cpuN/nodeM when NUMA is configured; older or unusual trees only have
 * the node's cpulist. */
static int node_of_cpu(const struct cpu_topology *t, const char *cpu_dir, unsigned cpu)
{
    g_autoptr(GDir) d = g_dir_open(cpu_dir, 0, NULL);
    const char *name;
    unsigned node;

    while (d && (name = g_dir_read_name(d)))
        if (parse_numbered(name, "node", &node) && node <= INT_MAX)
            return (int)node;
    for (guint i = 0; i < t->nodes->len; i++) {
        const struct topology_node *n = &g_array_index(t->nodes, struct topology_node, i);
        if (cpulist_contains(n->cpus, cpu))
            return (int)n->node;
    }
    return -1;
}

/* cpu0 often has no "online" file (it cannot be taken offline): then the global online
 * list decides, and without that the CPU is taken as online. */
static bool cpu_online(const char *cpu_dir, const char *online_list, unsigned cpu)
{
    int v = read_int(cpu_dir, "online");

    if (v >= 0)
        return v != 0;
    if (online_list)
        return cpulist_contains(online_list, cpu);
    return true;
}

static struct topology_cpu read_cpu(const struct cpu_topology *t, const char *cpu_dir,
                                    const char *online_list, unsigned number)
{
    g_autofree char *topo = g_build_filename(cpu_dir, "topology", NULL);
    struct topology_cpu cpu = { .cpu = number };

    cpu.online = cpu_online(cpu_dir, online_list, number);
    cpu.socket = read_int(topo, "physical_package_id");
    cpu.core = read_int(topo, "core_id");
    cpu.siblings = sysfs_read_attr(topo, "thread_siblings_list");
    cpu.node = node_of_cpu(t, cpu_dir, number);
    return cpu;
}

struct cpu_topology *topology_read(const char *sysfs_root, GError **err)
{
    const char *root = sysfs_root ? sysfs_root : "/sys";
    g_autofree char *dir = g_build_filename(root, "devices", "system", "cpu", NULL);
    g_autofree char *online_list = sysfs_read_attr(dir, "online");
    g_autoptr(CpuTopology) t = g_new0(struct cpu_topology, 1);
    g_autoptr(GDir) d = NULL;
    const char *name;

    t->cpus = g_array_new(FALSE, TRUE, sizeof(struct topology_cpu));
    g_array_set_clear_func(t->cpus, clear_cpu);
    t->nodes = g_array_new(FALSE, TRUE, sizeof(struct topology_node));
    g_array_set_clear_func(t->nodes, clear_node);
    read_nodes(t, root);

    d = g_dir_open(dir, 0, err);
    if (!d)
        return NULL;
    while ((name = g_dir_read_name(d))) {
        unsigned number;
        g_autofree char *cpu_dir = NULL;

        if (!parse_numbered(name, "cpu", &number))
            continue;
        cpu_dir = g_build_filename(dir, name, NULL);
        struct topology_cpu cpu = read_cpu(t, cpu_dir, online_list, number);
        g_array_append_val(t->cpus, cpu);
    }
    if (t->cpus->len == 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no cpuN directory", dir);
        return NULL;
    }
    g_array_sort(t->cpus, compare_cpus);
    return g_steal_pointer(&t);
}

const struct topology_cpu *topology_find_cpu(const struct cpu_topology *t, unsigned cpu)
{
    for (guint i = 0; t && i < t->cpus->len; i++) {
        const struct topology_cpu *c = &g_array_index(t->cpus, struct topology_cpu, i);
        if (c->cpu == cpu)
            return c;
    }
    return NULL;
}
