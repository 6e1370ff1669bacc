/* View models of the console: plain structs of strings and numbers, built by pure functions
 * from core's struct host_model. The panes only draw them, so everything the screen says
 * is decided here and unit-tested without a terminal. Every string from domain XML is
 * already escaped (core/textesc.h). */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include "core/model.h"

struct view_header {
    char *uri;
    char *hostname;      /* "…" while loading */
    char *cpus;          /* "2 CPUs (1 socket, 2 cores, 1 thread/core), 1 NUMA node";
                            "" while loading */
    bool read_only;
    char *banner;        /* "READ-ONLY: <why>" when read_only, else NULL */
};

struct view_domain_row {
    char *name;
    const char *state;   /* vm_state_name() */
    bool active;
    unsigned vcpus;
    unsigned iothreads;
    bool has_error;
    bool listed_only;    /* vcpus and iothreads not known yet: the pane shows "…" */
};

struct view_disk_row {
    char *target;
    char *bus;           /* "-" when absent */
    char *source;        /* "(no media)" when none */
    char *settings;      /* "cache=none io=native iothread=1", as in the XML */
    char *pending;       /* "pending (at next power-off and start): io=io_uring", what the
                            definition changes; NULL when it and the running domain agree */
    char *beneath;       /* backing_describe(), or why it is not benchable */
    bool benchable;
};

struct view_disks {
    char *title;         /* "web1, running, 2 vCPUs, 2 iothreads" */
    char *pins;          /* "pins: vcpu 0:0 1:1, emulator 0-1, iothread 1:0"; NULL: none */
    char *error;         /* the domain could not be described; NULL otherwise */
    GPtrArray *disks;    /* struct view_disk_row *, in the order of the definition */
};

/* uri, read_only and fallback_reason come from the session (known before the host is
 * loaded); host adds the hostname and CPUs and may be NULL while loading.
 * Caller frees with view_header_free(). */
struct view_header *view_header_build(const char *uri, bool read_only, const char *fallback_reason,
                                      const struct host_model *host);
void view_header_free(struct view_header *h);

/* One row per domain, in the model's order (sorted by name). host may be NULL (still
 * loading): an empty array. Caller frees with g_ptr_array_unref(). */
GPtrArray *view_domains_build(const struct host_model *host);

/* The disks pane of one domain. dom may be NULL (nothing selected): no disks, title "".
 * Caller frees with view_disks_free(). */
struct view_disks *view_disks_build(const struct vm_domain *dom);
void view_disks_free(struct view_disks *v);

/* The longest prefix of s that fits in width columns as the current locale shows it (wide
 * characters count two); a character the locale cannot show becomes one '?'.
 * Caller frees with g_free(). */
char *view_fit(const char *s, int width);

typedef struct view_header ViewHeader;
typedef struct view_disks ViewDisks;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ViewHeader, view_header_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ViewDisks, view_disks_free)
