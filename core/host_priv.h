/* core/host.c's inner step, exposed for tests: describing one listed domain. A test lists,
 * undefines a domain on the same connection, then describes it, to see the vanished path. */
#pragma once
#include <libvirt/libvirt.h>
#include "core/host.h"

/* The model of one domain. NULL with *err (SESSION_ERROR_LOST) only when the connection
 * went away; a domain that vanished or failed to describe comes back with ->error set, and
 * *vanished (may be NULL) tells the vanished case apart. Caller frees with vm_domain_free(). */
struct vm_domain *host_describe_domain(struct session *s, virDomainPtr dom,
                                       const struct host_load_opts *opts, bool *vanished,
                                       GError **err);
