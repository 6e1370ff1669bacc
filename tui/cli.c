#include "tui/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include "config.h"
#include "core/textesc.h"

const GOptionEntry *cli_conn_entries(struct cli_conn_opts *opts)
{
    static GOptionEntry entries[3];
    GOptionEntry uri = { "connect", 'c', 0, G_OPTION_ARG_STRING, &opts->uri,
        "libvirt URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)", "URI" };
    GOptionEntry demo = { "demo", 0, 0, G_OPTION_ARG_NONE, &opts->demo,
        "use the built-in demo host (no daemon, no root)", NULL };
    GOptionEntry end = { NULL, 0, 0, 0, NULL, NULL, NULL };

    entries[0] = uri;
    entries[1] = demo;
    entries[2] = end;
    return entries;
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;
    g_autofree char *esc = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    esc = textesc_escape(msg);
    fprintf(stderr, "virt-disktune: %s\n", esc);
}

bool cli_parse(GOptionContext *ctx, int *argc, char ***argv)
{
    g_autoptr(GError) err = NULL;

    if (!g_option_context_parse(ctx, argc, argv, &err)) {
        cli_error("%s (see --help)", err->message);
        return false;
    }
    return true;
}

bool cli_conn_opts_valid(const struct cli_conn_opts *opts)
{
    if (opts->demo && opts->uri) {
        cli_error("-c and --demo exclude each other (see --help)");
        return false;
    }
    return true;
}

bool cli_conn_open(const struct cli_conn_opts *opts, bool quiet, struct cli_conn *out)
{
    g_autoptr(GError) err = NULL;
    const char *uri = opts->uri;

    out->demo = NULL;
    out->session = NULL;
    if (!cli_conn_opts_valid(opts))
        return false;
    if (opts->demo) {
        out->demo = demo_host_create(&err);
        if (!out->demo) {
            cli_error("demo host: %s", err->message);
            return false;
        }
        uri = out->demo->uri;
    }
    out->session = session_open(uri, &err);
    if (!out->session) {
        cli_error("%s", err->message);
        cli_conn_close(out);
        return false;
    }
    if (session_read_only(out->session) && !quiet)
        cli_error("notice: %s: read-only connection (%s)", session_uri(out->session),
                  session_fallback_reason(out->session) ? session_fallback_reason(out->session)
                                                : "read-write refused");
    return true;
}

void cli_conn_close(struct cli_conn *c)
{
    if (c->session)
        session_close(c->session);
    if (c->demo)
        demo_host_free(c->demo);
    c->session = NULL;
    c->demo = NULL;
}

char *cli_shell_word(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("._-+:/@%", *p))
            return g_shell_quote(s);
    return *s ? g_strdup(s) : g_shell_quote(s);
}

const char *cli_tool_name(void)
{
    return "virt-disktune " VDT_VERSION;
}
