/* The built-in demo host: a private scratch directory with small image files written with
 * data (never sparse: holes measure nothing), a libvirt test-driver node file made from
 * assets/demo-node.xml.in naming them, and the test:/// URI that opens it. No daemon, no root. */
#pragma once
#include <glib.h>

struct demo_host {
    char *dir;   /* the scratch directory (mode 0700) */
    char *uri;   /* "test:///<dir>/node.xml" */
};

/* NULL with *err set on failure. Caller ends with demo_host_free(), which removes the
 * directory and everything the demo made in it. */
struct demo_host *demo_host_create(GError **err);
void demo_host_free(struct demo_host *demo);

typedef struct demo_host DemoHost;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DemoHost, demo_host_free)
