/* apply_verify: what the domain has now, read back three ways — the definition (inactive
 * XML), the running domain (live XML), and what QEMU really runs, read without the monitor
 * (it taints the domain): its iothread threads' affinity in /proc/PID/task/TID/status, and
 * its -blockdev and -device options on /proc/PID/cmdline (DESIGN.md "Reading back what QEMU
 * really runs"). */
#include "core/apply.h"
#include "core/apply_priv.h"

#include <stdlib.h>
#include <string.h>
#include <json.h>
#include "core/domxml.h"
#include "core/domxml_patch.h"
#include "core/session_priv.h"
#include "probes/cachemode.h"
#include "probes/cpulist.h"

static void check(struct apply_report *r, bool ok, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void check(struct apply_report *r, bool ok, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *text = NULL;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(r->checks, g_strdup_printf("%s: %s", ok ? "ok" : "MISMATCH", text));
    r->mismatches += !ok;
}

static void note(struct apply_report *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void note(struct apply_report *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(r->notes, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static const char *or_default(const char *v)
{
    return v ? v : "default";
}

/* ---- the definition -------------------------------------------------------------------------- */

static void verify_disks(struct apply_report *r, const char *where, const struct vm_config *want,
                         const struct vm_config *got)
{
    for (guint i = 0; i < want->disks->len; i++) {
        const struct vm_disk *w = g_ptr_array_index(want->disks, i);
        const struct vm_disk *g = w->target ? vm_config_find_disk(got, w->target) : NULL;

        if (!w->target)
            continue;
        if (!g) {
            check(r, false, "%s: disk %s is missing", where, w->target);
            continue;
        }
        if (g_strcmp0(w->cache, g->cache) != 0 || g_strcmp0(w->io, g->io) != 0 ||
            w->iothread != g->iothread)
            check(r, false, "%s: %s has cache %s, io %s, iothread %d; expected %s, %s, %d", where,
                  w->target, or_default(g->cache), or_default(g->io), g->iothread,
                  or_default(w->cache), or_default(w->io), w->iothread);
    }
}

static void verify_iothreads(struct apply_report *r, const char *where, const GArray *want_ids,
                             const struct vm_config *want_pins, const struct vm_config *got)
{
    bool same = want_ids->len == got->iothread_ids->len;

    for (guint i = 0; same && i < want_ids->len; i++)
        same = vm_ids_contain(got->iothread_ids, g_array_index(want_ids, unsigned, i));
    check(r, same, "%s: %u iothreads%s", where, got->niothreads,
          same ? "" : " (not the planned set)");
    for (guint i = 0; want_pins && i < want_ids->len; i++) {
        unsigned id = g_array_index(want_ids, unsigned, i);
        const char *w = vm_config_iothread_pin(want_pins, id), *g = vm_config_iothread_pin(got, id);

        if (w || g)
            check(r, (w && g && cpulist_equal(w, g)) || (!w && !g),
                  "%s: iothread %u pinned to %s%s%s", where, id, g ? g : "no CPU list",
                  (w && g && cpulist_equal(w, g)) || (!w && !g) ? "" : ", expected ",
                  (w && g && cpulist_equal(w, g)) || (!w && !g) ? "" : (w ? w : "not pinned"));
    }
}

static void verify_definition(struct session *s, virDomainPtr dom, const struct apply_plan *plan,
                              struct apply_report *r, GError **err)
{
    g_autofree char *xml = apply_read_xml(s, dom, true, err);
    g_autoptr(VmConfig) got = xml ? domxml_parse(xml, strlen(xml), NULL) : NULL;
    g_autoptr(VmConfig) want = domxml_parse(plan->xml_after, strlen(plan->xml_after), NULL);
    unsigned before = r->mismatches;

    if (!got || !want) {
        check(r, false, "the definition: cannot be read back");
        return;
    }
    verify_disks(r, "definition", want, got);
    verify_iothreads(r, "definition", want->iothread_ids, want, got);
    if (r->mismatches == before)
        check(r, true, "definition: every disk's cache, io and iothread as planned");
    if (plan->undo) {
        g_autofree char *a = domxml_canonical(xml, strlen(xml), NULL);
        g_autofree char *b = domxml_canonical(plan->xml_after, strlen(plan->xml_after), NULL);

        check(r, a && b && strcmp(a, b) == 0,
              "definition: %s the undo record's, compared canonically (C14N)",
              a && b && strcmp(a, b) == 0 ? "identical to" : "differs from");
    }
}

/* ---- the running domain -------------------------------------------------------------------- */

/* The live iothread ids and pins the plan leads to. */
static GArray *live_ids_after(const struct apply_plan *plan, const struct vm_config *before)
{
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(unsigned));

    for (guint i = 0; i < before->iothread_ids->len; i++)
        g_array_append_val(ids, g_array_index(before->iothread_ids, unsigned, i));
    for (guint i = 0; i < plan->live_ops->len; i++) {
        const struct apply_live_op *op = g_ptr_array_index(plan->live_ops, i);

        if (op->kind == LIVE_ADD)
            g_array_append_val(ids, op->id);
        for (guint k = 0; op->kind == LIVE_DEL && k < ids->len; k++)
            if (g_array_index(ids, unsigned, k) == op->id)
                g_array_remove_index(ids, k--);
    }
    return ids;
}

/* The cpuset each live iothread should have: the plan's pin, else what it had. NULL: no
 * pin (all the host's CPUs). */
static const char *live_pin_after(const struct apply_plan *plan, const struct vm_config *before,
                                  unsigned id)
{
    for (guint i = plan->live_ops->len; i-- > 0;) {
        const struct apply_live_op *op = g_ptr_array_index(plan->live_ops, i);

        if (op->kind == LIVE_PIN && op->id == id)
            return op->cpuset;
    }
    return vm_config_iothread_pin(before, id);
}

static bool pin_matches(const char *want, const char *got, unsigned host_cpus)
{
    g_autoptr(GArray) cpus = NULL;

    if (want)
        return got && cpulist_equal(want, got);
    /* Unpinned: no pin, or (as libvirt may list it) every CPU of the host. */
    if (!got)
        return true;
    cpus = cpulist_parse(got, NULL);
    return cpus && host_cpus && cpus->len >= host_cpus;
}

static void verify_live_xml(const struct apply_plan *plan, const struct vm_config *got,
                            const GArray *ids, struct apply_report *r)
{
    bool same = ids->len == got->iothread_ids->len;

    for (guint i = 0; same && i < ids->len; i++)
        same = vm_ids_contain(got->iothread_ids, g_array_index(ids, unsigned, i));
    check(r, same, "running domain: %u iothreads%s", got->niothreads,
          same ? "" : " (not the planned set)");
    for (guint i = 0; i < plan->live_ops->len; i++) {
        const struct apply_live_op *op = g_ptr_array_index(plan->live_ops, i);
        const char *g = vm_config_iothread_pin(got, op->id);
        bool ok;

        if (op->kind != LIVE_PIN)
            continue;
        ok = pin_matches(op->cpuset, g, plan->host_cpus);
        check(r, ok, "running domain: iothread %u pinned to %s%s%s", op->id,
              g ? g : "all CPUs", ok ? "" : ", expected ",
              ok ? "" : (op->cpuset ? op->cpuset : "all CPUs"));
    }
}

/* ---- QEMU itself ------------------------------------------------------------------------------ */

/* /proc/PID/cmdline as its arguments; NULL when unreadable. */
static GPtrArray *read_cmdline(int pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", pid);
    g_autofree char *text = NULL;
    gsize len = 0;
    GPtrArray *args;

    if (!g_file_get_contents(path, &text, &len, NULL) || len == 0)
        return NULL;
    args = g_ptr_array_new_with_free_func(g_free);
    for (gsize off = 0; off < len; off += strlen(text + off) + 1)
        g_ptr_array_add(args, g_strdup(text + off));
    return args;
}

/* The QEMU process running the domain: the one whose command line has -uuid UUID. */
static int find_qemu(const char *uuid, GPtrArray **cmdline)
{
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    const char *name;

    while (proc && (name = g_dir_read_name(proc))) {
        guint64 pid = 0;
        g_autoptr(GPtrArray) args = NULL;

        if (!g_ascii_string_to_unsigned(name, 10, 1, G_MAXINT, &pid, NULL))
            continue;
        args = read_cmdline((int)pid);
        for (guint i = 0; args && i + 1 < args->len; i++)
            if (strcmp(g_ptr_array_index(args, i), "-uuid") == 0 &&
                g_ascii_strcasecmp(g_ptr_array_index(args, i + 1), uuid) == 0) {
                *cmdline = g_steal_pointer(&args);
                return (int)pid;
            }
    }
    return 0;
}

/* Cpus_allowed_list of the thread named "IO iothreadK" (QEMU names each iothread's thread
 * after its object, which libvirt calls iothreadK); NULL when there is none. */
static char *iothread_affinity(int pid, unsigned id, int *tid_out)
{
    g_autofree char *task = g_strdup_printf("/proc/%d/task", pid);
    g_autofree char *want = g_strdup_printf("IO iothread%u", id);
    g_autoptr(GDir) d = g_dir_open(task, 0, NULL);
    const char *tid;

    while (d && (tid = g_dir_read_name(d))) {
        g_autofree char *comm_path = g_build_filename(task, tid, "comm", NULL);
        g_autofree char *status_path = g_build_filename(task, tid, "status", NULL);
        g_autofree char *comm = NULL, *status = NULL;
        const char *line;

        if (!g_file_get_contents(comm_path, &comm, NULL, NULL) ||
            strcmp(g_strstrip(comm), want) != 0 ||
            !g_file_get_contents(status_path, &status, NULL, NULL))
            continue;
        line = strstr(status, "Cpus_allowed_list:");
        if (!line)
            continue;
        *tid_out = atoi(tid);
        line += strlen("Cpus_allowed_list:");
        return g_strstrip(g_strndup(line, strcspn(line, "\n")));
    }
    return NULL;
}

static void verify_threads(const struct apply_plan *plan, const struct vm_config *before,
                           int pid, const GArray *ids, struct apply_report *r)
{
    for (guint i = 0; i < ids->len; i++) {
        unsigned id = g_array_index(ids, unsigned, i);
        int tid = 0;
        g_autofree char *cpus = iothread_affinity(pid, id, &tid);
        const char *want = live_pin_after(plan, before, id);

        if (!cpus) {
            check(r, false, "QEMU (pid %d): no thread 'IO iothread%u'", pid, id);
            continue;
        }
        check(r, pin_matches(want, cpus, plan->host_cpus),
              "QEMU (pid %d): thread %d 'IO iothread%u' runs on CPUs %s%s%s", pid, tid, id, cpus,
              pin_matches(want, cpus, plan->host_cpus) ? "" : ", expected ",
              pin_matches(want, cpus, plan->host_cpus) ? "" : (want ? want : "all CPUs"));
    }
    for (guint i = 0; i < plan->live_ops->len; i++) {
        const struct apply_live_op *op = g_ptr_array_index(plan->live_ops, i);
        int tid = 0;
        g_autofree char *cpus = op->kind == LIVE_DEL ? iothread_affinity(pid, op->id, &tid) : NULL;

        if (op->kind == LIVE_DEL)
            check(r, !cpus, "QEMU (pid %d): %s thread 'IO iothread%u'", pid,
                  cpus ? "still has a" : "has no", op->id);
    }
}

typedef struct json_object JsonObj;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsonObj, json_object_put)

static void put_json(gpointer o)
{
    json_object_put(o);
}

/* The JSON objects after each `flag` (-blockdev, -device) on the command line. */
static GPtrArray *json_options(const GPtrArray *args, const char *flag)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(put_json);

    for (guint i = 0; i + 1 < args->len; i++) {
        JsonObj *o;

        if (strcmp(g_ptr_array_index(args, i), flag) != 0)
            continue;
        o = json_tokener_parse(g_ptr_array_index(args, i + 1));
        if (o && json_object_is_type(o, json_type_object))
            g_ptr_array_add(out, o);
        else if (o)
            json_object_put(o);
    }
    return out;
}

static const char *jstr(JsonObj *o, const char *key)
{
    JsonObj *v = NULL;

    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : NULL;
}

static JsonObj *find_by(const GPtrArray *objs, const char *key, const char *value)
{
    for (guint i = 0; value && i < objs->len; i++)
        if (g_strcmp0(jstr(g_ptr_array_index(objs, i), key), value) == 0)
            return g_ptr_array_index(objs, i);
    return NULL;
}

/* cache.direct / cache.no-flush of a node; false when absent (QEMU's default). */
static bool cache_flag(JsonObj *node, const char *key)
{
    JsonObj *cache = NULL, *v = NULL;

    return node && json_object_object_get_ex(node, "cache", &cache) &&
           json_object_object_get_ex(cache, key, &v) && json_object_get_boolean(v);
}

/* What QEMU runs for one disk, against the live definition: the protocol node whose
 * filename is the disk's source, the format node above it, and the device on top. */
static void verify_disk_cmdline(int pid, const struct vm_disk *disk, const GPtrArray *nodes,
                                const GPtrArray *devices, struct apply_report *r)
{
    int c = disk->cache ? cache_mode_from_name(disk->cache) : (int)CACHE_QEMU_DEFAULT;
    int i = disk->io ? io_mode_from_name(disk->io) : (int)IO_QEMU_DEFAULT;
    const struct cache_mode_info *cm = cache_mode_info((enum cache_mode)(c < 0 ? 0 : c));
    const struct io_mode_info *im = io_mode_info((enum io_mode)(i < 0 ? 0 : i));
    JsonObj *file = find_by(nodes, "filename", disk->source);
    JsonObj *format = file ? find_by(nodes, "file", jstr(file, "node-name")) : NULL;
    JsonObj *top = format ? format : file;
    JsonObj *dev = top ? find_by(devices, "drive", jstr(top, "node-name")) : NULL;
    const char *aio = file ? jstr(file, "aio") : NULL;
    const char *wc = dev ? jstr(dev, "write-cache") : NULL;
    bool direct, noflush, wce, ok;

    if (c < 0 || i < 0 || !file) {
        check(r, false, "QEMU (pid %d): %s: no -blockdev with filename %s", pid, disk->target,
              disk->source);
        return;
    }
    direct = cache_flag(top, "direct");
    noflush = cache_flag(top, "no-flush");
    /* write-cache absent: the device follows the node, which has a write cache. */
    wce = !wc || strcmp(wc, "on") == 0;
    ok = direct == cm->direct && noflush == cm->drop_flush && wce == !cm->flush_each_write &&
         strcmp(aio ? aio : "threads", im->name) == 0;
    check(r, ok, "QEMU (pid %d): %s runs cache.direct=%s cache.no-flush=%s write-cache=%s aio=%s"
          "%s%s", pid, disk->target, direct ? "on" : "off", noflush ? "on" : "off",
          wce ? "on" : "off", aio ? aio : "threads (default)",
          ok ? ", as cache=" : ", NOT what cache=", ok ? or_default(disk->cache) : "");
    if (!ok)
        g_ptr_array_add(r->checks, g_strdup_printf("    (the definition asks cache=%s io=%s)",
                                                   or_default(disk->cache), or_default(disk->io)));
}

static void verify_cmdline(int pid, const GPtrArray *args, const struct vm_config *live,
                           struct apply_report *r)
{
    g_autoptr(GPtrArray) nodes = json_options(args, "-blockdev");
    g_autoptr(GPtrArray) devices = json_options(args, "-device");

    for (guint i = 0; i < live->disks->len; i++) {
        const struct vm_disk *d = g_ptr_array_index(live->disks, i);

        if (d->source && (strcmp(d->type, "file") == 0 || strcmp(d->type, "block") == 0) &&
            strcmp(d->device, "disk") == 0)
            verify_disk_cmdline(pid, d, nodes, devices, r);
    }
}

static bool qemu_driver(struct session *s)
{
    return g_str_has_prefix(session_uri(s), "qemu:///");
}

static void verify_running(struct session *s, virDomainPtr dom, const struct apply_plan *plan,
                           struct apply_report *r, GError **err)
{
    g_autofree char *xml = apply_read_xml(s, dom, false, err);
    g_autoptr(VmConfig) got = xml ? domxml_parse(xml, strlen(xml), NULL) : NULL;
    g_autoptr(VmConfig) before = domxml_parse(plan->live_before, strlen(plan->live_before), NULL);
    g_autoptr(GArray) ids = NULL;
    g_autoptr(GPtrArray) args = NULL;
    int pid;

    if (!got || !before) {
        check(r, false, "running domain: its live XML cannot be read back");
        return;
    }
    ids = live_ids_after(plan, before);
    verify_live_xml(plan, got, ids, r);
    pid = find_qemu(plan->uuid, &args);
    if (pid > 0) {
        verify_threads(plan, before, pid, ids, r);
        verify_cmdline(pid, args, got, r);
    } else if (qemu_driver(s)) {
        check(r, false, "QEMU: no process on this host has -uuid %s", plan->uuid);
    } else {
        note(r, "QEMU's threads and command line not checked: %s runs no QEMU on this host",
             session_uri(s));
    }
}

static bool waits_for_power_cycle(const struct apply_plan *plan)
{
    for (guint i = 0; i < plan->changes->len; i++)
        if (((struct apply_change *)g_ptr_array_index(plan->changes, i))->when == APPLY_AT_POWER_CYCLE)
            return true;
    return false;
}

unsigned apply_verify(struct session *s, const struct apply_plan *plan,
                      struct apply_report *report, GError **err)
{
    virDomainPtr dom = virDomainLookupByUUIDString(s->conn, plan->uuid);
    bool active = false, persistent = false;
    unsigned before = report->mismatches;

    if (!report->checks)
        report->checks = g_ptr_array_new_with_free_func(g_free);
    if (!report->notes)
        report->notes = g_ptr_array_new_with_free_func(g_free);
    if (!dom) {
        session_call_failed(s, err, APPLY_ERROR, APPLY_ERROR_NOT_VERIFIED, plan->domain);
        return 1;
    }
    if (apply_read_state(s, dom, &active, &persistent, err)) {
        g_autoptr(GError) live_err = NULL;

        if (plan->xml_after)
            verify_definition(s, dom, plan, report, err);
        /* One error is enough to report; the second read gets its own. */
        if (active && plan->live_before)
            verify_running(s, dom, plan, report, err && *err ? &live_err : err);
        if (active && waits_for_power_cycle(plan))
            note(report, "cache, io and a disk's iothread reach QEMU at the next power-off and "
                 "start (a guest reboot is not enough)");
    }
    virDomainFree(dom);
    return report->mismatches - before + (err && *err ? 1 : 0);
}
