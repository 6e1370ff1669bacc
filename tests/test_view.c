/* The console's view models and key map, without a terminal: what each pane will say is
 * decided by these pure functions. */
#include <curses.h>
#include <glib.h>
#include <locale.h>
#include <string.h>
#include "core/backing.h"
#include "core/model.h"
#include "probes/topology.h"
#include "tui/keymap.h"
#include "tui/view.h"
#include "tests/testutil.h"

static struct vm_disk *make_disk(const char *target, const char *bus, const char *source,
                                 const char *cache, const char *io, int iothread)
{
    struct vm_disk *d = g_new0(struct vm_disk, 1);

    d->type = g_strdup("file");
    d->device = g_strdup("disk");
    d->target = g_strdup(target);
    d->bus = g_strdup(bus);
    d->source = g_strdup(source);
    d->cache = g_strdup(cache);
    d->io = g_strdup(io);
    d->iothread = iothread;
    d->benchable = true;
    return d;
}

static struct backing *make_file_backing(const char *source, const char *fstype,
                                         const char *mountpoint)
{
    struct backing *b = g_new0(struct backing, 1);

    b->kind = BACKING_FILE;
    b->source = g_strdup(source);
    b->resolved = g_strdup(source);
    b->fstype = g_strdup(fstype);
    b->mountpoint = g_strdup(mountpoint);
    return b;
}

static void add_pin(GPtrArray *pins, unsigned id, const char *cpuset)
{
    struct vm_pin *p = g_new0(struct vm_pin, 1);

    p->id = id;
    p->cpuset = g_strdup(cpuset);
    g_ptr_array_add(pins, p);
}

static struct vm_domain *make_domain(const char *name, enum vm_state state, unsigned vcpus)
{
    struct vm_domain *dom = g_new0(struct vm_domain, 1);
    struct vm_config *cfg = vm_config_new();

    dom->name = g_strdup(name);
    dom->state = state;
    dom->active = state != VM_STATE_SHUTOFF;
    dom->persistent = true;
    dom->vcpus = vcpus;
    cfg->vcpus = vcpus;
    cfg->max_vcpus = vcpus;
    dom->inactive = cfg;
    if (dom->active)
        dom->live = vm_config_new();
    return dom;
}

/* web1 running with two iothreads (ids given for both), pins and three disks;
 * backup1 shut off with a network disk; and a domain that vanished mid-listing. */
static struct host_model *make_host(void)
{
    struct host_model *host = g_new0(struct host_model, 1);
    struct vm_domain *web1 = make_domain("web1", VM_STATE_RUNNING, 2);
    struct vm_domain *backup1 = make_domain("backup1", VM_STATE_SHUTOFF, 1);
    struct vm_domain *gone = make_domain("gone", VM_STATE_NOSTATE, 0);
    struct vm_config *live = web1->live;
    struct vm_disk *d;
    unsigned ids[] = { 1, 2 };

    host->uri = g_strdup("test:///demo/node.xml");
    host->hostname = g_strdup("host1");
    host->domains = g_ptr_array_new_with_free_func((GDestroyNotify)vm_domain_free);

    live->niothreads = 2;
    g_array_append_vals(live->iothread_ids, ids, 2);
    add_pin(live->vcpupins, 0, "0");
    add_pin(live->vcpupins, 1, "1");
    live->emulatorpin = g_strdup("0-1");
    add_pin(live->iothreadpins, 1, "0");
    d = make_disk("vda", "virtio", "/srv/web1-root.img", "none", "native", 1);
    d->backing = make_file_backing("/srv/web1-root.img", "ext4", "/srv");
    g_ptr_array_add(live->disks, d);
    d = make_disk("sdb", "scsi", "/srv/web1-data.img", NULL, NULL, 2);
    d->iothread_from_controller = true;
    d->backing = make_file_backing("/srv/web1-data.img", "xfs", "/srv");
    g_ptr_array_add(live->disks, d);
    d = make_disk("sda", "sata", NULL, NULL, NULL, 0);
    g_free(d->device);
    d->device = g_strdup("cdrom");
    d->benchable = false;
    d->reason = g_strdup("cdrom without media");
    g_ptr_array_add(live->disks, d);

    d = make_disk("vdb", "virtio", "nbd://nbd.example.org/archive", "none", NULL, 0);
    d->benchable = false;
    d->reason = g_strdup("network disk (nbd): not a local device");
    g_ptr_array_add(backup1->inactive->disks, d);
    g_ptr_array_add(backup1->inactive->disks,
                    make_disk("vda", "virtio", "/srv/backup1.img", NULL, NULL, 0));

    vm_config_free(gone->inactive);
    gone->inactive = NULL;
    gone->error = g_strdup("domain vanished while listing");

    g_ptr_array_add(host->domains, backup1);
    g_ptr_array_add(host->domains, gone);
    g_ptr_array_add(host->domains, web1);
    return host;
}

static void test_domain_rows_follow_the_model(void)
{
    g_autoptr(HostModel) host = make_host();
    g_autoptr(GPtrArray) rows = view_domains_build(host);
    const struct view_domain_row *r;

    g_assert_cmpuint(rows->len, ==, 3);
    r = g_ptr_array_index(rows, 0);
    g_assert_cmpstr(r->name, ==, "backup1");
    g_assert_cmpstr(r->state, ==, "shutoff");
    g_assert_false(r->active);
    g_assert_cmpuint(r->vcpus, ==, 1);
    g_assert_cmpuint(r->iothreads, ==, 0);
    g_assert_false(r->has_error);
    r = g_ptr_array_index(rows, 1);
    g_assert_cmpstr(r->name, ==, "gone");
    g_assert_true(r->has_error);
    r = g_ptr_array_index(rows, 2);
    g_assert_cmpstr(r->name, ==, "web1");
    g_assert_cmpstr(r->state, ==, "running");
    g_assert_true(r->active);
    g_assert_cmpuint(r->vcpus, ==, 2);
    g_assert_cmpuint(r->iothreads, ==, 2);
}

static void test_no_host_yet_gives_no_rows(void)
{
    g_autoptr(GPtrArray) rows = view_domains_build(NULL);
    g_autoptr(ViewDisks) v = view_disks_build(NULL);

    g_assert_cmpuint(rows->len, ==, 0);
    g_assert_cmpstr(v->title, ==, "");
    g_assert_cmpuint(v->disks->len, ==, 0);
}

static void test_iothread_count_includes_ids_beyond_the_count(void)
{
    g_autoptr(HostModel) host = make_host();
    struct vm_domain *web1 = host_model_find_domain(host, "web1");
    unsigned more[] = { 5 };
    g_autoptr(GPtrArray) rows = NULL;

    /* <iothreads>2</iothreads> with a third id listed: libvirt runs all three. */
    g_array_append_vals(web1->live->iothread_ids, more, 1);
    rows = view_domains_build(host);
    g_assert_cmpuint(((struct view_domain_row *)g_ptr_array_index(rows, 2))->iothreads, ==, 3);
}

static void test_domain_name_controls_are_escaped(void)
{
    g_autoptr(HostModel) host = make_host();
    struct vm_domain *web1 = host_model_find_domain(host, "web1");
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(ViewDisks) v = NULL;
    const struct view_domain_row *r;

    g_free(web1->name);
    web1->name = g_strdup("evil\x1b[2J\xe2\x80\xaename");
    rows = view_domains_build(host);
    r = g_ptr_array_index(rows, 2);
    g_assert_null(strchr(r->name, '\x1b'));
    g_assert_null(strstr(r->name, "\xe2\x80\xae"));
    g_assert_nonnull(strstr(r->name, "evil"));
    v = view_disks_build(web1);
    g_assert_null(strchr(v->title, '\x1b'));
}

static void test_disks_show_settings_source_and_beneath(void)
{
    g_autoptr(HostModel) host = make_host();
    g_autoptr(ViewDisks) v = view_disks_build(host_model_find_domain(host, "web1"));
    const struct view_disk_row *d;

    g_assert_cmpstr(v->title, ==, "web1, running, 2 vCPUs, 2 iothreads");
    g_assert_null(v->error);
    g_assert_cmpuint(v->disks->len, ==, 3);
    d = g_ptr_array_index(v->disks, 0);
    g_assert_cmpstr(d->target, ==, "vda");
    g_assert_cmpstr(d->bus, ==, "virtio");
    g_assert_cmpstr(d->source, ==, "/srv/web1-root.img");
    g_assert_cmpstr(d->settings, ==, "cache=none io=native iothread=1");
    g_assert_true(d->benchable);
    g_assert_true(g_str_has_prefix(d->beneath, "file on ext4 /srv"));
}

static void test_default_cache_and_controller_iothread_are_named(void)
{
    g_autoptr(HostModel) host = make_host();
    g_autoptr(ViewDisks) v = view_disks_build(host_model_find_domain(host, "web1"));
    const struct view_disk_row *d = g_ptr_array_index(v->disks, 1);

    g_assert_cmpstr(d->settings, ==, "cache=default io=default iothread=2 (controller)");
    g_assert_true(g_str_has_prefix(d->beneath, "file on xfs /srv"));
}

static void test_cdrom_without_media_shows_the_reason(void)
{
    g_autoptr(HostModel) host = make_host();
    g_autoptr(ViewDisks) v = view_disks_build(host_model_find_domain(host, "web1"));
    const struct view_disk_row *d = g_ptr_array_index(v->disks, 2);

    g_assert_cmpstr(d->source, ==, "(no media)");
    g_assert_cmpstr(d->settings, ==, "cache=default io=default no iothread");
    g_assert_false(d->benchable);
    g_assert_cmpstr(d->beneath, ==, "not benchable: cdrom without media");
}

static void test_shutoff_domain_shows_its_inactive_disks(void)
{
    g_autoptr(HostModel) host = make_host();
    g_autoptr(ViewDisks) v = view_disks_build(host_model_find_domain(host, "backup1"));
    const struct view_disk_row *d;

    g_assert_cmpstr(v->title, ==, "backup1, shutoff, 1 vCPU, 0 iothreads");
    g_assert_null(v->pins);
    g_assert_cmpuint(v->disks->len, ==, 2);
    d = g_ptr_array_index(v->disks, 0);
    g_assert_cmpstr(d->source, ==, "nbd://nbd.example.org/archive");
    g_assert_cmpstr(d->beneath, ==, "not benchable: network disk (nbd): not a local device");
    d = g_ptr_array_index(v->disks, 1);
    g_assert_cmpstr(d->beneath, ==, "backing not resolved");
}

static void test_unresolved_backing_says_why(void)
{
    g_autoptr(HostModel) host = make_host();
    struct vm_domain *backup1 = host_model_find_domain(host, "backup1");
    struct vm_disk *vda = vm_config_find_disk(backup1->inactive, "vda");
    g_autoptr(ViewDisks) v = NULL;
    const struct view_disk_row *d;

    vda->reason = g_strdup("/srv/backup1.img: No such file or directory");
    v = view_disks_build(backup1);
    d = g_ptr_array_index(v->disks, 1);
    g_assert_true(d->benchable);
    g_assert_cmpstr(d->beneath, ==,
                    "backing not resolved: /srv/backup1.img: No such file or directory");
}

static void test_pins_read_like_virsh(void)
{
    g_autoptr(HostModel) host = make_host();
    g_autoptr(ViewDisks) v = view_disks_build(host_model_find_domain(host, "web1"));

    g_assert_cmpstr(v->pins, ==, "pins: vcpu 0:0 1:1, emulator 0-1, iothread 1:0");
}

static void test_vanished_domain_shows_its_error(void)
{
    g_autoptr(HostModel) host = make_host();
    g_autoptr(ViewDisks) v = view_disks_build(host_model_find_domain(host, "gone"));

    g_assert_cmpstr(v->error, ==, "domain vanished while listing");
    g_assert_cmpuint(v->disks->len, ==, 0);
}

static void test_header_banner_only_when_read_only(void)
{
    g_autoptr(HostModel) host = make_host();
    g_autoptr(ViewHeader) rw = view_header_build("qemu:///system", false, NULL, host);
    g_autoptr(ViewHeader) ro = view_header_build("qemu:///system", true,
                                                 "authentication failed", host);
    g_autoptr(ViewHeader) loading = view_header_build("qemu:///system", false, NULL, NULL);

    g_assert_cmpstr(rw->uri, ==, "qemu:///system");
    g_assert_cmpstr(rw->hostname, ==, "host1");
    g_assert_cmpstr(rw->cpus, ==, "CPU topology unknown");
    g_assert_null(rw->banner);
    g_assert_nonnull(ro->banner);
    g_assert_true(g_str_has_prefix(ro->banner, "READ-ONLY"));
    g_assert_nonnull(strstr(ro->banner, "authentication failed"));
    g_assert_cmpstr(loading->hostname, ==, "…");
    g_assert_cmpstr(loading->cpus, ==, "");
}

/* The fixture: 2 sockets x 2 cores x 2 threads, 2 NUMA nodes, cpu7 offline
 * (cpu0 has no online file: the kernel cannot take it offline). */
static void test_topology_summary_counts_sockets_cores_nodes(void)
{
    g_autofree char *root = g_build_filename(g_getenv("VDT_TESTDATA"), "sysfs", "cpus", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(CpuTopology) t = topology_read(root, &err);
    g_autofree char *summary = NULL;

    g_assert_no_error(err);
    g_assert_nonnull(t);
    summary = model_topology_summary(t);
    g_assert_cmpstr(summary, ==,
                    "7 CPUs online of 8 (2 sockets, 4 cores, 2 threads/core), 2 NUMA nodes");
}

static void test_topology_summary_of_one_cpu(void)
{
    struct cpu_topology t = { 0 };
    struct topology_cpu cpu = { .cpu = 0, .online = true, .socket = 0, .core = 0, .node = -1 };
    g_autofree char *summary = NULL;

    t.cpus = g_array_new(FALSE, TRUE, sizeof(struct topology_cpu));
    g_array_append_val(t.cpus, cpu);
    summary = model_topology_summary(&t);
    g_assert_cmpstr(summary, ==, "1 CPU (1 socket, 1 core, 1 thread/core)");
    g_array_unref(t.cpus);
}

static void test_keys_map_to_their_actions(void)
{
    /* A pane's own table first, then the global one. */
    g_assert_cmpint(keymap_action(KEYS_LIST, 'j'), ==, ACTION_DOWN);
    g_assert_cmpint(keymap_action(KEYS_LIST, KEY_DOWN), ==, ACTION_DOWN);
    g_assert_cmpint(keymap_action(KEYS_LIST, 'k'), ==, ACTION_UP);
    g_assert_cmpint(keymap_action(KEYS_LIST, KEY_UP), ==, ACTION_UP);
    g_assert_cmpint(keymap_action(KEYS_LIST, '\t'), ==, ACTION_FOCUS);
    g_assert_cmpint(keymap_action(KEYS_LIST, 'r'), ==, ACTION_RELOAD);
    g_assert_cmpint(keymap_action(KEYS_LIST, '?'), ==, ACTION_HELP);
    g_assert_cmpint(keymap_action(KEYS_LIST, 27), ==, ACTION_CLOSE);
    g_assert_cmpint(keymap_action(KEYS_LIST, 'q'), ==, ACTION_QUIT);
    g_assert_cmpint(keymap_action(KEYS_LIST, 'x'), ==, ACTION_NONE);
    g_assert_cmpint(keymap_action(KEYS_LIST, 0), ==, ACTION_NONE);
    /* The same key means what the focused pane says: l moves in the results, not in a list. */
    g_assert_cmpint(keymap_action(KEYS_RESULTS, 'l'), ==, ACTION_RIGHT);
    g_assert_cmpint(keymap_action(KEYS_LIST, 'l'), ==, ACTION_NONE);
    g_assert_cmpint(keymap_action(KEYS_RESULTS, '\n'), ==, ACTION_SELECT);
    g_assert_cmpint(keymap_action(KEYS_DIALOG, ' '), ==, ACTION_TOGGLE);
    g_assert_cmpint(keymap_lookup(KEYS_DIALOG, 'b'), ==, ACTION_NONE);
    g_assert_cmpint(keymap_action(KEYS_HELP, '?'), ==, ACTION_CLOSE);
    g_assert_null(keymap_table(KEYS_COUNT));
}

static void test_every_action_has_a_key_and_help(void)
{
    bool seen[ACTION_COUNT] = { false };

    for (int id = 0; id < KEYS_COUNT; id++) {
        const struct keymap_table *t = keymap_table(id);

        g_assert_nonnull(t->name);
        for (size_t i = 0; i < t->n; i++) {
            const struct keymap_entry *e = &t->entries[i];

            g_assert_nonnull(e->label);
            g_assert_cmpuint(strlen(e->help), >, 0);
            g_assert_cmpint(e->keys[0], !=, 0);
            /* Each table is the truth: its keys resolve back to its actions. */
            for (size_t k = 0; k < KEYMAP_MAX_KEYS && e->keys[k]; k++)
                g_assert_cmpint(keymap_lookup(id, e->keys[k]), ==, e->action);
            seen[e->action] = true;
        }
    }
    for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++)
        g_assert_true(seen[a]);
}

static void test_help_and_bar_are_generated_from_the_tables(void)
{
    g_auto(GStrv) lines = keymap_help_lines(KEYS_GLOBAL);
    g_auto(GStrv) pins_first = keymap_help_lines(KEYS_PINS);
    g_autofree char *bar = keymap_bar();
    size_t line = 0;

    /* What has the focus comes first, then the global table. */
    g_assert_true(g_str_has_prefix(pins_first[0], keymap_table(KEYS_PINS)->name));
    g_assert_true(g_str_has_prefix(pins_first[keymap_table(KEYS_PINS)->n + 1],
                                   keymap_table(KEYS_GLOBAL)->name));
    g_assert_cmpuint(g_strv_length(pins_first), ==, g_strv_length(lines));
    for (int id = 0; id < KEYS_COUNT; id++) {
        const struct keymap_table *t = keymap_table(id);

        g_assert_true(g_str_has_prefix(lines[line], t->name));
        line++;
        for (size_t i = 0; i < t->n; i++, line++) {
            g_assert_nonnull(strstr(lines[line], t->entries[i].label));
            g_assert_true(g_str_has_suffix(lines[line], t->entries[i].help));
            if (t->entries[i].bar)
                g_assert_nonnull(strstr(bar, t->entries[i].bar));
        }
    }
    g_assert_null(lines[line]);
    g_assert_nonnull(strstr(bar, "q quit"));
    g_assert_true(g_str_has_prefix(bar, "j/k move"));
}

static void test_fit_cuts_at_columns_not_bytes(void)
{
    g_autofree char *ascii = NULL, *all = NULL, *accents = NULL, *wide = NULL, *none = NULL;

    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        testutil_skip("no C.UTF-8 locale");
        return;
    }
    ascii = view_fit("web1-root.img", 4);
    all = view_fit("web1", 10);
    accents = view_fit("d\xc3\xa9j\xc3\xa0 vu", 4);
    wide = view_fit("\xe6\x97\xa5\xe6\x9c\xac", 3);
    none = view_fit("web1", 0);
    setlocale(LC_CTYPE, "C");
    g_assert_cmpstr(ascii, ==, "web1");
    g_assert_cmpstr(all, ==, "web1");
    g_assert_cmpstr(accents, ==, "d\xc3\xa9j\xc3\xa0");
    /* Two columns each: the second would cross the edge, so it is left out whole. */
    g_assert_cmpstr(wide, ==, "\xe6\x97\xa5");
    g_assert_cmpstr(none, ==, "");
}

static void test_fit_shows_what_the_locale_cannot_as_one_mark(void)
{
    g_autofree char *s = NULL;

    g_assert_nonnull(setlocale(LC_CTYPE, "C"));
    s = view_fit("d\xc3\xa9j\xc3\xa0", 10);
    g_assert_cmpstr(s, ==, "d?j?");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/view/domain-rows-follow-the-model", test_domain_rows_follow_the_model);
    g_test_add_func("/view/no-host-yet-gives-no-rows", test_no_host_yet_gives_no_rows);
    g_test_add_func("/view/iothread-count-includes-ids-beyond-the-count",
                    test_iothread_count_includes_ids_beyond_the_count);
    g_test_add_func("/view/domain-name-controls-are-escaped", test_domain_name_controls_are_escaped);
    g_test_add_func("/view/disks-show-settings-source-and-beneath",
                    test_disks_show_settings_source_and_beneath);
    g_test_add_func("/view/default-cache-and-controller-iothread-are-named",
                    test_default_cache_and_controller_iothread_are_named);
    g_test_add_func("/view/cdrom-without-media-shows-the-reason",
                    test_cdrom_without_media_shows_the_reason);
    g_test_add_func("/view/shutoff-domain-shows-its-inactive-disks",
                    test_shutoff_domain_shows_its_inactive_disks);
    g_test_add_func("/view/unresolved-backing-says-why", test_unresolved_backing_says_why);
    g_test_add_func("/view/pins-read-like-virsh", test_pins_read_like_virsh);
    g_test_add_func("/view/vanished-domain-shows-its-error", test_vanished_domain_shows_its_error);
    g_test_add_func("/view/header-banner-only-when-read-only",
                    test_header_banner_only_when_read_only);
    g_test_add_func("/view/topology-summary-counts-sockets-cores-nodes",
                    test_topology_summary_counts_sockets_cores_nodes);
    g_test_add_func("/view/topology-summary-of-one-cpu", test_topology_summary_of_one_cpu);
    g_test_add_func("/view/fit-cuts-at-columns-not-bytes", test_fit_cuts_at_columns_not_bytes);
    g_test_add_func("/view/fit-shows-what-the-locale-cannot-as-one-mark",
                    test_fit_shows_what_the_locale_cannot_as_one_mark);
    g_test_add_func("/keymap/keys-map-to-their-actions", test_keys_map_to_their_actions);
    g_test_add_func("/keymap/every-action-has-a-key-and-help", test_every_action_has_a_key_and_help);
    g_test_add_func("/keymap/help-and-bar-are-generated-from-the-table",
                    test_help_and_bar_are_generated_from_the_tables);
    return g_test_run();
}
