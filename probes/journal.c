#include "probes/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

G_DEFINE_QUARK(journal-error-quark, journal_error)

#define MAGIC "VDTJRNL1"
#define VERSION 1u
#define HEADER_FIXED 156u          /* the bytes before the path */
#define SUM 32u
#define RECORD_HEAD 88u            /* kind, length, seq, offset, data sum, record sum */
#define KIND_REGION 1u
#define KIND_RETIRED 2u
#define CHUNK (1u << 20)

/* ---- little-endian fields and sums ------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void sha256(const void *data, size_t len, uint8_t out[SUM])
{
    g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
    gsize n = SUM;

    g_checksum_update(c, data, (gssize)len);
    g_checksum_get_digest(c, out, &n);
}

static bool io_fail(GError **err, const char *path, const char *step, int e)
{
    g_set_error(err, JOURNAL_ERROR, JOURNAL_ERROR_IO, "%s: %s: %s", path, step, g_strerror(e));
    return false;
}

/* All of len at off, read or written, or false with errno (EIO when the file ended or the
 * device took nothing). */
static bool io_all(int fd, void *buf, size_t len, off_t off, bool write)
{
    uint8_t *p = buf;

    while (len) {
        ssize_t n = write ? pwrite(fd, p, len, off) : pread(fd, p, len, off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return false;
        }
        p += n;
        off += n;
        len -= (size_t)n;
    }
    return true;
}

static bool pread_all(int fd, void *buf, size_t len, off_t off)
{
    return io_all(fd, buf, len, off, false);
}

static bool pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
    return io_all(fd, (void *)buf, len, off, true);
}

static bool fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool ok = fd >= 0 && fsync(fd) == 0;
    int e = errno;

    if (fd >= 0)
        close(fd);
    errno = e;
    return ok;
}

/* ---- identity ------------------------------------------------------------------------------ */

static bool edge_sum(int fd, uint64_t size, bool tail, uint8_t out[SUM])
{
    size_t len = (size_t)MIN(size, (uint64_t)JOURNAL_EDGE);
    g_autofree uint8_t *buf = g_malloc(len ? len : 1);

    if (!pread_all(fd, buf, len, (off_t)(tail ? size - len : 0)))
        return false;
    sha256(buf, len, out);
    return true;
}

static bool target_stat(int fd, struct stat *st, uint64_t *size)
{
    if (fstat(fd, st) < 0)
        return false;
    if (S_ISBLK(st->st_mode))
        return ioctl(fd, BLKGETSIZE64, size) == 0;
    *size = (uint64_t)st->st_size;
    return true;
}

bool journal_identity_of(int fd, const char *path, const char *uuid,
                         struct journal_identity *out, GError **err)
{
    struct stat st;

    memset(out, 0, sizeof *out);
    if (!target_stat(fd, &st, &out->size))
        return io_fail(err, path, "stat", errno);
    if (S_ISBLK(st.st_mode)) {
        out->rdev = st.st_rdev;
    } else {
        out->dev = st.st_dev;
        out->ino = st.st_ino;
    }
    if (!edge_sum(fd, out->size, false, out->head_sum) ||
        !edge_sum(fd, out->size, true, out->tail_sum))
        return io_fail(err, path, "reading its first and last MiB", errno);
    g_strlcpy(out->uuid, uuid ? uuid : "", sizeof out->uuid);
    g_strlcpy(out->path, path, sizeof out->path);
    return true;
}

/* ---- writing ------------------------------------------------------------------------------- */

struct journal {
    int fd;
    char *dir, *path;
    off_t end;               /* where the next record goes */
};

static GByteArray *header_bytes(const struct journal_identity *id)
{
    size_t plen = strlen(id->path);
    GByteArray *b = g_byte_array_sized_new((guint)(HEADER_FIXED + plen + SUM));
    uint8_t fixed[HEADER_FIXED] = { 0 }, sum[SUM];

    memcpy(fixed, MAGIC, 8);
    put32(fixed + 8, VERSION);
    put64(fixed + 16, id->rdev);
    put64(fixed + 24, id->dev);
    put64(fixed + 32, id->ino);
    put64(fixed + 40, id->size);
    memcpy(fixed + 48, id->head_sum, SUM);
    memcpy(fixed + 80, id->tail_sum, SUM);
    memcpy(fixed + 112, id->uuid, MIN(strlen(id->uuid), (size_t)39));
    put32(fixed + 152, (uint32_t)plen);
    g_byte_array_append(b, fixed, HEADER_FIXED);
    g_byte_array_append(b, (const guint8 *)id->path, (guint)plen);
    sha256(b->data, b->len, sum);
    g_byte_array_append(b, sum, SUM);
    return b;
}

struct journal *journal_create(const char *dir, const char *name,
                               const struct journal_identity *id, GError **err)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GByteArray) head = header_bytes(id);
    struct journal *j;
    int fd, e;

    if (g_mkdir_with_parents(dir, 0700) < 0) {
        io_fail(err, dir, "mkdir", errno);
        return NULL;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        io_fail(err, path, "create", errno);
        return NULL;
    }
    if (flock(fd, LOCK_EX) < 0 || !pwrite_all(fd, head->data, head->len, 0) || fdatasync(fd) < 0 || !fsync_dir(dir)) {
        e = errno;
        close(fd);
        unlink(path);
        io_fail(err, path, "writing the header", e);
        return NULL;
    }
    j = g_new0(struct journal, 1);
    j->fd = fd;
    j->dir = g_strdup(dir);
    j->path = g_steal_pointer(&path);
    j->end = (off_t)head->len;
    return j;
}

const char *journal_path(const struct journal *j)
{
    return j->path;
}

static void record_head(uint8_t head[RECORD_HEAD], uint32_t kind, uint64_t seq, uint64_t offset,
                        uint32_t length, const uint8_t data_sum[SUM])
{
    memset(head, 0, RECORD_HEAD);
    put32(head, kind);
    put32(head + 4, length);
    put64(head + 8, seq);
    put64(head + 16, offset);
    memcpy(head + 24, data_sum, SUM);
    sha256(head, 56, head + 56);
}

/* Append a record at the end and fdatasync; a failed append is cut off again, so that the
 * file never holds a record that does not check before a later one. */
static bool append(struct journal *j, const uint8_t head[RECORD_HEAD], const void *data,
                   uint32_t length, GError **err)
{
    int e;

    if (pwrite_all(j->fd, head, RECORD_HEAD, j->end) &&
        (!length || pwrite_all(j->fd, data, length, j->end + RECORD_HEAD)) &&
        fdatasync(j->fd) == 0) {
        j->end += RECORD_HEAD + length;
        return true;
    }
    e = errno;
    if (ftruncate(j->fd, j->end) == 0)
        (void)fdatasync(j->fd);
    return io_fail(err, j->path, "appending a record", e);
}

bool journal_add_region(struct journal *j, uint64_t seq, uint64_t offset, const void *data,
                        uint32_t length, GError **err)
{
    uint8_t head[RECORD_HEAD], sum[SUM];

    if (length == 0 || length > JOURNAL_MAX_REGION) {
        g_set_error(err, JOURNAL_ERROR, JOURNAL_ERROR_FORMAT, "%s: region of %u bytes",
                    j->path, length);
        return false;
    }
    sha256(data, length, sum);
    record_head(head, KIND_REGION, seq, offset, length, sum);
    return append(j, head, data, length, err);
}

bool journal_retire(struct journal *j, uint64_t seq, GError **err)
{
    uint8_t head[RECORD_HEAD], none[SUM] = { 0 };

    record_head(head, KIND_RETIRED, seq, 0, 0, none);
    return append(j, head, NULL, 0, err);
}

bool journal_close(struct journal *j, bool remove, GError **err)
{
    bool ok = true;

    if (!j)
        return true;
    close(j->fd);
    if (remove && (unlink(j->path) < 0 || !fsync_dir(j->dir)))
        ok = io_fail(err, j->path, "removing the journal", errno);
    g_free(j->dir);
    g_free(j->path);
    g_free(j);
    return ok;
}

/* ---- reading ------------------------------------------------------------------------------- */

static bool format_fail(GError **err, const char *path, const char *what)
{
    g_set_error(err, JOURNAL_ERROR, JOURNAL_ERROR_FORMAT, "%s: %s", path, what);
    return false;
}

static bool read_header(int fd, const char *path, struct journal_identity *id, off_t *end,
                        GError **err)
{
    uint8_t fixed[HEADER_FIXED], sum[SUM], want[SUM];
    uint32_t plen;
    g_autoptr(GChecksum) c = NULL;
    g_autofree char *p = NULL;
    gsize n = SUM;

    if (!pread_all(fd, fixed, HEADER_FIXED, 0))
        return format_fail(err, path, "not a journal: shorter than a header");
    if (memcmp(fixed, MAGIC, 8) != 0)
        return format_fail(err, path, "not a journal: no VDTJRNL1 magic");
    if (get32(fixed + 8) != VERSION)
        return format_fail(err, path, "a journal of another version");
    plen = get32(fixed + 152);
    if (plen >= sizeof id->path)
        return format_fail(err, path, "a header whose path is too long");
    p = g_malloc0(plen + 1);
    if (!pread_all(fd, p, plen, HEADER_FIXED) || !pread_all(fd, want, SUM, HEADER_FIXED + plen))
        return format_fail(err, path, "a truncated header");
    c = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(c, fixed, HEADER_FIXED);
    g_checksum_update(c, (const guchar *)p, plen);
    g_checksum_get_digest(c, sum, &n);
    if (memcmp(sum, want, SUM) != 0)
        return format_fail(err, path, "a header that does not match its checksum");
    memset(id, 0, sizeof *id);
    id->rdev = get64(fixed + 16);
    id->dev = get64(fixed + 24);
    id->ino = get64(fixed + 32);
    id->size = get64(fixed + 40);
    memcpy(id->head_sum, fixed + 48, SUM);
    memcpy(id->tail_sum, fixed + 80, SUM);
    memcpy(id->uuid, fixed + 112, 39);
    if (memchr(p, '\0', plen))
        return format_fail(err, path, "a header whose path holds a NUL");
    memcpy(id->path, p, plen);
    *end = (off_t)(HEADER_FIXED + plen + SUM);
    return true;
}

/* The record at off, checked (its head's sum, then its data's); false when it does not
 * check or does not fit in the file. */
static bool read_record(int fd, off_t off, off_t file_size, struct journal_region *r,
                        uint32_t *kind)
{
    uint8_t head[RECORD_HEAD], sum[SUM];
    g_autoptr(GChecksum) c = NULL;
    g_autofree uint8_t *buf = NULL;
    gsize n = SUM;

    if (off + (off_t)RECORD_HEAD > file_size || !pread_all(fd, head, RECORD_HEAD, off))
        return false;
    sha256(head, 56, sum);
    if (memcmp(sum, head + 56, SUM) != 0)
        return false;
    *kind = get32(head);
    r->length = get32(head + 4);
    r->seq = get64(head + 8);
    r->offset = get64(head + 16);
    memcpy(r->sum, head + 24, SUM);
    r->data_at = off + (off_t)RECORD_HEAD;
    r->retired = false;
    if (*kind == KIND_RETIRED)
        return r->length == 0;
    if (*kind != KIND_REGION || r->length == 0 || r->length > JOURNAL_MAX_REGION ||
        r->data_at + (off_t)r->length > file_size || r->offset > UINT64_MAX - r->length)
        return false;
    c = g_checksum_new(G_CHECKSUM_SHA256);
    buf = g_malloc(CHUNK);
    for (uint32_t done = 0; done < r->length;) {
        uint32_t k = MIN(CHUNK, r->length - done);

        if (!pread_all(fd, buf, k, r->data_at + done))
            return false;
        g_checksum_update(c, buf, k);
        done += k;
    }
    g_checksum_get_digest(c, sum, &n);
    return memcmp(sum, r->sum, SUM) == 0;
}

/* After a record that does not check at bad: is there a record that does further on? Then
 * the journal is corrupt; else the bad one was the torn last. Candidates are filtered on
 * their kind and length before their sum is computed. */
static bool valid_record_after(int fd, off_t bad, off_t file_size)
{
    g_autofree uint8_t *buf = g_malloc(CHUNK + RECORD_HEAD);

    for (off_t base = bad + 1; base + (off_t)RECORD_HEAD <= file_size; base += CHUNK) {
        size_t len = (size_t)MIN((off_t)(CHUNK + RECORD_HEAD), file_size - base);

        if (!pread_all(fd, buf, len, base))
            return false;
        for (size_t i = 0; i + RECORD_HEAD <= len && i < CHUNK; i++) {
            uint32_t kind = get32(buf + i), length = get32(buf + i + 4);
            struct journal_region r;
            uint32_t k;

            if (!((kind == KIND_REGION && length && length <= JOURNAL_MAX_REGION) ||
                  (kind == KIND_RETIRED && length == 0)))
                continue;
            if (read_record(fd, base + (off_t)i, file_size, &r, &k))
                return true;
        }
    }
    return false;
}

bool journal_read(const char *path, struct journal_scan *out, GError **err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    off_t off;
    bool ok = false;

    memset(out, 0, sizeof *out);
    out->regions = g_array_new(FALSE, TRUE, sizeof(struct journal_region));
    if (fd < 0)
        return io_fail(err, path, "open", errno);
    if (fstat(fd, &st) < 0) {
        io_fail(err, path, "stat", errno);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        format_fail(err, path, "not a regular file");
        goto out;
    }
    if (!read_header(fd, path, &out->id, &off, err))
        goto out;
    while (off < st.st_size) {
        struct journal_region r;
        uint32_t kind;

        if (!read_record(fd, off, st.st_size, &r, &kind)) {
            out->bad_at = off;
            out->corrupt = valid_record_after(fd, off, st.st_size);
            out->torn = !out->corrupt;
            break;
        }
        if (kind == KIND_REGION) {
            g_array_append_val(out->regions, r);
        } else {
            for (guint i = 0; i < out->regions->len; i++)
                if (g_array_index(out->regions, struct journal_region, i).seq == r.seq)
                    g_array_index(out->regions, struct journal_region, i).retired = true;
        }
        off = r.data_at + (kind == KIND_REGION ? (off_t)r.length : 0);
    }
    for (guint i = 0; i < out->regions->len; i++)
        out->pending += !g_array_index(out->regions, struct journal_region, i).retired;
    ok = true;
out:
    close(fd);
    return ok;
}

void journal_scan_clear(struct journal_scan *s)
{
    if (s->regions)
        g_array_unref(s->regions);
    s->regions = NULL;
}

/* ---- recovery ------------------------------------------------------------------------------ */

static bool identity_fail(GError **err, const char *target, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static bool identity_fail(GError **err, const char *target, const char *fmt, ...)
{
    g_autofree char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(err, JOURNAL_ERROR, JOURNAL_ERROR_IDENTITY,
                "%s is not the target the journal was written for: %s; nothing written",
                target, what);
    return false;
}

/* The edge of the target as it will be after the replay: what it holds now, with the
 * pending regions' saved data laid over it. */
static bool edge_after_replay(int tfd, int jfd, const struct journal_scan *s, bool tail,
                              uint8_t out[SUM])
{
    uint64_t size = s->id.size, len = MIN(size, (uint64_t)JOURNAL_EDGE);
    uint64_t start = tail ? size - len : 0;
    g_autofree uint8_t *buf = g_malloc(len ? len : 1);

    if (!pread_all(tfd, buf, len, (off_t)start))
        return false;
    for (guint i = 0; i < s->regions->len; i++) {
        const struct journal_region *r = &g_array_index(s->regions, struct journal_region, i);
        uint64_t lo = MAX(r->offset, start), hi = MIN(r->offset + r->length, start + len);

        if (r->retired || lo >= hi)
            continue;
        if (!pread_all(jfd, buf + (lo - start), hi - lo, r->data_at + (off_t)(lo - r->offset)))
            return false;
    }
    sha256(buf, len, out);
    return true;
}

static bool check_identity(int tfd, int jfd, const char *target, const struct journal_scan *s,
                           GError **err)
{
    struct stat st;
    uint64_t size;
    uint8_t head[SUM], tail[SUM];

    if (!target_stat(tfd, &st, &size))
        return io_fail(err, target, "stat", errno);
    if (s->id.rdev && (!S_ISBLK(st.st_mode) || st.st_rdev != s->id.rdev))
        return identity_fail(err, target, "device %u:%u, the journal's is %u:%u",
                             major(st.st_rdev), minor(st.st_rdev), major(s->id.rdev),
                             minor(s->id.rdev));
    if (!s->id.rdev && (S_ISBLK(st.st_mode) || st.st_dev != s->id.dev || st.st_ino != s->id.ino))
        return identity_fail(err, target, "another file (device and inode differ)");
    if (size != s->id.size)
        return identity_fail(err, target, "%" G_GUINT64_FORMAT " bytes, the journal's target had %"
                             G_GUINT64_FORMAT, size, s->id.size);
    if (!edge_after_replay(tfd, jfd, s, false, head) || !edge_after_replay(tfd, jfd, s, true, tail))
        return io_fail(err, target, "reading its first and last MiB", errno);
    if (memcmp(head, s->id.head_sum, SUM) != 0 || memcmp(tail, s->id.tail_sum, SUM) != 0)
        return identity_fail(err, target, "its %s MiB, once the saved regions are laid over it, "
                             "is not what the journal's target held",
                             memcmp(head, s->id.head_sum, SUM) != 0 ? "first" : "last");
    return true;
}

/* Write every pending region back, sync, read back and compare. */
static bool replay(int tfd, int jfd, const char *target, const struct journal_scan *s,
                   unsigned *restored, GError **err)
{
    g_autofree uint8_t *buf = g_malloc(CHUNK), *back = g_malloc(CHUNK);

    for (guint i = 0; i < s->regions->len; i++) {
        const struct journal_region *r = &g_array_index(s->regions, struct journal_region, i);

        for (uint32_t done = 0; !r->retired && done < r->length;) {
            uint32_t k = MIN(CHUNK, r->length - done);

            if (!pread_all(jfd, buf, k, r->data_at + done))
                return io_fail(err, target, "reading the journal", errno);
            if (!pwrite_all(tfd, buf, k, (off_t)(r->offset + done)))
                return io_fail(err, target, "writing a saved region back", errno);
            done += k;
        }
        *restored += !r->retired;
    }
    if (fdatasync(tfd) < 0)
        return io_fail(err, target, "fdatasync", errno);
    for (guint i = 0; i < s->regions->len; i++) {
        const struct journal_region *r = &g_array_index(s->regions, struct journal_region, i);

        for (uint32_t done = 0; !r->retired && done < r->length;) {
            uint32_t k = MIN(CHUNK, r->length - done);

            if (!pread_all(jfd, buf, k, r->data_at + done) ||
                !pread_all(tfd, back, k, (off_t)(r->offset + done)))
                return io_fail(err, target, "reading back", errno);
            if (memcmp(buf, back, k) != 0) {
                g_set_error(err, JOURNAL_ERROR, JOURNAL_ERROR_VERIFY,
                            "%s: the region at %" G_GUINT64_FORMAT " did not read back as "
                            "saved; the journal stays", target, r->offset + done);
                return false;
            }
            done += k;
        }
    }
    return true;
}

bool journal_recover(const char *path, const char *target, unsigned *restored, GError **err)
{
    struct journal_scan s;
    g_autofree char *dir = g_path_get_dirname(path);
    unsigned n = 0;
    int tfd = -1, jfd = -1;
    bool ok = false;

    if (restored)
        *restored = 0;
    if (!journal_read(path, &s, err)) {
        journal_scan_clear(&s);
        return false;
    }
    target = target ? target : s.id.path;
    jfd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (jfd < 0) {
        io_fail(err, path, "open", errno);
        goto out;
    }
    if (flock(jfd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            g_set_error(err, JOURNAL_ERROR, JOURNAL_ERROR_BUSY,
                        "%s: open in a run going on (its writer holds it); left alone", path);
        else
            io_fail(err, path, "lock", errno);
        goto out;
    }
    /* Read again under the lock: the writer may have added to it, or another recovery
     * removed it, since the first read. */
    journal_scan_clear(&s);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        ok = true;
        goto out;
    }
    if (!journal_read(path, &s, err))
        goto out;
    if (s.pending) {
        /* O_EXCL: on a block device, the kernel's claim for as long as we write. */
        tfd = open(target, O_RDWR | O_EXCL | O_CLOEXEC);
        if (tfd < 0) {
            io_fail(err, target, "open", errno);
            goto out;
        }
        if (!check_identity(tfd, jfd, target, &s, err) || !replay(tfd, jfd, target, &s, &n, err))
            goto out;
    }
    if (s.corrupt) {
        g_set_error(err, JOURNAL_ERROR, JOURNAL_ERROR_FORMAT,
                    "%s: a record at byte %lld does not check and records follow it: the "
                    "%u regions before it are restored; what it described may not be; the "
                    "journal stays", path, (long long)s.bad_at, n);
        goto out;
    }
    close(jfd);
    jfd = -1;
    if (unlink(path) < 0 || !fsync_dir(dir)) {
        io_fail(err, path, "removing the replayed journal", errno);
        goto out;
    }
    ok = true;
out:
    if (restored)
        *restored = n;
    if (tfd >= 0)
        close(tfd);
    if (jfd >= 0)
        close(jfd);
    journal_scan_clear(&s);
    return ok;
}
