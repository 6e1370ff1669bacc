/* core/safety.c through libvirt's test driver: node files written at test time (from the
 * templates in tests/data/safety/) name real temp files and loop devices as domains' disks.
 * The test driver starts every domain running unless <test:runstate> says otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/safety.h"
#include "core/session.h"
#include "probes/inuse.h"
#include "tests/testutil.h"

#define SHUTOFF "<test:runstate>5</test:runstate>"

struct node_spec {
    const char *template;   /* file under tests/data/safety/ */
    const char *disk;       /* @DISK@ */
    const char *other;      /* @OTHER@: another domain's disk */
    bool block;             /* disk type block (source dev) instead of file */
    const char *runstate;   /* @RUNSTATE@ */
};

static char *replace(const char *text, const char *from, const char *to)
{
    g_auto(GStrv) parts = g_strsplit(text, from, -1);
    return g_strjoinv(to, parts);
}

/* A node file from a template; caller unlinks and frees. */
static char *write_node(const struct node_spec *spec)
{
    g_autofree char *tpl = g_build_filename(g_getenv("VDT_TESTDATA"), "safety", spec->template,
                                            NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    g_assert_true(g_file_get_contents(tpl, &text, NULL, &err));
    g_assert_no_error(err);
    g_autofree char *a = replace(text, "@DISKTYPE@", spec->block ? "block" : "file");
    g_autofree char *b = replace(a, "@DISKATTR@", spec->block ? "dev" : "file");
    g_autofree char *c = replace(b, "@DISK@", spec->disk);
    g_autofree char *d = replace(c, "@OTHER@", spec->other ? spec->other : "/nonexistent/other.img");
    g_autofree char *e = replace(d, "@RUNSTATE@", spec->runstate ? spec->runstate : "");

    char *path = g_build_filename(g_get_tmp_dir(), "vdt-safety-node-XXXXXX.xml", NULL);
    int fd = g_mkstemp(path);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_assert_true(g_file_set_contents(path, e, -1, NULL));
    return path;
}

static struct session *open_node(const char *node)
{
    g_autofree char *uri = g_strdup_printf("test://%s", node);
    g_autoptr(GError) err = NULL;
    struct session *s = session_open(uri, &err);
    g_assert_no_error(err);
    g_assert_nonnull(s);
    return s;
}

/* Runs safety_check with the node built from spec and returns its verdict. */
static bool check_with_node(const struct node_spec *spec, const char *target,
                            const struct inuse_roots *roots, GError **err)
{
    g_autofree char *node = write_node(spec);
    g_autoptr(Session) s = open_node(node);
    bool allowed = safety_check(s, target, roots, NULL, err);
    g_unlink(node);
    if (err && *err)
        g_test_message("%s", (*err)->message);
    return allowed;
}

static void assert_in_use(const GError *err, const char *needle)
{
    g_assert_error(err, SAFETY_ERROR, SAFETY_ERROR_IN_USE);
    if (err)
        g_assert_nonnull(strstr(err->message, needle));
}

static void test_running_domain_file_is_refused(void)
{
    g_autofree char *file = testutil_data_file(g_get_tmp_dir(), "vdt-safety", 1 << 20);
    struct node_spec spec = { .template = "domains.xml.in", .disk = file };
    g_autoptr(GError) err = NULL;
    g_assert_false(check_with_node(&spec, file, NULL, &err));
    g_autofree char *want = g_strdup_printf("%s: in use: used by domain vdt-db (running), "
                                            "disk vdb: %s is the same file", file, file);
    assert_in_use(err, want);
    g_unlink(file);
}

static void test_shut_off_domain_file_is_allowed(void)
{
    g_autofree char *file = testutil_data_file(g_get_tmp_dir(), "vdt-safety", 1 << 20);
    struct node_spec spec = { .template = "domains.xml.in", .disk = file, .runstate = SHUTOFF };
    g_autoptr(GError) err = NULL;
    g_assert_true(check_with_node(&spec, file, NULL, &err));
    g_assert_no_error(err);
    g_unlink(file);
}

/* Not only the domain being benchmarked: vdt-idle is another domain, running. */
static void test_any_running_domain_counts(void)
{
    g_autofree char *file = testutil_data_file(g_get_tmp_dir(), "vdt-safety", 1 << 20);
    g_autofree char *mine = testutil_data_file(g_get_tmp_dir(), "vdt-safety", 1 << 20);
    struct node_spec spec = { .template = "domains.xml.in", .disk = mine, .other = file,
                              .runstate = SHUTOFF };
    g_autoptr(GError) err = NULL;
    g_assert_false(check_with_node(&spec, file, NULL, &err));
    assert_in_use(err, "used by domain vdt-idle (running), disk vda");
    g_unlink(file);
    g_unlink(mine);
}

/* A hard link is another path to the same inode: identity, not names, decides. */
static void test_hard_link_is_the_same_file(void)
{
    g_autofree char *file = testutil_data_file(g_get_tmp_dir(), "vdt-safety", 1 << 20);
    g_autofree char *alias = g_strconcat(file, "-link", NULL);
    g_assert_cmpint(link(file, alias), ==, 0);
    struct node_spec spec = { .template = "domains.xml.in", .disk = alias };
    g_autoptr(GError) err = NULL;
    g_assert_false(check_with_node(&spec, file, NULL, &err));
    assert_in_use(err, "is the same file");
    g_unlink(alias);
    g_unlink(file);
}

static void test_backing_layer_is_refused(void)
{
    g_autofree char *base = testutil_data_file(g_get_tmp_dir(), "vdt-safety", 1 << 20);
    g_autofree char *overlay = testutil_data_file(g_get_tmp_dir(), "vdt-safety", 1 << 20);
    struct node_spec spec = { .template = "backing-chain.xml.in", .disk = base, .other = overlay };
    g_autoptr(GError) err = NULL;
    g_assert_false(check_with_node(&spec, base, NULL, &err));
    assert_in_use(err, "used by domain vdt-overlay (running), disk vda");
    g_unlink(base);
    g_unlink(overlay);
}

static void test_nonexistent_path_cannot_be_checked(void)
{
    g_autofree char *file = testutil_data_file(g_get_tmp_dir(), "vdt-safety", 1 << 20);
    struct node_spec spec = { .template = "domains.xml.in", .disk = file, .runstate = SHUTOFF };
    g_autoptr(GError) err = NULL;
    g_assert_false(check_with_node(&spec, "/nonexistent/vdt-target", NULL, &err));
    g_assert_error(err, SAFETY_ERROR, SAFETY_ERROR_CANNOT_CHECK);
    if (err)
        g_assert_cmpstr(err->message, ==, "/nonexistent/vdt-target: cannot check whether it is "
                                          "in use: No such file or directory");
    g_unlink(file);
}

static void test_no_session_checks_host_only(void)
{
    g_autofree char *file = testutil_data_file(g_get_tmp_dir(), "vdt-safety", 1 << 20);
    g_autoptr(GError) err = NULL;
    g_assert_true(safety_write_allowed(NULL, file, &err));
    g_assert_no_error(err);

    int fd = open(file, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    /* Our own descriptors do not count (the probe skips its own pid), an OFD lock does. */
    struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 101, .l_len = 1 };
    g_assert_cmpint(fcntl(fd, F_OFD_SETLK, &fl), ==, 0);
    g_assert_false(safety_write_allowed(NULL, file, &err));
    assert_in_use(err, "locked by QEMU (OFD lock on byte 101: holds write)");
    close(fd);
    g_unlink(file);
}

/* ---- block devices (root, loop devices) ---- */

static void test_running_domain_block_is_refused(void)
{
    struct testutil_loop l;
    if (!testutil_loop_attach(&l, 16 << 20, false))
        return;
    struct node_spec spec = { .template = "domains.xml.in", .disk = l.dev, .block = true };
    g_autoptr(GError) err = NULL;
    g_assert_false(check_with_node(&spec, l.dev, NULL, &err));
    assert_in_use(err, "disk vdb: ");
    assert_in_use(err, "is the same device");

    /* Its backing file is written through the loop device: refused as well. */
    g_clear_error(&err);
    g_assert_false(check_with_node(&spec, l.file, NULL, &err));
    assert_in_use(err, "is a loop device over it");

    g_clear_error(&err);
    spec.runstate = SHUTOFF;
    g_assert_true(check_with_node(&spec, l.dev, NULL, &err));
    g_assert_no_error(err);
    testutil_loop_detach(&l);
}

static void test_file_on_device_is_refused(void)
{
    struct testutil_loop l;
    if (!testutil_loop_attach(&l, 16 << 20, false))
        return;
    g_autofree char *mkfs = g_strdup_printf("mkfs.ext4 -q -F %s", l.dev);
    g_autofree char *made = testutil_run_cmdline(mkfs);
    g_assert_nonnull(made);
    testutil_udev_settle();
    g_autofree char *mnt = g_dir_make_tmp("vdt-safety-mnt-XXXXXX", NULL);
    bool mounted = made && mnt && mount(l.dev, mnt, "ext4", 0, NULL) == 0;
    g_assert_true(mounted);
    if (mounted) {
        g_autofree char *image = testutil_data_file(mnt, "vdt-safety", 1 << 20);
        struct node_spec spec = { .template = "domains.xml.in", .disk = image };
        g_autoptr(GError) err = NULL;
        g_assert_false(check_with_node(&spec, l.dev, NULL, &err));
        assert_in_use(err, "is a file on a filesystem on it");
        g_autofree char *where = g_strdup_printf("mounted on %s", mnt);
        assert_in_use(err, where);

        /* The other way round: the file is the target, the device under it a domain's. */
        struct node_spec under = { .template = "domains.xml.in", .disk = l.dev, .block = true };
        g_clear_error(&err);
        g_assert_false(check_with_node(&under, image, NULL, &err));
        assert_in_use(err, "is the device under its filesystem");
        g_unlink(image);
        g_assert_cmpint(umount2(mnt, 0), ==, 0);
    }
    if (mnt)
        g_rmdir(mnt);
    testutil_loop_detach(&l);
}

/* A fake sysfs stacks dm-7 (253:77) on the loop device; the domain's disk is a node with
 * that number. Nothing real sits on the loop, so only sysfs can tell. */
static void test_stacked_device_is_refused(void)
{
    struct testutil_loop l;
    if (!testutil_loop_attach(&l, 16 << 20, false))
        return;
    struct stat st;
    g_assert_cmpint(stat(l.dev, &st), ==, 0);
    g_autofree char *root = g_dir_make_tmp("vdt-safety-sysfs-XXXXXX", NULL);
    g_autofree char *loopname = g_path_get_basename(l.dev);
    g_autofree char *loopdir = g_build_filename(root, "devices", loopname, NULL);
    g_autofree char *dmdir = g_build_filename(root, "devices", "dm-7", NULL);
    g_autofree char *holders = g_build_filename(loopdir, "holders", NULL);
    g_autofree char *blockdir = g_build_filename(root, "dev", "block", NULL);
    g_assert_cmpint(g_mkdir_with_parents(holders, 0755), ==, 0);
    g_assert_cmpint(g_mkdir_with_parents(dmdir, 0755), ==, 0);
    g_assert_cmpint(g_mkdir_with_parents(blockdir, 0755), ==, 0);
    g_autofree char *loopdev = g_build_filename(loopdir, "dev", NULL);
    g_autofree char *loopnum = g_strdup_printf("%u:%u\n", major(st.st_rdev), minor(st.st_rdev));
    g_assert_true(g_file_set_contents(loopdev, loopnum, -1, NULL));
    g_autofree char *dmdev = g_build_filename(dmdir, "dev", NULL);
    g_assert_true(g_file_set_contents(dmdev, "253:77\n", -1, NULL));
    g_autofree char *holder = g_build_filename(holders, "dm-7", NULL);
    g_assert_cmpint(symlink(dmdir, holder), ==, 0);
    g_autofree char *bylink = g_strdup_printf("%s/%u:%u", blockdir, major(st.st_rdev),
                                              minor(st.st_rdev));
    g_assert_cmpint(symlink(loopdir, bylink), ==, 0);
    g_autofree char *node = g_build_filename(root, "dm-7-node", NULL);
    g_assert_cmpint(mknod(node, S_IFBLK | 0600, makedev(253, 77)), ==, 0);

    struct node_spec spec = { .template = "domains.xml.in", .disk = node, .block = true };
    struct inuse_roots roots = { .sysfs = root };
    g_autoptr(GError) err = NULL;
    g_assert_false(check_with_node(&spec, l.dev, &roots, &err));
    assert_in_use(err, "is a device stacked on it or under it");
    assert_in_use(err, "held by dm-7 (stacked on it)");

    g_autofree char *rm = g_strdup_printf("rm -rf %s", root);
    g_autofree char *out = testutil_run_cmdline(rm);
    g_assert_nonnull(out);
    testutil_loop_detach(&l);
}

/* The target as a partition of a loop device whose backing file is a running domain's
 * image (this kernel makes no partitions of loop devices, so sysfs is faked: the real loop
 * device stands for the partition loop9p1 of a fake loop9 over the image). Writing the
 * partition writes the image: refused, by the domain check and by the host check. */
static void test_partition_of_a_loop_over_an_image_is_refused(void)
{
    struct testutil_loop l;
    if (!testutil_loop_attach(&l, 16 << 20, false))
        return;
    struct stat st;
    g_assert_cmpint(stat(l.dev, &st), ==, 0);
    g_autofree char *image = testutil_data_file("/var/tmp", "vdt-safety-image", 1 << 20);
    g_autofree char *root = g_dir_make_tmp("vdt-safety-sysfs-XXXXXX", NULL);
    g_autofree char *loopdir = g_build_filename(root, "devices", "loop9", NULL);
    g_autofree char *partdir = g_build_filename(loopdir, "loop9p1", NULL);
    g_autofree char *backing_dir = g_build_filename(loopdir, "loop", NULL);
    g_autofree char *blockdir = g_build_filename(root, "dev", "block", NULL);
    g_assert_cmpint(g_mkdir_with_parents(partdir, 0755), ==, 0);
    g_assert_cmpint(g_mkdir_with_parents(backing_dir, 0755), ==, 0);
    g_assert_cmpint(g_mkdir_with_parents(blockdir, 0755), ==, 0);
    g_autofree char *f = NULL;
    g_autofree char *text = NULL;
    f = g_build_filename(loopdir, "dev", NULL);
    g_assert_true(g_file_set_contents(f, "7:99\n", -1, NULL));
    g_free(f);
    f = g_build_filename(backing_dir, "backing_file", NULL);
    text = g_strdup_printf("%s\n", image);
    g_assert_true(g_file_set_contents(f, text, -1, NULL));
    g_free(f);
    f = g_build_filename(partdir, "partition", NULL);
    g_assert_true(g_file_set_contents(f, "1\n", -1, NULL));
    g_free(f);
    f = g_build_filename(partdir, "dev", NULL);
    g_free(text);
    text = g_strdup_printf("%u:%u\n", major(st.st_rdev), minor(st.st_rdev));
    g_assert_true(g_file_set_contents(f, text, -1, NULL));
    g_autofree char *bypart = g_strdup_printf("%s/%u:%u", blockdir, major(st.st_rdev),
                                              minor(st.st_rdev));
    g_autofree char *byloop = g_build_filename(blockdir, "7:99", NULL);
    g_assert_cmpint(symlink(partdir, bypart), ==, 0);
    g_assert_cmpint(symlink(loopdir, byloop), ==, 0);
    /* A second loop device over the same image, for the host check to find. */
    g_autofree char *other = g_build_filename(root, "class", "block", "loop8", "loop", NULL);
    g_assert_cmpint(g_mkdir_with_parents(other, 0755), ==, 0);
    g_free(f);
    f = g_build_filename(other, "backing_file", NULL);
    g_free(text);
    text = g_strdup_printf("%s\n", image);
    g_assert_true(g_file_set_contents(f, text, -1, NULL));

    struct node_spec spec = { .template = "domains.xml.in", .disk = image };
    struct inuse_roots roots = { .sysfs = root };
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) host_err = NULL;
    g_autoptr(GPtrArray) reasons = NULL;
    g_assert_false(check_with_node(&spec, l.dev, &roots, &err));
    assert_in_use(err, "the backing file of this loop device");
    g_assert_cmpint(inuse_probe(l.dev, &roots, &reasons, &host_err), ==, 0);
    g_assert_no_error(host_err);
    g_assert_cmpuint(reasons->len, ==, 1);
    g_assert_nonnull(strstr(g_ptr_array_index(reasons, 0), "is backing file of loop device loop8"));

    g_autofree char *rm = g_strdup_printf("rm -rf %s", root);
    g_autofree char *out = testutil_run_cmdline(rm);
    g_assert_nonnull(out);
    g_unlink(image);
    testutil_loop_detach(&l);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/safety/partition-of-a-loop-over-an-image-is-refused",
                    test_partition_of_a_loop_over_an_image_is_refused);
    g_test_add_func("/safety/running-domain-file-is-refused-naming-domain-and-disk",
                    test_running_domain_file_is_refused);
    g_test_add_func("/safety/shut-off-domain-file-is-allowed", test_shut_off_domain_file_is_allowed);
    g_test_add_func("/safety/any-running-domain-counts-not-only-the-selected-one",
                    test_any_running_domain_counts);
    g_test_add_func("/safety/hard-link-is-the-same-file", test_hard_link_is_the_same_file);
    g_test_add_func("/safety/backing-store-layer-is-refused", test_backing_layer_is_refused);
    g_test_add_func("/safety/nonexistent-path-is-refused-cannot-check",
                    test_nonexistent_path_cannot_be_checked);
    g_test_add_func("/safety/without-session-host-probes-still-refuse",
                    test_no_session_checks_host_only);
    g_test_add_func("/safety/running-domain-block-device-and-its-loop-file-are-refused",
                    test_running_domain_block_is_refused);
    g_test_add_func("/safety/file-on-a-filesystem-on-the-device-is-refused-both-ways",
                    test_file_on_device_is_refused);
    g_test_add_func("/safety/device-stacked-on-the-target-is-refused",
                    test_stacked_device_is_refused);
    return g_test_run();
}
