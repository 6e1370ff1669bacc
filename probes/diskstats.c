#include "probes/diskstats.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <glib.h>

char *diskstats_path_for(const char *target, const char *sysfs_root)
{
    struct stat st;
    dev_t dev;
    char *path;

    if (stat(target, &st) < 0)
        return NULL;
    dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
    path = g_strdup_printf("%s/dev/block/%u:%u/stat", sysfs_root ? sysfs_root : "/sys",
                           major(dev), minor(dev));
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_free(path);
        return NULL;
    }
    return path;
}

bool diskstats_read(const char *stat_path, struct diskstats *out)
{
    g_autofree char *text = NULL;
    uint64_t ios = 0, merges = 0, sectors = 0;

    if (!stat_path || !g_file_get_contents(stat_path, &text, NULL, NULL))
        return false;
    if (sscanf(text, "%" SCNu64 " %" SCNu64 " %" SCNu64, &ios, &merges, &sectors) != 3)
        return false;
    out->read_ios = ios;
    out->read_sectors = sectors;
    return true;
}
