/* Text from domain XML (names, paths) is outside input: it may hold C0/C1 controls, DEL,
 * bidi overrides or invalid UTF-8, which a terminal would obey. Escape before showing. */
#pragma once
#include <stdbool.h>

/* A printable copy of s: C0, DEL and C1 controls become \xNN (\t \r \n as such), bidi
 * controls (U+200E/F, U+202A-202E, U+2066-2069) become \u{NNNN}, invalid UTF-8 bytes
 * become \xNN, and a backslash becomes \\. NULL gives "". Caller frees with g_free(). */
char *textesc_escape(const char *s);

/* The same into a fixed buffer (truncated, always NUL-terminated); returns buf. */
const char *textesc_escape_buf(const char *s, char *buf, unsigned size);

/* Serialized JSON made safe for a terminal without changing any valid value: DEL, C1
 * controls and bidi controls (which JSON allows raw) become \uXXXX escapes; json-c already
 * escapes C0. A byte that is not valid UTF-8 (JSON cannot carry it) becomes \uFFFD, the
 * replacement character, one per byte: the only lossy case. Only valid inside string
 * tokens, where these bytes can only occur in JSON text. Caller frees with g_free(). */
char *textesc_json(const char *json);

/* Whether textesc_json() would change the text (a byte from 0x7F up occurs): most output is
 * plain ASCII and can be written as it is. */
bool textesc_json_needed(const char *json);
