#include "tui/view.h"

#include <string.h>
#include <wchar.h>
#include "core/backing.h"
#include "core/textesc.h"

struct view_header *view_header_build(const char *uri, bool read_only, const char *fallback_reason,
                                      const struct host_model *host)
{
    struct view_header *h = g_new0(struct view_header, 1);

    h->uri = textesc_escape(uri);
    h->hostname = host ? textesc_escape(host->hostname) : g_strdup("…");
    h->cpus = host ? model_topology_summary(host->topology) : g_strdup("");
    h->read_only = read_only;
    if (read_only) {
        g_autofree char *why = textesc_escape(fallback_reason ? fallback_reason
                                                              : "read-write refused");

        h->banner = g_strdup_printf("READ-ONLY: %s; nothing can be applied", why);
    }
    return h;
}

void view_header_free(struct view_header *h)
{
    if (!h)
        return;
    g_free(h->uri);
    g_free(h->hostname);
    g_free(h->cpus);
    g_free(h->banner);
    g_free(h);
}

static unsigned view_iothread_count(const struct vm_config *cfg)
{
    if (!cfg)
        return 0;
    if (cfg->iothread_ids && cfg->iothread_ids->len > cfg->niothreads)
        return cfg->iothread_ids->len;
    return cfg->niothreads;
}

static void view_domain_row_free(gpointer p)
{
    struct view_domain_row *row = p;

    g_free(row->name);
    g_free(row);
}

GPtrArray *view_domains_build(const struct host_model *host)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func(view_domain_row_free);

    if (!host || !host->domains)
        return rows;
    for (unsigned i = 0; i < host->domains->len; i++) {
        const struct vm_domain *dom = g_ptr_array_index(host->domains, i);
        struct view_domain_row *row = g_new0(struct view_domain_row, 1);

        row->name = textesc_escape(dom->name);
        row->state = vm_state_name(dom->state);
        row->active = dom->active;
        row->vcpus = dom->vcpus;
        row->iothreads = view_iothread_count(vm_domain_config(dom));
        row->has_error = dom->error != NULL;
        row->listed_only = dom->listed_only;
        g_ptr_array_add(rows, row);
    }
    return rows;
}

static void view_append_pins(GString *s, const char *label, const GPtrArray *pins)
{
    if (!pins || pins->len == 0)
        return;
    g_string_append_printf(s, "%s%s", s->len ? ", " : "", label);
    for (unsigned i = 0; i < pins->len; i++) {
        const struct vm_pin *pin = g_ptr_array_index(pins, i);
        g_autofree char *set = textesc_escape(pin->cpuset);

        g_string_append_printf(s, " %u:%s", pin->id, set);
    }
}

/* "vcpu 0:0 1:1, emulator 0-1, iothread 1:0": virsh's own id:cpuset notation. */
static char *view_pins(const struct vm_config *cfg)
{
    GString *s = g_string_new(NULL);

    view_append_pins(s, "vcpu", cfg->vcpupins);
    if (cfg->emulatorpin) {
        g_autofree char *set = textesc_escape(cfg->emulatorpin);

        g_string_append_printf(s, "%semulator %s", s->len ? ", " : "", set);
    }
    view_append_pins(s, "iothread", cfg->iothreadpins);
    if (s->len == 0) {
        g_string_free(s, TRUE);
        return NULL;
    }
    g_string_prepend(s, "pins: ");
    return g_string_free(s, FALSE);
}

static char *view_disk_settings(const struct vm_disk *disk)
{
    g_autofree char *cache = textesc_escape(disk->cache ? disk->cache : "default");
    g_autofree char *io = textesc_escape(disk->io ? disk->io : "default");

    if (disk->iothread == 0)
        return g_strdup_printf("cache=%s io=%s no iothread", cache, io);
    return g_strdup_printf("cache=%s io=%s iothread=%d%s", cache, io, disk->iothread,
                           disk->iothread_from_controller ? " (controller)" : "");
}

/* "pending (at next power-off and start): io=io_uring": only what differs. */
static char *view_disk_pending(const struct vm_disk *now, const struct vm_disk *next)
{
    GString *s = g_string_new("pending (at next power-off and start):");

    if (g_strcmp0(now->cache, next->cache) != 0) {
        g_autofree char *v = textesc_escape(next->cache ? next->cache : "default");
        g_string_append_printf(s, " cache=%s", v);
    }
    if (g_strcmp0(now->io, next->io) != 0) {
        g_autofree char *v = textesc_escape(next->io ? next->io : "default");
        g_string_append_printf(s, " io=%s", v);
    }
    if (now->iothread != next->iothread) {
        if (next->iothread)
            g_string_append_printf(s, " iothread=%d", next->iothread);
        else
            g_string_append(s, " no iothread");
    }
    return g_string_free(s, FALSE);
}

static char *view_disk_beneath(const struct vm_disk *disk)
{
    if (!disk->benchable) {
        g_autofree char *why = textesc_escape(disk->reason ? disk->reason : "unknown reason");

        return g_strdup_printf("not benchable: %s", why);
    }
    if (disk->backing) {
        g_autofree char *desc = backing_describe(disk->backing);

        return textesc_escape(desc);
    }
    /* Benchable in principle, but core could not resolve it now (ENOENT, ...): say why. */
    if (disk->reason) {
        g_autofree char *why = textesc_escape(disk->reason);

        return g_strdup_printf("backing not resolved: %s", why);
    }
    return g_strdup("backing not resolved");
}

static void view_disk_row_free(gpointer p)
{
    struct view_disk_row *row = p;

    g_free(row->target);
    g_free(row->bus);
    g_free(row->source);
    g_free(row->settings);
    g_free(row->pending);
    g_free(row->beneath);
    g_free(row);
}

static struct view_disk_row *view_disk_row_build(const struct vm_domain *dom,
                                                 const struct vm_disk *disk)
{
    struct view_disk_row *row = g_new0(struct view_disk_row, 1);
    const struct vm_disk *pending = vm_domain_pending_disk(dom, disk->target);

    row->target = textesc_escape(disk->target ? disk->target : "?");
    row->bus = textesc_escape(disk->bus ? disk->bus : "-");
    row->source = textesc_escape(disk->source ? disk->source : "(no media)");
    row->settings = view_disk_settings(disk);
    if (pending)
        row->pending = view_disk_pending(disk, pending);
    row->beneath = view_disk_beneath(disk);
    row->benchable = disk->benchable;
    return row;
}

struct view_disks *view_disks_build(const struct vm_domain *dom)
{
    struct view_disks *v = g_new0(struct view_disks, 1);
    const struct vm_config *cfg;
    g_autofree char *name = NULL;
    unsigned nio;

    v->disks = g_ptr_array_new_with_free_func(view_disk_row_free);
    if (!dom) {
        v->title = g_strdup("");
        return v;
    }
    cfg = vm_domain_config(dom);
    name = textesc_escape(dom->name);
    if (dom->listed_only) {
        v->title = g_strdup_printf("%s, %s, describing…", name, vm_state_name(dom->state));
        return v;
    }
    nio = view_iothread_count(cfg);
    v->title = g_strdup_printf("%s, %s, %u vCPU%s, %u iothread%s", name,
                               vm_state_name(dom->state), dom->vcpus, dom->vcpus == 1 ? "" : "s",
                               nio, nio == 1 ? "" : "s");
    if (dom->error)
        v->error = textesc_escape(dom->error);
    if (!cfg)
        return v;
    v->pins = view_pins(cfg);
    for (unsigned i = 0; cfg->disks && i < cfg->disks->len; i++)
        g_ptr_array_add(v->disks, view_disk_row_build(dom, g_ptr_array_index(cfg->disks, i)));
    return v;
}

void view_disks_free(struct view_disks *v)
{
    if (!v)
        return;
    g_free(v->title);
    g_free(v->pins);
    g_free(v->error);
    if (v->disks)
        g_ptr_array_unref(v->disks);
    g_free(v);
}

/* Strings reaching here went through textesc_escape, so they hold no controls. A character
 * the locale cannot show (a UTF-8 name under LANG=C) becomes one '?', so it can never widen
 * into the next pane or wrap onto the next row. */
char *view_fit(const char *s, int width)
{
    GString *out = g_string_new(NULL);
    const char *p = s, *end = s + strlen(s);
    mbstate_t st;
    int cols = 0;

    memset(&st, 0, sizeof st);
    while (p < end) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, p, (size_t)(end - p), &st);
        int cw = n == (size_t)-1 || n == (size_t)-2 || n == 0 ? -1 : wcwidth(wc);

        if (cw < 0) {
            const char *next = g_utf8_find_next_char(p, end);

            memset(&st, 0, sizeof st);
            if (cols + 1 > width)
                break;
            g_string_append_c(out, '?');
            cols++;
            p = next ? next : end;
            continue;
        }
        if (cols + cw > width)
            break;
        g_string_append_len(out, p, (gssize)n);
        cols += cw;
        p += n;
    }
    return g_string_free(out, FALSE);
}
