#include "core/domxml.h"

#include <limits.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xmlerror.h>
#include "core/session.h"

/* Outside input: a failed parse is reported through GError, never printed by libxml2. */
static void quiet_structured_error(void *userdata, xmlErrorPtr error)
{
}

typedef xmlXPathContext XPathCtx;
typedef xmlXPathObject XPathObj;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XPathCtx, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XPathObj, xmlXPathFreeObject)

static XPathObj *xp_eval(XPathCtx *ctx, xmlNodePtr node, const char *expr)
{
    ctx->node = node;
    return xmlXPathEvalExpression((const xmlChar *)expr, ctx);
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

static bool xp_exists(XPathCtx *ctx, xmlNodePtr node, const char *expr)
{
    g_autoptr(XPathObj) obj = xp_eval(ctx, node, expr);

    return xp_count(obj) > 0;
}

/* libvirt writes "default" for "let the hypervisor choose": the model says NULL for that. */
static char *drop_default(char *value)
{
    if (value && strcmp(value, "default") == 0)
        g_clear_pointer(&value, g_free);
    return value;
}

/* "proto://host/name": host is the first <host>, or its unix socket; either may be absent. */
static char *network_source(XPathCtx *ctx, xmlNodePtr disk)
{
    g_autofree char *protocol = xp_str(ctx, disk, "./source/@protocol");
    g_autofree char *name = xp_str(ctx, disk, "./source/@name");
    g_autofree char *host = xp_str(ctx, disk, "./source/host[1]/@name");

    if (!host)
        host = xp_str(ctx, disk, "./source/host[1]/@socket");
    if (!protocol && !name && !host)
        return NULL;
    return g_strdup_printf("%s://%s%s%s", protocol ? protocol : "network", host ? host : "",
                           name && name[0] != '/' ? "/" : "", name ? name : "");
}

/* "nvme://0000:01:00.0/1": the host PCI address and the namespace. */
static char *nvme_source(XPathCtx *ctx, xmlNodePtr disk)
{
    g_autofree char *dom = xp_str(ctx, disk, "./source/address/@domain");
    g_autofree char *bus = xp_str(ctx, disk, "./source/address/@bus");
    g_autofree char *slot = xp_str(ctx, disk, "./source/address/@slot");
    g_autofree char *fn = xp_str(ctx, disk, "./source/address/@function");
    g_autofree char *ns = xp_str(ctx, disk, "./source/@namespace");
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

static void read_disk_source(XPathCtx *ctx, xmlNodePtr node, struct vm_disk *disk)
{
    const char *type = disk->type;

    if (strcmp(type, "file") == 0) {
        disk->source = xp_str(ctx, node, "./source/@file");
    } else if (strcmp(type, "block") == 0) {
        disk->source = xp_str(ctx, node, "./source/@dev");
    } else if (strcmp(type, "dir") == 0) {
        disk->source = xp_str(ctx, node, "./source/@dir");
    } else if (strcmp(type, "network") == 0) {
        disk->source_protocol = xp_str(ctx, node, "./source/@protocol");
        disk->source = network_source(ctx, node);
    } else if (strcmp(type, "volume") == 0) {
        disk->source_pool = xp_str(ctx, node, "./source/@pool");
        disk->source_volume = xp_str(ctx, node, "./source/@volume");
        if (disk->source_pool || disk->source_volume)
            disk->source = g_strdup_printf("%s/%s", disk->source_pool ? disk->source_pool : "",
                                           disk->source_volume ? disk->source_volume : "");
    } else if (strcmp(type, "nvme") == 0) {
        disk->source = nvme_source(ctx, node);
    } else if (strcmp(type, "vhostuser") == 0) {
        disk->source = xp_str(ctx, node, "./source/@path");
    } else {
        disk->source = xp_str(ctx, node, "./source/@file | ./source/@dev | ./source/@path");
    }
}

/* A virtio-scsi controller may carry the iothread for every disk addressed to it. */
static void inherit_controller_iothread(XPathCtx *ctx, xmlNodePtr node, struct vm_disk *disk)
{
    g_autofree char *expr = NULL;
    unsigned controller = 0, iothread = 0;

    if (disk->iothread || !disk->bus || strcmp(disk->bus, "scsi") != 0)
        return;
    /* libvirt always writes an address; a hand-written disk without one lands on
     * controller 0. */
    if (xp_exists(ctx, node, "./address[@type='drive']")) {
        if (!xp_uint(ctx, node, "./address[@type='drive']/@controller", &controller))
            controller = 0;
    }
    expr = g_strdup_printf("/domain/devices/controller[@type='scsi' and @model='virtio-scsi'"
                           " and @index='%u']/driver/@iothread", controller);
    if (xp_uint(ctx, node, expr, &iothread) && iothread > 0) {
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

static struct vm_disk *parse_disk(XPathCtx *ctx, xmlNodePtr node)
{
    struct vm_disk *disk = g_new0(struct vm_disk, 1);
    unsigned iothread = 0;
    g_autoptr(XPathObj) chain = NULL;

    /* libvirt's own defaults when the attributes are missing. */
    disk->type = xp_str(ctx, node, "./@type");
    if (!disk->type)
        disk->type = g_strdup("file");
    disk->device = xp_str(ctx, node, "./@device");
    if (!disk->device)
        disk->device = g_strdup("disk");
    disk->bus = xp_str(ctx, node, "./target/@bus");
    disk->target = xp_str(ctx, node, "./target/@dev");
    read_disk_source(ctx, node, disk);
    disk->driver_name = xp_str(ctx, node, "./driver/@name");
    disk->driver_type = xp_str(ctx, node, "./driver/@type");
    disk->cache = drop_default(xp_str(ctx, node, "./driver/@cache"));
    disk->io = drop_default(xp_str(ctx, node, "./driver/@io"));
    if (xp_uint(ctx, node, "./driver/@iothread", &iothread))
        disk->iothread = (int)MIN(iothread, (unsigned)INT_MAX);
    inherit_controller_iothread(ctx, node, disk);
    disk->readonly = xp_exists(ctx, node, "./readonly");
    disk->shareable = xp_exists(ctx, node, "./shareable");
    /* Each <backingStore> layer nests inside the previous one. */
    chain = xp_eval(ctx, node, ".//backingStore[source]");
    disk->backing_chain_len = xp_count(chain);
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

static bool has_id(const GArray *ids, unsigned id)
{
    for (guint i = 0; i < ids->len; i++)
        if (g_array_index(ids, unsigned, i) == id)
            return true;
    return false;
}

/* libvirt 9.0: the given <iothreadids> come first; when <iothreads> asks for more, the
 * lowest unused ids fill up to the count (iothreads 4 + ids 5,6 → 5,6,1,2). When more ids
 * are given than counted, the count follows the ids. */
static void parse_iothreads(XPathCtx *ctx, xmlNodePtr root, struct vm_config *cfg)
{
    g_autoptr(XPathObj) ids = xp_eval(ctx, root, "/domain/iothreadids/iothread/@id");

    if (!xp_uint(ctx, root, "/domain/iothreads", &cfg->niothreads))
        cfg->niothreads = 0;
    for (int i = 0; i < xp_count(ids); i++) {
        g_autofree char *text = node_text(ids->nodesetval->nodeTab[i]);
        unsigned id = 0;

        if (parse_uint(text, &id) && id > 0 && !has_id(cfg->iothread_ids, id))
            g_array_append_val(cfg->iothread_ids, id);
    }
    for (unsigned id = 1; cfg->iothread_ids->len < cfg->niothreads && id != 0; id++)
        if (!has_id(cfg->iothread_ids, id))
            g_array_append_val(cfg->iothread_ids, id);
    cfg->niothreads = cfg->iothread_ids->len;
}

static void parse_pins(XPathCtx *ctx, xmlNodePtr root, const char *expr, const char *id_attr,
                       GPtrArray *out)
{
    g_autoptr(XPathObj) pins = xp_eval(ctx, root, expr);

    for (int i = 0; i < xp_count(pins); i++) {
        xmlNodePtr node = pins->nodesetval->nodeTab[i];
        g_autofree char *id_expr = g_strdup_printf("./@%s", id_attr);
        struct vm_pin *pin;
        unsigned id = 0;

        if (!xp_uint(ctx, node, id_expr, &id))
            continue;
        pin = g_new0(struct vm_pin, 1);
        pin->id = id;
        pin->cpuset = xp_str(ctx, node, "./@cpuset");
        g_ptr_array_add(out, pin);
    }
}

static void parse_domain(XPathCtx *ctx, xmlNodePtr root, struct vm_config *cfg)
{
    cfg->domain_type = xp_str(ctx, root, "/domain/@type");
    cfg->emulator = xp_str(ctx, root, "/domain/devices/emulator");
    if (cfg->emulator)
        g_strstrip(cfg->emulator);
    if (!xp_uint(ctx, root, "/domain/vcpu", &cfg->max_vcpus))
        cfg->max_vcpus = 0;
    if (!xp_uint(ctx, root, "/domain/vcpu/@current", &cfg->vcpus))
        cfg->vcpus = cfg->max_vcpus;
    parse_iothreads(ctx, root, cfg);
    parse_pins(ctx, root, "/domain/cputune/vcpupin", "vcpu", cfg->vcpupins);
    parse_pins(ctx, root, "/domain/cputune/iothreadpin", "iothread", cfg->iothreadpins);
    cfg->emulatorpin = xp_str(ctx, root, "/domain/cputune/emulatorpin/@cpuset");
    parse_disks(ctx, root, cfg);
}

typedef xmlParserCtxt ParserCtx;
typedef xmlDoc XmlDoc;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ParserCtx, xmlFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XmlDoc, xmlFreeDoc)

static char *parser_error_line(ParserCtx *pctx)
{
    const xmlError *e = xmlCtxtGetLastError(pctx);

    if (!e || !e->message)
        return g_strdup("not well-formed");
    g_autofree char *msg = g_strdup(e->message);

    /* Some messages run over two lines ("...indicate encoding !\nBytes: 0xFF ..."). */
    g_strdelimit(msg, "\r\n", ' ');
    return g_strdup_printf("line %d: %s", e->line, g_strstrip(msg));
}

static XmlDoc *read_document(const char *xml, size_t len, GError **err)
{
    g_autoptr(ParserCtx) pctx = NULL;
    XmlDoc *doc;

    if (!xml || len > INT_MAX) {
        g_set_error(err, SESSION_ERROR, SESSION_ERROR_XML, "domain XML: %s",
                    xml ? "too large" : "empty");
        return NULL;
    }
    pctx = xmlNewParserCtxt();
    if (!pctx) {
        g_set_error(err, SESSION_ERROR, SESSION_ERROR_XML, "domain XML: out of memory");
        return NULL;
    }
    pctx->sax->serror = quiet_structured_error;
    /* No NOENT: entities stay unexpanded; NONET: no external fetches. */
    doc = xmlCtxtReadMemory(pctx, xml, (int)len, "domain.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        g_autofree char *why = parser_error_line(pctx);
        g_set_error(err, SESSION_ERROR, SESSION_ERROR_XML, "domain XML: %s", why);
        return NULL;
    }
    return doc;
}

struct vm_config *domxml_parse(const char *xml, size_t len, GError **err)
{
    g_autoptr(XmlDoc) doc = NULL;
    g_autoptr(XPathCtx) ctx = NULL;
    xmlNodePtr root;
    struct vm_config *cfg;

    /* The thread-local handler also covers XPath, which reports outside the parser. */
    xmlSetStructuredErrorFunc(NULL, quiet_structured_error);
    doc = read_document(xml, len, err);
    if (!doc)
        return NULL;
    /* libvirt never writes a DOCTYPE; one here can only declare entities, whose
     * expansion on read (xmlNodeGetContent) could be made exponential. */
    if (doc->intSubset || doc->extSubset) {
        g_set_error(err, SESSION_ERROR, SESSION_ERROR_XML,
                    "domain XML: a DOCTYPE is not accepted");
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    if (!root || !xmlStrEqual(root->name, (const xmlChar *)"domain") || root->ns) {
        g_set_error(err, SESSION_ERROR, SESSION_ERROR_XML, "domain XML: no <domain> root");
        return NULL;
    }
    ctx = xmlXPathNewContext(doc);
    if (!ctx) {
        g_set_error(err, SESSION_ERROR, SESSION_ERROR_XML, "domain XML: out of memory");
        return NULL;
    }
    cfg = vm_config_new();
    parse_domain(ctx, root, cfg);
    return cfg;
}
