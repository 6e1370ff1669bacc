/* core/backing.c: real files, a real loop device, bad paths, and block device nodes made
 * with mknod whose numbers point into the fake sysfs tree (this kernel has no
 * device-mapper); the JSON views against docs/json.md. */
#include "core/backing.h"
#include "probes/blockdev.h"
#include "probes/topology.h"
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <linux/loop.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char *fake_root(const char *tree)
{
    const char *data = g_getenv("VDT_TESTDATA");

    g_assert_nonnull(data);
    return g_build_filename(data, "sysfs", tree, NULL);
}

/* findmnt lists every mount stacked on a path, in mount order: the last one is visible. */
static char *findmnt(const char *column, const char *path)
{
    const char *argv[] = { "findmnt", "-n", "-o", column, "--target", path, NULL };
    g_autofree char *out = testutil_run_ok(argv);
    const char *last = strrchr(out, '\n');

    return g_strdup(last ? last + 1 : out);
}

static struct backing *resolve_ok(const char *source, const char *sysfs_root)
{
    g_autoptr(GError) err = NULL;
    struct backing *b = backing_resolve(source, sysfs_root, &err);

    g_assert_no_error(err);
    g_assert_nonnull(b);
    return b;
}

static GError *resolve_fails(const char *source, const char *sysfs_root)
{
    GError *err = NULL;
    struct backing *b = backing_resolve(source, sysfs_root, &err);

    g_assert_null(b);
    g_assert_nonnull(err);
    g_assert_null(strchr(err->message, '\n'));
    return err;
}

static void test_regular_file_reports_its_filesystem(void)
{
    g_autofree char *path = testutil_data_file("/var/tmp", "vdt-backing", 1 << 20);
    g_autofree char *real = realpath(path, NULL);
    g_autofree char *fstype = findmnt("FSTYPE", real);
    g_autofree char *mountpoint = findmnt("TARGET", real);
    struct stat st;

    g_assert_cmpint(stat(real, &st), ==, 0);
    g_autoptr(Backing) b = resolve_ok(path, NULL);
    g_assert_cmpint(b->kind, ==, BACKING_FILE);
    g_assert_cmpstr(b->source, ==, path);
    g_assert_cmpstr(b->resolved, ==, real);
    g_assert_cmpuint(b->size, ==, 1 << 20);
    g_assert_cmpstr(b->fstype, ==, fstype);
    g_assert_cmpstr(b->mountpoint, ==, mountpoint);
    g_assert_false(b->thin);
    if (major(st.st_dev) != 0) {
        g_assert_nonnull(b->dev);
        g_assert_cmpuint(b->dev->major, ==, major(st.st_dev));
        g_assert_cmpuint(b->dev->minor, ==, minor(st.st_dev));
    }

    g_autofree char *line = backing_describe(b);
    g_autofree char *want = b->dev
        ? g_strdup_printf("file on %s %s, dev %s", fstype, mountpoint, b->dev->name)
        : g_strdup_printf("file on %s %s, no block device", fstype, mountpoint);
    g_assert_cmpstr(line, ==, want);
    g_assert_cmpint(g_unlink(path), ==, 0);
}

static void test_file_on_tmpfs_has_no_block_device(void)
{
    g_autofree char *fstype = findmnt("FSTYPE", "/dev/shm");

    if (strcmp(fstype, "tmpfs") != 0) {
        testutil_skip("/dev/shm is not tmpfs here");
        return;
    }
    g_autofree char *path = testutil_data_file("/dev/shm", "vdt-backing", 65536);
    g_autoptr(Backing) b = resolve_ok(path, NULL);
    g_autofree char *line = backing_describe(b);

    g_assert_cmpint(b->kind, ==, BACKING_FILE);
    g_assert_cmpstr(b->fstype, ==, "tmpfs");
    g_assert_null(b->dev);
    g_assert_true(g_str_has_suffix(line, ", no block device"));
    g_assert_cmpint(g_unlink(path), ==, 0);
}

static bool have_root(void)
{
    if (geteuid() == 0)
        return true;
    testutil_skip("needs root");
    return false;
}

/* Set autoclear so the kernel detaches the loop device when the last descriptor closes,
 * even when an assertion aborts this test; returns that descriptor. */
static int hold_with_autoclear(const char *loopdev)
{
    struct loop_info64 info;
    int fd = open(loopdev, O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ioctl(fd, LOOP_GET_STATUS64, &info), ==, 0);
    info.lo_flags |= LO_FLAGS_AUTOCLEAR;
    g_assert_cmpint(ioctl(fd, LOOP_SET_STATUS64, &info), ==, 0);
    return fd;
}

static void test_loop_device_reports_its_file(void)
{
    if (!have_root())
        return;
    g_autofree char *path = testutil_data_file("/var/tmp", "vdt-backing", 8 << 20);
    const char *attach[] = { "losetup", "-f", "--show", path, NULL };
    g_autofree char *loopdev = testutil_run_ok(attach);
    int hold = hold_with_autoclear(loopdev);
    g_autofree char *dir = g_dir_make_tmp("vdt-backing-XXXXXX", NULL);
    g_autofree char *link = g_build_filename(dir, "lv", NULL);
    struct stat st;

    g_assert_cmpint(stat(loopdev, &st), ==, 0);
    g_assert_cmpint(symlink(loopdev, link), ==, 0);

    g_autoptr(Backing) b = resolve_ok(link, NULL);
    g_assert_cmpint(b->kind, ==, BACKING_BLOCK);
    g_assert_cmpstr(b->source, ==, link);
    g_assert_cmpstr(b->resolved, ==, loopdev);
    g_assert_cmpuint(b->size, ==, 8 << 20);
    g_assert_nonnull(b->dev);
    g_assert_cmpint(b->dev->kind, ==, BLOCKDEV_LOOP);
    g_assert_cmpuint(b->dev->major, ==, 7);
    g_assert_cmpuint(b->dev->minor, ==, minor(st.st_rdev));
    g_assert_cmpstr(b->dev->loop_file, ==, path);
    g_assert_cmpuint(b->dev->logical_block_size, >=, 512);

    g_autofree char *line = backing_describe(b);
    g_autofree char *head = g_strdup_printf("block 7:%u %s (loop over %s, ", minor(st.st_rdev),
                                            b->dev->name, path);
    g_assert_true(g_str_has_prefix(line, head));

    json_object *j = backing_to_json(b);
    json_object *dev = json_object_object_get(j, "device");
    g_assert_cmpstr(json_object_get_string(json_object_object_get(j, "kind")), ==, "block");
    g_assert_cmpstr(json_object_get_string(json_object_object_get(dev, "kind")), ==, "loop");
    g_assert_cmpstr(json_object_get_string(json_object_object_get(dev, "loop_file")), ==, path);
    g_assert_cmpint(json_object_get_int(json_object_object_get(dev, "major")), ==, 7);
    json_object_put(j);

    g_assert_cmpint(close(hold), ==, 0);
    g_autofree char *sysloop = g_strdup_printf("/sys/dev/block/7:%u/loop", minor(st.st_rdev));
    if (g_file_test(sysloop, G_FILE_TEST_EXISTS)) {
        const char *detach[] = { "losetup", "-d", loopdev, NULL };
        g_free(testutil_run_ok(detach));
    }
    g_assert_cmpint(g_unlink(link), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
    g_assert_cmpint(g_unlink(path), ==, 0);
}

/* Files resolved moments apart must see a filesystem mounted in between: the mount table
 * kept for speed is read again as soon as it changes. */
static void test_new_mount_is_seen_at_once(void)
{
    if (!have_root())
        return;
    g_autofree char *dir = g_dir_make_tmp("vdt-backing-XXXXXX", NULL);
    g_autofree char *real = realpath(dir, NULL);
    g_autofree char *before = testutil_data_file(dir, "vdt-backing", 65536);
    g_autoptr(Backing) under = resolve_ok(before, NULL);
    g_autofree char *under_fs = findmnt("FSTYPE", real);
    const char *mount_argv[] = { "mount", "-t", "tmpfs", "-o", "size=1m", "vdt-backing", dir,
                                 NULL };
    const char *umount_argv[] = { "umount", dir, NULL };

    g_assert_cmpstr(under->fstype, ==, under_fs);
    g_free(testutil_run_ok(mount_argv));
    g_autofree char *inside = testutil_data_file(dir, "vdt-backing", 65536);
    g_autoptr(Backing) b = resolve_ok(inside, NULL);
    g_autofree char *line = backing_describe(b);
    g_autofree char *want = g_strdup_printf("file on tmpfs %s, no block device", real);

    g_assert_cmpstr(b->fstype, ==, "tmpfs");
    g_assert_cmpstr(b->mountpoint, ==, real);
    g_assert_null(b->dev);
    g_assert_cmpstr(line, ==, want);
    g_free(testutil_run_ok(umount_argv));

    g_autoptr(Backing) after = resolve_ok(before, NULL);
    g_assert_cmpstr(after->fstype, ==, under_fs);
    g_assert_cmpint(g_unlink(before), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void test_missing_path_names_it(void)
{
    g_autoptr(GError) err = resolve_fails("/nonexistent/vdt/disk.img", NULL);

    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_cmpstr(err->message, ==, "/nonexistent/vdt/disk.img: No such file or directory");
}

static void test_symlink_loop_names_it(void)
{
    g_autofree char *dir = g_dir_make_tmp("vdt-backing-XXXXXX", NULL);
    g_autofree char *a = g_build_filename(dir, "a", NULL);
    g_autofree char *b = g_build_filename(dir, "b", NULL);

    g_assert_cmpint(symlink(b, a), ==, 0);
    g_assert_cmpint(symlink(a, b), ==, 0);
    g_autoptr(GError) err = resolve_fails(a, NULL);
    g_autofree char *want = g_strdup_printf("%s: %s", a, g_strerror(ELOOP));

    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_LOOP);
    g_assert_cmpstr(err->message, ==, want);
    g_assert_cmpint(g_unlink(a), ==, 0);
    g_assert_cmpint(g_unlink(b), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void test_directory_is_not_a_file_or_block_device(void)
{
    g_autoptr(GError) err = resolve_fails("/var/tmp", NULL);
    g_autoptr(GError) chr = resolve_fails("/dev/null", NULL);
    g_autoptr(GError) empty = resolve_fails("", NULL);

    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
    g_assert_cmpstr(err->message, ==, "/var/tmp: not a file or block device (a directory)");
    g_assert_cmpstr(chr->message, ==,
                    "/dev/null: not a file or block device (a character device)");
    g_assert_error(empty, G_FILE_ERROR, G_FILE_ERROR_INVAL);
}

/* Block device nodes whose numbers exist only in the fake tree; removed when done. */
struct fake_nodes {
    char *dir;
    char *root;
};

static char *fake_node(struct fake_nodes *f, const char *name, unsigned maj, unsigned min)
{
    char *path = g_build_filename(f->dir, name, NULL);

    g_assert_cmpint(mknod(path, S_IFBLK | 0600, makedev(maj, min)), ==, 0);
    return path;
}

static void fake_nodes_clear(struct fake_nodes *f)
{
    g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(f->dir, name, NULL);
        g_assert_cmpint(g_unlink(path), ==, 0);
    }
    g_assert_cmpint(g_rmdir(f->dir), ==, 0);
    g_free(f->dir);
    g_free(f->root);
}

static void fake_nodes_init(struct fake_nodes *f)
{
    f->dir = g_dir_make_tmp("vdt-nodes-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    f->root = fake_root("storage");
}

static void test_lvm_volume_through_fake_sysfs(void)
{
    struct fake_nodes f;

    if (!have_root())
        return;
    fake_nodes_init(&f);
    g_autofree char *lv = fake_node(&f, "lv1", 253, 0);
    g_autoptr(Backing) b = resolve_ok(lv, f.root);

    g_assert_cmpint(b->kind, ==, BACKING_BLOCK);
    g_assert_cmpuint(b->size, ==, 4194304ull * 512);
    g_assert_false(b->thin);
    g_assert_cmpstr(b->dev->dm_name, ==, "vg0-lv1");
    g_assert_cmpuint(b->dev->slaves->len, ==, 2);
    g_autofree char *line = backing_describe(b);
    g_assert_cmpstr(line, ==, "block 253:0 dm-0 vg0-lv1 (LVM, ssd, 512/4096 B, none) on loop0+loop1");
    fake_nodes_clear(&f);
}

static void test_thin_volume_marks_backing_thin(void)
{
    struct fake_nodes f;

    if (!have_root())
        return;
    fake_nodes_init(&f);
    g_autofree char *thin = fake_node(&f, "thin1", 253, 2);
    g_autoptr(Backing) b = resolve_ok(thin, f.root);

    g_assert_true(b->thin);
    json_object *j = backing_to_json(b);
    g_assert_true(json_object_get_boolean(json_object_object_get(j, "thin")));
    json_object_put(j);
    fake_nodes_clear(&f);
}

static void test_partition_describe_names_its_disk(void)
{
    struct fake_nodes f;

    if (!have_root())
        return;
    fake_nodes_init(&f);
    g_autofree char *part = fake_node(&f, "sda1", 8, 1);
    g_autoptr(Backing) b = resolve_ok(part, f.root);
    g_autofree char *line = backing_describe(b);

    g_assert_cmpstr(line, ==, "block 8:1 sda1 (partition of sda, hdd, 512/512 B, mq-deadline)");
    fake_nodes_clear(&f);
}

static void test_broken_sysfs_error_names_the_source(void)
{
    struct fake_nodes f;

    if (!have_root())
        return;
    fake_nodes_init(&f);
    g_autofree char *cycle = fake_node(&f, "cycle", 253, 3);
    g_autofree char *unknown = fake_node(&f, "unknown", 65, 7);
    g_autoptr(GError) err = resolve_fails(cycle, f.root);
    g_autoptr(GError) err2 = resolve_fails(unknown, f.root);

    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_LOOP);
    g_assert_true(g_str_has_prefix(err->message, cycle));
    g_assert_true(g_str_has_prefix(err2->message, unknown));
    g_assert_nonnull(strstr(err2->message, "65:7"));
    fake_nodes_clear(&f);
}

static void assert_keys(json_object *o, const char *const *keys)
{
    guint n = 0;

    g_assert_true(json_object_is_type(o, json_type_object));
    for (; keys[n]; n++)
        if (!json_object_object_get_ex(o, keys[n], NULL))
            g_error("key %s missing in %s", keys[n], json_object_to_json_string(o));
    g_assert_cmpint(json_object_object_length(o), ==, n);
}

static const char *const backing_keys[] = {
    "kind", "source", "resolved", "size", "fstype", "mountpoint", "thin", "device", NULL
};
static const char *const device_keys[] = {
    "name", "major", "minor", "kind", "parent", "dm_name", "dm_uuid", "loop_file", "size",
    "rotational", "logical_block_size", "physical_block_size", "nr_requests", "scheduler",
    "numa_node", "model", "slaves", NULL
};

static void test_backing_json_has_every_documented_key(void)
{
    struct fake_nodes f;

    if (!have_root())
        return;
    fake_nodes_init(&f);
    g_autofree char *lv = fake_node(&f, "lv1", 253, 0);
    g_autoptr(Backing) b = resolve_ok(lv, f.root);
    json_object *j = backing_to_json(b);
    json_object *dev = json_object_object_get(j, "device");
    json_object *slaves = json_object_object_get(dev, "slaves");

    assert_keys(j, backing_keys);
    assert_keys(dev, device_keys);
    g_assert_null(json_object_object_get(j, "fstype"));
    g_assert_null(json_object_object_get(j, "mountpoint"));
    g_assert_cmpint(json_object_get_int64(json_object_object_get(j, "size")), ==,
                    4194304ll * 512);
    g_assert_cmpstr(json_object_get_string(json_object_object_get(dev, "kind")), ==, "dm");
    g_assert_cmpstr(json_object_get_string(json_object_object_get(dev, "dm_name")), ==,
                    "vg0-lv1");
    g_assert_cmpint(json_object_get_int(json_object_object_get(dev, "numa_node")), ==, -1);
    g_assert_null(json_object_object_get(dev, "model"));
    g_assert_false(json_object_get_boolean(json_object_object_get(dev, "rotational")));
    g_assert_cmpuint(json_object_array_length(slaves), ==, 2);
    json_object *pv = json_object_array_get_idx(slaves, 1);
    assert_keys(pv, device_keys);
    g_assert_cmpstr(json_object_get_string(json_object_object_get(pv, "name")), ==, "loop1");
    g_assert_cmpstr(json_object_get_string(json_object_object_get(pv, "loop_file")), ==,
                    "/var/lib/pv1.img");
    g_assert_null(json_object_object_get(pv, "dm_uuid"));
    g_assert_cmpuint(json_object_array_length(json_object_object_get(pv, "slaves")), ==, 0);
    json_object_put(j);
    g_assert_null(backing_to_json(NULL));
    fake_nodes_clear(&f);
}

static void test_topology_json_matches_the_fake_host(void)
{
    g_autofree char *root = fake_root("cpus");
    g_autoptr(GError) err = NULL;
    g_autoptr(CpuTopology) t = topology_read(root, &err);
    static const char *const cpu_keys[] = {
        "cpu", "socket", "core", "node", "siblings", "online", NULL
    };
    static const char *const node_keys[] = { "node", "cpus", NULL };

    g_assert_no_error(err);
    json_object *j = topology_to_json(t);
    json_object *cpus = json_object_object_get(j, "cpus");
    json_object *nodes = json_object_object_get(j, "nodes");

    g_assert_cmpint(json_object_object_length(j), ==, 2);
    g_assert_cmpuint(json_object_array_length(cpus), ==, 8);
    for (guint i = 0; i < 8; i++)
        assert_keys(json_object_array_get_idx(cpus, i), cpu_keys);
    json_object *c3 = json_object_array_get_idx(cpus, 3);
    g_assert_cmpint(json_object_get_int(json_object_object_get(c3, "cpu")), ==, 3);
    g_assert_cmpint(json_object_get_int(json_object_object_get(c3, "socket")), ==, 1);
    g_assert_cmpint(json_object_get_int(json_object_object_get(c3, "core")), ==, 1);
    g_assert_cmpint(json_object_get_int(json_object_object_get(c3, "node")), ==, 1);
    g_assert_cmpstr(json_object_get_string(json_object_object_get(c3, "siblings")), ==, "3,7");
    g_assert_true(json_object_get_boolean(json_object_object_get(c3, "online")));
    json_object *c7 = json_object_array_get_idx(cpus, 7);
    g_assert_false(json_object_get_boolean(json_object_object_get(c7, "online")));
    g_assert_null(json_object_object_get(c7, "socket"));
    g_assert_null(json_object_object_get(c7, "siblings"));
    g_assert_cmpuint(json_object_array_length(nodes), ==, 2);
    json_object *n1 = json_object_array_get_idx(nodes, 1);
    assert_keys(n1, node_keys);
    g_assert_cmpint(json_object_get_int(json_object_object_get(n1, "node")), ==, 1);
    g_assert_cmpstr(json_object_get_string(json_object_object_get(n1, "cpus")), ==, "2-3,6-7");
    json_object_put(j);
    g_assert_null(topology_to_json(NULL));
}

/* As root, run in a private mount namespace: a tmpfs this test mounts disappears with the
 * process even when an assertion aborts it. Before any resolve, so the mount table that
 * backing.c watches is this namespace's. */
static void private_mounts(void)
{
    if (geteuid() != 0)
        return;
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        g_error("private mount namespace: %s", g_strerror(errno));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    private_mounts();
    g_test_add_func("/backing/regular-file-reports-its-filesystem-and-device",
                    test_regular_file_reports_its_filesystem);
    g_test_add_func("/backing/file-on-tmpfs-has-no-block-device",
                    test_file_on_tmpfs_has_no_block_device);
    g_test_add_func("/backing/new-mount-is-seen-at-once", test_new_mount_is_seen_at_once);
    g_test_add_func("/backing/loop-device-reports-its-backing-file",
                    test_loop_device_reports_its_file);
    g_test_add_func("/backing/missing-path-error-names-it", test_missing_path_names_it);
    g_test_add_func("/backing/symlink-loop-error-names-it", test_symlink_loop_names_it);
    g_test_add_func("/backing/directory-is-not-a-file-or-block-device",
                    test_directory_is_not_a_file_or_block_device);
    g_test_add_func("/backing/lvm-volume-through-fake-sysfs",
                    test_lvm_volume_through_fake_sysfs);
    g_test_add_func("/backing/thin-volume-marks-backing-thin",
                    test_thin_volume_marks_backing_thin);
    g_test_add_func("/backing/partition-description-names-its-disk",
                    test_partition_describe_names_its_disk);
    g_test_add_func("/backing/broken-sysfs-error-names-the-source",
                    test_broken_sysfs_error_names_the_source);
    g_test_add_func("/backing/json-has-every-documented-key",
                    test_backing_json_has_every_documented_key);
    g_test_add_func("/backing/topology-json-matches-the-fake-host",
                    test_topology_json_matches_the_fake_host);
    return g_test_run();
}
