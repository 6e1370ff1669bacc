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
