/* core/iothread_suggest.c on synthetic hosts: two NUMA nodes (the fake sysfs tree of
 * tests/data/sysfs/cpus, 8 CPUs, siblings 0/4 1/5 on node 0 and 2/6 3/7 on node 1, CPU 7
 * offline) and topologies built here; other domains' vCPUs, emulator and iothreads pinned,
 * a shut-off domain's pins, the domain's own vCPU pins, more busy disks than free cores, no
 * free CPU, an unknown node, ids kept, the nearest node by distance, the JSON view. */
#include <stdarg.h>
#include <string.h>
#include <glib.h>
#include "core/domxml.h"
#include "core/iothread_suggest.h"
#include "probes/topology.h"

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

/* The host: the domains (the first is the one suggested for) on topology t (owned). */
static struct host_model *host_of(struct cpu_topology *t, struct vm_domain *first, ...)
{
    struct host_model *h = g_new0(struct host_model, 1);
    va_list ap;

    h->topology = t;
    h->domains = g_ptr_array_new_with_free_func((GDestroyNotify)vm_domain_free);
    va_start(ap, first);
    for (struct vm_domain *d = first; d; d = va_arg(ap, struct vm_domain *))
        g_ptr_array_add(h->domains, d);
    va_end(ap);
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

static void clear_cpu(gpointer p)
{
    g_free(((struct topology_cpu *)p)->siblings);
}

static void clear_node(gpointer p)
{
    g_free(((struct topology_node *)p)->cpus);
    g_free(((struct topology_node *)p)->distance);
}

/* An empty topology whose arrays free what they hold, as topology_read()'s do. */
static struct cpu_topology *topology_new(void)
{
    struct cpu_topology *t = g_new0(struct cpu_topology, 1);

    t->cpus = g_array_new(FALSE, TRUE, sizeof(struct topology_cpu));
    t->nodes = g_array_new(FALSE, TRUE, sizeof(struct topology_node));
    g_array_set_clear_func(t->cpus, clear_cpu);
    g_array_set_clear_func(t->nodes, clear_node);
    return t;
}

/* One socket, no NUMA, two cores of two threads: core 0 is CPUs 0 and 2, core 1 is 1 and 3. */
static struct cpu_topology *one_socket(void)
{
    struct cpu_topology *t = topology_new();
    static const char *const siblings[] = { "0,2", "1,3", "0,2", "1,3" };

    for (unsigned i = 0; i < 4; i++) {
        struct topology_cpu c = { .cpu = i, .online = true, .socket = 0, .core = (int)(i % 2),
                                  .node = -1, .siblings = g_strdup(siblings[i]) };
        g_array_append_val(t->cpus, c);
    }
    return t;
}

static const struct iothread_pick *nth(const struct iothread_suggestion *s, guint i)
{
    g_assert_cmpuint(i, <, s->iothreads->len);
    return g_ptr_array_index(s->iothreads, i);
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        g_error("\"%s\" does not contain \"%s\"", text, part);
}

static struct iothread_suggestion *suggest(const struct host_model *h,
                                           const struct iothread_disk *disks, guint n)
{
    g_autoptr(GError) err = NULL;
    struct iothread_suggestion *s = iothread_suggest(h, g_ptr_array_index(h->domains, 0), disks,
                                                     n, &err);

    g_assert_no_error(err);
    g_assert_nonnull(s);
    return s;
}

/* A disk on node 1 gets a node-1 CPU on a whole core, off its own vCPUs' CPUs. */
static void test_disk_on_node_1_gets_a_node_1_cpu(void)
{
    g_autoptr(HostModel) h = host_of(two_nodes(), domain("web1", true,
        "<cputune><vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='4'/></cputune>"), NULL);
    const struct iothread_disk disks[] = { { "vda", 1, true, 0, -1 } };
    g_autoptr(IothreadSuggestion) s = suggest(h, disks, 1);
    const struct iothread_pick *p = nth(s, 0);

    g_assert_cmpuint(s->iothreads->len, ==, 1);
    g_assert_cmpstr(p->cpuset, ==, "2");
    g_assert_cmpint(p->node, ==, 1);
    g_assert_cmpuint(p->id, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(p->disks, 0), ==, "vda");
    g_assert_true(s->own_vcpus_pinned);
    /* 0 and 4 are web1's vCPUs', 7 is offline: 5 free, one of them left to the host. */
    g_assert_cmpstr(s->free_cpuset, ==, "1-3,5-6");
    g_assert_cmpuint(s->limit, ==, 4);
    g_assert_cmpstr(p->why, ==, "iothread 1 for vda on CPU 2: NUMA node 1 where vda's device "
                                "is, a whole core free, off web1's own vCPUs (0,4); vda has no "
                                "iothread now.");
    assert_contains(s->summary, "1 iothread for 1 busy disk; 5 CPUs free (1-3,5-6), one left "
                                "to the host");
}

/* Whole cores first: two disks take one CPU of each core, the third a sibling. With its own
 * vCPUs unpinned the domain reserves nothing, and the reason says so. */
static void test_whole_cores_before_siblings(void)
{
    g_autoptr(HostModel) h = host_of(one_socket(), domain("web1", true, ""), NULL);
    const struct iothread_disk disks[] = {
        { "vda", -1, true, 0, -1 }, { "vdb", -1, true, 0, -1 }, { "vdc", -1, true, 0, -1 },
    };
    g_autoptr(IothreadSuggestion) s = suggest(h, disks, 3);

    g_assert_cmpuint(s->iothreads->len, ==, 3);
    g_assert_cmpstr(nth(s, 0)->cpuset, ==, "0");
    g_assert_cmpstr(nth(s, 1)->cpuset, ==, "1");
    g_assert_cmpstr(nth(s, 2)->cpuset, ==, "2");
    assert_contains(nth(s, 0)->why, "a whole core free");
    assert_contains(nth(s, 1)->why, "a whole core free");
    assert_contains(nth(s, 2)->why, "the hyperthread sibling of CPU 0 (no whole core left)");
    assert_contains(nth(s, 0)->why, "the host has no NUMA nodes");
    assert_contains(nth(s, 0)->why, "nothing else pinned on the host");
    g_assert_false(s->own_vcpus_pinned);
    assert_contains(nth(s, 0)->why, "web1's vCPUs are not pinned: they float over every CPU "
                                    "and reserve none");
    g_assert_cmpint(nth(s, 0)->node, ==, -1);
}

/* Other active domains' vCPUs, emulator and iothreads are never chosen; a shut-off
 * domain's pins count for nothing. Node 1 is all taken: the disk goes to node 0, said. */
static void test_other_domains_pins_never_chosen(void)
{
    g_autoptr(HostModel) h = host_of(two_nodes(),
        domain("web1", true, "<cputune><vcpupin vcpu='0' cpuset='0'/></cputune>"),
        domain("db1", true, "<iothreads>1</iothreads><cputune><vcpupin vcpu='0' cpuset='2-3'/>"
                            "<emulatorpin cpuset='6'/><iothreadpin iothread='1' cpuset='1'/>"
                            "</cputune>"),
        domain("mail1", false, "<cputune><vcpupin vcpu='0' cpuset='5'/></cputune>"), NULL);
    const struct iothread_disk disks[] = { { "vda", 1, true, 0, -1 } };
    g_autoptr(IothreadSuggestion) s = suggest(h, disks, 1);
    const struct iothread_pick *p = nth(s, 0);

    g_assert_cmpstr(s->free_cpuset, ==, "4-5");
    g_assert_cmpuint(s->limit, ==, 2);
    g_assert_cmpstr(p->cpuset, ==, "4");
    g_assert_cmpint(p->node, ==, 0);
    g_assert_cmpstr(p->why, ==, "iothread 1 for vda on CPU 4: NUMA node 0, the nearest to node 1 "
                                "where vda's device is (node 1 has no free CPU), the hyperthread "
                                "sibling of CPU 0 (no whole core left), off db1's vCPUs (2-3), "
                                "db1's emulator (6), db1's iothreads (1) and web1's own vCPUs "
                                "(0); vda has no iothread now.");
}

/* Its own pins in the definition and in the live configuration both count: a running domain
 * whose next start has other pins must not get an iothread on either. */
static void test_own_live_and_defined_vcpu_pins_never_chosen(void)
{
    struct vm_domain *web = domain("web1", true, "<cputune><vcpupin vcpu='0' cpuset='0'/>"
                                                 "</cputune>");
    g_autoptr(HostModel) h = NULL;
    static const char live[] = "<domain type='kvm'><name>web1</name><vcpu>2</vcpu><cputune>"
                               "<vcpupin vcpu='0' cpuset='1'/></cputune></domain>";
    const struct iothread_disk disks[] = { { "vda", -1, true, 0, -1 } };
    g_autoptr(IothreadSuggestion) s = NULL;

    vm_config_free(web->live);
    web->live = domxml_parse(live, strlen(live), NULL);
    h = host_of(one_socket(), web, NULL);
    s = suggest(h, disks, 1);
    g_assert_cmpstr(s->free_cpuset, ==, "2-3");
    g_assert_cmpstr(nth(s, 0)->cpuset, ==, "2");
    assert_contains(nth(s, 0)->why, "off web1's own vCPUs (0-1)");
}

/* One free core (two threads) for three busy disks: two iothreads, the third disk shares the
 * one with fewer disks, and both the reason and the summary say so. */
static void test_more_busy_disks_than_free_cores(void)
{
    g_autoptr(HostModel) h = host_of(one_socket(), domain("web1", true, ""),
        domain("db1", true, "<cputune><vcpupin vcpu='0' cpuset='0,2'/></cputune>"), NULL);
    const struct iothread_disk disks[] = {
        { "vda", -1, true, 0, -1 }, { "vdb", -1, true, 0, -1 }, { "vdc", -1, true, 0, -1 },
    };
    g_autoptr(IothreadSuggestion) s = suggest(h, disks, 3);

    g_assert_cmpuint(s->limit, ==, 2);
    g_assert_cmpuint(s->iothreads->len, ==, 2);
    g_assert_cmpstr(nth(s, 0)->cpuset, ==, "1");
    g_assert_cmpstr(nth(s, 1)->cpuset, ==, "3");
    g_assert_cmpuint(nth(s, 0)->disks->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(nth(s, 0)->disks, 1), ==, "vdc");
    assert_contains(nth(s, 0)->why, "iothread 1 for vda and vdc on CPU 1");
    assert_contains(nth(s, 0)->why, "vdc shares it: 3 busy disks, 2 iothreads allowed");
    assert_contains(nth(s, 1)->why, "the hyperthread sibling of CPU 1");
    assert_contains(nth(s, 1)->why, "off db1's vCPUs (0,2)");
    g_assert_cmpstr(s->summary, ==, "2 iothreads for 3 busy disks; 2 CPUs free (1,3); "
                                    "1 disk shares an iothread");
}

/* Every online CPU taken: one iothread for all, not pinned, and why. */
static void test_no_free_cpu_no_pin(void)
{
    g_autoptr(HostModel) h = host_of(one_socket(),
        domain("web1", true, "<cputune><vcpupin vcpu='0' cpuset='0-1'/></cputune>"),
        domain("db1", true, "<cputune><emulatorpin cpuset='2-3'/></cputune>"), NULL);
    const struct iothread_disk disks[] = { { "vda", -1, true, 0, -1 }, { "vdb", -1, true, 0, -1 } };
    g_autoptr(IothreadSuggestion) s = suggest(h, disks, 2);

    g_assert_cmpuint(s->free_cpus, ==, 0);
    g_assert_cmpstr(s->free_cpuset, ==, "");
    g_assert_cmpuint(s->iothreads->len, ==, 1);
    g_assert_null(nth(s, 0)->cpuset);
    g_assert_cmpint(nth(s, 0)->node, ==, -1);
    assert_contains(nth(s, 0)->why, "iothread 1 for vda and vdb, not pinned: no free CPU, every "
                                    "online one is taken by db1's emulator (2-3) and web1's "
                                    "own vCPUs (0-1)");
    assert_contains(nth(s, 0)->why, "vdb shares it: 2 busy disks, 1 iothread allowed");
    assert_contains(s->summary, "no CPU free: not pinned");
}

/* A device on no known node: the first whole free core anywhere, and the reason says the
 * node is unknown. */
static void test_unknown_numa_node(void)
{
    g_autoptr(HostModel) h = host_of(two_nodes(),
        domain("web1", true, "<cputune><vcpupin vcpu='0' cpuset='0-1'/></cputune>"), NULL);
    const struct iothread_disk disks[] = { { "vda", -1, true, 0, -1 } };
    g_autoptr(IothreadSuggestion) s = suggest(h, disks, 1);

    g_assert_cmpstr(nth(s, 0)->cpuset, ==, "2");
    assert_contains(nth(s, 0)->why, "NUMA node 1 (the node of vda's device is unknown), a whole "
                                    "core free");
}

/* A disk keeps its iothread id; one without takes the domain's id no disk uses, the next a
 * new id (the lowest the domain lacks); disks that are not busy are left out. */
static void test_ids_kept(void)
{
    g_autoptr(HostModel) h = host_of(two_nodes(), domain("web1", true,
        "<iothreads>3</iothreads><iothreadids><iothread id='1'/><iothread id='2'/>"
        "<iothread id='4'/></iothreadids>"), NULL);
    const struct iothread_disk disks[] = {
        { "vda", 0, true, 4, -1 }, { "vdb", 0, true, 0, -1 }, { "vdc", 0, false, 2, -1 },
        { "vdd", 0, true, 0, -1 },
    };
    g_autoptr(IothreadSuggestion) s = suggest(h, disks, 4);

    /* vdc (not busy) holds iothread 2, so vdb gets 1 and vdd the new 3. */
    g_assert_cmpuint(s->iothreads->len, ==, 3);
    g_assert_cmpuint(nth(s, 0)->id, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(nth(s, 0)->disks, 0), ==, "vdb");
    g_assert_cmpuint(nth(s, 1)->id, ==, 3);
    g_assert_cmpstr(g_ptr_array_index(nth(s, 1)->disks, 0), ==, "vdd");
    g_assert_cmpuint(nth(s, 2)->id, ==, 4);
    g_assert_cmpstr(g_ptr_array_index(nth(s, 2)->disks, 0), ==, "vda");
    g_assert_null(strstr(nth(s, 2)->why, "iothread now"));
    /* Node 0 first: whole cores 0 and 1 to vda and vdb, then vdd on a sibling there. */
    g_assert_cmpstr(nth(s, 2)->cpuset, ==, "0");
    g_assert_cmpstr(nth(s, 0)->cpuset, ==, "1");
    g_assert_cmpstr(nth(s, 1)->cpuset, ==, "4");
}

/* Three nodes; node 0's one CPU is taken. Its SLIT row puts node 2 nearer than node 1. */
static void test_nearest_node_by_distance(void)
{
    struct cpu_topology *t = topology_new();
    static const char *const rows[] = { "10 30 20", "30 10 20", "20 20 10" };
    g_autoptr(HostModel) h = NULL;
    const struct iothread_disk disks[] = { { "vda", 0, true, 0, -1 } };
    g_autoptr(IothreadSuggestion) s = NULL;

    for (unsigned i = 0; i < 3; i++) {
        struct topology_cpu c = { .cpu = i, .online = true, .socket = (int)i, .core = 0,
                                  .node = (int)i, .siblings = g_strdup_printf("%u", i) };
        struct topology_node n = { .node = i, .cpus = g_strdup_printf("%u", i),
                                   .distance = g_strdup(rows[i]) };
        g_array_append_val(t->cpus, c);
        g_array_append_val(t->nodes, n);
    }
    h = host_of(t, domain("web1", true, "<cputune><vcpupin vcpu='0' cpuset='0'/></cputune>"),
                NULL);
    s = suggest(h, disks, 1);
    g_assert_cmpstr(nth(s, 0)->cpuset, ==, "2");
    assert_contains(nth(s, 0)->why, "NUMA node 2, the nearest to node 0");
}

static void test_no_topology_is_an_error(void)
{
    g_autoptr(HostModel) h = host_of(NULL, domain("web1", true, ""), NULL);
    const struct iothread_disk disks[] = { { "vda", 0, true, 0, -1 } };
    g_autoptr(GError) err = NULL;

    g_assert_null(iothread_suggest(h, g_ptr_array_index(h->domains, 0), disks, 1, &err));
    g_assert_error(err, IOTHREAD_SUGGEST_ERROR, IOTHREAD_SUGGEST_ERROR_NO_TOPOLOGY);
    assert_contains(err->message, "topology is unknown");
}

/* The domain's disks: virtio ones and the scsi disks of a virtio-scsi controller with an
 * iothread (one unit: they share it); a sata disk and a cdrom without media are not. */
static void test_disks_of_a_domain(void)
{
    g_autoptr(HostModel) h = host_of(two_nodes(), domain("db1", true,
        "<iothreads>1</iothreads><devices>"
        "<controller type='scsi' index='0' model='virtio-scsi'><driver iothread='1'/></controller>"
        "<disk type='file' device='disk'><source file='/a'/><target dev='vda' bus='virtio'/></disk>"
        "<disk type='file' device='disk'><source file='/b'/><target dev='sda' bus='scsi'/></disk>"
        "<disk type='file' device='disk'><source file='/c'/><target dev='sdb' bus='scsi'/></disk>"
        "<disk type='file' device='disk'><source file='/d'/><target dev='sdc' bus='sata'/></disk>"
        "<disk type='file' device='cdrom'><target dev='vdz' bus='virtio'/></disk>"
        "</devices>"), NULL);
    const struct vm_domain *dom = g_ptr_array_index(h->domains, 0);
    guint n = 0;
    g_autofree struct iothread_disk *disks = iothread_suggest_disks(dom, &n);
    g_autoptr(IothreadSuggestion) s = NULL;

    g_assert_cmpuint(n, ==, 4);
    g_assert_cmpstr(disks[0].target, ==, "vda");
    g_assert_true(disks[0].busy);
    g_assert_cmpint(disks[0].numa_node, ==, -1);
    g_assert_cmpstr(disks[1].target, ==, "sda");
    g_assert_cmpuint(disks[1].iothread, ==, 1);
    g_assert_cmpint(disks[1].controller, ==, 0);
    g_assert_cmpstr(disks[3].target, ==, "vdz");
    g_assert_false(disks[3].busy);
    s = suggest(h, disks, n);
    /* vda gets its own (a new id, 2), sda and sdb keep the controller's iothread 1. */
    g_assert_cmpuint(s->busy, ==, 2);
    g_assert_cmpuint(s->iothreads->len, ==, 2);
    g_assert_cmpuint(nth(s, 0)->id, ==, 1);
    g_assert_cmpuint(nth(s, 0)->disks->len, ==, 2);
    assert_contains(nth(s, 0)->why, "iothread 1 for sda and sdb on CPU");
    g_assert_cmpuint(nth(s, 1)->id, ==, 2);
    assert_contains(nth(s, 1)->why, "vda has no iothread now");
}

static void test_json_view(void)
{
    g_autoptr(HostModel) h = host_of(one_socket(),
        domain("web1", true, "<cputune><vcpupin vcpu='0' cpuset='0-1'/></cputune>"),
        domain("db1", true, "<cputune><emulatorpin cpuset='2-3'/></cputune>"), NULL);
    const struct iothread_disk disks[] = { { "vda", -1, true, 0, -1 } };
    g_autoptr(IothreadSuggestion) s = suggest(h, disks, 1);
    json_object *o = iothread_suggestion_to_json(s);
    json_object *threads = NULL, *first, *v = NULL;

    g_assert_cmpint(json_object_object_length(o), ==, 7);
    g_assert_true(json_object_object_get_ex(o, "count", &v));
    g_assert_cmpint(json_object_get_int(v), ==, 1);
    g_assert_true(json_object_object_get_ex(o, "free_cpus", &v));
    g_assert_cmpstr(json_object_get_string(v), ==, "");
    g_assert_true(json_object_object_get_ex(o, "own_vcpus_pinned", &v));
    g_assert_true(json_object_get_boolean(v));
    g_assert_true(json_object_object_get_ex(o, "iothreads", &threads));
    first = json_object_array_get_idx(threads, 0);
    g_assert_cmpint(json_object_object_length(first), ==, 5);
    g_assert_true(json_object_object_get_ex(first, "cpuset", &v));
    g_assert_null(v);
    g_assert_true(json_object_object_get_ex(first, "disks", &v));
    g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(v, 0)), ==, "vda");
    g_assert_true(json_object_object_get_ex(first, "why", &v));
    g_assert_cmpstr(json_object_get_string(v), ==, nth(s, 0)->why);
    json_object_put(o);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/iothread-suggest/disk-on-node-1-gets-a-node-1-cpu",
                    test_disk_on_node_1_gets_a_node_1_cpu);
    g_test_add_func("/iothread-suggest/whole-cores-before-siblings", test_whole_cores_before_siblings);
    g_test_add_func("/iothread-suggest/other-domains-pins-never-chosen",
                    test_other_domains_pins_never_chosen);
    g_test_add_func("/iothread-suggest/own-live-and-defined-vcpu-pins-never-chosen",
                    test_own_live_and_defined_vcpu_pins_never_chosen);
    g_test_add_func("/iothread-suggest/more-busy-disks-than-free-cores",
                    test_more_busy_disks_than_free_cores);
    g_test_add_func("/iothread-suggest/no-free-cpu-no-pin", test_no_free_cpu_no_pin);
    g_test_add_func("/iothread-suggest/unknown-numa-node", test_unknown_numa_node);
    g_test_add_func("/iothread-suggest/ids-kept", test_ids_kept);
    g_test_add_func("/iothread-suggest/nearest-node-by-distance", test_nearest_node_by_distance);
    g_test_add_func("/iothread-suggest/no-topology-is-an-error", test_no_topology_is_an_error);
    g_test_add_func("/iothread-suggest/disks-of-a-domain", test_disks_of_a_domain);
    g_test_add_func("/iothread-suggest/json-view", test_json_view);
    return g_test_run();
}
