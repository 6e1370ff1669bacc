/* The one XML layer: domain XML from libvirt (outside input) parsed safely, and the small
 * tree helpers the model (core/domxml.c) and the apply patcher (core/domxml_patch.c) share.
 * libxml2 never prints: failures come back as one line in a GError. */
#pragma once
#include <glib.h>
#include <stddef.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

typedef xmlDoc XmlDoc;
typedef xmlXPathContext XPathCtx;
typedef xmlXPathObject XPathObj;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XPathCtx, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XPathObj, xmlXPathFreeObject)

/* A <domain> document: no network, no entity expansion, no DOCTYPE (libvirt never writes
 * one; one here could only declare entities), a <domain> root without a namespace. NULL with
 * *err (SESSION_ERROR_XML, "domain XML: line N: ...") otherwise. Caller frees with
 * xmlFreeDoc(). */
XmlDoc *xml_read_domain(const char *xml, size_t len, GError **err);

/* The first element child of parent named name[0..len) without a namespace; NULL when none. */
xmlNodePtr xml_child(xmlNodePtr parent, const char *name, size_t len);
/* path "source/address": the first element at each step; "" is node itself. */
xmlNodePtr xml_at(xmlNodePtr node, const char *path);
