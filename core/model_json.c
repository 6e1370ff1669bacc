#include "core/model_json.h"

#include <string.h>
#include "core/backing.h"

/* Every key here is a literal added once: telling json-c so spares it a lookup and a copy
 * per key, a good part of building the JSON for a host of 1000 domains. */
static void put(json_object *o, const char *key, json_object *value)
{
    json_object_object_add_ex(o, key, value,
                              JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY);
}

static json_object *string_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

char *model_version_string(unsigned long version)
{
    if (version == 0)
        return NULL;
    return g_strdup_printf("%lu.%lu.%lu", version / 1000000, version / 1000 % 1000,
                           version % 1000);
}

static json_object *version_or_null(unsigned long version)
{
    g_autofree char *text = model_version_string(version);

    return string_or_null(text);
}

static json_object *driver_json(const struct vm_disk *disk)
{
    json_object *o = json_object_new_object();

    put(o, "name", string_or_null(disk->driver_name));
    put(o, "type", string_or_null(disk->driver_type));
    put(o, "cache", string_or_null(disk->cache));
    put(o, "io", string_or_null(disk->io));
    put(o, "iothread",
                           disk->iothread > 0 ? json_object_new_int(disk->iothread) : NULL);
    return o;
}

json_object *model_json_disk(const struct vm_disk *disk)
{
    json_object *o = json_object_new_object();

    put(o, "target", string_or_null(disk->target));
    put(o, "type", string_or_null(disk->type));
    put(o, "device", string_or_null(disk->device));
    put(o, "bus", string_or_null(disk->bus));
    put(o, "source", string_or_null(disk->source));
    put(o, "driver", driver_json(disk));
    put(o, "iothread_from_controller",
                           json_object_new_boolean(disk->iothread_from_controller));
    put(o, "readonly", json_object_new_boolean(disk->readonly));
    put(o, "shareable", json_object_new_boolean(disk->shareable));
    put(o, "backing_chain", json_object_new_int(disk->backing_chain_len));
    put(o, "benchable", json_object_new_boolean(disk->benchable));
    put(o, "reason", string_or_null(disk->reason));
    put(o, "backing", disk->backing ? backing_to_json(disk->backing) : NULL);
    return o;
}

static json_object *pins_json(const GPtrArray *pins)
{
    json_object *a = json_object_new_array();

    for (guint i = 0; i < pins->len; i++) {
        const struct vm_pin *pin = g_ptr_array_index(pins, i);
        json_object *o = json_object_new_object();

        put(o, "id", json_object_new_int64(pin->id));
        put(o, "cpuset", string_or_null(pin->cpuset));
        json_object_array_add(a, o);
    }
    return a;
}

json_object *model_json_config(const struct vm_config *cfg)
{
    json_object *o, *ids, *disks;

    if (!cfg)
        return NULL;
    o = json_object_new_object();
    ids = json_object_new_array();
    disks = json_object_new_array();
    for (guint i = 0; i < cfg->iothread_ids->len; i++)
        json_object_array_add(ids, json_object_new_int64(g_array_index(cfg->iothread_ids,
                                                                       unsigned, i)));
    for (guint i = 0; i < cfg->disks->len; i++)
        json_object_array_add(disks, model_json_disk(g_ptr_array_index(cfg->disks, i)));
    put(o, "type", string_or_null(cfg->domain_type));
    put(o, "vcpus", json_object_new_int64(cfg->vcpus));
    put(o, "max_vcpus", json_object_new_int64(cfg->max_vcpus));
    put(o, "iothreads", json_object_new_int64(cfg->niothreads));
    put(o, "iothread_ids", ids);
    put(o, "emulatorpin", string_or_null(cfg->emulatorpin));
    put(o, "vcpupin", pins_json(cfg->vcpupins));
    put(o, "iothreadpin", pins_json(cfg->iothreadpins));
    put(o, "disks", disks);
    return o;
}

static bool pins_equal(const GPtrArray *a, const GPtrArray *b)
{
    if (a->len != b->len)
        return false;
    for (guint i = 0; i < a->len; i++) {
        const struct vm_pin *pa = g_ptr_array_index(a, i), *pb = g_ptr_array_index(b, i);

        if (pa->id != pb->id || g_strcmp0(pa->cpuset, pb->cpuset) != 0)
            return false;
    }
    return true;
}

/* Equal in every field the JSON shows, except the backing, which only the shown config
 * resolves: the same source has the same backing. */
static bool disks_equal(const struct vm_disk *a, const struct vm_disk *b)
{
    const char *const sa[] = { a->type, a->device, a->bus, a->target, a->source,
                               a->driver_name, a->driver_type, a->cache, a->io };
    const char *const sb[] = { b->type, b->device, b->bus, b->target, b->source,
                               b->driver_name, b->driver_type, b->cache, b->io };

    for (size_t i = 0; i < G_N_ELEMENTS(sa); i++)
        if (g_strcmp0(sa[i], sb[i]) != 0)
            return false;
    return a->iothread == b->iothread &&
           a->iothread_from_controller == b->iothread_from_controller &&
           a->readonly == b->readonly && a->shareable == b->shareable &&
           a->backing_chain_len == b->backing_chain_len && a->benchable == b->benchable;
}

static bool configs_equal(const struct vm_config *a, const struct vm_config *b)
{
    if (a->niothreads != b->niothreads || a->vcpus != b->vcpus ||
        a->max_vcpus != b->max_vcpus || a->disks->len != b->disks->len ||
        a->iothread_ids->len != b->iothread_ids->len ||
        g_strcmp0(a->domain_type, b->domain_type) != 0 ||
        g_strcmp0(a->emulatorpin, b->emulatorpin) != 0 ||
        !pins_equal(a->vcpupins, b->vcpupins) || !pins_equal(a->iothreadpins, b->iothreadpins))
        return false;
    /* An empty GArray may have no data at all: memcmp must not see NULL. */
    if (a->iothread_ids->len > 0 &&
        memcmp(a->iothread_ids->data, b->iothread_ids->data,
               a->iothread_ids->len * sizeof(unsigned)) != 0)
        return false;
    for (guint i = 0; i < a->disks->len; i++)
        if (!disks_equal(g_ptr_array_index(a->disks, i), g_ptr_array_index(b->disks, i)))
            return false;
    return true;
}

json_object *model_json_domain(const struct vm_domain *dom)
{
    json_object *o = json_object_new_object();
    const struct vm_config *shown;
    json_object *config;

    put(o, "name", string_or_null(dom->name));
    put(o, "uuid", dom->uuid[0] ? json_object_new_string(dom->uuid) : NULL);
    put(o, "state", json_object_new_string(vm_state_name(dom->state)));
    put(o, "active", json_object_new_boolean(dom->active));
    put(o, "persistent", json_object_new_boolean(dom->persistent));
    put(o, "vcpus", json_object_new_int64(dom->vcpus));
    put(o, "error", string_or_null(dom->error));
    put(o, "pending_restart", json_object_new_boolean(vm_domain_pending_restart(dom)));
    shown = vm_domain_config(dom);
    config = model_json_config(shown);
    put(o, "config", config);
    /* With no change pending (always for a shut-off domain, which shows its persistent
     * definition), "inactive" is the same object, referenced twice: building it again cost
     * a third of `list --json` on a host of 1000 running domains. */
    if (config && dom->inactive && (shown == dom->inactive || configs_equal(shown, dom->inactive)))
        put(o, "inactive", json_object_get(config));
    else
        put(o, "inactive", model_json_config(dom->inactive));
    return o;
}

json_object *model_json_host(const struct host_model *host)
{
    json_object *o = json_object_new_object();
    json_object *domains = json_object_new_array();

    for (guint i = 0; host->domains && i < host->domains->len; i++)
        json_object_array_add(domains, model_json_domain(g_ptr_array_index(host->domains, i)));
    put(o, "uri", string_or_null(host->uri));
    put(o, "hostname", string_or_null(host->hostname));
    put(o, "read_only", json_object_new_boolean(host->read_only));
    put(o, "hypervisor_version", version_or_null(host->hv_version));
    put(o, "libvirt_version", version_or_null(host->lib_version));
    put(o, "topology",
                           host->topology ? topology_to_json(host->topology) : NULL);
    put(o, "domains", domains);
    return o;
}
