#include "probes/sysfs.h"

#include <errno.h>

char *sysfs_read_attr(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    g_strstrip(text);
    if (text[0] == '\0')
        return NULL;
    return g_steal_pointer(&text);
}

bool sysfs_read_int64(const char *dir, const char *name, gint64 *value)
{
    g_autofree char *text = sysfs_read_attr(dir, name);
    char *end;
    gint64 v;

    if (!text)
        return false;
    errno = 0;
    v = g_ascii_strtoll(text, &end, 10);
    if (errno || end == text || *end != '\0')
        return false;
    *value = v;
    return true;
}
