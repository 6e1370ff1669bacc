/* LD_PRELOAD fault shim for tests/test_apply.c: one libvirt call fails, as libvirt would
 * fail it on a real host (a QEMU that refuses, a cgroup that cannot be written), so the
 * rollback of a half-done apply can be tested on the test driver.
 *   VDT_SHIM_FAIL_PIN_IOTHREAD=1  virDomainPinIOThread returns -1 (after nothing). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdlib.h>
#include <libvirt/libvirt.h>

int virDomainPinIOThread(virDomainPtr domain, unsigned int iothread_id, unsigned char *cpumap,
                         int maplen, unsigned int flags)
{
    int (*real)(virDomainPtr, unsigned int, unsigned char *, int, unsigned int);

    if (getenv("VDT_SHIM_FAIL_PIN_IOTHREAD"))
        return -1;
    *(void **)&real = dlsym(RTLD_NEXT, "virDomainPinIOThread");
    return real ? real(domain, iothread_id, cpumap, maplen, flags) : -1;
}
