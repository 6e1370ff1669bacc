/* LD_PRELOAD fault shim for tests/test_engine.c. Only libc calls pass through here: the
 * thread pool's pread/pwrite/fdatasync and everybody's open. io_uring and libaio reach the
 * kernel without libc, so their faults come from a full filesystem instead.
 *   VDT_SHIM_ODIRECT_EINVAL=1  open() with O_DIRECT fails with EINVAL, as on a filesystem
 *                              without direct I/O (this kernel's tmpfs accepts it).
 *   VDT_SHIM_EIO_AFTER=N       every pread/pwrite after the first N fails with EIO
 *                              (or with VDT_SHIM_ERRNO, a number, when set).
 *   VDT_SHIM_FDATASYNC_FAIL=PREFIX  fdatasync on a descriptor whose path starts with PREFIX
 *                              fails with EIO (or VDT_SHIM_ERRNO) after the first
 *                              VDT_SHIM_FDATASYNC_FAIL_AFTER (default 0) such calls: a
 *                              journal's disk failing or filling up mid-run.
 *   VDT_SHIM_DELAY_US=N        every pread/pwrite sleeps N µs first: a slow device, so a
 *                              timed run does a bounded number of I/Os.
 *   VDT_SHIM_LOG=FILE          appends one line per call seen: "open ACCESS[,direct][,excl]
 *                              PATH" and "pread OFFSET LENGTH" / "pwrite OFFSET LENGTH", and
 *                              "fadvise dontneed PATH" for posix_fadvise(POSIX_FADV_DONTNEED),
 *                              "fdatasync PATH" (and " failed" when it was made to fail),
 *                              for tests of a whole program (what it opened, where it read,
 *                              which page cache it dropped).
 * vdt_shim_count("fdatasync" | "pread" | "pwrite" | "open_direct") counts the calls seen;
 * "fdatasync_max_inflight" is the most fdatasync calls seen running at once. */
/* Both the plain and the 64 names are defined here: no renaming of one to the other. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

unsigned long vdt_shim_count(const char *what);
int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);
int openat(int dirfd, const char *path, int flags, ...);
int openat64(int dirfd, const char *path, int flags, ...);
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
ssize_t pread(int fd, void *buf, size_t n, off_t off);
ssize_t pread64(int fd, void *buf, size_t n, off_t off);
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off);
int fdatasync(int fd);
int posix_fadvise(int fd, off_t off, off_t len, int advice);
int posix_fadvise64(int fd, off_t off, off_t len, int advice);

static atomic_ulong n_fdatasync, n_pread, n_pwrite, n_open_direct, n_rw;
static atomic_ulong n_fdatasync_inflight, n_fdatasync_max;

unsigned long vdt_shim_count(const char *what)
{
    if (strcmp(what, "fdatasync") == 0)
        return atomic_load(&n_fdatasync);
    if (strcmp(what, "pread") == 0)
        return atomic_load(&n_pread);
    if (strcmp(what, "pwrite") == 0)
        return atomic_load(&n_pwrite);
    if (strcmp(what, "open_direct") == 0)
        return atomic_load(&n_open_direct);
    if (strcmp(what, "fdatasync_max_inflight") == 0)
        return atomic_load(&n_fdatasync_max);
    return 0;
}

/* POSIX's way to turn dlsym's object pointer into a function pointer. */
#define REAL(var, name) (*(void **)&(var) = dlsym(RTLD_NEXT, (name)))

static int log_fd = -2;   /* -2: not opened yet, -1: no log */

/* One line per write(2) on an O_APPEND descriptor: lines from threads do not interleave. */
static void log_line(const char *fmt, ...)
{
    const char *path;
    char line[4352];
    va_list ap;
    int n;

    if (log_fd == -2) {
        int (*real_open)(const char *, int, ...);

        path = getenv("VDT_SHIM_LOG");
        REAL(real_open, "open");
        log_fd = path && *path ? real_open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)
                               : -1;
    }
    if (log_fd < 0)
        return;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof line && write(log_fd, line, (size_t)n) < 0)
        return;   /* a lost log line fails the test that reads the log */
}

static void log_open(const char *path, int flags)
{
    const char *access = (flags & O_ACCMODE) == O_RDONLY ? "rdonly"
                         : (flags & O_ACCMODE) == O_WRONLY ? "wronly" : "rdwr";

    log_line("open %s%s%s %s\n", access, flags & O_DIRECT ? ",direct" : "",
             flags & O_EXCL ? ",excl" : "", path);
}

static void delay_io(void)
{
    const char *v = getenv("VDT_SHIM_DELAY_US");

    if (v)
        usleep((useconds_t)strtoul(v, NULL, 10));
}

static int refuse_direct(int flags)
{
    const char *v = getenv("VDT_SHIM_ODIRECT_EINVAL");

    if (!(flags & O_DIRECT))
        return 0;
    atomic_fetch_add(&n_open_direct, 1);
    if (v && strcmp(v, "1") == 0) {
        errno = EINVAL;
        return 1;
    }
    return 0;
}

/* true: this pread/pwrite is to fail (errno set). */
static int inject_eio(void)
{
    const char *v = getenv("VDT_SHIM_EIO_AFTER");
    unsigned long seen = atomic_fetch_add(&n_rw, 1);

    if (v && seen >= strtoul(v, NULL, 10)) {
        const char *e = getenv("VDT_SHIM_ERRNO");

        errno = e ? atoi(e) : EIO;
        return 1;
    }
    return 0;
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

#define SHIM_OPEN(fn)                                                          \
    int fn(const char *path, int flags, ...)                                   \
    {                                                                          \
        int (*real)(const char *, int, ...);                                   \
        REAL(real, #fn);                                                       \
        va_list ap;                                                            \
        mode_t mode;                                                           \
        va_start(ap, flags);                                                   \
        mode = mode_arg(flags, ap);                                            \
        va_end(ap);                                                            \
        log_open(path, flags);                                                 \
        if (refuse_direct(flags))                                              \
            return -1;                                                         \
        return real(path, flags, mode);                                        \
    }
SHIM_OPEN(open)
SHIM_OPEN(open64)

#define SHIM_OPENAT(fn)                                                        \
    int fn(int dirfd, const char *path, int flags, ...)                        \
    {                                                                          \
        int (*real)(int, const char *, int, ...);                              \
        REAL(real, #fn);                                                       \
        va_list ap;                                                            \
        mode_t mode;                                                           \
        va_start(ap, flags);                                                   \
        mode = mode_arg(flags, ap);                                            \
        va_end(ap);                                                            \
        log_open(path, flags);                                                 \
        if (refuse_direct(flags))                                              \
            return -1;                                                         \
        return real(dirfd, path, flags, mode);                                 \
    }
SHIM_OPENAT(openat)
SHIM_OPENAT(openat64)

#define SHIM_OPEN2(fn)                                                         \
    int fn(const char *path, int flags)                                        \
    {                                                                          \
        int (*real)(const char *, int);                                        \
        REAL(real, #fn);                                                       \
        log_open(path, flags);                                                 \
        if (refuse_direct(flags))                                              \
            return -1;                                                         \
        return real(path, flags);                                              \
    }
SHIM_OPEN2(__open_2)
SHIM_OPEN2(__open64_2)

#define SHIM_PREAD(fn)                                                         \
    ssize_t fn(int fd, void *buf, size_t n, off_t off)                         \
    {                                                                          \
        ssize_t (*real)(int, void *, size_t, off_t);                           \
        REAL(real, #fn);                                                       \
        atomic_fetch_add(&n_pread, 1);                                         \
        log_line("pread %lld %zu\n", (long long)off, n);                       \
        delay_io();                                                            \
        if (inject_eio())                                                      \
            return -1;                                                         \
        return real(fd, buf, n, off);                                          \
    }
SHIM_PREAD(pread)
SHIM_PREAD(pread64)

#define SHIM_PWRITE(fn)                                                        \
    ssize_t fn(int fd, const void *buf, size_t n, off_t off)                   \
    {                                                                          \
        ssize_t (*real)(int, const void *, size_t, off_t);                     \
        REAL(real, #fn);                                                       \
        atomic_fetch_add(&n_pwrite, 1);                                        \
        log_line("pwrite %lld %zu\n", (long long)off, n);                      \
        delay_io();                                                            \
        if (inject_eio())                                                      \
            return -1;                                                         \
        return real(fd, buf, n, off);                                          \
    }
SHIM_PWRITE(pwrite)
SHIM_PWRITE(pwrite64)

static atomic_ulong n_fdatasync_matched;

/* fd's path, "" when unknown. */
static void fd_path(int fd, char *path, size_t size)
{
    char link[64];
    ssize_t n;

    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, path, size - 1);
    path[n > 0 ? n : 0] = '\0';
}

/* true: this fdatasync is to fail (errno set). Logs it. */
static int fail_fdatasync(int fd)
{
    const char *prefix = getenv("VDT_SHIM_FDATASYNC_FAIL");
    const char *after = getenv("VDT_SHIM_FDATASYNC_FAIL_AFTER");
    char path[4096];
    int fail = 0;

    fd_path(fd, path, sizeof path);
    if (prefix && *prefix && strncmp(path, prefix, strlen(prefix)) == 0 &&
        atomic_fetch_add(&n_fdatasync_matched, 1) >= (after ? strtoul(after, NULL, 10) : 0)) {
        const char *e = getenv("VDT_SHIM_ERRNO");

        fail = 1;
        errno = e ? atoi(e) : EIO;
    }
    log_line("fdatasync %s%s\n", path, fail ? " failed" : "");
    return fail;
}

int fdatasync(int fd)
{
    int (*real)(int);

    unsigned long now, max;
    int rc;

    REAL(real, "fdatasync");

    if (fail_fdatasync(fd))
        return -1;
    atomic_fetch_add(&n_fdatasync, 1);
    now = atomic_fetch_add(&n_fdatasync_inflight, 1) + 1;
    max = atomic_load(&n_fdatasync_max);
    while (now > max && !atomic_compare_exchange_weak(&n_fdatasync_max, &max, now))
        ;
    rc = real(fd);
    atomic_fetch_sub(&n_fdatasync_inflight, 1);
    return rc;
}

static void log_fadvise(int fd, int advice)
{
    char path[4096];

    if (advice != POSIX_FADV_DONTNEED)
        return;
    fd_path(fd, path, sizeof path);
    if (*path)
        log_line("fadvise dontneed %s\n", path);
}

int posix_fadvise(int fd, off_t off, off_t len, int advice)
{
    int (*real)(int, off_t, off_t, int);

    log_fadvise(fd, advice);
    REAL(real, "posix_fadvise");
    return real(fd, off, len, advice);
}

int posix_fadvise64(int fd, off_t off, off_t len, int advice)
{
    int (*real)(int, off_t, off_t, int);

    log_fadvise(fd, advice);
    REAL(real, "posix_fadvise64");
    return real(fd, off, len, advice);
}
