#include "probes/workload.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#define KiB 1024u
#define MiB (1024u * 1024u)

/* DESIGN.md "Workloads". syncwrite is sequential: what it stands for is a database's
 * commit log, which appends. */
static const struct workload defaults[WL_COUNT] = {
    [WL_RANDREAD]  = { "randread",  4 * KiB, 32, 100, true,  false },
    [WL_RANDWRITE] = { "randwrite", 4 * KiB, 32,   0, true,  false },
    [WL_MIXED]     = { "mixed",     4 * KiB, 32,  70, true,  false },
    [WL_SEQREAD]   = { "seqread",   1 * MiB,  4, 100, false, false },
    [WL_SEQWRITE]  = { "seqwrite",  1 * MiB,  4,   0, false, false },
    [WL_SYNCWRITE] = { "syncwrite", 4 * KiB,  1,   0, false, true  },
};

const struct workload *workload_default(enum workload_kind kind)
{
    if ((unsigned)kind >= WL_COUNT)
        return NULL;
    return &defaults[kind];
}

int workload_from_name(const char *name)
{
    for (int i = 0; name && i < WL_COUNT; i++)
        if (strcmp(defaults[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- extent map ---- */

static void extent_map_append(struct extent_map *m, unsigned *cap, uint64_t start,
                              uint64_t blocks)
{
    if (m->count == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        m->start = g_renew(uint64_t, m->start, *cap);
        m->blocks = g_renew(uint64_t, m->blocks, *cap);
        m->prefix = g_renew(uint64_t, m->prefix, *cap);
    }
    /* prefix[i] = blocks before extent i, so extent i holds the draws
     * [prefix[i], prefix[i] + blocks[i]). */
    m->start[m->count] = start;
    m->blocks[m->count] = blocks;
    m->prefix[m->count] = m->total_blocks;
    m->total_blocks += blocks;
    m->count++;
}

/* Keep the whole blocks of [from, to): a partly allocated block may still read a hole. */
static void extent_map_add_range(struct extent_map *m, unsigned *cap, uint64_t from,
                                 uint64_t to, uint32_t block)
{
    uint64_t first = (from + block - 1) / block;
    uint64_t end = to / block;

    if (end > first)
        extent_map_append(m, cap, first * block, end - first);
}

/* Walks SEEK_DATA/SEEK_HOLE; moves the file offset (engines use pread/pwrite). Returns 1
 * when the filesystem does not know SEEK_DATA, so the caller falls back to the span. */
static int extent_map_scan(int fd, uint64_t span, uint32_t block, struct extent_map *m,
                           unsigned *cap)
{
    uint64_t pos = 0;

    while (pos < span) {
        off_t data = lseek(fd, (off_t)pos, SEEK_DATA);

        if (data < 0) {
            if (errno == ENXIO)         /* no data at or after pos */
                return 0;
            if ((errno == EINVAL || errno == EOPNOTSUPP) && pos == 0)
                return 1;
            return -errno;
        }
        if ((uint64_t)data >= span)
            return 0;

        off_t hole = lseek(fd, data, SEEK_HOLE);

        if (hole < 0)
            return -errno;
        uint64_t end = (uint64_t)hole < span ? (uint64_t)hole : span;

        extent_map_add_range(m, cap, (uint64_t)data, end, block);
        pos = end;
    }
    return 0;
}

int extent_map_build(int fd, uint64_t span, uint32_t block, struct extent_map *out)
{
    struct stat st;
    unsigned cap = 0;

    memset(out, 0, sizeof(*out));
    if (block == 0)
        return -EINVAL;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return -EINVAL;

    /* A block device has no allocation map the kernel shows (a thin LV reads zeros from
     * unprovisioned blocks, but says nothing): the span is taken as data. */
    int rc = S_ISBLK(st.st_mode) ? 1 : extent_map_scan(fd, span, block, out, &cap);

    if (rc == 1) {
        extent_map_free(out);
        extent_map_add_range(out, &cap, 0, span, block);
        rc = 0;
    }
    if (rc < 0)
        extent_map_free(out);
    return rc;
}

void extent_map_free(struct extent_map *m)
{
    g_free(m->start);
    g_free(m->blocks);
    g_free(m->prefix);
    memset(m, 0, sizeof(*m));
}

/* ---- offset generator ---- */

__extension__ typedef unsigned __int128 u128;

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna). */
uint64_t offgen_rand(struct offset_gen *g)
{
    uint64_t *s = g->rng;
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

/* Uniform in [0, n), n > 0, without modulo bias: Lemire's multiply-shift, rejecting the
 * low products that would make some results one draw more likely than others. */
static uint64_t bounded(struct offset_gen *g, uint64_t n)
{
    u128 m = (u128)offgen_rand(g) * n;
    uint64_t low = (uint64_t)m;

    if (low < n) {
        uint64_t threshold = -n % n;

        while (low < threshold) {
            m = (u128)offgen_rand(g) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

void offgen_init(struct offset_gen *g, uint64_t span, uint32_t block, bool random,
                 uint64_t seed, const struct extent_map *map)
{
    uint64_t state = seed;

    memset(g, 0, sizeof(*g));
    g->block = block;
    g->span_blocks = block ? span / block : 0;
    g->random = random;
    g->map = map;
    for (int i = 0; i < 4; i++)
        g->rng[i] = splitmix64(&state);
}

/* Draw index k in [0, total_blocks) → byte offset inside extent i, where
 * prefix[i] <= k < prefix[i] + blocks[i]: the last extent whose prefix is <= k. */
static uint64_t map_offset(const struct extent_map *m, uint64_t k, uint32_t block)
{
    unsigned lo = 0, hi = m->count;     /* answer in [lo, hi) */

    while (hi - lo > 1) {
        unsigned mid = lo + (hi - lo) / 2;

        if (m->prefix[mid] <= k)
            lo = mid;
        else
            hi = mid;
    }
    return m->start[lo] + (k - m->prefix[lo]) * block;
}

/* With a map, draws (random or sequential) run over its total_blocks so that both only
 * visit data. An empty space (no data, or a span below one block) has no valid offset;
 * it gives 0 rather than dividing by zero, and callers check total_blocks first. */
uint64_t offgen_next(struct offset_gen *g)
{
    uint64_t n = g->map ? g->map->total_blocks : g->span_blocks;
    uint64_t k;

    if (n == 0)
        return 0;
    if (g->random) {
        k = bounded(g, n);
    } else {
        if (g->next_seq >= n)
            g->next_seq = 0;
        k = g->next_seq++;
    }
    return g->map ? map_offset(g->map, k, g->block) : k * g->block;
}
