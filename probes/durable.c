#include "probes/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(vdt-durable-error-quark, durable_error)

static bool fail(GError **err, const char *path, const char *step, int e)
{
    g_set_error(err, DURABLE_ERROR, e, "%s: %s: %s", path, step, g_strerror(e));
    return false;
}

static int write_fully(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The temporary file, written and synced; 0 or an errno (the file is removed on failure). */
static int write_synced(const char *tmp, const void *data, size_t len)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int e;

    if (fd < 0)
        return errno;
    e = write_fully(fd, data, len);
    if (e == 0 && fsync(fd) < 0)
        e = errno;
    if (close(fd) < 0 && e == 0)
        e = errno;
    if (e)
        (void)unlink(tmp);
    return e;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int e = 0;

    if (fd < 0)
        return errno;
    if (fsync(fd) < 0)
        e = errno;
    close(fd);
    return e;
}

bool durable_write_new(const char *dir, const char *name, const void *data, size_t len,
                       GError **err)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.tmp", dir, name);
    int e;

    if (g_mkdir_with_parents(dir, 0700) < 0)
        return fail(err, dir, "cannot create the directory", errno);
    e = write_synced(tmp, data, len);
    if (e)
        return fail(err, tmp, "writing", e);
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
        e = errno;
        (void)unlink(tmp);
        return fail(err, path, "renaming", e);
    }
    /* Without the directory synced the rename may not survive a crash: do not claim it. */
    e = sync_dir(dir);
    if (e) {
        (void)unlink(path);
        return fail(err, dir, "syncing the directory", e);
    }
    return true;
}

bool durable_rename(const char *dir, const char *from, const char *to, GError **err)
{
    g_autofree char *src = g_build_filename(dir, from, NULL);
    g_autofree char *dst = g_build_filename(dir, to, NULL);
    int e;

    if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) < 0)
        return fail(err, src, "renaming", errno);
    e = sync_dir(dir);
    if (e)
        return fail(err, dir, "syncing the directory", e);
    return true;
}
