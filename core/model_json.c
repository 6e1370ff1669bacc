#include "core/model_json.h"

#include "core/backing.h"

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

    json_object_object_add(o, "name", string_or_null(disk->driver_name));
    json_object_object_add(o, "type", string_or_null(disk->driver_type));
    json_object_object_add(o, "cache", string_or_null(disk->cache));
    json_object_object_add(o, "io", string_or_null(disk->io));
    json_object_object_add(o, "iothread",
                           disk->iothread > 0 ? json_object_new_int(disk->iothread) : NULL);
    return o;
}

json_object *model_json_disk(const struct vm_disk *disk)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "target", string_or_null(disk->target));
    json_object_object_add(o, "type", string_or_null(disk->type));
    json_object_object_add(o, "device", string_or_null(disk->device));
    json_object_object_add(o, "bus", string_or_null(disk->bus));
    json_object_object_add(o, "source", string_or_null(disk->source));
    json_object_object_add(o, "driver", driver_json(disk));
    json_object_object_add(o, "iothread_from_controller",
                           json_object_new_boolean(disk->iothread_from_controller));
    json_object_object_add(o, "readonly", json_object_new_boolean(disk->readonly));
    json_object_object_add(o, "shareable", json_object_new_boolean(disk->shareable));
    json_object_object_add(o, "backing_chain", json_object_new_int(disk->backing_chain_len));
    json_object_object_add(o, "benchable", json_object_new_boolean(disk->benchable));
    json_object_object_add(o, "reason", string_or_null(disk->reason));
    json_object_object_add(o, "backing", disk->backing ? backing_to_json(disk->backing) : NULL);
    return o;
}

static json_object *pins_json(const GPtrArray *pins)
{
    json_object *a = json_object_new_array();

    for (guint i = 0; i < pins->len; i++) {
        const struct vm_pin *pin = g_ptr_array_index(pins, i);
        json_object *o = json_object_new_object();

        json_object_object_add(o, "id", json_object_new_int64(pin->id));
        json_object_object_add(o, "cpuset", string_or_null(pin->cpuset));
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
    json_object_object_add(o, "type", string_or_null(cfg->domain_type));
    json_object_object_add(o, "vcpus", json_object_new_int64(cfg->vcpus));
    json_object_object_add(o, "max_vcpus", json_object_new_int64(cfg->max_vcpus));
    json_object_object_add(o, "iothreads", json_object_new_int64(cfg->niothreads));
    json_object_object_add(o, "iothread_ids", ids);
    json_object_object_add(o, "emulatorpin", string_or_null(cfg->emulatorpin));
    json_object_object_add(o, "vcpupin", pins_json(cfg->vcpupins));
    json_object_object_add(o, "iothreadpin", pins_json(cfg->iothreadpins));
    json_object_object_add(o, "disks", disks);
    return o;
}

json_object *model_json_domain(const struct vm_domain *dom)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "name", string_or_null(dom->name));
    json_object_object_add(o, "uuid", dom->uuid[0] ? json_object_new_string(dom->uuid) : NULL);
    json_object_object_add(o, "state", json_object_new_string(vm_state_name(dom->state)));
    json_object_object_add(o, "active", json_object_new_boolean(dom->active));
    json_object_object_add(o, "persistent", json_object_new_boolean(dom->persistent));
    json_object_object_add(o, "vcpus", json_object_new_int64(dom->vcpus));
    json_object_object_add(o, "error", string_or_null(dom->error));
    json_object_object_add(o, "config", model_json_config(vm_domain_config(dom)));
    json_object_object_add(o, "inactive", model_json_config(dom->inactive));
    return o;
}

json_object *model_json_host(const struct host_model *host)
{
    json_object *o = json_object_new_object();
    json_object *domains = json_object_new_array();

    for (guint i = 0; host->domains && i < host->domains->len; i++)
        json_object_array_add(domains, model_json_domain(g_ptr_array_index(host->domains, i)));
    json_object_object_add(o, "uri", string_or_null(host->uri));
    json_object_object_add(o, "hostname", string_or_null(host->hostname));
    json_object_object_add(o, "read_only", json_object_new_boolean(host->read_only));
    json_object_object_add(o, "hypervisor_version", version_or_null(host->hv_version));
    json_object_object_add(o, "libvirt_version", version_or_null(host->lib_version));
    json_object_object_add(o, "topology",
                           host->topology ? topology_to_json(host->topology) : NULL);
    json_object_object_add(o, "domains", domains);
    return o;
}
