/* How many iothreads a domain's disks want and which CPU each should be pinned to, with the
 * reason for every choice. Pure: it reads the host model and the topology, nothing else.
 *
 * The rules (docs/json.md "iothread suggestion" shows the result):
 * - Each busy disk gets an iothread of its own; the disks of one virtio-scsi controller count
 *   as one (QEMU runs a controller's disks in the controller's one iothread).
 * - Used CPUs: every CPU in the vcpupin, emulatorpin and iothreadpin cpusets of the other
 *   active domains (their live configuration), and this domain's own vCPU pins (its
 *   definition's and, when it runs, its live ones). An unpinned vCPU floats over every CPU,
 *   so it reserves none. Free CPUs: the online CPUs nobody uses.
 * - The limit: one iothread per free CPU, less one CPU left to the host's own work when
 *   more than two are free. With no free CPU at all, one iothread, not pinned, serves them.
 * - Each iothread gets one free CPU: on the NUMA node of its disk's device, a CPU whose
 *   whole core is free (no sibling used or already chosen) before a sibling; when its node
 *   has no free CPU, the nearest other node's (sysfs node distances, else node numbers).
 * - Busy disks past the limit share the iothread with the fewest disks on their node (or
 *   anywhere), said in its reason.
 * - Ids: a disk keeps the iothread id it has; the others take the domain's unused ids, then
 *   the lowest free ones (what the pin editor's `+` and libvirt give).
 * Strings are raw (domain names and targets as libvirt gave them): escape them with
 * textesc_escape() before showing them. */
#pragma once
#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>
#include "core/model.h"

#define IOTHREAD_SUGGEST_ERROR (iothread_suggest_error_quark())
GQuark iothread_suggest_error_quark(void);
enum iothread_suggest_error {
    IOTHREAD_SUGGEST_ERROR_NO_TOPOLOGY,  /* the host's CPU topology is unknown */
};

/* One disk as the suggestion sees it. */
struct iothread_disk {
    const char *target;     /* vda; borrowed */
    int numa_node;          /* the NUMA node of its device; -1 unknown */
    bool busy;              /* false: left out of the suggestion */
    unsigned iothread;      /* the iothread it uses now; 0 none */
    int controller;         /* >= 0: a scsi disk on this virtio-scsi controller; -1 otherwise */
};

/* The disks of dom's definition (the live one for a transient domain) that can use an
 * iothread (virtio, or scsi on a virtio-scsi controller that carries one), each busy when
 * benchable, its NUMA node from its resolved backing (the block device, or the device under
 * a file's filesystem, or the first device under a device-mapper one that has a node).
 * Targets are borrowed from dom. *n is set to the count. Caller frees with g_free(). */
struct iothread_disk *iothread_suggest_disks(const struct vm_domain *dom, guint *n);

struct iothread_pick {
    unsigned id;
    GPtrArray *disks;       /* char *: the targets it serves, in the domain's order */
    char *cpuset;           /* "2"; NULL: not pinned (no free CPU) */
    int node;               /* the NUMA node of its CPU; -1 when not pinned or unknown */
    char *why;              /* one sentence: "iothread 1 for vda on CPU 2: NUMA node 0 where
                               vda's device is, a whole core free, off web2's vCPUs (0-1)" */
};

struct iothread_suggestion {
    GPtrArray *iothreads;   /* struct iothread_pick *, by id; empty: no busy disk */
    unsigned busy;          /* busy disks (a virtio-scsi controller's count one each) */
    unsigned free_cpus;     /* online CPUs nobody uses */
    char *free_cpuset;      /* those, "2-3,6"; "" when none */
    unsigned limit;         /* iothreads the free CPUs allow */
    bool own_vcpus_pinned;  /* false: the domain's vCPUs float, reserving no CPU */
    char *summary;          /* one line */
};

/* The suggestion for dom on host (host->topology) from disks[0..ndisks). NULL with *err
 * (IOTHREAD_SUGGEST_ERROR_NO_TOPOLOGY) when the topology is unknown. Caller frees with
 * iothread_suggestion_free(). */
struct iothread_suggestion *iothread_suggest(const struct host_model *host,
                                             const struct vm_domain *dom,
                                             const struct iothread_disk *disks, guint ndisks,
                                             GError **err);
void iothread_suggestion_free(struct iothread_suggestion *s);

/* The JSON view, documented in docs/json.md ("iothread suggestion"). Caller owns the
 * returned object (json_object_put). */
json_object *iothread_suggestion_to_json(const struct iothread_suggestion *s);

typedef struct iothread_suggestion IothreadSuggestion;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(IothreadSuggestion, iothread_suggestion_free)
