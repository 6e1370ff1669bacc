/* probes/journal.c, the undo journal of preserve mode, on real files, a loop device and a
 * tiny tmpfs: a crash after regions were written is replayed to the original bytes
 * (SHA-256 of the whole target), retired regions are left alone, a torn last record is
 * dropped, a corrupt one keeps the journal, a journal for another target is never applied,
 * a full journal filesystem refuses the record, and a replay interrupted is replayed again. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "probes/journal.h"
#include "tests/testutil.h"

#define MiB (1u << 20)
#define TARGET_SIZE (8u * MiB)

static char *tmpdir;

static char *file_sum(const char *path)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
}

static char *dev_sum(const char *dev, gsize size)
{
    g_autofree guchar *buf = g_malloc(size);
    int fd = open(dev, O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, size, 0), ==, (gssize)size);
    close(fd);
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, buf, size);
}

struct run {
    char *target, *jdir, *jpath;
    int fd;                  /* the target, read-write */
    struct journal *j;
    uint64_t seq;
};

static void run_start(struct run *r, const char *target)
{
    struct journal_identity id;
    GError *err = NULL;

    r->target = g_strdup(target);
    r->jdir = g_build_filename(tmpdir, "journals", NULL);
    r->fd = open(target, O_RDWR | O_CLOEXEC);
    g_assert_cmpint(r->fd, >=, 0);
    g_assert_true(journal_identity_of(r->fd, target, "8c1e4a3b-0000-4000-8000-000000000001",
                                      &id, &err));
    g_assert_no_error(err);
    r->j = journal_create(r->jdir, "t.journal", &id, &err);
    g_assert_no_error(err);
    r->jpath = g_strdup(journal_path(r->j));
    r->seq = 0;
}

/* One region by the contract: the original saved and synced, then overwritten. */
static void overwrite(struct run *r, uint64_t offset, uint32_t len, bool restore)
{
    g_autofree guchar *orig = g_malloc(len), *junk = g_malloc(len);
    GError *err = NULL;
    uint64_t seq = ++r->seq;

    g_assert_cmpint(pread(r->fd, orig, len, (off_t)offset), ==, (gssize)len);
    g_assert_true(journal_add_region(r->j, seq, offset, orig, len, &err));
    g_assert_no_error(err);
    memset(junk, 0x5a, len);
    g_assert_cmpint(pwrite(r->fd, junk, len, (off_t)offset), ==, (gssize)len);
    if (!restore)
        return;
    g_assert_cmpint(pwrite(r->fd, orig, len, (off_t)offset), ==, (gssize)len);
    g_assert_cmpint(fdatasync(r->fd), ==, 0);
    g_assert_true(journal_retire(r->j, seq, &err));
    g_assert_no_error(err);
}

/* A crash: nothing more reaches the journal; the process's files close. */
static void crash(struct run *r)
{
    g_assert_true(journal_close(r->j, false, NULL));
    r->j = NULL;
    close(r->fd);
    r->fd = -1;
}

static void run_clear(struct run *r)
{
    if (r->j)
        journal_close(r->j, false, NULL);
    if (r->fd >= 0)
        close(r->fd);
    if (r->jpath)
        unlink(r->jpath);
    rmdir(r->jdir);
    g_free(r->target);
    g_free(r->jdir);
    g_free(r->jpath);
}

static char *target_file(const char *name)
{
    g_autofree char *path = g_build_filename(tmpdir, name, NULL);

    testutil_write_data(path, TARGET_SIZE);
    return g_steal_pointer(&path);
}

/* ---- replay ---------------------------------------------------------------------------------- */

static void test_crash_replayed_to_the_original(void)
{
    g_autofree char *t = target_file("crash.img");
    g_autofree char *before = file_sum(t), *mid = NULL, *after = NULL;
    struct run r = { .fd = -1 };
    struct journal_scan s;
    GError *err = NULL;
    unsigned restored = 0;

    run_start(&r, t);
    overwrite(&r, 0, 4096, false);                       /* the first MiB, the identity's */
    overwrite(&r, 3 * MiB + 512, 256 * 1024, false);
    overwrite(&r, TARGET_SIZE - 8192, 8192, false);      /* the last */
    crash(&r);
    mid = file_sum(t);
    g_assert_cmpstr(mid, !=, before);
    g_assert_true(journal_read(r.jpath, &s, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(s.regions->len, ==, 3);
    g_assert_cmpuint(s.pending, ==, 3);
    g_assert_false(s.torn);
    g_assert_false(s.corrupt);
    g_assert_cmpuint(s.id.size, ==, TARGET_SIZE);
    g_assert_cmpstr(s.id.path, ==, t);
    g_assert_cmpstr(s.id.uuid, ==, "8c1e4a3b-0000-4000-8000-000000000001");
    journal_scan_clear(&s);
    g_assert_true(journal_recover(r.jpath, NULL, &restored, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(restored, ==, 3);
    after = file_sum(t);
    g_assert_cmpstr(after, ==, before);
    g_assert_false(g_file_test(r.jpath, G_FILE_TEST_EXISTS));
    run_clear(&r);
    unlink(t);
}

/* Retired regions were restored already: only the last, not retired, is written back. */
static void test_retired_regions_left_alone(void)
{
    g_autofree char *t = target_file("retired.img");
    g_autofree char *before = file_sum(t), *after = NULL;
    struct run r = { .fd = -1 };
    GError *err = NULL;
    unsigned restored = 0;

    run_start(&r, t);
    overwrite(&r, 1 * MiB, 64 * 1024, true);
    overwrite(&r, 2 * MiB, 64 * 1024, true);
    overwrite(&r, 5 * MiB, 64 * 1024, false);
    crash(&r);
    g_assert_true(journal_recover(r.jpath, NULL, &restored, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(restored, ==, 1);
    after = file_sum(t);
    g_assert_cmpstr(after, ==, before);
    run_clear(&r);
    unlink(t);
}

/* A journal whose every region is retired has nothing to do: removed, nothing written. */
static void test_clean_run_removes_the_journal(void)
{
    g_autofree char *t = target_file("clean.img");
    g_autofree char *before = file_sum(t), *after = NULL;
    struct run r = { .fd = -1 };
    GError *err = NULL;

    run_start(&r, t);
    overwrite(&r, 0, 4096, true);
    g_assert_true(journal_close(r.j, true, &err));
    g_assert_no_error(err);
    r.j = NULL;
    g_assert_false(g_file_test(r.jpath, G_FILE_TEST_EXISTS));
    after = file_sum(t);
    g_assert_cmpstr(after, ==, before);
    run_clear(&r);
    unlink(t);
}

/* A replay interrupted (the journal still there after the target was written back) is
 * replayed again to the same bytes. */
static void test_replay_twice_is_the_same(void)
{
    g_autofree char *t = target_file("twice.img");
    g_autofree char *before = file_sum(t), *after = NULL, *copy = NULL;
    g_autofree char *data = NULL;
    gsize len = 0;
    struct run r = { .fd = -1 };
    GError *err = NULL;

    run_start(&r, t);
    overwrite(&r, 0, 128 * 1024, false);
    crash(&r);
    g_assert_true(g_file_get_contents(r.jpath, &data, &len, NULL));
    g_assert_true(journal_recover(r.jpath, NULL, NULL, &err));
    g_assert_no_error(err);
    g_assert_true(g_file_set_contents(r.jpath, data, (gssize)len, NULL));
    g_assert_true(journal_recover(r.jpath, NULL, NULL, &err));
    g_assert_no_error(err);
    after = file_sum(t);
    g_assert_cmpstr(after, ==, before);
    run_clear(&r);
    unlink(t);
}

/* ---- damaged journals -------------------------------------------------------------------------- */

/* The last record cut in the middle (the crash came before its fdatasync: its region was
 * never written): dropped, the rest replayed. */
static void test_torn_last_record_dropped(void)
{
    g_autofree char *t = target_file("torn.img");
    g_autofree char *before = file_sum(t), *after = NULL;
    struct run r = { .fd = -1 };
    struct journal_scan s;
    struct stat st;
    GError *err = NULL;
    unsigned restored = 0;
    guchar orig[4096];
    int fd;

    run_start(&r, t);
    overwrite(&r, 1 * MiB, 4096, false);
    g_assert_cmpint(pread(r.fd, orig, sizeof orig, 6 * MiB), ==, (gssize)sizeof orig);
    g_assert_true(journal_add_region(r.j, ++r.seq, 6 * MiB, orig, sizeof orig, &err));
    crash(&r);
    g_assert_cmpint(stat(r.jpath, &st), ==, 0);
    g_assert_cmpint(truncate(r.jpath, st.st_size - 1000), ==, 0);
    g_assert_true(journal_read(r.jpath, &s, &err));
    g_assert_true(s.torn);
    g_assert_false(s.corrupt);
    g_assert_cmpuint(s.pending, ==, 1);
    journal_scan_clear(&s);
    /* Garbage instead of a cut (a page the filesystem showed unwritten): torn too. */
    fd = open(r.jpath, O_WRONLY | O_APPEND);
    g_assert_cmpint(write(fd, "\0\0\0\0garbage", 11), ==, 11);
    close(fd);
    g_assert_true(journal_read(r.jpath, &s, &err));
    g_assert_true(s.torn);
    journal_scan_clear(&s);
    g_assert_true(journal_recover(r.jpath, NULL, &restored, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(restored, ==, 1);
    after = file_sum(t);
    g_assert_cmpstr(after, ==, before);
    run_clear(&r);
    unlink(t);
}

/* A record whose data does not match its sum, with a good record after it: corrupt. What
 * checks is restored, the journal stays, the error says so. */
static void test_corrupt_record_keeps_the_journal(void)
{
    g_autofree char *t = target_file("corrupt.img");
    struct run r = { .fd = -1 };
    struct journal_scan s;
    GError *err = NULL;
    unsigned restored = 9;
    guchar byte;
    int fd;
    off_t at;

    run_start(&r, t);
    overwrite(&r, 1 * MiB, 4096, false);
    overwrite(&r, 2 * MiB, 4096, false);
    overwrite(&r, 4 * MiB, 4096, false);
    crash(&r);
    g_assert_true(journal_read(r.jpath, &s, &err));
    at = g_array_index(s.regions, struct journal_region, 1).data_at + 100;
    journal_scan_clear(&s);
    fd = open(r.jpath, O_RDWR);
    g_assert_cmpint(pread(fd, &byte, 1, at), ==, 1);
    byte ^= 0xff;
    g_assert_cmpint(pwrite(fd, &byte, 1, at), ==, 1);
    close(fd);
    g_assert_true(journal_read(r.jpath, &s, &err));
    g_assert_true(s.corrupt);
    g_assert_false(s.torn);
    g_assert_cmpuint(s.regions->len, ==, 1);
    journal_scan_clear(&s);
    g_assert_false(journal_recover(r.jpath, NULL, &restored, &err));
    g_assert_error(err, JOURNAL_ERROR, JOURNAL_ERROR_FORMAT);
    g_assert_nonnull(strstr(err->message, "does not check and records follow it"));
    g_clear_error(&err);
    g_assert_cmpuint(restored, ==, 1);
    g_assert_true(g_file_test(r.jpath, G_FILE_TEST_EXISTS));
    run_clear(&r);
    unlink(t);
}

static void test_not_a_journal(void)
{
    g_autofree char *p = g_build_filename(tmpdir, "not.journal", NULL);
    struct journal_scan s;
    GError *err = NULL;

    g_assert_true(g_file_set_contents(p, "VDTJRNL2 a journal of the future", -1, NULL));
    g_assert_false(journal_read(p, &s, &err));
    journal_scan_clear(&s);
    g_assert_error(err, JOURNAL_ERROR, JOURNAL_ERROR_FORMAT);
    g_clear_error(&err);
    g_assert_false(journal_recover(p, NULL, NULL, &err));
    g_assert_error(err, JOURNAL_ERROR, JOURNAL_ERROR_FORMAT);
    g_clear_error(&err);
    unlink(p);
}

/* ---- identity ---------------------------------------------------------------------------------- */

/* Another file, a file of another size, or the target changed outside the saved regions:
 * never applied, nothing written, the reason says what differs. */
static void test_other_target_never_applied(void)
{
    g_autofree char *t = target_file("ident.img");
    g_autofree char *other = target_file("other.img");
    g_autofree char *other_sum = file_sum(other), *now = NULL;
    struct run r = { .fd = -1 };
    GError *err = NULL;
    guchar x = 1;
    int fd;

    run_start(&r, t);
    overwrite(&r, 2 * MiB, 4096, false);
    crash(&r);
    g_assert_false(journal_recover(r.jpath, other, NULL, &err));
    g_assert_error(err, JOURNAL_ERROR, JOURNAL_ERROR_IDENTITY);
    g_assert_nonnull(strstr(err->message, "another file"));
    g_clear_error(&err);
    now = file_sum(other);
    g_assert_cmpstr(now, ==, other_sum);
    /* The right file, but its first MiB written by someone else since. */
    fd = open(t, O_WRONLY);
    g_assert_cmpint(pwrite(fd, &x, 1, 10), ==, 1);
    close(fd);
    g_assert_false(journal_recover(r.jpath, NULL, NULL, &err));
    g_assert_error(err, JOURNAL_ERROR, JOURNAL_ERROR_IDENTITY);
    g_assert_nonnull(strstr(err->message, "its first MiB"));
    g_clear_error(&err);
    /* Grown: the size differs. */
    g_assert_cmpint(truncate(t, TARGET_SIZE + 4096), ==, 0);
    g_assert_false(journal_recover(r.jpath, NULL, NULL, &err));
    g_assert_error(err, JOURNAL_ERROR, JOURNAL_ERROR_IDENTITY);
    g_assert_nonnull(strstr(err->message, "bytes, the journal's target had"));
    g_clear_error(&err);
    g_assert_true(g_file_test(r.jpath, G_FILE_TEST_EXISTS));
    run_clear(&r);
    unlink(t);
    unlink(other);
}

/* A block device: its identity is the device number. */
static void test_loop_device_replayed(void)
{
    struct testutil_loop loop = { NULL, NULL };
    g_autofree char *before = NULL, *after = NULL;
    struct run r = { .fd = -1 };
    struct journal_scan s;
    GError *err = NULL;

    if (!testutil_loop_attach(&loop, TARGET_SIZE, true))
        return;
    before = dev_sum(loop.dev, TARGET_SIZE);
    run_start(&r, loop.dev);
    overwrite(&r, 0, 64 * 1024, false);
    overwrite(&r, 7 * MiB, 64 * 1024, false);
    crash(&r);
    g_assert_true(journal_read(r.jpath, &s, &err));
    g_assert_cmpuint(s.id.rdev, !=, 0);
    journal_scan_clear(&s);
    g_assert_true(journal_recover(r.jpath, NULL, NULL, &err));
    g_assert_no_error(err);
    after = dev_sum(loop.dev, TARGET_SIZE);
    g_assert_cmpstr(after, ==, before);
    run_clear(&r);
    testutil_loop_detach(&loop);
}

/* ---- a full journal filesystem ------------------------------------------------------------------ */

/* The record does not fit: the append fails with ENOSPC, is cut off again, and the journal
 * still reads cleanly with what it held before. */
static void test_full_journal_filesystem(void)
{
    g_autofree char *mnt = g_build_filename(tmpdir, "tiny", NULL);
    g_autofree char *t = target_file("full.img");
    g_autofree guchar *orig = g_malloc(2 * MiB);
    struct journal_identity id;
    struct journal_scan s;
    struct journal *j;
    GError *err = NULL;
    g_autofree char *jpath = NULL;
    int fd;

    if (geteuid() != 0) {
        testutil_skip("mounting a tmpfs needs root");
        return;
    }
    g_assert_cmpint(g_mkdir_with_parents(mnt, 0700), ==, 0);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") < 0) {
        testutil_skip("cannot mount a tmpfs here");
        return;
    }
    fd = open(t, O_RDWR);
    g_assert_true(journal_identity_of(fd, t, NULL, &id, &err));
    j = journal_create(mnt, "full.journal", &id, &err);
    g_assert_no_error(err);
    jpath = g_strdup(journal_path(j));
    g_assert_cmpint(pread(fd, orig, 4096, 0), ==, 4096);
    g_assert_true(journal_add_region(j, 1, 0, orig, 4096, &err));
    g_assert_cmpint(pread(fd, orig, 2 * MiB, MiB), ==, 2 * MiB);
    g_assert_false(journal_add_region(j, 2, MiB, orig, 2 * MiB, &err));
    g_assert_error(err, JOURNAL_ERROR, JOURNAL_ERROR_IO);
    g_assert_nonnull(strstr(err->message, g_strerror(ENOSPC)));
    g_clear_error(&err);
    g_assert_true(journal_read(jpath, &s, &err));
    g_assert_false(s.torn);
    g_assert_false(s.corrupt);
    g_assert_cmpuint(s.regions->len, ==, 1);
    journal_scan_clear(&s);
    g_assert_true(journal_close(j, true, &err));
    close(fd);
    g_assert_cmpint(umount(mnt), ==, 0);
    rmdir(mnt);
    unlink(t);
}

/* ---- under the fault shim (tests/shim/faults.c, in a child) --------------------------------------- */

static unsigned long shim_count(const char *what)
{
    unsigned long (*count)(const char *);

    *(void **)&count = dlsym(RTLD_DEFAULT, "vdt_shim_count");
    g_assert_nonnull(count);    /* the child really runs with the shim */
    return count(what);
}

/* A journal of a target made here: the header's identity from a file of zeros. */
static struct journal *journal_for(const char *name, char **target)
{
    struct journal_identity id;
    GError *err = NULL;
    struct journal *j;
    int fd;

    *target = g_build_filename(tmpdir, name, NULL);
    g_assert_true(g_file_set_contents(*target, "", 0, NULL));
    g_assert_cmpint(truncate(*target, 1 << 20), ==, 0);
    fd = open(*target, O_RDONLY);
    g_assert_true(journal_identity_of(fd, *target, NULL, &id, &err));
    close(fd);
    {
        g_autofree char *jname = g_strdup_printf("%s.journal", name);

        j = journal_create(tmpdir, jname, &id, &err);
    }
    g_assert_no_error(err);
    return j;
}

/* Every record is on stable storage when journal_add_region or journal_retire returns:
 * one fdatasync each (the promise the target's write waits for). */
static void test_each_record_synced(void)
{
    static guchar data[4096];
    g_autofree char *target = NULL, *jp = NULL;
    struct journal *j;
    unsigned long f0;

    if (!g_test_subprocess()) {
        testutil_trap_with_preload("libvdt_faults.so", NULL, NULL);
        return;
    }
    j = journal_for("synced", &target);
    jp = g_strdup(journal_path(j));
    f0 = shim_count("fdatasync");
    for (unsigned i = 1; i <= 3; i++) {
        g_assert_true(journal_add_region(j, i, i * 4096, data, sizeof data, NULL));
        g_assert_cmpuint(shim_count("fdatasync"), ==, f0 + i);
    }
    g_assert_true(journal_retire(j, 1, NULL));
    g_assert_cmpuint(shim_count("fdatasync"), ==, f0 + 4);
    g_assert_true(journal_close(j, true, NULL));
    unlink(target);
}

/* EIO from the journal mid-run: the append fails (the region must not be written) and is
 * cut off again, so the file holds exactly what it held before. pread and pwrite calls are
 * counted from the start: 2 preads (the identity), 1 pwrite (the header), 2 (record 1);
 * the 6th fails. */
static void test_eio_from_the_journal(void)
{
    static guchar data[4096];
    g_autofree char *target = NULL, *jp = NULL, *text = NULL;
    gsize before, after;
    GError *err = NULL;
    struct journal *j;

    if (!g_test_subprocess()) {
        testutil_trap_with_preload("libvdt_faults.so", "VDT_SHIM_EIO_AFTER", "5");
        return;
    }
    j = journal_for("eio", &target);
    jp = g_strdup(journal_path(j));
    g_assert_true(journal_add_region(j, 1, 0, data, sizeof data, &err));
    g_assert_no_error(err);
    g_assert_true(g_file_get_contents(jp, &text, &before, NULL));
    g_clear_pointer(&text, g_free);
    g_assert_false(journal_add_region(j, 2, 8192, data, sizeof data, &err));
    g_assert_error(err, JOURNAL_ERROR, JOURNAL_ERROR_IO);
    g_assert_nonnull(strstr(err->message, g_strerror(EIO)));
    g_clear_error(&err);
    g_assert_true(g_file_get_contents(jp, &text, &after, NULL));
    g_assert_cmpuint(after, ==, before);
    g_assert_true(journal_close(j, true, NULL));
    unlink(target);
}

int main(int argc, char **argv)
{
    const char *base = g_getenv("VDT_TEST_TMPDIR");
    int rc;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_strdup_printf("%s/vdt-test-journal-XXXXXX", base && *base ? base : "/var/tmp");
    g_assert_nonnull(mkdtemp(tmpdir));
    g_test_add_func("/journal/crash-replayed-to-the-original", test_crash_replayed_to_the_original);
    g_test_add_func("/journal/retired-regions-left-alone", test_retired_regions_left_alone);
    g_test_add_func("/journal/clean-run-removes-the-journal", test_clean_run_removes_the_journal);
    g_test_add_func("/journal/replay-twice-is-the-same", test_replay_twice_is_the_same);
    g_test_add_func("/journal/torn-last-record-dropped", test_torn_last_record_dropped);
    g_test_add_func("/journal/corrupt-record-keeps-the-journal",
                    test_corrupt_record_keeps_the_journal);
    g_test_add_func("/journal/not-a-journal", test_not_a_journal);
    g_test_add_func("/journal/other-target-never-applied", test_other_target_never_applied);
    g_test_add_func("/journal/loop-device-replayed", test_loop_device_replayed);
    g_test_add_func("/journal/full-journal-filesystem", test_full_journal_filesystem);
    g_test_add_func("/journal/each-record-synced", test_each_record_synced);
    g_test_add_func("/journal/eio-from-the-journal", test_eio_from_the_journal);
    rc = g_test_run();
    rmdir(tmpdir);
    g_free(tmpdir);
    return rc;
}
