/* What the subcommands share: exit statuses (the interface contract), the -c/--demo
 * connection options, and one-line error reporting. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include "core/demo.h"
#include "core/session.h"

enum cli_exit {
    EXIT_DONE = 0,
    EXIT_FAILED = 1,
    EXIT_USAGE = 2,
    EXIT_REFUSED = 3,
};

/* -c URI and --demo, filled by the GOptionEntry list below. */
struct cli_conn_opts {
    char *uri;
    gboolean demo;
};
/* Two entries (-c/--connect, --demo) bound to opts, NULL-terminated; static storage
 * rebuilt on each call, so call it once per option context. */
const GOptionEntry *cli_conn_entries(struct cli_conn_opts *opts);

/* false, with one line printed, when the options contradict each other (-c with --demo):
 * a usage error (EXIT_USAGE). Call it right after parsing. */
bool cli_conn_opts_valid(const struct cli_conn_opts *opts);

/* A connection opened from the options: the demo host (when --demo) and the session. */
struct cli_conn {
    struct demo_host *demo;
    struct session *session;
};
/* false with a one-line message printed on failure (exit EXIT_FAILED). A read-only
 * fallback prints a notice to stderr unless quiet. Ends with cli_conn_close(). */
bool cli_conn_open(const struct cli_conn_opts *opts, bool quiet, struct cli_conn *out);
void cli_conn_close(struct cli_conn *c);

/* "virt-disktune 0.1.0": the saved results' "tool" (core/results_store.h). */
const char *cli_tool_name(void);

/* "virt-disktune: <message>" on stderr, one line, control characters escaped. */
void cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* s as one shell word: quoted only when it needs to be (g_shell_quote). Caller frees. */
char *cli_shell_word(const char *s);

/* Parse argv with ctx; on a usage error prints one line and returns false (EXIT_USAGE). */
bool cli_parse(GOptionContext *ctx, int *argc, char ***argv);

int cmd_list_main(int argc, char **argv);
int cmd_bench_main(int argc, char **argv);
int cmd_apply_main(int argc, char **argv);
int cmd_undo_main(int argc, char **argv);
int cmd_recover_main(int argc, char **argv);
int cmd_recommend_main(int argc, char **argv);
int cmd_history_main(int argc, char **argv);
int console_main(int argc, char **argv);
