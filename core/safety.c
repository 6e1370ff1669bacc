/* Write safety: see safety.h. The host-side probes come from probes/inuse.c; this file adds
 * what only libvirt knows: which domains are not shut off and what their disks are. */
#include "core/safety.h"
#include "core/session_priv.h"

#include <errno.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "probes/inuse.h"

G_DEFINE_QUARK(safety-error-quark, safety_error)

/* What the target is, and what overlaps it, for comparing domains' disks against it. */
struct target {
    const char *path;
    struct stat st;
    const char *sysfs;
    GArray *overlap;    /* dev_t, see inuse_overlapping_devs(): of the device for a block
                           target, of the device under its filesystem for a file (NULL when
                           that is no block device: tmpfs, overlayfs...) */
    GArray *loop_files; /* struct stat: the backing files of the loop devices among the
                           target and what overlaps it (a partition of a loop device, a
                           device stacked on one); NULL for a file target */
};

/* One finding or one doubt per call; both end up in the refusal. */
struct verdict {
    GPtrArray *reasons;
    GString *doubts;
};

static void doubt(struct verdict *v, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void doubt(struct verdict *v, const char *fmt, ...)
{
    va_list ap;
    if (v->doubts->len)
        g_string_append(v->doubts, "; ");
    va_start(ap, fmt);
    g_string_append_vprintf(v->doubts, fmt, ap);
    va_end(ap);
}

/* virDomainState in libvirt's order. */
static const char *const domain_state_names[] = {
    "nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended",
};

static const char *domain_state_name(int state)
{
    if (state >= 0 && (size_t)state < G_N_ELEMENTS(domain_state_names))
        return domain_state_names[state];
    return "unknown state";
}

/* The backing file of loop device loopdev, stat'ed; false when it is no loop device. */
static bool loop_backing_stat(const char *sysfs, dev_t loopdev, struct stat *st)
{
    g_autofree char *file = g_strdup_printf("%s/dev/block/%u:%u/loop/backing_file", sysfs,
                                            major(loopdev), minor(loopdev));
    g_autofree char *backing = NULL;
    if (!g_file_get_contents(file, &backing, NULL, NULL))
        return false;
    return stat(g_strchomp(backing), st) == 0 && S_ISREG(st->st_mode);
}

/* A loop device whose backing file is the target file writes to that file. */
static bool loop_backed_by(const struct target *t, dev_t loopdev)
{
    struct stat st;
    return loop_backing_stat(t->sysfs, loopdev, &st) && st.st_dev == t->st.st_dev
           && st.st_ino == t->st.st_ino;
}

/* How a disk whose source stats as st overlaps the target; NULL when it does not. */
static const char *disk_overlap(const struct target *t, const struct stat *st)
{
    if (S_ISBLK(t->st.st_mode)) {
        if (S_ISBLK(st->st_mode) && st->st_rdev == t->st.st_rdev)
            return "the same device";
        if (S_ISBLK(st->st_mode) && t->overlap && inuse_devs_contain(t->overlap, st->st_rdev))
            return "a device stacked on it or under it";
        if (S_ISREG(st->st_mode) && (st->st_dev == t->st.st_rdev
                                     || (t->overlap && inuse_devs_contain(t->overlap, st->st_dev))))
            return "a file on a filesystem on it";
        /* Writing to a loop device (or a partition of one, or a device on one) writes its
         * backing file: the guest's image itself. */
        for (guint i = 0; S_ISREG(st->st_mode) && t->loop_files && i < t->loop_files->len; i++) {
            const struct stat *lf = &g_array_index(t->loop_files, struct stat, i);

            if (st->st_dev == lf->st_dev && st->st_ino == lf->st_ino)
                return "the backing file of this loop device";
        }
        return NULL;
    }
    if (S_ISREG(st->st_mode) && st->st_dev == t->st.st_dev && st->st_ino == t->st.st_ino)
        return "the same file";
    if (S_ISBLK(st->st_mode) && loop_backed_by(t, st->st_rdev))
        return "a loop device over it";
    if (S_ISBLK(st->st_mode) && t->overlap && inuse_devs_contain(t->overlap, st->st_rdev))
        return "the device under its filesystem";
    return NULL;
}

/* A volume disk names pool and volume; the storage driver knows the path. */
static char *volume_path(virConnectPtr conn, const char *pool, const char *volume)
{
    virStoragePoolPtr p = virStoragePoolLookupByName(conn, pool);
    if (!p)
        return NULL;
    virStorageVolPtr v = virStorageVolLookupByName(p, volume);
    virStoragePoolFree(p);
    if (!v)
        return NULL;
    char *path = virStorageVolGetPath(v);
    virStorageVolFree(v);
    if (!path)
        return NULL;
    char *out = g_strdup(path);
    free(path);
    return out;
}

static char *node_prop(xmlNodePtr node, const char *name)
{
    xmlChar *v = xmlGetProp(node, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *out = g_strdup((const char *)v);
    xmlFree(v);
    return out;
}

struct disk_ref {
    const char *domain;
    const char *state;
    const char *disk;    /* target dev, or "hostdev" */
};

static void check_source(struct verdict *v, const struct target *t, const struct disk_ref *ref,
                         const char *source)
{
    struct stat st;
    if (stat(source, &st) != 0) {
        int e = errno;
        /* A source that does not exist here cannot be the target, which does. */
        if (e != ENOENT && e != ENOTDIR)
            doubt(v, "domain %s disk %s: %s: %s", ref->domain, ref->disk, source, g_strerror(e));
        return;
    }
    const char *how = disk_overlap(t, &st);
    if (how)
        g_ptr_array_add(v->reasons, g_strdup_printf("used by domain %s (%s), disk %s: %s is %s",
                                                    ref->domain, ref->state, ref->disk, source,
                                                    how));
}

/* Every <source> under a disk, the <backingStore> layers included: QEMU opens them all. */
static void check_disk(struct verdict *v, virConnectPtr conn, const struct target *t,
                       xmlXPathContextPtr xp, xmlNodePtr disk, struct disk_ref *ref)
{
    xp->node = disk;
    xmlXPathObjectPtr dev = xmlXPathEvalExpression((const xmlChar *)"string(target/@dev)", xp);
    g_autofree char *target = g_strdup(dev && dev->stringval && *dev->stringval
                                           ? (const char *)dev->stringval : "?");
    xmlXPathFreeObject(dev);
    ref->disk = target;

    xp->node = disk;
    xmlXPathObjectPtr srcs = xmlXPathEvalExpression((const xmlChar *)".//source", xp);
    if (!srcs) {
        doubt(v, "domain %s disk %s: cannot read its sources", ref->domain, target);
        return;
    }
    for (int i = 0; srcs->nodesetval && i < srcs->nodesetval->nodeNr; i++) {
        xmlNodePtr src = srcs->nodesetval->nodeTab[i];
        g_autofree char *path = node_prop(src, "file");
        if (!path)
            path = node_prop(src, "dev");
        if (!path) {
            g_autofree char *pool = node_prop(src, "pool");
            g_autofree char *volume = node_prop(src, "volume");
            if (!pool || !volume)
                continue;  /* network, nvme, vhostuser: not a host file or device */
            path = volume_path(conn, pool, volume);
            if (!path) {
                doubt(v, "domain %s disk %s: volume %s/%s: %s", ref->domain, target, pool,
                      volume, virGetLastErrorMessage());
                continue;
            }
        }
        check_source(v, t, ref, path);
    }
    xmlXPathFreeObject(srcs);
}

/* <hostdev mode='capabilities' type='storage'> hands a host block device to an LXC guest. */
static void check_hostdevs(struct verdict *v, const struct target *t, xmlXPathContextPtr xp,
                           struct disk_ref *ref)
{
    xp->node = xmlDocGetRootElement(xp->doc);
    xmlXPathObjectPtr blocks = xmlXPathEvalExpression(
        (const xmlChar *)"/domain/devices/hostdev[@type='storage']/source/block", xp);
    ref->disk = "hostdev";
    for (int i = 0; blocks && blocks->nodesetval && i < blocks->nodesetval->nodeNr; i++) {
        xmlChar *text = xmlNodeGetContent(blocks->nodesetval->nodeTab[i]);
        if (text)
            check_source(v, t, ref, (const char *)text);
        xmlFree(text);
    }
    xmlXPathFreeObject(blocks);
}

static void check_domain_xml(struct verdict *v, virConnectPtr conn, const struct target *t,
                             const char *xml, struct disk_ref *ref)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        doubt(v, "domain %s: its XML cannot be parsed", ref->domain);
        return;
    }
    xmlXPathContextPtr xp = xmlXPathNewContext(doc);
    xmlXPathObjectPtr disks = xp ? xmlXPathEvalExpression(
                                       (const xmlChar *)"/domain/devices/disk", xp) : NULL;
    if (!disks) {
        doubt(v, "domain %s: its disks cannot be read", ref->domain);
    } else {
        for (int i = 0; disks->nodesetval && i < disks->nodesetval->nodeNr; i++)
            check_disk(v, conn, t, xp, disks->nodesetval->nodeTab[i], ref);
        check_hostdevs(v, t, xp, ref);
    }
    xmlXPathFreeObject(disks);
    xmlXPathFreeContext(xp);
    xmlFreeDoc(doc);
}

/* A domain that vanished between the list and the question no longer uses anything. */
static bool domain_vanished(void)
{
    return virGetLastErrorCode() == VIR_ERR_NO_DOMAIN;
}

static void check_domain(struct verdict *v, virConnectPtr conn, const struct target *t,
                         virDomainPtr dom)
{
    const char *name = virDomainGetName(dom);
    int state, why;
    if (virDomainGetState(dom, &state, &why, 0) < 0) {
        if (!domain_vanished())
            doubt(v, "domain %s: state unknown: %s", name, virGetLastErrorMessage());
        return;
    }
    if (state == VIR_DOMAIN_SHUTOFF)
        return;
    /* The live description: what the running QEMU has open, hot-plugged disks included. */
    char *xml = virDomainGetXMLDesc(dom, 0);
    if (!xml) {
        if (!domain_vanished())
            doubt(v, "domain %s: description unavailable: %s", name, virGetLastErrorMessage());
        return;
    }
    struct disk_ref ref = { .domain = name, .state = domain_state_name(state) };
    check_domain_xml(v, conn, t, xml, &ref);
    free(xml);
}

static void check_domains(struct verdict *v, struct session *s, const struct target *t)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(s->conn, &doms, 0);
    if (n < 0) {
        doubt(v, "libvirt cannot list the domains: %s", virGetLastErrorMessage());
        return;
    }
    for (int i = 0; i < n; i++) {
        check_domain(v, s->conn, t, doms[i]);
        virDomainFree(doms[i]);
    }
    free(doms);
}

/* "path: cause" from the probes, without the path the caller's message already names. */
static const char *without_path(const char *message, const char *path)
{
    size_t n = strlen(path);
    if (strncmp(message, path, n) == 0 && strncmp(message + n, ": ", 2) == 0)
        return message + n + 2;
    return message;
}

static void check_host(struct verdict *v, const char *path, const struct inuse_roots *roots)
{
    g_autoptr(GError) e = NULL;
    GPtrArray *found = NULL;
    if (inuse_probe(path, roots, &found, &e) < 0)
        doubt(v, "%s", without_path(e->message, path));
    g_ptr_array_extend_and_steal(v->reasons, found);
}

static void check_libvirt(struct verdict *v, struct session *s, const char *path,
                          const struct inuse_roots *roots)
{
    struct target t = { .path = path, .sysfs = roots && roots->sysfs ? roots->sysfs : "/sys" };
    if (stat(path, &t.st) != 0)
        return;  /* already a doubt from the host check */
    if (S_ISBLK(t.st.st_mode)) {
        g_autoptr(GError) e = NULL;
        t.overlap = inuse_overlapping_devs(t.st.st_rdev, t.sysfs, &e);
        if (!t.overlap)
            doubt(v, "devices stacked on it unknown: %s", e->message);
        t.loop_files = g_array_new(FALSE, FALSE, sizeof(struct stat));
        for (guint i = 0; t.overlap && i < t.overlap->len; i++) {
            struct stat lf;

            if (loop_backing_stat(t.sysfs, g_array_index(t.overlap, dev_t, i), &lf))
                g_array_append_val(t.loop_files, lf);
        }
    } else if (major(t.st.st_dev) != 0) {
        /* A file's filesystem on a real device: a domain given that device (or a device
         * under it) sees every write to the file. Anonymous devices (tmpfs) have none. */
        t.overlap = inuse_overlapping_devs(t.st.st_dev, t.sysfs, NULL);
    }
    check_domains(v, s, &t);
    if (t.overlap)
        g_array_unref(t.overlap);
    if (t.loop_files)
        g_array_unref(t.loop_files);
}

bool safety_check(struct session *s, const char *path, const struct inuse_roots *roots,
                  GPtrArray **reasons, GError **err)
{
    struct verdict v = {
        .reasons = g_ptr_array_new_with_free_func(g_free),
        .doubts = g_string_new(NULL),
    };
    check_host(&v, path, roots);
    if (s)
        check_libvirt(&v, s, path, roots);

    bool allowed = v.reasons->len == 0 && v.doubts->len == 0;
    if (v.reasons->len) {
        g_autoptr(GString) msg = g_string_new(NULL);
        g_string_printf(msg, "%s: in use: ", path);
        for (guint i = 0; i < v.reasons->len; i++)
            g_string_append_printf(msg, "%s%s", i ? "; " : "",
                                   (const char *)g_ptr_array_index(v.reasons, i));
        if (v.doubts->len)
            g_string_append_printf(msg, "; and cannot check: %s", v.doubts->str);
        g_set_error_literal(err, SAFETY_ERROR, SAFETY_ERROR_IN_USE, msg->str);
    } else if (v.doubts->len) {
        g_set_error(err, SAFETY_ERROR, SAFETY_ERROR_CANNOT_CHECK,
                    "%s: cannot check whether it is in use: %s", path, v.doubts->str);
    }
    g_string_free(v.doubts, TRUE);
    if (reasons)
        *reasons = v.reasons;
    else
        g_ptr_array_unref(v.reasons);
    return allowed;
}

bool safety_write_allowed(struct session *s, const char *path, GError **err)
{
    return safety_check(s, path, NULL, NULL, err);
}
