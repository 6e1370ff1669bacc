#include "probes/histogram.h"

#include <math.h>
#include <string.h>

/* Bucket layout. Values below HIST_SUB are stored exactly (group 0, width 1). A larger
 * value whose highest set bit is b lies in [2^b, 2^(b+1)); that octave is split into
 * HIST_SUB buckets of width 2^(b - HIST_SUB_BITS), so the width is at most 1/HIST_SUB of
 * the value and the midpoint is within 1/(2 HIST_SUB) of it. Group g (>= 1) holds the
 * octave b = g + HIST_SUB_BITS - 1; with HIST_GROUPS groups the top octave is b = 62, so
 * values of 2^63 and above share the last bucket (percentiles are clamped to the exact
 * max, which keeps them right to within that bucket's width). */

static unsigned bucket_index(uint64_t v)
{
    if (v < HIST_SUB)
        return (unsigned)v;

    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - HIST_SUB_BITS;
    unsigned group = shift + 1;

    if (group >= HIST_GROUPS)
        return HIST_BUCKETS - 1;
    /* v >> shift is in [HIST_SUB, 2 HIST_SUB): drop the implicit leading bit. */
    return group * HIST_SUB + (unsigned)((v >> shift) - HIST_SUB);
}

static uint64_t bucket_low(unsigned idx)
{
    unsigned group = idx / HIST_SUB;
    uint64_t sub = idx % HIST_SUB;

    if (group == 0)
        return sub;
    return (HIST_SUB + sub) << (group - 1);
}

static uint64_t bucket_width(unsigned idx)
{
    unsigned group = idx / HIST_SUB;

    return group == 0 ? 1 : (uint64_t)1 << (group - 1);
}

static uint64_t bucket_mid(unsigned idx)
{
    return bucket_low(idx) + (bucket_width(idx) - 1) / 2;
}

void hist_init(struct histogram *h)
{
    memset(h, 0, sizeof(*h));
}

void hist_record(struct histogram *h, uint64_t value)
{
    if (h->count == 0) {
        h->min = value;
        h->max = value;
    } else {
        if (value < h->min)
            h->min = value;
        if (value > h->max)
            h->max = value;
    }
    h->count++;
    h->sum += (long double)value;
    h->buckets[bucket_index(value)]++;
}

void hist_merge(struct histogram *into, const struct histogram *from)
{
    if (from->count == 0)
        return;
    if (into->count == 0) {
        into->min = from->min;
        into->max = from->max;
    } else {
        if (from->min < into->min)
            into->min = from->min;
        if (from->max > into->max)
            into->max = from->max;
    }
    into->count += from->count;
    into->sum += from->sum;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

uint64_t hist_percentile(const struct histogram *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q > 0.0))             /* also NaN */
        return h->min;
    if (q >= 1.0)
        return h->max;

    /* The smallest value with at least ceil(q * count) records at or below it, the same
     * rank a sorted array would give at index ceil(q * count) - 1. */
    double want = ceil(q * (double)h->count);
    uint64_t rank = want < 1.0 ? 1 : (uint64_t)want;
    uint64_t seen = 0;

    /* The first and the last record are known exactly. */
    if (rank == 1)
        return h->min;
    if (rank >= h->count)
        return h->max;

    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank)
            return clamp_u64(bucket_mid(i), h->min, h->max);
    }
    return h->max;
}

uint64_t hist_mean(const struct histogram *h)
{
    if (h->count == 0)
        return 0;
    /* Not llroundl: the mean of values near 2^63 does not fit a long long. */
    return (uint64_t)(h->sum / (long double)h->count + 0.5L);
}
