/* Byte counts in words an operator reads at a glance. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* "4096 B", "64 MiB", "1.5 GiB" (powers of 1024, one decimal when not whole) into buf;
 * returns buf. */
const char *units_format_bytes(uint64_t v, char *buf, size_t len);

/* Room for any value units_format_bytes() writes. */
#define UNITS_BYTES_LEN 32
