/* Inside a session, for core/ and its tests only: the connection itself, and
 * core/session.c's decision which failures to open read-write are a refusal (then a
 * read-only connection is tried) rather than an unreachable URI. */
#pragma once
#include <stdbool.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "core/session.h"

struct session {
    virConnectPtr conn;
    char *uri;              /* canonical URI (virConnectGetURI) */
    bool read_only;
    char *fallback_reason;  /* why read-write was refused, when read_only */
};

bool session_error_is_permission(const virError *e);

/* The daemon went away: the remote driver reports a closed socket as a system or RPC
 * error (code, from the failed call's virError), and virConnectIsAlive turns false once
 * it noticed. */
bool session_error_is_lost(virConnectPtr conn, int code);

/* After a failed libvirt call, before any other: *err is "URI: connection lost: CAUSE"
 * (SESSION_ERROR_LOST) when the daemon went away, else "WHAT: CAUSE" in (domain, code).
 * Returns false, for `return session_call_failed(...)`. */
bool session_call_failed(struct session *s, GError **err, GQuark domain, int code,
                         const char *what);
