/* Helpers the test programs share: real files written with data (holes measure nothing,
 * DESIGN.md), running a command, and loop devices made and removed by the test itself. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Marks the current test skipped, with the reason. Under VDT_NO_SKIP=1 (scripts/test.sh as
 * root, where everything can run) it fails the test instead: a skip never hides a promise. */
void testutil_skip(const char *reason);

/* A new file (mkstemp from "<dir>/<prefix>-XXXXXX") of size bytes (a multiple of 64 KiB or
 * not) filled with a non-zero pattern and fsync'ed. Caller unlinks it and frees the path. */
char *testutil_data_file(const char *dir, const char *prefix, gsize size);

/* Fill an existing path with size bytes of the same pattern (created or truncated). */
void testutil_write_data(const char *path, gsize size);

/* Run argv (searched in PATH); its stdout with surrounding blanks stripped, or NULL when it
 * could not run or exited non-zero (its stderr then goes to g_test_message). Caller frees. */
char *testutil_run(const char *const *argv);

/* The same, asserting that the command ran and succeeded: never NULL. */
char *testutil_run_ok(const char *const *argv);

/* The same for a command line split as the shell would (no expansion). */
char *testutil_run_cmdline(const char *cmdline);

/* A loop device over a data file made for the test. */
struct testutil_loop {
    char *file;   /* the backing file, in /var/tmp */
    char *dev;    /* /dev/loopN */
};
/* false (the test marked skipped, with the reason) when not root or losetup fails.
 * direct_io: losetup --direct-io=on. End with testutil_loop_detach(). */
bool testutil_loop_attach(struct testutil_loop *l, gsize size, bool direct_io);
void testutil_loop_detach(struct testutil_loop *l);

/* Wait for udev to finish probing new devices (its blkid open would look like a user). */
void testutil_udev_settle(void);

/* A fuzz entry point (libFuzzer's signature) run over buf, every prefix of it and a fixed
 * set of byte mutations (the same every run), each on a private copy of exactly its length
 * so that ASan sees a read past the end. Returns the number of inputs run. */
unsigned testutil_fuzz_mutations(int (*fn)(const uint8_t *data, size_t size), const char *buf,
                                 size_t len);

/* The same over every file of $VDT_TESTDATA/<subdir> whose name ends in suffix; asserts that
 * at least min_files were found. Returns the number of inputs run. */
unsigned testutil_fuzz_fixtures(int (*fn)(const uint8_t *data, size_t size), const char *subdir,
                                const char *suffix, unsigned min_files);

/* Run the current test again in a subprocess (g_test_trap_subprocess) with the build's
 * LD_PRELOAD shim $VDT_BUILDDIR/tests/<shim> and var=value (var may be NULL) in its
 * environment, and assert that it passed. The child sees g_test_subprocess() true. Skips
 * (testutil_skip) when the shim is not built. */
void testutil_trap_with_preload(const char *shim, const char *var, const char *value);
