#include "core/demo.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "demo-resources.h"   /* generated from core/demo.gresource.xml */

#define DEMO_TEMPLATE "/org/virt-disktune/demo/demo-node.xml.in"
#define DEMO_DIR_PLACEHOLDER "@DEMODIR@"
#define DEMO_NODE_FILE "node.xml"
#define MiB (1024u * 1024u)

/* Every image the template names, with its size. Small, so the demo starts in a blink, but
 * each one is written with data: a hole is read without device I/O and would give the
 * demo's benchmarks fantasy figures (DESIGN.md "Holes measure nothing"). */
static const struct demo_image {
    const char *name;
    unsigned mib;
} demo_images[] = {
    { "web1-root.img",   32 },
    { "web1-data.img",   16 },
    { "db1-root.img",    16 },
    { "db1-data.img",    32 },
    { "db1-log.img",     16 },
    { "backup1-root.img", 16 },
    { "mail1-root.img",  16 },
    { "mail1-spool.img", 16 },
};

static gboolean demo_set_errno(GError **err, int errnum, const char *what, const char *path)
{
    g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errnum), "%s %s: %s",
                what, path, g_strerror(errnum));
    return FALSE;
}

/* A pattern that differs in every 8 bytes, so no layer below can store it as zeros
 * or deduplicate it into nothing. */
static void demo_fill_pattern(unsigned char *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;

    for (size_t i = 0; i + sizeof x <= len; i += sizeof x) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + i, &x, sizeof x);
    }
}

static gboolean demo_write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return FALSE;
        }
        buf += n;
        len -= (size_t)n;
    }
    return TRUE;
}

static gboolean demo_write_image(const char *path, unsigned mib, GError **err)
{
    g_autofree unsigned char *buf = g_malloc(MiB);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0)
        return demo_set_errno(err, errno, "create", path);
    for (unsigned i = 0; i < mib; i++) {
        demo_fill_pattern(buf, MiB, i + 1);
        if (!demo_write_all(fd, buf, MiB)) {
            int e = errno;

            close(fd);
            return demo_set_errno(err, e, "write", path);
        }
    }
    if (close(fd) < 0)
        return demo_set_errno(err, errno, "close", path);
    return TRUE;
}

static char *demo_load_template(GError **err)
{
    g_autoptr(GBytes) bytes = g_resource_lookup_data(vdt_demo_get_resource(), DEMO_TEMPLATE,
                                                     G_RESOURCE_LOOKUP_FLAGS_NONE, err);
    gsize len = 0;
    const char *data;

    if (!bytes)
        return NULL;
    data = g_bytes_get_data(bytes, &len);
    return g_strndup(data, len);
}

/* The template with the scratch directory put in; the path is escaped for an XML attribute
 * since $TMPDIR may hold '&' or a quote. */
static char *demo_render_node(const char *dir, GError **err)
{
    g_autofree char *template = demo_load_template(err);
    g_autofree char *dir_xml = NULL;
    g_auto(GStrv) parts = NULL;

    if (!template)
        return NULL;
    dir_xml = g_markup_escape_text(dir, -1);
    parts = g_strsplit(template, DEMO_DIR_PLACEHOLDER, -1);
    return g_strjoinv(dir_xml, parts);
}

static gboolean demo_populate(struct demo_host *demo, GError **err)
{
    g_autofree char *node = NULL;
    g_autofree char *node_path = g_build_filename(demo->dir, DEMO_NODE_FILE, NULL);
    g_autofree char *escaped = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(demo_images); i++) {
        g_autofree char *path = g_build_filename(demo->dir, demo_images[i].name, NULL);

        if (!demo_write_image(path, demo_images[i].mib, err))
            return FALSE;
    }
    node = demo_render_node(demo->dir, err);
    if (!node)
        return FALSE;
    if (!g_file_set_contents_full(node_path, node, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, err))
        return FALSE;
    escaped = g_uri_escape_string(node_path, G_URI_RESERVED_CHARS_ALLOWED_IN_PATH, FALSE);
    demo->uri = g_strconcat("test://", escaped, NULL);
    return TRUE;
}

struct demo_host *demo_host_create(GError **err)
{
    g_autoptr(DemoHost) demo = g_new0(struct demo_host, 1);
    g_autofree char *dir = g_dir_make_tmp("virt-disktune-demo-XXXXXX", err);

    if (!dir)
        return NULL;
    /* g_dir_make_tmp makes it 0700 already; the test driver needs an absolute path. */
    demo->dir = g_canonicalize_filename(dir, NULL);
    if (!demo_populate(demo, err))
        return NULL;
    return g_steal_pointer(&demo);
}

/* Only plain files are made in the directory, so one level of unlink is enough. */
static void demo_remove_dir(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    if (d) {
        while ((name = g_dir_read_name(d)) != NULL) {
            g_autofree char *path = g_build_filename(dir, name, NULL);

            (void)g_unlink(path);
        }
    }
    (void)g_rmdir(dir);
}

void demo_host_free(struct demo_host *demo)
{
    if (!demo)
        return;
    if (demo->dir)
        demo_remove_dir(demo->dir);
    g_free(demo->dir);
    g_free(demo->uri);
    g_free(demo);
}
