#include "core/domxml_patch.h"

#include <string.h>
#include <libxml/c14n.h>
#include <libxml/xmlsave.h>
#include "core/domxml.h"
#include "core/session.h"
#include "core/xml.h"

G_DEFINE_QUARK(vdt-domxml-patch-error-quark, domxml_patch_error)

static void patch_disk_free(struct patch_disk *d)
{
    g_free(d->target);
    g_free(d->cache);
    g_free(d->io);
    g_free(d);
}

static void patch_pin_free(struct patch_pin *p)
{
    g_free(p->cpuset);
    g_free(p);
}

struct domxml_edits *domxml_edits_new(void)
{
    struct domxml_edits *e = g_new0(struct domxml_edits, 1);

    e->disks = g_ptr_array_new_with_free_func((GDestroyNotify)patch_disk_free);
    e->iothreads = -1;
    e->add_ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
    e->del_ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
    e->pins = g_ptr_array_new_with_free_func((GDestroyNotify)patch_pin_free);
    return e;
}

void domxml_edits_free(struct domxml_edits *e)
{
    if (!e)
        return;
    g_ptr_array_unref(e->disks);
    g_array_unref(e->add_ids);
    g_array_unref(e->del_ids);
    g_ptr_array_unref(e->pins);
    g_free(e);
}

/* ---- tree edits that keep the document's layout ------------------------------------------ */

#define C(s) ((const xmlChar *)(s))

static xmlNodePtr first_element(xmlNodePtr parent)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

/* The blank text before node ("\n    "), or "\n" when there is none. */
static char *indent_before(xmlNodePtr node)
{
    xmlNodePtr prev = node ? node->prev : NULL;

    if (prev && prev->type == XML_TEXT_NODE && prev->content) {
        const char *text = (const char *)prev->content;
        const char *nl = strrchr(text, '\n');

        return g_strdup(nl ? nl : "\n");
    }
    return g_strdup("\n");
}

/* Insert el into parent after `after` (NULL: as the first element), indented like its
 * siblings; in an empty parent, two spaces deeper than the parent. */
static xmlNodePtr insert_element(xmlNodePtr parent, xmlNodePtr after, xmlNodePtr el)
{
    xmlNodePtr first = first_element(parent);

    if (!first) {
        g_autofree char *outer = indent_before(parent);
        g_autofree char *inner = g_strconcat(outer, "  ", NULL);

        xmlAddChild(parent, xmlNewText(C(inner)));
        xmlAddChild(parent, el);
        xmlAddChild(parent, xmlNewText(C(outer)));
        return el;
    }
    g_autofree char *indent = indent_before(first);
    if (after) {
        xmlAddNextSibling(after, el);
        xmlAddPrevSibling(el, xmlNewText(C(indent)));
    } else {
        xmlAddPrevSibling(first, el);
        xmlAddNextSibling(el, xmlNewText(C(indent)));
    }
    return el;
}

/* Remove node and the blank text that indents it. */
static void remove_element(xmlNodePtr node)
{
    xmlNodePtr prev = node->prev;

    if (prev && prev->type == XML_TEXT_NODE && xmlIsBlankNode(prev)) {
        xmlUnlinkNode(prev);
        xmlFreeNode(prev);
    }
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    return xml_child(parent, name, strlen(name));
}

/* The last element child named one of names (NULL-terminated), NULL when none. */
static xmlNodePtr last_of(xmlNodePtr parent, const char *const *names)
{
    xmlNodePtr found = NULL;

    for (xmlNodePtr c = parent->children; c; c = c->next)
        for (const char *const *n = names; c->type == XML_ELEMENT_NODE && *n; n++)
            if (!c->ns && xmlStrEqual(c->name, C(*n)))
                found = c;
    return found;
}

static bool uint_prop_is(xmlNodePtr node, const char *attr, unsigned want)
{
    xmlChar *v = xmlGetNoNsProp(node, C(attr));
    guint64 n = 0;
    bool same = v && g_ascii_string_to_unsigned((const char *)v, 10, 0, G_MAXUINT, &n, NULL) &&
                n == want;

    xmlFree(v);
    return same;
}

/* ---- the edits ---------------------------------------------------------------------------- */

static void set_or_unset(xmlNodePtr node, const char *attr, const char *value)
{
    if (strcmp(value, "default") == 0)
        xmlUnsetProp(node, C(attr));
    else
        xmlSetProp(node, C(attr), C(value));
}

/* The <driver> of a disk or controller, made (as the first child) when missing. */
static xmlNodePtr driver_of(xmlNodePtr parent, bool is_disk)
{
    xmlNodePtr driver = child(parent, "driver");

    if (driver)
        return driver;
    driver = xmlNewNode(NULL, C("driver"));
    if (is_disk)
        xmlSetProp(driver, C("name"), C("qemu"));
    return insert_element(parent, NULL, driver);
}

static void set_iothread(xmlNodePtr driver, int iothread)
{
    if (iothread == 0) {
        xmlUnsetProp(driver, C("iothread"));
    } else {
        char id[16];

        g_snprintf(id, sizeof(id), "%d", iothread);
        xmlSetProp(driver, C("iothread"), C(id));
    }
}

static xmlNodePtr find_disk(XPathCtx *ctx, xmlNodePtr root, const char *target)
{
    xmlNodePtr devices = child(root, "devices");

    for (xmlNodePtr d = devices ? devices->children : NULL; d; d = d->next) {
        xmlNodePtr t;
        xmlChar *dev;
        bool same;

        if (d->type != XML_ELEMENT_NODE || d->ns || !xmlStrEqual(d->name, C("disk")))
            continue;
        t = child(d, "target");
        dev = t ? xmlGetNoNsProp(t, C("dev")) : NULL;
        same = dev && strcmp((const char *)dev, target) == 0;
        xmlFree(dev);
        if (same)
            return d;
    }
    return NULL;
}

/* Where a disk's iothread is set: its own <driver> on the virtio bus, its virtio-scsi
 * controller's on the scsi bus; NULL (with *err) where QEMU has none to give. */
static xmlNodePtr iothread_holder(XPathCtx *ctx, xmlNodePtr disk, const char *target,
                                  GError **err)
{
    xmlNodePtr t = child(disk, "target");
    xmlChar *bus = t ? xmlGetNoNsProp(t, C("bus")) : NULL;
    g_autofree char *bus_name = g_strdup(bus ? (const char *)bus : "(no bus)");
    xmlNodePtr controller = domxml_scsi_controller(ctx, disk);

    xmlFree(bus);
    if (strcmp(bus_name, "virtio") == 0)
        return driver_of(disk, true);
    if (controller)
        return driver_of(controller, false);
    g_set_error(err, DOMXML_PATCH_ERROR, DOMXML_PATCH_ERROR_REFUSED,
                "disk '%s': bus %s cannot use an iothread (only virtio disks and disks on a "
                "virtio-scsi controller can)", target, bus_name);
    return NULL;
}

static bool patch_one_disk(XPathCtx *ctx, xmlNodePtr root, const struct patch_disk *pd,
                           GError **err)
{
    xmlNodePtr disk = find_disk(ctx, root, pd->target);
    xmlNodePtr driver;

    if (!disk) {
        g_set_error(err, DOMXML_PATCH_ERROR, DOMXML_PATCH_ERROR_NO_DISK,
                    "domain XML: no disk '%s'", pd->target);
        return false;
    }
    if (pd->cache || pd->io) {
        driver = driver_of(disk, true);
        if (pd->cache)
            set_or_unset(driver, "cache", pd->cache);
        if (pd->io)
            set_or_unset(driver, "io", pd->io);
    }
    if (pd->iothread >= 0) {
        driver = iothread_holder(ctx, disk, pd->target, err);
        if (!driver)
            return false;
        set_iothread(driver, pd->iothread);
    }
    return true;
}

static const char *const before_iothreads[] = { "vcpu", "vcpus", NULL };
static const char *const before_cputune[] = { "vcpu", "vcpus", "iothreads", "iothreadids", NULL };

static void patch_iothreads(xmlNodePtr root, const struct domxml_edits *e)
{
    xmlNodePtr count = child(root, "iothreads");
    xmlNodePtr ids = child(root, "iothreadids");
    char text[16];

    if (e->iothreads >= 0) {
        g_snprintf(text, sizeof(text), "%d", e->iothreads);
        if (e->iothreads == 0 && count)
            remove_element(count);
        else if (count)
            xmlNodeSetContent(count, C(text));
        else if (e->iothreads > 0)
            insert_element(root, last_of(root, before_iothreads),
                           xmlNewDocNode(root->doc, NULL, C("iothreads"), C(text)));
    }
    if (!ids)
        return;
    for (guint i = 0; i < e->del_ids->len; i++)
        for (xmlNodePtr t = ids->children, next; t; t = next) {
            next = t->next;
            if (t->type == XML_ELEMENT_NODE && xmlStrEqual(t->name, C("iothread")) &&
                uint_prop_is(t, "id", g_array_index(e->del_ids, unsigned, i)))
                remove_element(t);
        }
    for (guint i = 0; i < e->add_ids->len; i++) {
        xmlNodePtr t = xmlNewDocNode(root->doc, NULL, C("iothread"), NULL);
        static const char *const iothread[] = { "iothread", NULL };

        g_snprintf(text, sizeof(text), "%u", g_array_index(e->add_ids, unsigned, i));
        xmlSetProp(t, C("id"), C(text));
        insert_element(ids, last_of(ids, iothread), t);
    }
    if (!first_element(ids))
        remove_element(ids);
}

static xmlNodePtr find_pin(xmlNodePtr cputune, unsigned id)
{
    for (xmlNodePtr p = cputune ? cputune->children : NULL; p; p = p->next)
        if (p->type == XML_ELEMENT_NODE && xmlStrEqual(p->name, C("iothreadpin")) &&
            uint_prop_is(p, "iothread", id))
            return p;
    return NULL;
}

static void set_pin(xmlNodePtr root, const struct patch_pin *pp)
{
    static const char *const pins[] = { "vcpupin", "emulatorpin", "iothreadpin", NULL };
    xmlNodePtr cputune = child(root, "cputune");
    xmlNodePtr pin = find_pin(cputune, pp->iothread);
    char id[16];

    if (!pp->cpuset) {
        if (pin)
            remove_element(pin);
        return;
    }
    if (pin) {
        xmlSetProp(pin, C("cpuset"), C(pp->cpuset));
        return;
    }
    if (!cputune)
        cputune = insert_element(root, last_of(root, before_cputune),
                                 xmlNewDocNode(root->doc, NULL, C("cputune"), NULL));
    pin = xmlNewDocNode(root->doc, NULL, C("iothreadpin"), NULL);
    g_snprintf(id, sizeof(id), "%u", pp->iothread);
    xmlSetProp(pin, C("iothread"), C(id));
    xmlSetProp(pin, C("cpuset"), C(pp->cpuset));
    insert_element(cputune, last_of(cputune, pins), pin);
}

static void patch_pins(xmlNodePtr root, const struct domxml_edits *e)
{
    xmlNodePtr cputune;

    for (guint i = 0; i < e->del_ids->len; i++) {
        struct patch_pin gone = { .iothread = g_array_index(e->del_ids, unsigned, i) };

        set_pin(root, &gone);
    }
    for (guint i = 0; i < e->pins->len; i++)
        set_pin(root, g_ptr_array_index(e->pins, i));
    cputune = child(root, "cputune");
    if (cputune && !first_element(cputune))
        remove_element(cputune);
}

/* ---- serialising ---------------------------------------------------------------------------- */

static char *serialise(XmlDoc *doc)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlSaveCtxtPtr save = buf ? xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL) : NULL;
    char *out = NULL;

    if (save) {
        xmlSaveDoc(save, doc);
        xmlSaveClose(save);
        out = g_strdup((const char *)xmlBufferContent(buf));
    }
    if (buf)
        xmlBufferFree(buf);
    return out;
}

char *domxml_patch(const char *xml, size_t len, const struct domxml_edits *e, GError **err)
{
    g_autoptr(XmlDoc) doc = xml_read_domain(xml, len, err);
    g_autoptr(XPathCtx) ctx = NULL;
    xmlNodePtr root;

    if (!doc)
        return NULL;
    ctx = xmlXPathNewContext(doc);
    root = xmlDocGetRootElement(doc);
    for (guint i = 0; ctx && i < e->disks->len; i++)
        if (!patch_one_disk(ctx, root, g_ptr_array_index(e->disks, i), err))
            return NULL;
    patch_iothreads(root, e);
    patch_pins(root, e);
    return serialise(doc);
}

char *domxml_canonical(const char *xml, size_t len, GError **err)
{
    g_autoptr(XmlDoc) doc = xml_read_domain(xml, len, err);
    xmlChar *out = NULL;
    char *copy;

    if (!doc)
        return NULL;
    if (xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 0, &out) < 0 || !out) {
        g_set_error(err, SESSION_ERROR, SESSION_ERROR_XML, "domain XML: cannot canonicalise");
        return NULL;
    }
    copy = g_strdup((const char *)out);
    xmlFree(out);
    return copy;
}
