/* tui/view_pins.c and tui/view_apply.c without a terminal: the pin editor's grid on
 * topologies of one and two NUMA nodes with hyperthread siblings, other domains' pins, the
 * editing steps and their refusals, the request it hands to apply; the apply dialog's and
 * the history's lines; hostile names escaped everywhere. */
#include <string.h>
#include <glib.h>
#include "core/apply.h"
#include "core/domxml.h"
#include "core/iothread_suggest.h"
#include "core/undo_store.h"
#include "probes/topology.h"
#include "tui/view.h"
#include "tui/view_apply.h"
#include "tui/view_pins.h"

static struct vm_domain *domain(const char *name, bool active, const char *inner)
{
    struct vm_domain *d = g_new0(struct vm_domain, 1);
    g_autofree char *xml = g_strdup_printf("<domain type='kvm'><name>%s</name><vcpu>2</vcpu>%s"
                                           "</domain>", name, inner);

    d->name = g_strdup(name);
    d->active = active;
    d->state = active ? VM_STATE_RUNNING : VM_STATE_SHUTOFF;
    d->persistent = true;
    d->inactive = domxml_parse(xml, strlen(xml), NULL);
    d->live = active ? domxml_parse(xml, strlen(xml), NULL) : NULL;
    g_assert_nonnull(d->inactive);
    return d;
}

static const char web_xml[] =
    "<iothreads>2</iothreads>"
    "<cputune><vcpupin vcpu='0' cpuset='0'/><emulatorpin cpuset='4'/>"
    "<iothreadpin iothread='1' cpuset='1'/></cputune>"
    "<devices><disk type='file' device='disk'><driver name='qemu' iothread='1'/>"
    "<source file='/i.img'/><target dev='vda' bus='virtio'/></disk></devices>";

static const char other_xml[] =
    "<iothreads>1</iothreads>"
    "<cputune><vcpupin vcpu='0' cpuset='2'/><iothreadpin iothread='1' cpuset='5'/></cputune>";

static struct host_model *host_of(struct vm_domain *a, struct vm_domain *b)
{
    struct host_model *h = g_new0(struct host_model, 1);

    h->domains = g_ptr_array_new_with_free_func((GDestroyNotify)vm_domain_free);
    g_ptr_array_add(h->domains, a);
    if (b)
        g_ptr_array_add(h->domains, b);
    return h;
}

static struct cpu_topology *two_nodes(void)
{
    g_autofree char *root = g_build_filename(g_getenv("VDT_TESTDATA"), "sysfs", "cpus", NULL);
    g_autoptr(GError) err = NULL;
    struct cpu_topology *t = topology_read(root, &err);

    g_assert_no_error(err);
    return t;
}

/* One socket, two cores of two threads, no NUMA. */
static struct cpu_topology *one_node(void)
{
    struct cpu_topology *t = g_new0(struct cpu_topology, 1);
    static const int core[] = { 0, 1, 0, 1 };

    t->cpus = g_array_new(FALSE, TRUE, sizeof(struct topology_cpu));
    t->nodes = g_array_new(FALSE, TRUE, sizeof(struct topology_node));
    for (unsigned i = 0; i < 4; i++) {
        struct topology_cpu c = { .cpu = i, .online = true, .socket = 0, .core = core[i],
                                  .node = -1 };
        g_array_append_val(t->cpus, c);
    }
    return t;
}

static const struct view_pin_cell *cell_of(const struct view_pins *v, unsigned cpu,
                                           const char **node, const char **core)
{
    for (guint n = 0; n < v->nodes->len; n++) {
        const struct view_pin_node *vn = g_ptr_array_index(v->nodes, n);

        for (guint c = 0; c < vn->cores->len; c++) {
            const struct view_pin_core *vc = g_ptr_array_index(vn->cores, c);

            for (guint k = 0; k < vc->cells->len; k++) {
                const struct view_pin_cell *cell = &g_array_index(vc->cells, struct view_pin_cell, k);
                if (cell->cpu == cpu) {
                    *node = vn->label;
                    *core = vc->label;
                    return cell;
                }
            }
        }
    }
    return NULL;
}

/* Two nodes, siblings 0/4, 1/5 (node 0) and 2/6, 3/7 (node 1): each core holds its two
 * siblings; marks say whose pins are where. */
static void test_two_nodes_siblings_and_marks(void)
{
    g_autoptr(HostModel) host = host_of(domain("web1", true, web_xml),
                                        domain("db1", true, other_xml));
    const struct vm_domain *web = g_ptr_array_index(host->domains, 0);
    g_autoptr(CpuTopology) t = two_nodes();
    g_autoptr(ViewPinsState) st = view_pins_state_new(web);
    g_autoptr(ViewPins) v = NULL;
    const char *node = NULL, *core = NULL, *node4 = NULL, *core4 = NULL;
    const struct view_pin_cell *c0, *c1, *c2, *c4, *c5, *c6;

    v = view_pins_build(st, t, host, web);
    g_assert_cmpuint(v->nodes->len, ==, 2);
    c0 = cell_of(v, 0, &node, &core);
    c4 = cell_of(v, 4, &node4, &core4);
    g_assert_cmpstr(node, ==, "node 0");
    g_assert_cmpstr(node4, ==, "node 0");
    g_assert_cmpstr(core, ==, core4);          /* siblings side by side */
    c6 = cell_of(v, 6, &node, &core);
    g_assert_cmpstr(node, ==, "node 1");
    c1 = cell_of(v, 1, &node, &core);
    c2 = cell_of(v, 2, &node, &core);
    c5 = cell_of(v, 5, &node, &core);
    g_assert_true(c0->mine);                   /* web1's vcpu 0 */
    g_assert_true(c4->mine);                   /* web1's emulator */
    g_assert_true(c1->chosen);                 /* iothread 1's pin, the cursor row */
    g_assert_false(c1->mine);
    g_assert_true(c2->others);                 /* db1's vcpu 0 */
    g_assert_true(c5->others);                 /* db1's iothread 1 */
    g_assert_false(c6->others || c6->mine || c6->chosen);
    g_assert_true(c0->cursor);
    g_assert_cmpstr(v->cursor_cpu, ==, "CPU 0: this domain's vcpu 0");
    g_assert_cmpuint(v->rows->len, ==, 2);
    g_assert_nonnull(strstr(g_ptr_array_index(v->rows, 0), "CPUs 1 "));
    g_assert_nonnull(strstr(g_ptr_array_index(v->rows, 0), "disks vda"));
    g_assert_nonnull(strstr(g_ptr_array_index(v->rows, 1), "not pinned"));
    g_assert_nonnull(strstr(v->note, "change now (live)"));
}

/* No NUMA: one group; cores keep their two threads together. A shut-off domain's note says
 * its definition changes. */
static void test_one_node_grouping(void)
{
    g_autoptr(HostModel) host = host_of(domain("web1", false, web_xml), NULL);
    const struct vm_domain *web = g_ptr_array_index(host->domains, 0);
    struct cpu_topology *t = one_node();
    g_autoptr(ViewPinsState) st = view_pins_state_new(web);
    g_autoptr(ViewPins) v = view_pins_build(st, t, host, web);
    const struct view_pin_node *n;

    g_assert_cmpuint(v->nodes->len, ==, 1);
    n = g_ptr_array_index(v->nodes, 0);
    g_assert_cmpstr(n->label, ==, "CPUs");
    g_assert_cmpuint(n->cores->len, ==, 2);
    g_assert_cmpuint(((struct view_pin_core *)g_ptr_array_index(n->cores, 0))->cells->len, ==, 2);
    g_assert_nonnull(strstr(v->note, "shut off"));
    topology_free(t);
}

/* Toggling, typing (a refused list keeps the row as it was and says why), adding and
 * removing iothreads, and the request that results. */
static void test_editing_and_the_request(void)
{
    g_autoptr(HostModel) host = host_of(domain("web1", true, web_xml), NULL);
    const struct vm_domain *web = g_ptr_array_index(host->domains, 0);
    g_autoptr(CpuTopology) t = two_nodes();
    g_autoptr(ViewPinsState) st = view_pins_state_new(web);
    g_autoptr(ApplyRequest) req = NULL;
    const struct apply_pin_request *p;
    const char *typed[] = { "5", "-", "1" };

    /* Nothing changed: no request, and why. */
    g_assert_null(view_pins_request(st, 8));
    g_assert_nonnull(strstr(st->error, "nothing changed"));
    /* Space on CPU 0 (the cursor) adds it to iothread 1: 0-1. */
    view_pins_toggle(st, t);
    g_assert_null(st->error);
    req = view_pins_request(st, 8);
    g_assert_nonnull(req);
    g_assert_cmpuint(req->pins->len, ==, 1);
    p = g_ptr_array_index(req->pins, 0);
    g_assert_cmpuint(p->iothread, ==, 1);
    g_assert_cmpstr(p->cpuset, ==, "0-1");
    g_assert_cmpint(req->iothreads, ==, -1);
    g_clear_pointer(&req, apply_request_free);

    /* Typing "5-1" on iothread 2: refused as you type (a reversed range). */
    st->row = 1;
    for (size_t i = 0; i < G_N_ELEMENTS(typed); i++)
        view_pins_type(st, typed[i][0], 8);
    g_assert_nonnull(st->error);
    g_assert_nonnull(strstr(st->error, "reversed"));
    g_assert_null(view_pins_request(st, 8));
    view_pins_erase(st, 8);
    view_pins_type(st, '6', 8);
    g_assert_null(st->error);
    /* A CPU the host lacks. */
    view_pins_type(st, '9', 8);
    g_assert_nonnull(strstr(st->error, "CPU 8 is not on this host (it has CPUs 0-7)"));
    view_pins_erase(st, 8);
    g_assert_null(st->error);

    /* + adds iothread 3 (the lowest free id); x on it removes it again; x on iothread 2
     * (no disk) works, on iothread 1 (vda uses it) it is refused. */
    view_pins_add(st);
    g_assert_cmpuint(st->rows->len, ==, 3);
    g_assert_cmpuint(((struct view_pins_row *)g_ptr_array_index(st->rows, 2))->id, ==, 3);
    view_pins_remove(st, web);
    view_pins_remove(st, web);
    g_assert_cmpuint(st->rows->len, ==, 1);
    view_pins_remove(st, web);
    g_assert_cmpuint(st->rows->len, ==, 1);
    g_assert_nonnull(strstr(st->error, "iothread 1 is used by vda"));
    view_pins_add(st);
    req = view_pins_request(st, 8);
    g_assert_nonnull(req);
    /* Two again (1 and a new 2, as before): no count change, iothread 1's pin still asked. */
    g_assert_cmpint(req->iothreads, ==, -1);
    g_assert_cmpuint(req->pins->len, ==, 1);
    g_clear_pointer(&req, apply_request_free);
    view_pins_add(st);
    req = view_pins_request(st, 8);
    g_assert_cmpint(req->iothreads, ==, 3);
}

static void test_hostile_names_escaped(void)
{
    g_autoptr(HostModel) host = host_of(domain("evil", true, web_xml),
                                        domain("other", true, other_xml));
    const struct vm_domain *dom = g_ptr_array_index(host->domains, 0);
    g_autoptr(CpuTopology) t = two_nodes();
    g_autoptr(ViewPinsState) st = NULL;
    g_autoptr(ViewPins) v = NULL;

    g_free(((struct vm_domain *)dom)->name);
    ((struct vm_domain *)dom)->name = g_strdup("evil\x1b[2J\xe2\x80\xae");
    g_free(((struct vm_domain *)g_ptr_array_index(host->domains, 1))->name);
    ((struct vm_domain *)g_ptr_array_index(host->domains, 1))->name = g_strdup("o\xc2\x9bx");
    st = view_pins_state_new(dom);
    st->cpu = 2;    /* CPU 2: the other domain's vcpu */
    v = view_pins_build(st, t, host, dom);
    g_assert_null(strchr(v->title, '\x1b'));
    g_assert_nonnull(strstr(v->title, "evil\\x1B[2J\\u{202E}"));
    g_assert_nonnull(strstr(v->cursor_cpu, "o\\x9Bx vcpu 0"));
}

static struct iothread_suggestion *suggestion_for(const struct host_model *host,
                                                  const struct vm_domain *dom)
{
    guint n = 0;
    g_autofree struct iothread_disk *disks = iothread_suggest_disks(dom, &n);
    g_autoptr(GError) err = NULL;
    struct iothread_suggestion *s = iothread_suggest(host, dom, disks, n, &err);

    g_assert_no_error(err);
    return s;
}

/* The editor opens on the suggestion: vda's iothread 1 on CPU 3 (the first whole core free:
 * 0 is web1's vCPU, 1's sibling 5 and 2 are db1's), said on a line with the reason for the
 * cursor row; o shows the current pins (nothing to apply) and back. */
static void test_preselects_the_suggestion(void)
{
    g_autoptr(HostModel) host = host_of(domain("web1", true, web_xml),
                                        domain("db1", true, other_xml));
    const struct vm_domain *web = g_ptr_array_index(host->domains, 0);
    g_autoptr(CpuTopology) t = two_nodes();
    g_autoptr(ViewPinsState) st = view_pins_state_new(web);
    g_autoptr(IothreadSuggestion) s = NULL;
    g_autoptr(ViewPins) v = NULL;
    g_autoptr(ApplyRequest) req = NULL;
    const struct apply_pin_request *p;

    host->topology = g_steal_pointer(&t);
    s = suggestion_for(host, web);
    view_pins_preselect(st, s);
    g_assert_true(st->showing_suggestion);
    g_assert_cmpuint(st->rows->len, ==, 2);
    v = view_pins_build(st, host->topology, host, web);
    g_assert_nonnull(strstr(g_ptr_array_index(v->rows, 0), "CPUs 3 "));
    g_assert_nonnull(strstr(g_ptr_array_index(v->rows, 1), "not pinned"));
    g_assert_cmpstr(v->origin, ==, "preselected: the suggestion (1 iothread for 1 busy disk; 4 "
                                   "CPUs free (1,3-4,6), one left to the host); o: the domain's "
                                   "current pins");
    g_assert_nonnull(v->why);
    g_assert_true(g_str_has_prefix(v->why, "iothread 1 for vda on CPU 3: NUMA node 1 (the node "
                                           "of vda's device is unknown), a whole core free"));
    req = view_pins_request(st, 8);
    g_assert_nonnull(req);
    g_assert_cmpint(req->iothreads, ==, -1);
    g_assert_cmpuint(req->pins->len, ==, 1);
    p = g_ptr_array_index(req->pins, 0);
    g_assert_cmpuint(p->iothread, ==, 1);
    g_assert_cmpstr(p->cpuset, ==, "3");
    g_clear_pointer(&req, apply_request_free);

    view_pins_switch(st);
    g_clear_pointer(&v, view_pins_free);
    v = view_pins_build(st, host->topology, host, web);
    g_assert_nonnull(strstr(g_ptr_array_index(v->rows, 0), "CPUs 1 "));
    g_assert_cmpstr(v->origin, ==, "the domain's current pins; o: the suggestion (1 iothread for "
                                   "1 busy disk; 4 CPUs free (1,3-4,6), one left to the host)");
    g_assert_null(v->why);
    g_assert_null(view_pins_request(st, 8));
    g_assert_nonnull(strstr(st->error, "nothing changed"));
    view_pins_switch(st);
    g_assert_cmpuint(((struct view_pins_row *)g_ptr_array_index(st->rows, 0))->cpus->len, ==, 1);
    g_assert_cmpuint(g_array_index(((struct view_pins_row *)g_ptr_array_index(st->rows, 0))->cpus,
                                   unsigned, 0), ==, 3);
    g_assert_null(st->error);
}

/* A domain without iothreads: the suggestion's iothreads come as `+` adds them (new), so
 * Enter asks for the count and their pins; o gives the editor as it was, with no row. */
static void test_preselect_adds_iothreads(void)
{
    static const char bare_xml[] =
        "<devices><disk type='file' device='disk'><source file='/a.img'/>"
        "<target dev='vda' bus='virtio'/></disk><disk type='file' device='disk'>"
        "<source file='/b.img'/><target dev='vdb' bus='virtio'/></disk></devices>";
    g_autoptr(HostModel) host = host_of(domain("bare", false, bare_xml), NULL);
    const struct vm_domain *dom = g_ptr_array_index(host->domains, 0);
    g_autoptr(ViewPinsState) st = view_pins_state_new(dom);
    g_autoptr(IothreadSuggestion) s = NULL;
    g_autoptr(ApplyRequest) req = NULL;

    host->topology = two_nodes();
    s = suggestion_for(host, dom);
    view_pins_preselect(st, s);
    g_assert_cmpuint(st->rows->len, ==, 2);
    g_assert_true(((struct view_pins_row *)g_ptr_array_index(st->rows, 1))->added);
    req = view_pins_request(st, 8);
    g_assert_nonnull(req);
    g_assert_cmpint(req->iothreads, ==, 2);
    g_assert_cmpuint(req->pins->len, ==, 2);
    g_assert_cmpstr(((struct apply_pin_request *)g_ptr_array_index(req->pins, 0))->cpuset, ==, "0");
    g_assert_cmpstr(((struct apply_pin_request *)g_ptr_array_index(req->pins, 1))->cpuset, ==, "1");
    view_pins_switch(st);
    g_assert_cmpuint(st->rows->len, ==, 0);
}

/* No topology: no suggestion, the editor opens as before, o does nothing. */
static void test_no_suggestion_opens_as_before(void)
{
    g_autoptr(HostModel) host = host_of(domain("web1", true, web_xml), NULL);
    const struct vm_domain *web = g_ptr_array_index(host->domains, 0);
    g_autoptr(ViewPinsState) st = view_pins_state_new(web);
    g_autoptr(ViewPins) v = NULL;
    guint n = 0;
    g_autofree struct iothread_disk *disks = iothread_suggest_disks(web, &n);

    view_pins_preselect(st, iothread_suggest(host, web, disks, n, NULL));
    view_pins_switch(st);
    v = view_pins_build(st, NULL, host, web);
    g_assert_null(v->origin);
    g_assert_false(st->showing_suggestion);
    g_assert_nonnull(strstr(g_ptr_array_index(v->rows, 0), "CPUs 1 "));
}

/* ---- the apply dialog -------------------------------------------------------------------- */

static struct apply_plan *fake_plan(void)
{
    struct apply_plan *p = g_new0(struct apply_plan, 1);
    struct apply_change *c = g_new0(struct apply_change, 1);

    p->domain = g_strdup("web1");
    p->changes = g_ptr_array_new();
    p->live_ops = g_ptr_array_new();
    c->text = g_strdup("vda: cache none → writethrough");
    c->when = APPLY_AT_POWER_CYCLE;
    g_ptr_array_add(p->changes, c);
    return p;
}

static void free_fake_plan(struct apply_plan *p)
{
    struct apply_change *c = g_ptr_array_index(p->changes, 0);

    g_free(c->text);
    g_free(c);
    g_ptr_array_unref(p->changes);
    g_ptr_array_unref(p->live_ops);
    g_free(p->domain);
    g_free(p);
}

static char *joined(const struct view_apply *v)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < v->lines->len; i++)
        g_string_append_printf(s, "%s\n", ((struct view_line *)g_ptr_array_index(v->lines, i))->text);
    return g_string_free(s, FALSE);
}

static void test_apply_dialog_phases(void)
{
    struct apply_plan *plan = fake_plan();
    struct apply_report r = { 0 };
    struct view_apply_input in = { .phase = VIEW_APPLY_PLANNED, .domain = "web1", .plan = plan,
                                   .diff = "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n" };
    g_autoptr(ViewApply) planned = view_apply_build(&in);
    g_autoptr(ViewApply) applying = NULL, done = NULL, refused = NULL;
    g_autofree char *text = joined(planned), *dtext = NULL, *rtext = NULL;

    g_assert_nonnull(strstr(text, "vda: cache none → writethrough"));
    g_assert_nonnull(strstr(text, "at next power-off and start"));
    g_assert_nonnull(strstr(text, "  +y\n"));
    g_assert_nonnull(strstr(planned->hint, "Enter apply"));

    in.phase = VIEW_APPLY_APPLYING;
    in.spin = 1;
    applying = view_apply_build(&in);
    g_assert_true(g_str_has_prefix(((struct view_line *)g_ptr_array_index(
        applying->lines, applying->lines->len - 1))->text, "applying /"));

    r.done = g_ptr_array_new_with_free_func(g_free);
    r.checks = g_ptr_array_new_with_free_func(g_free);
    r.notes = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(r.done, g_strdup("defined 'web1'"));
    g_ptr_array_add(r.checks, g_strdup("ok: definition: fine"));
    g_ptr_array_add(r.checks, g_strdup("MISMATCH: QEMU: vda runs cache.direct=on"));
    in.phase = VIEW_APPLY_FAILED;
    in.error = "domain 'web1': 1 check(s) found what was planned is not there";
    in.report = &r;
    done = view_apply_build(&in);
    dtext = joined(done);
    g_assert_nonnull(strstr(dtext, "Verified:\n  ok: definition: fine\n"));
    for (guint i = 0; i < done->lines->len; i++) {
        const struct view_line *l = g_ptr_array_index(done->lines, i);
        if (strstr(l->text, "MISMATCH"))
            g_assert_cmpint(l->kind, ==, VIEW_LINE_BAD);
        if (strstr(l->text, "ok: definition"))
            g_assert_cmpint(l->kind, ==, VIEW_LINE_OK);
    }

    in.phase = VIEW_APPLY_REFUSED;
    in.error = "disk 'vd\x1bz': bus sata cannot use an iothread";
    refused = view_apply_build(&in);
    rtext = joined(refused);
    g_assert_nonnull(strstr(rtext, "vd\\x1Bz"));
    g_assert_null(strchr(rtext, '\x1b'));
    g_assert_nonnull(strstr(rtext, "nothing written"));
    apply_report_clear(&r);
    free_fake_plan(plan);
}

static void test_history_lines(void)
{
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func((GDestroyNotify)undo_record_free);
    struct undo_record *a = undo_record_new(), *b = undo_record_new();
    g_autoptr(ViewApply) v = NULL;
    g_autofree char *text = NULL;

    a->time = g_strdup("2026-12-01T10:00:00.123Z");
    a->undone = true;
    g_ptr_array_add(a->changes, g_strdup("vda: cache none → writethrough"));
    b->time = g_strdup("2026-12-01T11:00:00.456Z");
    g_ptr_array_add(b->changes, g_strdup("iothread 1: pinned 0 → 1"));
    g_ptr_array_add(b->changes, g_strdup("x\x1b"));
    g_ptr_array_add(records, a);
    g_ptr_array_add(records, b);
    v = view_history_build("web1", records, "/var/lib/virt-disktune/apply");
    text = joined(v);
    /* Newest first; undone ones say so. */
    g_assert_nonnull(strstr(text, "2026-12-01T11:00:00  applied  iothread 1: pinned 0 → 1; x\\x1B\n"
                                  "2026-12-01T10:00:00  undone   vda: cache none → writethrough\n"));
}

/* A typed list that went bad on one row is caught at Enter even after a move cleared the
 * message; x then + with ids that have a gap would swap an id, which a count cannot say. */
static void test_request_rechecks_rows_and_ids(void)
{
    static const char gap_xml[] =
        "<iothreads>2</iothreads><iothreadids><iothread id='1'/><iothread id='3'/></iothreadids>"
        "<devices><disk type='file' device='disk'><driver name='qemu' iothread='1'/>"
        "<source file='/i.img'/><target dev='vda' bus='virtio'/></disk></devices>";
    g_autoptr(HostModel) host = host_of(domain("gap", true, gap_xml), NULL);
    const struct vm_domain *dom = g_ptr_array_index(host->domains, 0);
    g_autoptr(CpuTopology) t = two_nodes();
    g_autoptr(ViewPinsState) st = view_pins_state_new(dom);

    view_pins_type(st, '9', 8);
    g_assert_nonnull(st->error);
    st->row = 1;
    view_pins_toggle(st, t);           /* clears the message */
    g_assert_null(st->error);
    g_assert_null(view_pins_request(st, 8));
    g_assert_nonnull(strstr(st->error, "CPU 9 is not on this host"));

    g_clear_pointer(&st, view_pins_state_free);
    st = view_pins_state_new(dom);
    view_pins_remove(st, dom);         /* 3 goes */
    view_pins_add(st);                 /* 2 comes: the lowest free id */
    view_pins_toggle(st, t);
    g_assert_null(view_pins_request(st, 8));
    g_assert_nonnull(strstr(st->error, "apply changes the count only"));
}

/* The disks pane marks what the definition changes and the running domain does not have. */
static void test_disk_pending_mark(void)
{
    static const char live[] = "<domain><name>w</name><devices><disk type='file' device='disk'>"
        "<driver name='qemu' cache='none' io='native'/><source file='/a'/>"
        "<target dev='vda' bus='virtio'/></disk></devices></domain>";
    static const char next[] = "<domain><name>w</name><devices><disk type='file' device='disk'>"
        "<driver name='qemu' cache='none' io='io_uring' iothread='2'/><source file='/a'/>"
        "<target dev='vda' bus='virtio'/></disk></devices></domain>";
    g_autoptr(VmDomain) d = g_new0(struct vm_domain, 1);
    g_autoptr(ViewDisks) v = NULL;
    const struct view_disk_row *row;

    d->name = g_strdup("w");
    d->active = true;
    d->live = domxml_parse(live, strlen(live), NULL);
    d->inactive = domxml_parse(next, strlen(next), NULL);
    v = view_disks_build(d);
    row = g_ptr_array_index(v->disks, 0);
    g_assert_cmpstr(row->settings, ==, "cache=none io=native no iothread");
    g_assert_cmpstr(row->pending, ==, "pending (at next power-off and start): io=io_uring iothread=2");
    /* Shut off: the definition is what it has, nothing pending. */
    d->active = false;
    g_clear_pointer(&v, view_disks_free);
    v = view_disks_build(d);
    g_assert_null(((struct view_disk_row *)g_ptr_array_index(v->disks, 0))->pending);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/view-pins/two-nodes-siblings-and-marks", test_two_nodes_siblings_and_marks);
    g_test_add_func("/view-pins/one-node-grouping", test_one_node_grouping);
    g_test_add_func("/view-pins/editing-and-the-request", test_editing_and_the_request);
    g_test_add_func("/view-pins/hostile-names-escaped", test_hostile_names_escaped);
    g_test_add_func("/view-pins/request-rechecks-rows-and-ids", test_request_rechecks_rows_and_ids);
    g_test_add_func("/view-pins/preselects-the-suggestion", test_preselects_the_suggestion);
    g_test_add_func("/view-pins/preselect-adds-iothreads", test_preselect_adds_iothreads);
    g_test_add_func("/view-pins/no-suggestion-opens-as-before", test_no_suggestion_opens_as_before);
    g_test_add_func("/view-disks/pending-mark", test_disk_pending_mark);
    g_test_add_func("/view-apply/dialog-phases", test_apply_dialog_phases);
    g_test_add_func("/view-apply/history-lines", test_history_lines);
    return g_test_run();
}
