/* Reading one sysfs attribute file: the kernel ends each value with a newline and leaves
 * some empty ("" for an unset dm uuid, an empty cpulist). */
#pragma once
#include <glib.h>
#include <stdbool.h>

/* The attribute's text without surrounding blanks; NULL when the file is missing, unreadable
 * or empty. Caller frees with g_free(). */
char *sysfs_read_attr(const char *dir, const char *name);

/* A decimal integer attribute; false when missing, empty or not a whole number. */
bool sysfs_read_int64(const char *dir, const char *name, gint64 *value);
