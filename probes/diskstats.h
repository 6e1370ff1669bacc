/* How many reads reached a block device: its counters in /sys/dev/block/MAJ:MIN/stat
 * (field 1: read I/Os completed, field 3: sectors read, in 512-byte units whatever the
 * device's block size). Sampled around a cell, they say how much of the cell's reads the
 * device served rather than the page cache. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct diskstats {
    uint64_t read_ios;
    uint64_t read_sectors;      /* 512 bytes each */
};

/* The stat file of the block device that serves target's reads: target itself when it is
 * a block device, else the device of the filesystem it lives on. sysfs_root NULL: "/sys".
 * NULL when there is none (tmpfs, overlay: no block device). Caller frees with g_free(). */
char *diskstats_path_for(const char *target, const char *sysfs_root);

/* false when the file cannot be read or parsed. */
bool diskstats_read(const char *stat_path, struct diskstats *out);
