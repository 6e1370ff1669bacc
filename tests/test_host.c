/* core/session.c, core/host.c, core/model_json.c and `virt-disktune list` against
 * libvirt's test driver: tests/data/nodes/host.xml, and node files written at run time
 * (a symlink loop, 1000 domains). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include "core/backing.h"
#include "core/host.h"
#include "core/host_priv.h"
#include "core/model_json.h"
#include "core/session.h"
#include "core/session_priv.h"
#include "tests/testutil.h"

static char *node_uri(const char *node_file)
{
    return g_strdup_printf("test://%s", node_file);
}

static char *fixture_uri(void)
{
    g_autofree char *path = g_build_filename(g_getenv("VDT_TESTDATA"), "nodes", "host.xml", NULL);

    return node_uri(path);
}

static struct session *open_ok(const char *uri)
{
    g_autoptr(GError) err = NULL;
    struct session *s = session_open(uri, &err);

    g_assert_no_error(err);
    g_assert_nonnull(s);
    return s;
}

static struct host_model *load_ok(struct session *s)
{
    struct host_load_opts opts = { .resolve_backing = true };
    g_autoptr(GError) err = NULL;
    struct host_model *host = host_load(s, &opts, &err);

    g_assert_no_error(err);
    g_assert_nonnull(host);
    return host;
}

static const struct vm_domain *domain_of(const struct host_model *host, const char *name)
{
    const struct vm_domain *dom = host_model_find_domain(host, name);

    if (!dom)
        g_error("no domain %s", name);
    return dom;
}

static const char escaped_name[] = "tab\tcr\rcsi\xc2\x9b" "bidi\xe2\x80\xae" "end";

static void test_lists_every_domain_sorted(void)
{
    g_autofree char *uri = fixture_uri();
    g_autoptr(Session) s = open_ok(uri);
    g_autoptr(HostModel) host = load_ok(s);
    static const char *const names[] = { "bare", "db1", "shapes", escaped_name, "transient1",
                                         "web1" };

    g_assert_cmpstr(host->uri, ==, uri);
    g_assert_false(host->read_only);
    g_assert_nonnull(host->hostname);
    g_assert_cmpuint(host->lib_version, >=, 9000000);
    g_assert_cmpuint(host->domains->len, ==, G_N_ELEMENTS(names));
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        const struct vm_domain *dom = g_ptr_array_index(host->domains, i);

        g_assert_cmpstr(dom->name, ==, names[i]);
        g_assert_null(dom->error);
        g_assert_cmpuint(strlen(dom->uuid), ==, 36);
    }
}

static void test_state_persistence_and_configs(void)
{
    g_autofree char *uri = fixture_uri();
    g_autoptr(Session) s = open_ok(uri);
    g_autoptr(HostModel) host = load_ok(s);
    const struct vm_domain *db1 = domain_of(host, "db1");
    const struct vm_domain *tr = domain_of(host, "transient1");
    const struct vm_domain *web1 = domain_of(host, "web1");
    const struct vm_config *cfg = vm_domain_config(web1);

    g_assert_cmpint(db1->state, ==, VM_STATE_SHUTOFF);
    g_assert_false(db1->active);
    g_assert_true(db1->persistent);
    g_assert_null(db1->live);
    g_assert_nonnull(db1->inactive);
    g_assert_true(vm_domain_config(db1) == db1->inactive);
    g_assert_cmpint(vm_config_find_disk(db1->inactive, "vda")->backing_chain_len, ==, 2);

    g_assert_cmpint(tr->state, ==, VM_STATE_RUNNING);
    g_assert_false(tr->persistent);
    g_assert_null(tr->inactive);
    g_assert_nonnull(tr->live);

    g_assert_true(web1->active);
    g_assert_cmpuint(web1->vcpus, ==, 2);
    g_assert_true(cfg == web1->live);
    g_assert_nonnull(web1->inactive);
    g_assert_cmpuint(cfg->niothreads, ==, 4);
    g_assert_cmpuint(g_array_index(cfg->iothread_ids, unsigned, 0), ==, 5);
    g_assert_cmpuint(g_array_index(cfg->iothread_ids, unsigned, 3), ==, 2);
    g_assert_cmpstr(cfg->emulatorpin, ==, "0-1");
    g_assert_cmpint(vm_config_find_disk(cfg, "sda")->iothread, ==, 6);
    g_assert_true(vm_config_find_disk(cfg, "sda")->iothread_from_controller);
    g_assert_cmpstr(vm_state_name(VM_STATE_PMSUSPENDED), ==, "pmsuspended");
    g_assert_cmpstr(vm_state_name(VM_STATE_COUNT), ==, "nostate");
}

/* Names and states in two calls, for the console's first paint: the same domains and
 * states as the full load, each marked listed_only, nothing described yet. */
static void test_names_first_match_the_full_load(void)
{
    g_autofree char *uri = fixture_uri();
    g_autoptr(Session) s = open_ok(uri);
    g_autoptr(HostModel) host = load_ok(s);
    g_autoptr(GError) err = NULL;
    g_autoptr(HostModel) names = host_load_names(s, &err);

    g_assert_no_error(err);
    g_assert_nonnull(names);
    g_assert_true(names->listed_only);
    g_assert_false(host->listed_only);
    g_assert_cmpuint(names->domains->len, ==, host->domains->len);
    for (guint i = 0; i < host->domains->len; i++) {
        const struct vm_domain *a = g_ptr_array_index(host->domains, i);
        const struct vm_domain *b = g_ptr_array_index(names->domains, i);

        g_assert_cmpstr(a->name, ==, b->name);
        g_assert_cmpstr(a->uuid, ==, b->uuid);
        g_assert_cmpint(a->state, ==, b->state);
        g_assert_cmpint(a->active, ==, b->active);
        g_assert_true(b->listed_only);
        g_assert_false(a->listed_only);
        g_assert_null(b->live);
        g_assert_null(b->inactive);
    }
}

static void test_missing_source_keeps_disk_benchable_with_reason(void)
{
    g_autofree char *uri = fixture_uri();
    g_autoptr(Session) s = open_ok(uri);
    g_autoptr(HostModel) host = load_ok(s);
    const struct vm_config *cfg = vm_domain_config(domain_of(host, "web1"));
    const struct vm_disk *vda = vm_config_find_disk(cfg, "vda");
    const struct vm_disk *vdb = vm_config_find_disk(cfg, "vdb");
    const struct vm_disk *vdc = vm_config_find_disk(cfg, "vdc");

    g_assert_true(vda->benchable);
    g_assert_null(vda->backing);
    g_assert_nonnull(strstr(vda->reason, "/nonexistent/web1-root.img"));
    g_assert_nonnull(strstr(vda->reason, g_strerror(ENOENT)));
    /* /dev/null is a character device. */
    g_assert_true(vdb->benchable);
    g_assert_null(vdb->backing);
    g_assert_nonnull(vdb->reason);
    g_assert_false(vdc->benchable);
    g_assert_cmpstr(vdc->reason, ==, "network disk (rbd): not a local device");
}

static char *one_domain_node(const char *name, const char *disks_xml)
{
    return g_strdup_printf(
        "<node><domain type='test'><name>%s</name><memory unit='MiB'>64</memory>"
        "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>%s</devices>"
        "</domain></node>\n", name, disks_xml);
}

static void test_symlink_loop_and_real_file(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("vdt-host-XXXXXX", &err);
    g_autofree char *loop_a = g_build_filename(dir, "loop-a", NULL);
    g_autofree char *loop_b = g_build_filename(dir, "loop-b", NULL);
    g_autofree char *image = g_build_filename(dir, "image.raw", NULL);
    g_autofree char *node = g_build_filename(dir, "node.xml", NULL);
    g_autofree char *disks = NULL, *xml = NULL, *uri = NULL;
    g_autoptr(Session) s = NULL;
    g_autoptr(HostModel) host = NULL;
    const struct vm_config *cfg;
    const struct vm_disk *loop, *real;

    g_assert_no_error(err);
    g_assert_cmpint(symlink(loop_b, loop_a), ==, 0);
    g_assert_cmpint(symlink(loop_a, loop_b), ==, 0);
    testutil_write_data(image, 1 << 20);
    disks = g_strdup_printf(
        "<disk type='file' device='disk'><source file='%s'/><target dev='vda' bus='virtio'/>"
        "</disk><disk type='file' device='disk'><source file='%s'/>"
        "<target dev='vdb' bus='virtio'/></disk>", loop_a, image);
    xml = one_domain_node("looper", disks);
    g_assert_true(g_file_set_contents(node, xml, -1, &err));
    uri = node_uri(node);
    s = open_ok(uri);
    host = load_ok(s);
    cfg = vm_domain_config(domain_of(host, "looper"));
    loop = vm_config_find_disk(cfg, "vda");
    real = vm_config_find_disk(cfg, "vdb");
    g_assert_true(loop->benchable);
    g_assert_null(loop->backing);
    g_assert_nonnull(strstr(loop->reason, g_strerror(ELOOP)));
    g_assert_null(strchr(loop->reason, '\n'));
    g_assert_nonnull(real->backing);
    g_assert_null(real->reason);
    g_assert_cmpint(real->backing->kind, ==, BACKING_FILE);
    g_assert_cmpuint(real->backing->size, ==, 1 << 20);
    g_unlink(loop_a);
    g_unlink(loop_b);
    g_unlink(image);
    g_unlink(node);
    g_rmdir(dir);
}

static void test_thousand_domains_listed_and_sorted(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("vdt-host-XXXXXX", &err);
    g_autofree char *node = g_build_filename(dir, "node.xml", NULL);
    g_autofree char *uri = NULL;
    g_autoptr(GString) xml = g_string_new("<node>\n");
    g_autoptr(Session) s = NULL;
    g_autoptr(HostModel) host = NULL;

    g_assert_no_error(err);
    /* Written in reverse so the sort is what puts them in order. */
    for (int i = 999; i >= 0; i--)
        g_string_append_printf(xml,
            "<domain type='test'><name>vm%04d</name><memory unit='MiB'>64</memory>"
            "<vcpu>1</vcpu><iothreads>1</iothreads><os><type arch='x86_64'>hvm</type></os>"
            "<devices><disk type='file' device='disk'><driver name='qemu' type='raw'"
            " cache='none' io='native' iothread='1'/><source file='/nonexistent/vm%04d.img'/>"
            "<target dev='vda' bus='virtio'/></disk></devices></domain>\n", i, i);
    g_string_append(xml, "</node>\n");
    g_assert_true(g_file_set_contents(node, xml->str, (gssize)xml->len, &err));
    uri = node_uri(node);
    s = open_ok(uri);
    host = load_ok(s);
    g_assert_cmpuint(host->domains->len, ==, 1000);
    for (guint i = 0; i < host->domains->len; i++) {
        const struct vm_domain *dom = g_ptr_array_index(host->domains, i);
        g_autofree char *want = g_strdup_printf("vm%04u", i);

        g_assert_cmpstr(dom->name, ==, want);
        g_assert_cmpuint(vm_domain_config(dom)->disks->len, ==, 1);
    }
    g_unlink(node);
    g_rmdir(dir);
}

static virDomainPtr listed_domain(virDomainPtr *doms, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(virDomainGetName(doms[i]), name) == 0)
            return doms[i];
    g_error("domain %s not listed", name);
    return NULL;
}

static void test_vanished_domain_keeps_name_with_error(void)
{
    g_autofree char *uri = fixture_uri();
    g_autoptr(Session) s = open_ok(uri);
    g_autoptr(VmDomain) gone = NULL;
    g_autoptr(VmDomain) still = NULL;
    g_autoptr(GError) err = NULL;
    virDomainPtr *doms = NULL;
    bool vanished = false;
    int n = virConnectListAllDomains(s->conn, &doms, 0);

    g_assert_cmpint(n, ==, 6);
    /* Between the list and the describe, db1 (shut off) is undefined. */
    g_assert_cmpint(virDomainUndefine(listed_domain(doms, n, "db1")), ==, 0);
    gone = host_describe_domain(s, listed_domain(doms, n, "db1"), NULL, &vanished, &err);
    g_assert_no_error(err);
    g_assert_nonnull(gone);
    g_assert_true(vanished);
    g_assert_cmpstr(gone->name, ==, "db1");
    g_assert_nonnull(strstr(gone->error, "domain 'db1' vanished"));
    g_assert_null(strchr(gone->error, '\n'));
    g_assert_null(gone->inactive);
    still = host_describe_domain(s, listed_domain(doms, n, "web1"), NULL, &vanished, &err);
    g_assert_no_error(err);
    g_assert_false(vanished);
    g_assert_null(still->error);
    for (int i = 0; i < n; i++)
        virDomainFree(doms[i]);
    free(doms);
}

static void test_load_domain_by_name_and_unknown_name(void)
{
    g_autofree char *uri = fixture_uri();
    g_autoptr(Session) s = open_ok(uri);
    g_autoptr(GError) err = NULL;
    g_autoptr(VmDomain) web1 = host_load_domain(s, "web1", NULL, &err);
    g_autoptr(VmDomain) none = NULL;

    g_assert_no_error(err);
    g_assert_cmpstr(web1->name, ==, "web1");
    g_assert_nonnull(web1->live);
    none = host_load_domain(s, "no-such-domain", NULL, &err);
    g_assert_null(none);
    g_assert_error(err, SESSION_ERROR, SESSION_ERROR_NO_DOMAIN);
    g_assert_cmpstr(err->message, ==, "domain 'no-such-domain': not found");
}

static void test_unreachable_uri_is_one_line_error(void)
{
    const char *uri = "qemu+unix:///system?socket=/nonexistent/vdt-test.sock";
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) err2 = NULL;
    g_autoptr(Session) s = session_open(uri, &err);
    g_autoptr(Session) s2 = NULL;

    g_assert_null(s);
    g_assert_error(err, SESSION_ERROR, SESSION_ERROR_CONNECT);
    g_assert_true(g_str_has_prefix(err->message, uri));
    g_assert_nonnull(strstr(err->message, "No such file or directory"));
    g_assert_null(strchr(err->message, '\n'));
    s2 = session_open("test:///nonexistent/node.xml", &err2);
    g_assert_null(s2);
    g_assert_error(err2, SESSION_ERROR, SESSION_ERROR_CONNECT);
    g_assert_true(g_str_has_prefix(err2->message, "test:///nonexistent/node.xml: "));
}

static void test_permission_errors_fall_back_to_read_only(void)
{
    struct {
        int code, int1;
        bool permission;
    } cases[] = {
        { VIR_ERR_AUTH_FAILED, 0, true },
        { VIR_ERR_AUTH_CANCELLED, 0, true },
        { VIR_ERR_AUTH_UNAVAILABLE, 0, true },
        { VIR_ERR_ACCESS_DENIED, 0, true },
        { VIR_ERR_OPERATION_DENIED, 0, true },
        { VIR_ERR_SYSTEM_ERROR, EACCES, true },
        { VIR_ERR_SYSTEM_ERROR, ENOENT, false },
        { VIR_ERR_SYSTEM_ERROR, ECONNREFUSED, false },
        { VIR_ERR_NO_CONNECT, 0, false },
        { VIR_ERR_INTERNAL_ERROR, 0, false },
    };

    g_assert_false(session_error_is_permission(NULL));
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        virError e = { .code = cases[i].code, .int1 = cases[i].int1,
                       .message = (char *)"Failed to connect socket" };

        g_assert_cmpint(session_error_is_permission(&e), ==, cases[i].permission);
    }
}

static void test_default_uri_comes_from_environment(void)
{
    g_autoptr(Session) s = NULL;

    g_setenv("LIBVIRT_DEFAULT_URI", "test:///default", TRUE);
    s = open_ok(NULL);
    g_unsetenv("LIBVIRT_DEFAULT_URI");
    g_assert_cmpstr(s->uri, ==, "test:///default");
    g_assert_false(s->read_only);
    g_assert_null(s->fallback_reason);
}

static void test_qemu_version_with_and_without_connection(void)
{
    g_autofree char *qemu = g_find_program_in_path("qemu-system-x86_64");
    g_autoptr(Session) s = open_ok("test:///default");
    unsigned long without = session_qemu_version(NULL);

    if (qemu) {
        /* Debian 12 ships 7.2; anything from 2.0 on is a plausible parse. */
        g_assert_cmpuint(without, >=, 2000000);
        g_assert_cmpuint(without, <, 100000000);
    } else {
        g_assert_cmpuint(without, ==, 0);
    }
    /* The test driver is not QEMU: the binary answers. */
    g_assert_cmpuint(session_qemu_version(s), ==, without);
}

static json_object *key(json_object *o, const char *name)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, name, &v))
        g_error("no key %s", name);
    return v;
}

static json_object *json_domain(json_object *root, const char *name)
{
    json_object *domains = key(root, "domains");

    for (size_t i = 0; i < json_object_array_length(domains); i++) {
        json_object *d = json_object_array_get_idx(domains, i);

        if (strcmp(json_object_get_string(key(d, "name")), name) == 0)
            return d;
    }
    g_error("no domain %s in JSON", name);
    return NULL;
}

static json_object *json_disk(json_object *config, const char *target)
{
    json_object *disks = key(config, "disks");

    for (size_t i = 0; i < json_object_array_length(disks); i++) {
        json_object *d = json_object_array_get_idx(disks, i);

        if (strcmp(json_object_get_string(key(d, "target")), target) == 0)
            return d;
    }
    g_error("no disk %s in JSON", target);
    return NULL;
}

static void test_json_follows_the_documented_shape(void)
{
    g_autofree char *uri = fixture_uri();
    g_autoptr(Session) s = open_ok(uri);
    g_autoptr(HostModel) host = load_ok(s);
    json_object *root = model_json_host(host);
    json_object *web1 = json_domain(root, "web1");
    json_object *db1 = json_domain(root, "db1");
    json_object *config = key(web1, "config");
    json_object *vda = json_disk(config, "vda");
    json_object *hdc = json_disk(config, "hdc");
    json_object *driver = key(vda, "driver");
    json_object *pin = json_object_array_get_idx(key(config, "iothreadpin"), 0);
    const char *text;

    g_assert_cmpstr(json_object_get_string(key(root, "uri")), ==, uri);
    g_assert_false(json_object_get_boolean(key(root, "read_only")));
    g_assert_true(json_object_is_type(key(root, "libvirt_version"), json_type_string));
    g_assert_cmpuint(json_object_array_length(key(root, "domains")), ==, 6);
    g_assert_cmpstr(json_object_get_string(key(web1, "state")), ==, "running");
    g_assert_true(json_object_get_boolean(key(web1, "active")));
    g_assert_null(key(web1, "error"));
    g_assert_cmpint(json_object_get_int(key(config, "iothreads")), ==, 4);
    g_assert_cmpint(json_object_array_length(key(config, "iothread_ids")), ==, 4);
    g_assert_cmpstr(json_object_get_string(key(config, "emulatorpin")), ==, "0-1");
    g_assert_cmpint(json_object_get_int(key(pin, "id")), ==, 5);
    g_assert_cmpstr(json_object_get_string(key(pin, "cpuset")), ==, "1");
    g_assert_cmpstr(json_object_get_string(key(driver, "cache")), ==, "none");
    g_assert_cmpint(json_object_get_int(key(driver, "iothread")), ==, 5);
    g_assert_true(json_object_get_boolean(key(vda, "benchable")));
    g_assert_null(key(vda, "backing"));
    g_assert_null(key(hdc, "source"));
    g_assert_null(key(key(hdc, "driver"), "cache"));
    g_assert_null(key(key(hdc, "driver"), "iothread"));
    g_assert_cmpstr(json_object_get_string(key(hdc, "reason")), ==, "cdrom without media");
    g_assert_false(json_object_get_boolean(key(hdc, "iothread_from_controller")));
    g_assert_true(json_object_get_boolean(key(hdc, "readonly")));
    g_assert_cmpint(json_object_get_int(key(json_disk(key(db1, "config"), "vda"),
                                            "backing_chain")), ==, 2);
    g_assert_cmpstr(json_object_get_string(key(db1, "state")), ==, "shutoff");
    g_assert_null(key(json_domain(root, "transient1"), "inactive"));
    g_assert_null(key(web1, "error"));
    /* Raw in the model; JSON escapes the controls itself. */
    g_assert_cmpstr(json_object_get_string(key(json_domain(root, escaped_name), "name")), ==,
                    escaped_name);
    text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
    g_assert_nonnull(strstr(text, "tab\\tcr\\r"));
    g_assert_nonnull(strstr(text, "\"/nonexistent/web1-root.img\""));
    json_object_put(root);
}

static void test_json_inactive_differs_when_a_change_is_pending(void)
{
    g_autofree char *uri = fixture_uri();
    g_autoptr(Session) s = open_ok(uri);
    g_autoptr(HostModel) host = NULL;
    virDomainPtr dom = virDomainLookupByName(s->conn, "web1");
    char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    g_autofree char *changed = NULL;
    g_auto(GStrv) parts = NULL;
    virDomainPtr defined;
    json_object *root, *web1, *db1;

    /* Redefining a running domain changes only its persistent definition. */
    g_assert_nonnull(strstr(xml, "cache='none'"));
    parts = g_strsplit(xml, "cache='none'", 2);
    changed = g_strjoinv("cache='writethrough'", parts);
    free(xml);
    defined = virDomainDefineXML(s->conn, changed);
    g_assert_nonnull(defined);
    virDomainFree(defined);
    virDomainFree(dom);
    host = load_ok(s);
    root = model_json_host(host);
    web1 = json_domain(root, "web1");
    db1 = json_domain(root, "db1");
    g_assert_cmpstr(json_object_get_string(key(key(json_disk(key(web1, "config"), "vda"),
                                                   "driver"), "cache")), ==, "none");
    g_assert_cmpstr(json_object_get_string(key(key(json_disk(key(web1, "inactive"), "vda"),
                                                   "driver"), "cache")), ==, "writethrough");
    g_assert_false(key(web1, "config") == key(web1, "inactive"));
    /* A disk's cache waits for a power-off and start. */
    g_assert_true(json_object_get_boolean(key(web1, "pending_restart")));
    g_assert_true(vm_domain_pending_restart(host_model_find_domain(host, "web1")));
    /* Unchanged and shut off: one object for both, nothing pending. */
    g_assert_true(key(db1, "config") == key(db1, "inactive"));
    g_assert_false(json_object_get_boolean(key(db1, "pending_restart")));
    json_object_put(root);
}

static char *program(void)
{
    return g_build_filename(g_getenv("VDT_BUILDDIR"), "tui", "virt-disktune", NULL);
}

static int run_list(const char *const *args, char **out, char **errout)
{
    g_autofree char *prog = program();
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    int status = 0;

    g_ptr_array_add(argv, prog);
    g_ptr_array_add(argv, (char *)"list");
    for (; *args; args++)
        g_ptr_array_add(argv, (char *)*args);
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, errout, &status, &err));
    g_assert_no_error(err);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void assert_no_raw_controls(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        g_assert_true(*p >= 0x20 || *p == '\n');
    g_assert_null(strstr(text, "\xc2\x9b"));
    g_assert_null(strstr(text, "\xe2\x80\xae"));
}

static void test_list_text_escapes_control_characters(void)
{
    g_autofree char *uri = fixture_uri();
    g_autofree char *out = NULL, *errout = NULL;
    const char *args[] = { "-c", uri, NULL };

    g_assert_cmpint(run_list(args, &out, &errout), ==, 0);
    assert_no_raw_controls(out);
    g_assert_nonnull(strstr(out, "tab\\tcr\\rcsi\\x9Bbidi\\u{202E}end"));
    g_assert_nonnull(strstr(out, "iothreads 4 (ids 5,6,1,2)"));
    g_assert_nonnull(strstr(out, "not benchable: cdrom without media"));
    g_assert_nonnull(strstr(out, "iothread 6 (from its controller)"));
    g_assert_cmpstr(errout, ==, "");
}

static void test_list_json_parses_back(void)
{
    g_autofree char *uri = fixture_uri();
    g_autofree char *out = NULL, *errout = NULL;
    const char *args[] = { "--json", "-c", uri, NULL };
    json_object *root;

    g_assert_cmpint(run_list(args, &out, &errout), ==, 0);
    root = json_tokener_parse(out);
    g_assert_nonnull(root);
    g_assert_cmpuint(json_object_array_length(key(root, "domains")), ==, 6);
    json_object_put(root);
}

static void test_list_unreachable_uri_exits_1_with_one_line(void)
{
    g_autofree char *out = NULL, *errout = NULL;
    const char *args[] = { "-c", "qemu+unix:///system?socket=/nonexistent/vdt-test.sock", NULL };

    g_assert_cmpint(run_list(args, &out, &errout), ==, 1);
    g_assert_cmpstr(out, ==, "");
    g_assert_true(g_str_has_prefix(errout,
                                   "virt-disktune: qemu+unix:///system?socket=/nonexistent"));
    g_assert_nonnull(strstr(errout, "No such file or directory"));
    g_assert_nonnull(strchr(errout, '\n'));
    g_assert_cmpstr(strchr(errout, '\n'), ==, "\n");
}

static void test_list_usage_errors_exit_2(void)
{
    g_autofree char *out = NULL, *errout = NULL;
    g_autofree char *out2 = NULL, *errout2 = NULL;
    const char *bogus[] = { "--bogus", NULL };
    const char *extra[] = { "-c", "test:///default", "extra", NULL };

    g_assert_cmpint(run_list(bogus, &out, &errout), ==, 2);
    g_assert_true(g_str_has_prefix(errout, "virt-disktune: "));
    g_assert_cmpint(run_list(extra, &out2, &errout2), ==, 2);
    g_assert_nonnull(strstr(errout2, "'extra'"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/host/lists-every-domain-sorted-by-name", test_lists_every_domain_sorted);
    g_test_add_func("/host/state-persistence-and-configs", test_state_persistence_and_configs);
    g_test_add_func("/host/names-first-match-the-full-load", test_names_first_match_the_full_load);
    g_test_add_func("/host/missing-source-keeps-disk-benchable-with-reason",
                    test_missing_source_keeps_disk_benchable_with_reason);
    g_test_add_func("/host/symlink-loop-is-a-reason-real-file-resolves",
                    test_symlink_loop_and_real_file);
    g_test_add_func("/host/thousand-domains-listed-and-sorted",
                    test_thousand_domains_listed_and_sorted);
    g_test_add_func("/host/vanished-domain-keeps-name-with-error",
                    test_vanished_domain_keeps_name_with_error);
    g_test_add_func("/host/load-domain-by-name-and-unknown-name",
                    test_load_domain_by_name_and_unknown_name);
    g_test_add_func("/session/unreachable-uri-is-one-line-error",
                    test_unreachable_uri_is_one_line_error);
    g_test_add_func("/session/permission-errors-fall-back-to-read-only",
                    test_permission_errors_fall_back_to_read_only);
    g_test_add_func("/session/default-uri-comes-from-environment",
                    test_default_uri_comes_from_environment);
    g_test_add_func("/session/qemu-version-with-and-without-connection",
                    test_qemu_version_with_and_without_connection);
    g_test_add_func("/model-json/follows-the-documented-shape",
                    test_json_follows_the_documented_shape);
    g_test_add_func("/model-json/inactive-differs-when-a-change-is-pending",
                    test_json_inactive_differs_when_a_change_is_pending);
    g_test_add_func("/list/text-escapes-control-characters",
                    test_list_text_escapes_control_characters);
    g_test_add_func("/list/json-parses-back", test_list_json_parses_back);
    g_test_add_func("/list/unreachable-uri-exits-1-with-one-line",
                    test_list_unreachable_uri_exits_1_with_one_line);
    g_test_add_func("/list/usage-errors-exit-2", test_list_usage_errors_exit_2);
    return g_test_run();
}
