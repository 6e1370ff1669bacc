/* virt-disktune recommend: the recommendation for a domain's disks from their latest saved
 * results (core/recommend.c), with its reasons and the apply command line that carries it
 * out. Front end only. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core/backing.h"
#include "core/host.h"
#include "core/iothread_suggest.h"
#include "core/recommend.h"
#include "core/results_store.h"
#include "core/statedir.h"
#include "core/textesc.h"
#include "tui/cli.h"

static const char recommend_description[] =
    "Recommends a cache and io mode for each disk of the domain (or the one --disk names)\n"
    "from its latest saved results (bench --save, and every run the console makes), with\n"
    "every reason in words and the apply command line that carries it out.\n"
    "\n"
    "How: each workload of the profile weighs in with each combination's IOPS over the\n"
    "workload's best cell; a lead inside the spread of the rounds (bench --repeat) is a tie,\n"
    "broken by the disk's current setting, then the safer cache mode, then QEMU's and\n"
    "virt-install's default for the backing (block: none+native; file: none+threads);\n"
    "writeback and unsafe never win without --allow-volatile (the would-be winner is named);\n"
    "a random-read cell (randread, mixed) served from the host's page cache does not count.\n"
    "\n"
    "Profiles: random (randread 50, randwrite 50), sequential (seqread 50, seqwrite 50),\n"
    "database (syncwrite 50, randread 30, randwrite 20), mixed (mixed 100), or NAME=N pairs\n"
    "of workloads and profiles: --profile random=70,syncwrite=30. Default: the workloads\n"
    "that were run, alike.\n"
    "\n"
    "Exit status: 0 done; 1 failed (unknown domain or disk, no saved results for a disk, no\n"
    "result the profile can use); 2 usage error.";

struct recommend_args {
    struct cli_conn_opts conn;
    char *domain, *disk, *profile;
    gboolean json, allow_volatile;
};

static void recommend_args_clear(struct recommend_args *a)
{
    g_free(a->conn.uri);
    g_free(a->domain);
    g_free(a->disk);
    g_free(a->profile);
}

static GOptionContext *recommend_context(struct recommend_args *a)
{
    const GOptionEntry entries[] = {
        { "domain", 0, 0, G_OPTION_ARG_STRING, &a->domain, "the domain", "NAME" },
        { "disk", 0, 0, G_OPTION_ARG_STRING, &a->disk, "one disk's target dev (default: all)",
          "TARGET" },
        { "profile", 0, 0, G_OPTION_ARG_STRING, &a->profile,
          "random, sequential, database, mixed, or NAME=N,... (default: the workloads run)",
          "PROFILE" },
        { "allow-volatile", 0, 0, G_OPTION_ARG_NONE, &a->allow_volatile,
          "let writeback and unsafe win (a host crash loses unflushed writes)", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &a->json, "JSON output (docs/json.md)", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("--domain NAME - recommend cache/io from saved results");

    g_option_context_add_main_entries(ctx, cli_conn_entries(&a->conn), NULL);
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(ctx, recommend_description);
    return ctx;
}

static void put_esc(const char *s)
{
    g_autofree char *e = textesc_escape(s);

    fputs(e, stdout);
}

static char *when(gint64 t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(t);

    return d ? g_date_time_format(d, "%Y-%m-%d %H:%M UTC") : g_strdup("?");
}

/* The suggestion's iothread for a disk, 0 when it has none. */
static unsigned suggested_iothread(const struct iothread_suggestion *s, const char *target)
{
    for (guint i = 0; s && i < s->iothreads->len; i++) {
        const struct iothread_pick *p = g_ptr_array_index(s->iothreads, i);

        for (guint k = 0; k < p->disks->len; k++)
            if (g_strcmp0(g_ptr_array_index(p->disks, k), target) == 0)
                return p->id;
    }
    return 0;
}

/* " --iothreads N --pin K:CPUS ...": the suggestion's count and pins as apply options. */
static char *iothread_args(const struct iothread_suggestion *s)
{
    GString *args = g_string_new(NULL);

    g_string_printf(args, " --iothreads %u", s->iothreads->len);
    for (guint i = 0; i < s->iothreads->len; i++) {
        const struct iothread_pick *p = g_ptr_array_index(s->iothreads, i);

        if (p->cpuset)
            g_string_append_printf(args, " --pin %u:%s", p->id, p->cpuset);
    }
    return g_string_free(args, FALSE);
}

/* The disk's apply line: the cache and io; when the suggestion moves the disk to another
 * iothread, that one with the suggested count and pins, so that the line stands alone. */
static char *apply_line(const struct vm_domain *dom, const struct vm_disk *disk,
                        const struct recommendation *r, const struct iothread_suggestion *s)
{
    g_autofree char *args = recommendation_apply_args(r);
    g_autofree char *name = cli_shell_word(dom->name), *target = cli_shell_word(disk->target);
    unsigned k = suggested_iothread(s, disk->target);
    g_autofree char *threads = k && (int)k != disk->iothread ? iothread_args(s) : NULL;
    g_autofree char *move = threads ? g_strdup_printf(" --iothread %u%s", k, threads)
                                    : g_strdup("");

    return g_strdup_printf("virt-disktune apply --domain %s --disk %s %s%s", name, target, args,
                           move);
}

/* The domain's iothread count and pins as the suggestion has them; NULL when it has none. */
static char *iothreads_apply_line(const struct vm_domain *dom, const struct iothread_suggestion *s)
{
    g_autofree char *name = cli_shell_word(dom->name);
    g_autofree char *args = NULL;

    if (!s || !s->iothreads->len)
        return NULL;
    args = iothread_args(s);
    return g_strdup_printf("virt-disktune apply --domain %s%s", name, args);
}

static void print_iothreads(const struct vm_domain *dom, const struct iothread_suggestion *s,
                            const GError *why)
{
    g_autofree char *apply = iothreads_apply_line(dom, s);

    put_esc(dom->name);
    fputs(" iothreads: ", stdout);
    put_esc(s ? s->summary : why->message);
    putchar('\n');
    for (guint i = 0; s && i < s->iothreads->len; i++) {
        fputs("  - ", stdout);
        put_esc(((const struct iothread_pick *)g_ptr_array_index(s->iothreads, i))->why);
        putchar('\n');
    }
    if (apply) {
        fputs("  apply: ", stdout);
        put_esc(apply);
        putchar('\n');
    }
}

static void print_text(const struct vm_domain *dom, const struct vm_disk *disk,
                       const struct results_run *run, const struct recommendation *r,
                       const struct iothread_suggestion *s)
{
    g_autofree char *at = when(run->mtime);
    g_autofree char *apply = apply_line(dom, disk, r, s);
    g_autofree char *text = NULL;

    put_esc(dom->name);
    putchar(' ');
    put_esc(disk->target);
    printf(": cache=%s io=%s (score %.2f; results of %s, %u round%s, ",
           cache_mode_info(r->cache)->name, io_mode_info(r->io)->name, r->score, at,
           run->plan->repeat, run->plan->repeat == 1 ? "" : "s");
    put_esc(run->path);
    puts(")");
    text = recommendation_text(r);
    fputs(text, stdout);
    fputs("  apply: ", stdout);
    put_esc(apply);
    putchar('\n');
}

static json_object *disk_json(const struct vm_domain *dom, const struct vm_disk *disk,
                              const struct results_run *run, const struct recommendation *r,
                              const struct iothread_suggestion *s)
{
    json_object *o = recommendation_to_json(r);
    g_autofree char *apply = apply_line(dom, disk, r, s);

    json_object_object_add(o, "domain", json_object_new_string(dom->name));
    json_object_object_add(o, "disk", json_object_new_string(disk->target));
    json_object_object_add(o, "results", json_object_new_string(run->path));
    json_object_object_add(o, "measured_at", json_object_new_int64(run->mtime));
    json_object_object_add(o, "rounds", json_object_new_int((int)run->plan->repeat));
    json_object_object_add(o, "apply", json_object_new_string(apply));
    return o;
}

/* Whether a saved run measured this disk: its backing, or a scratch object made for it (a
 * file beside its image, an LV: core/bench_mode_scratch.c's names). A run of another host's
 * disk of the same names has another target. */
static bool run_of_disk(const struct results_run *run, const struct vm_disk *disk)
{
    const char *target = run->plan->target;
    const char *resolved = disk->backing ? disk->backing->resolved : NULL;
    g_autofree char *base = target ? g_path_get_basename(target) : NULL;
    g_autofree char *dir = target ? g_path_get_dirname(target) : NULL;
    g_autofree char *image_dir = resolved ? g_path_get_dirname(resolved) : NULL;

    if (!target || !resolved)
        return false;
    return strcmp(target, resolved) == 0 ||
           (g_str_has_prefix(base, ".virt-disktune-scratch-") && strcmp(dir, image_dir) == 0) ||
           (disk->backing->kind == BACKING_BLOCK && g_str_has_prefix(base, "virt-disktune-scratch-"));
}

/* The newest run of dom's disk (runs are newest first). Borrowed. */
static const struct results_run *latest_run(const GPtrArray *runs, const struct vm_domain *dom,
                                            const struct vm_disk *disk)
{
    for (guint i = 0; i < runs->len; i++) {
        const struct results_run *run = g_ptr_array_index(runs, i);

        if (run->plan && g_strcmp0(run->plan->domain, dom->name) == 0 &&
            g_strcmp0(run->plan->disk, disk->target) == 0 && run_of_disk(run, disk))
            return run;
    }
    return NULL;
}

/* One disk: false (with the line printed) when it has no results or nothing to decide. */
static bool recommend_one(const struct recommend_args *a, const struct recommend_profile *p,
                          unsigned long qemu_version, const struct vm_domain *dom,
                          const struct vm_disk *disk, const GPtrArray *runs,
                          const struct iothread_suggestion *s, json_object *out)
{
    const struct results_run *run = latest_run(runs, dom, disk);
    struct recommend_input in = { .profile = p, .allow_volatile = a->allow_volatile,
                                  .qemu_version = qemu_version };
    g_autoptr(GError) err = NULL;
    g_autoptr(Recommendation) r = NULL;

    if (!run) {
        g_autofree char *name = cli_shell_word(dom->name), *target = cli_shell_word(disk->target);

        cli_error("domain %s disk %s: no saved results (virt-disktune bench --domain %s "
                  "--disk %s --save, or a run in the console)", dom->name, disk->target, name,
                  target);
        return false;
    }
    in.plan = run->plan;
    recommend_input_from_disk(&in, dom, disk);
    r = recommend_disk(&in, &err);
    if (!r) {
        cli_error("domain %s disk %s: %s", dom->name, disk->target, err->message);
        return false;
    }
    if (out)
        json_object_array_add(out, disk_json(dom, disk, run, r, s));
    else
        print_text(dom, disk, run, r, s);
    return true;
}

static int recommend_domain(const struct recommend_args *a, const struct recommend_profile *p,
                            struct session *s)
{
    const struct host_load_opts opts = { .resolve_backing = true, .sysfs_root = NULL };
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) no_suggestion = NULL;
    g_autoptr(HostModel) host = host_load(s, &opts, &err);
    const struct vm_domain *dom = host ? host_model_find_domain(host, a->domain) : NULL;
    g_autoptr(IothreadSuggestion) threads = NULL;
    g_autofree struct iothread_disk *tdisks = NULL;
    guint ntdisks = 0;
    g_autofree char *dir = statedir_results_here();
    g_autoptr(GPtrArray) skipped = NULL;
    g_autoptr(GPtrArray) runs = NULL;
    const struct vm_config *cfg;
    json_object *out = NULL;
    unsigned ok = 0, tried = 0;

    if (!dom) {
        if (host)
            cli_error("domain %s: no such domain", a->domain);
        else
            cli_error("%s", err->message);
        return EXIT_FAILED;
    }
    cfg = vm_domain_config(dom);
    out = a->json ? json_object_new_array() : NULL;
    /* The domain's iothreads: one per busy disk, pinned where the host has room. */
    tdisks = iothread_suggest_disks(dom, &ntdisks);
    threads = iothread_suggest(host, dom, tdisks, ntdisks, &no_suggestion);
    runs = results_store_load(dir, &skipped);
    for (guint i = 0; skipped && i < skipped->len; i++)
        cli_error("notice: skipped %s", (const char *)g_ptr_array_index(skipped, i));
    for (guint i = 0; cfg && i < cfg->disks->len; i++) {
        const struct vm_disk *disk = g_ptr_array_index(cfg->disks, i);

        if (!disk->target || (a->disk && g_strcmp0(a->disk, disk->target) != 0) ||
            (!a->disk && !disk->benchable))
            continue;
        tried++;
        ok += recommend_one(a, p, session_qemu_version(s), dom, disk, runs, threads, out);
    }
    if (tried && !out)
        print_iothreads(dom, threads, no_suggestion);
    if (a->disk && !tried)
        cli_error("domain %s: no disk with target '%s'", a->domain, a->disk);
    else if (!tried)
        cli_error("domain %s: no disk that can be benchmarked", a->domain);
    if (out) {
        json_object *top = json_object_new_object();
        g_autofree char *apply = iothreads_apply_line(dom, threads);

        json_object_object_add(top, "domain", json_object_new_string(dom->name));
        json_object_object_add(top, "disks", out);
        json_object_object_add(top, "iothreads",
                               threads ? iothread_suggestion_to_json(threads) : NULL);
        json_object_object_add(top, "iothreads_apply",
                               apply ? json_object_new_string(apply) : NULL);
        puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(top);
    }
    return tried && ok == tried ? EXIT_DONE : EXIT_FAILED;
}

int cmd_recommend_main(int argc, char **argv)
{
    struct recommend_args a = { 0 };
    g_autoptr(GOptionContext) ctx = recommend_context(&a);
    struct recommend_profile profile = { 0 };
    g_autoptr(GError) err = NULL;
    struct cli_conn conn = { NULL, NULL };
    int status;

    g_set_prgname("virt-disktune recommend");
    if (!cli_parse(ctx, &argc, &argv) || !cli_conn_opts_valid(&a.conn)) {
        recommend_args_clear(&a);
        return EXIT_USAGE;
    }
    if (argc > 1 || !a.domain) {
        if (argc > 1)
            cli_error("unexpected argument '%s' (see --help)", argv[1]);
        else
            cli_error("--domain NAME is needed (see --help)");
        recommend_args_clear(&a);
        return EXIT_USAGE;
    }
    if (!recommend_profile_parse(a.profile, &profile, &err)) {
        cli_error("%s", err->message);
        recommend_args_clear(&a);
        return EXIT_USAGE;
    }
    if (!cli_conn_open(&a.conn, a.json, &conn)) {
        recommend_profile_clear(&profile);
        recommend_args_clear(&a);
        return EXIT_FAILED;
    }
    status = recommend_domain(&a, &profile, conn.session);
    cli_conn_close(&conn);
    recommend_profile_clear(&profile);
    recommend_args_clear(&a);
    return status;
}
