/* Domain XML → struct vm_config, with libxml2 and XPath. Pure: no libvirt calls, so it is
 * unit-tested and fuzzed on files. Tolerates missing and unexpected elements: what it cannot
 * read is left empty, and a disk it cannot benchmark carries the reason. */
#pragma once
#include <glib.h>
#include <stddef.h>
#include "core/model.h"

/* NULL with *err set (SESSION_ERROR_XML) when the document is not well-formed XML or has no
 * <domain> root. Caller frees with vm_config_free(). */
struct vm_config *domxml_parse(const char *xml, size_t len, GError **err);
