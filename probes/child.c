#include "probes/child.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A cancel is seen within one slice: well inside runner.h's 100 ms. */
#define SLICE_MS 20
#define TERM_GRACE_NS 1000000000ull     /* SIGTERM, then SIGKILL after this */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int spawn_errno(const GError *error)
{
    if (error->domain != G_SPAWN_ERROR)
        return EIO;
    switch (error->code) {
    case G_SPAWN_ERROR_NOENT: return ENOENT;
    case G_SPAWN_ERROR_ACCES: return EACCES;
    case G_SPAWN_ERROR_PERM: return EPERM;
    case G_SPAWN_ERROR_NOMEM: return ENOMEM;
    default: return EIO;
    }
}

/* Read what is there; false at the end of the pipe. */
static bool drain_pipe(int fd, GString *text)
{
    char buf[4096];

    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);

        if (n > 0) {
            if (text->len < CHILD_OUTPUT_CAP)
                g_string_append_len(text, buf, MIN((gsize)n, CHILD_OUTPUT_CAP - text->len));
            return true;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && errno == EAGAIN;
    }
}

/* A cancel: SIGTERM at once, SIGKILL a second later. */
static void stop_child(GPid pid, struct child_run *r, uint64_t *term_at, bool *killed,
                       uint64_t t)
{
    if (!r->cancelled) {
        r->cancelled = true;
        *term_at = t;
        kill(pid, SIGTERM);
    } else if (!*killed && t - *term_at >= TERM_GRACE_NS) {
        *killed = true;
        kill(pid, SIGKILL);
    }
}

/* Until the child is reaped: its output read, tick called, a cancel honoured. The child is
 * always reaped here, whatever happens. */
static void child_wait(GPid pid, int fds[2], const atomic_bool *cancel,
                       void (*tick)(gpointer, uint64_t), gpointer data, struct child_run *r)
{
    GString *text[2] = { r->out, r->err };
    uint64_t start = now_ns(), term_at = 0;
    bool killed = false;

    for (;;) {
        struct pollfd pfd[2];
        int idx[2];
        nfds_t n = 0;
        uint64_t t;

        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0) {
                pfd[n] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
                idx[n++] = i;
            }
        if (n == 0 || r->cancelled) {
            pid_t w = wait4(pid, &r->wait_status, WNOHANG, &r->ru);

            if (w == pid || (w < 0 && errno == ECHILD)) {
                r->lost = w < 0;
                break;
            }
        }
        /* No pipe left: the child is exiting, look again soon. */
        if (poll(n ? pfd : NULL, n, n ? SLICE_MS : 2) > 0)
            for (nfds_t k = 0; k < n; k++)
                if (pfd[k].revents && !drain_pipe(pfd[k].fd, text[idx[k]])) {
                    close(pfd[k].fd);
                    fds[idx[k]] = -1;
                }
        t = now_ns();
        if (tick)
            tick(data, t - start);
        if (cancel && atomic_load(cancel))
            stop_child(pid, r, &term_at, &killed, t);
    }
    r->wall_ns = now_ns() - start;
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    g_spawn_close_pid(pid);
}

int child_run(char **argv, char **envp, const atomic_bool *cancel,
              void (*tick)(gpointer data, uint64_t run_ns), gpointer data,
              struct child_run *r, GError **err)
{
    g_autoptr(GError) error = NULL;
    GPid pid;
    int fds[2] = { -1, -1 };

    if (!g_spawn_async_with_pipes(NULL, argv, envp,
                                  G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL |
                                  G_SPAWN_CLOEXEC_PIPES,
                                  NULL, NULL, &pid, NULL, &fds[0], &fds[1], &error)) {
        int e = spawn_errno(error);

        g_propagate_error(err, g_steal_pointer(&error));
        return -e;
    }
    child_wait(pid, fds, cancel, tick, data, r);
    return 0;
}

void child_run_init(struct child_run *r)
{
    *r = (struct child_run){ .out = g_string_new(NULL), .err = g_string_new(NULL) };
}

void child_run_clear(struct child_run *r)
{
    if (r->out)
        g_string_free(r->out, TRUE);
    if (r->err)
        g_string_free(r->err, TRUE);
    *r = (struct child_run){ 0 };
}

bool child_ok(const struct child_run *r)
{
    return !r->lost && WIFEXITED(r->wait_status) && WEXITSTATUS(r->wait_status) == 0;
}
