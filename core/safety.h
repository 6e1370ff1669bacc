/* May we write to this path? The write side of DESIGN.md's safety model: a write never
 * touches a device or file that is in use. "In use" is everything probes/inuse.c sees on the
 * host (open file descriptors, QEMU's OFD locks, mounts, swaps, holders, O_EXCL) plus, when a
 * libvirt session is given, every domain that is not shut off (any domain, not only the one
 * being benchmarked) whose disk source is the same device or file, or a device stacked on it
 * or under it, or a file on a filesystem on it. On doubt (a check that cannot run) the answer
 * is no: the caller never writes on a guess. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include "core/session.h"

struct inuse_roots;  /* probes/inuse.h */

#define SAFETY_ERROR safety_error_quark()
GQuark safety_error_quark(void);
enum safety_error_code {
    SAFETY_ERROR_IN_USE,       /* "<path>: in use: <reason>; <reason>…" */
    SAFETY_ERROR_CANNOT_CHECK, /* "<path>: cannot check whether it is in use: <cause>"
                                  (stat failed, /proc unreadable, libvirt refused a list…) */
};

/* true when nothing uses path. false with *err in SAFETY_ERROR: IN_USE naming every check
 * that fired (all checks run, not only the first), or CANNOT_CHECK. s may be NULL: then only
 * the host-side probes run (no libvirt). Paths, domain and process names in the message are
 * raw: escape them (core/textesc.h) before showing. */
bool safety_write_allowed(struct session *s, const char *path, GError **err);

/* The same with the /proc and sysfs roots overridable (tests); roots NULL = the real ones.
 * *reasons (char *, caller frees with g_ptr_array_unref()) receives every reason found,
 * empty when free; it is filled even when the answer is false because a check could not
 * run. reasons may be NULL. */
bool safety_check(struct session *s, const char *path, const struct inuse_roots *roots,
                  GPtrArray **reasons, GError **err);
