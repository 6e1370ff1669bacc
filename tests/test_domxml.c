/* core/domxml.c on files under tests/data/domxml/: libvirt's own output (dumped from the
 * test driver) and hand-written documents with missing, unexpected and hostile parts. */
#include <string.h>
#include <glib.h>
#include "core/domxml.h"
#include "core/session.h"
#include "core/textesc.h"

static struct vm_config *parse_fixture(const char *name, GError **err)
{
    g_autofree char *path = g_build_filename(g_getenv("VDT_TESTDATA"), "domxml", name, NULL);
    g_autofree char *xml = NULL;
    gsize len = 0;
    g_autoptr(GError) ferr = NULL;

    if (!g_file_get_contents(path, &xml, &len, &ferr))
        g_error("fixture %s: %s", path, ferr->message);
    return domxml_parse(xml, len, err);
}

static struct vm_config *parse_ok(const char *name)
{
    g_autoptr(GError) err = NULL;
    struct vm_config *cfg = parse_fixture(name, &err);

    g_assert_no_error(err);
    g_assert_nonnull(cfg);
    return cfg;
}

static const struct vm_disk *disk_of(const struct vm_config *cfg, const char *target)
{
    const struct vm_disk *disk = vm_config_find_disk(cfg, target);

    if (!disk)
        g_error("no disk %s", target);
    return disk;
}

static unsigned id_at(const struct vm_config *cfg, guint i)
{
    return g_array_index(cfg->iothread_ids, unsigned, i);
}

static void test_libvirt_xml_gives_disks_iothreads_pins(void)
{
    g_autoptr(VmConfig) cfg = parse_ok("web1-live.xml");
    const struct vm_disk *vda = disk_of(cfg, "vda");
    const struct vm_pin *pin;

    g_assert_cmpstr(cfg->domain_type, ==, "test");
    g_assert_cmpuint(cfg->vcpus, ==, 2);
    g_assert_cmpuint(cfg->max_vcpus, ==, 4);
    /* libvirt itself wrote the filled-in ids 5,6,1,2 into this dump. */
    g_assert_cmpuint(cfg->niothreads, ==, 4);
    g_assert_cmpuint(cfg->iothread_ids->len, ==, 4);
    g_assert_cmpuint(id_at(cfg, 0), ==, 5);
    g_assert_cmpuint(id_at(cfg, 3), ==, 2);
    g_assert_cmpstr(cfg->emulatorpin, ==, "0-1");
    g_assert_cmpuint(cfg->vcpupins->len, ==, 2);
    pin = g_ptr_array_index(cfg->vcpupins, 1);
    g_assert_cmpuint(pin->id, ==, 1);
    g_assert_cmpstr(pin->cpuset, ==, "1");
    g_assert_cmpuint(cfg->iothreadpins->len, ==, 1);
    pin = g_ptr_array_index(cfg->iothreadpins, 0);
    g_assert_cmpuint(pin->id, ==, 5);
    g_assert_cmpuint(cfg->disks->len, ==, 6);
    g_assert_cmpstr(vda->type, ==, "file");
    g_assert_cmpstr(vda->device, ==, "disk");
    g_assert_cmpstr(vda->bus, ==, "virtio");
    g_assert_cmpstr(vda->source, ==, "/nonexistent/web1-root.img");
    g_assert_cmpstr(vda->driver_name, ==, "qemu");
    g_assert_cmpstr(vda->driver_type, ==, "raw");
    g_assert_cmpstr(vda->cache, ==, "none");
    g_assert_cmpstr(vda->io, ==, "native");
    g_assert_cmpint(vda->iothread, ==, 5);
    g_assert_false(vda->iothread_from_controller);
    g_assert_true(vda->benchable);
    g_assert_null(vda->reason);
    g_assert_null(vda->backing);
}

static void test_iothread_ids_fill_lowest_unused(void)
{
    g_autoptr(VmConfig) cfg = parse_ok("iothreads-controller.xml");

    /* <iothreads>4 with ids 6, 5 (and 6 again): 6, 5, then 1, 2 as libvirt 9 does. */
    g_assert_cmpuint(cfg->niothreads, ==, 4);
    g_assert_cmpuint(cfg->iothread_ids->len, ==, 4);
    g_assert_cmpuint(id_at(cfg, 0), ==, 6);
    g_assert_cmpuint(id_at(cfg, 1), ==, 5);
    g_assert_cmpuint(id_at(cfg, 2), ==, 1);
    g_assert_cmpuint(id_at(cfg, 3), ==, 2);
}

static void test_more_ids_than_count_raise_the_count(void)
{
    const char *xml = "<domain><iothreads>1</iothreads><iothreadids><iothread id='3'/>"
                      "<iothread id='7'/></iothreadids></domain>";
    g_autoptr(GError) err = NULL;
    g_autoptr(VmConfig) cfg = domxml_parse(xml, strlen(xml), &err);

    g_assert_no_error(err);
    g_assert_cmpuint(cfg->niothreads, ==, 2);
    g_assert_cmpuint(id_at(cfg, 0), ==, 3);
    g_assert_cmpuint(id_at(cfg, 1), ==, 7);
}

static void test_iothreads_without_ids_are_one_to_n(void)
{
    const char *xml = "<domain><iothreads>3</iothreads></domain>";
    g_autoptr(GError) err = NULL;
    g_autoptr(VmConfig) cfg = domxml_parse(xml, strlen(xml), &err);

    g_assert_no_error(err);
    g_assert_cmpuint(cfg->iothread_ids->len, ==, 3);
    g_assert_cmpuint(id_at(cfg, 0), ==, 1);
    g_assert_cmpuint(id_at(cfg, 2), ==, 3);
}

/* A hostile count is bounded: the model neither hangs (quadratic fill) nor allocates
 * gigabytes; a large but real-looking count is filled in full. */
static void test_huge_iothread_count_is_bounded(void)
{
    const char *huge = "<domain><iothreads>4000000000</iothreads><iothreadids>"
                       "<iothread id='4000000000'/></iothreadids></domain>";
    const char *large = "<domain><iothreads>50000</iothreads></domain>";
    g_autoptr(GError) err = NULL;
    g_autoptr(VmConfig) cfg = domxml_parse(huge, strlen(huge), &err);
    g_autoptr(VmConfig) cfg2 = NULL;

    g_assert_no_error(err);
    g_assert_cmpuint(cfg->niothreads, ==, 65536);
    g_assert_cmpuint(id_at(cfg, 0), ==, 4000000000u);
    g_assert_cmpuint(id_at(cfg, 1), ==, 1);
    cfg2 = domxml_parse(large, strlen(large), &err);
    g_assert_no_error(err);
    g_assert_cmpuint(cfg2->niothreads, ==, 50000);
    g_assert_cmpuint(id_at(cfg2, 49999), ==, 50000);
}

static void test_disk_iothread_inherited_from_virtio_scsi_controller(void)
{
    g_autoptr(VmConfig) cfg = parse_ok("iothreads-controller.xml");
    const struct vm_disk *sda = disk_of(cfg, "sda");
    const struct vm_disk *sdb = disk_of(cfg, "sdb");
    const struct vm_disk *sdc = disk_of(cfg, "sdc");

    g_assert_cmpint(sda->iothread, ==, 3);
    g_assert_true(sda->iothread_from_controller);
    /* The disk's own iothread wins over its controller's. */
    g_assert_cmpint(sdb->iothread, ==, 5);
    g_assert_false(sdb->iothread_from_controller);
    /* An lsilogic controller's iothread means nothing to QEMU. */
    g_assert_cmpint(sdc->iothread, ==, 0);
    g_assert_false(sdc->iothread_from_controller);
}

static void test_cache_default_means_hypervisor_default(void)
{
    g_autoptr(VmConfig) cfg = parse_ok("iothreads-controller.xml");
    const struct vm_disk *sdc = disk_of(cfg, "sdc");
    const struct vm_disk *vda = disk_of(cfg, "vda");

    g_assert_null(sdc->cache);
    g_assert_null(sdc->io);
    g_assert_null(vda->cache);
    g_assert_cmpstr(vda->driver_type, ==, "qcow2");
    g_assert_cmpint(vda->iothread, ==, 6);
}

static void test_vcpu_current_emulator_and_pins(void)
{
    g_autoptr(VmConfig) cfg = parse_ok("iothreads-controller.xml");
    const struct vm_pin *pin = NULL;

    g_assert_cmpuint(cfg->vcpus, ==, 3);
    g_assert_cmpuint(cfg->max_vcpus, ==, 8);
    g_assert_cmpstr(cfg->domain_type, ==, "kvm");
    g_assert_cmpstr(cfg->emulator, ==, "/usr/bin/qemu-system-x86_64");
    g_assert_cmpuint(cfg->vcpupins->len, ==, 2);
    pin = g_ptr_array_index(cfg->vcpupins, 1);
    g_assert_cmpstr(pin->cpuset, ==, "3-4,6");
    g_assert_cmpuint(cfg->iothreadpins->len, ==, 2);
    pin = g_ptr_array_index(cfg->iothreadpins, 1);
    g_assert_cmpuint(pin->id, ==, 1);
}

struct shape {
    const char *target, *type, *device, *source;
    bool benchable;
    const char *reason;
};

static void test_every_disk_shape_has_source_and_reason(void)
{
    static const struct shape shapes[] = {
        { "vda", "network", "disk", "nbd://nbd.example.org/export1", false,
          "network disk (nbd): not a local device" },
        { "vdb", "network", "disk",
          "iscsi://iscsi.example.org/iqn.2013-07.com.example:iscsi-nopool/1", false,
          "network disk (iscsi): not a local device" },
        { "vdc", "network", "disk", "gluster://gluster.example.org/volume/image.raw", false,
          "network disk (gluster): not a local device" },
        { "sdb", "network", "cdrom", "http://mirror.example.org/isos/install.iso", false,
          "network disk (http): not a local device" },
        { "vdd", "nvme", "disk", "nvme://0000:01:00.0/1", false, "nvme disk: host PCI device" },
        { "vde", "vhostuser", "disk", "/tmp/vhost-blk.sock", false,
          "vhostuser: not a local device" },
        { "sda", "file", "cdrom", "/nonexistent/install.iso", false,
          "cdrom: removable media, not tuned" },
        { "fda", "file", "floppy", NULL, false, "floppy without media" },
        { "hda", "dir", "disk", "/nonexistent/shared", false,
          "dir: a host directory shown as a virtual FAT disk, not a device" },
        { "vdf", "block", "disk", "/nonexistent/vg0/shapes", true, NULL },
    };
    g_autoptr(VmConfig) cfg = parse_ok("every-disk-shape.xml");

    g_assert_cmpuint(cfg->disks->len, ==, G_N_ELEMENTS(shapes));
    for (guint i = 0; i < G_N_ELEMENTS(shapes); i++) {
        const struct vm_disk *disk = disk_of(cfg, shapes[i].target);

        g_assert_cmpstr(disk->type, ==, shapes[i].type);
        g_assert_cmpstr(disk->device, ==, shapes[i].device);
        g_assert_cmpstr(disk->source, ==, shapes[i].source);
        g_assert_cmpint(disk->benchable, ==, shapes[i].benchable);
        g_assert_cmpstr(disk->reason, ==, shapes[i].reason);
    }
    g_assert_cmpstr(disk_of(cfg, "vda")->source_protocol, ==, "nbd");
    g_assert_true(disk_of(cfg, "vdf")->shareable);
    g_assert_cmpstr(disk_of(cfg, "vdf")->io, ==, "io_uring");
    g_assert_true(disk_of(cfg, "sda")->readonly);
}

static void test_volume_and_cdrom_without_media_carry_reasons(void)
{
    g_autoptr(VmConfig) cfg = parse_ok("web1-live.xml");
    const struct vm_disk *vdd = disk_of(cfg, "vdd");
    const struct vm_disk *hdc = disk_of(cfg, "hdc");
    const struct vm_disk *vdc = disk_of(cfg, "vdc");
    const struct vm_disk *sda = disk_of(cfg, "sda");

    g_assert_cmpstr(vdd->source, ==, "default/data.img");
    g_assert_cmpstr(vdd->source_pool, ==, "default");
    g_assert_cmpstr(vdd->source_volume, ==, "data.img");
    g_assert_false(vdd->benchable);
    g_assert_cmpstr(vdd->reason, ==, "volume in pool 'default': unresolved");
    g_assert_null(hdc->source);
    g_assert_false(hdc->benchable);
    g_assert_cmpstr(hdc->reason, ==, "cdrom without media");
    g_assert_cmpstr(vdc->source, ==, "rbd://mon1.example.org/pool/image");
    g_assert_cmpstr(vdc->reason, ==, "network disk (rbd): not a local device");
    /* A lun on a block source is benchable, and its controller lends it iothread 6. */
    g_assert_cmpstr(sda->device, ==, "lun");
    g_assert_true(sda->benchable);
    g_assert_cmpint(sda->iothread, ==, 6);
    g_assert_true(sda->iothread_from_controller);
}

static void test_backing_chain_layers_counted(void)
{
    g_autoptr(VmConfig) cfg = parse_ok("backing-chain.xml");
    const struct vm_disk *vda = disk_of(cfg, "vda");

    /* Two layers with a source; the terminating empty <backingStore/> does not count. */
    g_assert_cmpint(vda->backing_chain_len, ==, 2);
    g_assert_cmpstr(vda->source, ==, "/nonexistent/db1.qcow2");
    g_assert_cmpstr(vda->cache, ==, "writethrough");
}

static void test_missing_elements_are_left_empty(void)
{
    g_autoptr(VmConfig) cfg = parse_ok("missing-and-unexpected.xml");
    const struct vm_disk *d0, *d1;

    g_assert_null(cfg->domain_type);
    g_assert_null(cfg->emulator);
    g_assert_cmpuint(cfg->vcpus, ==, 0);
    g_assert_cmpuint(cfg->max_vcpus, ==, 0);
    g_assert_cmpuint(cfg->niothreads, ==, 0);
    g_assert_cmpuint(cfg->iothread_ids->len, ==, 0);
    g_assert_cmpuint(cfg->vcpupins->len, ==, 0);
    g_assert_cmpuint(cfg->iothreadpins->len, ==, 1);
    g_assert_null(((struct vm_pin *)g_ptr_array_index(cfg->iothreadpins, 0))->cpuset);
    g_assert_null(cfg->emulatorpin);
    g_assert_cmpuint(cfg->disks->len, ==, 9);
    /* libvirt's defaults: type file, device disk. */
    d0 = g_ptr_array_index(cfg->disks, 0);
    g_assert_cmpstr(d0->type, ==, "file");
    g_assert_cmpstr(d0->device, ==, "disk");
    g_assert_null(d0->target);
    g_assert_true(d0->benchable);
    d1 = g_ptr_array_index(cfg->disks, 1);
    g_assert_null(d1->source);
    g_assert_false(d1->benchable);
    g_assert_cmpstr(d1->reason, ==, "disk without source");
    g_assert_cmpstr(disk_of(cfg, "vdb")->reason, ==, "disk without source");
    g_assert_cmpstr(disk_of(cfg, "vdc")->reason, ==, "disk type 'wormhole': not supported");
    g_assert_cmpstr(disk_of(cfg, "vdd")->reason, ==, "device 'tape': not supported");
    g_assert_null(disk_of(cfg, "vde")->source);
    g_assert_cmpstr(disk_of(cfg, "vde")->reason, ==,
                    "network disk (unknown protocol): not a local device");
    g_assert_null(disk_of(cfg, "vdf")->source);
    g_assert_null(disk_of(cfg, "vdg")->source);
    /* An iothread beyond unsigned range is not a number: no iothread. */
    g_assert_cmpint(disk_of(cfg, "vdh")->iothread, ==, 0);
    g_assert_false(disk_of(cfg, "vdh")->iothread_from_controller);
}

static void expect_xml_error(const char *fixture, const char *fragment)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VmConfig) cfg = parse_fixture(fixture, &err);

    g_assert_null(cfg);
    g_assert_error(err, SESSION_ERROR, SESSION_ERROR_XML);
    g_assert_nonnull(strstr(err->message, fragment));
    g_assert_null(strchr(err->message, '\n'));
}

static void test_not_well_formed_is_an_error_with_line(void)
{
    expect_xml_error("bad-not-well-formed.xml", "line ");
}

static void test_root_must_be_domain(void)
{
    expect_xml_error("bad-root-not-domain.xml", "no <domain> root");
    expect_xml_error("bad-namespaced-root.xml", "no <domain> root");
}

static void test_doctype_is_refused(void)
{
    expect_xml_error("bad-doctype-small-entity.xml", "a DOCTYPE is not accepted");
    /* Exponential entities: libxml2's amplification guard or the DOCTYPE rule stops it. */
    expect_xml_error("bad-doctype-entities.xml", "domain XML: ");
}

static void test_empty_and_null_input_are_errors(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) err2 = NULL;

    g_assert_null(domxml_parse(NULL, 0, &err));
    g_assert_error(err, SESSION_ERROR, SESSION_ERROR_XML);
    g_assert_null(domxml_parse("", 0, &err2));
    g_assert_error(err2, SESSION_ERROR, SESSION_ERROR_XML);
    /* No error pointer: still no crash. */
    g_assert_null(domxml_parse("<", 1, NULL));
}

static void test_parse_reads_only_len_bytes(void)
{
    const char *xml = "<domain type='kvm'/>trailing garbage that is not XML <<<";
    g_autoptr(GError) err = NULL;
    g_autoptr(VmConfig) cfg = domxml_parse(xml, strlen("<domain type='kvm'/>"), &err);

    g_assert_no_error(err);
    g_assert_cmpstr(cfg->domain_type, ==, "kvm");
}

/* XML cannot carry invalid UTF-8 (the parser refuses it), so a name that reaches the
 * screen from elsewhere (a future source, a corrupted state file) is covered here: what the
 * list command prints goes through textesc_escape. */
static void test_names_escaped_for_display(void)
{
    const char *xml = "<domain><name>x</name><devices><disk type='file' device='disk'>"
                      "<source file='/img/a&#x9B;b&#x202E;c&#9;d'/><target dev='vda'/>"
                      "</disk></devices></domain>";
    const char *invalid = "<domain><name>vm\xff</name></domain>";
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) err2 = NULL;
    g_autoptr(VmConfig) cfg = domxml_parse(xml, strlen(xml), &err);
    g_autofree char *shown = NULL;
    g_autofree char *bad_utf8 = textesc_escape("vm\xff\xfe-1");

    g_assert_no_error(err);
    /* The model keeps the raw value; a character reference survives attribute
     * normalisation as a real tab. */
    g_assert_cmpstr(disk_of(cfg, "vda")->source, ==, "/img/a\xc2\x9b" "b\xe2\x80\xae" "c\td");
    shown = textesc_escape(disk_of(cfg, "vda")->source);
    g_assert_cmpstr(shown, ==, "/img/a\\x9Bb\\u{202E}c\\td");
    g_assert_cmpstr(bad_utf8, ==, "vm\\xFF\\xFE-1");
    /* And the parser does refuse it, with one line. */
    g_assert_null(domxml_parse(invalid, strlen(invalid), &err2));
    g_assert_error(err2, SESSION_ERROR, SESSION_ERROR_XML);
    g_assert_null(strchr(err2->message, '\n'));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/domxml/libvirt-xml-gives-disks-iothreads-and-pins",
                    test_libvirt_xml_gives_disks_iothreads_pins);
    g_test_add_func("/domxml/iothread-ids-fill-lowest-unused", test_iothread_ids_fill_lowest_unused);
    g_test_add_func("/domxml/more-ids-than-count-raise-the-count",
                    test_more_ids_than_count_raise_the_count);
    g_test_add_func("/domxml/huge-iothread-count-is-bounded", test_huge_iothread_count_is_bounded);
    g_test_add_func("/domxml/iothreads-without-ids-are-1-to-n",
                    test_iothreads_without_ids_are_one_to_n);
    g_test_add_func("/domxml/disk-iothread-inherited-from-virtio-scsi-controller",
                    test_disk_iothread_inherited_from_virtio_scsi_controller);
    g_test_add_func("/domxml/cache-default-means-hypervisor-default",
                    test_cache_default_means_hypervisor_default);
    g_test_add_func("/domxml/vcpu-current-emulator-and-pins", test_vcpu_current_emulator_and_pins);
    g_test_add_func("/domxml/every-disk-shape-has-source-and-reason",
                    test_every_disk_shape_has_source_and_reason);
    g_test_add_func("/domxml/volume-and-cdrom-without-media-carry-reasons",
                    test_volume_and_cdrom_without_media_carry_reasons);
    g_test_add_func("/domxml/backing-chain-layers-counted", test_backing_chain_layers_counted);
    g_test_add_func("/domxml/missing-elements-are-left-empty", test_missing_elements_are_left_empty);
    g_test_add_func("/domxml/not-well-formed-is-an-error-with-line",
                    test_not_well_formed_is_an_error_with_line);
    g_test_add_func("/domxml/root-must-be-domain", test_root_must_be_domain);
    g_test_add_func("/domxml/doctype-is-refused", test_doctype_is_refused);
    g_test_add_func("/domxml/empty-and-null-input-are-errors", test_empty_and_null_input_are_errors);
    g_test_add_func("/domxml/parse-reads-only-len-bytes", test_parse_reads_only_len_bytes);
    g_test_add_func("/domxml/names-escaped-for-display", test_names_escaped_for_display);
    return g_test_run();
}
