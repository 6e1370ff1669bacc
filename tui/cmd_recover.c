/* virt-disktune recover: replay every undo journal preserve mode left (a run killed
 * half-way), after the safety check on its target. Front end only: core/recover.c. */
#include <stdio.h>
#include "core/recover.h"
#include "core/session.h"
#include "core/statedir.h"
#include "core/textesc.h"
#include "tui/cli.h"

static const char recover_description[] =
    "Replays every undo journal that bench --mode preserve left behind (a run killed, a crash,\n"
    "a power loss) from /var/lib/virt-disktune/journals (root) or $XDG_STATE_HOME/\n"
    "virt-disktune/journals (VIRT_DISKTUNE_JOURNAL_DIR overrides it): the target checked to be\n"
    "the journal's (device number or inode, size, and its first and last MiB), not in use\n"
    "(a domain started on it since: the journal waits), each saved region written back, read\n"
    "back and compared, and the journal removed. Idempotent: run it again after an\n"
    "interruption. A scratch file or scratch LV a killed bench --mode scratch left is removed\n"
    "too (a line \"scratch: ...\" each), when it is still the one that run made. Every other\n"
    "command and the console do the same when they start.\n"
    "\n"
    "Exit status: 0 nothing left to replay; 1 a journal could not be replayed (unreadable,\n"
    "corrupt, a failed write); 3 a journal waits because its target is in use or is not its\n"
    "target (nothing written).";

static void say_line(const char *line)
{
    printf("%s\n", line);
}

int cmd_recover_main(int argc, char **argv)
{
    struct cli_conn_opts opts = { 0 };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- replay preserve mode's undo journals");
    struct cli_conn conn = { NULL, NULL };
    g_autoptr(GPtrArray) results = NULL;
    g_autofree char *dir = statedir_journals_here();
    g_autoptr(GError) err = NULL;
    int status = EXIT_DONE;

    g_set_prgname("virt-disktune recover");
    g_option_context_add_main_entries(ctx, cli_conn_entries(&opts), NULL);
    g_option_context_set_description(ctx, recover_description);
    if (!cli_parse(ctx, &argc, &argv) || !cli_conn_opts_valid(&opts)) {
        g_free(opts.uri);
        return EXIT_USAGE;
    }
    if (argc > 1) {
        cli_error("unexpected argument '%s' (see --help)", argv[1]);
        g_free(opts.uri);
        return EXIT_USAGE;
    }
    /* libvirt tells which domains use a target; without it the host-side checks still run. */
    if (opts.uri || opts.demo) {
        if (!cli_conn_open(&opts, false, &conn)) {
            g_free(opts.uri);
            return EXIT_FAILED;
        }
    } else if (!(conn.session = session_open(NULL, &err))) {
        g_autofree char *esc = textesc_escape(err->message);

        cli_error("notice: no libvirt connection (%s): only the host-side checks run before a "
                  "replay", esc);
    }
    recover_scratch(dir, say_line);
    results = recover_all(conn.session, dir);
    if (results->len == 0)
        printf("no journal to replay in %s\n", dir ? dir : "(no state directory)");
    for (guint i = 0; i < results->len; i++) {
        const struct recover_result *r = g_ptr_array_index(results, i);
        g_autofree char *esc = textesc_escape(r->message);

        printf("%s: %s\n", r->state == RECOVER_DONE ? "restored" : r->state == RECOVER_BUSY
                                                     ? "left alone" : "waits", esc);
        if (r->state == RECOVER_FAILED)
            status = EXIT_FAILED;
        else if (r->state == RECOVER_REFUSED && status == EXIT_DONE)
            status = EXIT_REFUSED;
    }
    cli_conn_close(&conn);
    g_free(opts.uri);
    return status;
}
