/* virt-disktune history: the saved runs, newest first, and two of them compared cell by cell.
 * Front end only: core/results_store.c reads the runs, core/history.c compares them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "core/history.h"
#include "core/results_store.h"
#include "core/statedir.h"
#include "core/textesc.h"
#include "tui/cli.h"

struct history_args {
    char *domain, *disk;
    gboolean json, csv, compare, any_target;
};

static const char history_description[] =
    "Lists the runs saved by bench --save and the console in /var/lib/virt-disktune/results\n"
    "(root) or $XDG_DATA_HOME/virt-disktune/results ($VIRT_DISKTUNE_RESULTS_DIR when set),\n"
    "newest first, one line each: its number (1 = newest), when, the domain/disk or target,\n"
    "the workloads, the cells that ended ok, the rounds, the runner and the file.\n"
    "A file that does not parse, or of a newer format, is skipped with one line naming it.\n"
    "\n"
    "--compare RUN RUN (a file, or a number of the list, with --domain/--disk the number in\n"
    "that disk's list) compares the two runs cell by cell (same workload, cache and io): each\n"
    "cell's IOPS and p99 latency, older to newer, the change in %, and both runs' spreads\n"
    "(min-max over --repeat rounds). A change is beyond noise only when the two ranges do not\n"
    "overlap; with one round on either side no spread was measured, and it says so. Runs of\n"
    "different targets (another host, device or inode, or disk) are refused unless\n"
    "--any-target.\n"
    "\n"
    "Exit status: 0 done; 1 a RUN file that cannot be read; 2 usage error (an unknown RUN\n"
    "number, runs of different targets without --any-target).";

static GOptionContext *history_context(struct history_args *a)
{
    const GOptionEntry entries[] = {
        { "domain", 0, 0, G_OPTION_ARG_STRING, &a->domain, "only this domain's runs", "NAME" },
        { "disk", 0, 0, G_OPTION_ARG_STRING, &a->disk, "only this disk's (its target dev)",
          "TARGET" },
        { "compare", 0, 0, G_OPTION_ARG_NONE, &a->compare,
          "compare two runs given after the options (a file or a number)", NULL },
        { "any-target", 0, 0, G_OPTION_ARG_NONE, &a->any_target,
          "compare runs of different targets anyway (a warning says so)", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &a->json, "print JSON", NULL },
        { "csv", 0, 0, G_OPTION_ARG_NONE, &a->csv, "print CSV (the list)", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("[--compare RUN RUN] - the saved runs, and two "
                                               "compared");

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(ctx, history_description);
    return ctx;
}

static void print_json(json_object *o)
{
    g_autofree char *safe = textesc_json(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));

    printf("%s\n", safe);
    json_object_put(o);
}

/* The runs of dir that pass the filter, newest first; skipped files named on stderr. */
static GPtrArray *load_runs(const char *dir, const struct history_args *a)
{
    g_autoptr(GPtrArray) skipped = NULL;
    GPtrArray *runs = results_store_load(dir, &skipped);

    for (guint i = 0; i < skipped->len; i++)
        cli_error("skipped %s", (const char *)g_ptr_array_index(skipped, i));
    for (guint i = runs->len; i-- > 0;) {
        const struct bench_plan *p = ((struct results_run *)g_ptr_array_index(runs, i))->plan;

        if ((a->domain && g_strcmp0(p->domain, a->domain) != 0) ||
            (a->disk && g_strcmp0(p->disk, a->disk) != 0))
            g_ptr_array_remove_index(runs, i);
    }
    return runs;
}

/* A RUN: a number of runs (1 = newest; *number set) or a file read on its own. */
static struct results_run *resolve_run(const char *arg, GPtrArray *runs, unsigned *number,
                                       int *status)
{
    guint64 n = 0;
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    struct results_run *r;
    gsize len = 0;
    struct stat st;

    *number = 0;
    if (g_ascii_string_to_unsigned(arg, 10, 1, G_MAXUINT, &n, NULL)) {
        if (n > runs->len) {
            cli_error("run %s: there %s %u saved run%s", arg, runs->len == 1 ? "is" : "are",
                      runs->len, runs->len == 1 ? "" : "s");
            *status = EXIT_USAGE;
            return NULL;
        }
        *number = (unsigned)n;
        return g_ptr_array_index(runs, n - 1);
    }
    r = g_new0(struct results_run, 1);
    r->path = g_strdup(arg);
    text = results_store_read_file(arg, true, &len, &st, &err);
    if (text)
        r->plan = results_store_parse(text, len, &r->meta, &err);
    if (!r->plan) {
        cli_error("%s: %s", arg, err ? err->message : g_strerror(errno));
        *status = EXIT_FAILED;
        g_free(r->path);
        g_free(r);
        return NULL;
    }
    r->mtime = st.st_mtime;
    if (r->meta.saved_at) {
        g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(r->meta.saved_at, NULL);

        r->mtime = t ? g_date_time_to_unix(t) : r->mtime;
    }
    return r;
}

static void run_free_own(struct results_run *r, unsigned number)
{
    if (!r || number)
        return;   /* numbered runs belong to the list */
    g_free(r->path);
    bench_plan_free(r->plan);
    results_meta_clear(&r->meta);
    g_free(r);
}

static int compare(const struct history_args *a, GPtrArray *runs, const char *arg_a,
                   const char *arg_b)
{
    unsigned na = 0, nb = 0;
    int status = EXIT_DONE;
    struct results_run *ra = resolve_run(arg_a, runs, &na, &status);
    struct results_run *rb = ra ? resolve_run(arg_b, runs, &nb, &status) : NULL;
    g_autofree char *why = NULL;

    if (ra && rb && !history_same_target(ra, rb, &why)) {
        cli_error("%s%s", why, a->any_target ? "; compared anyway (--any-target)"
                                             : ": not compared (--any-target compares anyway)");
        status = a->any_target ? EXIT_DONE : EXIT_USAGE;
    }
    if (ra && rb && status == EXIT_DONE) {
        /* Older first, whichever order they were given in. */
        bool swap = ra->mtime > rb->mtime;
        const struct results_run *older = swap ? rb : ra, *newer = swap ? ra : rb;
        g_autoptr(GArray) cells = history_compare(older->plan, newer->plan);

        if (a->json) {
            print_json(history_compare_json(older, swap ? nb : na, newer, swap ? na : nb, cells));
        } else {
            g_autofree char *text = history_compare_text(older, swap ? nb : na, newer,
                                                         swap ? na : nb, cells);

            fputs(text, stdout);
        }
    }
    run_free_own(ra, na);
    run_free_own(rb, nb);
    return status;
}

static int list(const struct history_args *a, GPtrArray *runs, const char *dir)
{
    g_autofree char *text = NULL;

    if (a->json) {
        print_json(history_list_json(runs));
        return EXIT_DONE;
    }
    if (!runs->len && !a->csv) {
        g_autofree char *esc = textesc_escape(dir);

        printf("no saved runs%s in %s\n", a->domain || a->disk ? " of that disk" : "", esc);
        return EXIT_DONE;
    }
    text = a->csv ? history_list_csv(runs) : history_list_text(runs);
    fputs(text, stdout);
    return EXIT_DONE;
}

static bool check_args(const struct history_args *a, int argc, char **argv)
{
    if (a->json && a->csv) {
        cli_error("--json and --csv exclude each other");
        return false;
    }
    if (a->compare && a->csv) {
        cli_error("--compare prints text or --json, not CSV");
        return false;
    }
    if (a->compare && argc != 3) {
        cli_error("--compare takes two runs (a file or a number of the list)");
        return false;
    }
    if (!a->compare && argc > 1) {
        cli_error("unexpected argument '%s' (see --help)", argv[1]);
        return false;
    }
    if (a->any_target && !a->compare) {
        cli_error("--any-target goes with --compare");
        return false;
    }
    return true;
}

int cmd_history_main(int argc, char **argv)
{
    struct history_args a = { 0 };
    g_autoptr(GOptionContext) ctx = history_context(&a);
    g_autofree char *dir = statedir_results_here();
    g_autoptr(GPtrArray) runs = NULL;
    int status = EXIT_USAGE;

    g_set_prgname("virt-disktune history");
    if (cli_parse(ctx, &argc, &argv) && check_args(&a, argc, argv)) {
        if (!dir) {
            cli_error("no results directory: set XDG_DATA_HOME or HOME to an absolute path");
            status = EXIT_FAILED;
        } else {
            runs = load_runs(dir, &a);
            status = a.compare ? compare(&a, runs, argv[1], argv[2]) : list(&a, runs, dir);
        }
    }
    g_free(a.domain);
    g_free(a.disk);
    return status;
}
