/* virt-disktune: dispatch to a subcommand, or open the console. */
#include <stdio.h>
#include <string.h>
#include <locale.h>
#include <signal.h>
#include "config.h"
#include "version.h"
#include "core/recover.h"
#include "tui/cli.h"

struct subcommand {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    { "list",  cmd_list_main,  "print the host's domains, disks and backing devices" },
    { "bench", cmd_bench_main, "benchmark a disk's backing device with every cache/io mode" },
    { "apply", cmd_apply_main, "change a domain's cache/io/iothreads/pins: preview, verify" },
    { "undo",  cmd_undo_main,  "take back a domain's latest apply (--list: the records)" },
    { "history", cmd_history_main, "the saved bench runs, newest first; --compare two of them" },
    { "recover", cmd_recover_main, "replay preserve journals, remove scratch a killed bench left" },
    { "recommend", cmd_recommend_main, "recommend a disk's cache and io from its saved results" },
};

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: virt-disktune [-c URI | --demo]            open the console\n"
        "       virt-disktune COMMAND [OPTIONS]            (COMMAND --help for its options)\n"
        "\nCommands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(subcommands); i++)
        fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out,
        "\nExit status: 0 done, 1 failed, 2 usage error, 3 refused for safety.\n"
        "Options: -c URI, --demo, --help, --version\n");
}

static void say(const char *line)
{
    cli_error("%s", line);
}

/* A bench --mode preserve killed half-way left a journal: a subcommand replays it before
 * anything else (the host-side safety checks only: no libvirt connection is open yet); the
 * console does it itself with its session and shows what waits; recover is the replay. */
static bool wants_recovery(int argc, char **argv)
{
    return argc >= 2 && argv[1][0] != '-' && strcmp(argv[1], "recover") != 0 &&
           !(argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0));
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* libvirt's RPC writes to a socket: when the daemon goes away, the write must fail with
     * EPIPE (reported as "connection lost") rather than kill the process. */
    signal(SIGPIPE, SIG_IGN);
    if (wants_recovery(argc, argv))
        recover_at_start(NULL, say);
    if (argc >= 2 && argv[1][0] != '-') {
        for (size_t i = 0; i < G_N_ELEMENTS(subcommands); i++)
            if (strcmp(argv[1], subcommands[i].name) == 0)
                return subcommands[i].main(argc - 1, argv + 1);
        cli_error("unknown command '%s' (see virt-disktune --help)", argv[1]);
        return EXIT_USAGE;
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return EXIT_DONE;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        if (strcmp(VDT_VCS_VERSION, VDT_VERSION) != 0)
            printf("virt-disktune %s (git %s)\n", VDT_VERSION, VDT_VCS_VERSION);
        else
            printf("virt-disktune %s\n", VDT_VERSION);
        return EXIT_DONE;
    }
    /* The console (console_main) is wired in by tui/console.c. */
    return console_main(argc, argv);
}
