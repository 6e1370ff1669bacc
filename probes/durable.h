/* Files that survive a crash (DESIGN.md "State and history files"): written to a temporary
 * file created O_CREAT|O_EXCL|O_NOFOLLOW 0600 in the same directory, fsync'ed, renamed into
 * place without replacing anything, and the directory fsync'ed. Used by the results store,
 * the apply undo records and, later, the journals. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#define DURABLE_ERROR durable_error_quark()
GQuark durable_error_quark(void);
/* The error codes are errno values (ENOSPC, EEXIST, ...). */

/* dir/name with len bytes of data: dir (and its parents) created 0700 when missing; an
 * existing dir/name is never replaced (EEXIST). On failure nothing is left behind and *err
 * says "PATH: STEP: CAUSE". */
bool durable_write_new(const char *dir, const char *name, const void *data, size_t len,
                       GError **err);

/* Rename dir/from to dir/to (no replace) and fsync dir: a state change of a record that a
 * crash cannot half-do. */
bool durable_rename(const char *dir, const char *from, const char *to, GError **err);
