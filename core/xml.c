#include "core/xml.h"

#include <limits.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include "core/session.h"

/* Outside input: a failed parse is reported through GError, never printed by libxml2. */
static void quiet_structured_error(void *userdata, xmlErrorPtr error)
{
}

typedef xmlParserCtxt ParserCtx;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ParserCtx, xmlFreeParserCtxt)

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

XmlDoc *xml_read_domain(const char *xml, size_t len, GError **err)
{
    g_autoptr(XmlDoc) doc = NULL;
    xmlNodePtr root;

    /* The thread-local handler also covers XPath, which reports outside the parser. */
    xmlSetStructuredErrorFunc(NULL, quiet_structured_error);
    doc = read_document(xml, len, err);
    if (!doc)
        return NULL;
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
    return g_steal_pointer(&doc);
}

xmlNodePtr xml_child(xmlNodePtr parent, const char *name, size_t len)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !c->ns && strlen((const char *)c->name) == len &&
            strncmp((const char *)c->name, name, len) == 0)
            return c;
    return NULL;
}

xmlNodePtr xml_at(xmlNodePtr node, const char *path)
{
    while (node && *path) {
        const char *slash = strchr(path, '/');
        size_t len = slash ? (size_t)(slash - path) : strlen(path);

        node = xml_child(node, path, len);
        path += len + (slash ? 1 : 0);
    }
    return node;
}
