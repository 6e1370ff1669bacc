#include "probes/lvm.h"

#include <string.h>
#include "probes/child.h"

G_DEFINE_QUARK(lvm-error-quark, lvm_error)

void lvm_lv_clear(struct lvm_lv *lv)
{
    g_clear_pointer(&lv->vg, g_free);
    g_clear_pointer(&lv->lv, g_free);
    g_clear_pointer(&lv->uuid, g_free);
    g_clear_pointer(&lv->path, g_free);
    g_clear_pointer(&lv->tags, g_free);
    lv->size = 0;
}

/* The last non-empty line a tool wrote to stderr, trimmed (LVM's complaint comes last). */
static char *last_line(const GString *s)
{
    g_auto(GStrv) lines = g_strsplit(s->str, "\n", -1);

    for (guint n = g_strv_length(lines); n > 0; n--) {
        char *l = g_strstrip(lines[n - 1]);

        if (*l)
            return g_strdup(l);
    }
    return g_strdup("no message");
}

/* Runs LVM's tool argv[0] (looked up on PATH) to its end. 1: exited 0; 0: ran and failed
 * (*complaint: its last stderr line); -1: not installed or could not start (*complaint). */
static int run_tool(const char *const *args, GString **out, char **complaint)
{
    g_autofree char *exe = g_find_program_in_path(args[0]);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    struct child_run r;
    int rc;

    *complaint = NULL;
    if (!exe) {
        *complaint = g_strdup_printf("%s is not on PATH (Debian: lvm2)", args[0]);
        return -1;
    }
    g_ptr_array_add(argv, exe);
    for (const char *const *a = args + 1; *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    child_run_init(&r);
    if (child_run((char **)argv->pdata, NULL, NULL, NULL, NULL, &r, &err) < 0) {
        *complaint = g_strdup_printf("%s: %s", args[0], err->message);
        child_run_clear(&r);
        return -1;
    }
    rc = child_ok(&r);
    if (!rc)
        *complaint = last_line(r.err);
    else if (out)
        *out = g_string_new(r.out->str);
    child_run_clear(&r);
    return rc;
}

bool lvm_lookup(const char *what, struct lvm_lv *out, GError **err)
{
    const char *args[] = { "lvs", "--noheadings", "--nosuffix", "--units", "b",
                           "--separator", "|", "-o",
                           "vg_name,lv_name,lv_uuid,lv_path,lv_size,lv_tags",
                           "--", what, NULL };
    g_autoptr(GString) text = NULL;
    g_autofree char *complaint = NULL;
    g_auto(GStrv) f = NULL;
    int rc = run_tool(args, &text, &complaint);

    memset(out, 0, sizeof *out);
    if (rc < 0) {
        g_set_error(err, LVM_ERROR, LVM_ERROR_NO_TOOL, "%s: cannot ask LVM: %s", what, complaint);
        return false;
    }
    if (rc == 0) {
        g_set_error(err, LVM_ERROR, LVM_ERROR_NOT_LV, "%s: not an LVM logical volume (lvs: %s)",
                    what, complaint);
        return false;
    }
    f = g_strsplit(g_strstrip(text->str), "|", 7);
    if (g_strv_length(f) != 6 || !*f[0] || !*f[1] || !*f[3]) {
        g_set_error(err, LVM_ERROR, LVM_ERROR_FAILED, "%s: lvs gave an answer that is not one "
                    "logical volume", what);
        return false;
    }
    out->vg = g_strdup(g_strstrip(f[0]));
    out->lv = g_strdup(g_strstrip(f[1]));
    out->uuid = g_strdup(g_strstrip(f[2]));
    out->path = g_strdup(g_strstrip(f[3]));
    out->size = g_ascii_strtoull(g_strstrip(f[4]), NULL, 10);
    out->tags = g_strdup(g_strstrip(f[5]));
    return true;
}

bool lvm_create(const char *vg, const char *name, uint64_t size, struct lvm_lv *out,
                GError **err)
{
    /* LVM takes bytes in whole sectors (and rounds up to extents itself). */
    g_autofree char *bytes = g_strdup_printf("%" G_GUINT64_FORMAT "b",
                                             (guint64)((size + 511) / 512 * 512));
    g_autofree char *full = g_strdup_printf("%s/%s", vg, name);
    const char *args[] = { "lvcreate", "--yes", "--name", name, "--size", bytes,
                           "--addtag", LVM_SCRATCH_TAG, vg, NULL };
    g_autofree char *complaint = NULL;
    g_autoptr(GError) why = NULL;

    memset(out, 0, sizeof *out);
    if (run_tool(args, NULL, &complaint) <= 0) {
        g_set_error(err, LVM_ERROR, LVM_ERROR_FAILED, "cannot create the scratch LV %s: %s",
                    full, complaint);
        return false;
    }
    if (!lvm_lookup(full, out, &why)) {
        g_set_error(err, LVM_ERROR, LVM_ERROR_LOST,
                    "created the scratch LV %s, but cannot find it: %s", full, why->message);
        return false;
    }
    return true;
}

/* lv_tags: comma-separated. */
static bool has_scratch_tag(const char *tags)
{
    g_auto(GStrv) t = g_strsplit(tags ? tags : "", ",", -1);

    return g_strv_contains((const char *const *)t, LVM_SCRATCH_TAG);
}

bool lvm_remove(const char *vg, const char *name, const char *uuid, GError **err)
{
    g_autofree char *full = g_strdup_printf("%s/%s", vg, name);
    const char *args[] = { "lvremove", "--yes", full, NULL };
    g_autofree char *complaint = NULL;
    g_autoptr(GError) why = NULL;
    struct lvm_lv now;

    if (!lvm_lookup(full, &now, &why)) {
        if (g_error_matches(why, LVM_ERROR, LVM_ERROR_NOT_LV))
            return true;   /* gone already */
        g_propagate_error(err, g_steal_pointer(&why));
        return false;
    }
    if (g_strcmp0(now.uuid, uuid) != 0 || !has_scratch_tag(now.tags)) {
        g_set_error(err, LVM_ERROR, LVM_ERROR_NOT_OURS,
                    "%s is not the scratch LV this program made (uuid %s, tags '%s'; made: uuid "
                    "%s, tag " LVM_SCRATCH_TAG "): left alone", full, now.uuid, now.tags,
                    uuid ? uuid : "?");
        lvm_lv_clear(&now);
        return false;
    }
    lvm_lv_clear(&now);
    if (run_tool(args, NULL, &complaint) <= 0) {
        g_set_error(err, LVM_ERROR, LVM_ERROR_FAILED, "cannot remove the scratch LV %s: %s",
                    full, complaint);
        return false;
    }
    return true;
}
