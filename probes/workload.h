/* Workloads (DESIGN.md "Workloads") and the offsets they visit. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum workload_kind {
    WL_RANDREAD,
    WL_RANDWRITE,
    WL_MIXED,
    WL_SEQREAD,
    WL_SEQWRITE,
    WL_SYNCWRITE,
    WL_COUNT
};

struct workload {
    const char *name;
    uint32_t block;         /* bytes per I/O */
    uint32_t depth;         /* I/Os in flight */
    unsigned read_pct;      /* 100 = reads only, 0 = writes only */
    bool random;            /* uniform random offsets; else sequential */
    bool flush_each;        /* the guest flushes after every write (syncwrite) */
};

/* The default of each kind; NULL when out of range. */
const struct workload *workload_default(enum workload_kind kind);
int workload_from_name(const char *name);   /* -1 when unknown */
static inline bool workload_writes(const struct workload *w) { return w->read_pct < 100; }

/* Allocated data extents of a regular file in [0, span), from SEEK_DATA/SEEK_HOLE,
 * trimmed to whole blocks. Reads draw offsets only from here: holes cost no device I/O. */
struct extent_map {
    unsigned count;
    uint64_t *start;        /* byte offsets, block-aligned */
    uint64_t *blocks;       /* length of each, in blocks */
    uint64_t *prefix;       /* prefix sums of blocks, for the uniform draw */
    uint64_t total_blocks;
};
/* 0 or -errno. A block device, or a filesystem without SEEK_DATA, gives one extent covering
 * the whole span. */
int extent_map_build(int fd, uint64_t span, uint32_t block, struct extent_map *out);
void extent_map_free(struct extent_map *m);

/* Offset generator: aligned to `block`, inside [0, span), uniform when random (xoshiro256**
 * seeded from `seed`), else sequential wrapping at the end. With a map, draws only from its
 * extents. One per submitting thread; not thread-safe. */
struct offset_gen {
    uint64_t span_blocks;
    uint32_t block;
    bool random;
    uint64_t next_seq;      /* in blocks */
    uint64_t rng[4];
    const struct extent_map *map; /* NULL: the whole span */
};
void offgen_init(struct offset_gen *g, uint64_t span, uint32_t block, bool random,
                 uint64_t seed, const struct extent_map *map);
uint64_t offgen_next(struct offset_gen *g);  /* byte offset */
uint64_t offgen_rand(struct offset_gen *g);  /* the raw 64-bit stream (read/write choice) */
