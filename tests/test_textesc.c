#include "core/textesc.h"

#include <glib.h>
#include <json-c/json.h>
#include <string.h>

static void assert_escapes_to(const char *in, const char *want)
{
    g_autofree char *got = textesc_escape(in);

    g_assert_cmpstr(got, ==, want);
}

static void test_tab_cr_lf_are_named(void)
{
    assert_escapes_to("a\tb", "a\\tb");
    assert_escapes_to("line\r\n", "line\\r\\n");
    assert_escapes_to("\n", "\\n");
}

static void test_c0_and_del_become_hex(void)
{
    assert_escapes_to("x\x01y", "x\\x01y");
    assert_escapes_to("\x1b[2J", "\\x1B[2J");   /* an ANSI "clear screen" stays inert */
    assert_escapes_to("\x7f", "\\x7F");
}

static void test_c1_csi_becomes_hex(void)
{
    /* U+009B, the one-character CSI, is the bytes C2 9B in UTF-8. */
    assert_escapes_to("vm\xc2\x9b" "2J", "vm\\x9B2J");
    assert_escapes_to("\xc2\x80\xc2\x9f", "\\x80\\x9F");
}

static void test_bidi_controls_become_code_points(void)
{
    /* U+202E RIGHT-TO-LEFT OVERRIDE makes "evil<RLO>gpj.exe" display as "evilexe.jpg". */
    assert_escapes_to("evil\xe2\x80\xae" "gpj.exe", "evil\\u{202E}gpj.exe");
    assert_escapes_to("\xe2\x80\x8e\xe2\x81\xa6", "\\u{200E}\\u{2066}");
}

static void test_invalid_utf8_bytes_become_hex(void)
{
    assert_escapes_to("a\xff" "b", "a\\xFFb");
    assert_escapes_to("\xc3", "\\xC3");           /* truncated two-byte sequence */
}

static void test_backslash_is_doubled(void)
{
    /* Otherwise a name holding the text "\x01" could not be told from one holding 0x01. */
    assert_escapes_to("C:\\vm", "C:\\\\vm");
    assert_escapes_to("\\x01", "\\\\x01");
}

static void test_plain_utf8_untouched(void)
{
    assert_escapes_to("caf\xc3\xa9", "caf\xc3\xa9");                       /* café */
    assert_escapes_to("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"); /* 日本 */
    assert_escapes_to("/var/lib/libvirt/images/web-1.qcow2",
                      "/var/lib/libvirt/images/web-1.qcow2");
}

static void test_null_gives_empty_string(void)
{
    assert_escapes_to(NULL, "");
    assert_escapes_to("", "");
}

static void test_buffer_variant_truncates_and_terminates(void)
{
    char buf[8];

    memset(buf, 'Z', sizeof(buf));
    g_assert_true(textesc_escape_buf("a\tbcdefghij", buf, sizeof(buf)) == buf);
    g_assert_cmpstr(buf, ==, "a\\tbcde");
    g_assert_cmpstr(textesc_escape_buf("\x01", buf, sizeof(buf)), ==, "\\x01");
    g_assert_cmpstr(textesc_escape_buf(NULL, buf, sizeof(buf)), ==, "");

    buf[0] = 'Q';
    textesc_escape_buf("abc", buf, 0);
    g_assert_cmpint(buf[0], ==, 'Q');
}

static void test_buffer_variant_never_splits_a_character(void)
{
    char buf[5];

    /* "ab" + 日 (3 bytes) does not fit in 4 bytes: the whole character is dropped. */
    g_assert_cmpstr(textesc_escape_buf("ab\xE6\x97\xA5", buf, sizeof(buf)), ==, "ab");
    g_assert_true(g_utf8_validate(buf, -1, NULL));
}

/* JSON keeps every value (a reader gets the same string back) but shows no C1 or bidi
 * control raw; plain UTF-8 and json-c's own escapes are left alone. */
static void test_json_escapes_c1_and_bidi_losslessly(void)
{
    const char *value = "a\xC2\x9B" "b\xE2\x80\xAE" "c\x7F" "d \xC3\xA9 \xE6\x97\xA5";
    json_object *o = json_object_new_object();
    json_object *back = NULL;
    g_autofree char *safe = NULL;

    json_object_object_add(o, "name", json_object_new_string(value));
    safe = textesc_json(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    g_assert_nonnull(strstr(safe, "\\u009B"));
    g_assert_nonnull(strstr(safe, "\\u202E"));
    g_assert_nonnull(strstr(safe, "\\u007F"));
    g_assert_null(strstr(safe, "\xC2\x9B"));
    g_assert_null(strstr(safe, "\xE2\x80\xAE"));
    g_assert_nonnull(strstr(safe, "\xC3\xA9 \xE6\x97\xA5"));
    g_assert_true(textesc_json_needed(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)));
    g_assert_false(textesc_json_needed("{\"a\":\"plain \\u0001 ascii\"}"));
    g_assert_false(textesc_json_needed(NULL));
    back = json_tokener_parse(safe);
    g_assert_nonnull(back);
    g_assert_cmpstr(json_object_get_string(json_object_object_get(back, "name")), ==, value);
    json_object_put(back);
    json_object_put(o);
}

/* A byte that is not UTF-8 (a raw 0x9B, the 8-bit CSI, from a path on the command line)
 * cannot be carried by JSON: it becomes \uFFFD, one per byte, and the text stays valid
 * UTF-8 and parseable, with no raw byte from 0x80 to 0x9F left. */
static void test_json_invalid_utf8_becomes_replacement(void)
{
    const char *json = "{\"target\":\"/var/tmp/x\x9B" "31m.img\",\"b\":\"\xFF\xFE\xC3\"}";
    g_autofree char *safe = textesc_json(json);
    json_object *back = NULL;

    g_assert_true(textesc_json_needed(json));
    g_assert_cmpstr(safe, ==,
                    "{\"target\":\"/var/tmp/x\\uFFFD31m.img\",\"b\":\"\\uFFFD\\uFFFD\\uFFFD\"}");
    g_assert_true(g_utf8_validate(safe, -1, NULL));
    for (const unsigned char *p = (const unsigned char *)safe; *p; p++)
        g_assert_cmpuint(*p, <, 0x80);
    back = json_tokener_parse(safe);
    g_assert_nonnull(back);
    g_assert_cmpstr(json_object_get_string(json_object_object_get(back, "target")), ==,
                    "/var/tmp/x\xEF\xBF\xBD" "31m.img");
    json_object_put(back);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/textesc/tab-cr-lf-are-named", test_tab_cr_lf_are_named);
    g_test_add_func("/textesc/c0-and-del-become-hex", test_c0_and_del_become_hex);
    g_test_add_func("/textesc/c1-csi-becomes-hex", test_c1_csi_becomes_hex);
    g_test_add_func("/textesc/bidi-controls-become-code-points",
                    test_bidi_controls_become_code_points);
    g_test_add_func("/textesc/invalid-utf8-bytes-become-hex", test_invalid_utf8_bytes_become_hex);
    g_test_add_func("/textesc/backslash-is-doubled", test_backslash_is_doubled);
    g_test_add_func("/textesc/plain-utf8-untouched", test_plain_utf8_untouched);
    g_test_add_func("/textesc/null-gives-empty-string", test_null_gives_empty_string);
    g_test_add_func("/textesc/buffer-variant-truncates-and-terminates",
                    test_buffer_variant_truncates_and_terminates);
    g_test_add_func("/textesc/json-escapes-c1-and-bidi-losslessly",
                    test_json_escapes_c1_and_bidi_losslessly);
    g_test_add_func("/textesc/json-invalid-utf8-becomes-replacement",
                    test_json_invalid_utf8_becomes_replacement);
    g_test_add_func("/textesc/buffer-variant-never-splits-a-character",
                    test_buffer_variant_never_splits_a_character);
    return g_test_run();
}
