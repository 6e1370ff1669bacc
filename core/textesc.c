#include "core/textesc.h"

#include <glib.h>
#include <stdbool.h>
#include <string.h>

static bool is_bidi_control(gunichar c)
{
    return c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069) || c == 0x061C;
}

static void append_escaped_char(GString *out, gunichar c)
{
    switch (c) {
    case '\t': g_string_append(out, "\\t"); return;
    case '\r': g_string_append(out, "\\r"); return;
    case '\n': g_string_append(out, "\\n"); return;
    case '\\': g_string_append(out, "\\\\"); return;
    default: break;
    }
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F))
        g_string_append_printf(out, "\\x%02X", (unsigned)c);
    else if (is_bidi_control(c))
        g_string_append_printf(out, "\\u{%04X}", (unsigned)c);
    else
        g_string_append_unichar(out, c);
}

char *textesc_escape(const char *s)
{
    GString *out = g_string_new(NULL);
    const char *p = s ? s : "";

    while (*p) {
        const char *end = NULL;
        gunichar c = g_utf8_get_char_validated(p, -1);

        if (c == (gunichar)-1 || c == (gunichar)-2) {
            g_string_append_printf(out, "\\x%02X", (unsigned char)*p);
            p++;
            continue;
        }
        append_escaped_char(out, c);
        end = g_utf8_next_char(p);
        p = end;
    }
    return g_string_free(out, FALSE);
}

bool textesc_json_needed(const char *json)
{
    for (const unsigned char *p = (const unsigned char *)(json ? json : ""); *p; p++)
        if (*p >= 0x7F)
            return true;
    return false;
}

char *textesc_json(const char *json)
{
    const char *p = json ? json : "";
    GString *out = g_string_sized_new(strlen(p) + 16);

    while (*p) {
        /* Plain ASCII (all of JSON's structure and most text) is copied in one run. */
        size_t run = 0;

        while (p[run] && (unsigned char)p[run] < 0x7F)
            run++;
        g_string_append_len(out, p, (gssize)run);
        p += run;
        if (!*p)
            break;

        gunichar c = g_utf8_get_char_validated(p, -1);

        if (c == (gunichar)-1 || c == (gunichar)-2) {
            /* json-c writes the bytes it was given, and JSON text must be UTF-8: a byte that
             * is not (a raw 0x9B is the 8-bit CSI to a terminal) cannot be carried, so it
             * becomes U+FFFD, one per byte, as an escape (docs/json.md). */
            g_string_append(out, "\\uFFFD");
            p++;
            continue;
        }
        const char *next = g_utf8_next_char(p);

        if (c == 0x7F || (c >= 0x80 && c <= 0x9F) || is_bidi_control(c))
            g_string_append_printf(out, "\\u%04X", (unsigned)c);
        else
            g_string_append_len(out, p, next - p);
        p = next;
    }
    return g_string_free(out, FALSE);
}

const char *textesc_escape_buf(const char *s, char *buf, unsigned size)
{
    g_autofree char *e = textesc_escape(s);

    const char *valid_end = NULL;

    if (size == 0)
        return buf;
    g_strlcpy(buf, e, size);
    /* Truncation may have cut a multi-byte character: end at the last whole one. */
    if (!g_utf8_validate(buf, -1, &valid_end))
        buf[valid_end - buf] = '\0';
    return buf;
}
