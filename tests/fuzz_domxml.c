/* Fuzz target for domxml_parse, the parser of outside input (domain XML).
 *
 * With -DVDT_LIBFUZZER and clang's -fsanitize=fuzzer this is a libFuzzer target (seed it
 * with tests/data/domxml/). Without, it is a plain unit test that drives the same entry
 * point over every fixture, each of its prefixes and deterministic byte mutations, so the
 * unit suite catches a crash even where no libFuzzer exists. */
#include <stdint.h>
#include <string.h>
#include <glib.h>
#include "core/domxml.h"
#ifndef VDT_LIBFUZZER
#include "tests/testutil.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What must hold for any document that parses: libFuzzer reports an abort as a finding. */
static void check_invariants(const struct vm_config *cfg)
{
    if (cfg->iothread_ids->len != cfg->niothreads)
        g_error("iothreads %u but %u ids", cfg->niothreads, cfg->iothread_ids->len);
    for (guint i = 0; i < cfg->disks->len; i++) {
        const struct vm_disk *disk = g_ptr_array_index(cfg->disks, i);

        if (!disk->type || !disk->device)
            g_error("disk %u without type or device", i);
        if (disk->benchable == (disk->reason != NULL))
            g_error("disk %u: benchable %d with reason %s", i, disk->benchable, disk->reason);
        if (disk->benchable && !disk->source)
            g_error("disk %u: benchable without a source", i);
        if (disk->iothread < 0 || disk->backing_chain_len < 0)
            g_error("disk %u: negative iothread or chain", i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VmConfig) cfg = domxml_parse((const char *)data, size, &err);

    if (cfg)
        check_invariants(cfg);
    else if (!err || !err->message || strchr(err->message, '\n'))
        g_error("a failed parse must give a one-line error");
    return 0;
}

#ifndef VDT_LIBFUZZER
static void test_fixtures_and_their_mutations_never_crash(void)
{
    unsigned runs = testutil_fuzz_fixtures(LLVMFuzzerTestOneInput, "domxml", ".xml", 5);

    g_assert_cmpuint(runs, >, 5 * 100);
}

static void test_deep_nesting_is_refused_not_a_stack_overflow(void)
{
    g_autoptr(GString) xml = g_string_new("<domain><devices>");
    g_autoptr(GError) err = NULL;
    g_autoptr(VmConfig) cfg = NULL;

    for (int i = 0; i < 100000; i++)
        g_string_append(xml, "<disk>");
    /* Without XML_PARSE_HUGE libxml2 stops at a depth of 256. */
    cfg = domxml_parse(xml->str, xml->len, &err);
    g_assert_null(cfg);
    g_assert_nonnull(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fuzz-domxml/fixtures-and-their-mutations-never-crash",
                    test_fixtures_and_their_mutations_never_crash);
    g_test_add_func("/fuzz-domxml/deep-nesting-is-refused-not-a-stack-overflow",
                    test_deep_nesting_is_refused_not_a_stack_overflow);
    return g_test_run();
}
#endif
