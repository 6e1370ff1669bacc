#include "probes/units.h"

#include <stdio.h>

const char *units_format_bytes(uint64_t v, char *buf, size_t len)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    unsigned u = 0;
    uint64_t div = 1;

    while (u + 1 < sizeof(units) / sizeof(units[0]) && v / div >= 1024) {
        div *= 1024;
        u++;
    }
    if (v % div == 0)
        snprintf(buf, len, "%llu %s", (unsigned long long)(v / div), units[u]);
    else
        snprintf(buf, len, "%.1f %s", (double)v / (double)div, units[u]);
    return buf;
}
