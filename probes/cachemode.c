#include "probes/cachemode.h"

#include <string.h>

static const struct cache_mode_info cache_modes[CACHE_COUNT] = {
    [CACHE_NONE]         = { "none",         true,  false, false },
    [CACHE_WRITETHROUGH] = { "writethrough", false, true,  false },
    [CACHE_WRITEBACK]    = { "writeback",    false, false, false },
    [CACHE_DIRECTSYNC]   = { "directsync",   true,  true,  false },
    [CACHE_UNSAFE]       = { "unsafe",       false, false, true  },
};

static const struct io_mode_info io_modes[IO_COUNT] = {
    [IO_NATIVE]  = { "native",   "libaio",   true  },
    [IO_THREADS] = { "threads",  "threads",  false },
    [IO_URING]   = { "io_uring", "io_uring", false },
};

const struct cache_mode_info *cache_mode_info(enum cache_mode mode)
{
    if ((unsigned)mode >= CACHE_COUNT)
        return NULL;
    return &cache_modes[mode];
}

const struct io_mode_info *io_mode_info(enum io_mode mode)
{
    if ((unsigned)mode >= IO_COUNT)
        return NULL;
    return &io_modes[mode];
}

int cache_mode_from_name(const char *name)
{
    for (int i = 0; name && i < CACHE_COUNT; i++)
        if (strcmp(cache_modes[i].name, name) == 0)
            return i;
    return -1;
}

int io_mode_from_name(const char *name)
{
    for (int i = 0; name && i < IO_COUNT; i++)
        if (strcmp(io_modes[i].name, name) == 0)
            return i;
    return -1;
}

bool cache_io_valid(enum cache_mode cache, enum io_mode io, const char **reason)
{
    const struct cache_mode_info *c = cache_mode_info(cache);
    const struct io_mode_info *i = io_mode_info(io);

    if (!c || !i) {
        if (reason)
            *reason = "unknown cache or io mode";
        return false;
    }
    if (i->needs_direct && !c->direct) {
        /* libvirt refuses it before QEMU starts; QEMU itself would say
         * "aio=native was specified, but it requires cache.direct=on". */
        if (reason)
            *reason = "io='native' needs either no disk cache or directsync cache mode "
                      "(QEMU: aio=native requires cache.direct=on)";
        return false;
    }
    if (reason)
        *reason = NULL;
    return true;
}

bool cache_io_uses_dsync(enum cache_mode cache, enum io_mode io, unsigned qemu_major)
{
    const struct cache_mode_info *c = cache_mode_info(cache);

    return c && c->flush_each_write && qemu_major >= 10 && io != IO_THREADS;
}
