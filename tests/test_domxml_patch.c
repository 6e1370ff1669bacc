/* core/domxml_patch.c on every disk shape under tests/data/domxml/: each edit changes the
 * named attributes and elements and nothing else. The check is a structural diff of the
 * documents before and after (elements, attributes, text, comments; blanks aside), which
 * must list exactly the intended differences. */
#include <string.h>
#include <glib.h>
#include <libxml/parser.h>
#include "core/domxml.h"
#include "core/domxml_patch.h"
#include "core/session.h"
#include "core/xml.h"

static char *fixture(const char *name, gsize *len)
{
    g_autofree char *path = g_build_filename(g_getenv("VDT_TESTDATA"), "domxml", name, NULL);
    g_autoptr(GError) err = NULL;
    char *xml = NULL;

    if (!g_file_get_contents(path, &xml, len, &err))
        g_error("fixture %s: %s", path, err->message);
    return xml;
}

static bool blank(xmlNodePtr n)
{
    return n->type == XML_TEXT_NODE && xmlIsBlankNode(n);
}

static char *node_path(const char *parent, xmlNodePtr n, unsigned nth)
{
    return g_strdup_printf("%s/%s[%u]", parent, (const char *)n->name, nth);
}

static void diff_attrs(const char *path, xmlNodePtr a, xmlNodePtr b, GPtrArray *out)
{
    for (xmlAttrPtr p = a->properties; p; p = p->next) {
        xmlChar *va = xmlGetNoNsProp(a, p->name), *vb = xmlGetNoNsProp(b, p->name);

        if (!vb)
            g_ptr_array_add(out, g_strdup_printf("%s/@%s removed", path, p->name));
        else if (strcmp((const char *)va, (const char *)vb) != 0)
            g_ptr_array_add(out, g_strdup_printf("%s/@%s %s -> %s", path, p->name, va, vb));
        xmlFree(va);
        xmlFree(vb);
    }
    for (xmlAttrPtr p = b->properties; p; p = p->next)
        if (!xmlHasProp(a, p->name)) {
            xmlChar *vb = xmlGetNoNsProp(b, p->name);
            g_ptr_array_add(out, g_strdup_printf("%s/@%s added %s", path, p->name, vb));
            xmlFree(vb);
        }
}

static unsigned nth_of(xmlNodePtr n)
{
    unsigned k = 1;

    for (xmlNodePtr p = n->prev; p; p = p->prev)
        if (p->type == n->type && xmlStrEqual(p->name, n->name))
            k++;
    return k;
}

static bool same_node(xmlNodePtr a, xmlNodePtr b)
{
    return a->type == b->type && xmlStrEqual(a->name, b->name);
}

static GPtrArray *kept_children(xmlNodePtr n)
{
    GPtrArray *out = g_ptr_array_new();

    for (xmlNodePtr c = n->children; c; c = c->next)
        if (!blank(c))
            g_ptr_array_add(out, c);
    return out;
}

/* Children aligned by a longest common subsequence of their names; a child only on one
 * side is "added" or "removed" whole. */
static void diff_nodes(const char *path, xmlNodePtr a, xmlNodePtr b, GPtrArray *out)
{
    g_autoptr(GPtrArray) xs = kept_children(a);
    g_autoptr(GPtrArray) ys = kept_children(b);
    guint n = xs->len, m = ys->len, i = 0, j = 0;
    g_autofree guint *lcs = g_new0(guint, (n + 1) * (m + 1));
#define L(i, j) lcs[(i) * (m + 1) + (j)]

    diff_attrs(path, a, b, out);
    if ((a->type == XML_TEXT_NODE || a->type == XML_COMMENT_NODE) &&
        g_strcmp0((const char *)a->content, (const char *)b->content) != 0)
        g_ptr_array_add(out, g_strdup_printf("%s text '%s' -> '%s'", path, a->content, b->content));
    for (guint x = n; x-- > 0;)
        for (guint y = m; y-- > 0;)
            L(x, y) = same_node(xs->pdata[x], ys->pdata[y]) ? L(x + 1, y + 1) + 1
                                                            : MAX(L(x + 1, y), L(x, y + 1));
    while (i < n || j < m) {
        if (i < n && j < m && same_node(xs->pdata[i], ys->pdata[j]) &&
            L(i, j) == L(i + 1, j + 1) + 1) {
            g_autofree char *p = node_path(path, xs->pdata[i], nth_of(xs->pdata[i]));
            diff_nodes(p, xs->pdata[i++], ys->pdata[j++], out);
        } else if (j < m && (i == n || L(i, j + 1) >= L(i + 1, j))) {
            g_autofree char *p = node_path(path, ys->pdata[j], nth_of(ys->pdata[j]));
            g_ptr_array_add(out, g_strdup_printf("%s added", p));
            j++;
        } else {
            g_autofree char *p = node_path(path, xs->pdata[i], nth_of(xs->pdata[i]));
            g_ptr_array_add(out, g_strdup_printf("%s removed", p));
            i++;
        }
    }
#undef L
}

static char *differences(const char *before, gsize blen, const char *after)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(XmlDoc) a = xml_read_domain(before, blen, &err);
    g_autoptr(XmlDoc) b = NULL;
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

    g_assert_no_error(err);
    b = xml_read_domain(after, strlen(after), &err);
    g_assert_no_error(err);
    diff_nodes("/domain[1]", xmlDocGetRootElement(a), xmlDocGetRootElement(b), out);
    g_ptr_array_add(out, NULL);
    return g_strjoinv("\n", (char **)out->pdata);
}

static struct patch_disk *disk_edit(const char *target, const char *cache, const char *io,
                                    int iothread)
{
    struct patch_disk *d = g_new0(struct patch_disk, 1);

    d->target = g_strdup(target);
    d->cache = g_strdup(cache);
    d->io = g_strdup(io);
    d->iothread = iothread;
    return d;
}

static char *patched(const char *xml, gsize len, struct domxml_edits *e)
{
    g_autoptr(GError) err = NULL;
    char *out = domxml_patch(xml, len, e, &err);

    g_assert_no_error(err);
    g_assert_nonnull(out);
    g_assert_false(g_str_has_prefix(out, "<?xml"));   /* libvirt writes no declaration */
    return out;
}

/* Every disk of every fixture, one at a time: cache and io changed on its <driver>, which
 * is the only difference (made when the disk had none). */
static void test_every_disk_shape_changes_only_its_driver(void)
{
    static const char *const fixtures[] = {
        "every-disk-shape.xml", "iothreads-controller.xml", "backing-chain.xml",
        "web1-inactive.xml", "missing-and-unexpected.xml",
    };
    unsigned checked = 0;

    for (size_t f = 0; f < G_N_ELEMENTS(fixtures); f++) {
        gsize len = 0;
        g_autofree char *xml = fixture(fixtures[f], &len);
        g_autoptr(VmConfig) cfg = domxml_parse(xml, len, NULL);

        g_assert_nonnull(cfg);
        for (guint i = 0; i < cfg->disks->len; i++) {
            const struct vm_disk *disk = g_ptr_array_index(cfg->disks, i);
            g_autoptr(DomxmlEdits) e = domxml_edits_new();
            g_autofree char *out = NULL, *diff = NULL;
            g_auto(GStrv) lines = NULL;

            if (!disk->target)
                continue;
            g_ptr_array_add(e->disks, disk_edit(disk->target, "directsync", "native", -1));
            out = patched(xml, len, e);
            diff = differences(xml, len, out);
            lines = g_strsplit(diff, "\n", -1);
            g_test_message("%s %s:\n%s", fixtures[f], disk->target, diff);
            if (strstr(diff, "/driver[1] added")) {
                g_assert_cmpuint(g_strv_length(lines), ==, 1);
                g_assert_true(g_regex_match_simple("^/domain\\[1\\]/devices\\[1\\]/disk\\[[0-9]+\\]"
                                                   "/driver\\[1\\] added$", lines[0], 0, 0));
            } else {
                for (char **l = lines; *l; l++)
                    g_assert_true(g_regex_match_simple(
                        "^/domain\\[1\\]/devices\\[1\\]/disk\\[[0-9]+\\]/driver\\[1\\]/@(cache|io) "
                        "(added (directsync|native)|[a-z_]+ -> (directsync|native))$", *l, 0, 0));
                g_assert_cmpuint(g_strv_length(lines), >=, 1);
            }
            /* The model reads back what was written, for this disk alone. */
            g_autoptr(VmConfig) after = domxml_parse(out, strlen(out), NULL);
            const struct vm_disk *d2 = vm_config_find_disk(after, disk->target);
            g_assert_cmpstr(d2->cache, ==, "directsync");
            g_assert_cmpstr(d2->io, ==, "native");
            checked++;
        }
    }
    g_assert_cmpuint(checked, >=, 25);
}

static void test_default_removes_the_attribute(void)
{
    gsize len = 0;
    g_autofree char *xml = fixture("web1-inactive.xml", &len);
    g_autoptr(VmConfig) cfg = domxml_parse(xml, len, NULL);
    const struct vm_disk *vda = vm_config_find_disk(cfg, "vda");
    g_autoptr(DomxmlEdits) e = domxml_edits_new();
    g_autofree char *out = NULL, *diff = NULL;

    g_assert_nonnull(vda->cache);
    g_ptr_array_add(e->disks, disk_edit("vda", "default", NULL, -1));
    out = patched(xml, len, e);
    diff = differences(xml, len, out);
    g_assert_true(g_regex_match_simple("^/domain\\[1\\]/devices\\[1\\]/disk\\[[0-9]+\\]/driver\\[1\\]"
                                       "/@cache removed$", diff, 0, 0));
}

/* A scsi disk's iothread lives on its virtio-scsi controller: the controller changes, the
 * disk does not. */
static void test_scsi_iothread_goes_to_the_controller(void)
{
    gsize len = 0;
    g_autofree char *xml = fixture("iothreads-controller.xml", &len);
    g_autoptr(VmConfig) cfg = domxml_parse(xml, len, NULL);
    const struct vm_disk *scsi = NULL;

    for (guint i = 0; i < cfg->disks->len && !scsi; i++) {
        const struct vm_disk *d = g_ptr_array_index(cfg->disks, i);
        if (d->iothread_from_controller)
            scsi = d;
    }
    g_assert_nonnull(scsi);
    g_autoptr(DomxmlEdits) e = domxml_edits_new();
    g_ptr_array_add(e->disks, disk_edit(scsi->target, NULL, NULL, 2));
    g_autofree char *out = patched(xml, len, e);
    g_autofree char *diff = differences(xml, len, out);
    g_test_message("%s", diff);
    g_assert_true(g_regex_match_simple("^/domain\\[1\\]/devices\\[1\\]/controller\\[[0-9]+\\]/driver\\[1\\]"
                                       "/@iothread [0-9]+ -> 2$", diff, 0, 0));
    g_autoptr(VmConfig) after = domxml_parse(out, strlen(out), NULL);
    g_assert_cmpint(vm_config_find_disk(after, scsi->target)->iothread, ==, 2);
}

static const char shutoff_xml[] =
    "<domain type='kvm'>\n"
    "  <name>d</name>\n"
    "  <vcpu placement='static'>2</vcpu>\n"
    "  <!-- kept -->\n"
    "  <os>\n"
    "    <type arch='x86_64'>hvm</type>\n"
    "  </os>\n"
    "  <devices>\n"
    "    <disk type='file' device='disk'>\n"
    "      <source file='/i.img'/>\n"
    "      <target dev='vda' bus='virtio'/>\n"
    "    </disk>\n"
    "  </devices>\n"
    "</domain>\n";

/* iothreads, ids and pins made where there were none, indented like their neighbours,
 * and removed again leaving the document as it was. */
static void test_iothreads_and_pins_added_then_removed(void)
{
    g_autoptr(DomxmlEdits) e = domxml_edits_new();
    g_autoptr(DomxmlEdits) back = domxml_edits_new();
    struct patch_pin *pin = g_new0(struct patch_pin, 1);
    struct patch_pin *unpin = g_new0(struct patch_pin, 1);
    g_autofree char *out = NULL, *diff = NULL, *again = NULL, *c1 = NULL, *c2 = NULL;

    e->iothreads = 2;
    pin->iothread = 2;
    pin->cpuset = g_strdup("0-1");
    g_ptr_array_add(e->pins, pin);
    g_ptr_array_add(e->disks, disk_edit("vda", NULL, NULL, 2));
    out = patched(shutoff_xml, strlen(shutoff_xml), e);
    g_test_message("%s", out);
    diff = differences(shutoff_xml, strlen(shutoff_xml), out);
    g_assert_cmpstr(diff, ==,
                    "/domain[1]/iothreads[1] added\n"
                    "/domain[1]/cputune[1] added\n"
                    "/domain[1]/devices[1]/disk[1]/driver[1] added");
    g_assert_nonnull(strstr(out, "  <vcpu placement=\"static\">2</vcpu>\n  <iothreads>2</iothreads>\n"
                                 "  <cputune>\n    <iothreadpin iothread=\"2\" cpuset=\"0-1\"/>\n"
                                 "  </cputune>\n"));
    g_assert_nonnull(strstr(out, "    <disk type=\"file\" device=\"disk\">\n"
                                 "      <driver name=\"qemu\" iothread=\"2\"/>\n"));

    back->iothreads = 0;
    unpin->iothread = 2;
    g_ptr_array_add(back->pins, unpin);
    g_ptr_array_add(back->disks, disk_edit("vda", NULL, NULL, 0));
    again = patched(out, strlen(out), back);
    diff = (g_free(diff), differences(shutoff_xml, strlen(shutoff_xml), again));
    /* Only the (now empty) driver element the first edit made is left. */
    g_assert_cmpstr(diff, ==, "/domain[1]/devices[1]/disk[1]/driver[1] added");
    c1 = domxml_canonical(shutoff_xml, strlen(shutoff_xml), NULL);
    c2 = domxml_canonical(again, strlen(again), NULL);
    g_assert_nonnull(c1);
    g_assert_cmpstr(c1, !=, c2);
}

/* <iothreadids> present: ids are added to and removed from it, with the removed ids' pins. */
static void test_iothreadids_edited_in_place(void)
{
    gsize len = 0;
    g_autofree char *xml = fixture("web1-inactive.xml", &len);
    g_autoptr(VmConfig) cfg = domxml_parse(xml, len, NULL);
    g_autoptr(DomxmlEdits) e = domxml_edits_new();
    unsigned add = 77;
    g_autofree char *out = NULL, *diff = NULL;

    g_assert_cmpuint(cfg->niothreads, >, 0);
    e->iothreads = (int)cfg->niothreads + 1;
    g_array_append_val(e->add_ids, add);
    out = patched(xml, len, e);
    diff = differences(xml, len, out);
    g_test_message("%s", diff);
    g_autoptr(VmConfig) after = domxml_parse(out, strlen(out), NULL);
    g_assert_cmpuint(after->niothreads, ==, cfg->niothreads + 1);
    gboolean found = FALSE;
    for (guint i = 0; i < after->iothread_ids->len; i++)
        found |= g_array_index(after->iothread_ids, unsigned, i) == add;
    g_assert_true(found);
}

static void test_unknown_disk_is_an_error(void)
{
    g_autoptr(DomxmlEdits) e = domxml_edits_new();
    g_autoptr(GError) err = NULL;

    g_ptr_array_add(e->disks, disk_edit("vdz", "none", NULL, -1));
    g_assert_null(domxml_patch(shutoff_xml, strlen(shutoff_xml), e, &err));
    g_assert_error(err, DOMXML_PATCH_ERROR, DOMXML_PATCH_ERROR_NO_DISK);
    g_assert_nonnull(strstr(err->message, "vdz"));
}

/* QEMU gives only virtio-blk and virtio-scsi an iothread: a sata disk's is refused. */
static void test_iothread_on_sata_is_refused(void)
{
    gsize len = 0;
    g_autofree char *xml = fixture("every-disk-shape.xml", &len);
    g_autoptr(DomxmlEdits) e = domxml_edits_new();
    g_autoptr(GError) err = NULL;

    g_ptr_array_add(e->disks, disk_edit("sda", NULL, NULL, 1));
    g_assert_null(domxml_patch(xml, len, e, &err));
    g_assert_error(err, DOMXML_PATCH_ERROR, DOMXML_PATCH_ERROR_REFUSED);
    g_assert_cmpstr(err->message, ==, "disk 'sda': bus sata cannot use an iothread (only "
                                      "virtio disks and disks on a virtio-scsi controller can)");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/domxml-patch/every-disk-shape-changes-only-its-driver",
                    test_every_disk_shape_changes_only_its_driver);
    g_test_add_func("/domxml-patch/default-removes-the-attribute", test_default_removes_the_attribute);
    g_test_add_func("/domxml-patch/scsi-iothread-goes-to-the-controller",
                    test_scsi_iothread_goes_to_the_controller);
    g_test_add_func("/domxml-patch/iothreads-and-pins-added-then-removed",
                    test_iothreads_and_pins_added_then_removed);
    g_test_add_func("/domxml-patch/iothreadids-edited-in-place", test_iothreadids_edited_in_place);
    g_test_add_func("/domxml-patch/unknown-disk-is-an-error", test_unknown_disk_is_an_error);
    g_test_add_func("/domxml-patch/iothread-on-sata-is-refused", test_iothread_on_sata_is_refused);
    return g_test_run();
}
