#include "probes/workload.h"
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KiB 1024ull
#define MiB (1024ull * 1024ull)

/* 0.999 quantiles of the chi-square distribution, by degrees of freedom. */
#define CHI2_999_DF2 13.816
#define CHI2_999_DF13 34.528
#define CHI2_999_DF63 103.442

/* A filesystem without SEEK_DATA, emulated: this definition takes the place of libc's
 * lseek for the probes library linked into this test, and fails SEEK_DATA/SEEK_HOLE with
 * EINVAL as such a filesystem does while the flag is set. */
static atomic_bool seek_data_unsupported;

off_t lseek(int fd, off_t offset, int whence)
{
    if (atomic_load(&seek_data_unsupported) && (whence == SEEK_DATA || whence == SEEK_HOLE)) {
        errno = EINVAL;
        return -1;
    }
    return (off_t)syscall(SYS_lseek, fd, offset, whence);
}

/* ---- the default workloads ---- */

static void test_defaults_match_design(void)
{
    static const struct {
        enum workload_kind kind;
        const char *name;
        uint32_t block, depth;
        unsigned read_pct;
        bool random, flush_each;
    } want[] = {
        { WL_RANDREAD,  "randread",  4 * KiB, 32, 100, true,  false },
        { WL_RANDWRITE, "randwrite", 4 * KiB, 32,   0, true,  false },
        { WL_MIXED,     "mixed",     4 * KiB, 32,  70, true,  false },
        { WL_SEQREAD,   "seqread",   1 * MiB,  4, 100, false, false },
        { WL_SEQWRITE,  "seqwrite",  1 * MiB,  4,   0, false, false },
        { WL_SYNCWRITE, "syncwrite", 4 * KiB,  1,   0, false, true  },
    };

    g_assert_cmpuint(G_N_ELEMENTS(want), ==, WL_COUNT);
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        const struct workload *w = workload_default(want[i].kind);

        g_assert_nonnull(w);
        g_assert_cmpstr(w->name, ==, want[i].name);
        g_assert_cmpuint(w->block, ==, want[i].block);
        g_assert_cmpuint(w->depth, ==, want[i].depth);
        g_assert_cmpuint(w->read_pct, ==, want[i].read_pct);
        g_assert_cmpint(w->random, ==, want[i].random);
        g_assert_cmpint(w->flush_each, ==, want[i].flush_each);
    }
}

static void test_kind_out_of_range_is_null(void)
{
    g_assert_null(workload_default(WL_COUNT));
    g_assert_null(workload_default((enum workload_kind)-1));
}

static void test_names_round_trip(void)
{
    for (int k = 0; k < WL_COUNT; k++)
        g_assert_cmpint(workload_from_name(workload_default(k)->name), ==, k);
    g_assert_cmpint(workload_from_name("RandRead"), ==, -1);
    g_assert_cmpint(workload_from_name("randread "), ==, -1);
    g_assert_cmpint(workload_from_name(""), ==, -1);
    g_assert_cmpint(workload_from_name("all"), ==, -1);
    g_assert_cmpint(workload_from_name(NULL), ==, -1);
}

static void test_only_reads_do_not_write(void)
{
    g_assert_false(workload_writes(workload_default(WL_RANDREAD)));
    g_assert_false(workload_writes(workload_default(WL_SEQREAD)));
    g_assert_true(workload_writes(workload_default(WL_RANDWRITE)));
    g_assert_true(workload_writes(workload_default(WL_MIXED)));
    g_assert_true(workload_writes(workload_default(WL_SEQWRITE)));
    g_assert_true(workload_writes(workload_default(WL_SYNCWRITE)));
}

/* ---- files with holes ---- */

/* An unlinked temporary file of `size` bytes, all hole; -1 (and the test skipped) when the
 * filesystem under the temporary directory keeps no holes. */
static int sparse_file(uint64_t size)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("vdt-workload-XXXXXX", &path, &err);

    g_assert_no_error(err);
    g_assert_cmpint(g_unlink(path), ==, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)size), ==, 0);
    if (lseek(fd, 0, SEEK_DATA) >= 0 || errno != ENXIO) {
        testutil_skip("the temporary directory's filesystem does not report holes");
        close(fd);
        return -1;
    }
    return fd;
}

/* Writes a non-zero pattern over [off, off + len). */
static void write_data(int fd, uint64_t off, uint64_t len)
{
    g_autofree unsigned char *buf = g_malloc(len);

    for (uint64_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(0xA5 ^ (i * 131));
    g_assert_cmpint(pwrite(fd, buf, len, (off_t)off), ==, (ssize_t)len);
}

/* 1 MiB: data at [0, 8K), [20K, 52K) and [1M - 16K, 1M); holes between. */
static int file_with_three_extents(void)
{
    int fd = sparse_file(1 * MiB);

    if (fd < 0)
        return -1;
    write_data(fd, 0, 8 * KiB);
    write_data(fd, 20 * KiB, 32 * KiB);
    write_data(fd, 1 * MiB - 16 * KiB, 16 * KiB);
    g_assert_cmpint(fdatasync(fd), ==, 0);
    return fd;
}

struct want_extent { uint64_t start, blocks; };

static void assert_map(const struct extent_map *m, const struct want_extent *want, unsigned n)
{
    uint64_t total = 0;

    g_assert_cmpuint(m->count, ==, n);
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmpuint(m->start[i], ==, want[i].start);
        g_assert_cmpuint(m->blocks[i], ==, want[i].blocks);
        g_assert_cmpuint(m->prefix[i], ==, total);
        total += want[i].blocks;
    }
    g_assert_cmpuint(m->total_blocks, ==, total);
}

static void test_map_keeps_only_data(void)
{
    int fd = file_with_three_extents();
    struct extent_map m;
    const struct want_extent want[] = {
        { 0, 2 }, { 20 * KiB, 8 }, { 1 * MiB - 16 * KiB, 4 },
    };

    if (fd < 0)
        return;
    g_assert_cmpint(extent_map_build(fd, 1 * MiB, 4 * KiB, &m), ==, 0);
    assert_map(&m, want, G_N_ELEMENTS(want));
    extent_map_free(&m);
    g_assert_null(m.start);
    g_assert_cmpuint(m.count, ==, 0);
    close(fd);
}

static void test_map_trims_extents_inward_to_whole_blocks(void)
{
    int fd = file_with_three_extents();
    struct extent_map m;
    /* With 16 KiB blocks: [0, 8K) holds no whole block; [20K, 52K) holds only [32K, 48K). */
    const struct want_extent want[] = { { 32 * KiB, 1 }, { 1 * MiB - 16 * KiB, 1 } };

    if (fd < 0)
        return;
    g_assert_cmpint(extent_map_build(fd, 1 * MiB, 16 * KiB, &m), ==, 0);
    assert_map(&m, want, G_N_ELEMENTS(want));
    extent_map_free(&m);
    close(fd);
}

static void test_map_stops_at_span(void)
{
    int fd = file_with_three_extents();
    struct extent_map m;
    const struct want_extent short_span[] = { { 0, 2 }, { 20 * KiB, 1 } };
    const struct want_extent ragged_end[] = {
        { 0, 2 }, { 20 * KiB, 8 }, { 1 * MiB - 16 * KiB, 3 },
    };
    const struct want_extent past_eof[] = {
        { 0, 2 }, { 20 * KiB, 8 }, { 1 * MiB - 16 * KiB, 4 },
    };

    if (fd < 0)
        return;
    g_assert_cmpint(extent_map_build(fd, 24 * KiB + 100, 4 * KiB, &m), ==, 0);
    assert_map(&m, short_span, G_N_ELEMENTS(short_span));
    extent_map_free(&m);

    g_assert_cmpint(extent_map_build(fd, 1 * MiB - 1, 4 * KiB, &m), ==, 0);
    assert_map(&m, ragged_end, G_N_ELEMENTS(ragged_end));
    extent_map_free(&m);

    g_assert_cmpint(extent_map_build(fd, 4 * MiB, 4 * KiB, &m), ==, 0);
    assert_map(&m, past_eof, G_N_ELEMENTS(past_eof));
    extent_map_free(&m);
    close(fd);
}

static void test_map_of_full_file_is_one_extent(void)
{
    int fd = sparse_file(256 * KiB);
    struct extent_map m;
    const struct want_extent want[] = { { 0, 64 } };

    if (fd < 0)
        return;
    write_data(fd, 0, 256 * KiB);
    g_assert_cmpint(extent_map_build(fd, 256 * KiB, 4 * KiB, &m), ==, 0);
    assert_map(&m, want, G_N_ELEMENTS(want));
    extent_map_free(&m);
    close(fd);
}

static void test_map_of_all_hole_file_is_empty(void)
{
    int fd = sparse_file(8 * MiB);
    struct extent_map m;

    if (fd < 0)
        return;
    g_assert_cmpint(extent_map_build(fd, 8 * MiB, 4 * KiB, &m), ==, 0);
    g_assert_cmpuint(m.count, ==, 0);
    g_assert_cmpuint(m.total_blocks, ==, 0);
    extent_map_free(&m);
    close(fd);
}

/* fallocate's unwritten extents read as zeros without device I/O, like holes
 * (DESIGN.md "Holes measure nothing"); ext4, XFS and tmpfs report them as holes. */
static void test_map_skips_fallocated_blocks(void)
{
    int fd = sparse_file(1 * MiB);
    struct extent_map m;
    const struct want_extent want[] = { { 64 * KiB, 1 } };

    if (fd < 0)
        return;
    if (fallocate(fd, 0, 0, 1 * MiB) < 0) {
        testutil_skip("fallocate is not supported here");
        close(fd);
        return;
    }
    write_data(fd, 64 * KiB, 4 * KiB);
    if (lseek(fd, 0, SEEK_DATA) == 0) {
        testutil_skip("this filesystem reports unwritten extents as data");
        close(fd);
        return;
    }
    g_assert_cmpint(extent_map_build(fd, 1 * MiB, 4 * KiB, &m), ==, 0);
    assert_map(&m, want, G_N_ELEMENTS(want));
    extent_map_free(&m);
    close(fd);
}

static void test_map_without_seek_data_covers_span(void)
{
    int fd = file_with_three_extents();
    struct extent_map m;
    const struct want_extent want[] = { { 0, 256 } };

    if (fd < 0)
        return;
    atomic_store(&seek_data_unsupported, true);
    int rc = extent_map_build(fd, 1 * MiB + 1000, 4 * KiB, &m);
    atomic_store(&seek_data_unsupported, false);

    g_assert_cmpint(rc, ==, 0);
    assert_map(&m, want, G_N_ELEMENTS(want));
    extent_map_free(&m);
    close(fd);
}

/* Any block device the test may open read-only; -1 when there is none. */
static int open_some_block_device(void)
{
    g_autoptr(GDir) dir = g_dir_open("/sys/class/block", 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *dev = g_build_filename("/dev", name, NULL);
        int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        struct stat st;

        if (fd < 0)
            continue;
        if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode))
            return fd;
        close(fd);
    }
    return -1;
}

static void test_map_of_block_device_covers_span(void)
{
    int fd = open_some_block_device();
    struct extent_map m;
    const struct want_extent want[] = { { 0, 1000 } };

    if (fd < 0) {
        testutil_skip("no block device can be opened read-only here");
        return;
    }
    g_assert_cmpint(extent_map_build(fd, 1000 * 4 * KiB + 7, 4 * KiB, &m), ==, 0);
    assert_map(&m, want, G_N_ELEMENTS(want));
    extent_map_free(&m);
    close(fd);
}

static void test_map_refuses_bad_input(void)
{
    int fd = file_with_three_extents();
    int pipefd[2];
    struct extent_map m;

    if (fd < 0)
        return;
    g_assert_cmpint(extent_map_build(fd, 1 * MiB, 0, &m), ==, -EINVAL);
    g_assert_null(m.start);
    g_assert_cmpint(pipe(pipefd), ==, 0);
    g_assert_cmpint(extent_map_build(pipefd[0], 1 * MiB, 4 * KiB, &m), ==, -EINVAL);
    g_assert_cmpuint(m.count, ==, 0);
    close(pipefd[0]);
    close(pipefd[1]);
    close(fd);
    g_assert_cmpint(extent_map_build(fd, 1 * MiB, 4 * KiB, &m), ==, -EBADF);
    g_assert_cmpuint(m.count, ==, 0);
}

/* ---- the offset generator ---- */

static void test_random_offsets_aligned_inside_span(void)
{
    const uint64_t span = 1024 * MiB + 3000;     /* a ragged tail no I/O may touch */
    struct offset_gen g;

    offgen_init(&g, span, 4 * KiB, true, 2024, NULL);
    for (int i = 0; i < 200000; i++) {
        uint64_t off = offgen_next(&g);

        g_assert_cmpuint(off % (4 * KiB), ==, 0);
        g_assert_cmpuint(off + 4 * KiB, <=, span);
    }
}

static double chi_square(const uint64_t *observed, unsigned bins, double expected)
{
    double x2 = 0;

    for (unsigned i = 0; i < bins; i++) {
        double d = (double)observed[i] - expected;

        x2 += d * d / expected;
    }
    return x2;
}

static void test_random_offsets_uniform(void)
{
    const unsigned bins = 64, draws = 1000000;
    const uint64_t blocks = 64 * 4096;
    uint64_t observed[64] = { 0 };
    struct offset_gen g;

    offgen_init(&g, blocks * 4 * KiB, 4 * KiB, true, 12345, NULL);
    for (unsigned i = 0; i < draws; i++)
        observed[offgen_next(&g) / (4 * KiB) / (blocks / bins)]++;
    g_assert_cmpfloat(chi_square(observed, bins, (double)draws / bins), <, CHI2_999_DF63);
}

/* A span of 3 * 2^62 one-byte blocks: a plain modulo would put half the draws in the first
 * third. The bounded draw must not. */
static void test_huge_span_has_no_modulo_bias(void)
{
    const uint64_t third = 1ull << 62;
    const unsigned draws = 300000;
    uint64_t observed[3] = { 0 };
    struct offset_gen g;

    offgen_init(&g, 3 * third, 1, true, 777, NULL);
    for (unsigned i = 0; i < draws; i++) {
        uint64_t off = offgen_next(&g);

        g_assert_cmpuint(off, <, 3 * third);
        observed[off / third]++;
    }
    g_assert_cmpfloat(chi_square(observed, 3, draws / 3.0), <, CHI2_999_DF2);
}

static void test_same_seed_same_sequence(void)
{
    struct offset_gen a, b, c;
    unsigned same = 0;

    offgen_init(&a, 64 * 1024 * MiB, 4 * KiB, true, 99, NULL);
    offgen_init(&b, 64 * 1024 * MiB, 4 * KiB, true, 99, NULL);
    offgen_init(&c, 64 * 1024 * MiB, 4 * KiB, true, 100, NULL);
    for (int i = 0; i < 10000; i++) {
        uint64_t x = offgen_next(&a);

        g_assert_cmpuint(x, ==, offgen_next(&b));
        g_assert_cmpuint(offgen_rand(&a), ==, offgen_rand(&b));
        same += x == offgen_next(&c);
    }
    /* 2^24 possible offsets: two independent streams agree a handful of times at most. */
    g_assert_cmpuint(same, <, 10);
}

static void test_seed_zero_still_random(void)
{
    struct offset_gen g;
    uint64_t first;
    bool varied = false;

    offgen_init(&g, 0, 4 * KiB, true, 0, NULL);
    first = offgen_rand(&g);
    for (int i = 0; i < 100; i++)
        varied |= offgen_rand(&g) != first;
    g_assert_true(varied);
    g_assert_cmpuint(first, !=, 0);
}

static void test_sequential_walks_and_wraps(void)
{
    struct offset_gen g;

    offgen_init(&g, 10 * 4 * KiB + 100, 4 * KiB, false, 1, NULL);
    for (int round = 0; round < 3; round++)
        for (uint64_t k = 0; k < 10; k++)
            g_assert_cmpuint(offgen_next(&g), ==, k * 4 * KiB);
}

static void test_span_below_one_block_gives_zero(void)
{
    struct offset_gen g;

    offgen_init(&g, 4 * KiB - 1, 4 * KiB, true, 5, NULL);
    g_assert_cmpuint(g.span_blocks, ==, 0);
    for (int i = 0; i < 10; i++)
        g_assert_cmpuint(offgen_next(&g), ==, 0);
}

/* Whether [off, off + len) is all data in the file, asked of the filesystem itself. */
static bool is_data(int fd, uint64_t off, uint64_t len)
{
    off_t data = lseek(fd, (off_t)off, SEEK_DATA);
    off_t hole = lseek(fd, (off_t)off, SEEK_HOLE);

    return data == (off_t)off && hole >= (off_t)(off + len);
}

static void test_map_draws_never_land_in_holes(void)
{
    int fd = file_with_three_extents();
    const unsigned draws = 140000;
    uint64_t per_block[256] = { 0 };
    uint64_t observed[14];
    unsigned bins = 0;
    struct extent_map m;
    struct offset_gen g;

    if (fd < 0)
        return;
    g_assert_cmpint(extent_map_build(fd, 1 * MiB, 4 * KiB, &m), ==, 0);
    g_assert_cmpuint(m.total_blocks, ==, G_N_ELEMENTS(observed));
    offgen_init(&g, 1 * MiB, 4 * KiB, true, 31337, &m);
    for (unsigned i = 0; i < draws; i++) {
        uint64_t off = offgen_next(&g);

        g_assert_cmpuint(off % (4 * KiB), ==, 0);
        g_assert_cmpuint(off, <, 1 * MiB);
        if (!is_data(fd, off, 4 * KiB))
            g_error("offset %" G_GUINT64_FORMAT " reads a hole", off);
        per_block[off / (4 * KiB)]++;
    }
    /* Every data block drawn, evenly: the draw is uniform over data, not over extents. */
    for (unsigned b = 0; b < G_N_ELEMENTS(per_block); b++)
        if (per_block[b])
            observed[bins++] = per_block[b];
    g_assert_cmpuint(bins, ==, G_N_ELEMENTS(observed));
    g_assert_cmpfloat(chi_square(observed, bins, (double)draws / bins), <, CHI2_999_DF13);
    extent_map_free(&m);
    close(fd);
}

static void test_sequential_with_map_visits_data_in_order(void)
{
    int fd = file_with_three_extents();
    const uint64_t want[] = {
        0, 4 * KiB,
        20 * KiB, 24 * KiB, 28 * KiB, 32 * KiB, 36 * KiB, 40 * KiB, 44 * KiB, 48 * KiB,
        1 * MiB - 16 * KiB, 1 * MiB - 12 * KiB, 1 * MiB - 8 * KiB, 1 * MiB - 4 * KiB,
    };
    struct extent_map m;
    struct offset_gen g;

    if (fd < 0)
        return;
    g_assert_cmpint(extent_map_build(fd, 1 * MiB, 4 * KiB, &m), ==, 0);
    offgen_init(&g, 1 * MiB, 4 * KiB, false, 1, &m);
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
            g_assert_cmpuint(offgen_next(&g), ==, want[i]);
    extent_map_free(&m);
    close(fd);
}

static void test_empty_map_gives_zero(void)
{
    int fd = sparse_file(1 * MiB);
    struct extent_map m;
    struct offset_gen g;

    if (fd < 0)
        return;
    g_assert_cmpint(extent_map_build(fd, 1 * MiB, 4 * KiB, &m), ==, 0);
    offgen_init(&g, 1 * MiB, 4 * KiB, true, 8, &m);
    g_assert_cmpuint(offgen_next(&g), ==, 0);
    offgen_init(&g, 1 * MiB, 4 * KiB, false, 8, &m);
    g_assert_cmpuint(offgen_next(&g), ==, 0);
    extent_map_free(&m);
    close(fd);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/workload/defaults-match-design", test_defaults_match_design);
    g_test_add_func("/workload/kind-out-of-range-is-null", test_kind_out_of_range_is_null);
    g_test_add_func("/workload/names-round-trip-unknown-is-minus-one", test_names_round_trip);
    g_test_add_func("/workload/only-read-workloads-do-not-write", test_only_reads_do_not_write);

    g_test_add_func("/extent-map/file-with-holes-maps-only-data", test_map_keeps_only_data);
    g_test_add_func("/extent-map/partial-blocks-are-trimmed-inward",
                    test_map_trims_extents_inward_to_whole_blocks);
    g_test_add_func("/extent-map/stops-at-span-and-eof", test_map_stops_at_span);
    g_test_add_func("/extent-map/full-file-is-one-extent", test_map_of_full_file_is_one_extent);
    g_test_add_func("/extent-map/all-hole-file-is-empty", test_map_of_all_hole_file_is_empty);
    g_test_add_func("/extent-map/fallocated-blocks-are-not-data",
                    test_map_skips_fallocated_blocks);
    g_test_add_func("/extent-map/no-seek-data-covers-whole-span",
                    test_map_without_seek_data_covers_span);
    g_test_add_func("/extent-map/block-device-covers-whole-span",
                    test_map_of_block_device_covers_span);
    g_test_add_func("/extent-map/bad-block-pipe-or-fd-refused", test_map_refuses_bad_input);

    g_test_add_func("/offgen/random-offsets-aligned-inside-span",
                    test_random_offsets_aligned_inside_span);
    g_test_add_func("/offgen/random-offsets-pass-chi-square", test_random_offsets_uniform);
    g_test_add_func("/offgen/huge-span-has-no-modulo-bias", test_huge_span_has_no_modulo_bias);
    g_test_add_func("/offgen/same-seed-same-sequence-other-seed-differs",
                    test_same_seed_same_sequence);
    g_test_add_func("/offgen/seed-zero-still-random", test_seed_zero_still_random);
    g_test_add_func("/offgen/sequential-walks-and-wraps", test_sequential_walks_and_wraps);
    g_test_add_func("/offgen/span-below-one-block-gives-zero",
                    test_span_below_one_block_gives_zero);
    g_test_add_func("/offgen/map-draws-never-land-in-holes", test_map_draws_never_land_in_holes);
    g_test_add_func("/offgen/sequential-with-map-visits-data-in-order",
                    test_sequential_with_map_visits_data_in_order);
    g_test_add_func("/offgen/empty-map-gives-zero", test_empty_map_gives_zero);
    return g_test_run();
}
