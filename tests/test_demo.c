/* The demo host: a scratch directory with image files written with data and a test-driver
 * node file that libvirt itself opens. */
#include <glib.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/demo.h"

/* The sources of a domain's file disks, keyed by target dev. */
static GHashTable *domain_file_disks(virDomainPtr dom, unsigned *ndisks)
{
    GHashTable *files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    xmlDocPtr doc;
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr disks;

    g_assert_nonnull(xml);
    doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, XML_PARSE_NONET);
    g_assert_nonnull(doc);
    ctx = xmlXPathNewContext(doc);
    disks = xmlXPathEvalExpression((const xmlChar *)"/domain/devices/disk", ctx);
    g_assert_nonnull(disks);
    *ndisks = disks->nodesetval ? (unsigned)disks->nodesetval->nodeNr : 0;
    for (unsigned i = 0; i < *ndisks; i++) {
        xmlXPathObjectPtr src, tgt;

        ctx->node = disks->nodesetval->nodeTab[i];
        src = xmlXPathEvalExpression((const xmlChar *)"string(source/@file)", ctx);
        tgt = xmlXPathEvalExpression((const xmlChar *)"string(target/@dev)", ctx);
        if (src->stringval[0])
            g_hash_table_insert(files, g_strdup((const char *)tgt->stringval),
                                g_strdup((const char *)src->stringval));
        xmlXPathFreeObject(src);
        xmlXPathFreeObject(tgt);
    }
    xmlXPathFreeObject(disks);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return files;
}

static void assert_written_file(const char *path, const char *dir)
{
    struct stat st;

    g_assert_true(g_str_has_prefix(path, dir));
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    g_assert_cmpint(st.st_size, >=, 16 * 1024 * 1024);
    /* Not sparse: every byte has a block behind it. */
    g_assert_cmpint((gint64)st.st_blocks * 512, >=, (gint64)st.st_size);
}

static void test_creates_private_dir_and_uri(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(DemoHost) demo = demo_host_create(&err);
    g_autofree char *expect = NULL;
    struct stat st;

    g_assert_no_error(err);
    g_assert_nonnull(demo);
    g_assert_true(g_path_is_absolute(demo->dir));
    g_assert_cmpint(stat(demo->dir, &st), ==, 0);
    g_assert_true(S_ISDIR(st.st_mode));
    g_assert_cmpint(st.st_mode & 07777, ==, 0700);
    expect = g_strconcat("test://", demo->dir, "/node.xml", NULL);
    g_assert_cmpstr(demo->uri, ==, expect);
}

static void test_libvirt_opens_domains_states_disks(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(DemoHost) demo = demo_host_create(&err);
    virConnectPtr conn;
    static const struct { const char *name; int state; unsigned ndisks; } expect[] = {
        { "web1",    VIR_DOMAIN_RUNNING, 3 },
        { "db1",     VIR_DOMAIN_RUNNING, 3 },
        { "backup1", VIR_DOMAIN_SHUTOFF, 2 },
        { "mail1",   VIR_DOMAIN_RUNNING, 2 },
    };
    virDomainPtr *doms = NULL;
    int n;

    g_assert_no_error(err);
    conn = virConnectOpen(demo->uri);
    g_assert_nonnull(conn);
    n = virConnectListAllDomains(conn, &doms, 0);
    g_assert_cmpint(n, ==, (int)G_N_ELEMENTS(expect));
    for (int i = 0; i < n; i++)
        virDomainFree(doms[i]);
    free(doms);

    for (size_t i = 0; i < G_N_ELEMENTS(expect); i++) {
        virDomainPtr dom = virDomainLookupByName(conn, expect[i].name);
        g_autoptr(GHashTable) files = NULL;
        GHashTableIter it;
        gpointer path;
        unsigned ndisks = 0;
        int state = -1, reason = 0;

        g_assert_nonnull(dom);
        g_assert_cmpint(virDomainGetState(dom, &state, &reason, 0), ==, 0);
        g_assert_cmpint(state, ==, expect[i].state);
        files = domain_file_disks(dom, &ndisks);
        g_assert_cmpuint(ndisks, ==, expect[i].ndisks);
        g_assert_cmpuint(g_hash_table_size(files), >=, 1);
        g_hash_table_iter_init(&it, files);
        while (g_hash_table_iter_next(&it, NULL, &path))
            assert_written_file(path, demo->dir);
        virDomainFree(dom);
    }
    g_assert_cmpint(virConnectClose(conn), ==, 0);
}

static void test_iothreads_and_pins_are_defined(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(DemoHost) demo = demo_host_create(&err);
    virConnectPtr conn;
    virDomainPtr dom;
    virDomainIOThreadInfoPtr *info = NULL;
    int n;

    g_assert_no_error(err);
    conn = virConnectOpen(demo->uri);
    g_assert_nonnull(conn);
    dom = virDomainLookupByName(conn, "web1");
    g_assert_nonnull(dom);
    n = virDomainGetIOThreadInfo(dom, &info, 0);
    g_assert_cmpint(n, ==, 2);
    for (int i = 0; i < n; i++)
        virDomainIOThreadInfoFree(info[i]);
    free(info);
    virDomainFree(dom);
    g_assert_cmpint(virConnectClose(conn), ==, 0);
}

static void test_free_removes_everything(void)
{
    g_autoptr(GError) err = NULL;
    struct demo_host *demo = demo_host_create(&err);
    g_autofree char *dir = NULL;

    g_assert_no_error(err);
    dir = g_strdup(demo->dir);
    g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
    demo_host_free(demo);
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

static void test_two_demos_do_not_share_a_dir(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(DemoHost) a = demo_host_create(&err);
    g_autoptr(DemoHost) b = NULL;

    g_assert_no_error(err);
    b = demo_host_create(&err);
    g_assert_no_error(err);
    g_assert_cmpstr(a->dir, !=, b->dir);
}

/* $TMPDIR may hold a space, '&' or a quote: the node file is XML and the URI a URI. */
static void test_odd_tmpdir_still_opens(void)
{
    if (g_test_subprocess()) {
        char base[] = "/tmp/vdt demo &'-XXXXXX";
        g_autoptr(GError) err = NULL;
        struct demo_host *demo;
        virConnectPtr conn;

        g_assert_nonnull(mkdtemp(base));
        /* Set before anything asks GLib for the temporary directory (it caches it). */
        g_setenv("TMPDIR", base, TRUE);
        demo = demo_host_create(&err);
        g_assert_no_error(err);
        g_assert_true(g_str_has_prefix(demo->dir, base));
        conn = virConnectOpen(demo->uri);
        g_assert_nonnull(conn);
        g_assert_cmpint(virConnectNumOfDomains(conn), ==, 3);
        g_assert_cmpint(virConnectNumOfDefinedDomains(conn), ==, 1);
        g_assert_cmpint(virConnectClose(conn), ==, 0);
        demo_host_free(demo);
        g_assert_cmpint(rmdir(base), ==, 0);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

static void test_node_file_names_the_scratch_dir(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(DemoHost) demo = demo_host_create(&err);
    g_autofree char *path = NULL;
    g_autofree char *xml = NULL;

    g_assert_no_error(err);
    path = g_build_filename(demo->dir, "node.xml", NULL);
    g_assert_true(g_file_get_contents(path, &xml, NULL, &err));
    g_assert_no_error(err);
    g_assert_null(strstr(xml, "@DEMODIR@"));
    g_assert_nonnull(strstr(xml, demo->dir));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/demo/creates-private-dir-and-test-uri", test_creates_private_dir_and_uri);
    g_test_add_func("/demo/libvirt-opens-domains-states-and-disks",
                    test_libvirt_opens_domains_states_disks);
    g_test_add_func("/demo/iothreads-are-defined", test_iothreads_and_pins_are_defined);
    g_test_add_func("/demo/free-removes-everything", test_free_removes_everything);
    g_test_add_func("/demo/two-demos-do-not-share-a-dir", test_two_demos_do_not_share_a_dir);
    g_test_add_func("/demo/node-file-names-the-scratch-dir", test_node_file_names_the_scratch_dir);
    g_test_add_func("/demo/odd-tmpdir-still-opens", test_odd_tmpdir_still_opens);
    return g_test_run();
}
