#include "probes/histogram.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>

/* Percentiles are checked against a sorted copy of the same values: the value at index
 * ceil(q n) - 1, the rank hist_percentile promises. */
static const double quantiles[] = { 0.5, 0.99, 0.999, 1.0 };

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static uint64_t reference_percentile(const uint64_t *sorted, size_t n, double q)
{
    size_t rank = (size_t)ceil(q * (double)n);

    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

static void assert_close(uint64_t got, uint64_t want, double rel, const char *what)
{
    double diff = fabs((double)got - (double)want);

    if (diff > rel * (double)want)
        g_error("%s: got %" G_GUINT64_FORMAT ", want %" G_GUINT64_FORMAT " (within %.2f %%)",
                what, got, want, rel * 100);
}

/* Records values into a fresh histogram and compares p50/p99/p99.9/max and the mean with
 * the exact figures. Takes ownership of nothing; sorts values in place. */
static void check_against_reference(uint64_t *values, size_t n)
{
    g_autofree struct histogram *h = g_new(struct histogram, 1);
    long double sum = 0;

    hist_init(h);
    for (size_t i = 0; i < n; i++) {
        hist_record(h, values[i]);
        sum += (long double)values[i];
    }
    qsort(values, n, sizeof(*values), cmp_u64);

    g_assert_cmpuint(h->count, ==, n);
    g_assert_cmpuint(h->min, ==, values[0]);
    g_assert_cmpuint(h->max, ==, values[n - 1]);
    for (size_t i = 0; i < G_N_ELEMENTS(quantiles); i++) {
        g_autofree char *what = g_strdup_printf("q=%g n=%zu", quantiles[i], n);

        assert_close(hist_percentile(h, quantiles[i]),
                     reference_percentile(values, n, quantiles[i]), 0.01, what);
    }
    g_assert_cmpuint(hist_percentile(h, 1.0), ==, values[n - 1]);
    assert_close(hist_mean(h), (uint64_t)(sum / n + 0.5L), 1e-9, "mean");
}

static void test_empty_gives_zero(void)
{
    g_autofree struct histogram *h = g_new(struct histogram, 1);

    hist_init(h);
    g_assert_cmpuint(h->count, ==, 0);
    g_assert_cmpuint(hist_percentile(h, 0.0), ==, 0);
    g_assert_cmpuint(hist_percentile(h, 0.5), ==, 0);
    g_assert_cmpuint(hist_percentile(h, 1.0), ==, 0);
    g_assert_cmpuint(hist_mean(h), ==, 0);
}

static void test_uniform_within_one_percent(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(42);
    const size_t n = 200000;
    g_autofree uint64_t *v = g_new(uint64_t, n);

    /* Latencies from 10 µs to 10 ms, in ns. */
    for (size_t i = 0; i < n; i++)
        v[i] = (uint64_t)g_rand_double_range(rng, 10e3, 10e6);
    check_against_reference(v, n);
}

static void test_long_tail_with_outliers_within_one_percent(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(7);
    const size_t n = 100000;
    g_autofree uint64_t *v = g_new(uint64_t, n);

    /* Exponential around 80 µs, then a handful of stalls of seconds to centuries: the
     * max must still be exact and p99.9 must not be dragged by them. */
    for (size_t i = 0; i < n; i++)
        v[i] = (uint64_t)(-80e3 * log(1.0 - g_rand_double(rng)));
    v[10] = 3000000000ull;
    v[20] = 45000000000ull;
    v[30] = 1ull << 50;
    v[40] = (1ull << 62) + 12345;
    check_against_reference(v, n);
}

static void test_constant_is_exact(void)
{
    const size_t n = 5000;
    g_autofree uint64_t *v = g_new(uint64_t, n);
    g_autofree struct histogram *h = g_new(struct histogram, 1);

    for (size_t i = 0; i < n; i++)
        v[i] = 123457;
    check_against_reference(v, n);

    hist_init(h);
    for (size_t i = 0; i < n; i++)
        hist_record(h, 123457);
    g_assert_cmpuint(hist_percentile(h, 0.5), ==, 123457);
    g_assert_cmpuint(hist_percentile(h, 0.999), ==, 123457);
    g_assert_cmpuint(hist_mean(h), ==, 123457);
}

static void test_tiny_counts(void)
{
    uint64_t one[] = { 987654321 };
    uint64_t two[] = { 1000, 5000000 };
    uint64_t three[] = { 70000, 3, 900000000000ull };
    g_autofree struct histogram *h = g_new(struct histogram, 1);

    check_against_reference(one, G_N_ELEMENTS(one));
    check_against_reference(two, G_N_ELEMENTS(two));
    check_against_reference(three, G_N_ELEMENTS(three));

    /* With two values the median is the lower one, not something in between. */
    hist_init(h);
    hist_record(h, 1000);
    hist_record(h, 5000000);
    g_assert_cmpuint(hist_percentile(h, 0.5), ==, 1000);
    g_assert_cmpuint(hist_percentile(h, 0.51), ==, 5000000);
}

static void test_small_values_are_exact(void)
{
    g_autofree struct histogram *h = g_new(struct histogram, 1);

    hist_init(h);
    for (uint64_t v = 0; v < HIST_SUB; v++)
        hist_record(h, v);
    for (uint64_t v = 0; v < HIST_SUB; v++)
        g_assert_cmpuint(hist_percentile(h, (double)(v + 1) / HIST_SUB), ==, v);
    g_assert_cmpuint(hist_percentile(h, 0.0), ==, 0);
}

/* A value between two far-apart neighbours comes back as its bucket's midpoint; that is
 * within half a bucket, 1/(2 HIST_SUB) of the value, over the whole range to 2^63. */
static void test_bucket_error_bounded_over_whole_range(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(99);
    g_autofree struct histogram *h = g_new(struct histogram, 1);

    for (int i = 0; i < 20000; i++) {
        double exponent = g_rand_double_range(rng, 0.0, 63.0);
        uint64_t v = (uint64_t)exp2(exponent);

        if (v < 1)
            v = 1;
        hist_init(h);
        hist_record(h, 0);
        hist_record(h, v);
        hist_record(h, 1ull << 63);
        uint64_t got = hist_percentile(h, 0.5);
        double err = fabs((double)got - (double)v) / (double)v;

        if (err > 1.0 / (2 * HIST_SUB) + 1e-12)
            g_error("value %" G_GUINT64_FORMAT " came back as %" G_GUINT64_FORMAT, v, got);
    }
}

static void test_top_of_range(void)
{
    g_autofree struct histogram *h = g_new(struct histogram, 1);

    hist_init(h);
    hist_record(h, 1ull << 63);
    hist_record(h, (1ull << 63) - 1);
    hist_record(h, 1ull << 62);
    g_assert_cmpuint(hist_percentile(h, 1.0), ==, 1ull << 63);
    g_assert_cmpuint(h->min, ==, 1ull << 62);
    assert_close(hist_percentile(h, 0.66), (1ull << 63) - 1, 0.01, "just below 2^63");
    assert_close(hist_percentile(h, 0.33), 1ull << 62, 0.01, "2^62");
    assert_close(hist_mean(h), (uint64_t)((3.0L * (1ull << 62) + (1ull << 63) - 1) / 3), 1e-9,
                 "mean near 2^63");
}

static void test_percentile_monotonic_in_q(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(3);
    g_autofree struct histogram *h = g_new(struct histogram, 1);
    uint64_t prev = 0;

    hist_init(h);
    for (int i = 0; i < 50000; i++)
        hist_record(h, (uint64_t)g_rand_int_range(rng, 1, 1 << 30));
    for (int i = 0; i <= 1000; i++) {
        uint64_t p = hist_percentile(h, i / 1000.0);

        g_assert_cmpuint(p, >=, prev);
        g_assert_cmpuint(p, >=, h->min);
        g_assert_cmpuint(p, <=, h->max);
        prev = p;
    }
}

static void test_merge_equals_recording_all(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(11);
    g_autofree struct histogram *all = g_new(struct histogram, 1);
    g_autofree struct histogram *parts = g_new(struct histogram, 4);
    g_autofree struct histogram *merged = g_new(struct histogram, 1);
    g_autofree struct histogram *empty = g_new(struct histogram, 1);

    hist_init(all);
    hist_init(merged);
    hist_init(empty);
    for (int t = 0; t < 4; t++)
        hist_init(&parts[t]);
    for (int i = 0; i < 100000; i++) {
        /* Each "thread" sees a different range, so min and max come from different parts. */
        int t = i % 4;
        uint64_t v = (uint64_t)g_rand_int_range(rng, 1000, 2000000) << (t * 3);

        hist_record(all, v);
        hist_record(&parts[t], v);
    }
    hist_merge(merged, empty);
    g_assert_cmpuint(merged->count, ==, 0);
    for (int t = 0; t < 4; t++)
        hist_merge(merged, &parts[t]);
    hist_merge(merged, empty);

    g_assert_cmpuint(merged->count, ==, all->count);
    g_assert_cmpuint(merged->min, ==, all->min);
    g_assert_cmpuint(merged->max, ==, all->max);
    g_assert_true(merged->sum == all->sum);      /* integers below 2^64: exact */
    g_assert_cmpmem(merged->buckets, sizeof(merged->buckets), all->buckets,
                    sizeof(all->buckets));
    for (int i = 0; i <= 100; i++)
        g_assert_cmpuint(hist_percentile(merged, i / 100.0), ==, hist_percentile(all, i / 100.0));
    g_assert_cmpuint(hist_percentile(merged, 0.999), ==, hist_percentile(all, 0.999));
    g_assert_cmpuint(hist_mean(merged), ==, hist_mean(all));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/histogram/empty-gives-zero", test_empty_gives_zero);
    g_test_add_func("/histogram/uniform-percentiles-within-1pct",
                    test_uniform_within_one_percent);
    g_test_add_func("/histogram/long-tail-with-outliers-within-1pct",
                    test_long_tail_with_outliers_within_one_percent);
    g_test_add_func("/histogram/constant-is-exact", test_constant_is_exact);
    g_test_add_func("/histogram/tiny-counts-match-sorted-reference", test_tiny_counts);
    g_test_add_func("/histogram/values-below-sub-buckets-are-exact", test_small_values_are_exact);
    g_test_add_func("/histogram/bucket-midpoint-error-bounded-to-2^63",
                    test_bucket_error_bounded_over_whole_range);
    g_test_add_func("/histogram/top-of-range-keeps-exact-max", test_top_of_range);
    g_test_add_func("/histogram/percentile-monotonic-in-q", test_percentile_monotonic_in_q);
    g_test_add_func("/histogram/merge-equals-recording-all", test_merge_equals_recording_all);
    return g_test_run();
}
