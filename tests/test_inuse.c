/* probes/inuse.c against real holders: child processes holding files open, OFD locks,
 * loop devices claimed O_EXCL and mounted, and a fake sysfs tree for holders and stacking.
 * The loop device tests need root; they clean up (umount, detach) on every path, which is
 * why assertions here are non-fatal. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probes/inuse.h"
#include "tests/testutil.h"

#define CHILD_NAME "vdt-holder"

/* A child that holds something and waits until the parent closes its end of `release`. */
struct holder {
    pid_t pid;
    int release;   /* write end: closing it lets the child exit */
};

enum hold_how { HOLD_OPEN, HOLD_OFD_LOCK_201, HOLD_QEMU_RW_LOCKS, HOLD_POSIX_WHOLE, HOLD_EXCL };

static bool take_lock(int fd, int cmd, off_t start, off_t len)
{
    struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    return fcntl(fd, cmd, &fl) == 0;
}

static void child_hold(const char *path, enum hold_how how, int ready, int release)
{
    char ok = 'n';
    prctl(PR_SET_NAME, CHILD_NAME, 0, 0, 0);
    int fd = open(path, how == HOLD_EXCL ? O_RDONLY | O_EXCL : O_RDWR);
    /* QEMU takes its lock bytes as shared OFD locks: a writer holds 100 (consistent read)
     * and 101 (write) and refuses to share 201 (write). */
    if (fd >= 0 && how == HOLD_OFD_LOCK_201 && !take_lock(fd, F_OFD_SETLK, 201, 1))
        fd = -1;
    if (fd >= 0 && how == HOLD_QEMU_RW_LOCKS
        && !(take_lock(fd, F_OFD_SETLK, 100, 1) && take_lock(fd, F_OFD_SETLK, 101, 1)
             && take_lock(fd, F_OFD_SETLK, 201, 1)))
        fd = -1;
    if (fd >= 0 && how == HOLD_POSIX_WHOLE && !take_lock(fd, F_SETLK, 0, 0))
        fd = -1;
    if (fd >= 0)
        ok = 'y';
    if (write(ready, &ok, 1) != 1)
        _exit(1);
    while (read(release, &ok, 1) > 0)
        ;
    _exit(0);
}

static bool holder_start(struct holder *h, const char *path, enum hold_how how)
{
    int ready[2], release[2];
    g_assert_cmpint(pipe(ready), ==, 0);
    g_assert_cmpint(pipe(release), ==, 0);
    h->pid = fork();
    g_assert_cmpint(h->pid, >=, 0);
    if (h->pid == 0) {
        close(ready[0]);
        close(release[1]);
        child_hold(path, how, ready[1], release[0]);
    }
    close(ready[1]);
    close(release[0]);
    h->release = release[1];
    char ok = 'n';
    ssize_t n = read(ready[0], &ok, 1);
    close(ready[0]);
    return n == 1 && ok == 'y';
}

static void holder_stop(struct holder *h)
{
    int status;
    close(h->release);
    g_assert_cmpint(waitpid(h->pid, &status, 0), ==, h->pid);
}

static bool has_reason(const GPtrArray *reasons, const char *needle)
{
    for (guint i = 0; reasons && i < reasons->len; i++)
        if (strstr(g_ptr_array_index(reasons, i), needle))
            return true;
    return false;
}

static char *reasons_text(const GPtrArray *reasons)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; reasons && i < reasons->len; i++)
        g_string_append_printf(s, "%s[%s]", i ? " " : "", (char *)g_ptr_array_index(reasons, i));
    return g_string_free(s, FALSE);
}

static void assert_probe_ok(const char *path, GPtrArray **reasons)
{
    g_autoptr(GError) err = NULL;
    int rc = inuse_probe(path, NULL, reasons, &err);
    if (rc != 0)
        g_test_message("probe error: %s", err->message);
    g_assert_cmpint(rc, ==, 0);
    g_assert_no_error(err);
}

static void test_file_held_open_names_pid(void)
{
    g_autofree char *path = testutil_data_file(g_get_tmp_dir(), "vdt-inuse", 1 << 20);
    struct holder h;
    g_assert_true(holder_start(&h, path, HOLD_OPEN));

    g_autoptr(GPtrArray) reasons = NULL;
    assert_probe_ok(path, &reasons);
    g_autofree char *want = g_strdup_printf("held open by pid %d (" CHILD_NAME ")", (int)h.pid);
    g_autofree char *got = reasons_text(reasons);
    g_test_message("reasons: %s", got);
    g_assert_true(has_reason(reasons, want));

    holder_stop(&h);
    g_unlink(path);
}

static void test_ofd_lock_reads_as_qemu(void)
{
    g_autofree char *path = testutil_data_file(g_get_tmp_dir(), "vdt-inuse", 1 << 20);
    struct holder h;
    g_assert_true(holder_start(&h, path, HOLD_OFD_LOCK_201));

    g_autoptr(GPtrArray) reasons = NULL;
    assert_probe_ok(path, &reasons);
    g_autofree char *got = reasons_text(reasons);
    g_test_message("reasons: %s", got);
    g_assert_true(has_reason(reasons, "locked by QEMU (OFD lock on byte 201: shares no write)"));
    /* One lock, one lock reason: the other probed bytes are free. */
    g_assert_false(has_reason(reasons, "byte 200"));
    g_assert_false(has_reason(reasons, "byte 101"));

    holder_stop(&h);
    g_unlink(path);
}

/* The kernel merges the adjacent locks on 100 and 101 into one lock on 100-101. */
static void test_merged_qemu_locks_read_per_byte(void)
{
    g_autofree char *path = testutil_data_file(g_get_tmp_dir(), "vdt-inuse", 1 << 20);
    struct holder h;
    g_assert_true(holder_start(&h, path, HOLD_QEMU_RW_LOCKS));

    g_autoptr(GPtrArray) reasons = NULL;
    assert_probe_ok(path, &reasons);
    g_autofree char *got = reasons_text(reasons);
    g_test_message("reasons: %s", got);
    g_assert_true(has_reason(reasons, "(OFD lock on byte 100: holds consistent read)"));
    g_assert_true(has_reason(reasons, "(OFD lock on byte 101: holds write)"));
    g_assert_true(has_reason(reasons, "(OFD lock on byte 201: shares no write)"));
    g_assert_cmpuint(reasons->len, ==, 4);

    holder_stop(&h);
    g_unlink(path);
}

static void test_whole_file_lock_reported_once(void)
{
    g_autofree char *path = testutil_data_file(g_get_tmp_dir(), "vdt-inuse", 1 << 20);
    struct holder h;
    g_assert_true(holder_start(&h, path, HOLD_POSIX_WHOLE));

    g_autoptr(GPtrArray) reasons = NULL;
    assert_probe_ok(path, &reasons);
    g_autofree char *got = reasons_text(reasons);
    g_test_message("reasons: %s", got);
    g_autofree char *want = g_strdup_printf("locked (read lock from byte 0 to the end, pid %d)",
                                            (int)h.pid);
    g_assert_true(has_reason(reasons, want));
    g_assert_false(has_reason(reasons, "QEMU"));
    g_assert_cmpuint(reasons->len, ==, 2);

    holder_stop(&h);
    g_unlink(path);
}

/* A real QEMU with the file as a writable virtio disk. -daemonize returns once the devices
 * are realized (and the locks taken); as subreaper we can reap the daemon ourselves. */
static void test_real_qemu_is_seen(void)
{
    g_autofree char *qemu = g_find_program_in_path("qemu-system-x86_64");
    if (!qemu) {
        testutil_skip("qemu-system-x86_64 not installed");
        return;
    }
    g_assert_cmpint(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), ==, 0);
    g_autofree char *path = testutil_data_file(g_get_tmp_dir(), "vdt-inuse", 4 << 20);
    g_autofree char *pidfile = g_strconcat(path, ".pid", NULL);
    g_autofree char *blockdev = g_strdup_printf("driver=file,filename=%s,node-name=f0", path);
    g_autofree char *pidtext = NULL;
    const char *argv[] = { qemu, "-machine", "pc,accel=tcg", "-nodefaults", "-display", "none",
                           "-monitor", "none", "-serial", "none", "-S",
                           "-blockdev", blockdev,
                           "-blockdev", "driver=raw,file=f0,node-name=d0",
                           "-device", "virtio-blk-pci,drive=d0",
                           "-daemonize", "-pidfile", pidfile, NULL };
    int status;
    g_autoptr(GError) err = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                               &status, &err));
    g_assert_no_error(err);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_assert_true(g_file_get_contents(pidfile, &pidtext, NULL, NULL));
    pid_t pid = pidtext ? (pid_t)atoi(pidtext) : 0;
    g_assert_cmpint(pid, >, 0);

    if (pid > 0) {
        g_autoptr(GPtrArray) reasons = NULL;
        assert_probe_ok(path, &reasons);
        g_autofree char *got = reasons_text(reasons);
        g_test_message("reasons: %s", got);
        g_autofree char *held = g_strdup_printf("held open by pid %d (qemu-system-x86)", (int)pid);
        g_assert_true(has_reason(reasons, held));
        g_assert_true(has_reason(reasons, "locked by QEMU (OFD lock on byte 100: holds consistent read)"));
        g_assert_true(has_reason(reasons, "locked by QEMU (OFD lock on byte 101: holds write)"));
        g_assert_true(has_reason(reasons, "locked by QEMU (OFD lock on byte 201: shares no write)"));
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    }
    g_unlink(pidfile);
    g_unlink(path);
}

static void test_free_file_has_no_reasons(void)
{
    g_autofree char *path = testutil_data_file(g_get_tmp_dir(), "vdt-inuse", 1 << 20);
    g_autoptr(GPtrArray) reasons = NULL;
    assert_probe_ok(path, &reasons);
    g_autofree char *got = reasons_text(reasons);
    g_assert_cmpstr(got, ==, "");
    g_unlink(path);
}

static void test_missing_path_is_an_error(void)
{
    g_autoptr(GPtrArray) reasons = NULL;
    g_autoptr(GError) err = NULL;
    g_assert_cmpint(inuse_probe("/nonexistent/vdt-inuse", NULL, &reasons, &err), ==, -1);
    g_assert_error(err, INUSE_ERROR, INUSE_ERROR_STAT);
    g_assert_cmpuint(reasons->len, ==, 0);
}

static void test_char_device_is_an_error(void)
{
    g_autoptr(GPtrArray) reasons = NULL;
    g_autoptr(GError) err = NULL;
    g_assert_cmpint(inuse_probe("/dev/null", NULL, &reasons, &err), ==, -1);
    g_assert_error(err, INUSE_ERROR, INUSE_ERROR_KIND);
}

/* ---- loop devices (root) ---- */

static void test_loop_held_exclusively_is_busy(void)
{
    struct testutil_loop l;
    if (!testutil_loop_attach(&l, 16 << 20, false))
        return;
    struct holder h;
    bool held = holder_start(&h, l.dev, HOLD_EXCL);
    g_assert_true(held);

    g_autoptr(GPtrArray) reasons = NULL;
    assert_probe_ok(l.dev, &reasons);
    g_autofree char *got = reasons_text(reasons);
    g_test_message("reasons: %s", got);
    g_assert_true(has_reason(reasons, "claimed exclusively (O_EXCL open: Device or resource busy)"));
    g_autofree char *pid = g_strdup_printf("held open by pid %d", (int)h.pid);
    g_assert_true(has_reason(reasons, pid));

    /* The loop device keeps its backing file open in the kernel, where /proc shows nothing. */
    g_autoptr(GPtrArray) file_reasons = NULL;
    assert_probe_ok(l.file, &file_reasons);
    g_autofree char *loopname = g_path_get_basename(l.dev);
    g_autofree char *want = g_strdup_printf("backing file of loop device %s", loopname);
    g_assert_true(has_reason(file_reasons, want));

    holder_stop(&h);
    testutil_loop_detach(&l);
}

static void test_free_loop_has_no_reasons(void)
{
    struct testutil_loop l;
    if (!testutil_loop_attach(&l, 16 << 20, false))
        return;
    g_autoptr(GPtrArray) reasons = NULL;
    assert_probe_ok(l.dev, &reasons);
    g_autofree char *got = reasons_text(reasons);
    g_assert_cmpstr(got, ==, "");
    testutil_loop_detach(&l);
}

static void test_mounted_loop_names_mount_point(void)
{
    struct testutil_loop l;
    if (!testutil_loop_attach(&l, 16 << 20, false))
        return;
    g_autofree char *mkfs = g_strdup_printf("mkfs.ext4 -q -F %s", l.dev);
    g_autofree char *made = testutil_run_cmdline(mkfs);
    g_assert_nonnull(made);
    testutil_udev_settle();
    g_autofree char *mnt = g_dir_make_tmp("vdt-inuse-mnt-XXXXXX", NULL);
    g_assert_nonnull(mnt);
    bool mounted = made && mnt && mount(l.dev, mnt, "ext4", 0, NULL) == 0;
    if (!mounted)
        g_test_message("mount: %s", g_strerror(errno));
    g_assert_true(mounted);

    if (mounted) {
        g_autoptr(GPtrArray) reasons = NULL;
        assert_probe_ok(l.dev, &reasons);
        g_autofree char *got = reasons_text(reasons);
        g_test_message("reasons: %s", got);
        g_autofree char *want = g_strdup_printf("mounted on %s", mnt);
        g_assert_true(has_reason(reasons, want));
        g_assert_true(has_reason(reasons, "O_EXCL open: Device or resource busy"));
        g_assert_cmpint(umount2(mnt, 0), ==, 0);
    }
    if (mnt)
        g_rmdir(mnt);
    testutil_loop_detach(&l);
}

/* ---- fake sysfs ---- */

static void mkdirs(const char *root, const char *rel)
{
    g_autofree char *dir = g_build_filename(root, rel, NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
}

static void put_dev(const char *root, const char *devdir, unsigned maj, unsigned min)
{
    mkdirs(root, devdir);
    g_autofree char *file = g_build_filename(root, devdir, "dev", NULL);
    g_autofree char *text = g_strdup_printf("%u:%u\n", maj, min);
    g_assert_true(g_file_set_contents(file, text, -1, NULL));
    mkdirs(root, "dev/block");
    g_autofree char *link = g_strdup_printf("%s/dev/block/%u:%u", root, maj, min);
    g_autofree char *target = g_build_filename("../..", devdir, NULL);
    g_assert_cmpint(symlink(target, link), ==, 0);
}

static void put_partition(const char *root, const char *devdir, unsigned maj, unsigned min)
{
    put_dev(root, devdir, maj, min);
    g_autofree char *file = g_build_filename(root, devdir, "partition", NULL);
    g_assert_true(g_file_set_contents(file, "1\n", -1, NULL));
}

/* from/<sub>/<name> -> to, as sysfs links holders and slaves. */
static void put_link(const char *root, const char *from, const char *sub, const char *to)
{
    g_autofree char *rel = g_build_filename(from, sub, NULL);
    mkdirs(root, rel);
    g_autofree char *name = g_path_get_basename(to);
    g_autofree char *link = g_build_filename(root, from, sub, name, NULL);
    g_autofree char *target = g_build_filename(root, to, NULL);
    g_assert_cmpint(symlink(target, link), ==, 0);
}

static void rm_tree(const char *root)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf %s", root);
    g_autofree char *out = testutil_run_cmdline(cmd);
    g_assert_nonnull(out);
}

static void test_fake_sysfs_holder_is_reported(void)
{
    struct testutil_loop l;
    if (!testutil_loop_attach(&l, 16 << 20, false))
        return;
    struct stat st;
    g_assert_cmpint(stat(l.dev, &st), ==, 0);
    g_autofree char *root = g_dir_make_tmp("vdt-sysfs-XXXXXX", NULL);
    g_autofree char *loopname = g_path_get_basename(l.dev);
    g_autofree char *loopdir = g_build_filename("devices/virtual/block", loopname, NULL);
    put_dev(root, loopdir, major(st.st_rdev), minor(st.st_rdev));
    put_dev(root, "devices/virtual/block/dm-0", 253, 0);
    put_link(root, loopdir, "holders", "devices/virtual/block/dm-0");
    mkdirs(root, "class/block");

    struct inuse_roots roots = { .sysfs = root };
    g_autoptr(GPtrArray) reasons = NULL;
    g_autoptr(GError) err = NULL;
    g_assert_cmpint(inuse_probe(l.dev, &roots, &reasons, &err), ==, 0);
    g_assert_no_error(err);
    g_autofree char *got = reasons_text(reasons);
    g_test_message("reasons: %s", got);
    g_assert_true(has_reason(reasons, "held by dm-0 (stacked on it)"));

    rm_tree(root);
    testutil_loop_detach(&l);
}

/* A fake sysfs gives the loop device a partition (259:91) and a fake /proc mounts it and
 * swaps on another node of it: findings on partitions count for the whole device. */
static void test_partition_mount_and_swap_count(void)
{
    struct testutil_loop l;
    if (!testutil_loop_attach(&l, 16 << 20, false))
        return;
    struct stat st;
    g_assert_cmpint(stat(l.dev, &st), ==, 0);
    g_autofree char *root = g_dir_make_tmp("vdt-fake-XXXXXX", NULL);
    g_autofree char *loopname = g_path_get_basename(l.dev);
    g_autofree char *sysroot = g_build_filename(root, "sys", NULL);
    g_autofree char *procroot = g_build_filename(root, "proc", NULL);
    g_autofree char *rel_loopdir = g_build_filename("devices/virtual/block", loopname, NULL);
    g_autofree char *rel_partdir = g_strdup_printf("%s/%sp1", rel_loopdir, loopname);
    put_dev(sysroot, rel_loopdir, major(st.st_rdev), minor(st.st_rdev));
    put_partition(sysroot, rel_partdir, 259, 91);

    g_autofree char *node = g_build_filename(root, "part-node", NULL);
    g_assert_cmpint(mknod(node, S_IFBLK | 0600, makedev(259, 91)), ==, 0);
    mkdirs(procroot, "self");
    g_autofree char *mountinfo = g_build_filename(procroot, "self", "mountinfo", NULL);
    g_assert_true(g_file_set_contents(mountinfo,
        "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
        "41 22 259:91 / /srv/my\\040data rw,relatime - ext4 /dev/x rw\n", -1, NULL));
    g_autofree char *swaps = g_build_filename(procroot, "swaps", NULL);
    g_autofree char *swaptext = g_strdup_printf(
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
        "%s                               partition\t1048572\t\t0\t\t-2\n", node);
    g_assert_true(g_file_set_contents(swaps, swaptext, -1, NULL));

    struct inuse_roots roots = { .proc = procroot, .sysfs = sysroot };
    g_autoptr(GPtrArray) reasons = NULL;
    g_autoptr(GError) err = NULL;
    g_assert_cmpint(inuse_probe(l.dev, &roots, &reasons, &err), ==, 0);
    g_assert_no_error(err);
    g_autofree char *got = reasons_text(reasons);
    g_test_message("reasons: %s", got);
    g_autofree char *mounted = g_strdup_printf("partition %sp1 mounted on /srv/my data", loopname);
    g_autofree char *swapping = g_strdup_printf("partition %sp1 in use as swap", loopname);
    g_assert_true(has_reason(reasons, mounted));
    g_assert_true(has_reason(reasons, swapping));
    g_assert_false(has_reason(reasons, "/proc"));
    g_assert_cmpuint(reasons->len, ==, 2);

    rm_tree(root);
    testutil_loop_detach(&l);
}

/* A fake /proc as an unprivileged user sees it: pid 1111's fd directory is root's (0700),
 * 2222 has no open files, 3333 vanished (no fd directory: ENOENT). The probe runs in a child
 * that dropped to nobody, so the refusal is the kernel's EACCES, as for a user that runs the
 * tool without root (root reads every fd directory whatever its mode). */
static char *fake_proc_unreadable(void)
{
    char *root = g_dir_make_tmp("vdt-fakeproc-XXXXXX", NULL);

    g_assert_nonnull(root);
    g_assert_cmpint(chmod(root, 0755), ==, 0);
    mkdirs(root, "proc/1111/fd");
    mkdirs(root, "proc/2222/fd");
    mkdirs(root, "proc/3333");
    mkdirs(root, "proc/self");
    g_autofree char *fd1 = g_build_filename(root, "proc/1111/fd", NULL);
    g_assert_cmpint(chmod(fd1, 0700), ==, 0);
    g_autofree char *mountinfo = g_build_filename(root, "proc/self/mountinfo", NULL);
    g_assert_true(g_file_set_contents(mountinfo, "22 1 0:21 / /proc rw - proc proc rw\n", -1,
                                      NULL));
    g_autofree char *swaps = g_build_filename(root, "proc/swaps", NULL);
    g_assert_true(g_file_set_contents(swaps, "Filename\tType\tSize\tUsed\tPriority\n", -1,
                                      NULL));
    g_autofree char *file = g_build_filename(root, "file", NULL);
    testutil_write_data(file, 1 << 20);
    g_assert_cmpint(chmod(file, 0644), ==, 0);
    return root;
}

static void test_unreadable_fds_fail_a_block_probe(void)
{
    if (!g_test_subprocess()) {
        struct testutil_loop l;

        if (!testutil_loop_attach(&l, 16 << 20, false))
            return;
        g_autofree char *root = fake_proc_unreadable();
        g_setenv("VDT_TEST_FAKE_ROOT", root, TRUE);
        g_setenv("VDT_TEST_LOOP", l.dev, TRUE);
        g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
        g_unsetenv("VDT_TEST_FAKE_ROOT");
        g_unsetenv("VDT_TEST_LOOP");
        g_test_trap_assert_passed();
        rm_tree(root);
        testutil_loop_detach(&l);
        return;
    }
    const char *root = g_getenv("VDT_TEST_FAKE_ROOT");
    g_autofree char *procroot = g_build_filename(root, "proc", NULL);
    g_autofree char *file = g_build_filename(root, "file", NULL);
    struct inuse_roots roots = { .proc = procroot };
    g_autoptr(GPtrArray) r1 = NULL;
    g_autoptr(GPtrArray) r2 = NULL;
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;

    g_assert_cmpint(setresgid(65534, 65534, 65534), ==, 0);
    g_assert_cmpint(setresuid(65534, 65534, 65534), ==, 0);
    /* A block device: an unseen holder might write to it, so the probe cannot answer. */
    g_assert_cmpint(inuse_probe(g_getenv("VDT_TEST_LOOP"), &roots, &r1, &e1), ==, -1);
    g_assert_error(e1, INUSE_ERROR, INUSE_ERROR_PROBE);
    g_test_message("block: %s", e1->message);
    g_assert_nonnull(strstr(e1->message, "cannot check: open files of 1 process are unreadable "
                                         "(run as root)"));
    /* A file: the OFD lock probe sees QEMU whoever runs it; unreadable fds are no failure. */
    inuse_probe(file, &roots, &r2, &e2);
    g_assert_true(e2 == NULL || strstr(e2->message, "unreadable") == NULL);
}

/* sda has partitions sda1 and sda2; dm-0 sits on sda1 and dm-1 on dm-0. */
static char *fake_stack(void)
{
    char *root = g_dir_make_tmp("vdt-sysfs-XXXXXX", NULL);
    put_dev(root, "devices/pci/block/sda", 8, 0);
    put_partition(root, "devices/pci/block/sda/sda1", 8, 1);
    put_partition(root, "devices/pci/block/sda/sda2", 8, 2);
    put_dev(root, "devices/virtual/block/dm-0", 253, 0);
    put_dev(root, "devices/virtual/block/dm-1", 253, 1);
    put_link(root, "devices/pci/block/sda/sda1", "holders", "devices/virtual/block/dm-0");
    put_link(root, "devices/virtual/block/dm-0", "slaves", "devices/pci/block/sda/sda1");
    put_link(root, "devices/virtual/block/dm-0", "holders", "devices/virtual/block/dm-1");
    put_link(root, "devices/virtual/block/dm-1", "slaves", "devices/virtual/block/dm-0");
    return root;
}

static void test_overlap_follows_stack_not_siblings(void)
{
    g_autofree char *root = fake_stack();
    g_autoptr(GError) err = NULL;
    g_autoptr(GArray) devs = inuse_overlapping_devs(makedev(8, 1), root, &err);
    g_assert_no_error(err);
    g_assert_nonnull(devs);
    g_assert_true(inuse_devs_contain(devs, makedev(8, 1)));
    g_assert_true(inuse_devs_contain(devs, makedev(253, 0)));
    g_assert_true(inuse_devs_contain(devs, makedev(253, 1)));
    g_assert_true(inuse_devs_contain(devs, makedev(8, 0)));
    g_assert_false(inuse_devs_contain(devs, makedev(8, 2)));
    g_assert_cmpuint(devs->len, ==, 4);
    rm_tree(root);
}

static void test_overlap_of_top_reaches_disk(void)
{
    g_autofree char *root = fake_stack();
    g_autoptr(GError) err = NULL;
    g_autoptr(GArray) devs = inuse_overlapping_devs(makedev(253, 1), root, &err);
    g_assert_no_error(err);
    g_assert_nonnull(devs);
    g_assert_true(inuse_devs_contain(devs, makedev(253, 0)));
    g_assert_true(inuse_devs_contain(devs, makedev(8, 1)));
    g_assert_true(inuse_devs_contain(devs, makedev(8, 0)));
    g_assert_false(inuse_devs_contain(devs, makedev(8, 2)));
    rm_tree(root);
}

static void test_overlap_unknown_device_is_an_error(void)
{
    g_autofree char *root = fake_stack();
    g_autoptr(GError) err = NULL;
    g_autoptr(GArray) devs = inuse_overlapping_devs(makedev(9, 9), root, &err);
    g_assert_null(devs);
    g_assert_error(err, INUSE_ERROR, INUSE_ERROR_PROBE);
    rm_tree(root);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/inuse/file-held-open-by-child-names-its-pid", test_file_held_open_names_pid);
    g_test_add_func("/inuse/ofd-lock-on-byte-201-reads-as-qemu-shares-no-write",
                    test_ofd_lock_reads_as_qemu);
    g_test_add_func("/inuse/merged-qemu-locks-read-as-one-reason-per-byte",
                    test_merged_qemu_locks_read_per_byte);
    g_test_add_func("/inuse/whole-file-posix-lock-is-reported-once-with-pid",
                    test_whole_file_lock_reported_once);
    g_test_add_func("/inuse/real-qemu-is-seen-by-fd-and-locks", test_real_qemu_is_seen);
    g_test_add_func("/inuse/free-file-has-no-reasons", test_free_file_has_no_reasons);
    g_test_add_func("/inuse/missing-path-cannot-be-checked", test_missing_path_is_an_error);
    g_test_add_func("/inuse/char-device-cannot-be-checked", test_char_device_is_an_error);
    g_test_add_func("/inuse/loop-held-o-excl-is-busy-and-its-file-is-loop-backing",
                    test_loop_held_exclusively_is_busy);
    g_test_add_func("/inuse/free-loop-device-has-no-reasons", test_free_loop_has_no_reasons);
    g_test_add_func("/inuse/mounted-loop-names-mount-point", test_mounted_loop_names_mount_point);
    g_test_add_func("/inuse/fake-sysfs-holder-is-reported", test_fake_sysfs_holder_is_reported);
    g_test_add_func("/inuse/unreadable-fds-of-a-process-fail-a-block-probe-not-a-file-probe",
                    test_unreadable_fds_fail_a_block_probe);
    g_test_add_func("/inuse/partition-mounted-and-swapped-counts-for-the-device",
                    test_partition_mount_and_swap_count);
    g_test_add_func("/inuse/overlap-follows-stack-but-not-sibling-partitions",
                    test_overlap_follows_stack_not_siblings);
    g_test_add_func("/inuse/overlap-of-top-device-reaches-the-disk",
                    test_overlap_of_top_reaches_disk);
    g_test_add_func("/inuse/overlap-of-unknown-device-is-an-error",
                    test_overlap_unknown_device_is_an_error);
    return g_test_run();
}
