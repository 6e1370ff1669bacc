/* The host's page cache of a benchmark target. A buffered cell (writethrough, writeback,
 * unsafe) reads whatever the host already holds in RAM: on the demo's 32 MiB images
 * writeback/io_uring randread gave 2,175k IOPS against 99.5k for none (DESIGN.md "Page
 * cache"). fio drops the cache of its files before each job (invalidate=1); so does the
 * runner before each cell. */
#pragma once

/* posix_fadvise(POSIX_FADV_DONTNEED) over all of path (a file or a block device), opened
 * read-only. It starts write-back of dirty pages and drops the clean ones: nothing is lost.
 * 0 or -errno. */
int pagecache_drop(const char *path);

/* MemAvailable of /proc/meminfo in bytes; 0 when unknown. */
unsigned long long pagecache_mem_available(void);

/* The bytes of path: a file's size, a block device's (BLKGETSIZE64); 0 when unknown. */
unsigned long long pagecache_target_bytes(const char *path);
