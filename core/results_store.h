/* The results store: one JSON file per finished run (bench --save and the console), written
 * crash-safe, and read back: format 2 is an object, a header saying where, on what and how
 * the run was made, with the cells as bench --json prints them; format 1 (before) is the
 * bare array of cells (docs/json.md "The saved file"). Outside input: every file is
 * checked, a bad one is skipped with the reason, never trusted (tests/fuzz_results.c). */
#pragma once
#include <glib.h>
#include <json-c/json.h>
#include <stdint.h>
#include "core/bench.h"

#define RESULTS_FORMAT 2

/* What a run measured, as the kernel names it, so that two runs of one path can be told to
 * be of one object: a block device by its number, a file by its filesystem and inode. */
enum results_identity_kind { RESULTS_ID_NONE, RESULTS_ID_BLOCK, RESULTS_ID_FILE };
struct results_identity {
    enum results_identity_kind kind;   /* NONE: unknown (format 1, a scratch target) */
    unsigned major, minor;  /* block: the device (rdev); file: its filesystem (dev) */
    uint64_t ino;           /* file */
    uint64_t size;          /* bytes */
};

/* The identity of path now (stat; a block device's size by BLKGETSIZE64); kind NONE when
 * it cannot be read or is neither a file nor a block device. */
void results_identity_of(const char *path, struct results_identity *out);
/* Both known and naming the same object (size aside: a file may grow). */
bool results_identity_same(const struct results_identity *a, const struct results_identity *b);
/* "block 253:3, 10 GiB", "file 8:1 inode 1234, 256 MiB", "unknown". Caller frees with g_free(). */
char *results_identity_text(const struct results_identity *id);

/* A saved run's header. Strings NULL when the file does not say (format 1: all but format). */
struct results_meta {
    int format;             /* 1 or 2 */
    char *tool;             /* "virt-disktune 0.1.0" */
    char *saved_at;         /* UTC ISO 8601 */
    char *host, *uri, *mode;
    struct results_identity identity;
    /* The request: the masks of what was asked (enum bit i); 0 when not said. Its
     * runtime, ramp, rounds, span and seed are the plan's fields. */
    unsigned workload_mask, cache_mask, io_mask;
    uint32_t block, depth;  /* the same for every cell; 0: each workload's own */
};
void results_meta_clear(struct results_meta *m);

/* What the caller knows for the saved file's header (core knows no version, no session). */
struct results_origin {
    const char *tool;       /* "virt-disktune 0.1.0" */
    const char *uri;        /* the connection; NULL: none */
    const char *host;       /* NULL: g_get_host_name() */
    const char *saved_at;   /* NULL: now */
    /* NULL: results_identity_of(plan->target), unless the plan made its target (scratch:
     * a file made for the run and removed) */
    const struct results_identity *identity;
};

/* The saved file's object for plan (format RESULTS_FORMAT). Caller owns it (json_object_put). */
json_object *results_store_json(const struct bench_plan *plan, const struct results_origin *o);

/* Write results_store_json() to dir/bench-<UTC time>-<pid>.json: dir made 0700 when
 * missing, a temporary file created O_CREAT|O_EXCL|O_NOFOLLOW 0600, written, fsync'ed,
 * renamed without replacing anything, and the directory fsync'ed. Returns the final path
 * (caller frees with g_free()), or NULL with BENCH_ERROR_FAILED; nothing is left behind. */
char *results_store_save(const struct bench_plan *plan, const struct results_origin *o,
                         const char *dir, GError **err);

/* The run in a JSON text: a format 2 object, or a format 1 array of cell objects. NULL with
 * BENCH_ERROR_FAILED naming what is wrong in one line (not JSON, "format 3 is newer than
 * this virt-disktune reads (2)", a cell without a known cache, io, workload or status,
 * mixed targets). meta (may be NULL) gets the header; clear it with results_meta_clear().
 * Caller frees with bench_plan_free(). */
struct bench_plan *results_store_parse(const char *json, gsize len, struct results_meta *meta,
                                       GError **err);

/* One saved run. */
struct results_run {
    char *path;
    gint64 mtime;             /* s since the epoch: when it was saved (saved_at, else the
                                 file's mtime) */
    struct bench_plan *plan;  /* target, domain, disk and the cells with their results */
    struct results_meta meta;
};

/* A results file's text: opened (following a symlink only when follow), checked on the open
 * file to be a regular file of at most 16 MiB, read. NULL with *err ("not a regular file of
 * at most 16 MiB", or the errno). *st: the file's stat. Caller frees with g_free(). */
struct stat;
char *results_store_read_file(const char *path, bool follow, gsize *len, struct stat *st,
                              GError **err);

/* Every bench-*.json in dir, newest first; files that cannot be read or parsed are left
 * out and named in *skipped (one line each: "PATH: why"; may be NULL). A missing dir gives
 * an empty array. Caller frees with g_ptr_array_unref() (struct results_run *). */
GPtrArray *results_store_load(const char *dir, GPtrArray **skipped);

/* The newest run of domain's disk in runs (as results_store_load() orders them); NULL
 * when none. Borrowed from runs; a run whose plan a caller took (set to NULL) is skipped. */
const struct results_run *results_store_find(const GPtrArray *runs, const char *domain,
                                             const char *disk);
