#include "core/domxml.h"

#include <limits.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xmlerror.h>
#include "core/session.h"
#include "core/xml.h"

/* The expressions are a fixed set of literals: compile each once for the process (a
 * compiled expression is read-only during evaluation, so threads share it). Compiling on
 * every call cost more than parsing the document. */
static xmlXPathCompExprPtr xp_compiled(const char *expr)
{
    static GMutex lock;
    static GHashTable *cache;
    xmlXPathCompExprPtr comp;

    g_mutex_lock(&lock);
    if (!cache)
        cache = g_hash_table_new(g_str_hash, g_str_equal);
    comp = g_hash_table_lookup(cache, expr);
    if (!comp) {
        comp = xmlXPathCompile((const xmlChar *)expr);
        if (comp)
            g_hash_table_insert(cache, (gpointer)expr, comp);
    }
    g_mutex_unlock(&lock);
    return comp;
}

static XPathObj *xp_eval(XPathCtx *ctx, xmlNodePtr node, const char *expr)
{
    xmlXPathCompExprPtr comp = xp_compiled(expr);

    if (!comp)
        return NULL;
    ctx->node = node;
    return xmlXPathCompiledEval(comp, ctx);
}

static int xp_count(const XPathObj *obj)
{
    if (!obj || obj->type != XPATH_NODESET || !obj->nodesetval)
        return 0;
    return obj->nodesetval->nodeNr;
}

static char *node_text(xmlNodePtr node)
{
    xmlChar *content = xmlNodeGetContent(node);
    char *copy;

    if (!content)
        return NULL;
    copy = g_strdup((const char *)content);
    xmlFree(content);
    return copy;
}

/* The text of the first node expr selects, NULL when it selects nothing or only "". */
static char *xp_str(XPathCtx *ctx, xmlNodePtr node, const char *expr)
{
    g_autoptr(XPathObj) obj = xp_eval(ctx, node, expr);
    char *text;

    if (xp_count(obj) == 0)
        return NULL;
    text = node_text(obj->nodesetval->nodeTab[0]);
    if (text && !*text)
        g_clear_pointer(&text, g_free);
    return text;
}

static bool parse_uint(char *text, unsigned *out)
{
    guint64 v = 0;

    if (!text)
        return false;
    if (!g_ascii_string_to_unsigned(g_strstrip(text), 10, 0, UINT_MAX, &v, NULL))
        return false;
    *out = (unsigned)v;
    return true;
}

static bool xp_uint(XPathCtx *ctx, xmlNodePtr node, const char *expr, unsigned *out)
{
    g_autofree char *text = xp_str(ctx, node, expr);

    return parse_uint(text, out);
}

/* Per-disk fields are read by walking the tree, not by XPath: compiling an expression for
 * each of a disk's dozen attributes made parsing 1000 domains ten times slower. */

/* Attribute attr of the element at path; NULL when either is missing or the value is "". */
static char *tree_prop(xmlNodePtr node, const char *path, const char *attr)
{
    xmlNodePtr at = xml_at(node, path);
    xmlChar *value = at ? xmlGetNoNsProp(at, (const xmlChar *)attr) : NULL;
    char *copy = NULL;

    if (value && *value)
        copy = g_strdup((const char *)value);
    xmlFree(value);
    return copy;
}

static bool tree_uint(xmlNodePtr node, const char *path, const char *attr, unsigned *out)
{
    g_autofree char *text = tree_prop(node, path, attr);

    return parse_uint(text, out);
}

/* libvirt writes "default" for "let the hypervisor choose": the model says NULL for that. */
static char *drop_default(char *value)
{
    if (value && strcmp(value, "default") == 0)
        g_clear_pointer(&value, g_free);
    return value;
}

/* "proto://host/name": host is the first <host>, or its unix socket; either may be absent. */
static char *network_source(xmlNodePtr disk)
{
    g_autofree char *protocol = tree_prop(disk, "source", "protocol");
    g_autofree char *name = tree_prop(disk, "source", "name");
    g_autofree char *host = tree_prop(disk, "source/host", "name");

    if (!host)
        host = tree_prop(disk, "source/host", "socket");
    if (!protocol && !name && !host)
        return NULL;
    return g_strdup_printf("%s://%s%s%s", protocol ? protocol : "network", host ? host : "",
                           name && name[0] != '/' ? "/" : "", name ? name : "");
}

/* "nvme://0000:01:00.0/1": the host PCI address and the namespace. */
static char *nvme_source(xmlNodePtr disk)
{
    g_autofree char *dom = tree_prop(disk, "source/address", "domain");
    g_autofree char *bus = tree_prop(disk, "source/address", "bus");
    g_autofree char *slot = tree_prop(disk, "source/address", "slot");
    g_autofree char *fn = tree_prop(disk, "source/address", "function");
    g_autofree char *ns = tree_prop(disk, "source", "namespace");
    guint64 d = 0, b = 0, s = 0, f = 0;

    if (!bus || !slot)
        return NULL;
    /* The XML writes them as 0x0000, 0x01, 0x00, 0x0; strtoull base 0 reads both forms. */
    d = dom ? g_ascii_strtoull(dom, NULL, 0) : 0;
    b = g_ascii_strtoull(bus, NULL, 0);
    s = g_ascii_strtoull(slot, NULL, 0);
    f = fn ? g_ascii_strtoull(fn, NULL, 0) : 0;
    return g_strdup_printf("nvme://%04x:%02x:%02x.%x/%s", (unsigned)(d & 0xffff),
                           (unsigned)(b & 0xff), (unsigned)(s & 0x1f), (unsigned)(f & 0x7),
                           ns ? ns : "1");
}

/* Disk types whose source is one attribute of <source>. */
static const struct {
    const char *type, *attr;
} plain_sources[] = {
    { "file", "file" },
    { "block", "dev" },
    { "dir", "dir" },
    { "vhostuser", "path" },
};

static void read_disk_source(xmlNodePtr node, struct vm_disk *disk)
{
    for (size_t i = 0; i < G_N_ELEMENTS(plain_sources); i++) {
        if (strcmp(disk->type, plain_sources[i].type) == 0) {
            disk->source = tree_prop(node, "source", plain_sources[i].attr);
            return;
        }
    }
    if (strcmp(disk->type, "network") == 0) {
        disk->source_protocol = tree_prop(node, "source", "protocol");
        disk->source = network_source(node);
    } else if (strcmp(disk->type, "volume") == 0) {
        disk->source_pool = tree_prop(node, "source", "pool");
        disk->source_volume = tree_prop(node, "source", "volume");
        if (disk->source_pool || disk->source_volume)
            disk->source = g_strdup_printf("%s/%s", disk->source_pool ? disk->source_pool : "",
                                           disk->source_volume ? disk->source_volume : "");
    } else if (strcmp(disk->type, "nvme") == 0) {
        disk->source = nvme_source(node);
    } else {
        /* An unknown type: whatever names a path, for the listing's sake. */
        for (size_t i = 0; i < G_N_ELEMENTS(plain_sources) && !disk->source; i++)
            disk->source = tree_prop(node, "source", plain_sources[i].attr);
    }
}

/* The controller index of a scsi disk, -1 for another bus. libvirt always writes an
 * address; a hand-written disk without one lands on controller 0. */
static int scsi_controller_index(xmlNodePtr disk)
{
    g_autofree char *bus = tree_prop(disk, "target", "bus");
    g_autofree char *addr_type = tree_prop(disk, "address", "type");
    unsigned controller = 0;

    if (g_strcmp0(bus, "scsi") != 0)
        return -1;
    if (g_strcmp0(addr_type, "drive") != 0 ||
        !tree_uint(disk, "address", "controller", &controller))
        controller = 0;
    return (int)MIN(controller, (unsigned)INT_MAX);
}

xmlNodePtr domxml_scsi_controller(XPathCtx *ctx, xmlNodePtr disk)
{
    int wanted = scsi_controller_index(disk);
    g_autoptr(XPathObj) controllers = NULL;
    unsigned controller = (unsigned)wanted;

    if (wanted < 0)
        return NULL;
    controllers = xp_eval(ctx, disk, "/domain/devices/controller[@type='scsi' and "
                                     "@model='virtio-scsi']");
    for (int i = 0; i < xp_count(controllers); i++) {
        xmlNodePtr c = controllers->nodesetval->nodeTab[i];
        unsigned index = 0;

        if (tree_uint(c, "", "index", &index) && index == controller)
            return c;
    }
    return NULL;
}

/* A virtio-scsi controller may carry the iothread for every disk addressed to it. */
static void inherit_controller_iothread(XPathCtx *ctx, xmlNodePtr node, struct vm_disk *disk)
{
    xmlNodePtr c = disk->iothread ? NULL : domxml_scsi_controller(ctx, node);
    unsigned iothread = 0;

    if (c && tree_uint(c, "driver", "iothread", &iothread) && iothread > 0) {
        disk->iothread = (int)MIN(iothread, (unsigned)INT_MAX);
        disk->iothread_from_controller = true;
    }
}

static char *unbenchable_reason(const struct vm_disk *disk)
{
    const char *type = disk->type, *device = disk->device;
    bool local = strcmp(type, "file") == 0 || strcmp(type, "block") == 0;

    if (strcmp(type, "network") == 0)
        return g_strdup_printf("network disk (%s): not a local device",
                               disk->source_protocol ? disk->source_protocol : "unknown protocol");
    if (strcmp(type, "volume") == 0)
        return g_strdup_printf("volume in pool '%s': unresolved",
                               disk->source_pool ? disk->source_pool : "");
    if (strcmp(type, "nvme") == 0)
        return g_strdup("nvme disk: host PCI device");
    if (strcmp(type, "vhostuser") == 0)
        return g_strdup("vhostuser: not a local device");
    if (strcmp(type, "dir") == 0)
        return g_strdup("dir: a host directory shown as a virtual FAT disk, not a device");
    if (!local)
        return g_strdup_printf("disk type '%s': not supported", type);
    if (!disk->source)
        return g_strdup_printf("%s without %s", device,
                               strcmp(device, "cdrom") == 0 || strcmp(device, "floppy") == 0
                                   ? "media" : "source");
    /* Removable media is read-only to the guest and not worth tuning: its cache/io
     * setting matters for no workload the operator runs. */
    if (strcmp(device, "cdrom") == 0 || strcmp(device, "floppy") == 0)
        return g_strdup_printf("%s: removable media, not tuned", device);
    if (strcmp(device, "disk") != 0 && strcmp(device, "lun") != 0)
        return g_strdup_printf("device '%s': not supported", device);
    return NULL;
}

/* Each <backingStore> layer nests inside the previous one; the last is often empty. */
static int backing_chain_length(xmlNodePtr disk)
{
    int layers = 0;

    for (xmlNodePtr bs = xml_at(disk, "backingStore"); bs; bs = xml_at(bs, "backingStore"))
        if (xml_at(bs, "source"))
            layers++;
    return layers;
}

static struct vm_disk *parse_disk(XPathCtx *ctx, xmlNodePtr node)
{
    struct vm_disk *disk = g_new0(struct vm_disk, 1);
    unsigned iothread = 0;

    /* libvirt's own defaults when the attributes are missing. */
    disk->type = tree_prop(node, "", "type");
    if (!disk->type)
        disk->type = g_strdup("file");
    disk->device = tree_prop(node, "", "device");
    if (!disk->device)
        disk->device = g_strdup("disk");
    disk->bus = tree_prop(node, "target", "bus");
    disk->target = tree_prop(node, "target", "dev");
    read_disk_source(node, disk);
    disk->driver_name = tree_prop(node, "driver", "name");
    disk->driver_type = tree_prop(node, "driver", "type");
    disk->cache = drop_default(tree_prop(node, "driver", "cache"));
    disk->io = drop_default(tree_prop(node, "driver", "io"));
    if (tree_uint(node, "driver", "iothread", &iothread))
        disk->iothread = (int)MIN(iothread, (unsigned)INT_MAX);
    disk->scsi_controller = scsi_controller_index(node);
    inherit_controller_iothread(ctx, node, disk);
    disk->readonly = xml_at(node, "readonly") != NULL;
    disk->shareable = xml_at(node, "shareable") != NULL;
    disk->backing_chain_len = backing_chain_length(node);
    disk->reason = unbenchable_reason(disk);
    disk->benchable = disk->reason == NULL;
    return disk;
}

static void parse_disks(XPathCtx *ctx, xmlNodePtr root, struct vm_config *cfg)
{
    g_autoptr(XPathObj) disks = xp_eval(ctx, root, "/domain/devices/disk");

    for (int i = 0; i < xp_count(disks); i++)
        g_ptr_array_add(cfg->disks, parse_disk(ctx, disks->nodesetval->nodeTab[i]));
}

/* A ceiling on <iothreads>: far above any real domain (each is a host thread), low enough that
 * a hostile count cannot make the model allocate gigabytes. */
#define DOMXML_MAX_IOTHREADS 65536u

static void add_id(GArray *ids, GHashTable *seen, unsigned id)
{
    if (g_hash_table_add(seen, GUINT_TO_POINTER(id)))
        g_array_append_val(ids, id);
}

/* libvirt 9.0: the given <iothreadids> come first; when <iothreads> asks for more, the
 * lowest unused ids fill up to the count (iothreads 4 + ids 5,6 → 5,6,1,2). When more ids
 * are given than counted, the count follows the ids. */
static void parse_iothreads(XPathCtx *ctx, xmlNodePtr root, struct vm_config *cfg)
{
    g_autoptr(XPathObj) ids = xp_eval(ctx, root, "/domain/iothreadids/iothread/@id");
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);

    if (!xp_uint(ctx, root, "/domain/iothreads", &cfg->niothreads))
        cfg->niothreads = 0;
    cfg->niothreads = MIN(cfg->niothreads, DOMXML_MAX_IOTHREADS);
    for (int i = 0; i < xp_count(ids) && cfg->iothread_ids->len < DOMXML_MAX_IOTHREADS; i++) {
        g_autofree char *text = node_text(ids->nodesetval->nodeTab[i]);
        unsigned id = 0;

        if (parse_uint(text, &id) && id > 0)
            add_id(cfg->iothread_ids, seen, id);
    }
    for (unsigned id = 1; cfg->iothread_ids->len < cfg->niothreads && id != 0; id++)
        add_id(cfg->iothread_ids, seen, id);
    cfg->niothreads = cfg->iothread_ids->len;
}

static void parse_pins(XPathCtx *ctx, xmlNodePtr root, const char *expr, const char *id_attr,
                       GPtrArray *out)
{
    g_autoptr(XPathObj) pins = xp_eval(ctx, root, expr);

    for (int i = 0; i < xp_count(pins); i++) {
        xmlNodePtr node = pins->nodesetval->nodeTab[i];
        struct vm_pin *pin;
        unsigned id = 0;

        if (!tree_uint(node, "", id_attr, &id))
            continue;
        pin = g_new0(struct vm_pin, 1);
        pin->id = id;
        pin->cpuset = tree_prop(node, "", "cpuset");
        g_ptr_array_add(out, pin);
    }
}

static void parse_domain(XPathCtx *ctx, xmlNodePtr root, struct vm_config *cfg)
{
    cfg->domain_type = tree_prop(root, "", "type");
    cfg->name = xp_str(ctx, root, "/domain/name");
    cfg->emulator = xp_str(ctx, root, "/domain/devices/emulator");
    if (cfg->emulator)
        g_strstrip(cfg->emulator);
    if (!xp_uint(ctx, root, "/domain/vcpu", &cfg->max_vcpus))
        cfg->max_vcpus = 0;
    if (!tree_uint(root, "vcpu", "current", &cfg->vcpus))
        cfg->vcpus = cfg->max_vcpus;
    parse_iothreads(ctx, root, cfg);
    parse_pins(ctx, root, "/domain/cputune/vcpupin", "vcpu", cfg->vcpupins);
    parse_pins(ctx, root, "/domain/cputune/iothreadpin", "iothread", cfg->iothreadpins);
    cfg->emulatorpin = xp_str(ctx, root, "/domain/cputune/emulatorpin/@cpuset");
    parse_disks(ctx, root, cfg);
}

struct vm_config *domxml_parse(const char *xml, size_t len, GError **err)
{
    g_autoptr(XmlDoc) doc = xml_read_domain(xml, len, err);
    g_autoptr(XPathCtx) ctx = NULL;
    struct vm_config *cfg;

    if (!doc)
        return NULL;
    ctx = xmlXPathNewContext(doc);
    if (!ctx) {
        g_set_error(err, SESSION_ERROR, SESSION_ERROR_XML, "domain XML: out of memory");
        return NULL;
    }
    cfg = vm_config_new();
    parse_domain(ctx, xmlDocGetRootElement(doc), cfg);
    return cfg;
}
