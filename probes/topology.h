/* The host's CPUs and NUMA nodes as sysfs shows them: which socket, core and node each
 * logical CPU belongs to, and which CPUs share a core. Pinning iothreads and vCPUs well
 * needs this; the sysfs root is a parameter so tests can use a fake tree. */
#pragma once
#include <glib.h>
#include <stdbool.h>

struct topology_cpu {
    unsigned cpu;           /* N of cpuN */
    bool online;
    int socket;             /* topology/physical_package_id; -1 when unknown (offline CPU) */
    int core;               /* topology/core_id; -1 when unknown */
    int node;               /* NUMA node; -1 when the kernel shows none */
    char *siblings;         /* topology/thread_siblings_list ("0,4"); NULL when unknown */
};

struct topology_node {
    unsigned node;          /* N of nodeN */
    char *cpus;             /* nodeN/cpulist as the kernel writes it ("0-3,8-11") */
    char *distance;         /* nodeN/distance: the ACPI SLIT row, one number per node in
                               node order ("10 21"); NULL when the kernel gives none */
};

struct cpu_topology {
    GArray *cpus;           /* struct topology_cpu, sorted by cpu */
    GArray *nodes;          /* struct topology_node, sorted by node; empty without NUMA */
};

/* Read <sysfs_root>/devices/system/cpu/cpuN and <sysfs_root>/devices/system/node/nodeN.
 * sysfs_root NULL means "/sys". A CPU's node comes from the nodeN link in its directory,
 * else from the node whose cpulist names it. NULL with *err when the cpu directory cannot
 * be read or lists no CPU. Caller frees with topology_free(). */
struct cpu_topology *topology_read(const char *sysfs_root, GError **err);
void topology_free(struct cpu_topology *t);

/* The entry for a CPU number, NULL when there is none. */
const struct topology_cpu *topology_find_cpu(const struct cpu_topology *t, unsigned cpu);

typedef struct cpu_topology CpuTopology;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CpuTopology, topology_free)
