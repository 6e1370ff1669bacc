/* LVM's own tools, asked and told through their command lines (lvs, lvcreate, lvremove, found
 * on PATH): which logical volume a path is, and the scratch LV that --mode scratch makes for
 * an LV-backed disk in the same volume group. No device-mapper ioctl and no LVM metadata is
 * read here: LVM's tools are the authority on their volume groups. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define LVM_ERROR (lvm_error_quark())
GQuark lvm_error_quark(void);
enum lvm_error {
    LVM_ERROR_NOT_LV,     /* the path is no logical volume LVM knows */
    LVM_ERROR_NO_TOOL,    /* the LVM tool is not installed or cannot start */
    LVM_ERROR_FAILED,     /* an LVM command failed: its last line of stderr is in the message */
    LVM_ERROR_LOST,       /* lvcreate made the LV, but lvs cannot find it: it may be there */
    LVM_ERROR_NOT_OURS,   /* the LV under that name is not the one this program made */
};

/* The tag every scratch LV carries (lvs -o lv_tags shows it). */
#define LVM_SCRATCH_TAG "virt-disktune-scratch"

struct lvm_lv {
    char *vg, *lv;        /* volume group and LV name */
    char *uuid;           /* lv_uuid */
    char *path;           /* lv_path: $DM_DEV_DIR/VG/LV */
    uint64_t size;        /* bytes */
    char *tags;           /* lv_tags, comma-separated; "" when none */
};
void lvm_lv_clear(struct lvm_lv *lv);

/* Asks `lvs` about what (an LV path: /dev/VG/LV, /dev/mapper/VG-LV, or VG/LV). false with
 * LVM_ERROR_NOT_LV when lvs does not know it as an LV, LVM_ERROR_NO_TOOL when lvs is not
 * installed, LVM_ERROR_FAILED when its answer cannot be read. On success out is filled (clear it with lvm_lv_clear()). */
bool lvm_lookup(const char *what, struct lvm_lv *out, GError **err);

/* `lvcreate --yes --name NAME --size SIZEb --addtag virt-disktune-scratch VG`, then the new
 * LV looked up (SIZE rounded up to whole sectors; LVM rounds it up to whole extents). false
 * with LVM_ERROR_FAILED naming the VG and lvcreate's complaint (no free space, name taken,
 * ...), or LVM_ERROR_LOST when lvcreate succeeded and the LV cannot be found. */
bool lvm_create(const char *vg, const char *name, uint64_t size, struct lvm_lv *out,
                GError **err);

/* `lvremove --yes VG/NAME`, but only when the LV there still has uuid (the one lvm_create
 * made) and the scratch tag: an LV somebody else made under that name is never removed.
 * true also when the LV is gone already. false with LVM_ERROR_NOT_OURS (another LV is
 * there) or LVM_ERROR_FAILED (lvremove failed). */
bool lvm_remove(const char *vg, const char *name, const char *uuid, GError **err);
