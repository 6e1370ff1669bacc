/* core/apply*.c and core/undo_store.c against libvirt's test driver (tests/data/nodes/
 * host.xml, one connection per test: each opens its own copy of the host): every plan
 * shape, each refusal, the diff, the writes and their verification, undo, the concurrent
 * edit, a domain that stops between plan and apply, and bad undo records. What the tests
 * assert is read back through libvirt directly, not through the code under test. */
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "core/apply.h"
#include "core/domxml.h"
#include "core/domxml_patch.h"
#include "core/session.h"
#include "core/session_priv.h"
#include "core/undo_store.h"
#include "tests/testutil.h"

static char *records_dir;

static struct session *open_host(void)
{
    g_autofree char *path = g_build_filename(g_getenv("VDT_TESTDATA"), "nodes", "host.xml", NULL);
    g_autofree char *uri = g_strdup_printf("test://%s", path);
    g_autoptr(GError) err = NULL;
    struct session *s = session_open(uri, &err);

    g_assert_no_error(err);
    return s;
}

/* The inactive XML as libvirt gives it, read without the code under test. */
static char *inactive_xml(struct session *s, const char *name)
{
    virDomainPtr dom = virDomainLookupByName(s->conn, name);
    char *xml, *copy;

    g_assert_nonnull(dom);
    xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    g_assert_nonnull(xml);
    copy = g_strdup(xml);
    free(xml);
    virDomainFree(dom);
    return copy;
}

static struct vm_config *inactive(struct session *s, const char *name)
{
    g_autofree char *xml = inactive_xml(s, name);

    return domxml_parse(xml, strlen(xml), NULL);
}

static char *live_pin(struct session *s, const char *name, unsigned id)
{
    virDomainPtr dom = virDomainLookupByName(s->conn, name);
    virDomainIOThreadInfoPtr *info = NULL;
    int n = virDomainGetIOThreadInfo(dom, &info, VIR_DOMAIN_AFFECT_LIVE);
    GString *cpus = g_string_new(NULL);
    bool found = false;

    g_assert_cmpint(n, >=, 0);
    for (int i = 0; i < n; i++) {
        if (info[i]->iothread_id == id) {
            found = true;
            for (int c = 0; c < info[i]->cpumaplen * 8; c++)
                if (VIR_CPU_USED(info[i]->cpumap, c))
                    g_string_append_printf(cpus, "%s%d", cpus->len ? "," : "", c);
        }
        virDomainIOThreadInfoFree(info[i]);
    }
    free(info);
    virDomainFree(dom);
    if (!found)
        return g_string_free(cpus, TRUE), NULL;
    return g_string_free(cpus, FALSE);
}

static struct apply_request *disk_request(const char *domain, const char *target,
                                          const char *cache, const char *io, int iothread)
{
    struct apply_request *r = apply_request_new(domain);
    struct apply_disk_request *d = g_new0(struct apply_disk_request, 1);

    d->target = g_strdup(target);
    d->cache = g_strdup(cache);
    d->io = g_strdup(io);
    d->iothread = iothread;
    g_ptr_array_add(r->disks, d);
    return r;
}

static struct apply_plan *plan_ok(struct session *s, const struct apply_request *req)
{
    g_autoptr(GError) err = NULL;
    struct apply_plan *plan = apply_plan_make(s, req, &err);

    g_assert_no_error(err);
    g_assert_nonnull(plan);
    return plan;
}

static char *plan_text(const struct apply_plan *plan)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < plan->changes->len; i++) {
        const struct apply_change *c = g_ptr_array_index(plan->changes, i);

        g_string_append_printf(out, "%s | %s\n", c->text, apply_when_name(c->when));
    }
    return g_string_free(out, FALSE);
}

static void execute_ok(struct session *s, const struct apply_plan *plan, struct apply_report *r)
{
    g_autoptr(GError) err = NULL;
    bool ok = apply_plan_execute(s, plan, records_dir, r, &err);

    for (guint i = 0; r->checks && i < r->checks->len; i++)
        g_test_message("%s", (const char *)g_ptr_array_index(r->checks, i));
    g_assert_no_error(err);
    g_assert_true(ok);
    g_assert_cmpuint(r->mismatches, ==, 0);
}

static void refused_with(struct session *s, const struct apply_request *req, int code,
                         const char *message)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ApplyPlan) plan = apply_plan_make(s, req, &err);

    g_assert_null(plan);
    g_assert_error(err, APPLY_ERROR, code);
    g_test_message("%s", err->message);
    if (message)
        g_assert_cmpstr(err->message, ==, message);
}

static unsigned record_count(void)
{
    g_autoptr(GPtrArray) all = undo_store_list(records_dir, NULL, NULL);

    return all->len;
}

static void clear_records(void)
{
    g_autoptr(GDir) d = g_dir_open(records_dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(records_dir, name, NULL);
        g_unlink(p);
    }
}

/* ---- plans -------------------------------------------------------------------------------- */

/* A shut-off domain: cache and io in the definition, for the next start; the diff shows
 * the driver line only. */
static void test_shutoff_cache_io_plan_and_diff(void)
{
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) req = disk_request("db1", "vda", "none", "native", -1);
    g_autoptr(ApplyPlan) plan = plan_ok(s, req);
    g_autofree char *text = plan_text(plan);
    g_autofree char *diff = apply_plan_diff(plan);

    g_assert_cmpstr(text, ==, "vda: cache writethrough → none | at next start\n"
                              "vda: io default → native | at next start\n");
    g_assert_cmpuint(plan->live_ops->len, ==, 0);
    g_assert_true(g_str_has_prefix(diff, "--- db1 inactive XML (now)\n+++ db1 inactive XML (planned)\n"));
    g_assert_nonnull(strstr(diff, "\n-      <driver name=\"qemu\" type=\"qcow2\" cache=\"writethrough\"/>\n"
                                  "+      <driver name=\"qemu\" type=\"qcow2\" cache=\"none\" io=\"native\"/>\n"));
    /* One removed and one added line, nothing else. */
    g_autofree char *stripped = g_strdup(diff);
    unsigned plus = 0, minus = 0;
    for (char *l = strtok(stripped, "\n"); l; l = strtok(NULL, "\n")) {
        plus += l[0] == '+' && l[1] != '+';
        minus += l[0] == '-' && l[1] != '-';
    }
    g_assert_cmpuint(plus, ==, 1);
    g_assert_cmpuint(minus, ==, 1);
}

/* A running domain: iothreads added and pinned now (live) and in the definition; a disk's
 * cache waits for the power-off. web1 has iothreads 4 with ids 5, 6 (so 5, 6, 1, 2). */
static void test_running_iothreads_and_pins_plan(void)
{
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) req = disk_request("web1", "vdb", "directsync", NULL, -1);
    g_autoptr(ApplyPlan) plan = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;

    req->iothreads = 6;
    g_assert_true(apply_request_add_pin(req, "2:3,4", &err));
    plan = plan_ok(s, req);
    text = plan_text(plan);
    g_assert_cmpstr(text, ==,
                    "vdb: cache writeback → directsync | at next power-off and start\n"
                    "iothreads 4 → 6 (ids 3, 4 added; live and config) | now\n"
                    "iothread 2: pinned 3-4 (was not pinned) (live and config) | now\n");
    g_assert_cmpuint(plan->live_ops->len, ==, 3);
}

/* The scsi disk's iothread is its controller's: the plan names the disks sharing it. */
static void test_scsi_iothread_plan_names_the_controller(void)
{
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) req = disk_request("web1", "sda", NULL, NULL, 1);
    g_autoptr(ApplyPlan) plan = plan_ok(s, req);
    g_autofree char *text = plan_text(plan);

    g_assert_cmpstr(text, ==, "sda: iothread 6 → 1 (on its virtio-scsi controller 0) | "
                              "at next power-off and start\n");
}

/* Two scsi disks on one virtio-scsi controller: moving one's iothread moves both, and the
 * plan says so. */
static void test_shared_controller_named(void)
{
    g_autoptr(Session) s = open_host();
    static const char xml[] =
        "<domain type='test'><name>scsi2</name><memory unit='MiB'>64</memory>"
        "<iothreads>2</iothreads><os><type arch='x86_64'>hvm</type></os><devices>"
        "<controller type='scsi' index='0' model='virtio-scsi'><driver iothread='1'/></controller>"
        "<disk type='file' device='disk'><source file='/nonexistent/a.img'/>"
        "<target dev='sda' bus='scsi'/><address type='drive' controller='0' bus='0' unit='0'/></disk>"
        "<disk type='file' device='disk'><source file='/nonexistent/b.img'/>"
        "<target dev='sdb' bus='scsi'/><address type='drive' controller='0' bus='0' unit='1'/></disk>"
        "</devices></domain>";
    virDomainPtr dom = virDomainDefineXML(s->conn, xml);
    g_autoptr(ApplyRequest) req = disk_request("scsi2", "sdb", NULL, NULL, 2);
    g_autoptr(ApplyPlan) plan = NULL;
    g_autofree char *text = NULL;

    g_assert_nonnull(dom);
    virDomainFree(dom);
    plan = plan_ok(s, req);
    text = plan_text(plan);
    g_assert_cmpstr(text, ==, "sda: iothread 1 → 2 (on its virtio-scsi controller 0, shared with sdb) | at next start\n"
                              "sdb: iothread 1 → 2 (on its virtio-scsi controller 0, shared with sda) | at next start\n");
}

/* No <iothreadids>: libvirt numbers the iothreads 1..N, so lowering the count below an id
 * a disk uses would leave the disk on an iothread that is gone. Refused. */
static void test_count_below_a_filled_id_refused(void)
{
    g_autoptr(Session) s = open_host();
    static const char xml[] =
        "<domain type='test'><name>filled</name><memory unit='MiB'>64</memory>"
        "<iothreads>3</iothreads><os><type arch='x86_64'>hvm</type></os><devices>"
        "<disk type='file' device='disk'><driver name='qemu' iothread='3'/>"
        "<source file='/nonexistent/f.img'/><target dev='vda' bus='virtio'/></disk>"
        "</devices></domain>";
    virDomainPtr dom = virDomainDefineXML(s->conn, xml);
    g_autoptr(ApplyRequest) req = apply_request_new("filled");

    g_assert_nonnull(dom);
    virDomainFree(dom);
    req->iothreads = 2;
    refused_with(s, req, APPLY_ERROR_USAGE, NULL);
}

/* Asking for what is there is a plan with no change and nothing to do. */
static void test_no_change_plan(void)
{
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) req = disk_request("web1", "vda", "none", "native", -1);
    g_autoptr(ApplyPlan) plan = plan_ok(s, req);
    struct apply_report r = { 0 };

    g_assert_cmpuint(plan->changes->len, ==, 0);
    g_assert_null(plan->xml_after);
    execute_ok(s, plan, &r);
    g_assert_cmpuint(record_count(), ==, 0);
    apply_report_clear(&r);
}

/* A transient domain has no definition: a disk change is refused, pins are live only. */
static void test_transient_domain_is_live_only(void)
{
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) disk = disk_request("transient1", "vda", "none", NULL, -1);
    g_autoptr(ApplyRequest) req = apply_request_new("transient1");
    g_autoptr(ApplyPlan) plan = NULL;
    g_autofree char *text = NULL;

    refused_with(s, disk, APPLY_ERROR_USAGE, NULL);
    req->iothreads = 1;
    plan = plan_ok(s, req);
    text = plan_text(plan);
    g_assert_null(plan->xml_after);
    g_assert_cmpstr(text, ==, "iothread 1 added (live only: transient domain) | now\n");
}

/* ---- refusals, before anything is written --------------------------------------------------- */

static void test_refusals(void)
{
    g_autoptr(Session) s = open_host();
    static const struct {
        const char *domain, *disk, *cache, *io;
        int iothread, iothreads;
        const char *pin;
        int code;
        const char *message;
    } cases[] = {
        { "nosuch", "vda", "none", NULL, -1, -1, NULL, APPLY_ERROR_NOT_FOUND,
          "domain 'nosuch': not found" },
        { "web1", "vdz", "none", NULL, -1, -1, NULL, APPLY_ERROR_NOT_FOUND,
          "domain 'web1': no disk 'vdz'" },
        { "web1", "vdb", "writeback", "native", -1, -1, NULL, APPLY_ERROR_USAGE, NULL },
        { "web1", "vdb", NULL, "native", -1, -1, NULL, APPLY_ERROR_USAGE, NULL },
        { "web1", "vdb", "sometimes", NULL, -1, -1, NULL, APPLY_ERROR_USAGE, NULL },
        { "web1", "vdb", NULL, "fast", -1, -1, NULL, APPLY_ERROR_USAGE, NULL },
        { "web1", "hdc", NULL, NULL, 1, -1, NULL, APPLY_ERROR_USAGE, NULL },
        { "web1", "vdb", NULL, NULL, 9, -1, NULL, APPLY_ERROR_USAGE,
          "disk 'vdb': iothread 9 will not exist (the domain's iothreads will be 4; add one "
          "with --iothreads)" },
        { "web1", NULL, NULL, NULL, -1, 1, NULL, APPLY_ERROR_USAGE,
          "domain 'web1': --iothreads 1 is fewer than the disks use (2 iothreads are "
          "referenced by disks)" },
        { "web1", NULL, NULL, NULL, -1, -1, "5:5-", APPLY_ERROR_USAGE, NULL },
        { "web1", NULL, NULL, NULL, -1, -1, "5:a", APPLY_ERROR_USAGE, NULL },
        { "web1", NULL, NULL, NULL, -1, -1, "5:99999", APPLY_ERROR_USAGE, NULL },
        { "web1", NULL, NULL, NULL, -1, -1, "5:3-1", APPLY_ERROR_USAGE,
          "--pin 5:3-1: CPU list '3-1': the range 3-1 is reversed" },
        { "web1", NULL, NULL, NULL, -1, -1, "5:4000", APPLY_ERROR_USAGE, NULL },
        { "web1", NULL, NULL, NULL, -1, -1, "7:0", APPLY_ERROR_USAGE,
          "--pin 7:0: domain 'web1' will have no iothread 7" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(ApplyRequest) req = cases[i].disk
            ? disk_request(cases[i].domain, cases[i].disk, cases[i].cache, cases[i].io,
                           cases[i].iothread)
            : apply_request_new(cases[i].domain);
        g_autofree char *before = NULL, *after = NULL;

        req->iothreads = cases[i].iothreads;
        if (cases[i].pin)
            g_assert_true(apply_request_add_pin(req, cases[i].pin, NULL));
        before = strcmp(cases[i].domain, "nosuch") ? inactive_xml(s, cases[i].domain) : NULL;
        refused_with(s, req, cases[i].code, cases[i].message);
        after = before ? inactive_xml(s, cases[i].domain) : NULL;
        g_assert_cmpstr(before, ==, after);
    }
    g_assert_cmpuint(record_count(), ==, 0);
}

static void test_malformed_pin_argument(void)
{
    static const char *const bad[] = { "5", ":1", "x:1", "0:1", "-1:2" };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(ApplyRequest) req = apply_request_new("web1");
        g_autoptr(GError) err = NULL;

        g_assert_false(apply_request_add_pin(req, bad[i], &err));
        g_assert_error(err, APPLY_ERROR, APPLY_ERROR_USAGE);
    }
}

/* A read-only connection makes plans (dry runs) but never writes: exit 3's error. */
static void test_read_only_connection_refused(void)
{
    g_autofree char *path = g_build_filename(g_getenv("VDT_TESTDATA"), "nodes", "host.xml", NULL);
    g_autofree char *uri = g_strdup_printf("test://%s", path);
    struct session ro = { .conn = virConnectOpenReadOnly(uri), .uri = uri, .read_only = true };
    g_autoptr(ApplyRequest) req = disk_request("db1", "vda", "none", NULL, -1);
    g_autoptr(ApplyPlan) plan = NULL;
    g_autoptr(GError) err = NULL;
    struct apply_report r = { 0 };

    g_assert_nonnull(ro.conn);
    plan = apply_plan_make(&ro, req, &err);
    g_assert_no_error(err);
    g_assert_false(apply_plan_execute(&ro, plan, records_dir, &r, &err));
    g_assert_error(err, APPLY_ERROR, APPLY_ERROR_REFUSED);
    g_assert_cmpuint(record_count(), ==, 0);
    apply_report_clear(&r);
    virConnectClose(ro.conn);
}

/* ---- writes, verification and undo ------------------------------------------------------------ */

/* Apply to a running domain, read back through libvirt, undo, and the definition is the
 * original byte for byte after a canonical re-serialisation; the live pins are as before. */
static void test_apply_then_undo_restores_everything(void)
{
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) req = disk_request("web1", "vdb", "writethrough", "threads", 2);
    g_autoptr(ApplyPlan) plan = NULL, undo = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *original = inactive_xml(s, "web1");
    g_autofree char *pin5_before = live_pin(s, "web1", 5);
    g_autofree char *restored = NULL, *c1 = NULL, *c2 = NULL, *pin5 = NULL, *pin3 = NULL;
    struct apply_report r = { 0 }, u = { 0 };
    g_autoptr(VmConfig) after = NULL;

    req->iothreads = 5;
    g_assert_true(apply_request_add_pin(req, "5:2-3", NULL));
    plan = plan_ok(s, req);
    execute_ok(s, plan, &r);
    g_assert_nonnull(r.record);
    g_assert_true(g_file_test(r.record, G_FILE_TEST_IS_REGULAR));

    after = inactive(s, "web1");
    g_assert_cmpstr(vm_config_find_disk(after, "vdb")->cache, ==, "writethrough");
    g_assert_cmpstr(vm_config_find_disk(after, "vdb")->io, ==, "threads");
    g_assert_cmpint(vm_config_find_disk(after, "vdb")->iothread, ==, 2);
    g_assert_cmpuint(after->niothreads, ==, 5);
    pin5 = live_pin(s, "web1", 5);
    g_assert_cmpstr(pin5, ==, "2,3");
    pin3 = live_pin(s, "web1", 3);
    g_assert_nonnull(pin3);        /* iothread 3 was added live */
    g_clear_pointer(&pin3, g_free);

    undo = apply_plan_undo(s, "web1", records_dir, &err);
    g_assert_no_error(err);
    g_assert_true(undo->undo);
    g_assert_cmpuint(undo->changes->len, >, 0);
    execute_ok(s, undo, &u);

    restored = inactive_xml(s, "web1");
    c1 = domxml_canonical(original, strlen(original), NULL);
    c2 = domxml_canonical(restored, strlen(restored), NULL);
    g_assert_cmpstr(c1, ==, c2);
    g_clear_pointer(&pin5, g_free);
    pin5 = live_pin(s, "web1", 5);
    g_assert_cmpstr(pin5, ==, pin5_before);
    pin3 = live_pin(s, "web1", 3);
    g_assert_null(pin3);           /* and removed again */

    /* The record is marked undone; a second undo finds nothing to restore. */
    g_clear_pointer(&undo, apply_plan_free);
    g_clear_error(&err);
    undo = apply_plan_undo(s, "web1", records_dir, &err);
    g_assert_null(undo);
    g_assert_error(err, APPLY_ERROR, APPLY_ERROR_NOT_FOUND);
    apply_report_clear(&r);
    apply_report_clear(&u);
    clear_records();
}

/* The change taken back by hand: undo finds nothing to restore, and closes the record, so
 * the next undo reaches the apply before it. */
static void test_undo_with_nothing_left_closes_the_record(void)
{
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) req = disk_request("db1", "vda", "none", NULL, -1);
    g_autoptr(ApplyPlan) plan = plan_ok(s, req);
    g_autoptr(ApplyPlan) undo = NULL, again = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *original = inactive_xml(s, "db1");
    struct apply_report r = { 0 }, u = { 0 };
    virDomainPtr dom;

    execute_ok(s, plan, &r);
    dom = virDomainDefineXML(s->conn, original);     /* by hand, as virsh edit would */
    g_assert_nonnull(dom);
    virDomainFree(dom);
    undo = apply_plan_undo(s, "db1", records_dir, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(undo->changes->len, ==, 0);
    g_assert_true(apply_plan_execute(s, undo, records_dir, &u, &err));
    g_assert_no_error(err);
    again = apply_plan_undo(s, "db1", records_dir, &err);
    g_assert_null(again);
    g_assert_error(err, APPLY_ERROR, APPLY_ERROR_NOT_FOUND);
    apply_report_clear(&r);
    apply_report_clear(&u);
    clear_records();
}

/* Another edit between plan and apply: nothing written, no record left. */
static void test_concurrent_edit_writes_nothing(void)
{
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) req = disk_request("db1", "vda", "none", NULL, -1);
    g_autoptr(ApplyPlan) plan = plan_ok(s, req);
    g_autofree char *xml = inactive_xml(s, "db1");
    g_autofree char *edited = NULL, *now = NULL;
    g_autoptr(GError) err = NULL;
    struct apply_report r = { 0 };
    char *mem = strstr(xml, "<memory unit='KiB'>262144</memory>");
    virDomainPtr dom;

    g_assert_nonnull(mem);
    edited = g_strdup_printf("%.*s<memory unit='KiB'>524288</memory>%s", (int)(mem - xml), xml,
                             mem + strlen("<memory unit='KiB'>262144</memory>"));
    dom = virDomainDefineXML(s->conn, edited);
    g_assert_nonnull(dom);
    virDomainFree(dom);
    g_assert_false(apply_plan_execute(s, plan, records_dir, &r, &err));
    g_assert_error(err, APPLY_ERROR, APPLY_ERROR_CHANGED);
    g_assert_nonnull(strstr(err->message, "its definition was edited"));
    now = inactive_xml(s, "db1");
    g_assert_nonnull(strstr(now, "cache='writethrough'"));
    g_assert_nonnull(strstr(now, "524288"));
    g_assert_cmpuint(record_count(), ==, 0);
    apply_report_clear(&r);
}

/* The domain stops between plan and apply: refused, nothing written. */
static void test_domain_stopped_after_plan(void)
{
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) req = apply_request_new("web1");
    g_autoptr(ApplyPlan) plan = NULL;
    g_autoptr(GError) err = NULL;
    struct apply_report r = { 0 };
    g_autofree char *before = NULL, *after = NULL;
    virDomainPtr dom;

    g_assert_true(apply_request_add_pin(req, "5:0", NULL));
    plan = plan_ok(s, req);
    before = inactive_xml(s, "web1");
    dom = virDomainLookupByName(s->conn, "web1");
    g_assert_cmpint(virDomainDestroy(dom), ==, 0);
    virDomainFree(dom);
    g_assert_false(apply_plan_execute(s, plan, records_dir, &r, &err));
    g_assert_error(err, APPLY_ERROR, APPLY_ERROR_CHANGED);
    g_assert_nonnull(strstr(err->message, "it stopped since the plan was made"));
    after = inactive_xml(s, "web1");
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpuint(record_count(), ==, 0);
    apply_report_clear(&r);
}

/* A live call libvirt refuses after the define (tests/shim/libvirt_faults.c fails
 * virDomainPinIOThread): the definition is taken back and so is the record. */
static void test_failed_live_call_rolls_back(void)
{
    if (!g_test_subprocess()) {
        testutil_trap_with_preload("libvdt_libvirt_faults.so", "VDT_SHIM_FAIL_PIN_IOTHREAD", "1");
        return;
    }
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) req = disk_request("web1", "vdb", "none", NULL, -1);
    g_autoptr(ApplyPlan) plan = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *before = inactive_xml(s, "web1"), *after = NULL;
    struct apply_report r = { 0 };

    req->iothreads = 5;
    g_assert_true(apply_request_add_pin(req, "5:0", NULL));
    plan = plan_ok(s, req);
    g_assert_cmpuint(plan->live_ops->len, ==, 2);   /* add 3, then pin 5 */
    g_assert_false(apply_plan_execute(s, plan, records_dir, &r, &err));
    g_assert_error(err, APPLY_ERROR, APPLY_ERROR_FAILED);
    g_test_message("%s", err->message);
    g_assert_true(g_str_has_suffix(err->message, "rolled back: the domain is as before"));
    after = inactive_xml(s, "web1");
    g_assert_cmpstr(before, ==, after);
    g_autofree char *pin3 = live_pin(s, "web1", 3);
    g_assert_null(pin3);                             /* the live add was taken back */
    g_assert_cmpuint(record_count(), ==, 0);
    apply_report_clear(&r);
}

/* A secret in the definition (a VNC password) survives an apply: the XML edited is read
 * with SECURE, without which libvirt leaves the password out and a redefine drops it. */
static void test_secrets_survive_an_apply(void)
{
    g_autoptr(Session) s = open_host();
    static const char xml[] =
        "<domain type='test'><name>secretive</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64'>hvm</type></os><devices>"
        "<disk type='file' device='disk'><source file='/nonexistent/s.img'/>"
        "<target dev='vda' bus='virtio'/></disk>"
        "<graphics type='vnc' port='-1' passwd='s3cret'/></devices></domain>";
    virDomainPtr dom = virDomainDefineXML(s->conn, xml);
    g_autoptr(ApplyRequest) req = disk_request("secretive", "vda", "none", NULL, -1);
    g_autoptr(ApplyPlan) plan = NULL;
    g_autofree char *after = NULL;
    struct apply_report r = { 0 };

    g_assert_nonnull(dom);
    virDomainFree(dom);
    plan = plan_ok(s, req);
    execute_ok(s, plan, &r);
    after = inactive_xml(s, "secretive");
    g_assert_nonnull(strstr(after, "cache='none'"));
    g_assert_nonnull(strstr(after, "passwd='s3cret'"));
    apply_report_clear(&r);
    clear_records();
}

/* ---- undo records as outside input ----------------------------------------------------------- */

static char *write_record(const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(records_dir, name, NULL);

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return g_strdup(path);
}

static void test_bad_records_are_refused(void)
{
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) req = disk_request("db1", "vda", "none", NULL, -1);
    g_autoptr(ApplyPlan) plan = plan_ok(s, req);
    g_autoptr(GError) err = NULL;
    g_autofree char *good = NULL, *text = NULL, *other = NULL, *before = NULL, *after = NULL;
    struct apply_report r = { 0 };

    execute_ok(s, plan, &r);
    g_assert_true(g_file_get_contents(r.record, &text, NULL, NULL));
    before = inactive_xml(s, "db1");

    /* web1's name on db1's record: refused, nothing written. */
    g_autofree char *web1_name = g_strdup_printf("6695eb01-f6a4-8304-79aa-97f2502e1001-"
                                                 "29991231T000000.000000Z-1.json");
    other = write_record(web1_name, text);
    g_autoptr(ApplyPlan) u1 = apply_plan_undo(s, "web1", records_dir, &err);
    g_assert_null(u1);
    g_assert_error(err, APPLY_ERROR, APPLY_ERROR_REFUSED);
    g_test_message("%s", err->message);
    g_unlink(other);
    g_clear_error(&err);

    /* A corrupted record of db1, newer than the good one: refused, nothing written. */
    g_autofree char *torn = g_strndup(text, strlen(text) / 2);
    g_autofree char *db1_name = g_strdup_printf("%s-29991231T000000.000000Z-1.json", plan->uuid);
    g_autofree char *bad = write_record(db1_name, torn);
    g_autoptr(ApplyPlan) u2 = apply_plan_undo(s, "db1", records_dir, &err);
    g_assert_null(u2);
    g_assert_error(err, APPLY_ERROR, APPLY_ERROR_REFUSED);
    g_test_message("%s", err->message);
    after = inactive_xml(s, "db1");
    g_assert_cmpstr(before, ==, after);
    g_unlink(bad);
    (void)good;
    apply_report_clear(&r);
    clear_records();
}

/* Every truncation and byte flip of a real record either loads or is refused: never a crash
 * (run under ASan in the suite). */
static void test_record_parser_survives_mutations(void)
{
    g_autoptr(Session) s = open_host();
    g_autoptr(ApplyRequest) req = disk_request("db1", "vda", "none", NULL, -1);
    g_autoptr(ApplyPlan) plan = plan_ok(s, req);
    struct apply_report r = { 0 };
    g_autofree char *text = NULL, *name = NULL;
    unsigned refused = 0;

    execute_ok(s, plan, &r);
    g_assert_true(g_file_get_contents(r.record, &text, NULL, NULL));
    name = g_path_get_basename(r.record);
    clear_records();
    for (size_t cut = 0; cut < strlen(text); cut += 7) {
        g_autofree char *t = g_strndup(text, cut);
        g_autofree char *p = write_record(name, t);
        g_autoptr(GError) err = NULL;
        g_autoptr(UndoRecord) rec = undo_store_load(records_dir, name, &err);

        refused += rec == NULL;
        g_unlink(p);
    }
    g_assert_cmpuint(refused, >, 10);
    apply_report_clear(&r);
}

int main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    records_dir = g_dir_make_tmp("vdt-apply-records-XXXXXX", NULL);
    g_test_add_func("/apply/plan/shutoff-cache-io-and-its-diff", test_shutoff_cache_io_plan_and_diff);
    g_test_add_func("/apply/plan/running-iothreads-and-pins", test_running_iothreads_and_pins_plan);
    g_test_add_func("/apply/plan/scsi-iothread-names-the-controller",
                    test_scsi_iothread_plan_names_the_controller);
    g_test_add_func("/apply/plan/shared-controller-named", test_shared_controller_named);
    g_test_add_func("/apply/plan/asking-for-what-is-there-changes-nothing", test_no_change_plan);
    g_test_add_func("/apply/refused/count-below-a-filled-id", test_count_below_a_filled_id_refused);
    g_test_add_func("/apply/undo/nothing-left-closes-the-record",
                    test_undo_with_nothing_left_closes_the_record);
    g_test_add_func("/apply/plan/transient-domain-is-live-only", test_transient_domain_is_live_only);
    g_test_add_func("/apply/refused/each-cause-before-anything-is-written", test_refusals);
    g_test_add_func("/apply/refused/malformed-pin-argument", test_malformed_pin_argument);
    g_test_add_func("/apply/refused/read-only-connection", test_read_only_connection_refused);
    g_test_add_func("/apply/undo/restores-the-definition-and-live-pins",
                    test_apply_then_undo_restores_everything);
    g_test_add_func("/apply/concurrent-edit-writes-nothing", test_concurrent_edit_writes_nothing);
    g_test_add_func("/apply/domain-stopped-after-the-plan-writes-nothing",
                    test_domain_stopped_after_plan);
    g_test_add_func("/apply/secrets-survive-an-apply", test_secrets_survive_an_apply);
    g_test_add_func("/apply/failed-live-call-rolls-back", test_failed_live_call_rolls_back);
    g_test_add_func("/apply/undo/bad-records-are-refused", test_bad_records_are_refused);
    g_test_add_func("/apply/undo/record-parser-survives-truncation",
                    test_record_parser_survives_mutations);
    rc = g_test_run();
    clear_records();
    g_rmdir(records_dir);
    return rc;
}
