/* The view model of the iothread pin editor (p): the host's CPUs by NUMA node and core,
 * hyperthread siblings side by side, each marked with what is pinned there (this domain's
 * vCPUs and emulator, other running domains' vCPUs, emulator and iothreads by name), and one
 * row per iothread of the domain with its CPUs and the disks that use it. The editor's
 * state is plain data; its checks are apply's (a CPU the host lacks, a cpuset that does not
 * parse, an iothread a disk uses). Pure, unit-tested (tests/test_view_pins.c). */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include "core/apply.h"
#include "core/model.h"

struct cpu_topology;
struct iothread_suggestion;

struct view_pins_row {
    unsigned id;
    GArray *cpus;           /* unsigned, sorted: the CPUs it is pinned to; empty: not pinned */
    char *typed;            /* a CPU list being typed; NULL when none */
    bool added;             /* a new iothread (`+`) */
    char *why;              /* the suggestion's reason for this row (raw); NULL when none */
};

struct view_pins_state {
    char *domain;           /* raw */
    GPtrArray *rows;        /* struct view_pins_row * */
    unsigned original;      /* the iothread count when the editor opened */
    GPtrArray *original_pins; /* char *cpuset per original row (NULL: not pinned) */
    GArray *original_ids;   /* unsigned: the id of each original row */
    unsigned row;           /* the iothread under the cursor */
    unsigned cpu;           /* index of the CPU under the cursor (the topology's order) */
    char *error;            /* why the last key was refused, raw; NULL when none */
    GPtrArray *suggested;   /* struct view_pins_row *: the rows as the suggestion has them;
                               NULL when there is none (no topology, no busy disk) */
    char *suggestion;       /* its one-line summary, raw; NULL likewise */
    bool showing_suggestion; /* the rows are the suggestion's (o switches) */
};

/* The editor opened on dom: its iothreads and pins from its definition (the live ones for a
 * transient domain). Caller frees with view_pins_state_free(). */
struct view_pins_state *view_pins_state_new(const struct vm_domain *dom);
void view_pins_state_free(struct view_pins_state *st);

/* Open on the suggestion (core/iothread_suggest.h): each of its iothreads pinned to its CPU,
 * iothreads it adds added as `+` adds them, the domain's other rows as they are. An
 * iothread it leaves unpinned keeps its current pins. A suggestion without iothreads leaves
 * st as it is. */
void view_pins_preselect(struct view_pins_state *st, const struct iothread_suggestion *s);
/* o: the domain's current pins when the rows are the suggestion's, else the suggestion
 * again; edits since are dropped. Nothing without a suggestion. */
void view_pins_switch(struct view_pins_state *st);

/* The editing steps; each sets or clears st->error. host_cpus: the CPUs the host has. */
void view_pins_toggle(struct view_pins_state *st, const struct cpu_topology *t);
void view_pins_type(struct view_pins_state *st, int ch, unsigned host_cpus);
void view_pins_erase(struct view_pins_state *st, unsigned host_cpus);
void view_pins_add(struct view_pins_state *st);
void view_pins_remove(struct view_pins_state *st, const struct vm_domain *dom);
/* The request the editor stands for; NULL with st->error set when it cannot be one (a
 * typed list, on any row, that does not parse or names a CPU past host_cpus; an iothread
 * removed and another added, which a count cannot say; nothing changed). Caller frees with
 * apply_request_free(). */
struct apply_request *view_pins_request(struct view_pins_state *st, unsigned host_cpus);

struct view_pin_cell {
    unsigned cpu;
    bool chosen;            /* in the cursor iothread's CPUs */
    bool cursor;
    bool mine;              /* this domain's vCPU or emulator is pinned there */
    bool others;            /* another running domain has something pinned there */
    bool online;
};

struct view_pin_core {
    char *label;            /* "core 0" */
    GArray *cells;          /* struct view_pin_cell: the core's hyperthread siblings */
};

struct view_pin_node {
    char *label;            /* "node 0", or "CPUs" without NUMA */
    GPtrArray *cores;       /* struct view_pin_core * */
};

struct view_pins {
    char *title;
    GPtrArray *nodes;       /* struct view_pin_node * */
    char *cursor_cpu;       /* "CPU 3: web2 vcpu 0, db1 iothread 1" (escaped) */
    GPtrArray *rows;        /* char *: "iothread 1  CPUs 0-1  disks vda, vdb" */
    unsigned sel_row;
    char *error;            /* escaped; NULL when none */
    char *note;             /* what Enter will do: live and config, or config only */
    char *origin;           /* "preselected: the suggestion (...); o: the domain's current
                               pins" or the other way round (escaped); NULL: no suggestion */
    char *why;              /* the suggestion's reason for the cursor row (escaped); NULL */
    char *legend;
};

/* Caller frees with view_pins_free(). */
struct view_pins *view_pins_build(const struct view_pins_state *st,
                                  const struct cpu_topology *t, const struct host_model *host,
                                  const struct vm_domain *dom);
void view_pins_free(struct view_pins *v);

typedef struct view_pins ViewPins;
typedef struct view_pins_state ViewPinsState;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ViewPins, view_pins_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ViewPinsState, view_pins_state_free)
