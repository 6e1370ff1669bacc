/* The undo journal of preserve mode (DESIGN.md "Facts checked": the write ordering is the
 * contract). Before a region of the target is overwritten its original content goes here,
 * in the state directory, never on the target or anything stacked on or under it.
 *
 * File format (little-endian; docs/journal.md):
 *   header:  magic "VDTJRNL1", version u32, the target's identity (block device st_rdev, or
 *            file st_dev and st_ino; size; SHA-256 of its first and last MiB before the
 *            run; the domain's UUID; the path), then SHA-256 of all that.
 *   records: kind u32 (1 region, 2 retired), seq u64, offset u64, length u32, SHA-256 of
 *            the data, SHA-256 of the fields before it; then length bytes of data (region).
 * A region record is fdatasync'ed before its region is written; "retired" follows once the
 * region is restored, synced, read back and compared. A journal whose every region is
 * retired has nothing to do. Reading stops at the first record that does not check: at
 * the end of the file that is a torn last record (dropped: the target was never written
 * for it); before the end, the journal is corrupt (its valid records still restore). */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define JOURNAL_ERROR journal_error_quark()
GQuark journal_error_quark(void);
enum journal_error_code {
    JOURNAL_ERROR_IO,        /* a read, write or sync failed: errno in the message */
    JOURNAL_ERROR_FORMAT,    /* not a journal, a bad header, a newer version */
    JOURNAL_ERROR_IDENTITY,  /* the target is not the device the journal was written for */
    JOURNAL_ERROR_VERIFY,    /* a restored region did not read back as saved */
    JOURNAL_ERROR_BUSY,      /* the journal is open in a run going on (its writer's lock) */
};

#define JOURNAL_EDGE (1u << 20)   /* the first and last MiB identify the target */
#define JOURNAL_MAX_REGION (64u << 20)

struct journal_identity {
    uint64_t rdev;           /* a block device's st_rdev; 0 for a file */
    uint64_t dev, ino;       /* a file's st_dev and st_ino; 0 for a block device */
    uint64_t size;           /* bytes */
    uint8_t head_sum[32];    /* SHA-256 of the first MIN(size, 1 MiB) bytes, before the run */
    uint8_t tail_sum[32];    /* ... and of the last */
    char uuid[40];           /* the domain's UUID, "" when none */
    char path[4096];         /* the target as named when the journal was made */
};

/* The identity of the open target fd (path as named): stat and both edges' sums. */
bool journal_identity_of(int fd, const char *path, const char *uuid,
                         struct journal_identity *out, GError **err);

/* ---- writing -------------------------------------------------------------------------- */

struct journal;
/* dir/name: O_CREAT|O_EXCL|O_NOFOLLOW 0600, locked (flock LOCK_EX: recovery leaves a journal
 * alone while its writer has it open), the header written and fdatasync'ed, the directory
 * fsync'ed. NULL with JOURNAL_ERROR_IO; nothing is left behind. */
struct journal *journal_create(const char *dir, const char *name,
                               const struct journal_identity *id, GError **err);
/* The journal's path (owned by it). */
const char *journal_path(const struct journal *j);
/* Append the original data of a region and fdatasync: only then may the region be written.
 * false with JOURNAL_ERROR_IO (ENOSPC, EIO...): the region must not be written. */
bool journal_add_region(struct journal *j, uint64_t seq, uint64_t offset, const void *data,
                        uint32_t length, GError **err);
/* Append "retired" for a region restored and verified, and fdatasync. */
bool journal_retire(struct journal *j, uint64_t seq, GError **err);
/* Close; remove the file (and fsync the directory) when remove is true: every region is
 * retired. false with JOURNAL_ERROR_IO when the removal failed (the journal stays: its
 * regions are retired, recovery has nothing to do). */
bool journal_close(struct journal *j, bool remove, GError **err);

/* ---- reading and recovery ------------------------------------------------------------- */

struct journal_region {
    uint64_t seq, offset;
    uint32_t length;
    off_t data_at;           /* where its data starts in the journal file */
    uint8_t sum[32];
    bool retired;
};

struct journal_scan {
    struct journal_identity id;
    GArray *regions;         /* struct journal_region, in the order written */
    unsigned pending;        /* regions not retired */
    bool torn;               /* the last record was incomplete or did not check: dropped */
    bool corrupt;            /* a record that does not check, with more bytes after it */
    off_t bad_at;            /* torn or corrupt: where */
};

/* Read and check path. false with JOURNAL_ERROR_FORMAT or _IO. Caller frees with
 * journal_scan_clear(). */
bool journal_read(const char *path, struct journal_scan *out, GError **err);
void journal_scan_clear(struct journal_scan *s);

/* Replay path onto its target (JOURNAL_ERROR_BUSY, nothing done, while its writer holds it): the identity checked (the device number or inode and the
 * size, and both edges' sums once the pending regions are laid over what the target holds
 * now: what it will hold after the replay), then every region not retired written back,
 * the target fdatasync'ed, read back and compared, and retired; the journal then removed.
 * Idempotent and safe to interrupt again. target NULL: the path in the header. *restored
 * (may be NULL) counts the regions written back. false with JOURNAL_ERROR_IDENTITY (naming
 * what differs; nothing written), _VERIFY, _FORMAT or _IO: the journal stays. */
bool journal_recover(const char *path, const char *target, unsigned *restored, GError **err);
