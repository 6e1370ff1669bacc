/* core/session.c's decision, exposed for tests: which failures to open read-write are a
 * refusal (then a read-only connection is tried) rather than an unreachable URI. */
#pragma once
#include <stdbool.h>
#include <libvirt/virterror.h>

bool session_error_is_permission(const virError *e);
