/* One libvirt connection. Opens read-write; when that is refused (no permission), falls back
 * to read-only and says so through session->read_only, so the caller can show a banner. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>

struct session {
    virConnectPtr conn;
    char *uri;              /* canonical URI (virConnectGetURI) */
    bool read_only;
    char *fallback_reason;  /* why read-write was refused, when read_only */
};

/* uri NULL: LIBVIRT_DEFAULT_URI, else qemu:///system. On failure returns NULL and sets
 * *err to one line naming the URI and libvirt's cause. Caller frees with session_close(). */
struct session *session_open(const char *uri, GError **err);
void session_close(struct session *s);

/* The last libvirt error as one line (never NULL); caller frees with g_free(). */
char *session_last_error(void);

/* QEMU version that will run the domains: virConnectGetVersion when the driver is QEMU,
 * else `qemu-system-x86_64 --version`; 0 when unknown. major*1000000+minor*1000+micro. */
unsigned long session_qemu_version(struct session *s);

typedef struct session Session;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Session, session_close)

#define SESSION_ERROR session_error_quark()
GQuark session_error_quark(void);
enum session_error_code {
    SESSION_ERROR_CONNECT,   /* URI unreachable or refused */
    SESSION_ERROR_LOST,      /* the daemon went away mid-session */
    SESSION_ERROR_NO_DOMAIN, /* a named domain does not exist (or vanished) */
    SESSION_ERROR_XML,       /* a domain description could not be parsed */
};
