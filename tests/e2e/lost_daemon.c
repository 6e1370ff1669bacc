/* The daemon stops mid-session: host_load succeeds on a live session, then the libvirtd the
 * harness started is stopped (by its pid, given on the command line) and host_load on the
 * same session must fail with SESSION_ERROR_LOST and a one-line message.
 *
 * Usage: lost_daemon URI LIBVIRTD_PID
 * Run by tests/e2e/e2e_lost_daemon.sh, which restarts the daemon afterwards. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include "core/host.h"
#include "core/model.h"
#include "core/session.h"

/* The pid is gone or only a zombie left for init to reap (libvirtd -d is not our child). */
static bool pid_gone(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
    g_autofree char *status = NULL;

    if (!g_file_get_contents(path, &status, NULL, NULL))
        return true;
    return strstr(status, "\nState:\tZ") != NULL;
}

/* SIGTERM, then wait until it is gone: generous, bounded (the machine is shared). */
static bool stop_daemon(pid_t pid)
{
    if (kill(pid, SIGTERM) < 0) {
        fprintf(stderr, "kill %d: %s\n", (int)pid, g_strerror(errno));
        return false;
    }
    for (int i = 0; i < 1200; i++) {
        if (pid_gone(pid))
            return true;
        g_usleep(50 * 1000);
    }
    fprintf(stderr, "libvirtd %d did not stop after SIGTERM\n", (int)pid);
    return false;
}

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Session) s = NULL;
    g_autoptr(HostModel) before = NULL;
    g_autoptr(HostModel) after = NULL;
    const struct host_load_opts opts = { .resolve_backing = true, .sysfs_root = NULL };
    pid_t pid;

    if (argc != 3 || (pid = (pid_t)atoi(argv[2])) <= 0) {
        fprintf(stderr, "usage: lost_daemon URI LIBVIRTD_PID\n");
        return 2;
    }
    /* libvirt's remote driver writes to the daemon's socket without MSG_NOSIGNAL: a client
     * that does not ignore SIGPIPE is killed on its first call after the daemon left
     * (measured here: exit 141), as every libvirt application must, so does this one. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, "signal(SIGPIPE): %s\n", g_strerror(errno));
        return 1;
    }
    s = session_open(argv[1], &err);
    if (!s) {
        fprintf(stderr, "FAIL: session_open: %s\n", err->message);
        return 1;
    }
    before = host_load(s, &opts, &err);
    if (!before) {
        fprintf(stderr, "FAIL: host_load with the daemon up: %s\n", err->message);
        return 1;
    }
    printf("# ok: host_load with the daemon up: %u domains\n", before->domains->len);

    if (!stop_daemon(pid))
        return 1;
    printf("# ok: libvirtd %d stopped\n", (int)pid);

    after = host_load(s, &opts, &err);
    if (after) {
        fprintf(stderr, "FAIL: host_load succeeded after the daemon stopped\n");
        return 1;
    }
    if (!g_error_matches(err, SESSION_ERROR, SESSION_ERROR_LOST)) {
        fprintf(stderr, "FAIL: expected SESSION_ERROR_LOST, got %s %d: %s\n",
                g_quark_to_string(err->domain), err->code, err->message);
        return 1;
    }
    if (err->message[0] == '\0' || strchr(err->message, '\n')) {
        fprintf(stderr, "FAIL: the message is not one line: '%s'\n", err->message);
        return 1;
    }
    printf("# ok: SESSION_ERROR_LOST: %s\n", err->message);
    return 0;
}
