/* A recommendation for one disk from its results: the cache/io combination to apply, every
 * reason in a sentence the operator reads, and the warnings that go with it (DESIGN.md's
 * advice). Pure: the caller gathers the results, the disk's backing and domain, the QEMU
 * version and the profile; `bench`, `recommend` and the console show the same answer.
 *
 * How it decides (each step says itself in reasons):
 *  1. the profile: a weight per workload (a named profile, NAME=N pairs, or else the
 *     workloads that were run, alike);
 *  2. each valid combination's score: per workload its IOPS over the best cell's, weighted;
 *     its noise the same sum of the cells' spreads (max - min over the rounds);
 *  3. a random-read cell (randread, mixed) served from the host's page cache counts 0 for
 *     that workload (and adds nothing to the noise);
 *  4. writeback and unsafe never win unless allow_volatile (the would-be winner is named);
 *  5. the top allowed combination wins when its lead is beyond the noise; otherwise among
 *     the tied ones the current setting, then the safer cache (none/directsync over
 *     writethrough over writeback over unsafe), then QEMU's and virt-install's default for
 *     the backing (block: none+native; file: none+threads), then the higher score. With one
 *     round no spread is measured: no tie, and the reason says so. */
#pragma once
#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>
#include "core/bench.h"

#define RECOMMEND_ERROR (recommend_error_quark())
GQuark recommend_error_quark(void);
enum recommend_error {
    RECOMMEND_ERROR_USAGE,    /* a profile that does not parse */
    RECOMMEND_ERROR_NO_DATA,  /* nothing to decide on: no weighted workload ran ok */
};

/* Weights per workload (percent or any scale; 0: not weighed). */
struct recommend_profile {
    double weight[WL_COUNT];
    char *name;     /* "random", "database", "custom", "the workloads run" */
};

/* --profile: "random" (randread 50, randwrite 50), "sequential" (seqread 50, seqwrite 50),
 * "database" (syncwrite 50, randread 30, randwrite 20), "mixed" (mixed 100), or NAME=N
 * pairs where NAME is a workload or one of those profiles (its weights scaled to N):
 * "random=70,syncwrite=30". NULL text: every weight 0 (the workloads run decide). false
 * with RECOMMEND_ERROR_USAGE naming the bad part. Clear with recommend_profile_clear(). */
bool recommend_profile_parse(const char *text, struct recommend_profile *out, GError **err);
void recommend_profile_clear(struct recommend_profile *p);

/* What the recommendation knows besides the results. Strings are borrowed. */
struct recommend_input {
    const struct bench_plan *plan;          /* the results (a finished run) */
    const struct recommend_profile *profile; /* NULL or all 0: the workloads run, alike */
    bool allow_volatile;                    /* --allow-volatile */
    const char *current_cache, *current_io; /* the disk's settings; NULL: QEMU's default */
    bool block;                             /* the backing is a block device (else a file) */
    bool lvm;                               /* ... an LVM logical volume */
    bool rotational;
    const char *fstype;                     /* a file's filesystem; NULL */
    bool domain_active;                     /* the domain runs: cache/io wait for a restart */
    unsigned iothreads;                     /* the domain's iothreads (after the advice) */
    unsigned long qemu_version;             /* major*1000000+minor*1000+micro; 0 unknown */
};

struct vm_domain;
struct vm_disk;
/* The disk's part of in (current cache/io, backing kind, LVM, rotational, filesystem) and
 * the domain's (running, iothreads), from the host model; borrowed strings. */
void recommend_input_from_disk(struct recommend_input *in, const struct vm_domain *dom,
                               const struct vm_disk *disk);

/* One combination's standing. */
struct recommend_score {
    enum cache_mode cache;
    enum io_mode io;
    double score;       /* weighted IOPS over each workload's best, 0..1 */
    double noise;       /* the same weighting of the cells' spreads */
    bool tie;           /* within the noise of the top allowed combination */
    bool volatile_;     /* writeback or unsafe */
};

struct recommendation {
    enum cache_mode cache;
    enum io_mode io;
    double score;
    GArray *scores;         /* struct recommend_score, best first (every candidate) */
    GPtrArray *reasons;     /* char *: the decision, in the order of the steps above */
    GPtrArray *warnings;    /* char *: advice that goes with the choice */
    bool volatile_winner;   /* a volatile combination would have won without step 4 */
    enum cache_mode would_cache;
    enum io_mode would_io;
    double weight[WL_COUNT];/* the profile used (0: not weighed), percent */
};

/* The recommendation for in->plan. NULL with RECOMMEND_ERROR_NO_DATA when no weighted
 * workload has an ok cell in an allowed combination. Caller frees with recommendation_free(). */
struct recommendation *recommend_disk(const struct recommend_input *in, GError **err);
void recommendation_free(struct recommendation *r);

/* The reasons ("  - ...") and warnings ("  warning: ...") as lines of text, every line
 * escaped for a terminal (core/textesc.h). Caller frees. */
char *recommendation_text(const struct recommendation *r);

/* "--cache none --io native": the apply options that carry it out. Caller frees. */
char *recommendation_apply_args(const struct recommendation *r);

/* docs/json.md "recommend --json": cache, io, score, profile, reasons, warnings, would_win,
 * scores. Caller owns the object. */
json_object *recommendation_to_json(const struct recommendation *r);

typedef struct recommendation Recommendation;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Recommendation, recommendation_free)
