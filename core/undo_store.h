/* apply's undo records: what the domain was before one apply — its inactive XML (read with
 * SECURE, byte for byte) and, when it ran, its live iothreads and pins — one JSON file per
 * apply in the state directory (core/statedir.h), written crash-safe before anything is
 * defined (probes/durable.h). A record is read back as outside input: a file that does not
 * parse, or names another domain than its file name, is refused (tests/test_apply.c). */
#pragma once
#include <glib.h>
#include <stdbool.h>

#define UNDO_RECORD_VERSION 1

struct undo_record {
    char *file;             /* the file name in the directory */
    bool undone;            /* undo restored it (the file was renamed *.undone) */
    char *domain;
    char uuid[37];
    char *uri;              /* the connection it was made on */
    char *time;             /* UTC, ISO 8601 */
    bool persistent, active;
    char *inactive_xml;     /* NULL for a transient domain */
    GArray *live_ids;       /* unsigned: the live iothread ids (active only) */
    GPtrArray *live_pins;   /* struct vm_pin *: the live iothread pins (active only) */
    GPtrArray *changes;     /* char *: the plan's lines, for undo --list */
};

/* An empty record (arrays made, strings NULL). Caller frees with undo_record_free(). */
struct undo_record *undo_record_new(void);
void undo_record_free(struct undo_record *r);

/* Write r as a new file "<uuid>-<UTC time>-<pid>.json" in dir; its name goes to r->file.
 * false with *err ("saving the undo record: PATH: STEP: CAUSE"). */
bool undo_store_save(const char *dir, struct undo_record *r, GError **err);

/* The record in dir/file. NULL with *err (APPLY_ERROR_REFUSED) when it cannot be read, does
 * not parse, has another version, or its uuid is not its file name's. Caller frees with
 * undo_record_free(). */
struct undo_record *undo_store_load(const char *dir, const char *file, GError **err);

/* The records of uuid (NULL: all) in dir, oldest first, undone ones included; files that do
 * not parse are named in *bad ("FILE: why", may be NULL). A missing dir is empty. Caller
 * frees with g_ptr_array_unref() (struct undo_record *). */
GPtrArray *undo_store_list(const char *dir, const char *uuid, GPtrArray **bad);

/* Mark r undone: dir/r->file renamed to *.undone, crash-safe. */
bool undo_store_mark_undone(const char *dir, struct undo_record *r, GError **err);

typedef struct undo_record UndoRecord;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UndoRecord, undo_record_free)
