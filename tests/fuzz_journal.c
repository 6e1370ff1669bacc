/* Fuzz target for journal_read, the reader of a file that a crash, a full disk or anyone
 * with access to the state directory may have left in any shape. With -DVDT_LIBFUZZER and
 * clang's -fsanitize=fuzzer this is a libFuzzer target; without, a unit test drives it over
 * a journal made here (two regions, one retired), each of its prefixes and deterministic
 * byte mutations. */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include "probes/journal.h"
#ifndef VDT_LIBFUZZER
#include "tests/testutil.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *scratch;   /* the file each input is written to */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) err = NULL;
    struct journal_scan s;
    unsigned pending = 0;

    if (!scratch)
        scratch = g_strdup_printf("/var/tmp/vdt-fuzz-journal-%d", (int)getpid());
    if (!g_file_set_contents(scratch, (const char *)data, (gssize)size, NULL))
        g_error("cannot write %s", scratch);
    if (journal_read(scratch, &s, &err)) {
        /* What must hold for any file that reads: every region inside the file, sized as
         * the format allows, the pending count its own, a path without a NUL before its end. */
        for (guint i = 0; i < s.regions->len; i++) {
            const struct journal_region *r = &g_array_index(s.regions, struct journal_region, i);

            if (r->length == 0 || r->length > JOURNAL_MAX_REGION ||
                r->data_at + (off_t)r->length > (off_t)size)
                g_error("region %u outside the file or of a bad length", i);
            pending += !r->retired;
        }
        if (pending != s.pending || (s.torn && s.corrupt) ||
            !memchr(s.id.path, '\0', sizeof s.id.path))
            g_error("a scan that contradicts itself");
    } else if (!err || !err->message || strchr(err->message, '\n')) {
        g_error("a failed read must give a one-line error");
    }
    journal_scan_clear(&s);
    return 0;
}

#ifndef VDT_LIBFUZZER
/* A small journal as a crash leaves one: two regions, the first retired. */
static char *make_journal(gsize *len)
{
    const char *base = g_getenv("VDT_TEST_TMPDIR");
    g_autofree char *dir = g_strdup_printf("%s/vdt-fuzz-journal-XXXXXX",
                                           base && *base ? base : "/var/tmp");
    g_autofree char *target = NULL;
    struct journal_identity id;
    struct journal *j;
    guchar block[1024];
    char *text = NULL;
    int fd;

    g_assert_nonnull(mkdtemp(dir));
    target = g_build_filename(dir, "t.img", NULL);
    testutil_write_data(target, 64 * 1024);
    fd = open(target, O_RDONLY);
    g_assert_true(journal_identity_of(fd, target, "uuid", &id, NULL));
    j = journal_create(dir, "j", &id, NULL);
    g_assert_nonnull(j);
    g_assert_cmpint(pread(fd, block, sizeof block, 0), ==, (gssize)sizeof block);
    g_assert_true(journal_add_region(j, 1, 0, block, 512, NULL));
    g_assert_true(journal_retire(j, 1, NULL));
    g_assert_true(journal_add_region(j, 2, 4096, block, sizeof block, NULL));
    g_assert_true(g_file_get_contents(journal_path(j), &text, len, NULL));
    g_assert_true(journal_close(j, true, NULL));
    close(fd);
    unlink(target);
    rmdir(dir);
    return text;
}

static void test_journal_and_its_mutations_never_crash(void)
{
    gsize len = 0;
    g_autofree char *journal = make_journal(&len);
    unsigned runs = testutil_fuzz_mutations(LLVMFuzzerTestOneInput, journal, len);

    g_assert_cmpuint(runs, >, 1000);
    unlink(scratch);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fuzz-journal/journal-and-its-mutations-never-crash",
                    test_journal_and_its_mutations_never_crash);
    return g_test_run();
}
#endif
