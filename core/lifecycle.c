#include "core/lifecycle.h"

#include <gio/gio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "core/session.h"

struct lifecycle_watch {
    virConnectPtr conn;
    int id;
    GMutex lock;            /* started() runs under it; stop takes it to end the calls */
    bool stopped;
    void (*started)(gpointer data, const char *name);
    gpointer data;
};

static gpointer event_thread(gpointer data)
{
    for (;;)
        if (virEventRunDefaultImpl() < 0)
            g_usleep(100000);
    return NULL;
}

/* libvirt's default event loop, registered once per process, run on a thread of its own. */
static bool events_ready(GError **err)
{
    static gsize once;
    static bool ok;

    if (g_once_init_enter(&once)) {
        ok = virEventRegisterDefaultImpl() == 0;
        if (ok)
            g_thread_unref(g_thread_new("libvirt-events", event_thread, NULL));
        g_once_init_leave(&once, 1);
    }
    if (!ok)
        g_set_error_literal(err, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "libvirt's event loop could not be registered");
    return ok;
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
                        void *opaque)
{
    struct lifecycle_watch *w = opaque;

    if (event != VIR_DOMAIN_EVENT_STARTED && event != VIR_DOMAIN_EVENT_RESUMED)
        return 0;
    g_mutex_lock(&w->lock);
    if (!w->stopped)
        w->started(w->data, virDomainGetName(dom));
    g_mutex_unlock(&w->lock);
    return 0;
}

struct lifecycle_watch *lifecycle_watch_start(struct session *s, const char *uuid,
                                              void (*started)(gpointer data, const char *name),
                                              gpointer data, GError **err)
{
    const char *uri = s ? session_uri(s) : NULL;
    struct lifecycle_watch *w;
    virDomainPtr dom;

    if (!uri || !uuid || !*uuid) {
        g_set_error_literal(err, G_IO_ERROR, G_IO_ERROR_FAILED, "no libvirt connection to watch");
        return NULL;
    }
    if (!events_ready(err))
        return NULL;
    w = g_new0(struct lifecycle_watch, 1);
    g_mutex_init(&w->lock);
    w->started = started;
    w->data = data;
    w->id = -1;
    w->conn = virConnectOpenReadOnly(uri);
    dom = w->conn ? virDomainLookupByUUIDString(w->conn, uuid) : NULL;
    if (dom)
        w->id = virConnectDomainEventRegisterAny(w->conn, dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                 VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), w,
                                                 NULL);
    if (dom)
        virDomainFree(dom);
    if (w->id < 0) {
        const virError *e = virGetLastError();

        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "watching domain %s: %s", uuid,
                    e && e->message ? e->message : "libvirt refused");
        lifecycle_watch_stop(w);
        return NULL;
    }
    return w;
}

void lifecycle_watch_stop(struct lifecycle_watch *w)
{
    if (!w)
        return;
    g_mutex_lock(&w->lock);
    w->stopped = true;
    g_mutex_unlock(&w->lock);
    if (w->conn && w->id >= 0)
        virConnectDomainEventDeregisterAny(w->conn, w->id);
    if (w->conn)
        virConnectClose(w->conn);
    g_mutex_clear(&w->lock);
    g_free(w);
}
