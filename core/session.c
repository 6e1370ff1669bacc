#include "core/session.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <libvirt/virterror.h>
#include <libxml/xmlerror.h>
#include "core/session_priv.h"

G_DEFINE_QUARK(session-error-quark, session_error)

/* libvirt prints every error to stderr by default; the tool reports errors itself, once. */
static void quiet_error_func(void *userdata, virErrorPtr error)
{
}

/* The test driver parses its node file with libxml2 inside this process, and libxml2 prints
 * its own "I/O warning" lines for a missing file before libvirt reports the same error. */
static void quiet_xml_error_func(void *ctx, const char *msg, ...)
{
}

static void silence_libvirt(void)
{
    static gsize done;

    if (g_once_init_enter(&done)) {
        virSetErrorFunc(NULL, quiet_error_func);
        xmlSetGenericErrorFunc(NULL, quiet_xml_error_func);
        g_once_init_leave(&done, 1);
    }
}

static char *one_line(const char *msg)
{
    char *line = g_strdup(msg ? msg : "unknown error");

    g_strdelimit(line, "\r\n", ' ');
    return g_strstrip(line);
}

char *session_last_error(void)
{
    virErrorPtr e = virGetLastError();

    if (!e || !e->message)
        return g_strdup("unknown libvirt error");
    return one_line(e->message);
}

/* Read-write was refused for lack of permission (polkit, ACL, socket mode), as opposed to
 * the URI being unreachable: only then does a read-only connection make sense. */
bool session_error_is_permission(const virError *e)
{
    if (!e)
        return false;
    switch (e->code) {
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
    case VIR_ERR_ACCESS_DENIED:
    case VIR_ERR_OPERATION_DENIED:
        return true;
    case VIR_ERR_SYSTEM_ERROR:
        /* virReportSystemError keeps the errno in int1 (EACCES on the socket). */
        return e->int1 == EACCES || e->int1 == EPERM ||
               (e->message && strstr(e->message, g_strerror(EACCES)));
    default:
        return false;
    }
}

static const char *default_uri(void)
{
    const char *env = g_getenv("LIBVIRT_DEFAULT_URI");

    return env && *env ? env : "qemu:///system";
}

struct session *session_open(const char *uri, GError **err)
{
    g_autofree char *rw_error = NULL;
    struct session *s;
    virConnectPtr conn;
    bool read_only = false;
    char *canonical;

    silence_libvirt();
    if (!uri)
        uri = default_uri();
    conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0);
    if (!conn) {
        virErrorPtr e = virGetLastError();

        rw_error = session_last_error();
        if (!session_error_is_permission(e)) {
            g_set_error(err, SESSION_ERROR, SESSION_ERROR_CONNECT, "%s: %s", uri, rw_error);
            return NULL;
        }
        conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, VIR_CONNECT_RO);
        if (!conn) {
            g_autofree char *ro_error = session_last_error();

            g_set_error(err, SESSION_ERROR, SESSION_ERROR_CONNECT, "%s: %s", uri, ro_error);
            return NULL;
        }
        read_only = true;
    }
    s = g_new0(struct session, 1);
    s->conn = conn;
    canonical = virConnectGetURI(conn);
    s->uri = g_strdup(canonical ? canonical : uri);
    free(canonical);
    s->read_only = read_only;
    s->fallback_reason = g_steal_pointer(&rw_error);
    return s;
}

void session_close(struct session *s)
{
    if (!s)
        return;
    if (s->conn)
        virConnectClose(s->conn);
    g_free(s->uri);
    g_free(s->fallback_reason);
    g_free(s);
}

/* "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)" → 7002022; 0 when unparsable. */
static unsigned long parse_qemu_version_line(const char *text)
{
    const char *p = text ? strstr(text, "version ") : NULL;
    unsigned major = 0, minor = 0, micro = 0;

    if (!p)
        return 0;
    if (sscanf(p + strlen("version "), "%u.%u.%u", &major, &minor, &micro) < 2)
        return 0;
    return major * 1000000ul + minor * 1000ul + micro;
}

static unsigned long qemu_binary_version(void)
{
    g_autofree char *out = NULL;
    g_autofree char *path = g_find_program_in_path("qemu-system-x86_64");
    const char *argv[] = { NULL, "--version", NULL };
    int status = 0;

    if (!path)
        return 0;
    argv[0] = path;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                      &out, NULL, &status, NULL))
        return 0;
    if (!g_spawn_check_wait_status(status, NULL))
        return 0;
    return parse_qemu_version_line(out);
}

unsigned long session_qemu_version(struct session *s)
{
    if (s && s->conn) {
        const char *type = virConnectGetType(s->conn);
        unsigned long version = 0;

        if (type && g_ascii_strcasecmp(type, "QEMU") == 0 &&
            virConnectGetVersion(s->conn, &version) == 0 && version > 0)
            return version;
    }
    return qemu_binary_version();
}

const char *session_uri(const struct session *s)
{
    return s->uri;
}

bool session_read_only(const struct session *s)
{
    return s->read_only;
}

const char *session_fallback_reason(const struct session *s)
{
    return s->fallback_reason;
}

bool session_error_is_lost(virConnectPtr conn, int code)
{
    if (code == VIR_ERR_SYSTEM_ERROR || code == VIR_ERR_NO_CONNECT || code == VIR_ERR_RPC)
        return true;
    return virConnectIsAlive(conn) == 0;
}

bool session_call_failed(struct session *s, GError **err, GQuark domain, int code,
                         const char *what)
{
    virErrorPtr e = virGetLastError();
    int ecode = e ? e->code : VIR_ERR_OK;
    g_autofree char *cause = session_last_error();

    if (session_error_is_lost(s->conn, ecode))
        g_set_error(err, SESSION_ERROR, SESSION_ERROR_LOST, "%s: connection lost: %s", s->uri,
                    cause);
    else
        g_set_error(err, domain, code, "%s: %s", what, cause);
    return false;
}
