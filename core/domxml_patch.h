/* The apply patcher: a domain's inactive XML with only the named attributes and elements
 * changed — <driver cache= io= iothread=> of disks (or of a scsi disk's virtio-scsi
 * controller), <iothreads>, <iothreadids> and <cputune><iothreadpin> — and every other node,
 * attribute, comment and blank kept as it was. Pure: no libvirt calls. */
#pragma once
#include <glib.h>
#include <stddef.h>

struct patch_disk {
    char *target;           /* target dev, the key of a disk */
    char *cache, *io;       /* NULL: keep; "default": remove the attribute */
    int iothread;           /* -1: keep; 0: remove; K: use iothread K */
};

struct patch_pin {
    unsigned iothread;
    char *cpuset;           /* NULL: remove the pin */
};

struct domxml_edits {
    GPtrArray *disks;       /* struct patch_disk * */
    int iothreads;          /* -1: keep; else the new <iothreads> count */
    GArray *add_ids;        /* unsigned: <iothread id=> to add, when <iothreadids> is there */
    GArray *del_ids;        /* unsigned: <iothread id=> to remove, and their pins */
    GPtrArray *pins;        /* struct patch_pin * */
};

/* Empty edits. Caller frees with domxml_edits_free(). */
struct domxml_edits *domxml_edits_new(void);
void domxml_edits_free(struct domxml_edits *e);
typedef struct domxml_edits DomxmlEdits;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomxmlEdits, domxml_edits_free)

#define DOMXML_PATCH_ERROR domxml_patch_error_quark()
GQuark domxml_patch_error_quark(void);
enum domxml_patch_error_code {
    DOMXML_PATCH_ERROR_NO_DISK,  /* no disk has the edit's target */
    DOMXML_PATCH_ERROR_REFUSED,  /* QEMU could not do it (an iothread on a sata disk) */
};

/* xml with the edits made, serialised without an XML declaration. NULL with *err when xml
 * does not parse (SESSION_ERROR_XML) or an edit cannot be made (DOMXML_PATCH_ERROR). Caller
 * frees with g_free(). */
char *domxml_patch(const char *xml, size_t len, const struct domxml_edits *e, GError **err);

/* xml parsed and written back the same way: the canonical form two documents are compared
 * in ("byte for byte after a canonical re-serialisation"). NULL with *err when it does not
 * parse. Caller frees with g_free(). */
char *domxml_canonical(const char *xml, size_t len, GError **err);
