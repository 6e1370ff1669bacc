/* --mode scratch: a new file the tool creates (O_CREAT|O_EXCL|O_NOFOLLOW, 0600), fills with
 * incompressible data (never sparse: holes measure nothing), benchmarks and removes. No
 * domain can use a file that did not exist; another process that opens it meanwhile is
 * seen by the safety check before every writing cell. */
#include "core/bench_mode.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static bool scratch_authorize(struct bench_plan *plan, const struct bench_authority *auth,
                              GError **err)
{
    struct stat st;

    if (lstat(plan->target, &st) == 0)
        return bench_mode_refuse(err, plan->target,
                                 "exists; --mode scratch creates a new file and never reuses one");
    if (errno != ENOENT) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s: %s", plan->target,
                    g_strerror(errno));
        return false;
    }
    plan->session = auth->session;
    plan->allow_write = true;
    return true;
}

/* xorshift64: incompressible bytes, so neither holes nor a compressing or deduplicating
 * layer under the file make its reads cheaper than a guest's. */
static void fill_random(uint64_t *buf, size_t words, uint64_t *state)
{
    uint64_t x = *state;

    for (size_t i = 0; i < words; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = x;
    }
    *state = x;
}

static int write_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const char *p = buf;

    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int fill_file(int fd, uint64_t size, uint64_t seed)
{
    const size_t chunk = 1u << 20;
    g_autofree uint64_t *buf = g_malloc(chunk);
    uint64_t state = seed | 1;

    for (uint64_t off = 0; off < size; off += chunk) {
        size_t len = (size_t)MIN((uint64_t)chunk, size - off);
        int rc;

        fill_random(buf, chunk / sizeof(uint64_t), &state);
        rc = write_all(fd, buf, len, off);
        if (rc < 0)
            return rc;
    }
    return fsync(fd) < 0 ? -errno : 0;
}

bool bench_scratch_create(struct bench_plan *plan, GError **err)
{
    uint64_t size = plan->span ? plan->span : BENCH_DEFAULT_SCRATCH_SPAN;
    int fd = open(plan->target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int rc;

    if (fd < 0) {
        g_set_error(err, BENCH_ERROR,
                    errno == EEXIST ? BENCH_ERROR_REFUSED : BENCH_ERROR_FAILED,
                    "%s: cannot create scratch file: %s", plan->target, g_strerror(errno));
        return false;
    }
    rc = fill_file(fd, size, plan->seed ^ 0x9e3779b97f4a7c15ull);
    if (rc == 0 && !bench_mode_record_identity(plan, fd))
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc < 0) {
        (void)unlink(plan->target);
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s: writing the scratch file: %s",
                    plan->target, g_strerror(-rc));
        return false;
    }
    plan->span = size;
    plan->scratch = true;
    return true;
}

bool bench_scratch_remove(struct bench_plan *plan, GError **err)
{
    if (!plan->scratch)
        return true;
    if (unlink(plan->target) < 0 && errno != ENOENT) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s: cannot remove scratch file: %s",
                    plan->target, g_strerror(errno));
        return false;
    }
    plan->scratch = false;
    return true;
}

static bool scratch_prepare(struct bench_plan *plan, GError **err)
{
    return plan->scratch || bench_scratch_create(plan, err);
}

const struct bench_mode_ops bench_mode_scratch = {
    .mode = BENCH_MODE_SCRATCH,
    .name = "scratch",
    .authorize = scratch_authorize,
    .prepare = scratch_prepare,
    .before_cell = bench_mode_recheck,
    .finish = bench_scratch_remove,
};
