/* Watching a domain's lifecycle through libvirt's events (virConnectDomainEventRegisterAny),
 * for preserve mode: a domain that starts while its disk is written must stop the writes at
 * once. Its own connection to the session's URI, and libvirt's default event loop on a
 * thread of its own, so nothing else in the process changes. */
#pragma once
#include <glib.h>
#include <stdbool.h>

struct session;
struct lifecycle_watch;

/* Calls started(data, domain name) on the event thread when the domain with this UUID starts
 * or resumes (VIR_DOMAIN_EVENT_STARTED, _RESUMED). NULL with *err when the watch cannot be
 * set up (no URI, the connection or the registration failed). */
struct lifecycle_watch *lifecycle_watch_start(struct session *s, const char *uuid,
                                              void (*started)(gpointer data, const char *name),
                                              gpointer data, GError **err);
/* Ends the watch: after it returns, started() is not called again. NULL is fine. */
void lifecycle_watch_stop(struct lifecycle_watch *w);
