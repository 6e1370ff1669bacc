/* The host as the operator sees it: domains, their disks and what lies under each disk.
 * Built by core/host.c from one libvirt connection; read by list, bench, the console and,
 * later, apply. Strings are raw (as libvirt gave them): escape with textesc_escape() before
 * showing them anywhere. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct backing;       /* core/backing.h: what lies under a disk's source */
struct cpu_topology;  /* probes/topology.h */

/* One <disk> of a domain definition. */
struct vm_disk {
    char *type;            /* file | block | network | volume | nvme | vhostuser | dir | ... */
    char *device;          /* disk | cdrom | floppy | lun */
    char *bus;             /* virtio | scsi | sata | ide | ... (NULL when absent) */
    char *target;          /* target dev: vda, sdb, ... (the key of a disk) */
    char *source;          /* file or dev path; "protocol://host/name" for network;
                              "pool/volume" for volume; NULL when no media */
    char *source_protocol; /* network only */
    char *source_pool, *source_volume; /* volume only */
    char *driver_name;     /* qemu */
    char *driver_type;     /* raw | qcow2 | ... */
    char *cache;           /* NULL when the XML leaves it to the hypervisor's default */
    char *io;              /* NULL likewise */
    int iothread;          /* 0 when none */
    bool iothread_from_controller; /* the iothread sits on the virtio-scsi controller */
    int scsi_controller;   /* a scsi disk's controller index; -1 on another bus */
    bool readonly, shareable;
    int backing_chain_len; /* number of <backingStore> layers with a source */

    bool benchable;        /* false: reason says why (network, no media, ...) */
    char *reason;
    struct backing *backing; /* resolved backing, NULL when not benchable or unresolved */
};

struct vm_pin {
    unsigned id;           /* vcpu or iothread id */
    char *cpuset;          /* as in the XML: "0-1,5" */
};

/* The parts of one domain XML document (live or inactive) this tool reads and will edit. */
struct vm_config {
    GPtrArray *disks;       /* struct vm_disk *, in XML order */
    unsigned niothreads;    /* <iothreads> */
    GArray *iothread_ids;   /* unsigned: the effective ids (libvirt 9 fills 1..N around
                               the given <iothreadids>, see DESIGN.md) */
    GPtrArray *vcpupins;    /* struct vm_pin * */
    GPtrArray *iothreadpins;/* struct vm_pin * */
    char *emulatorpin;      /* NULL when none */
    unsigned vcpus;         /* <vcpu> current */
    unsigned max_vcpus;     /* <vcpu> */
    char *name;             /* <name> as the XML gives it (apply checks it round-trips) */
    char *domain_type;      /* kvm | qemu | test | ... */
    char *emulator;         /* <devices><emulator> */
};

enum vm_state {
    VM_STATE_NOSTATE,
    VM_STATE_RUNNING,
    VM_STATE_BLOCKED,
    VM_STATE_PAUSED,
    VM_STATE_SHUTDOWN,
    VM_STATE_SHUTOFF,
    VM_STATE_CRASHED,
    VM_STATE_PMSUSPENDED,
    VM_STATE_COUNT
};

struct vm_domain {
    char *name;
    char uuid[37];
    enum vm_state state;
    bool active;            /* running, paused, ...: anything but shut off */
    bool persistent;        /* false: transient */
    unsigned vcpus;         /* from virDomainGetInfo */
    struct vm_config *live;     /* NULL when not active */
    struct vm_config *inactive; /* NULL when transient */
    char *error;            /* set when the domain could not be described (vanished, ...);
                               the other fields then hold what was known */
    bool listed_only;       /* host_load_names(): name and state only, no vCPUs or XML yet */
};

struct host_model {
    char *uri;              /* the connection's canonical URI */
    char *hostname;
    bool read_only;         /* writing was refused: the connection fell back to read-only */
    unsigned long hv_version;   /* virConnectGetVersion: major*1000000+minor*1000+release */
    unsigned long lib_version;
    GPtrArray *domains;     /* struct vm_domain *, sorted by name */
    struct cpu_topology *topology; /* NULL when it could not be read */
    bool listed_only;       /* host_load_names(): the descriptions are still to come */
};

const char *vm_state_name(enum vm_state state);

/* The configuration to show for a domain: live when running, else inactive. */
const struct vm_config *vm_domain_config(const struct vm_domain *dom);
/* A running domain whose persistent definition gives a disk another cache, io or iothread:
 * QEMU cannot change those live, so they wait for a power-off and start (DESIGN.md). */
bool vm_domain_pending_restart(const struct vm_domain *dom);
/* The definition's disk `target` when it differs from what the running domain has (the
 * change waits for a power-off and start); NULL otherwise. Borrowed from dom. */
const struct vm_disk *vm_domain_pending_disk(const struct vm_domain *dom, const char *target);
struct vm_domain *host_model_find_domain(const struct host_model *host, const char *name);
struct vm_disk *vm_config_find_disk(const struct vm_config *cfg, const char *target);

/* The cpuset of iothread id's <iothreadpin> in cfg; NULL when it has none. Borrowed. */
const char *vm_config_iothread_pin(const struct vm_config *cfg, unsigned id);
/* Whether an array of unsigned ids (vm_config.iothread_ids) holds id. */
bool vm_ids_contain(const GArray *ids, unsigned id);

struct vm_config *vm_config_new(void);
void vm_disk_free(struct vm_disk *disk);
void vm_pin_free(struct vm_pin *pin);
void vm_config_free(struct vm_config *cfg);
void vm_domain_free(struct vm_domain *dom);
void host_model_free(struct host_model *host);

/* Names for g_autoptr() only: g_autoptr(HostModel) host = ...; */
typedef struct vm_config VmConfig;
typedef struct vm_domain VmDomain;
typedef struct host_model HostModel;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmConfig, vm_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmDomain, vm_domain_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HostModel, host_model_free)

/* The host's CPUs in one line: "7 CPUs online of 8 (2 sockets, 4 cores, 2 threads/core),
 * 2 NUMA nodes"; "CPU topology unknown" for NULL. Caller frees with g_free(). */
char *model_topology_summary(const struct cpu_topology *t);
/* CPUs known and NUMA nodes (at least 1). */
void model_topology_counts(const struct cpu_topology *t, unsigned *cpus, unsigned *nodes);
