#include "tests/testutil.h"

#include <fcntl.h>
#include <string.h>
#include <glib/gstdio.h>
#include <unistd.h>

#define CHUNK (64u << 10)

static void fill_pattern(guchar *buf, gsize len)
{
    for (gsize i = 0; i < len; i++)
        buf[i] = (guchar)(i * 131 + 7);
}

static void write_pattern(int fd, gsize size)
{
    g_autofree guchar *buf = g_malloc(CHUNK);

    fill_pattern(buf, CHUNK);
    for (gsize done = 0; done < size;) {
        gsize n = MIN(CHUNK, size - done);
        ssize_t w = write(fd, buf, n);

        g_assert_cmpint(w, >, 0);
        done += (gsize)w;
    }
    g_assert_cmpint(fsync(fd), ==, 0);
}

char *testutil_data_file(const char *dir, const char *prefix, gsize size)
{
    g_autofree char *name = g_strdup_printf("%s-XXXXXX", prefix);
    char *path = g_build_filename(dir, name, NULL);
    int fd = g_mkstemp(path);

    g_assert_cmpint(fd, >=, 0);
    write_pattern(fd, size);
    g_assert_cmpint(close(fd), ==, 0);
    return path;
}

void testutil_write_data(const char *path, gsize size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    g_assert_cmpint(fd, >=, 0);
    write_pattern(fd, size);
    g_assert_cmpint(close(fd), ==, 0);
}

char *testutil_run(const char *const *argv)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;
    g_autofree char *errout = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout,
                      &status, &err)) {
        g_test_message("%s: %s", argv[0], err->message);
        return NULL;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_test_message("%s: %s", argv[0], errout ? errout : "failed");
        return NULL;
    }
    return g_strdup(g_strstrip(out));
}

char *testutil_run_ok(const char *const *argv)
{
    char *out = testutil_run(argv);

    if (!out)
        g_error("%s failed (see the test log)", argv[0]);
    return out;
}

char *testutil_run_cmdline(const char *cmdline)
{
    g_auto(GStrv) argv = NULL;

    g_assert_true(g_shell_parse_argv(cmdline, NULL, &argv, NULL));
    return testutil_run((const char *const *)argv);
}

void testutil_udev_settle(void)
{
    g_autofree char *udevadm = g_find_program_in_path("udevadm");
    const char *argv[] = { "udevadm", "settle", NULL };

    if (udevadm)
        g_free(testutil_run(argv));
}

bool testutil_loop_attach(struct testutil_loop *l, gsize size, bool direct_io)
{
    const char *argv[] = { "losetup", "--find", "--show",
                           direct_io ? "--direct-io=on" : "--direct-io=off", NULL, NULL };

    l->file = NULL;
    l->dev = NULL;
    if (geteuid() != 0) {
        testutil_skip("needs root for loop devices");
        return false;
    }
    l->file = testutil_data_file("/var/tmp", "vdt-loop", size);
    argv[4] = l->file;
    l->dev = testutil_run(argv);
    if (!l->dev) {
        g_unlink(l->file);
        g_clear_pointer(&l->file, g_free);
        testutil_skip("losetup failed");
        return false;
    }
    testutil_udev_settle();
    return true;
}

void testutil_loop_detach(struct testutil_loop *l)
{
    const char *argv[] = { "losetup", "-d", l->dev, NULL };
    g_autofree char *out = testutil_run(argv);

    g_assert_nonnull(out);
    g_assert_cmpint(g_unlink(l->file), ==, 0);
    g_clear_pointer(&l->file, g_free);
    g_clear_pointer(&l->dev, g_free);
}

void testutil_skip(const char *reason)
{
    const char *strict = g_getenv("VDT_NO_SKIP");

    if (strict && strcmp(strict, "1") == 0)
        g_test_fail_printf("could not run: %s (VDT_NO_SKIP=1: a skip is a failure here)", reason);
    else
        g_test_skip(reason);
}

static unsigned fuzz_one(int (*fn)(const uint8_t *, size_t), const char *buf, size_t len)
{
    g_autofree uint8_t *copy = g_memdup2(buf, len);

    fn(copy, len);
    return 1;
}

unsigned testutil_fuzz_mutations(int (*fn)(const uint8_t *data, size_t size), const char *buf,
                                 size_t len)
{
    static const char replacements[] = { '<', '>', '\'', '"', '&', '/', '=', 0, (char)0xff, ' ',
                                         '[', ']', '{', '}', ',', ':', '-', '9' };
    g_autofree char *work = g_memdup2(buf, len);
    unsigned runs = 0;
    guint32 state = 2166136261u;

    for (size_t cut = 0; cut <= len; cut++)
        runs += fuzz_one(fn, buf, cut);
    for (size_t i = 0; i < len; i += 3) {
        char saved = work[i];

        /* A fixed pseudo-random choice per position: the same run every time. */
        state = (state ^ (guint32)i) * 16777619u;
        work[i] = replacements[state % sizeof replacements];
        runs += fuzz_one(fn, work, len);
        work[i] = saved;
    }
    return runs;
}

unsigned testutil_fuzz_fixtures(int (*fn)(const uint8_t *data, size_t size), const char *subdir,
                                const char *suffix, unsigned min_files)
{
    g_autofree char *dir_path = g_build_filename(g_getenv("VDT_TESTDATA"), subdir, NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &err);
    const char *name;
    unsigned files = 0, runs = 0;

    g_assert_no_error(err);
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(dir_path, name, NULL);
        g_autofree char *text = NULL;
        gsize len = 0;

        if (!g_str_has_suffix(name, suffix))
            continue;
        g_assert_true(g_file_get_contents(path, &text, &len, NULL));
        runs += testutil_fuzz_mutations(fn, text, len);
        files++;
    }
    g_assert_cmpuint(files, >=, min_files);
    return runs;
}

void testutil_trap_with_preload(const char *shim, const char *var, const char *value)
{
    const char *build = g_getenv("VDT_BUILDDIR");
    g_autofree char *path = build ? g_build_filename(build, "tests", shim, NULL) : NULL;
    g_autofree char *old_asan = g_strdup(g_getenv("ASAN_OPTIONS"));
    g_autofree char *asan = NULL;

    if (!path || !g_file_test(path, G_FILE_TEST_EXISTS)) {
        testutil_skip("the fault shim is not built (run through meson, VDT_BUILDDIR)");
        return;
    }
    /* A sanitized build: the shim comes before libasan in the load order. */
    asan = g_strdup_printf("%s%sverify_asan_link_order=0", old_asan ? old_asan : "",
                           old_asan ? ":" : "");
    g_setenv("LD_PRELOAD", path, TRUE);
    g_setenv("ASAN_OPTIONS", asan, TRUE);
    if (var)
        g_setenv(var, value, TRUE);
    g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_unsetenv("LD_PRELOAD");
    if (old_asan)
        g_setenv("ASAN_OPTIONS", old_asan, TRUE);
    else
        g_unsetenv("ASAN_OPTIONS");
    if (var)
        g_unsetenv(var);
    g_test_trap_assert_passed();
}
