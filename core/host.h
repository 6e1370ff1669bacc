/* Build the host model from a session: one virConnectListAllDomains call, then for each
 * domain its state, vCPUs, live and inactive XML (core/domxml.c), and each disk's backing
 * (core/backing.c). A domain that vanishes between list and describe keeps its name with
 * vm_domain.error set; it does not fail the whole listing. */
#pragma once
#include <glib.h>
#include "core/model.h"
#include "core/session.h"

struct host_load_opts {
    bool resolve_backing;   /* stat/sysfs work for every disk (list: yes) */
    const char *sysfs_root; /* NULL: "/sys"; tests point it at a fake tree */
};

/* NULL on a connection-wide failure (daemon lost, list refused), with *err set.
 * Caller frees with host_model_free(). */
struct host_model *host_load(struct session *s, const struct host_load_opts *opts, GError **err);

/* The domains' names and states only, in two calls whatever the count (the listing and
 * virConnectGetAllDomainStats): what a console paints first while host_load() describes
 * them. Every domain is listed_only, and so is the host. NULL with *err when the daemon
 * cannot list or does not give the states in one call. Caller frees with host_model_free(). */
struct host_model *host_load_names(struct session *s, GError **err);

/* Re-read one domain by name (NULL with SESSION_ERROR_NO_DOMAIN when it is gone).
 * Caller frees with vm_domain_free(). */
struct vm_domain *host_load_domain(struct session *s, const char *name,
                                   const struct host_load_opts *opts, GError **err);
