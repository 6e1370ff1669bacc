#include "probes/pagecache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <unistd.h>

int pagecache_drop(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    int rc;

    if (fd < 0)
        return -errno;
    /* Returns the error number itself, not -1 and errno. */
    rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
    return -rc;
}

unsigned long long pagecache_mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "re");
    char line[128];
    unsigned long long kib = 0;

    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib * 1024ull;
}

unsigned long long pagecache_target_bytes(const char *path)
{
    struct stat st;
    uint64_t bytes = 0;
    int fd;

    if (stat(path, &st) < 0)
        return 0;
    if (S_ISREG(st.st_mode))
        return (unsigned long long)st.st_size;
    if (!S_ISBLK(st.st_mode))
        return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return 0;
    if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
        bytes = 0;
    close(fd);
    return bytes;
}
