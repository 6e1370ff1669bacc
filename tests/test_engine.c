/* probes/runner.c and the engines, on real targets: a regular file, a loop device, tmpfs,
 * a full tmpfs, and a libc fault shim (tests/shim/faults.c) run in a child process.
 * Faults: io_uring and libaio bypass libc, so an I/O error that really goes through each
 * engine comes from a sparse file on a tiny tmpfs that fills up (ENOSPC from the kernel);
 * the shim adds EIO from pread for the thread pool and an O_DIRECT-refusing open(). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probes/engine.h"
#include "probes/runner.h"
#include "testutil.h"

#define MiB (1024u * 1024u)

static char *tmpdir;
static char *data_file;         /* 16 MiB of random bytes, shared by the read tests */

static const enum io_mode all_io[] = { IO_URING, IO_NATIVE, IO_THREADS };

/* ---- helpers ---- */

static void write_file(const char *path, uint64_t size, bool random)
{
    g_autofree uint64_t *chunk = g_malloc0(MiB);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    g_assert_cmpint(fd, >=, 0);
    for (uint64_t done = 0; done < size; done += MiB) {
        size_t n = (size_t)MIN((uint64_t)MiB, size - done);

        for (size_t k = 0; random && k < MiB / sizeof *chunk; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk[k] = x;
        }
        g_assert_cmpint(write(fd, chunk, n), ==, (ssize_t)n);
    }
    g_assert_cmpint(fsync(fd), ==, 0);
    g_assert_cmpint(close(fd), ==, 0);
}

static char *make_file(const char *dir, const char *name, uint64_t size, bool random)
{
    char *path = g_build_filename(dir, name, NULL);

    write_file(path, size, random);
    return path;
}

static struct run_spec spec_for(const char *path, enum cache_mode cache, enum io_mode io,
                                enum workload_kind kind)
{
    struct run_spec s = {
        .path = path,
        .cache = cache,
        .io = io,
        .wl = *workload_default(kind),
        .span = 0,
        .ramp_s = 0,
        .runtime_s = 0.2,
        .seed = 42,
        .iothreads = 1,
        .pool_workers = 0,
        .qemu_major = 7,
        .allow_write = false,
    };
    return s;
}

static void assert_ok_figures(const struct run_spec *s, const struct run_result *r)
{
    g_assert_cmpstr(run_status_name(r->status), ==, "ok");
    g_assert_cmpint(r->err, ==, 0);
    g_assert_cmpuint(r->ops, >, 0);
    g_assert_cmpuint(r->bytes, ==, r->ops * s->wl.block);
    g_assert_cmpfloat(r->seconds, >=, s->runtime_s);
    g_assert_cmpfloat(r->iops, >, 0);
    g_assert_cmpfloat(r->bytes_per_s, >, 0);
    g_assert_cmpuint(r->lat_ns.mean, >, 0);
    g_assert_cmpuint(r->lat_ns.p50, <=, r->lat_ns.p99);
    g_assert_cmpuint(r->lat_ns.p99, <=, r->lat_ns.p999);
    g_assert_cmpuint(r->lat_ns.p999, <=, r->lat_ns.max);
    g_assert_cmpfloat(r->cpu_us_per_io, >, 0);
}

static bool is_root(void)
{
    if (geteuid() == 0)
        return true;
    testutil_skip("needs root (loop devices, mounts); the unit suite runs as root");
    return false;
}

/* Blocks of `block` bytes in the file that are no longer all zero. */
static uint64_t changed_blocks(const char *path, uint32_t block, uint64_t *prefix)
{
    g_autofree char *buf = NULL;
    g_autofree char *zero = g_malloc0(block);
    gsize len = 0;
    uint64_t changed = 0;
    bool in_prefix = true;

    g_assert_true(g_file_get_contents(path, &buf, &len, NULL));
    *prefix = 0;
    for (gsize off = 0; off + block <= len; off += block) {
        bool differs = memcmp(buf + off, zero, block) != 0;

        changed += differs;
        if (in_prefix && differs)
            (*prefix)++;
        else
            in_prefix = false;
    }
    return changed;
}

/* ---- the shim, in a child process ---- */

static void run_child_with_shim(const char *var, const char *value)
{
    testutil_trap_with_preload("libvdt_faults.so", var, value);
}

static unsigned long shim_count(const char *what)
{
    unsigned long (*count)(const char *);

    *(void **)&count = dlsym(RTLD_DEFAULT, "vdt_shim_count");
    g_assert_nonnull(count);    /* the child really runs with the shim */
    return count(what);
}

/* ---- tests ---- */

static void test_status_names(void)
{
    static const char *const names[] = { "ok", "invalid", "unsupported", "refused", "error",
                                          "cancelled" };

    for (int i = 0; i < RUN_STATUS_COUNT; i++)
        g_assert_cmpstr(run_status_name(i), ==, names[i]);
    g_assert_cmpstr(run_status_name(RUN_STATUS_COUNT), ==, "unknown");
}

static void test_engine_table(void)
{
    g_assert_cmpstr(engine_for(IO_URING)->name, ==, "io_uring");
    g_assert_cmpstr(engine_for(IO_NATIVE)->name, ==, "libaio");
    g_assert_cmpstr(engine_for(IO_THREADS)->name, ==, "threads");
    g_assert_null(engine_for(IO_COUNT));
    for (int i = 0; i < IO_COUNT; i++)
        g_assert_cmpstr(engine_for(i)->name, ==, io_mode_info(i)->engine);
}

static void test_invalid_never_opens(void)
{
    const char *missing = "/nonexistent-vdt-dir/no-such-target";

    for (int c = 0; c < CACHE_COUNT; c++) {
        struct run_spec s = spec_for(missing, c, IO_NATIVE, WL_RANDREAD);
        struct run_result r;
        int ret = runner_run(&s, NULL, NULL, &r);

        if (cache_mode_info(c)->direct) {
            /* A valid cell does try to open, and says what failed. */
            g_assert_cmpint(ret, ==, -ENOENT);
            g_assert_cmpint(r.status, ==, RUN_ERROR);
            g_assert_nonnull(strstr(r.reason, missing));
        } else {
            g_assert_cmpint(ret, ==, -EINVAL);
            g_assert_cmpint(r.status, ==, RUN_INVALID);
            g_assert_nonnull(strstr(r.reason, "native"));
            g_assert_cmpuint(r.ops, ==, 0);
        }
    }
}

static void test_writes_refused(void)
{
    g_autofree char *before = NULL, *after = NULL;
    gsize lb, la;
    struct run_spec s = spec_for(data_file, CACHE_NONE, IO_URING, WL_RANDWRITE);
    struct run_result r;

    g_assert_true(g_file_get_contents(data_file, &before, &lb, NULL));
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, -EPERM);
    g_assert_cmpint(r.status, ==, RUN_REFUSED);
    g_assert_cmpstr(r.reason, !=, "");
    g_assert_true(g_file_get_contents(data_file, &after, &la, NULL));
    g_assert_cmpmem(before, lb, after, la);
}

static void test_span_too_large(void)
{
    g_autofree char *path = make_file(tmpdir, "small", 4 * MiB, true);
    struct run_spec s = spec_for(path, CACHE_NONE, IO_URING, WL_RANDREAD);
    struct run_result r;

    s.span = 1024ull * MiB;
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, -EINVAL);
    g_assert_cmpint(r.status, ==, RUN_ERROR);
    g_assert_cmpint(r.err, ==, EINVAL);
    g_assert_cmpstr(r.reason, ==, "span 1 GiB exceeds target size 4 MiB");
    g_unlink(path);
}

static void test_block_not_multiple(void)
{
    struct run_spec s = spec_for(data_file, CACHE_NONE, IO_URING, WL_RANDREAD);
    struct run_result r;

    s.wl.block = 1000;
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, -EINVAL);
    g_assert_cmpint(r.status, ==, RUN_ERROR);
    g_assert_nonnull(strstr(r.reason, "block 1000 is not a multiple of"));
}

static void test_sparse_reads_data_only(void)
{
    g_autofree char *path = make_file(tmpdir, "quarter", 2 * MiB, true);
    struct run_spec s = spec_for(path, CACHE_NONE, IO_URING, WL_RANDREAD);
    struct run_result r;

    g_assert_cmpint(truncate(path, 8 * MiB), ==, 0);   /* 6 MiB of hole after the data */
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
    assert_ok_figures(&s, &r);
    g_assert_cmpfloat_with_epsilon(r.data_fraction, 0.25, 0.01);
    g_assert_nonnull(strstr(r.reason, "only 25 %"));
    g_unlink(path);
}

static void test_all_holes_is_error(void)
{
    g_autofree char *path = g_build_filename(tmpdir, "holes", NULL);
    struct run_spec s = spec_for(path, CACHE_NONE, IO_URING, WL_RANDREAD);
    struct run_result r;

    g_assert_true(g_file_set_contents(path, "", 0, NULL));
    g_assert_cmpint(truncate(path, 4 * MiB), ==, 0);
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, -ENODATA);
    g_assert_cmpint(r.status, ==, RUN_ERROR);
    g_assert_cmpfloat(r.data_fraction, ==, 0.0);
    g_assert_nonnull(strstr(r.reason, "no data"));
    g_unlink(path);
}

static void test_file_randread(gconstpointer data)
{
    enum io_mode io = GPOINTER_TO_INT(data);
    struct run_spec s = spec_for(data_file, CACHE_NONE, io, WL_RANDREAD);
    struct run_result r;

    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
    assert_ok_figures(&s, &r);
    g_assert_cmpfloat(r.data_fraction, ==, 1.0);
    g_assert_cmpstr(r.reason, ==, "");
}

static void test_two_iothreads(gconstpointer data)
{
    enum io_mode io = GPOINTER_TO_INT(data);
    struct run_spec s = spec_for(data_file, CACHE_NONE, io, WL_MIXED);
    g_autofree char *path = make_file(tmpdir, "two", 8 * MiB, true);
    struct run_result r;

    s.path = path;
    s.iothreads = 2;
    s.wl.depth = 8;
    s.pool_workers = 3;
    s.allow_write = true;
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
    assert_ok_figures(&s, &r);
    g_unlink(path);
}

static void test_loop_device(gconstpointer data)
{
    enum io_mode io = GPOINTER_TO_INT(data);
    g_autofree char *backing = NULL;
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(GError) error = NULL;
    int status = -1;
    const char *argv[] = { "losetup", "-f", "--show", "--direct-io=on", NULL, NULL };
    struct run_result r;

    if (!is_root())
        return;
    backing = make_file(tmpdir, "loop-backing", 16 * MiB, true);
    argv[4] = backing;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
    g_assert_no_error(error);
    g_assert_cmpint(status, ==, 0);
    g_strstrip(out);
    g_assert_true(g_str_has_prefix(out, "/dev/loop"));

    struct run_spec s = spec_for(out, CACHE_NONE, io, WL_RANDREAD);
    int ret = runner_run(&s, NULL, NULL, &r);

    const char *detach[] = { "losetup", "-d", out, NULL };
    g_assert_true(g_spawn_sync(NULL, (char **)detach, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, NULL));
    g_assert_cmpint(status, ==, 0);
    g_assert_cmpint(ret, ==, 0);
    assert_ok_figures(&s, &r);
    g_assert_cmpfloat(r.data_fraction, ==, 1.0);   /* a device has no holes to map */
    g_unlink(backing);
}

static void test_tmpfs(gconstpointer data)
{
    enum io_mode io = GPOINTER_TO_INT(data);
    g_autofree char *path = NULL;
    struct run_spec s;
    struct run_result r;

    if (!g_file_test("/dev/shm", G_FILE_TEST_IS_DIR)) {
        testutil_skip("no /dev/shm");
        return;
    }
    path = g_strdup_printf("/dev/shm/vdt-engine-%d", (int)getpid());
    write_file(path, 8 * MiB, true);
    /* This kernel's tmpfs accepts O_DIRECT (DESIGN.md): a pure-CPU target. */
    s = spec_for(path, CACHE_NONE, io, WL_RANDREAD);
    int ret = runner_run(&s, NULL, NULL, &r);
    g_unlink(path);
    g_assert_cmpint(ret, ==, 0);
    assert_ok_figures(&s, &r);
}

static void test_odirect_refused(gconstpointer data)
{
    enum io_mode io = GPOINTER_TO_INT(data);

    if (!g_test_subprocess()) {
        run_child_with_shim("VDT_SHIM_ODIRECT_EINVAL", "1");
        return;
    }
    struct run_spec s = spec_for(data_file, CACHE_DIRECTSYNC, io, WL_RANDREAD);
    struct run_result r;

    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, -EINVAL);
    g_assert_cmpint(r.status, ==, RUN_UNSUPPORTED);
    g_assert_cmpint(r.err, ==, EINVAL);
    g_assert_nonnull(strstr(r.reason, "O_DIRECT"));
    g_assert_cmpuint(shim_count("open_direct"), ==, 1);
    /* Without O_DIRECT the same target is fine (native has no such cell: invalid). */
    s.cache = CACHE_WRITEBACK;
    if (io == IO_NATIVE) {
        g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, -EINVAL);
        g_assert_cmpint(r.status, ==, RUN_INVALID);
    } else {
        g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
        assert_ok_figures(&s, &r);
    }
}

static void test_threads_read_error(void)
{
    if (!g_test_subprocess()) {
        run_child_with_shim("VDT_SHIM_EIO_AFTER", "200");
        return;
    }
    struct run_spec s = spec_for(data_file, CACHE_NONE, IO_THREADS, WL_RANDREAD);
    struct run_result r;

    s.runtime_s = 30;   /* the error ends it long before */
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, -EIO);
    g_assert_cmpint(r.status, ==, RUN_ERROR);
    g_assert_cmpint(r.err, ==, EIO);
    g_assert_true(g_str_has_prefix(r.reason, "read failed at offset "));
    g_assert_cmpuint(shim_count("pread"), >, 200);
}

/* O_DIRECT accepted by open() but refused by the first I/O (EINVAL): unsupported too. */
static void test_threads_first_io_einval(void)
{
    if (!g_test_subprocess()) {
        g_setenv("VDT_SHIM_ERRNO", "22", TRUE);
        run_child_with_shim("VDT_SHIM_EIO_AFTER", "0");
        g_unsetenv("VDT_SHIM_ERRNO");
        return;
    }
    struct run_spec s = spec_for(data_file, CACHE_NONE, IO_THREADS, WL_RANDREAD);
    struct run_result r;

    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, -EINVAL);
    g_assert_cmpint(r.status, ==, RUN_UNSUPPORTED);
    g_assert_cmpint(r.err, ==, EINVAL);
    g_assert_nonnull(strstr(r.reason, "O_DIRECT"));
    g_assert_nonnull(strstr(r.reason, "read at offset"));
}

/* The pool counts its fdatasyncs through the shim: the cache mode's policy, exactly. */
static void test_threads_flush_policy(void)
{
    static const struct {
        enum cache_mode cache;
        enum workload_kind kind;
        unsigned qemu;
        bool flushes;
    } cases[] = {
        { CACHE_WRITEBACK, WL_RANDWRITE, 7, false },
        { CACHE_NONE, WL_RANDWRITE, 7, false },
        { CACHE_WRITETHROUGH, WL_RANDWRITE, 7, true },
        { CACHE_DIRECTSYNC, WL_RANDWRITE, 7, true },
        { CACHE_WRITETHROUGH, WL_RANDWRITE, 10, true },  /* threads never uses RWF_DSYNC */
        { CACHE_WRITEBACK, WL_SYNCWRITE, 7, true },
        { CACHE_NONE, WL_SYNCWRITE, 7, true },
        { CACHE_UNSAFE, WL_SYNCWRITE, 7, false },        /* guest flushes dropped */
        { CACHE_WRITETHROUGH, WL_SYNCWRITE, 7, true },
    };

    if (!g_test_subprocess()) {
        run_child_with_shim(NULL, NULL);
        return;
    }
    g_autofree char *path = make_file(tmpdir, "flush", 4 * MiB, true);

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct run_spec s = spec_for(path, cases[i].cache, IO_THREADS, cases[i].kind);
        struct run_result r;
        unsigned long f0 = shim_count("fdatasync"), w0 = shim_count("pwrite");

        s.runtime_s = 0.1;
        s.qemu_major = cases[i].qemu;
        s.allow_write = true;
        g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
        g_assert_cmpuint(r.ops, >, 0);

        unsigned long flushes = shim_count("fdatasync") - f0;
        unsigned long writes = shim_count("pwrite") - w0;

        g_test_message("%s %s: %lu ops, %lu pwrite, %lu fdatasync",
                       cache_mode_info(cases[i].cache)->name, s.wl.name,
                       (unsigned long)r.ops, writes, flushes);
        g_assert_cmpuint(writes, >=, r.ops);
        g_assert_cmpuint(writes, <=, r.ops + s.wl.depth);
        if (cases[i].flushes && s.wl.depth == 1) {
            /* Alone in flight, every write has its own flush (give or take the last). */
            g_assert_cmpuint(flushes, >=, r.ops);
            g_assert_cmpuint(flushes, <=, writes);
        } else if (cases[i].flushes) {
            /* QEMU's rule: one flush at a time, covering every write completed before it
             * started, so at most one per write and at least one per flush's worth. */
            g_assert_cmpuint(flushes, >=, 1);
            g_assert_cmpuint(flushes, <=, writes);
        } else {
            g_assert_cmpuint(flushes, ==, 0);
        }
    }
    g_unlink(path);
}

/* QEMU serialises an image's flushes and skips one that finds nothing new written: at
 * depth 16, write-through completes writes many to a flush (fewer fdatasync than pwrite),
 * and at most one fdatasync is in flight (the shim sees none overlap). Measured here on a
 * 4 MiB file, 0.2 s, io=threads: see the test log. */
static void test_writethrough_flushes_coalesce(void)
{
    if (!g_test_subprocess()) {
        run_child_with_shim("VDT_SHIM_DELAY_US", "200");
        return;
    }
    g_autofree char *path = make_file(tmpdir, "coalesce", 4 * MiB, true);
    struct run_spec s = spec_for(path, CACHE_WRITETHROUGH, IO_THREADS, WL_RANDWRITE);
    struct run_result r;
    unsigned long f0 = shim_count("fdatasync"), w0 = shim_count("pwrite");
    unsigned long flushes, writes;

    s.runtime_s = 0.2;
    s.wl.depth = 16;
    s.allow_write = true;
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
    flushes = shim_count("fdatasync") - f0;
    writes = shim_count("pwrite") - w0;
    g_test_message("depth 16 writethrough: %lu pwrite, %lu fdatasync, %lu ops, max %lu "
                   "fdatasync in flight", writes, flushes, (unsigned long)r.ops,
                   shim_count("fdatasync_max_inflight"));
    g_assert_cmpuint(r.ops, >, 0);
    g_assert_cmpuint(flushes, <, writes);
    g_assert_cmpuint(shim_count("fdatasync_max_inflight"), ==, 1);
    g_unlink(path);   /* the child's own tmpdir is removed only when empty */
}

static void test_enospc_mid_run(gconstpointer data)
{
    enum io_mode io = GPOINTER_TO_INT(data);
    g_autofree char *mnt = NULL, *path = NULL;
    struct run_result r;

    if (!is_root())
        return;
    mnt = g_build_filename(tmpdir, "tiny", NULL);
    g_assert_cmpint(g_mkdir(mnt, 0700), ==, 0);
    g_assert_cmpint(mount("tmpfs", mnt, "tmpfs", 0, "size=2m"), ==, 0);
    path = g_build_filename(mnt, "sparse", NULL);
    /* A test about holes: filling them is what runs the filesystem out of space. */
    g_assert_true(g_file_set_contents(path, "", 0, NULL));
    int trunc = truncate(path, 64 * MiB);

    struct run_spec s = spec_for(path, CACHE_NONE, io, WL_RANDWRITE);
    s.allow_write = true;
    s.runtime_s = 30;   /* the error ends it long before */
    int ret = trunc == 0 ? runner_run(&s, NULL, NULL, &r) : -1;

    g_assert_cmpint(umount2(mnt, MNT_DETACH), ==, 0);
    g_rmdir(mnt);
    g_assert_cmpint(trunc, ==, 0);
    g_assert_cmpint(ret, ==, -ENOSPC);
    g_assert_cmpint(r.status, ==, RUN_ERROR);
    g_assert_cmpint(r.err, ==, ENOSPC);
    g_assert_true(g_str_has_prefix(r.reason, "write failed at offset "));

    /* ... and the program goes on: the next cell runs normally. */
    struct run_spec next = spec_for(data_file, CACHE_NONE, io, WL_RANDREAD);
    g_assert_cmpint(runner_run(&next, NULL, NULL, &r), ==, 0);
    assert_ok_figures(&next, &r);
}

static struct run_spec seqwrite_spec(const char *path, enum io_mode io)
{
    struct run_spec s = spec_for(path, CACHE_NONE, io, WL_SEQWRITE);

    s.wl.block = 4096;
    s.wl.depth = 4;
    s.runtime_s = 0.1;
    s.allow_write = true;
    return s;
}

static void test_seqwrite_exact(gconstpointer data)
{
    enum io_mode io = GPOINTER_TO_INT(data);
    g_autofree char *path = make_file(tmpdir, "zeros", 64 * MiB, false);
    struct run_spec s = seqwrite_spec(path, io);
    struct run_result r;
    uint64_t prefix, changed;

    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
    assert_ok_figures(&s, &r);
    changed = changed_blocks(path, s.wl.block, &prefix);
    g_test_message("%s: %llu ops reported, %llu blocks written", engine_for(io)->name,
                   (unsigned long long)r.ops, (unsigned long long)changed);
    /* No wrap-around, or the count below would mean nothing. */
    g_assert_cmpuint(r.ops + s.wl.depth, <, 64 * MiB / s.wl.block);
    /* Every counted write landed, plus at most the ones in flight when time ran out;
     * sequential from block 0 with nothing skipped. */
    g_assert_cmpuint(changed, >=, r.ops);
    g_assert_cmpuint(changed, <=, r.ops + s.wl.depth);
    g_assert_cmpuint(prefix, ==, changed);
    g_unlink(path);
}

/* Deterministic whatever the machine's speed: the thread pool through the shim, every write
 * 1 ms slow, so ramp + runtime (0.4 s at depth 4) write at most about 1,600 blocks of the
 * file's 16,384 and the sequence never wraps around (a fast tmpfs once did: 16384 == 16384). */
static void test_ramp_not_measured(void)
{
    g_autofree char *path = NULL;
    struct run_spec s;
    struct run_result r;
    uint64_t prefix, changed;

    if (!g_test_subprocess()) {
        run_child_with_shim("VDT_SHIM_DELAY_US", "1000");
        return;
    }
    path = make_file(tmpdir, "ramp", 64 * MiB, false);
    s = seqwrite_spec(path, IO_THREADS);
    s.ramp_s = 0.3;
    s.pool_workers = 4;
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
    assert_ok_figures(&s, &r);
    g_assert_cmpuint(shim_count("pwrite"), >, 0);   /* the delay really applied */
    changed = changed_blocks(path, s.wl.block, &prefix);
    g_test_message("%llu ops reported, %llu blocks written", (unsigned long long)r.ops,
                   (unsigned long long)changed);
    g_assert_cmpuint(changed, <, 64 * MiB / s.wl.block / 4);
    /* The ramp wrote too, but those writes are not in the figures. */
    g_assert_cmpuint(changed, >, r.ops + s.wl.depth);
    g_assert_cmpuint(prefix, ==, changed);
    g_unlink(path);
}

struct canceller {
    struct run_progress *progress;
    atomic_bool *cancel;
    uint64_t seen_ops;
    int seen_phase;
    gint64 cancelled_at;
};

static void *cancel_soon(void *arg)
{
    struct canceller *c = arg;

    /* Wait until the run is measuring and has done some I/O (bounded, in case it failed). */
    for (int i = 0; i < 1000; i++) {
        c->seen_phase = atomic_load(&c->progress->phase);
        c->seen_ops = atomic_load(&c->progress->ops);
        if (c->seen_phase == 2 && c->seen_ops > 0)
            break;
        g_usleep(10000);
    }
    g_usleep(300000);
    c->cancelled_at = g_get_monotonic_time();
    atomic_store(c->cancel, true);
    return NULL;
}

static void test_cancel(gconstpointer data)
{
    enum io_mode io = GPOINTER_TO_INT(data);
    struct run_spec s = spec_for(data_file, CACHE_NONE, io, WL_RANDREAD);
    struct run_progress progress;
    atomic_bool cancel = false;
    struct canceller c = { &progress, &cancel, 0, 0, 0 };
    struct run_result r;
    pthread_t t;
    gint64 t0;

    s.runtime_s = 600;
    g_assert_cmpint(pthread_create(&t, NULL, cancel_soon, &c), ==, 0);
    t0 = g_get_monotonic_time();
    g_assert_cmpint(runner_run(&s, &progress, &cancel, &r), ==, 0);
    g_assert_cmpint(pthread_join(t, NULL), ==, 0);
    g_test_message("%s: cancel to return %.1f ms", engine_for(io)->name,
                   (double)(g_get_monotonic_time() - c.cancelled_at) / 1000.0);
    g_assert_cmpint(r.status, ==, RUN_CANCELLED);
    g_assert_cmpint(c.seen_phase, ==, 2);
    g_assert_cmpuint(c.seen_ops, >, 0);
    /* A generous bound: the spec is 100 ms, but this machine is shared. */
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 30 * G_USEC_PER_SEC);
    g_assert_cmpfloat(r.seconds, >, 0);
    g_assert_cmpfloat(r.seconds, <, 30);
    g_assert_cmpuint(r.ops, >, 0);  /* partial figures kept */
    g_assert_cmpint(atomic_load(&progress.phase), ==, 3);
}

/* QEMU >= 10 sends write-through writes of native and io_uring with RWF_DSYNC instead of a
 * separate flush: the kernel takes the flag on every engine. */
static void test_qemu10_write_through(gconstpointer data)
{
    enum io_mode io = GPOINTER_TO_INT(data);
    static const enum cache_mode caches[] = { CACHE_WRITETHROUGH, CACHE_DIRECTSYNC };
    g_autofree char *path = NULL;

    /* On tmpfs (a pure-CPU target) a RWF_DSYNC write completes at once: on a busy disk
     * 32 of them in flight took longer than the 0.1 s cell, which then counted no I/O. */
    if (!g_file_test("/dev/shm", G_FILE_TEST_IS_DIR)) {
        testutil_skip("no /dev/shm");
        return;
    }
    path = g_strdup_printf("/dev/shm/vdt-engine-dsync-%d", (int)getpid());
    write_file(path, 4 * MiB, true);
    for (size_t c = 0; c < G_N_ELEMENTS(caches); c++) {
        struct run_spec s = spec_for(path, caches[c], io, WL_RANDWRITE);
        struct run_result r;

        s.qemu_major = 10;
        s.allow_write = true;
        s.runtime_s = 0.1;
        if (!cache_io_valid(caches[c], io, NULL))
            continue;
        g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
        assert_ok_figures(&s, &r);
    }
    g_unlink(path);
}

/* Every cache x io combination on a small file: ok, or invalid for native without
 * O_DIRECT, for reads, mixed and flushed writes. */
static void test_every_combination(gconstpointer data)
{
    enum io_mode io = GPOINTER_TO_INT(data);
    static const enum workload_kind kinds[] = { WL_RANDREAD, WL_MIXED, WL_SYNCWRITE };
    g_autofree char *path = make_file(tmpdir, "combo", 4 * MiB, true);

    for (int c = 0; c < CACHE_COUNT; c++) {
        for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
            struct run_spec s = spec_for(path, c, io, kinds[k]);
            struct run_result r;
            int ret;

            s.allow_write = true;
            ret = runner_run(&s, NULL, NULL, &r);
            g_test_message("%s %s %s: %s %.0f IOPS %s", cache_mode_info(c)->name,
                           io_mode_info(io)->name, s.wl.name, run_status_name(r.status),
                           r.iops, r.reason);
            if (cache_io_valid(c, io, NULL)) {
                g_assert_cmpint(ret, ==, 0);
                assert_ok_figures(&s, &r);
            } else {
                g_assert_cmpint(r.status, ==, RUN_INVALID);
            }
        }
    }
    g_unlink(path);
}

static void add_per_engine(const char *what, GTestDataFunc fn)
{
    for (size_t i = 0; i < G_N_ELEMENTS(all_io); i++) {
        g_autofree char *name = g_strdup_printf("/engine/%s/%s", io_mode_info(all_io[i])->name,
                                                what);

        g_test_add_data_func(name, GINT_TO_POINTER(all_io[i]), fn);
    }
}

/* The safety check approved one file; the path now leads to another (renamed, replaced):
 * the cell is refused before any I/O. The approved one itself still runs. */
static void test_replaced_target_is_refused(void)
{
    g_autofree char *path = make_file(tmpdir, "replaced", 4 * MiB, true);
    g_autofree char *before = NULL, *after = NULL;
    struct run_spec s = spec_for(path, CACHE_WRITEBACK, IO_URING, WL_RANDWRITE);
    struct run_result r;
    struct stat approved, now;

    g_assert_cmpint(stat(data_file, &approved), ==, 0);
    g_assert_cmpint(stat(path, &now), ==, 0);
    g_assert_true(g_file_get_contents(path, &before, NULL, NULL));
    s.allow_write = true;
    s.check_identity = true;
    s.expect_dev = approved.st_dev;
    s.expect_ino = approved.st_ino;
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), <, 0);
    g_assert_cmpstr(run_status_name(r.status), ==, "refused");
    g_assert_nonnull(strstr(r.reason, "target changed since the safety check"));
    g_assert_cmpuint(r.ops, ==, 0);
    g_assert_true(g_file_get_contents(path, &after, NULL, NULL));
    g_assert_true(memcmp(before, after, 4 * MiB) == 0);

    s.expect_dev = now.st_dev;
    s.expect_ino = now.st_ino;
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
    g_assert_cmpstr(run_status_name(r.status), ==, "ok");
    g_unlink(path);
}

/* A writing cell claims a block device exclusively: while another holder has it (here an
 * O_EXCL open, as a mount or a device-mapper table would), the cell is refused unwritten. */
static void test_block_device_held_is_refused(void)
{
    struct testutil_loop loop = { NULL, NULL };
    g_autofree char *before = NULL, *after = NULL;
    struct run_result r;
    int holder;

    if (!testutil_loop_attach(&loop, 4 * MiB, false))
        return;
    g_assert_true(g_file_get_contents(loop.file, &before, NULL, NULL));
    holder = open(loop.dev, O_RDONLY | O_EXCL | O_CLOEXEC);
    g_assert_cmpint(holder, >=, 0);

    struct run_spec s = spec_for(loop.dev, CACHE_NONE, IO_URING, WL_RANDWRITE);

    s.allow_write = true;
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, -EBUSY);
    g_assert_cmpstr(run_status_name(r.status), ==, "refused");
    g_assert_nonnull(strstr(r.reason, "in use (exclusive open: EBUSY)"));
    /* Reads need no claim: they run while others hold the device. */
    s.wl = *workload_default(WL_RANDREAD);
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
    g_assert_cmpstr(run_status_name(r.status), ==, "ok");
    g_assert_cmpint(close(holder), ==, 0);
    g_assert_true(g_file_get_contents(loop.file, &after, NULL, NULL));
    g_assert_true(memcmp(before, after, 4 * MiB) == 0);
    testutil_loop_detach(&loop);
}

/* A writing cell's O_EXCL claim is gone when the runner returns, also after a buffered
 * io_uring cell whose ring the kernel tears down asynchronously (it held the device past
 * close() and the next cell's safety check saw "claimed exclusively"). */
static void test_claim_released_after_the_cell(void)
{
    struct testutil_loop loop = { NULL, NULL };
    struct run_result r;
    int fd;

    if (!testutil_loop_attach(&loop, 64 * MiB, true))
        return;
    for (int cache = CACHE_WRITEBACK; cache <= CACHE_UNSAFE; cache += CACHE_UNSAFE - CACHE_WRITEBACK) {
        struct run_spec s = spec_for(loop.dev, (enum cache_mode)cache, IO_URING, WL_RANDWRITE);

        s.allow_write = true;
        s.runtime_s = 1;
        s.ramp_s = 0.3;
        g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, 0);
        g_assert_cmpstr(run_status_name(r.status), ==, "ok");
        fd = open(loop.dev, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(close(fd), ==, 0);
    }
    testutil_loop_detach(&loop);
}

/* Bytes of address space the process maps now (VmSize), 0 when unknown. */
static uint64_t address_space_now(void)
{
    g_autofree char *text = NULL;
    const char *p;

    if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL))
        return 0;
    p = strstr(text, "VmSize:");
    return p ? g_ascii_strtoull(p + strlen("VmSize:"), NULL, 10) << 10 : 0;
}

/* I/O buffers that cannot be allocated (here: an address-space limit 256 MiB above what the
 * child maps, against 1 GiB of buffers) end the cell in error saying so; it used to merge
 * the histogram the failed submitter never made (SIGSEGV). In a child: the limit stays there. */
static void test_buffers_not_allocated(gconstpointer data)
{
    enum io_mode io = GPOINTER_TO_INT(data);

    if (!g_test_subprocess()) {
        g_autofree char *old_asan = g_strdup(g_getenv("ASAN_OPTIONS"));
        g_autofree char *asan = g_strdup_printf("%s%sallocator_may_return_null=1",
                                                old_asan ? old_asan : "", old_asan ? ":" : "");

        /* A sanitized build: its allocator must fail the way libc's does, not abort. */
        g_setenv("ASAN_OPTIONS", asan, TRUE);
        g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
        if (old_asan)
            g_setenv("ASAN_OPTIONS", old_asan, TRUE);
        else
            g_unsetenv("ASAN_OPTIONS");
        g_test_trap_assert_passed();
        return;
    }
    struct run_spec s = spec_for(data_file, CACHE_NONE, io, WL_SEQREAD);
    struct run_result r;
    uint64_t vm = address_space_now();
    struct rlimit lim;

    g_assert_cmpuint(vm, >, 0);
    s.wl.block = 16 * MiB;
    s.wl.depth = 64;
    lim.rlim_cur = lim.rlim_max = vm + 256ull * MiB;
    g_assert_cmpint(setrlimit(RLIMIT_AS, &lim), ==, 0);
    g_assert_cmpint(runner_run(&s, NULL, NULL, &r), ==, -ENOMEM);
    g_assert_cmpstr(run_status_name(r.status), ==, "error");
    g_assert_cmpint(r.err, ==, ENOMEM);
    g_assert_nonnull(strstr(r.reason, "cannot allocate 1 GiB of I/O buffers"));
    g_assert_cmpuint(r.ops, ==, 0);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    /* One failed check marks its test failed and the others still run and report. */
    g_test_set_nonfatal_assertions();
    tmpdir = g_dir_make_tmp("vdt-engine-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    data_file = make_file(tmpdir, "data", 16 * MiB, true);

    g_test_add_func("/engine/status-names", test_status_names);
    g_test_add_func("/engine/table-maps-every-io-mode", test_engine_table);
    g_test_add_func("/engine/invalid-combination-never-opens-the-target",
                    test_invalid_never_opens);
    g_test_add_func("/engine/writes-refused-without-permission-leave-the-target-alone",
                    test_writes_refused);
    g_test_add_func("/engine/span-larger-than-target-is-a-clear-error", test_span_too_large);
    g_test_add_func("/engine/sparse-file-reads-draw-only-from-data", test_sparse_reads_data_only);
    g_test_add_func("/engine/all-holes-file-is-an-error", test_all_holes_is_error);
    g_test_add_func("/engine/writes-to-a-replaced-target-are-refused",
                    test_replaced_target_is_refused);
    g_test_add_func("/engine/claim-released-after-the-cell", test_claim_released_after_the_cell);
    g_test_add_func("/engine/writes-to-a-block-device-held-exclusively-are-refused",
                    test_block_device_held_is_refused);
    add_per_engine("regular-file-randread", test_file_randread);
    add_per_engine("two-iothreads-mixed", test_two_iothreads);
    add_per_engine("loop-device-randread", test_loop_device);
    add_per_engine("tmpfs-randread", test_tmpfs);
    add_per_engine("odirect-refused-is-unsupported", test_odirect_refused);
    add_per_engine("enospc-mid-run-is-an-error-and-the-next-cell-runs", test_enospc_mid_run);
    add_per_engine("seqwrite-writes-exactly-the-blocks-it-claims", test_seqwrite_exact);
    add_per_engine("cancel-ends-the-cell-with-partial-figures", test_cancel);
    add_per_engine("every-cache-mode-runs-or-is-invalid", test_every_combination);
    add_per_engine("qemu10-write-through-runs", test_qemu10_write_through);
    add_per_engine("buffers-not-allocated-is-an-error-not-a-crash", test_buffers_not_allocated);
    g_test_add_func("/engine/block-not-a-multiple-of-the-alignment-is-an-error",
                    test_block_not_multiple);
    g_test_add_func("/engine/threads/einval-from-the-first-direct-io-is-unsupported",
                    test_threads_first_io_einval);
    g_test_add_func("/engine/threads/read-eio-mid-run-is-an-error", test_threads_read_error);
    g_test_add_func("/engine/threads/fdatasync-follows-the-cache-mode", test_threads_flush_policy);
    g_test_add_func("/engine/threads/writethrough-flushes-coalesce-as-qemus",
                    test_writethrough_flushes_coalesce);
    g_test_add_func("/engine/ramp-is-not-measured", test_ramp_not_measured);

    ret = g_test_run();
    g_unlink(data_file);
    g_free(data_file);
    g_rmdir(tmpdir);
    g_free(tmpdir);
    return ret;
}
