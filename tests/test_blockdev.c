/* probes/blockdev.c and probes/topology.c against the fake sysfs trees under
 * tests/data/sysfs/ (storage: an LVM host with loop PVs, a SATA disk, an NVMe, a thin
 * volume and a broken cycle; cpus: 2 sockets x 2 cores x 2 threads on 2 nodes) and
 * against this machine's own /sys and mountinfo. */
#include "probes/blockdev.h"
#include "probes/diskstats.h"
#include "probes/pagecache.h"
#include "probes/topology.h"
#include "tests/testutil.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char *fake_root(const char *tree)
{
    const char *data = g_getenv("VDT_TESTDATA");

    g_assert_nonnull(data);
    return g_build_filename(data, "sysfs", tree, NULL);
}

static struct blockdev *probe_fake(unsigned major, unsigned minor)
{
    g_autofree char *root = fake_root("storage");
    g_autoptr(GError) err = NULL;
    struct blockdev *dev = NULL;

    g_assert_true(blockdev_probe(root, major, minor, &dev, &err));
    g_assert_no_error(err);
    g_assert_nonnull(dev);
    return dev;
}

static const struct blockdev *slave(const struct blockdev *dev, guint i)
{
    g_assert_cmpuint(i, <, dev->slaves->len);
    return dev->slaves->pdata[i];
}

static void test_striped_lv_lists_both_loop_pvs(void)
{
    g_autoptr(Blockdev) lv = probe_fake(253, 0);

    g_assert_cmpstr(lv->name, ==, "dm-0");
    g_assert_cmpint(lv->kind, ==, BLOCKDEV_DM);
    g_assert_cmpstr(blockdev_kind_name(lv->kind), ==, "dm");
    g_assert_cmpstr(lv->dm_name, ==, "vg0-lv1");
    g_assert_true(g_str_has_prefix(lv->dm_uuid, "LVM-"));
    g_assert_true(lv->lvm);
    g_assert_false(lv->thin);
    g_assert_cmpuint(lv->size, ==, 4194304ull * 512);
    g_assert_cmpuint(lv->physical_block_size, ==, 4096);
    g_assert_cmpstr(lv->scheduler, ==, "none");
    g_assert_cmpint(lv->numa_node, ==, -1);
    g_assert_null(lv->model);

    g_assert_cmpuint(lv->slaves->len, ==, 2);
    for (guint i = 0; i < 2; i++) {
        const struct blockdev *pv = slave(lv, i);
        g_autofree char *name = g_strdup_printf("loop%u", i);
        g_autofree char *file = g_strdup_printf("/var/lib/pv%u.img", i);

        g_assert_cmpstr(pv->name, ==, name);
        g_assert_cmpint(pv->kind, ==, BLOCKDEV_LOOP);
        g_assert_cmpuint(pv->major, ==, 7);
        g_assert_cmpuint(pv->minor, ==, i);
        g_assert_cmpstr(pv->loop_file, ==, file);
        g_assert_null(pv->dm_name);
        g_assert_cmpuint(pv->slaves->len, ==, 0);
    }
}

/* The kernel creates loopN/loop/ only while the device is bound to a file. */
static void test_unbound_loop_is_still_a_loop(void)
{
    g_autoptr(Blockdev) loop = probe_fake(7, 2);

    g_assert_cmpstr(loop->name, ==, "loop2");
    g_assert_cmpint(loop->kind, ==, BLOCKDEV_LOOP);
    g_assert_null(loop->loop_file);
    g_assert_cmpuint(loop->size, ==, 0);
}

static void test_partition_takes_queue_of_its_disk(void)
{
    g_autoptr(Blockdev) part = probe_fake(8, 1);

    g_assert_cmpstr(part->name, ==, "sda1");
    g_assert_cmpint(part->kind, ==, BLOCKDEV_PARTITION);
    g_assert_cmpstr(part->parent, ==, "sda");
    g_assert_cmpuint(part->size, ==, 2097152ull * 512);
    g_assert_true(part->rotational);
    g_assert_cmpuint(part->nr_requests, ==, 64);
    g_assert_cmpstr(part->scheduler, ==, "mq-deadline");
    g_assert_cmpstr(part->model, ==, "QEMU HARDDISK");
    g_assert_cmpint(part->numa_node, ==, 0);
}

static void test_disk_model_is_trimmed_and_scheduler_bracketed(void)
{
    g_autoptr(Blockdev) disk = probe_fake(8, 0);

    g_assert_cmpstr(disk->name, ==, "sda");
    g_assert_cmpint(disk->kind, ==, BLOCKDEV_DISK);
    g_assert_null(disk->parent);
    g_assert_cmpstr(disk->model, ==, "QEMU HARDDISK");
    g_assert_cmpstr(disk->scheduler, ==, "mq-deadline");
    g_assert_cmpuint(disk->logical_block_size, ==, 512);
    g_assert_cmpuint(disk->size, ==, 41943040ull * 512);
}

static void test_nvme_numa_node_and_model_from_controller(void)
{
    g_autoptr(Blockdev) nvme = probe_fake(259, 0);

    g_assert_cmpstr(nvme->name, ==, "nvme0n1");
    g_assert_cmpint(nvme->kind, ==, BLOCKDEV_DISK);
    g_assert_cmpint(nvme->numa_node, ==, 1);
    g_assert_cmpstr(nvme->model, ==, "Samsung SSD 980 PRO 1TB");
    g_assert_false(nvme->rotational);
    g_assert_cmpuint(nvme->nr_requests, ==, 1023);
    g_assert_cmpstr(nvme->scheduler, ==, "none");
}

static void test_thin_lv_on_tpool_is_thin(void)
{
    g_autoptr(Blockdev) thin = probe_fake(253, 2);
    g_autoptr(Blockdev) striped = probe_fake(253, 0);

    g_assert_cmpstr(thin->dm_name, ==, "vg0-thin1");
    g_assert_true(thin->thin);
    g_assert_true(thin->lvm);
    g_assert_true(blockdev_any_thin(thin));
    g_assert_false(blockdev_any_thin(striped));

    const struct blockdev *pool = slave(thin, 0);
    g_assert_cmpstr(pool->dm_name, ==, "vg0-pool-tpool");
    const struct blockdev *part = slave(pool, 0);
    g_assert_cmpstr(part->name, ==, "sda1");
    g_assert_cmpint(part->kind, ==, BLOCKDEV_PARTITION);
    g_assert_cmpstr(part->scheduler, ==, "mq-deadline");
}

static void test_copy_is_deep(void)
{
    g_autoptr(Blockdev) lv = probe_fake(253, 0);
    g_autoptr(Blockdev) copy = blockdev_copy(lv);

    g_assert_true(copy != lv);
    g_assert_cmpstr(copy->dm_uuid, ==, lv->dm_uuid);
    g_assert_true(copy->dm_uuid != lv->dm_uuid);
    g_assert_cmpuint(copy->size, ==, lv->size);
    g_assert_cmpuint(copy->slaves->len, ==, 2);
    g_assert_true(copy->slaves->pdata[1] != lv->slaves->pdata[1]);
    g_assert_cmpstr(slave(copy, 1)->loop_file, ==, "/var/lib/pv1.img");
    g_assert_null(blockdev_copy(NULL));
}

static void test_slave_cycle_is_an_error_not_a_hang(void)
{
    g_autofree char *root = fake_root("storage");
    g_autoptr(GError) err = NULL;
    struct blockdev *dev = NULL;

    g_assert_false(blockdev_probe(root, 253, 3, &dev, &err));
    g_assert_null(dev);
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_LOOP);
    g_assert_nonnull(strstr(err->message, "253:3"));
    g_assert_nonnull(strstr(err->message, "cycle"));
}

/* dm-10 → dm-11 → ... → dm-27: eighteen devices stacked, more than any real host. */
static void test_sixteen_levels_deep_is_the_limit(void)
{
    g_autofree char *root = fake_root("storage");
    g_autoptr(GError) err = NULL;
    g_autoptr(Blockdev) sixteen = probe_fake(253, 12);
    struct blockdev *dev = NULL;
    const struct blockdev *d = sixteen;
    unsigned levels = 1;

    for (; d->slaves->len == 1; levels++)
        d = slave(d, 0);
    g_assert_cmpuint(levels, ==, 16);
    g_assert_cmpstr(d->name, ==, "dm-27");

    g_assert_false(blockdev_probe(root, 253, 10, &dev, &err));
    g_assert_null(dev);
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_LOOP);
    g_assert_nonnull(strstr(err->message, "more than 16 levels"));
}

static void test_unknown_device_is_an_error_naming_it(void)
{
    g_autofree char *root = fake_root("storage");
    g_autoptr(GError) err = NULL;
    struct blockdev *dev = NULL;

    g_assert_false(blockdev_probe(root, 65, 7, &dev, &err));
    g_assert_null(dev);
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_nonnull(strstr(err->message, "65:7"));
    g_assert_null(strchr(err->message, '\n'));
}

/* The device under "/" on this machine, found through the real /sys, must be the one
 * /sys/dev/block names for st_dev. */
static void test_real_root_filesystem_device(void)
{
    struct stat st;
    g_autoptr(GError) err = NULL;
    g_autoptr(Blockdev) dev = NULL;
    unsigned maj, min;

    g_assert_cmpint(stat("/", &st), ==, 0);
    if (!blockdev_of_filesystem(st.st_dev, &maj, &min, NULL)) {
        testutil_skip("/ has no block device here");
        return;
    }
    g_autofree char *link = g_strdup_printf("/sys/dev/block/%u:%u", maj, min);
    g_autofree char *target = realpath(link, NULL);
    g_assert_nonnull(target);
    g_autofree char *expect = g_path_get_basename(target);

    g_assert_true(blockdev_probe(NULL, maj, min, &dev, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(dev->name, ==, expect);
    g_assert_cmpuint(dev->major, ==, major(st.st_dev));
    g_assert_cmpuint(dev->logical_block_size, >=, 512);
    g_assert_cmpuint(dev->size, >, 0);
}

static void test_anonymous_device_has_no_block_device(void)
{
    unsigned maj = 99, min = 99;
    const char *why = NULL;

    g_assert_false(blockdev_of_filesystem(makedev(0, 26), &maj, &min, &why));
    g_assert_nonnull(why);
    g_assert_nonnull(strstr(why, "no block device"));
    g_assert_cmpuint(maj, ==, 99);

    g_assert_true(blockdev_of_filesystem(makedev(8, 17), &maj, &min, NULL));
    g_assert_cmpuint(maj, ==, 8);
    g_assert_cmpuint(min, ==, 17);
}

static const char mountinfo_text[] =
    "26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "27 26 0:26 / /dev/shm rw,nosuid,nodev shared:2 - tmpfs tmpfs rw,size=1024k\n"
    "28 26 8:1 / /var/lib/libvirt/images rw,noatime shared:3 master:1 - xfs /dev/sda1 rw\n"
    "29 26 8:1 /images /srv/images rw,noatime - xfs /dev/sda1 rw\n"
    "30 26 8:17 / /mnt/with\\040space rw - ext4 /dev/sdb1 rw\n"
    "31 26 8:33 / /mnt/over rw - ext4 /dev/sdc1 rw\n"
    "32 26 8:49 / /mnt/over rw - btrfs /dev/sdd1 rw\n"
    "malformed line without separator\n"
    "\n";

static char *mountinfo_path;  /* written once by main, removed after the run */

static char *write_mountinfo(void)
{
    g_autoptr(GError) err = NULL;
    int fd = g_file_open_tmp("vdt-mountinfo-XXXXXX", &mountinfo_path, &err);

    g_assert_no_error(err);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_assert_true(g_file_set_contents(mountinfo_path, mountinfo_text, -1, &err));
    g_assert_no_error(err);
    return mountinfo_path;
}

static struct mount_info *find(const char *mountinfo, const char *path, unsigned maj,
                               unsigned min)
{
    g_autoptr(GError) err = NULL;
    struct mount_info *m = blockdev_find_mount(mountinfo, path, makedev(maj, min), &err);

    g_assert_no_error(err);
    g_assert_nonnull(m);
    return m;
}

static void test_mountinfo_longest_prefix_with_same_device(void)
{
    const char *mi = mountinfo_path;

    g_autoptr(MountInfo) img = find(mi, "/var/lib/libvirt/images/web1.raw", 8, 1);
    g_assert_cmpstr(img->mountpoint, ==, "/var/lib/libvirt/images");
    g_assert_cmpstr(img->fstype, ==, "xfs");
    g_assert_cmpstr(img->source, ==, "/dev/sda1");
    g_assert_cmpuint(img->major, ==, 8);

    /* The bind mount of the same filesystem: the path decides which mount point. */
    g_autoptr(MountInfo) bind = find(mi, "/srv/images/web1.raw", 8, 1);
    g_assert_cmpstr(bind->mountpoint, ==, "/srv/images");

    /* "/var/lib/libvirt/imagesX" is not under "/var/lib/libvirt/images". */
    g_autoptr(MountInfo) root = find(mi, "/var/lib/libvirt/imagesX/a", 254, 0);
    g_assert_cmpstr(root->mountpoint, ==, "/");
    g_assert_cmpstr(root->fstype, ==, "ext4");

    g_autoptr(MountInfo) shm = find(mi, "/dev/shm/x", 0, 26);
    g_assert_cmpstr(shm->fstype, ==, "tmpfs");
}

static void test_mountinfo_unescapes_and_prefers_later_mount(void)
{
    const char *mi = mountinfo_path;

    g_autoptr(MountInfo) spaced = find(mi, "/mnt/with space/disk.img", 8, 17);
    g_assert_cmpstr(spaced->mountpoint, ==, "/mnt/with space");

    g_autoptr(MountInfo) over = find(mi, "/mnt/over/x", 0, 99);
    g_assert_cmpstr(over->fstype, ==, "btrfs");
}

static void test_mountinfo_falls_back_to_prefix_when_device_differs(void)
{
    const char *mi = mountinfo_path;

    g_autoptr(MountInfo) m = find(mi, "/var/lib/libvirt/images/a.img", 0, 77);
    g_assert_cmpstr(m->mountpoint, ==, "/var/lib/libvirt/images");
}

static void test_mountinfo_without_a_holding_mount(void)
{
    g_assert_null(blockdev_find_mount_in("", "/x", makedev(8, 1)));
    g_assert_null(blockdev_find_mount_in(
        "30 26 8:17 / /mnt/a rw - ext4 /dev/sdb1 rw\n", "/mnt/b/x", makedev(8, 17)));
}

static void test_mountinfo_unreadable_is_an_error(void)
{
    g_autoptr(GError) err = NULL;
    struct mount_info *m = blockdev_find_mount("/nonexistent/mountinfo", "/x", makedev(8, 1),
                                               &err);

    g_assert_null(m);
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void test_real_mountinfo_finds_var_tmp(void)
{
    struct stat st;
    g_autoptr(GError) err = NULL;
    g_autofree char *real = realpath("/var/tmp", NULL);

    g_assert_nonnull(real);
    g_assert_cmpint(stat(real, &st), ==, 0);
    g_autoptr(MountInfo) m = blockdev_find_mount(NULL, real, st.st_dev, &err);
    g_assert_no_error(err);
    g_assert_nonnull(m);
    g_assert_true(g_str_has_prefix(real, m->mountpoint));
    g_assert_cmpuint(m->major, ==, major(st.st_dev));
    g_assert_cmpuint(m->minor, ==, minor(st.st_dev));
}

static struct cpu_topology *read_fake_cpus(void)
{
    g_autofree char *root = fake_root("cpus");
    g_autoptr(GError) err = NULL;
    struct cpu_topology *t = topology_read(root, &err);

    g_assert_no_error(err);
    g_assert_nonnull(t);
    return t;
}

static void test_topology_two_sockets_two_cores_two_threads(void)
{
    g_autoptr(CpuTopology) t = read_fake_cpus();
    static const struct { int socket, core, node; const char *siblings; } want[7] = {
        { 0, 0, 0, "0,4" }, { 0, 1, 0, "1,5" }, { 1, 0, 1, "2,6" }, { 1, 1, 1, "3,7" },
        { 0, 0, 0, "0,4" }, { 0, 1, 0, "1,5" }, { 1, 0, 1, "2,6" },
    };

    g_assert_cmpuint(t->cpus->len, ==, 8);
    for (unsigned i = 0; i < 7; i++) {
        const struct topology_cpu *c = &g_array_index(t->cpus, struct topology_cpu, i);
        g_assert_cmpuint(c->cpu, ==, i);
        g_assert_true(c->online);
        g_assert_cmpint(c->socket, ==, want[i].socket);
        g_assert_cmpint(c->core, ==, want[i].core);
        g_assert_cmpint(c->node, ==, want[i].node);
        g_assert_cmpstr(c->siblings, ==, want[i].siblings);
    }
    g_assert_cmpuint(t->nodes->len, ==, 2);
    g_assert_cmpstr(g_array_index(t->nodes, struct topology_node, 0).cpus, ==, "0-1,4-5");
    g_assert_cmpuint(g_array_index(t->nodes, struct topology_node, 1).node, ==, 1);
    g_assert_cmpstr(g_array_index(t->nodes, struct topology_node, 1).cpus, ==, "2-3,6-7");
    /* The SLIT row: a node is 10 from itself, 21 from the other socket's. */
    g_assert_cmpstr(g_array_index(t->nodes, struct topology_node, 0).distance, ==, "10 21");
    g_assert_cmpstr(g_array_index(t->nodes, struct topology_node, 1).distance, ==, "21 10");
}

/* cpu7 is offline (its topology directory is gone, as the kernel does) and has no nodeN
 * link, so its node comes from the range "6-7" in node1/cpulist; cpu0 has no "online" file
 * (the kernel gives it none: it cannot be taken offline). */
static void test_topology_offline_cpu_and_node_from_cpulist(void)
{
    g_autoptr(CpuTopology) t = read_fake_cpus();
    const struct topology_cpu *c7 = topology_find_cpu(t, 7);
    const struct topology_cpu *c6 = topology_find_cpu(t, 6);
    const struct topology_cpu *c0 = topology_find_cpu(t, 0);

    g_assert_nonnull(c7);
    g_assert_false(c7->online);
    g_assert_cmpint(c7->socket, ==, -1);
    g_assert_cmpint(c7->core, ==, -1);
    g_assert_null(c7->siblings);
    g_assert_cmpint(c7->node, ==, 1);
    g_assert_nonnull(c6);
    g_assert_cmpint(c6->node, ==, 1);
    g_assert_nonnull(c0);
    g_assert_true(c0->online);
    g_assert_null(topology_find_cpu(t, 8));
}

static void test_topology_missing_tree_is_an_error(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *root = fake_root("storage");

    g_assert_null(topology_read(root, &err));
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void test_topology_of_this_machine(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(CpuTopology) t = topology_read(NULL, &err);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned counted = 0;

    g_assert_no_error(err);
    g_assert_nonnull(t);
    for (guint i = 0; i < t->cpus->len; i++) {
        const struct topology_cpu *c = &g_array_index(t->cpus, struct topology_cpu, i);
        if (i > 0)
            g_assert_cmpuint(c->cpu, >, g_array_index(t->cpus, struct topology_cpu, i - 1).cpu);
        if (c->online) {
            counted++;
            g_assert_cmpint(c->socket, >=, 0);
            g_assert_nonnull(c->siblings);
        }
    }
    g_assert_cmpint(counted, ==, online);
}

/* A file's reads are counted on its filesystem's device: the stat file under /sys/dev/block
 * for this file's st_dev, parsed; a file on tmpfs (no block device) has none. */
static void test_diskstats_for_a_file(void)
{
    g_autofree char *dir = g_dir_make_tmp("vdt-diskstats-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "f", NULL);
    g_autofree char *path = NULL, *want = NULL;
    struct diskstats ds = { 0 };
    struct stat st;

    g_assert_true(g_file_set_contents(file, "x", 1, NULL));
    g_assert_cmpint(stat(file, &st), ==, 0);
    path = diskstats_path_for(file, NULL);
    want = g_strdup_printf("/sys/dev/block/%u:%u/stat", major(st.st_dev), minor(st.st_dev));
    if (!g_file_test(want, G_FILE_TEST_EXISTS))
        g_assert_null(path);        /* tmpfs or overlay: no block device */
    else {
        g_assert_cmpstr(path, ==, want);
        g_assert_true(diskstats_read(path, &ds));
    }
    g_assert_null(diskstats_path_for("/dev/shm", NULL));   /* tmpfs */
    g_assert_false(diskstats_read(NULL, &ds));
    g_unlink(file);
    g_rmdir(dir);
}

static void test_diskstats_parses_fields_one_and_three(void)
{
    g_autofree char *dir = g_dir_make_tmp("vdt-diskstats-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "stat", NULL);
    struct diskstats ds = { 0 };

    g_assert_true(g_file_set_contents(file, "    1234       5    98765     4321   0 0 0 0 0 0 0\n",
                                      -1, NULL));
    g_assert_true(diskstats_read(file, &ds));
    g_assert_cmpuint(ds.read_ios, ==, 1234);
    g_assert_cmpuint(ds.read_sectors, ==, 98765);
    g_assert_true(g_file_set_contents(file, "garbage\n", -1, NULL));
    g_assert_false(diskstats_read(file, &ds));
    g_unlink(file);
    g_rmdir(dir);
}

static void test_pagecache_drop_errors(void)
{
    g_assert_cmpint(pagecache_drop("/nonexistent/vdt"), ==, -ENOENT);
    g_assert_cmpint(pagecache_drop("/proc/self/status"), ==, 0);
    g_assert_cmpuint(pagecache_mem_available(), >, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/blockdev/striped-lv-lists-both-loop-pvs-as-slaves",
                    test_striped_lv_lists_both_loop_pvs);
    g_test_add_func("/blockdev/unbound-loop-is-still-a-loop", test_unbound_loop_is_still_a_loop);
    g_test_add_func("/blockdev/partition-takes-queue-attributes-of-its-disk",
                    test_partition_takes_queue_of_its_disk);
    g_test_add_func("/blockdev/disk-model-is-trimmed-and-scheduler-is-the-bracketed-one",
                    test_disk_model_is_trimmed_and_scheduler_bracketed);
    g_test_add_func("/blockdev/nvme-numa-node-and-model-come-from-its-controller",
                    test_nvme_numa_node_and_model_from_controller);
    g_test_add_func("/blockdev/lv-on-a-tpool-is-thin", test_thin_lv_on_tpool_is_thin);
    g_test_add_func("/blockdev/copy-is-deep", test_copy_is_deep);
    g_test_add_func("/blockdev/slave-cycle-is-an-error-not-a-hang",
                    test_slave_cycle_is_an_error_not_a_hang);
    g_test_add_func("/blockdev/sixteen-levels-of-slaves-is-the-limit",
                    test_sixteen_levels_deep_is_the_limit);
    g_test_add_func("/blockdev/unknown-device-is-an-error-naming-it",
                    test_unknown_device_is_an_error_naming_it);
    g_test_add_func("/blockdev/real-root-filesystem-device-matches-sysfs",
                    test_real_root_filesystem_device);
    g_test_add_func("/blockdev/anonymous-device-has-no-block-device",
                    test_anonymous_device_has_no_block_device);
    g_test_add_func("/blockdev/mountinfo-longest-prefix-with-the-same-device",
                    test_mountinfo_longest_prefix_with_same_device);
    g_test_add_func("/blockdev/mountinfo-unescapes-and-later-mount-wins",
                    test_mountinfo_unescapes_and_prefers_later_mount);
    g_test_add_func("/blockdev/mountinfo-falls-back-to-prefix-when-device-differs",
                    test_mountinfo_falls_back_to_prefix_when_device_differs);
    g_test_add_func("/blockdev/mountinfo-without-a-holding-mount-finds-none",
                    test_mountinfo_without_a_holding_mount);
    g_test_add_func("/blockdev/mountinfo-unreadable-is-an-error",
                    test_mountinfo_unreadable_is_an_error);
    g_test_add_func("/blockdev/real-mountinfo-finds-var-tmp", test_real_mountinfo_finds_var_tmp);
    g_test_add_func("/topology/two-sockets-two-cores-two-threads-on-two-nodes",
                    test_topology_two_sockets_two_cores_two_threads);
    g_test_add_func("/topology/offline-cpu-and-node-from-cpulist",
                    test_topology_offline_cpu_and_node_from_cpulist);
    g_test_add_func("/topology/missing-cpu-tree-is-an-error",
                    test_topology_missing_tree_is_an_error);
    g_test_add_func("/diskstats/a-file-counts-on-its-filesystem-device", test_diskstats_for_a_file);
    g_test_add_func("/diskstats/parses-fields-one-and-three", test_diskstats_parses_fields_one_and_three);
    g_test_add_func("/pagecache/drop-says-why-it-failed", test_pagecache_drop_errors);
    g_test_add_func("/topology/this-machine-counts-its-online-cpus",
                    test_topology_of_this_machine);
    write_mountinfo();
    int status = g_test_run();
    g_unlink(mountinfo_path);
    g_free(mountinfo_path);
    return status;
}
