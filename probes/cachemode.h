/* QEMU's cache= and io= modes as data: what each does to the open flags and to flushes.
 * Source: QEMU's block-layer documentation (cache.direct / cache.writeback / cache.no-flush),
 * checked against qemu-img 7.2; see ../shared/DESIGN.md "Cache and io modes". */
#pragma once
#include <stdbool.h>

enum cache_mode {
    CACHE_NONE,
    CACHE_WRITETHROUGH,
    CACHE_WRITEBACK,
    CACHE_DIRECTSYNC,
    CACHE_UNSAFE,
    CACHE_COUNT
};

struct cache_mode_info {
    const char *name;
    bool direct;            /* opened O_DIRECT (cache.direct=on) */
    bool flush_each_write;  /* writeback=off: QEMU completes a write only after a flush */
    bool drop_flush;        /* cache.no-flush=on: guest flushes are ignored */
};

enum io_mode {
    IO_NATIVE,
    IO_THREADS,
    IO_URING,
    IO_COUNT
};

struct io_mode_info {
    const char *name;       /* libvirt's io= value */
    const char *engine;     /* the probes/ engine that does the I/O as QEMU would */
    bool needs_direct;      /* QEMU refuses it without cache.direct=on */
};

/* Both return NULL for a value out of range. */
const struct cache_mode_info *cache_mode_info(enum cache_mode mode);
const struct io_mode_info *io_mode_info(enum io_mode mode);

/* Parse a libvirt name; -1 when unknown. libvirt's "default" is not accepted here:
 * the caller resolves it to what the hypervisor would use. */
int cache_mode_from_name(const char *name);
int io_mode_from_name(const char *name);

/* Whether QEMU and libvirt accept the combination. On false, *reason (static text, may be
 * NULL to ignore) says why in QEMU's and libvirt's words. */
bool cache_io_valid(enum cache_mode cache, enum io_mode io, const char **reason);

/* Since QEMU 10.0 the native and io_uring paths send a write-through write with RWF_DSYNC
 * (FUA) rather than write + fdatasync; the thread pool still flushes separately. */
bool cache_io_uses_dsync(enum cache_mode cache, enum io_mode io, unsigned qemu_major);

/* What QEMU runs when the domain XML names no cache or io mode (libvirt then passes
 * none): cache.direct=off with a write cache, i.e. writeback, and the thread pool. */
#define CACHE_QEMU_DEFAULT CACHE_WRITEBACK
#define IO_QEMU_DEFAULT IO_THREADS
