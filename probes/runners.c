#include "probes/runners.h"

#include <glib.h>
#include <string.h>
#include "probes/runner_qemu.h"

static char *qemu_unavailable(void)
{
    char *reason = NULL;
    g_autofree char *path = runner_qemu_find(&reason);

    return path ? NULL : reason;
}

static const struct runner_kind kinds[RUNNER_COUNT] = {
    [RUNNER_IN_PROCESS] = {
        "in-process", "the engines in this program, doing I/O as QEMU's block layer would",
        runner_run, NULL,
    },
    [RUNNER_QEMU_IMG] = {
        "qemu-img", "qemu-img bench: QEMU's own block layer and the image's format",
        runner_qemu_run, qemu_unavailable,
    },
};

const struct runner_kind *runner_kind(enum runner_id id)
{
    return (unsigned)id < RUNNER_COUNT ? &kinds[id] : NULL;
}

int runner_from_name(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "qemu") == 0)
        return RUNNER_QEMU_IMG;
    for (int i = 0; i < RUNNER_COUNT; i++)
        if (strcmp(name, kinds[i].name) == 0)
            return i;
    return -1;
}
