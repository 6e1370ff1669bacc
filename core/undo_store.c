#include "core/undo_store.h"

#include <string.h>
#include <unistd.h>
#include <json.h>
#include "core/apply.h"
#include "core/model.h"
#include "probes/durable.h"

#define SUFFIX ".json"
#define UNDONE_SUFFIX ".undone"

struct undo_record *undo_record_new(void)
{
    struct undo_record *r = g_new0(struct undo_record, 1);

    r->live_ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
    r->live_pins = g_ptr_array_new_with_free_func((GDestroyNotify)vm_pin_free);
    r->changes = g_ptr_array_new_with_free_func(g_free);
    return r;
}

void undo_record_free(struct undo_record *r)
{
    if (!r)
        return;
    g_free(r->file);
    g_free(r->domain);
    g_free(r->uri);
    g_free(r->time);
    g_free(r->inactive_xml);
    g_array_unref(r->live_ids);
    g_ptr_array_unref(r->live_pins);
    g_ptr_array_unref(r->changes);
    g_free(r);
}

typedef struct json_object JsonObj;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsonObj, json_object_put)

static void put_str(JsonObj *o, const char *key, const char *value)
{
    json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

static char *record_json(const struct undo_record *r)
{
    g_autoptr(JsonObj) o = json_object_new_object();
    JsonObj *ids = json_object_new_array(), *pins = json_object_new_array();
    JsonObj *changes = json_object_new_array();

    put_str(o, "format", "virt-disktune apply undo record");
    json_object_object_add(o, "version", json_object_new_int(UNDO_RECORD_VERSION));
    put_str(o, "domain", r->domain);
    put_str(o, "uuid", r->uuid);
    put_str(o, "uri", r->uri);
    put_str(o, "time", r->time);
    json_object_object_add(o, "persistent", json_object_new_boolean(r->persistent));
    json_object_object_add(o, "active", json_object_new_boolean(r->active));
    put_str(o, "inactive_xml", r->inactive_xml);
    for (guint i = 0; i < r->live_ids->len; i++)
        json_object_array_add(ids, json_object_new_int64(g_array_index(r->live_ids, unsigned, i)));
    for (guint i = 0; i < r->live_pins->len; i++) {
        const struct vm_pin *p = g_ptr_array_index(r->live_pins, i);
        JsonObj *pin = json_object_new_object();

        json_object_object_add(pin, "iothread", json_object_new_int64(p->id));
        put_str(pin, "cpuset", p->cpuset);
        json_object_array_add(pins, pin);
    }
    for (guint i = 0; i < r->changes->len; i++)
        json_object_array_add(changes, json_object_new_string(g_ptr_array_index(r->changes, i)));
    json_object_object_add(o, "live_iothreads", ids);
    json_object_object_add(o, "live_pins", pins);
    json_object_object_add(o, "changes", changes);
    return g_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
}

bool undo_store_save(const char *dir, struct undo_record *r, GError **err)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%S");
    g_autofree char *name = NULL, *text = NULL;
    g_autoptr(GError) why = NULL;

    if (!r->time)
        r->time = g_date_time_format_iso8601(now);
    /* Microseconds in the name keep two applies in one second apart and in order. */
    name = g_strdup_printf("%s-%s.%06dZ-%d" SUFFIX, r->uuid, stamp,
                           g_date_time_get_microsecond(now), (int)getpid());
    text = record_json(r);
    if (!durable_write_new(dir, name, text, strlen(text), &why)) {
        g_set_error(err, APPLY_ERROR, APPLY_ERROR_FAILED, "saving the undo record: %s",
                    why->message);
        return false;
    }
    g_free(r->file);
    r->file = g_steal_pointer(&name);
    return true;
}

/* ---- reading (outside input) ------------------------------------------------------------ */

static bool refused(GError **err, const char *file, const char *why)
{
    g_set_error(err, APPLY_ERROR, APPLY_ERROR_REFUSED, "undo record %s: %s", file, why);
    return false;
}

static const char *get_str(JsonObj *o, const char *key)
{
    JsonObj *v = NULL;

    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : NULL;
}

static bool get_bool(JsonObj *o, const char *key, bool *out)
{
    JsonObj *v = NULL;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
        return false;
    *out = json_object_get_boolean(v);
    return true;
}

static bool get_id(JsonObj *v, unsigned *out)
{
    int64_t n;

    if (!json_object_is_type(v, json_type_int))
        return false;
    n = json_object_get_int64(v);
    if (n <= 0 || n > G_MAXINT)
        return false;
    *out = (unsigned)n;
    return true;
}

static JsonObj *get_array(JsonObj *o, const char *key)
{
    JsonObj *v = NULL;

    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array)
               ? v : NULL;
}

static bool read_live(JsonObj *o, struct undo_record *r, const char *file, GError **err)
{
    JsonObj *ids = get_array(o, "live_iothreads"), *pins = get_array(o, "live_pins");
    JsonObj *changes = get_array(o, "changes");

    if (!ids || !pins || !changes)
        return refused(err, file, "live_iothreads, live_pins or changes is missing");
    for (size_t i = 0; i < json_object_array_length(ids); i++) {
        unsigned id = 0;

        if (!get_id(json_object_array_get_idx(ids, i), &id))
            return refused(err, file, "an iothread id is not a positive number");
        g_array_append_val(r->live_ids, id);
    }
    for (size_t i = 0; i < json_object_array_length(pins); i++) {
        JsonObj *p = json_object_array_get_idx(pins, i), *id = NULL;
        const char *cpuset = p ? get_str(p, "cpuset") : NULL;
        struct vm_pin *pin = g_new0(struct vm_pin, 1);

        g_ptr_array_add(r->live_pins, pin);
        if (!cpuset || !json_object_object_get_ex(p, "iothread", &id) || !get_id(id, &pin->id))
            return refused(err, file, "a live pin has no iothread or cpuset");
        pin->cpuset = g_strdup(cpuset);
    }
    for (size_t i = 0; i < json_object_array_length(changes); i++) {
        JsonObj *c = json_object_array_get_idx(changes, i);

        if (!json_object_is_type(c, json_type_string))
            return refused(err, file, "a change is not a string");
        g_ptr_array_add(r->changes, g_strdup(json_object_get_string(c)));
    }
    return true;
}

static bool read_record(JsonObj *o, struct undo_record *r, const char *file, GError **err)
{
    JsonObj *version = NULL;
    const char *domain = get_str(o, "domain"), *uuid = get_str(o, "uuid");
    const char *xml = get_str(o, "inactive_xml");

    if (g_strcmp0(get_str(o, "format"), "virt-disktune apply undo record") != 0 ||
        !json_object_object_get_ex(o, "version", &version) ||
        !json_object_is_type(version, json_type_int))
        return refused(err, file, "not an undo record");
    if (json_object_get_int(version) != UNDO_RECORD_VERSION)
        return refused(err, file, "written by another version of the format");
    if (!domain || !uuid || strlen(uuid) != 36 || !get_str(o, "time") ||
        !get_bool(o, "persistent", &r->persistent) || !get_bool(o, "active", &r->active))
        return refused(err, file, "domain, uuid, time, persistent or active is missing");
    if (!g_str_has_prefix(file, uuid))
        return refused(err, file, "its uuid is not the one its file name gives");
    if (r->persistent && !xml)
        return refused(err, file, "no inactive XML for a persistent domain");
    r->domain = g_strdup(domain);
    g_strlcpy(r->uuid, uuid, sizeof(r->uuid));
    r->uri = g_strdup(get_str(o, "uri"));
    r->time = g_strdup(get_str(o, "time"));
    r->inactive_xml = g_strdup(xml);
    return read_live(o, r, file, err);
}

struct undo_record *undo_store_load(const char *dir, const char *file, GError **err)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) ferr = NULL;
    g_autoptr(UndoRecord) r = undo_record_new();
    g_autoptr(JsonObj) o = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &text, &len, &ferr)) {
        refused(err, file, ferr->message);
        return NULL;
    }
    o = json_tokener_parse(text);
    if (!o || !json_object_is_type(o, json_type_object) || strlen(text) != len) {
        refused(err, file, "not valid JSON");
        return NULL;
    }
    if (!read_record(o, r, file, err))
        return NULL;
    r->file = g_strdup(file);
    r->undone = g_str_has_suffix(file, UNDONE_SUFFIX);
    return g_steal_pointer(&r);
}

static gint by_file_name(gconstpointer a, gconstpointer b)
{
    const struct undo_record *x = *(struct undo_record *const *)a;
    const struct undo_record *y = *(struct undo_record *const *)b;
    /* The name after the uuid is the UTC time: oldest first whatever the domain. */
    return strcmp(x->file + 37, y->file + 37);
}

GPtrArray *undo_store_list(const char *dir, const char *uuid, GPtrArray **bad)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)undo_record_free);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    if (bad)
        *bad = g_ptr_array_new_with_free_func(g_free);
    while (d && (name = g_dir_read_name(d))) {
        g_autoptr(GError) err = NULL;
        struct undo_record *r;

        if (name[0] == '.' || strlen(name) < 37 ||
            !(g_str_has_suffix(name, SUFFIX) || g_str_has_suffix(name, SUFFIX UNDONE_SUFFIX)))
            continue;
        if (uuid && strncmp(name, uuid, 36) != 0)
            continue;
        r = undo_store_load(dir, name, &err);
        if (r)
            g_ptr_array_add(out, r);
        else if (bad)
            g_ptr_array_add(*bad, g_strdup(err->message));
    }
    g_ptr_array_sort(out, by_file_name);
    return out;
}

bool undo_store_mark_undone(const char *dir, struct undo_record *r, GError **err)
{
    g_autofree char *to = g_strconcat(r->file, UNDONE_SUFFIX, NULL);
    g_autoptr(GError) why = NULL;

    if (!durable_rename(dir, r->file, to, &why)) {
        g_set_error(err, APPLY_ERROR, APPLY_ERROR_FAILED, "marking the undo record undone: %s",
                    why->message);
        return false;
    }
    g_free(r->file);
    r->file = g_steal_pointer(&to);
    r->undone = true;
    return true;
}
