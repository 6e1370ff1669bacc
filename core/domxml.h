/* Domain XML → struct vm_config, with libxml2 and XPath. Pure: no libvirt calls, so it is
 * unit-tested and fuzzed on files. Tolerates missing and unexpected elements: what it cannot
 * read is left empty, and a disk it cannot benchmark carries the reason. */
#pragma once
#include <glib.h>
#include <stddef.h>
#include "core/model.h"
#include "core/xml.h"

/* NULL with *err set (SESSION_ERROR_XML) when the document is not well-formed XML or has no
 * <domain> root. Caller frees with vm_config_free(). */
struct vm_config *domxml_parse(const char *xml, size_t len, GError **err);

/* The virtio-scsi <controller> a scsi-bus <disk> element is addressed to (its drive
 * address's controller index, 0 without an address); NULL for another bus or no such
 * controller. Shared with the apply patcher, which moves a scsi disk's iothread there. */
xmlNodePtr domxml_scsi_controller(XPathCtx *ctx, xmlNodePtr disk);
