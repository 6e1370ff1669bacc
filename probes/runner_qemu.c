/* One bench cell run by `qemu-img bench`: the checks, the image's format and size
 * (qemu-img info), a calibration that is also the warm-up, then the measured run. Each
 * qemu-img is a child watched through its pipes in short slices, so this thread keeps the
 * progress and sees a cancel in time.
 *
 * What qemu-img bench is (qemu-img.c, img_bench and bench_cb; QEMU 7.2 as installed here,
 * checked with strace and /proc/locks):
 * - Reads open the image read-only: only -w adds BDRV_O_RDWR (strace: openat O_RDONLY).
 *   blk_new_open() (block/block-backend.c) then takes the permission CONSISTENT_READ and
 *   shares all (BLK_PERM_ALL; BDRV_O_NO_SHARE is not set by bench), so file-posix locks
 *   byte 100 alone. A running QEMU's disk holds bytes 100-101 (read, write) and refuses to
 *   share write (byte 201): nothing a read needs. A read bench of an image a running QEMU
 *   holds works without -U (tried against a qemu-system-x86_64 holding the image), so -U
 *   is not passed; and -U with -w is refused ("force-share=on can only be used with
 *   read-only images").
 * - A write bench wants the write permission: when another process holds the image (a
 *   running guest), the open fails with 'Failed to get "write" lock' and "Is another
 *   process using the image?". That is a refusal, as DESIGN.md "Safety model" wants.
 * - It runs a count of requests (-c, an int), not a time, and prints "Run completed in
 *   %3.3f seconds." at the end, nothing while it runs.
 * Each qemu-img is run by probes/child.h. */
#include "probes/runner_qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probes/child.h"
#include "probes/diskstats.h"
#include "probes/pagecache.h"
#include "probes/units.h"
#include "probes/workload.h"

#define CALIBRATION_MIN_S 0.2
#define CALIBRATION_MAX_RUNS 24
/* -c, -d, -s and -S are ints in img_bench (qemu_strtoul/cvtnum, then "> INT_MAX" refused). */
#define QEMU_ARG_MAX ((uint64_t)INT_MAX)
/* Written by write cells: not zeros (qemu-img's default pattern), which thin storage,
 * compression or a zero-detecting layer could shortcut. */
#define WRITE_PATTERN "--pattern=0xa5"

enum { PHASE_OPENING, PHASE_RAMP, PHASE_MEASURE, PHASE_DONE };

struct qcell {
    const struct run_spec *spec;
    struct run_progress *progress;
    const atomic_bool *cancel;
    char *qemu_img;
    char *target;           /* spec->path as qemu-img must read it: always a file name */
    char **envp;
    char *format;           /* given, or what qemu-img info detected */
    uint64_t image_size;    /* virtual size (qemu-img info "virtual-size") */
    uint64_t nblocks;       /* image_size / block */
    uint64_t stride;        /* in blocks: 1 sequential, else coprime with nblocks */
    uint64_t next_index;    /* requests issued so far: where the next run starts */
    bool direct;            /* the cache mode opens O_DIRECT */
    bool flush_each;        /* --flush-interval=1 */
    char warning[256];      /* for out->reason of an ok or cancelled cell */
};

/* What the progress shows while a child runs: qemu-img says nothing until it ends, so the
 * ops are estimated from the last known rate. */
struct estimate {
    uint64_t phase_start;
    double rate;            /* I/Os per second; 0: not known yet */
    uint64_t count;         /* of the run going on */
    uint64_t ops_before;    /* of earlier runs of the phase */
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}


static void warn(struct qcell *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void warn(struct qcell *c, const char *fmt, ...)
{
    size_t l = strlen(c->warning);
    va_list ap;

    if (l && l + 2 < sizeof c->warning) {
        g_strlcpy(c->warning + l, "; ", sizeof c->warning - l);
        l += 2;
    }
    va_start(ap, fmt);
    vsnprintf(c->warning + l, sizeof c->warning - l, fmt, ap);
    va_end(ap);
}

static bool cancelled(const struct qcell *c)
{
    return c->cancel && atomic_load(c->cancel);
}

/* ---- outside text ---- */

static bool is_bidi(gunichar u)
{
    return u == 0x200e || u == 0x200f || (u >= 0x202a && u <= 0x202e) ||
           (u >= 0x2066 && u <= 0x2069);
}

/* qemu-img echoes the path it was given, which is outside input: made printable as
 * core/textesc.c does for the layers above (C0, DEL and C1 controls and bytes that are not
 * UTF-8 become \xNN, bidi controls \u{NNNN}, a backslash \\), cut to buf at a character. */
static void escape_into(char *buf, size_t size, const char *s, size_t n)
{
    const char *end = s + n;
    size_t used = 0;

    for (const char *p = s; p < end;) {
        unsigned char ch = (unsigned char)*p;
        gunichar u = ch < 0x80 ? ch : g_utf8_get_char_validated(p, end - p);
        char piece[16];
        size_t len, step = 1;

        if (ch < 0x20 || ch == 0x7f) {
            len = (size_t)snprintf(piece, sizeof piece, "\\x%02x", ch);
        } else if (ch == '\\') {
            len = (size_t)snprintf(piece, sizeof piece, "\\\\");
        } else if (ch < 0x80) {
            piece[0] = (char)ch;
            len = 1;
        } else if (u == (gunichar)-1 || u == (gunichar)-2) {
            len = (size_t)snprintf(piece, sizeof piece, "\\x%02x", ch);
        } else {
            step = (size_t)(g_utf8_next_char(p) - p);
            if (u <= 0x9f)
                len = (size_t)snprintf(piece, sizeof piece, "\\x%02x", (unsigned)u);
            else if (is_bidi(u))
                len = (size_t)snprintf(piece, sizeof piece, "\\u{%04X}", (unsigned)u);
            else {
                memcpy(piece, p, step);
                len = step;
            }
        }
        if (used + len >= size)
            break;
        memcpy(buf + used, piece, len);
        used += len;
        p += step;
    }
    buf[used] = '\0';
}

static void escape_str(char *buf, size_t size, const char *s)
{
    escape_into(buf, size, s, strlen(s));
}

/* ---- finding qemu-img ---- */

char *runner_qemu_find(char **reason)
{
    const char *env = g_getenv("VIRT_DISKTUNE_QEMU_IMG");
    char shown[256];
    char *path;

    if (reason)
        *reason = NULL;
    if (env && *env) {
        if (g_file_test(env, G_FILE_TEST_IS_REGULAR) &&
            g_file_test(env, G_FILE_TEST_IS_EXECUTABLE))
            return g_strdup(env);
        escape_str(shown, sizeof shown, env);
        if (reason)
            *reason = g_strdup_printf("VIRT_DISKTUNE_QEMU_IMG=%s is not an executable file",
                                      shown);
        return NULL;
    }
    path = g_find_program_in_path("qemu-img");
    if (!path && reason)
        *reason = g_strdup("qemu-img is not on PATH (Debian: qemu-utils); "
                           "VIRT_DISKTUNE_QEMU_IMG may name it");
    return path;
}

/* ---- one qemu-img process (probes/child.h) ---- */

struct tick_ctx {
    const struct qcell *c;
    const struct estimate *e;
};

/* While a child runs: qemu-img says nothing until it ends, so the ops are estimated. */
static void estimate_tick(gpointer data, uint64_t run_ns)
{
    const struct tick_ctx *t = data;
    const struct estimate *e = t->e;
    struct run_progress *p = t->c->progress;

    if (!p || !e)
        return;
    atomic_store_explicit(&p->elapsed_ns, now_ns() - e->phase_start, memory_order_relaxed);
    if (e->rate > 0) {
        uint64_t ops = (uint64_t)(e->rate * (double)run_ns / 1e9);

        atomic_store_explicit(&p->ops, e->ops_before + MIN(ops, e->count), memory_order_relaxed);
        atomic_store_explicit(&p->current_iops, (uint64_t)e->rate, memory_order_relaxed);
    }
}

/* Run argv to its end. 0 when it ran (r says how it ended), else the status in out. */
static int qemu_img_run(const struct qcell *c, char **argv, const struct estimate *e,
                        struct child_run *r, struct run_result *out)
{
    struct tick_ctx t = { c, e };
    g_autoptr(GError) error = NULL;
    char shown[200];
    int ret = child_run(argv, c->envp, c->cancel, estimate_tick, &t, r, &error);

    if (ret == 0)
        return 0;
    escape_str(shown, sizeof shown, error->message);
    run_result_set(out, RUN_ERROR, -ret, "cannot run qemu-img: %s", shown);
    return ret;
}

/* ---- qemu-img's words ---- */

/* The child runs under LC_ALL=C: its strerror() texts are these. */
static int errno_in(const char *text)
{
    static const int known[] = { ENOENT, EACCES, EPERM, EROFS, ENOSPC, EDQUOT, ENOMEM,
                                 ENXIO, ENODEV, EBUSY, EINVAL, EIO };
    static const char *const words[] = {
        "No such file or directory", "Permission denied", "Operation not permitted",
        "Read-only file system", "No space left on device", "Disk quota exceeded",
        "Cannot allocate memory", "No such device or address", "No such device",
        "Device or resource busy", "Invalid argument", "Input/output error",
    };

    G_STATIC_ASSERT(G_N_ELEMENTS(known) == G_N_ELEMENTS(words));
    for (unsigned i = 0; i < G_N_ELEMENTS(known); i++)
        if (strstr(text, words[i]))
            return known[i];
    return EIO;
}

/* A qemu-img that did not succeed: its first line of stderr says why. */
static int child_failed(const struct qcell *c, const struct child_run *r, bool bench,
                        struct run_result *out)
{
    const char *err = r->err->str;
    const char *nl;
    int st = r->wait_status;

    while (*err == '\n')
        err++;
    nl = strchr(err, '\n');
    if (r->lost) {
        run_result_set(out, RUN_ERROR, ECHILD,
                       "qemu-img's exit status was lost (reaped elsewhere)");
        return -ECHILD;
    }
    if (WIFSIGNALED(st)) {
        run_result_set(out, RUN_ERROR, EIO, "qemu-img was killed by signal %d (%s)", WTERMSIG(st),
                   g_strsignal(WTERMSIG(st)));
        return -EIO;
    }
    /* file-posix: 'Failed to get "write" lock' / 'Failed to get shared "write" lock'. */
    if (strstr(err, "Failed to get") && strstr(err, "lock")) {
        out->status = RUN_REFUSED;
        out->err = EBUSY;
    } else if (bench && c->direct && (strstr(err, "does not support O_DIRECT") ||
                                      strstr(err, "Invalid argument"))) {
        /* file-posix turns EINVAL from an O_DIRECT open into "filesystem does not support
         * O_DIRECT"; a refused first I/O says "Failed request: Invalid argument". */
        out->status = RUN_UNSUPPORTED;
        out->err = EINVAL;
    } else {
        out->status = RUN_ERROR;
        out->err = errno_in(err);
    }
    if (*err)
        escape_into(out->reason, sizeof out->reason, err, nl ? (size_t)(nl - err) : strlen(err));
    else
        snprintf(out->reason, sizeof out->reason, "qemu-img exited with status %d",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return -out->err;
}


/* ---- checks ---- */

static bool spec_sane(const struct run_spec *spec, struct run_result *out)
{
    const struct workload *wl = &spec->wl;

    if (!spec->path || !*spec->path || wl->block == 0 || wl->depth == 0 || wl->read_pct > 100 ||
        wl->block > (1u << 30) || wl->depth > 65536) {
        run_result_set(out, RUN_ERROR, EINVAL,
                   "bad cell: path %s, block %u, depth %u, read share %u %%",
                   spec->path ? spec->path : "(none)", wl->block, wl->depth, wl->read_pct);
        return false;
    }
    if (spec->format && !*spec->format) {
        run_result_set(out, RUN_ERROR, EINVAL, "bad cell: an empty image format");
        return false;
    }
    return true;
}

/* What qemu-img bench cannot run: nothing is spawned. */
static int check_runnable(const struct run_spec *spec, struct run_result *out)
{
    const struct cache_mode_info *cm = cache_mode_info(spec->cache);

    if (spec->wl.read_pct > 0 && spec->wl.read_pct < 100) {
        run_result_set(out, RUN_UNSUPPORTED, ENOTSUP,
                       "qemu-img bench runs only reads or only writes");
        return -ENOTSUP;
    }
    /* img_bench refuses "Flush interval can't be smaller than depth": a flush after every
     * write exists only at depth 1. */
    if (spec->wl.flush_each && workload_writes(&spec->wl) && !cm->flush_each_write &&
        spec->wl.depth > 1) {
        run_result_set(out, RUN_UNSUPPORTED, ENOTSUP,
                   "qemu-img bench flushes at most once per %u writes (its queue depth), "
                   "not after each", spec->wl.depth);
        return -ENOTSUP;
    }
    return 0;
}


/* ---- the image: format and size ---- */

static int parse_info(struct qcell *c, const char *json, struct run_result *out)
{
    json_object *root = json_tokener_parse(json);
    json_object *v = NULL;
    int ret = 0;

    if (!root || !json_object_is_type(root, json_type_object)) {
        run_result_set(out, RUN_ERROR, EPROTO, "qemu-img info gave no JSON object");
        ret = -EPROTO;
    } else if (!c->format && !(json_object_object_get_ex(root, "format", &v) &&
                               json_object_is_type(v, json_type_string))) {
        run_result_set(out, RUN_ERROR, EPROTO, "qemu-img info named no format");
        ret = -EPROTO;
    } else {
        if (!c->format)
            c->format = g_strdup(json_object_get_string(v));
        if (json_object_object_get_ex(root, "virtual-size", &v) &&
            json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0) {
            c->image_size = (uint64_t)json_object_get_int64(v);
        } else {
            run_result_set(out, RUN_ERROR, EPROTO, "qemu-img info gave no virtual size");
            ret = -EPROTO;
        }
    }
    json_object_put(root);
    return ret;
}

/* qemu-img info --output=json, always run: the virtual size the offsets wrap at (a qcow2's
 * is in its header), and the format when none was given (a guess from the content:
 * a raw image whose guest wrote a qcow2 header there would pass for qcow2, so callers that
 * know the format from the domain XML give it). With -f, nothing is probed.
 * 0, 1 when cancelled, else the status in out. */
static int image_info(struct qcell *c, struct run_result *out)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    struct child_run r;
    int ret = runner_check_identity(c->spec, -1, out);

    if (ret < 0)
        return ret;
    g_ptr_array_add(argv, c->qemu_img);
    g_ptr_array_add(argv, "info");
    g_ptr_array_add(argv, "--output=json");
    if (c->format) {
        g_ptr_array_add(argv, "-f");
        g_ptr_array_add(argv, c->format);
    }
    g_ptr_array_add(argv, c->target);
    g_ptr_array_add(argv, NULL);
    child_run_init(&r);
    ret = qemu_img_run(c, (char **)argv->pdata, NULL, &r, out);
    if (ret == 0 && r.cancelled)
        ret = 1;
    else if (ret == 0 && !child_ok(&r))
        ret = child_failed(c, &r, false, out);
    else if (ret == 0)
        ret = parse_info(c, r.out->str, out);
    child_run_clear(&r);
    return ret;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;

        a = b;
        b = t;
    }
    return a;
}

/* a * b mod m without overflow (an image may hold more than 2^32 blocks). */
static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    uint64_t r = 0;

    a %= m;
    for (; b; b >>= 1) {
        if (b & 1)
            r = r >= m - a ? r - (m - a) : r + a;
        a = a >= m - a ? a - (m - a) : a + a;
    }
    return r;
}

/* bench_cb (qemu-img.c, QEMU 7.2) issues its first request at -o and each next one at
 *     offset = (offset + step) % image_size
 * with image_size the virtual size (blk_getlength), not image_size - block: so the image
 * must hold a whole number of blocks, else a wrapped request runs past the end ("Failed
 * request: Input/output error", seen with 4 MiB + 512 bytes). Then request i reads block
 * (i * k) mod N for a step of k blocks out of N, and visits every block once in N requests
 * exactly when gcd(k, N) = 1 (strace on 1024 blocks, k = 7: ..., 1015, 1022, then 5).
 * k near 0.618 N (the golden ratio's Weyl sequence) puts consecutive requests far apart
 * and spreads any run of them evenly; -S is an int, so k is at most INT_MAX / block. */
static uint64_t stride_blocks(uint64_t n, uint32_t block)
{
    uint64_t k = (uint64_t)((double)n * 0.6180339887498949);

    k = MIN(k, QEMU_ARG_MAX / block);
    k = MAX(k, 1);
    while (k > 1 && gcd(k, n) != 1)
        k--;
    return k;
}

static int check_geometry(struct qcell *c, struct run_result *out)
{
    const struct run_spec *spec = c->spec;
    uint32_t block = spec->wl.block;
    char a[UNITS_BYTES_LEN], b[UNITS_BYTES_LEN];

    units_format_bytes(c->image_size, a, sizeof a);
    units_format_bytes(block, b, sizeof b);
    if (c->image_size < block) {
        run_result_set(out, RUN_ERROR, EINVAL, "image size %s holds no whole block of %s", a, b);
        return -EINVAL;
    }
    if (c->image_size % block) {
        run_result_set(out, RUN_UNSUPPORTED, EINVAL,
                   "image size %s is not a multiple of the block %s: qemu-img bench wraps its "
                   "offsets at the image's end and would run past it", a, b);
        return -EINVAL;
    }
    if (spec->span > c->image_size) {
        units_format_bytes(spec->span, b, sizeof b);
        run_result_set(out, RUN_ERROR, EINVAL, "span %s exceeds image size %s", b, a);
        return -EINVAL;
    }
    if (spec->span && spec->span < c->image_size) {
        units_format_bytes(spec->span, b, sizeof b);
        /* A write outside the approved span may reach data nothing saved. */
        if (workload_writes(&spec->wl)) {
            run_result_set(out, RUN_UNSUPPORTED, ENOTSUP,
                       "qemu-img bench writes over the whole image (%s), not a span of %s", a, b);
            return -ENOTSUP;
        }
        warn(c, "qemu-img bench reads the whole image (%s), not the span of %s", a, b);
    }
    c->nblocks = c->image_size / block;
    c->stride = spec->wl.random ? stride_blocks(c->nblocks, block) : 1;
    if (spec->wl.random)
        warn(c, "strided offsets: qemu-img bench has no random pattern");
    return 0;
}

/* Raw reads of a regular file: the holes read without device I/O. 0 or the status. */
static int data_fraction(struct qcell *c, struct run_result *out)
{
    const struct run_spec *spec = c->spec;
    struct extent_map m;
    struct stat st;
    int fd, ret;

    out->data_fraction = 1.0;
    if (workload_writes(&spec->wl) || strcmp(c->format, "raw") != 0)
        return 0;
    fd = open(spec->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    ret = extent_map_build(fd, c->image_size, spec->wl.block, &m);
    close(fd);
    if (ret < 0)
        return 0;
    out->data_fraction = (double)m.total_blocks / (double)c->nblocks;
    extent_map_free(&m);
    if (out->data_fraction <= 0) {
        run_result_set(out, RUN_ERROR, ENODATA,
                   "the image %s holds no data (all holes): reads would measure nothing",
                   spec->path);
        return -ENODATA;
    }
    if (out->data_fraction < 1.0)
        warn(c, "only %d %% of the image holds data; qemu-img bench reads "
             "the holes too", (int)(out->data_fraction * 100.0));
    return 0;
}

/* ---- qemu-img bench ---- */

struct bench_args {
    char count[24], depth[24], block[24], step[24], offset[24];
};

/* qemu-img bench -f FMT -t CACHE -i IO -c COUNT -d DEPTH -s BLOCK -o OFFSET [-S STEP]
 * [-w --pattern [--flush-interval=1]] TARGET, starting where the last run stopped. */
static GPtrArray *bench_argv(struct qcell *c, uint64_t count, struct bench_args *a)
{
    const struct run_spec *spec = c->spec;
    GPtrArray *argv = g_ptr_array_new();
    uint64_t first = mulmod(c->next_index, c->stride, c->nblocks);

    snprintf(a->count, sizeof a->count, "%llu", (unsigned long long)count);
    snprintf(a->depth, sizeof a->depth, "%u", spec->wl.depth);
    snprintf(a->block, sizeof a->block, "%u", spec->wl.block);
    snprintf(a->step, sizeof a->step, "%llu", (unsigned long long)(c->stride * spec->wl.block));
    snprintf(a->offset, sizeof a->offset, "%llu", (unsigned long long)(first * spec->wl.block));
    g_ptr_array_add(argv, c->qemu_img);
    g_ptr_array_add(argv, "bench");
    g_ptr_array_add(argv, "-f");
    g_ptr_array_add(argv, c->format);
    g_ptr_array_add(argv, "-t");
    g_ptr_array_add(argv, (char *)cache_mode_info(spec->cache)->name);
    g_ptr_array_add(argv, "-i");
    g_ptr_array_add(argv, (char *)io_mode_info(spec->io)->name);
    g_ptr_array_add(argv, "-c");
    g_ptr_array_add(argv, a->count);
    g_ptr_array_add(argv, "-d");
    g_ptr_array_add(argv, a->depth);
    g_ptr_array_add(argv, "-s");
    g_ptr_array_add(argv, a->block);
    g_ptr_array_add(argv, "-o");
    g_ptr_array_add(argv, a->offset);
    if (c->stride != 1) {
        g_ptr_array_add(argv, "-S");
        g_ptr_array_add(argv, a->step);
    }
    if (workload_writes(&spec->wl)) {
        g_ptr_array_add(argv, "-w");
        g_ptr_array_add(argv, WRITE_PATTERN);
        if (c->flush_each)
            g_ptr_array_add(argv, "--flush-interval=1");
    }
    g_ptr_array_add(argv, c->target);
    g_ptr_array_add(argv, NULL);
    c->next_index = (c->next_index + count) % c->nblocks;
    return argv;
}

/* "Run completed in %3.3f seconds." (img_bench), printed in the C locale. */
static bool parse_completed(const char *text, double *seconds)
{
    static const char key[] = "Run completed in ";
    const char *p = strstr(text, key);
    char *end;

    if (!p)
        return false;
    *seconds = g_ascii_strtod(p + strlen(key), &end);
    return end != p + strlen(key) && *seconds >= 0 && isfinite(*seconds);
}

/* One qemu-img bench of count requests: 0 with *seconds (qemu-img's own, which leaves out
 * its start and the image's opening), 1 when cancelled, else the status in out. */
static int bench_once(struct qcell *c, uint64_t count, struct estimate *e, struct child_run *r,
                      double *seconds, struct run_result *out)
{
    struct bench_args a;
    g_autoptr(GPtrArray) argv = NULL;
    int ret = runner_check_identity(c->spec, -1, out);

    if (ret < 0)
        return ret;
    if (cancelled(c))
        return 1;
    if (c->spec->drop_cache) {
        ret = pagecache_drop(c->spec->path);
        if (ret < 0 && !strstr(c->warning, "page cache"))
            warn(c, "the page cache was not dropped: %s", g_strerror(-ret));
    }
    argv = bench_argv(c, count, &a);
    e->count = count;
    ret = qemu_img_run(c, (char **)argv->pdata, e, r, out);
    if (ret < 0)
        return ret;
    if (r->cancelled)
        return 1;
    if (!child_ok(r))
        return child_failed(c, r, true, out);
    if (!parse_completed(r->out->str, seconds)) {
        run_result_set(out, RUN_ERROR, EPROTO, "qemu-img bench did not say how long it ran");
        return -EPROTO;
    }
    /* Printed with three decimals: a run under half a millisecond shows 0.000. */
    if (*seconds <= 0)
        *seconds = MIN((double)r->wall_ns / 1e9, 0.0005);
    return 0;
}

static uint64_t clamp_count(double v)
{
    if (!(v >= 1))
        return 1;
    return v >= (double)QEMU_ARG_MAX ? QEMU_ARG_MAX : (uint64_t)v;
}

static void enter_phase(const struct qcell *c, int phase)
{
    atomic_store(&c->progress->ops, 0);
    atomic_store(&c->progress->elapsed_ns, 0);
    atomic_store(&c->progress->current_iops, 0);
    atomic_store(&c->progress->phase, phase);
}

/* Phase 1, the warm-up: the count doubles (up to eightfold when a run was far too short)
 * from depth * 8 until a run lasts max(ramp, 0.2 s); its rate sizes the measured run.
 * 0 with *rate, 1 when cancelled, else the status in out. */
static int calibrate(struct qcell *c, double *rate, struct run_result *out)
{
    const struct run_spec *spec = c->spec;
    double target = MAX(spec->ramp_s, CALIBRATION_MIN_S);
    uint64_t count = MAX((uint64_t)spec->wl.depth * 8, 16);
    struct estimate e = { .phase_start = now_ns() };

    enter_phase(c, PHASE_RAMP);
    for (int i = 0; i < CALIBRATION_MAX_RUNS; i++) {
        struct child_run r;
        double s = 0;
        int ret;

        child_run_init(&r);
        ret = bench_once(c, count, &e, &r, &s, out);
        child_run_clear(&r);
        if (ret != 0)
            return ret;
        e.ops_before += count;
        atomic_store(&c->progress->ops, e.ops_before);
        e.rate = (double)count / s;
        if (s >= target || count >= QEMU_ARG_MAX)
            break;
        count = clamp_count((double)count * CLAMP(target / s, 2.0, 8.0));
    }
    *rate = e.rate;
    return 0;
}

/* The share of the measured reads the device served (as probes/runner.c). */
static double device_read_share(const struct run_spec *spec, bool measured,
                                const struct diskstats *before, const struct diskstats *after,
                                uint64_t bytes)
{
    double read_bytes = (double)bytes * spec->wl.read_pct / 100.0;

    if (!measured || read_bytes <= 0 || after->read_sectors < before->read_sectors)
        return -1;
    return MIN(1.0, (double)(after->read_sectors - before->read_sectors) * 512.0 / read_bytes);
}

static void fill_figures(const struct run_spec *spec, const struct child_run *r,
                         uint64_t count, double seconds, struct run_result *out)
{
    const struct rusage *ru = &r->ru;
    uint64_t cpu_us = ((uint64_t)ru->ru_utime.tv_sec + (uint64_t)ru->ru_stime.tv_sec) * 1000000u +
                      (uint64_t)ru->ru_utime.tv_usec + (uint64_t)ru->ru_stime.tv_usec;

    out->ops = count;
    out->bytes = count * spec->wl.block;
    out->seconds = seconds;
    out->iops = (double)out->ops / seconds;
    out->bytes_per_s = (double)out->bytes / seconds;
    /* The whole process, its start and the image's opening included: a little high. */
    out->cpu_us_per_io = (double)cpu_us / (double)count;
    out->ctx_switches = (uint64_t)ru->ru_nvcsw + (uint64_t)ru->ru_nivcsw;
}

/* Phase 2: rate x runtime requests. 0 (ok or cancelled: out->status), else the status. */
static int measure(struct qcell *c, double rate, struct run_result *out)
{
    const struct run_spec *spec = c->spec;
    uint64_t count = clamp_count(ceil(rate * spec->runtime_s));
    struct estimate e = { .phase_start = now_ns(), .rate = rate };
    struct diskstats before, after;
    struct child_run r;
    double seconds = 0;
    bool dev;
    int ret;

    count = MAX(count, MIN((uint64_t)spec->wl.depth, QEMU_ARG_MAX));
    enter_phase(c, PHASE_MEASURE);
    dev = diskstats_read(spec->stat_path, &before);
    child_run_init(&r);
    ret = bench_once(c, count, &e, &r, &seconds, out);
    dev = dev && diskstats_read(spec->stat_path, &after);
    if (ret == 0) {
        fill_figures(spec, &r, count, seconds, out);
        out->device_read_share = device_read_share(spec, dev, &before, &after, out->bytes);
        atomic_store(&c->progress->ops, count);
        atomic_store(&c->progress->current_iops, (uint64_t)out->iops);
        out->status = RUN_OK;
    } else if (ret == 1) {
        run_result_set(out, RUN_CANCELLED, 0,
                   "cancelled while measuring: qemu-img says nothing before it ends");
        ret = 0;
    }
    child_run_clear(&r);
    return ret;
}

/* ---- the cell ---- */

static int prepare(struct qcell *c, struct run_result *out)
{
    const struct run_spec *spec = c->spec;
    char *why = NULL;

    c->qemu_img = runner_qemu_find(&why);
    if (!c->qemu_img) {
        run_result_set(out, RUN_ERROR, ENOENT, "%s", why);
        g_free(why);
        return -ENOENT;
    }
    /* block.c reads "proto:rest" (nbd:, json:, ...) as a protocol when the colon comes
     * before any slash, and a leading '-' as an option: "./" keeps a relative path a file. */
    c->target = spec->path[0] == '/' ? g_strdup(spec->path) : g_strconcat("./", spec->path, NULL);
    /* qemu-img's messages, strerror texts and "%3.3f" read the same on every host. */
    c->envp = g_environ_setenv(g_get_environ(), "LC_ALL", "C", TRUE);
    c->format = spec->format ? g_strdup(spec->format) : NULL;
    c->direct = cache_mode_info(spec->cache)->direct;
    /* Guest flushes as runner.c sends them: none on a write-through disk (the guest sees no
     * volatile cache); on unsafe they are sent and QEMU drops them itself. With depth 1,
     * --flush-interval=1 makes bench_cb, after each write completes, issue a flush and,
     * draining (the default; --no-drain would keep writing while it runs), issue the next
     * write only when the flush completed: write, flush, write, flush. */
    c->flush_each = spec->wl.flush_each && workload_writes(&spec->wl) &&
                    !cache_mode_info(spec->cache)->flush_each_write;
    if (spec->iothreads > 1)
        warn(c, "qemu-img bench runs one thread, not %u iothreads", spec->iothreads);
    return 0;
}

static void qcell_free(struct qcell *c)
{
    g_free(c->qemu_img);
    g_free(c->target);
    g_strfreev(c->envp);
    g_free(c->format);
}

/* The checks before anything is spawned. */
static int check_spec(const struct run_spec *spec, struct run_result *out)
{
    const char *why = NULL;
    int ret;

    if (!cache_io_valid(spec->cache, spec->io, &why)) {
        run_result_set(out, RUN_INVALID, EINVAL, "%s", why);
        return -EINVAL;
    }
    if (!spec_sane(spec, out))
        return -EINVAL;
    ret = check_runnable(spec, out);
    if (ret < 0)
        return ret;
    if (workload_writes(&spec->wl) && !spec->allow_write) {
        run_result_set(out, RUN_REFUSED, EPERM,
                   "%s: writing is not allowed on this target (read-only run)", spec->path);
        return -EPERM;
    }
    return 0;
}

static int run_cell(struct qcell *c, struct run_result *out)
{
    double rate = 0;
    int ret = prepare(c, out);

    if (ret == 0)
        ret = image_info(c, out);
    if (ret == 0)
        ret = check_geometry(c, out);
    if (ret == 0)
        ret = data_fraction(c, out);
    if (ret == 0)
        ret = calibrate(c, &rate, out);
    if (ret == 0)
        return measure(c, rate, out);
    if (ret == 1) {
        run_result_set(out, RUN_CANCELLED, 0, "cancelled before measuring: nothing measured");
        return 0;
    }
    return ret;
}

static void add_warning(const struct qcell *c, struct run_result *out)
{
    size_t l = strlen(out->reason);

    if (!c->warning[0])
        return;
    if (out->status == RUN_OK)
        g_strlcpy(out->reason, c->warning, sizeof out->reason);
    else if (out->status == RUN_CANCELLED)
        snprintf(out->reason + l, sizeof out->reason - l, "; %s", c->warning);
}

int runner_qemu_run(const struct run_spec *spec, struct run_progress *progress,
                    const atomic_bool *cancel, struct run_result *out)
{
    struct run_progress own;
    struct qcell c = { .spec = spec, .cancel = cancel };
    int ret;

    memset(out, 0, sizeof *out);
    out->data_fraction = 1.0;
    out->device_read_share = -1;
    out->no_latency = true;
    c.progress = progress ? progress : &own;
    enter_phase(&c, PHASE_OPENING);
    ret = check_spec(spec, out);
    if (ret == 0) {
        ret = run_cell(&c, out);
        add_warning(&c, out);
    }
    qcell_free(&c);
    atomic_store(&c.progress->phase, PHASE_DONE);
    return ret;
}
