/* probes/runner_qemu.c: cells run by the installed qemu-img bench on real images (a raw
 * file of random data, a qcow2 converted from it, scratch copies for writes), the checks
 * that spawn nothing, cancel, and qemu-img's own refusals. The fault shim
 * (tests/shim/faults.c), preloaded into qemu-img, logs its reads and refuses O_DIRECT. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probes/runner_qemu.h"
#include "testutil.h"

#define KiB 1024u
#define MiB (1024u * 1024u)

static char *tmpdir;
static char *raw_file;          /* 64 MiB of random bytes */
static char *qcow2_file;        /* converted from it */
static char *qemu_img;          /* NULL: the tests skip */
static char *qemu_img_missing;  /* why */

/* ---- helpers ---- */

static void write_random(const char *path, uint64_t size)
{
    g_autofree uint64_t *chunk = g_malloc(MiB);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    g_assert_cmpint(fd, >=, 0);
    for (uint64_t done = 0; done < size; done += MiB) {
        size_t n = (size_t)MIN((uint64_t)MiB, size - done);

        for (size_t k = 0; k < MiB / sizeof *chunk; k++) {
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

static char *copy_of(const char *src, const char *name)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;

    g_assert_true(g_file_get_contents(src, &data, &len, NULL));
    g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
    return path;
}

static char *checksum(const char *path)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
}

static bool have_qemu_img(void)
{
    if (qemu_img)
        return true;
    testutil_skip(qemu_img_missing);
    return false;
}

static struct run_spec spec_for(const char *path, enum cache_mode cache, enum io_mode io,
                                enum workload_kind kind)
{
    struct run_spec s = {
        .path = path,
        .cache = cache,
        .io = io,
        .wl = *workload_default(kind),
        .ramp_s = 0.1,
        .runtime_s = 0.3,
        .seed = 42,
        .iothreads = 1,
        .qemu_major = 7,
    };
    return s;
}

static void assert_ok_figures(const struct run_spec *s, const struct run_result *r)
{
    g_assert_cmpstr(run_status_name(r->status), ==, "ok");
    g_assert_cmpint(r->err, ==, 0);
    g_assert_cmpuint(r->ops, >, 0);
    g_assert_cmpuint(r->bytes, ==, r->ops * s->wl.block);
    g_assert_cmpfloat(r->seconds, >, 0);
    g_assert_cmpfloat(r->seconds, <, 30);
    g_assert_cmpfloat(r->iops, >, 0);
    g_assert_cmpfloat(r->iops * r->seconds, >, (double)r->ops * 0.99);
    g_assert_cmpfloat(r->iops * r->seconds, <, (double)r->ops * 1.01);
    g_assert_cmpfloat(r->bytes_per_s, >, 0);
    g_assert_cmpfloat(r->cpu_us_per_io, >, 0);
    g_assert_true(r->no_latency);
    g_assert_cmpuint(r->lat_ns.mean, ==, 0);
    g_assert_cmpuint(r->lat_ns.p99, ==, 0);
    g_assert_cmpuint(r->lat_ns.max, ==, 0);
}

/* Children of this process named qemu-img, zombies included. */
static unsigned qemu_img_children(void)
{
    g_autoptr(GDir) dir = g_dir_open("/proc", 0, NULL);
    const char *name;
    unsigned n = 0;

    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *path = g_strdup_printf("/proc/%s/stat", name);
        g_autofree char *stat = NULL;
        char comm[64] = "";
        int ppid = 0;
        char state;

        if (!g_ascii_isdigit(name[0]) || !g_file_get_contents(path, &stat, NULL, NULL))
            continue;
        /* "PID (COMM) STATE PPID ..." */
        const char *open_paren = strchr(stat, '('), *close_paren = strrchr(stat, ')');
        if (!open_paren || !close_paren || close_paren < open_paren)
            continue;
        g_strlcpy(comm, open_paren + 1, MIN(sizeof comm, (size_t)(close_paren - open_paren)));
        if (sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid() &&
            strcmp(comm, "qemu-img") == 0)
            n++;
    }
    return n;
}

static char *saved_asan_options;

static void shim_unload(void)
{
    g_unsetenv("LD_PRELOAD");
    g_unsetenv("VDT_SHIM_ODIRECT_EINVAL");
    g_unsetenv("VDT_SHIM_LOG");
    if (saved_asan_options)
        g_setenv("ASAN_OPTIONS", saved_asan_options, TRUE);
    else
        g_unsetenv("ASAN_OPTIONS");
    g_clear_pointer(&saved_asan_options, g_free);
}

/* The fault shim, preloaded into the qemu-img children (not into this process); false
 * (skipped) when it is not built or does not load. In a sanitized build the shim brings
 * libasan into a qemu-img built without it: the runtime then does not come first, and
 * qemu-img's own leaks are not this project's. */
static bool shim_preload(void)
{
    const char *build = g_getenv("VDT_BUILDDIR");
    g_autofree char *path = build ? g_build_filename(build, "tests", "libvdt_faults.so", NULL)
                                  : NULL;
    g_autofree char *asan = NULL;
    g_autofree char *out = NULL;
    const char *argv[] = { qemu_img, "--version", NULL };

    if (!path || !g_file_test(path, G_FILE_TEST_EXISTS)) {
        testutil_skip("the fault shim is not built (run through meson, VDT_BUILDDIR)");
        return false;
    }
    saved_asan_options = g_strdup(g_getenv("ASAN_OPTIONS"));
    asan = g_strdup_printf("%s%sverify_asan_link_order=0:detect_leaks=0",
                           saved_asan_options ? saved_asan_options : "",
                           saved_asan_options ? ":" : "");
    g_setenv("ASAN_OPTIONS", asan, TRUE);
    g_setenv("LD_PRELOAD", path, TRUE);
    out = testutil_run(argv);
    if (!out || !strstr(out, "qemu-img version")) {
        shim_unload();
        testutil_skip("the fault shim does not load into qemu-img here");
        return false;
    }
    return true;
}

/* ---- nothing spawned ---- */

static void test_find_env_nonexistent(void)
{
    g_autofree char *old = g_strdup(g_getenv("VIRT_DISKTUNE_QEMU_IMG"));
    g_autofree char *reason = NULL;
    g_autofree char *found = NULL;
    struct run_spec s = spec_for(raw_file, CACHE_NONE, IO_THREADS, WL_RANDREAD);
    struct run_result r;

    g_setenv("VIRT_DISKTUNE_QEMU_IMG", "/nonexistent", TRUE);
    found = runner_qemu_find(&reason);
    g_assert_null(found);
    g_assert_nonnull(reason);
    g_assert_nonnull(strstr(reason, "VIRT_DISKTUNE_QEMU_IMG=/nonexistent"));
    g_assert_cmpint(runner_qemu_run(&s, NULL, NULL, &r), ==, -ENOENT);
    g_assert_cmpstr(run_status_name(r.status), ==, "error");
    g_assert_cmpstr(r.reason, ==, reason);
    g_assert_cmpuint(r.ops, ==, 0);
    if (old)
        g_setenv("VIRT_DISKTUNE_QEMU_IMG", old, TRUE);
    else
        g_unsetenv("VIRT_DISKTUNE_QEMU_IMG");
}

static void test_native_writeback_invalid(void)
{
    struct run_spec s = spec_for(raw_file, CACHE_WRITEBACK, IO_NATIVE, WL_RANDREAD);
    struct run_progress p;
    struct run_result r;

    g_assert_cmpint(runner_qemu_run(&s, &p, NULL, &r), ==, -EINVAL);
    g_assert_cmpstr(run_status_name(r.status), ==, "invalid");
    g_assert_nonnull(strstr(r.reason, "aio=native requires cache.direct=on"));
    g_assert_cmpuint(r.ops, ==, 0);
    g_assert_cmpint(atomic_load(&p.phase), ==, 3);
    g_assert_cmpuint(qemu_img_children(), ==, 0);
}

static void test_mixed_unsupported(void)
{
    struct run_spec s = spec_for(raw_file, CACHE_NONE, IO_THREADS, WL_MIXED);
    struct run_result r;

    s.allow_write = true;
    g_assert_cmpint(runner_qemu_run(&s, NULL, NULL, &r), <, 0);
    g_assert_cmpstr(run_status_name(r.status), ==, "unsupported");
    g_assert_cmpstr(r.reason, ==, "qemu-img bench runs only reads or only writes");
    g_assert_cmpuint(r.ops, ==, 0);
}

static void test_write_refused_without_permission(void)
{
    g_autofree char *before = checksum(raw_file);
    g_autofree char *after = NULL;
    struct run_spec s = spec_for(raw_file, CACHE_WRITEBACK, IO_THREADS, WL_RANDWRITE);
    struct run_result r;

    g_assert_cmpint(runner_qemu_run(&s, NULL, NULL, &r), ==, -EPERM);
    g_assert_cmpstr(run_status_name(r.status), ==, "refused");
    g_assert_nonnull(strstr(r.reason, "writing is not allowed"));
    g_assert_cmpuint(r.ops, ==, 0);
    after = checksum(raw_file);
    g_assert_cmpstr(before, ==, after);
}

/* ---- reads ---- */

struct read_case {
    const char *name;
    enum workload_kind kind;
    enum cache_mode cache;
    enum io_mode io;
};

static const struct read_case read_cases[] = {
    { "randread/none-native", WL_RANDREAD, CACHE_NONE, IO_NATIVE },
    { "randread/writeback-threads", WL_RANDREAD, CACHE_WRITEBACK, IO_THREADS },
    { "seqread/none-native", WL_SEQREAD, CACHE_NONE, IO_NATIVE },
    { "seqread/writeback-threads", WL_SEQREAD, CACHE_WRITEBACK, IO_THREADS },
};

static void test_raw_read(gconstpointer data)
{
    const struct read_case *rc = data;
    struct run_spec s = spec_for(raw_file, rc->cache, rc->io, rc->kind);
    struct run_progress p;
    struct run_result r;

    if (!have_qemu_img())
        return;
    s.format = "raw";
    s.drop_cache = true;
    g_assert_cmpint(runner_qemu_run(&s, &p, NULL, &r), ==, 0);
    g_test_message("%s: %.0f IOPS over %.3f s, %.2f us CPU per I/O", rc->name, r.iops,
                   r.seconds, r.cpu_us_per_io);
    assert_ok_figures(&s, &r);
    g_assert_cmpfloat(r.data_fraction, ==, 1.0);
    if (s.wl.random)
        g_assert_cmpstr(r.reason, ==, "strided offsets: qemu-img bench has no random pattern");
    else
        g_assert_cmpstr(r.reason, ==, "");
    g_assert_cmpint(atomic_load(&p.phase), ==, 3);
    g_assert_cmpuint(atomic_load(&p.ops), ==, r.ops);
    g_assert_cmpuint(qemu_img_children(), ==, 0);
}

static void test_qcow2_read(gconstpointer data)
{
    const char *format = data;
    struct run_spec s = spec_for(qcow2_file, CACHE_NONE, IO_THREADS, WL_RANDREAD);
    struct run_result r;

    if (!have_qemu_img())
        return;
    s.format = format;
    g_assert_cmpint(runner_qemu_run(&s, NULL, NULL, &r), ==, 0);
    assert_ok_figures(&s, &r);
}

/* A raw image that is really a qcow2 file would read the qcow2 file's bytes: the given
 * format is used as given, never probed. */
static void test_given_format_is_used(void)
{
    struct run_spec s = spec_for(raw_file, CACHE_WRITEBACK, IO_THREADS, WL_SEQREAD);
    struct run_result r;

    if (!have_qemu_img())
        return;
    s.format = "qcow2";
    g_assert_cmpint(runner_qemu_run(&s, NULL, NULL, &r), <, 0);
    g_assert_cmpstr(run_status_name(r.status), ==, "error");
    g_assert_nonnull(strstr(r.reason, "Image is not in qcow2 format"));
}

/* ---- writes ---- */

static void test_write_on_scratch_copy(gconstpointer data)
{
    enum workload_kind kind = GPOINTER_TO_INT(data);
    g_autofree char *path = copy_of(raw_file, "scratch");
    g_autofree char *before = checksum(path);
    g_autofree char *after = NULL;
    g_autofree char *first = NULL;
    struct run_spec s = spec_for(path, CACHE_WRITEBACK, IO_THREADS, kind);
    struct run_result r;
    int fd;

    if (!have_qemu_img()) {
        g_unlink(path);
        return;
    }
    s.allow_write = true;
    g_assert_cmpint(runner_qemu_run(&s, NULL, NULL, &r), ==, 0);
    assert_ok_figures(&s, &r);
    g_assert_cmpfloat(r.device_read_share, <, 0);   /* no reads */
    after = checksum(path);
    g_assert_cmpstr(before, !=, after);
    /* Sequential writes start at block 0 with the non-zero pattern. */
    first = g_malloc(s.wl.block);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, first, s.wl.block, 0), ==, (ssize_t)s.wl.block);
    close(fd);
    for (uint32_t i = 0; !s.wl.random && i < s.wl.block; i++)
        g_assert_cmpint((guchar)first[i], ==, 0xa5);
    g_unlink(path);
}

/* ---- identity ---- */

static void test_identity_mismatch_refused(void)
{
    g_autofree char *path = copy_of(raw_file, "replaced");
    g_autofree char *before = checksum(path);
    g_autofree char *after = NULL;
    struct run_spec s = spec_for(path, CACHE_WRITEBACK, IO_THREADS, WL_SEQWRITE);
    struct run_result r;
    struct stat approved, now;

    if (!have_qemu_img()) {
        g_unlink(path);
        return;
    }
    g_assert_cmpint(stat(raw_file, &approved), ==, 0);
    g_assert_cmpint(stat(path, &now), ==, 0);
    s.allow_write = true;
    s.check_identity = true;
    s.expect_dev = approved.st_dev;
    s.expect_ino = approved.st_ino;
    g_assert_cmpint(runner_qemu_run(&s, NULL, NULL, &r), ==, -ESTALE);
    g_assert_cmpstr(run_status_name(r.status), ==, "refused");
    g_assert_nonnull(strstr(r.reason, "target changed since the safety check"));
    g_assert_cmpuint(r.ops, ==, 0);
    after = checksum(path);
    g_assert_cmpstr(before, ==, after);

    s.expect_dev = now.st_dev;
    s.expect_ino = now.st_ino;
    g_assert_cmpint(runner_qemu_run(&s, NULL, NULL, &r), ==, 0);
    g_assert_cmpstr(run_status_name(r.status), ==, "ok");
    g_unlink(path);
}

/* ---- an image a running QEMU holds ---- */

/* Whether a QEMU holds path as a guest's disk: its lock on byte 201 (file-posix's
 * RAW_LOCK_SHARED_BASE + the write permission: "others may not write"). */
static bool guest_lock_held(const char *path)
{
    g_autofree char *locks = NULL, *needle = NULL;
    struct stat st;

    if (stat(path, &st) < 0 || !g_file_get_contents("/proc/locks", &locks, NULL, NULL))
        return false;
    needle = g_strdup_printf(":%llu 201 201", (unsigned long long)st.st_ino);
    return strstr(locks, needle) != NULL;
}

/* A paused guest (-S) holds its disk's locks as a running one does. */
static GPid start_guest(const char *path)
{
    g_autofree char *qemu = g_find_program_in_path("qemu-system-x86_64");
    g_autofree char *file = g_strdup_printf("driver=file,filename=%s,node-name=f0", path);
    const char *argv[] = { qemu, "-S", "-display", "none", "-nodefaults", "-m", "64",
                           "-machine", "q35,accel=tcg", "-blockdev", file, "-blockdev",
                           "driver=raw,file=f0,node-name=d0", "-device",
                           "virtio-blk-pci,drive=d0", NULL };
    GPid pid = 0;

    if (!qemu) {
        testutil_skip("qemu-system-x86_64 is not installed");
        return 0;
    }
    g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &pid, NULL));
    for (int i = 0; i < 300 && !guest_lock_held(path); i++)
        g_usleep(50000);
    if (!guest_lock_held(path)) {
        g_test_fail_printf("qemu-system-x86_64 took no lock on %s in 15 s", path);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 0;
    }
    return pid;
}

/* Reads need no -U: a read-only bench shares every permission and wants none the guest
 * refuses. A write wants "write", which the guest refuses: qemu-img's own refusal. */
static void test_image_held_by_qemu(void)
{
    g_autofree char *path = copy_of(raw_file, "guest-disk");
    g_autofree char *before = checksum(path);
    g_autofree char *after = NULL;
    struct run_spec w = spec_for(path, CACHE_NONE, IO_THREADS, WL_RANDWRITE);
    struct run_spec rd = spec_for(path, CACHE_NONE, IO_THREADS, WL_RANDREAD);
    struct run_result r;
    GPid guest;

    if (!have_qemu_img() || !(guest = start_guest(path))) {
        g_unlink(path);
        return;
    }
    w.allow_write = true;
    w.format = rd.format = "raw";
    g_assert_cmpint(runner_qemu_run(&w, NULL, NULL, &r), ==, -EBUSY);
    g_assert_cmpstr(run_status_name(r.status), ==, "refused");
    g_assert_nonnull(strstr(r.reason, "Failed to get \"write\" lock"));
    g_assert_cmpuint(r.ops, ==, 0);
    g_assert_cmpint(runner_qemu_run(&rd, NULL, NULL, &r), ==, 0);
    assert_ok_figures(&rd, &r);
    g_assert_cmpint(kill(guest, SIGTERM), ==, 0);
    g_assert_cmpint(waitpid(guest, NULL, 0), ==, guest);
    after = checksum(path);
    g_assert_cmpstr(before, ==, after);
    g_unlink(path);
}

/* ---- cancel ---- */

struct canceller {
    struct run_progress *progress;
    atomic_bool *cancel;
    int seen_phase;
    gint64 cancelled_at;
};

static void *cancel_soon(void *arg)
{
    struct canceller *c = arg;

    /* Until the measured run started (bounded, in case the cell failed). */
    for (int i = 0; i < 1000; i++) {
        c->seen_phase = atomic_load(&c->progress->phase);
        if (c->seen_phase >= 2)
            break;
        g_usleep(10000);
    }
    g_usleep(300000);
    c->cancelled_at = g_get_monotonic_time();
    atomic_store(c->cancel, true);
    return NULL;
}

static void test_cancel(void)
{
    struct run_spec s = spec_for(raw_file, CACHE_NONE, IO_THREADS, WL_RANDREAD);
    struct run_progress p;
    atomic_bool cancel = false;
    struct canceller c = { &p, &cancel, 0, 0 };
    struct run_result r;
    pthread_t t;
    gint64 took;

    if (!have_qemu_img())
        return;
    s.runtime_s = 600;
    g_assert_cmpint(pthread_create(&t, NULL, cancel_soon, &c), ==, 0);
    g_assert_cmpint(runner_qemu_run(&s, &p, &cancel, &r), ==, 0);
    took = g_get_monotonic_time() - c.cancelled_at;
    g_assert_cmpint(pthread_join(t, NULL), ==, 0);
    g_test_message("cancel to return: %.1f ms", (double)took / 1000.0);
    g_assert_cmpint(c.seen_phase, ==, 2);
    g_assert_cmpstr(run_status_name(r.status), ==, "cancelled");
    g_assert_nonnull(strstr(r.reason, "cancelled while measuring"));
    /* SIGTERM ends qemu-img at once; SIGKILL would come after 1 s. */
    g_assert_cmpint(took, <, 1500 * 1000);
    g_assert_cmpint(atomic_load(&p.phase), ==, 3);
    g_assert_cmpuint(qemu_img_children(), ==, 0);
}

/* ---- qemu-img's refusals and patterns, through the fault shim ---- */

static void test_odirect_refused_unsupported(void)
{
    struct run_spec s = spec_for(raw_file, CACHE_NONE, IO_THREADS, WL_SEQREAD);
    struct run_result r;

    if (!have_qemu_img() || !shim_preload())
        return;
    g_setenv("VDT_SHIM_ODIRECT_EINVAL", "1", TRUE);
    s.format = "raw";
    g_assert_cmpint(runner_qemu_run(&s, NULL, NULL, &r), ==, -EINVAL);
    shim_unload();
    g_assert_cmpstr(run_status_name(r.status), ==, "unsupported");
    g_assert_cmpint(r.err, ==, EINVAL);
    g_assert_true(g_str_has_prefix(r.reason, "qemu-img: Could not open"));
    g_assert_nonnull(strstr(r.reason, "does not support O_DIRECT"));
    g_assert_null(strchr(r.reason, '\n'));
    g_assert_cmpuint(r.ops, ==, 0);
}

/* A random cell's offsets: a stride coprime with the image's blocks, so every block is
 * read before any is read twice; a read cell opens the image read-only only. */
static void test_strided_offsets_cover_every_block(void)
{
    g_autofree char *img = g_build_filename(tmpdir, "small", NULL);
    g_autofree char *log = g_build_filename(tmpdir, "shim.log", NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    struct run_spec s = spec_for(img, CACHE_NONE, IO_THREADS, WL_RANDREAD);
    struct run_result r;
    const unsigned nblocks = 64;
    bool seen[64] = { false };
    unsigned reads = 0, distinct = 0, deltas[64] = { 0 }, best = 0;
    long long prev = -1;

    if (!have_qemu_img() || !shim_preload())
        return;
    write_random(img, nblocks * 4 * KiB);
    g_setenv("VDT_SHIM_LOG", log, TRUE);
    s.format = "raw";
    s.wl.depth = 1;     /* one request at a time: the log holds them in order */
    g_assert_cmpint(runner_qemu_run(&s, NULL, NULL, &r), ==, 0);
    shim_unload();
    assert_ok_figures(&s, &r);
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (unsigned i = 0; lines[i]; i++) {
        long long off, len;

        if (g_str_has_prefix(lines[i], "open ") && strstr(lines[i], img))
            g_assert_true(g_str_has_prefix(lines[i], "open rdonly"));
        if (sscanf(lines[i], "pread %lld %lld", &off, &len) != 2 || len != 4096)
            continue;
        g_assert_cmpint(off % 4096, ==, 0);
        g_assert_cmpint(off, <, nblocks * 4096);
        if (!seen[off / 4096]) {
            seen[off / 4096] = true;
            distinct++;
        }
        if (prev >= 0)
            deltas[((off - prev) / 4096 + nblocks) % nblocks]++;
        prev = off;
        reads++;
    }
    g_test_message("%u reads of 4 KiB, %u distinct blocks", reads, distinct);
    g_assert_cmpuint(reads, >, nblocks);
    g_assert_cmpuint(distinct, ==, nblocks);
    for (unsigned d = 1; d < nblocks; d++)
        if (deltas[d] > deltas[best])
            best = d;
    /* The step in blocks: far from sequential (1) and coprime with 64 (odd). */
    g_assert_cmpuint(best, >, 1);
    g_assert_cmpuint(best % 2, ==, 1);
    g_assert_cmpuint(deltas[best], >, reads * 8 / 10);
    g_unlink(log);
    g_unlink(img);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_unsetenv("VIRT_DISKTUNE_QEMU_IMG");
    qemu_img = runner_qemu_find(&qemu_img_missing);
    tmpdir = g_dir_make_tmp("vdt-qemu-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    raw_file = g_build_filename(tmpdir, "data.raw", NULL);
    write_random(raw_file, 64 * MiB);
    qcow2_file = g_build_filename(tmpdir, "data.qcow2", NULL);
    if (qemu_img) {
        const char *conv[] = { qemu_img, "convert", "-f", "raw", "-O", "qcow2", raw_file,
                               qcow2_file, NULL };
        g_free(testutil_run_ok(conv));
    }

    g_test_add_func("/runner-qemu/find/missing-binary-gives-null-and-a-reason",
                    test_find_env_nonexistent);
    g_test_add_func("/runner-qemu/native-writeback-is-invalid-and-spawns-nothing",
                    test_native_writeback_invalid);
    g_test_add_func("/runner-qemu/mixed-is-unsupported", test_mixed_unsupported);
    g_test_add_func("/runner-qemu/write-without-permission-is-refused-and-leaves-the-file",
                    test_write_refused_without_permission);
    for (unsigned i = 0; i < G_N_ELEMENTS(read_cases); i++) {
        g_autofree char *name = g_strdup_printf("/runner-qemu/raw/%s", read_cases[i].name);

        g_test_add_data_func(name, &read_cases[i], test_raw_read);
    }
    g_test_add_data_func("/runner-qemu/qcow2/given-format", "qcow2", test_qcow2_read);
    g_test_add_data_func("/runner-qemu/qcow2/detected-format", NULL, test_qcow2_read);
    g_test_add_func("/runner-qemu/given-format-is-not-probed", test_given_format_is_used);
    g_test_add_data_func("/runner-qemu/write/seqwrite-on-a-scratch-copy",
                         GINT_TO_POINTER(WL_SEQWRITE), test_write_on_scratch_copy);
    g_test_add_data_func("/runner-qemu/write/randwrite-on-a-scratch-copy",
                         GINT_TO_POINTER(WL_RANDWRITE), test_write_on_scratch_copy);
    g_test_add_data_func("/runner-qemu/write/syncwrite-on-a-scratch-copy",
                         GINT_TO_POINTER(WL_SYNCWRITE), test_write_on_scratch_copy);
    g_test_add_func("/runner-qemu/identity-mismatch-is-refused", test_identity_mismatch_refused);
    g_test_add_func("/runner-qemu/image-held-by-a-running-qemu-reads-but-refuses-writes",
                    test_image_held_by_qemu);
    g_test_add_func("/runner-qemu/cancel-ends-the-cell-and-leaves-no-child", test_cancel);
    g_test_add_func("/runner-qemu/odirect-refused-is-unsupported",
                    test_odirect_refused_unsupported);
    g_test_add_func("/runner-qemu/strided-offsets-cover-every-block",
                    test_strided_offsets_cover_every_block);

    ret = g_test_run();
    g_unlink(raw_file);
    g_unlink(qcow2_file);
    g_rmdir(tmpdir);
    g_free(raw_file);
    g_free(qcow2_file);
    g_free(tmpdir);
    g_free(qemu_img);
    g_free(qemu_img_missing);
    return ret;
}
