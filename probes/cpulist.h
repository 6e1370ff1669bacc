/* CPU lists as libvirt and the kernel write them: "0-3,8", and libvirt's exclusions
 * ("0-7,^3"). Parsed into a sorted set of CPU numbers so two spellings of one set compare
 * equal ("0,1,2" and "0-2"), and formatted back in the kernel's canonical form. */
#pragma once
#include <glib.h>
#include <stdbool.h>

/* Far above any host (the kernel's NR_CPUS tops out at 8192); a bound so that "0-4000000000"
 * cannot allocate gigabytes. */
#define CPULIST_MAX_CPU 8191u

/* The CPUs of text, sorted and without repeats, as a GArray of unsigned. NULL with *err
 * (G_OPTION_ERROR_BAD_VALUE, one line quoting the text and naming the fault) when text is
 * empty, does not parse ("5-", "a"), has a reversed range ("3-1"), names a CPU above
 * CPULIST_MAX_CPU, or excludes everything. Caller frees with g_array_unref(). */
GArray *cpulist_parse(const char *text, GError **err);

/* The canonical spelling, the kernel's and libvirt's: ranges for runs ("0-1,5,7-9"). Caller frees with g_free(). */
char *cpulist_format(const GArray *cpus);

/* Whether a and b name the same CPUs; false when either does not parse. */
bool cpulist_equal(const char *a, const char *b);
