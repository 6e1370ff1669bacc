/* LD_PRELOAD fault shim for apply's tests: one libvirt call fails as it would on a real
 * host, so a half-done apply can be tested.
 *   VDT_SHIM_FAIL_PIN_IOTHREAD=1   virDomainPinIOThread returns -1 (after nothing): a QEMU or
 *                                  cgroup that refuses (tests/test_apply.c, test driver).
 *   VDT_SHIM_STOP_BEFORE_DEFINE=PID  virDomainDefineXMLFlags first stops the daemon PID
 *                                  (SIGTERM, then waits up to 60 s for it to go), so the
 *                                  define finds no daemon (tests/e2e/e2e_lost_daemon.sh). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <libvirt/libvirt.h>

static int alive(pid_t pid)
{
    char path[64], state = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%*d %*s %c", &state) != 1)
        state = 0;
    fclose(f);
    return state != 0 && state != 'Z';
}

int virDomainPinIOThread(virDomainPtr domain, unsigned int iothread_id, unsigned char *cpumap,
                         int maplen, unsigned int flags)
{
    int (*real)(virDomainPtr, unsigned int, unsigned char *, int, unsigned int);

    if (getenv("VDT_SHIM_FAIL_PIN_IOTHREAD"))
        return -1;
    *(void **)&real = dlsym(RTLD_NEXT, "virDomainPinIOThread");
    return real ? real(domain, iothread_id, cpumap, maplen, flags) : -1;
}

virDomainPtr virDomainDefineXMLFlags(virConnectPtr conn, const char *xml, unsigned int flags)
{
    virDomainPtr (*real)(virConnectPtr, const char *, unsigned int);
    const char *stop = getenv("VDT_SHIM_STOP_BEFORE_DEFINE");

    if (stop) {
        pid_t pid = (pid_t)atoi(stop);
        struct timespec tick = { 0, 50 * 1000 * 1000 };

        if (pid > 1 && kill(pid, SIGTERM) == 0)
            for (int i = 0; i < 1200 && alive(pid); i++)
                nanosleep(&tick, NULL);
    }
    *(void **)&real = dlsym(RTLD_NEXT, "virDomainDefineXMLFlags");
    return real ? real(conn, xml, flags) : NULL;
}
