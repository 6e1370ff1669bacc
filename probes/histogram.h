/* Latency histogram, log-linear (HdrHistogram-like): each power of two is split into
 * HIST_SUB linear buckets, so any recorded value is known within 1/HIST_SUB (< 1 %).
 * Fixed memory, O(1) record, no sorting; one per engine thread, merged at the end. */
#pragma once
#include <stdint.h>

#define HIST_SUB_BITS 7                       /* 128 sub-buckets: ≤ 0.79 % error */
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_GROUPS (64 - HIST_SUB_BITS)
#define HIST_BUCKETS (HIST_GROUPS * HIST_SUB)

struct histogram {
    uint64_t count;
    uint64_t min, max;
    long double sum;        /* for the mean */
    uint64_t buckets[HIST_BUCKETS];
};

void hist_init(struct histogram *h);
void hist_record(struct histogram *h, uint64_t value);
void hist_merge(struct histogram *into, const struct histogram *from);
/* q in [0,1]; the value below which a fraction q of the records lie (bucket midpoint,
 * clamped to [min, max]); 0 when empty. */
uint64_t hist_percentile(const struct histogram *h, double q);
uint64_t hist_mean(const struct histogram *h);
