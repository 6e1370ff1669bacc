/* virt-disktune apply and undo: front ends only (options, printing, asking, exit codes).
 * The plan, the writes, the verification and the undo records are core/apply*.c, which the
 * console calls the same way. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/apply.h"
#include "core/statedir.h"
#include "core/textesc.h"
#include "core/undo_store.h"
#include "tui/cli.h"

static int exit_for(const GError *err)
{
    if (err->domain != APPLY_ERROR)
        return EXIT_FAILED;
    switch (err->code) {
    case APPLY_ERROR_USAGE: return EXIT_USAGE;
    case APPLY_ERROR_REFUSED: return EXIT_REFUSED;
    default: return EXIT_FAILED;
    }
}

static int fail(const GError *err)
{
    cli_error("%s", err->message);
    return exit_for(err);
}

/* ---- printing ------------------------------------------------------------------------------ */

static void print_plan(const struct apply_plan *plan)
{
    g_autofree char *name = textesc_escape(plan->domain);

    printf("%s for domain '%s' (%s%s):\n", plan->undo ? "Undo" : "Plan", name,
           plan->active ? "running" : "shut off", plan->persistent ? "" : ", transient");
    if (plan->undo)
        printf("  restores the undo record %s\n", plan->record);
    if (plan->changes->len == 0)
        printf("  no change: the domain already has what was asked\n");
    for (guint i = 0; i < plan->changes->len; i++) {
        const struct apply_change *c = g_ptr_array_index(plan->changes, i);
        g_autofree char *text = textesc_escape(c->text);

        printf("  %-58s %s\n", text, apply_when_name(c->when));
    }
}

static void print_diff(const struct apply_plan *plan)
{
    g_autofree char *diff = apply_plan_diff(plan);
    g_auto(GStrv) lines = g_strsplit(diff, "\n", -1);

    for (char **l = lines; *l; l++)
        if (**l) {
            g_autofree char *line = textesc_escape(*l);
            printf("%s\n", line);
        }
}

static void print_lines(const char *title, const GPtrArray *lines)
{
    if (!lines || lines->len == 0)
        return;
    if (title)
        printf("%s\n", title);
    for (guint i = 0; i < lines->len; i++) {
        g_autofree char *text = textesc_escape(g_ptr_array_index(lines, i));

        printf("  %s\n", text);
    }
}

static void print_report(const struct apply_report *r)
{
    print_lines("Done:", r->done);
    print_lines("Verified:", r->checks);
    print_lines(NULL, r->notes);
}

/* ---- asking -------------------------------------------------------------------------------- */

/* true to go on: --yes, or "y" typed on a terminal. *status is set when it must not. */
static bool confirmed(bool yes, const char *question, int *status)
{
    char answer[16] = "";

    if (yes)
        return true;
    if (!isatty(STDIN_FILENO)) {
        cli_error("not a terminal: add --yes to %s without asking, or --dry-run to only "
                  "see the plan", question);
        *status = EXIT_USAGE;
        return false;
    }
    printf("%s? [y/N] ", question);
    fflush(stdout);
    if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
        printf("Nothing written.\n");
        *status = EXIT_DONE;
        return false;
    }
    return true;
}

static int execute(struct session *s, const struct apply_plan *plan, bool dry_run, bool yes)
{
    g_autofree char *dir = statedir_apply_here();
    g_autoptr(GError) err = NULL;
    struct apply_report report = { 0 };
    int status = EXIT_DONE;
    bool ok;

    print_plan(plan);
    print_diff(plan);
    /* An undo with nothing left to change still goes on: its record is closed. */
    if (dry_run || (plan->changes->len == 0 && !plan->undo))
        return EXIT_DONE;
    if (!confirmed(yes, plan->undo ? "undo these changes" : "apply these changes", &status))
        return status;
    ok = apply_plan_execute(s, plan, dir, &report, &err);
    print_report(&report);
    status = ok ? EXIT_DONE : fail(err);
    apply_report_clear(&report);
    return status;
}

/* ---- apply ----------------------------------------------------------------------------------- */

struct apply_args {
    struct cli_conn_opts conn;
    char *domain, *disk, *cache, *io, *iothread, *iothreads;
    char **pins;
    gboolean dry_run, yes;
};

static void apply_args_clear(struct apply_args *a)
{
    g_free(a->conn.uri);
    g_free(a->domain);
    g_free(a->disk);
    g_free(a->cache);
    g_free(a->io);
    g_free(a->iothread);
    g_free(a->iothreads);
    g_strfreev(a->pins);
}

static const char apply_description[] =
    "Changes a domain's disk cache/io/iothread, its iothread count and its iothread pins\n"
    "through libvirt. First it prints the plan (one line per change, marked 'now' when the\n"
    "running domain changes now, 'at next power-off and start' when QEMU can only take it at\n"
    "a cold start, 'at next start' for a shut-off domain) and a diff of the inactive XML.\n"
    "Then, asked on a terminal or with --yes: it saves an undo record, defines the edited XML\n"
    "(validated by libvirt), adds, removes and pins iothreads of a running domain live, and\n"
    "verifies each change in the definition, the live XML and QEMU itself (its iothread\n"
    "threads' CPUs, its -blockdev cache and aio options). Restarting the domain is never\n"
    "implied; `virt-disktune undo --domain NAME` takes the change back.\n"
    "\n"
    "Values: --cache none|writethrough|writeback|directsync|unsafe|default\n"
    "        --io native|threads|io_uring|default   (native needs cache none or directsync)\n"
    "        --iothread K (0: none)   --pin K:CPULIST (e.g. 2:5,6 or 1:0-3; repeatable)\n"
    "\n"
    "Undo records: /var/lib/virt-disktune/apply (root) or $XDG_STATE_HOME/virt-disktune/apply.\n"
    "\n"
    "Exit status: 0 done (or nothing to change, or not confirmed); 1 failed (unknown domain\n"
    "or disk, the domain changed since the plan, libvirt refused a step: what was done is\n"
    "rolled back; a change that did not verify); 2 usage error (a value that does not parse,\n"
    "or a change libvirt or QEMU would refuse, with the reason; no terminal and no --yes);\n"
    "3 refused (read-only connection).";

static GOptionContext *apply_context(struct apply_args *a)
{
    const GOptionEntry entries[] = {
        { "domain", 0, 0, G_OPTION_ARG_STRING, &a->domain, "the domain to change", "NAME" },
        { "disk", 0, 0, G_OPTION_ARG_STRING, &a->disk, "the disk's target dev (vda, ...)",
          "TARGET" },
        { "cache", 0, 0, G_OPTION_ARG_STRING, &a->cache, "the disk's cache mode", "C" },
        { "io", 0, 0, G_OPTION_ARG_STRING, &a->io, "the disk's io mode", "I" },
        { "iothread", 0, 0, G_OPTION_ARG_STRING, &a->iothread, "the disk's iothread (0: none)",
          "K" },
        { "iothreads", 0, 0, G_OPTION_ARG_STRING, &a->iothreads, "the domain's iothread count",
          "N" },
        { "pin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->pins, "pin iothread K to CPULIST",
          "K:CPULIST" },
        { "dry-run", 0, 0, G_OPTION_ARG_NONE, &a->dry_run, "print the plan and the diff only",
          NULL },
        { "yes", 'y', 0, G_OPTION_ARG_NONE, &a->yes, "do it without asking", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("--domain NAME [CHANGES] - change a domain's "
                                               "disk tuning through libvirt");

    g_option_context_add_main_entries(ctx, cli_conn_entries(&a->conn), NULL);
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(ctx, apply_description);
    return ctx;
}

static bool parse_count(const char *opt, const char *text, guint64 max, int *out)
{
    guint64 v = 0;

    if (!g_ascii_string_to_unsigned(text, 10, 0, max, &v, NULL)) {
        cli_error("%s '%s': not a number from 0 to %llu", opt, text, (unsigned long long)max);
        return false;
    }
    *out = (int)v;
    return true;
}

/* The request from the options; NULL (usage error printed) when they do not make one. */
static struct apply_request *request_of(const struct apply_args *a)
{
    g_autoptr(ApplyRequest) req = NULL;
    g_autoptr(GError) err = NULL;

    if (!a->domain) {
        cli_error("apply needs --domain NAME (see --help)");
        return NULL;
    }
    if ((a->cache || a->io || a->iothread) && !a->disk) {
        cli_error("--cache, --io and --iothread need --disk TARGET");
        return NULL;
    }
    req = apply_request_new(a->domain);
    if (a->disk) {
        struct apply_disk_request *d = g_new0(struct apply_disk_request, 1);

        d->target = g_strdup(a->disk);
        d->cache = g_strdup(a->cache);
        d->io = g_strdup(a->io);
        d->iothread = -1;
        g_ptr_array_add(req->disks, d);
        if (a->iothread && !parse_count("--iothread", a->iothread, G_MAXINT, &d->iothread))
            return NULL;
        if (!a->cache && !a->io && !a->iothread) {
            cli_error("--disk %s: nothing to change (give --cache, --io or --iothread)", a->disk);
            return NULL;
        }
    }
    if (a->iothreads && !parse_count("--iothreads", a->iothreads, 4096, &req->iothreads))
        return NULL;
    for (char **p = a->pins; p && *p; p++)
        if (!apply_request_add_pin(req, *p, &err)) {
            cli_error("%s", err->message);
            return NULL;
        }
    if (req->disks->len == 0 && req->iothreads < 0 && req->pins->len == 0) {
        cli_error("nothing to change: give --disk with --cache/--io/--iothread, --iothreads "
                  "or --pin (see --help)");
        return NULL;
    }
    return g_steal_pointer(&req);
}

static int parse_args(GOptionContext *ctx, struct cli_conn_opts *conn, int *argc, char ***argv)
{
    if (!cli_parse(ctx, argc, argv) || !cli_conn_opts_valid(conn))
        return EXIT_USAGE;
    if (*argc > 1) {
        cli_error("unexpected argument '%s' (see --help)", (*argv)[1]);
        return EXIT_USAGE;
    }
    return EXIT_DONE;
}

int cmd_apply_main(int argc, char **argv)
{
    struct apply_args a = { 0 };
    g_autoptr(GOptionContext) ctx = apply_context(&a);
    g_autoptr(ApplyRequest) req = NULL;
    g_autoptr(ApplyPlan) plan = NULL;
    g_autoptr(GError) err = NULL;
    struct cli_conn conn = { NULL, NULL };
    int status;

    g_set_prgname("virt-disktune apply");
    status = parse_args(ctx, &a.conn, &argc, &argv);
    if (status == EXIT_DONE && !(req = request_of(&a)))
        status = EXIT_USAGE;
    if (status == EXIT_DONE && !cli_conn_open(&a.conn, false, &conn))
        status = EXIT_FAILED;
    if (status == EXIT_DONE) {
        plan = apply_plan_make(conn.session, req, &err);
        status = plan ? execute(conn.session, plan, a.dry_run, a.yes) : fail(err);
    }
    g_clear_pointer(&plan, apply_plan_free);
    cli_conn_close(&conn);
    apply_args_clear(&a);
    return status;
}

/* ---- undo ------------------------------------------------------------------------------------ */

struct undo_args {
    struct cli_conn_opts conn;
    char *domain;
    gboolean list, dry_run, yes;
};

static const char undo_description[] =
    "Restores what the domain was before its latest apply: the inactive XML byte for byte,\n"
    "and (when it runs) its live iothreads and pins, through the same path as apply (plan,\n"
    "concurrent-edit check, define, live calls, verify). --list shows the records.\n"
    "\n"
    "Exit status: 0 done; 1 failed (no record, the domain changed since the plan, a step\n"
    "failed); 2 usage error; 3 refused (read-only connection, a record written for another\n"
    "domain or one that does not parse: nothing written).";

static int list_records(const char *domain_filter)
{
    g_autofree char *dir = statedir_apply_here();
    g_autoptr(GPtrArray) bad = NULL;
    g_autoptr(GPtrArray) records = dir ? undo_store_list(dir, NULL, &bad) : NULL;
    unsigned shown = 0;

    if (!dir) {
        cli_error("no state directory (set HOME or XDG_STATE_HOME)");
        return EXIT_FAILED;
    }
    printf("Undo records in %s:\n", dir);
    for (guint i = 0; records && i < records->len; i++) {
        const struct undo_record *r = g_ptr_array_index(records, i);
        g_autofree char *name = textesc_escape(r->domain);

        if (domain_filter && strcmp(r->domain, domain_filter) != 0)
            continue;
        printf("  %s  %-16s %s%s\n", r->time, name, r->undone ? "undone  " : "applied ", r->file);
        for (guint k = 0; k < r->changes->len; k++) {
            g_autofree char *text = textesc_escape(g_ptr_array_index(r->changes, k));
            printf("      %s\n", text);
        }
        shown++;
    }
    if (!shown)
        printf("  none\n");
    for (guint i = 0; bad && i < bad->len; i++)
        cli_error("%s (skipped)", (const char *)g_ptr_array_index(bad, i));
    return EXIT_DONE;
}

int cmd_undo_main(int argc, char **argv)
{
    struct undo_args a = { 0 };
    const GOptionEntry entries[] = {
        { "domain", 0, 0, G_OPTION_ARG_STRING, &a.domain, "the domain to restore", "NAME" },
        { "list", 0, 0, G_OPTION_ARG_NONE, &a.list, "list the undo records (of NAME, or all)",
          NULL },
        { "dry-run", 0, 0, G_OPTION_ARG_NONE, &a.dry_run, "print the plan and the diff only",
          NULL },
        { "yes", 'y', 0, G_OPTION_ARG_NONE, &a.yes, "do it without asking", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "--domain NAME | --list - take back the latest apply");
    g_autoptr(ApplyPlan) plan = NULL;
    g_autoptr(GError) err = NULL;
    struct cli_conn conn = { NULL, NULL };
    g_autofree char *dir = statedir_apply_here();
    int status;

    g_set_prgname("virt-disktune undo");
    g_option_context_add_main_entries(ctx, cli_conn_entries(&a.conn), NULL);
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(ctx, undo_description);
    status = parse_args(ctx, &a.conn, &argc, &argv);
    if (status == EXIT_DONE && a.list) {
        status = list_records(a.domain);
    } else if (status == EXIT_DONE && !a.domain) {
        cli_error("undo needs --domain NAME, or --list (see --help)");
        status = EXIT_USAGE;
    } else if (status == EXIT_DONE && !dir) {
        cli_error("no state directory for undo records (set HOME or XDG_STATE_HOME)");
        status = EXIT_FAILED;
    } else if (status == EXIT_DONE && cli_conn_open(&a.conn, false, &conn)) {
        plan = apply_plan_undo(conn.session, a.domain, dir, &err);
        status = plan ? execute(conn.session, plan, a.dry_run, a.yes) : fail(err);
    } else if (status == EXIT_DONE) {
        status = EXIT_FAILED;
    }
    g_clear_pointer(&plan, apply_plan_free);
    cli_conn_close(&conn);
    g_free(a.conn.uri);
    g_free(a.domain);
    return status;
}
