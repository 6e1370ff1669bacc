/* One libvirt connection. Opens read-write; when that is refused (no permission), falls back
 * to read-only and says so (session_read_only), so the caller can show a banner. Opaque
 * above core/: no libvirt type reaches tui/ (core/session_priv.h has the inside). */
#pragma once
#include <glib.h>
#include <stdbool.h>

struct session;

/* uri NULL: LIBVIRT_DEFAULT_URI, else qemu:///system. On failure returns NULL and sets
 * *err to one line naming the URI and libvirt's cause. Caller frees with session_close(). */
struct session *session_open(const char *uri, GError **err);
void session_close(struct session *s);

/* The canonical URI (virConnectGetURI); whether the connection fell back to read-only, and
 * why read-write was refused (NULL when it was not). Borrowed from s. */
const char *session_uri(const struct session *s);
bool session_read_only(const struct session *s);
const char *session_fallback_reason(const struct session *s);

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
