/* virt-disktune list: the host model as a readable table or as JSON (docs/json.md). */
#include <signal.h>
#include <stdio.h>
#include "core/backing.h"
#include "core/host.h"
#include "core/model_json.h"
#include "core/textesc.h"
#include "tui/cli.h"

/* Every string from libvirt goes through here before it reaches the terminal. */
static void put_esc(const char *s)
{
    g_autofree char *e = textesc_escape(s);

    fputs(e, stdout);
}

static void print_host_line(const struct host_model *host)
{
    g_autofree char *hv = model_version_string(host->hv_version);
    g_autofree char *lib = model_version_string(host->lib_version);

    fputs("host ", stdout);
    put_esc(host->hostname ? host->hostname : "?");
    fputs("  ", stdout);
    put_esc(host->uri);
    printf("  hypervisor %s  libvirt %s", hv ? hv : "?", lib ? lib : "?");
    if (host->topology) {
        unsigned cpus, nodes;

        model_topology_counts(host->topology, &cpus, &nodes);
        printf("  %u CPUs, %u NUMA nodes", cpus, nodes);
    }
    printf("  %u domains\n", host->domains->len);
    if (host->read_only)
        puts("READ-ONLY connection: changes cannot be applied");
}

static void print_pins(const char *label, const GPtrArray *pins, bool *first)
{
    for (guint i = 0; i < pins->len; i++) {
        const struct vm_pin *pin = g_ptr_array_index(pins, i);

        printf("%s%s %u:", *first ? "    pins: " : ", ", label, pin->id);
        put_esc(pin->cpuset);
        *first = false;
    }
}

static void print_config_summary(const struct vm_config *cfg)
{
    bool first = true;

    printf("  iothreads %u", cfg->niothreads);
    for (guint i = 0; i < cfg->iothread_ids->len; i++)
        printf("%s%u", i == 0 ? " (ids " : ",", g_array_index(cfg->iothread_ids, unsigned, i));
    if (cfg->iothread_ids->len)
        fputs(")", stdout);
    putchar('\n');
    if (cfg->emulatorpin) {
        fputs("    pins: emulator:", stdout);
        put_esc(cfg->emulatorpin);
        first = false;
    }
    print_pins("vcpu", cfg->vcpupins, &first);
    print_pins("iothread", cfg->iothreadpins, &first);
    if (!first)
        putchar('\n');
}

static void print_disk(const struct vm_disk *disk)
{
    fputs("    ", stdout);
    put_esc(disk->target ? disk->target : "?");
    fputs("  ", stdout);
    put_esc(disk->type);
    putchar('/');
    put_esc(disk->device);
    fputs("  ", stdout);
    put_esc(disk->bus ? disk->bus : "-");
    fputs("  ", stdout);
    put_esc(disk->source ? disk->source : "(no media)");
    putchar('\n');
    fputs("        cache ", stdout);
    put_esc(disk->cache ? disk->cache : "default");
    fputs("  io ", stdout);
    put_esc(disk->io ? disk->io : "default");
    if (disk->iothread > 0)
        printf("  iothread %d%s", disk->iothread,
               disk->iothread_from_controller ? " (from its controller)" : "");
    if (disk->driver_type) {
        fputs("  format ", stdout);
        put_esc(disk->driver_type);
    }
    if (disk->backing_chain_len > 0)
        printf("  backing chain %d", disk->backing_chain_len);
    if (disk->readonly)
        fputs("  readonly", stdout);
    if (disk->shareable)
        fputs("  shareable", stdout);
    putchar('\n');
    if (disk->backing) {
        g_autofree char *line = backing_describe(disk->backing);

        fputs("        backing: ", stdout);
        put_esc(line);
        putchar('\n');
    }
    if (disk->reason) {
        fputs(disk->benchable ? "        unresolved: " : "        not benchable: ", stdout);
        put_esc(disk->reason);
        putchar('\n');
    }
}

static void print_domain(const struct vm_domain *dom)
{
    const struct vm_config *cfg = vm_domain_config(dom);

    putchar('\n');
    put_esc(dom->name);
    printf("  %s  %s  vcpus %u", vm_state_name(dom->state),
           dom->persistent ? "persistent" : "transient", dom->vcpus);
    if (cfg)
        print_config_summary(cfg);
    else
        putchar('\n');
    if (dom->error) {
        fputs("    error: ", stdout);
        put_esc(dom->error);
        putchar('\n');
    }
    if (vm_domain_pending_restart(dom))
        puts("    pending restart: a disk's cache, io or iothread differs in the persistent "
             "definition (takes effect at the next power-off and start)");
    for (guint i = 0; cfg && i < cfg->disks->len; i++)
        print_disk(g_ptr_array_index(cfg->disks, i));
}

static int print_json(const struct host_model *host)
{
    json_object *o = model_json_host(host);
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    /* Lossless for JSON readers, harmless on a terminal: C1 and bidi controls escaped. */
    g_autofree char *safe = textesc_json_needed(text) ? textesc_json(text) : NULL;
    int rc = puts(safe ? safe : text) < 0 ? EXIT_FAILED : EXIT_DONE;

    json_object_put(o);
    return rc;
}

/* Connect, load, print: the part after option parsing. */
static int list_host(const struct cli_conn_opts *conn_opts, bool json)
{
    struct cli_conn conn = { 0 };
    struct host_load_opts load_opts = { .resolve_backing = true };
    g_autoptr(HostModel) host = NULL;
    g_autoptr(GError) err = NULL;
    sigset_t stop_signals, old_mask;
    bool opened;

    /* The demo host lives in a scratch directory of images: a Ctrl-C while it exists is held
     * until the directory is gone (well under a second), then takes effect as usual. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
    opened = cli_conn_open(conn_opts, false, &conn);
    if (opened)
        host = host_load(conn.session, &load_opts, &err);
    cli_conn_close(&conn);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    if (!opened)
        return EXIT_FAILED;
    if (!host) {
        cli_error("%s", err->message);
        return EXIT_FAILED;
    }
    if (json)
        return print_json(host);
    print_host_line(host);
    for (guint i = 0; i < host->domains->len; i++)
        print_domain(g_ptr_array_index(host->domains, i));
    return fflush(stdout) == 0 ? EXIT_DONE : EXIT_FAILED;
}

int cmd_list_main(int argc, char **argv)
{
    struct cli_conn_opts conn_opts = { 0 };
    g_autoptr(GOptionContext) ctx = NULL;
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        { "json", 0, 0, G_OPTION_ARG_NONE, &json,
          "print the host model as JSON (docs/json.md)", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    int rc;

    g_set_prgname("virt-disktune list");
    ctx = g_option_context_new("- list the host's domains, disks and backing devices");
    g_option_context_set_summary(ctx,
        "Lists every domain (running or not) with its state, vCPUs, iothreads and pins, then\n"
        "each disk: target, type, bus, source, cache/io/iothread and the device or file\n"
        "under it. Disks that cannot be benchmarked say why.");
    g_option_context_add_main_entries(ctx, cli_conn_entries(&conn_opts), NULL);
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!cli_parse(ctx, &argc, &argv) || !cli_conn_opts_valid(&conn_opts)) {
        rc = EXIT_USAGE;
    } else if (argc > 1) {
        cli_error("list: unexpected argument '%s' (see --help)", argv[1]);
        rc = EXIT_USAGE;
    } else {
        rc = list_host(&conn_opts, json);
    }
    g_free(conn_opts.uri);
    return rc;
}
