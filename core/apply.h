/* Apply and undo through libvirt (DESIGN.md "The data", step 8; the safety model's
 * optimistic configuration changes). Every step is a function here; the CLI and the console
 * only show what they return:
 *
 *   apply_plan_make()   request → plan: the changes in words, each marked now / at next
 *                       start, and the inactive XML before and after (apply_plan_diff)
 *   apply_plan_execute() concurrent-edit check, undo record, define (VALIDATE), live iothread
 *                       calls (LIVE only: the definition carries the config), verify; a
 *                       failure half-way rolls back what was done
 *   apply_plan_undo()   the latest undo record → a plan that restores it, run by the same
 *                       apply_plan_execute()
 *
 * Strings in plans and reports are raw (names from the XML): escape them to show them. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include "core/session.h"

#define APPLY_ERROR apply_error_quark()
GQuark apply_error_quark(void);
enum apply_error_code {
    APPLY_ERROR_USAGE,      /* the request cannot be: bad value, or libvirt/QEMU would
                               refuse it (io=native with cache=writeback, CPU 99) */
    APPLY_ERROR_NOT_FOUND,  /* no such domain or disk, no undo record */
    APPLY_ERROR_REFUSED,    /* read-only connection; an undo record for another domain or
                               one that does not parse */
    APPLY_ERROR_CHANGED,    /* the domain changed since the plan (edit, start, stop) */
    APPLY_ERROR_FAILED,     /* libvirt refused a step (after rollback, see the message) */
    APPLY_ERROR_NOT_VERIFIED, /* done, but what was read back differs */
};

/* ---- the request ---------------------------------------------------------------------- */

struct apply_disk_request {
    char *target;           /* target dev */
    char *cache, *io;       /* NULL: keep; a libvirt name, or "default" */
    int iothread;           /* -1: keep; 0: none; K */
};

struct apply_pin_request {
    unsigned iothread;
    char *cpuset;           /* as typed: "5,6", "0-3,^2" */
};

struct apply_request {
    char *domain;
    GPtrArray *disks;       /* struct apply_disk_request * */
    int iothreads;          /* -1: keep */
    GPtrArray *pins;        /* struct apply_pin_request * */
};

/* Caller frees with apply_request_free(). */
struct apply_request *apply_request_new(const char *domain);
void apply_request_free(struct apply_request *r);
/* "K:CPULIST" (--pin) added to r; false with *err (APPLY_ERROR_USAGE) when it does not
 * parse. */
bool apply_request_add_pin(struct apply_request *r, const char *arg, GError **err);

/* ---- the plan --------------------------------------------------------------------------- */

enum apply_when {
    APPLY_NOW,              /* the running domain changes now (and its definition) */
    APPLY_AT_POWER_CYCLE,   /* running: the definition changes; QEMU at next power-off+start */
    APPLY_AT_START,         /* shut off: the definition changes, used at next start */
    APPLY_WHEN_COUNT
};
/* "now", "at next power-off and start", "at next start". */
const char *apply_when_name(enum apply_when when);

struct apply_change {
    char *text;             /* "vda: cache none → writethrough" */
    enum apply_when when;
    bool live, config;      /* where it is made */
};

struct apply_live_op;       /* one virDomain*IOThread call (core/apply_plan.c) */

struct apply_plan {
    char *domain;
    char uuid[37];
    bool active, persistent;
    bool undo;              /* made by apply_plan_undo() */
    char *record;           /* undo: the record it restores (file name) */
    char *xml_before;       /* the inactive XML (INACTIVE|SECURE) the plan was made from */
    char *live_before;      /* the live XML it was made from; NULL when shut off */
    char *xml_after;        /* to define; NULL when the definition does not change */
    GPtrArray *changes;     /* struct apply_change * */
    GPtrArray *live_ops;    /* struct apply_live_op *, in the order they run */
    unsigned host_cpus;     /* CPUs the host has (virNodeGetCPUMap) */
};

/* A plan for req, read from the domain now. NULL with *err: APPLY_ERROR_USAGE (a value that
 * does not parse, or a change libvirt or QEMU would refuse, with the reason),
 * APPLY_ERROR_NOT_FOUND, or the session's error. A plan with no changes is not an error:
 * the request asks for what is already there. Caller frees with apply_plan_free(). */
struct apply_plan *apply_plan_make(struct session *s, const struct apply_request *req,
                                   GError **err);
void apply_plan_free(struct apply_plan *plan);

/* The unified diff of the inactive XML before and after ("" when it does not change), both
 * written the same way so that only real edits show. Caller frees with g_free(). */
char *apply_plan_diff(const struct apply_plan *plan);

/* ---- doing it ----------------------------------------------------------------------------- */

struct apply_report {
    char *record;           /* the undo record written (full path); NULL for an undo */
    GPtrArray *done;        /* char *: what was done, one line each */
    GPtrArray *checks;      /* char *: each verification, "ok: ..." or "MISMATCH: ..." */
    unsigned mismatches;
    GPtrArray *notes;       /* char *: what was not checked, and why */
};
void apply_report_clear(struct apply_report *r);

/* Carry out plan (apply_plan_make or apply_plan_undo) on s; dir is the undo records'
 * directory (core/statedir.h: statedir_apply_here()). false with *err on failure; the
 * message then says what state the domain is in (rolled back, or not and why). The report is
 * filled as far as the run went. APPLY_ERROR_NOT_VERIFIED: everything was done but what is
 * read back differs (the report's checks say where). */
bool apply_plan_execute(struct session *s, const struct apply_plan *plan, const char *dir,
                        struct apply_report *report, GError **err);

/* Verification alone, of the domain as it is against plan's intent (apply_plan_execute
 * calls it last). Adds to report->checks and ->notes; returns the number of mismatches. */
unsigned apply_verify(struct session *s, const struct apply_plan *plan,
                      struct apply_report *report, GError **err);

/* ---- undo ------------------------------------------------------------------------------- */

/* The plan that restores the domain's latest undo record not yet undone: its inactive XML
 * byte for byte, and its live iothreads and pins. NULL with *err: APPLY_ERROR_NOT_FOUND (no
 * record), APPLY_ERROR_REFUSED (a record that does not parse or was written for another
 * UUID: nothing is written). Caller frees with apply_plan_free(). */
struct apply_plan *apply_plan_undo(struct session *s, const char *domain, const char *dir,
                                   GError **err);

typedef struct apply_request ApplyRequest;
typedef struct apply_plan ApplyPlan;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApplyRequest, apply_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApplyPlan, apply_plan_free)
