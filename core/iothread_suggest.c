#include "core/iothread_suggest.h"

#include <stdlib.h>
#include <string.h>
#include "core/backing.h"
#include "probes/blockdev.h"
#include "probes/cpulist.h"
#include "probes/topology.h"

G_DEFINE_QUARK(iothread-suggest-error-quark, iothread_suggest_error)

/* ---- the disks of a domain ------------------------------------------------------------------ */

static int device_node(const struct blockdev *dev)
{
    if (!dev)
        return -1;
    if (dev->numa_node >= 0)
        return dev->numa_node;
    for (guint i = 0; dev->slaves && i < dev->slaves->len; i++) {
        int node = device_node(g_ptr_array_index(dev->slaves, i));

        if (node >= 0)
            return node;
    }
    return -1;
}

/* A virtio disk has an iothread of its own; a scsi disk only through a virtio-scsi
 * controller, which the model knows as such once it carries an iothread. */
static bool can_use_iothread(const struct vm_disk *d)
{
    return g_strcmp0(d->bus, "virtio") == 0 ||
           (d->scsi_controller >= 0 && d->iothread_from_controller);
}

struct iothread_disk *iothread_suggest_disks(const struct vm_domain *dom, guint *n)
{
    const struct vm_config *cfg = dom->inactive ? dom->inactive : dom->live;
    struct iothread_disk *out = g_new0(struct iothread_disk, cfg ? cfg->disks->len + 1 : 1);

    *n = 0;
    for (guint i = 0; cfg && i < cfg->disks->len; i++) {
        const struct vm_disk *d = g_ptr_array_index(cfg->disks, i);

        if (!d->target || !can_use_iothread(d))
            continue;
        out[*n] = (struct iothread_disk){
            .target = d->target,
            .numa_node = d->backing ? device_node(d->backing->dev) : -1,
            .busy = d->benchable,
            .iothread = d->iothread > 0 ? (unsigned)d->iothread : 0,
            .controller = d->iothread_from_controller ? d->scsi_controller : -1,
        };
        (*n)++;
    }
    return out;
}

/* ---- what is pinned where ------------------------------------------------------------------- */

struct use {
    char *who;              /* "web2's vCPUs" */
    GArray *cpus;           /* unsigned, sorted */
};

static void use_free(gpointer p)
{
    struct use *u = p;

    g_free(u->who);
    g_array_unref(u->cpus);
    g_free(u);
}

static gint by_number(gconstpointer a, gconstpointer b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    return (x > y) - (x < y);
}

static void add_cpus(GArray *set, const char *cpuset)
{
    g_autoptr(GArray) cpus = cpuset ? cpulist_parse(cpuset, NULL) : NULL;

    for (guint i = 0; cpus && i < cpus->len; i++) {
        unsigned cpu = g_array_index(cpus, unsigned, i);

        if (!vm_ids_contain(set, cpu))
            g_array_append_val(set, cpu);
    }
    g_array_sort(set, by_number);
}

static void add_pins(GArray *set, const GPtrArray *pins)
{
    for (guint i = 0; pins && i < pins->len; i++)
        add_cpus(set, ((const struct vm_pin *)g_ptr_array_index(pins, i))->cpuset);
}

static void add_use(GPtrArray *uses, char *who, GArray *cpus)
{
    struct use *u;

    if (cpus->len == 0) {
        g_free(who);
        g_array_unref(cpus);
        return;
    }
    u = g_new0(struct use, 1);
    u->who = who;
    u->cpus = cpus;
    g_ptr_array_add(uses, u);
}

static GArray *cpu_set(void)
{
    return g_array_new(FALSE, FALSE, sizeof(unsigned));
}

static void other_domain_uses(GPtrArray *uses, const struct vm_domain *o)
{
    GArray *vcpus = cpu_set(), *emulator = cpu_set(), *iothreads = cpu_set();

    add_pins(vcpus, o->live->vcpupins);
    add_cpus(emulator, o->live->emulatorpin);
    add_pins(iothreads, o->live->iothreadpins);
    add_use(uses, g_strdup_printf("%s's vCPUs", o->name), vcpus);
    add_use(uses, g_strdup_printf("%s's emulator", o->name), emulator);
    add_use(uses, g_strdup_printf("%s's iothreads", o->name), iothreads);
}

/* The other active domains' pins, then this domain's own vCPU pins (its definition's and its
 * live ones: either may be what runs next). Its own iothread pins are what is being chosen;
 * its emulator has little to do once the disks have iothreads, so it reserves nothing. */
static GPtrArray *collect_uses(const struct host_model *host, const struct vm_domain *dom,
                               bool *own_pinned)
{
    GPtrArray *uses = g_ptr_array_new_with_free_func(use_free);
    GArray *own = cpu_set();

    for (guint i = 0; host->domains && i < host->domains->len; i++) {
        const struct vm_domain *o = g_ptr_array_index(host->domains, i);

        if (o != dom && g_strcmp0(o->name, dom->name) != 0 && o->active && o->live)
            other_domain_uses(uses, o);
    }
    if (dom->inactive)
        add_pins(own, dom->inactive->vcpupins);
    if (dom->live)
        add_pins(own, dom->live->vcpupins);
    *own_pinned = own->len > 0;
    add_use(uses, g_strdup_printf("%s's own vCPUs", dom->name), own);
    return uses;
}

/* ---- choosing CPUs -------------------------------------------------------------------------- */

struct unit {
    GPtrArray *disks;       /* const struct iothread_disk *, borrowed */
    int node;               /* its device's node; -1 unknown */
};

struct pick {
    unsigned id;
    GPtrArray *units;       /* struct unit *, borrowed: the first is the one it was made for */
    int cpu;                /* -1: not pinned */
    int sibling_of;         /* the used or chosen sibling when not a whole core; -1 */
    bool elsewhere;         /* not on its disk's node: none free there */
};

struct chooser {
    const struct cpu_topology *t;
    GPtrArray *uses;
    GArray *used;           /* every CPU some use holds */
    GArray *free;           /* online, not used */
    GArray *chosen;
};

static GArray *siblings_of(const struct cpu_topology *t, const struct topology_cpu *tc)
{
    GArray *sib = tc->siblings ? cpulist_parse(tc->siblings, NULL) : NULL;

    if (sib)
        return sib;
    sib = cpu_set();
    for (guint i = 0; i < t->cpus->len; i++) {
        const struct topology_cpu *o = &g_array_index(t->cpus, struct topology_cpu, i);

        if (o == tc || (tc->core >= 0 && o->core == tc->core && o->socket == tc->socket))
            g_array_append_val(sib, o->cpu);
    }
    return sib;
}

/* The first sibling of cpu that is used or chosen; -1 when its whole core is free. */
static int busy_sibling(const struct chooser *ch, const struct topology_cpu *tc)
{
    g_autoptr(GArray) sib = siblings_of(ch->t, tc);

    for (guint i = 0; i < sib->len; i++) {
        unsigned s = g_array_index(sib, unsigned, i);

        if (s != tc->cpu && (vm_ids_contain(ch->used, s) || vm_ids_contain(ch->chosen, s)))
            return (int)s;
    }
    return -1;
}

#define ANY_NODE (-2)

/* The lowest free, unchosen CPU on node (or any) whose core is whole (or not). */
static const struct topology_cpu *free_cpu_on(const struct chooser *ch, int node, bool whole)
{
    for (guint i = 0; i < ch->t->cpus->len; i++) {
        const struct topology_cpu *tc = &g_array_index(ch->t->cpus, struct topology_cpu, i);

        if (!vm_ids_contain(ch->free, tc->cpu) || vm_ids_contain(ch->chosen, tc->cpu) ||
            (node != ANY_NODE && tc->node != node))
            continue;
        if ((busy_sibling(ch, tc) < 0) == whole)
            return tc;
    }
    return NULL;
}

static int node_distance(const struct cpu_topology *t, int from, guint to_index)
{
    for (guint i = 0; i < t->nodes->len; i++) {
        const struct topology_node *n = &g_array_index(t->nodes, struct topology_node, i);
        g_autofree char *text = NULL;
        g_auto(GStrv) row = NULL;

        if ((int)n->node != from || !n->distance)
            continue;
        text = g_strstrip(g_strdup(n->distance));
        row = g_strsplit_set(text, " ", -1);
        if (to_index < g_strv_length(row))
            return atoi(row[to_index]);
    }
    /* No SLIT row: nodes numbered close together are taken as close. */
    return 1000 + abs((int)g_array_index(t->nodes, struct topology_node, to_index).node - from);
}

/* The nodes to look on for a disk on node: its own, then the others nearest first; any
 * node when the disk's node is unknown or the host has no NUMA. */
static GArray *node_order(const struct cpu_topology *t, int node)
{
    GArray *order = g_array_new(FALSE, FALSE, sizeof(int));
    g_autoptr(GArray) dist = g_array_new(FALSE, FALSE, sizeof(int));
    int any = ANY_NODE;

    if (node < 0 || t->nodes->len == 0) {
        g_array_append_val(order, any);
        return order;
    }
    g_array_append_val(order, node);
    for (guint i = 0; i < t->nodes->len; i++) {
        int other = (int)g_array_index(t->nodes, struct topology_node, i).node;
        int d = node_distance(t, node, i);
        guint at = 1;

        if (other == node)
            continue;
        while (at < order->len && g_array_index(dist, int, at - 1) <= d)
            at++;
        g_array_insert_val(order, at, other);
        g_array_insert_val(dist, at - 1, d);
    }
    return order;
}

static void place(struct chooser *ch, struct pick *p, int node)
{
    g_autoptr(GArray) order = node_order(ch->t, node);

    p->cpu = -1;
    p->sibling_of = -1;
    for (guint i = 0; i < order->len && p->cpu < 0; i++)
        for (int whole = 1; whole >= 0 && p->cpu < 0; whole--) {
            const struct topology_cpu *tc = free_cpu_on(ch, g_array_index(order, int, i), whole);

            if (!tc)
                continue;
            p->cpu = (int)tc->cpu;
            p->sibling_of = busy_sibling(ch, tc);
            p->elsewhere = i > 0;
            g_array_append_val(ch->chosen, tc->cpu);
            g_array_sort(ch->chosen, by_number);
        }
}

static int cpu_node(const struct cpu_topology *t, int cpu)
{
    const struct topology_cpu *tc = cpu >= 0 ? topology_find_cpu(t, (unsigned)cpu) : NULL;

    return tc ? tc->node : -1;
}

static guint disks_of(const struct pick *p)
{
    guint n = 0;

    for (guint i = 0; i < p->units->len; i++)
        n += ((const struct unit *)g_ptr_array_index(p->units, i))->disks->len;
    return n;
}

/* A unit past the limit joins the iothread with the fewest disks on its node, else the
 * one with the fewest disks. */
static void share(const struct chooser *ch, GPtrArray *picks, struct unit *u)
{
    struct pick *best = NULL;
    bool best_near = false;

    for (guint i = 0; i < picks->len; i++) {
        struct pick *p = g_ptr_array_index(picks, i);
        bool near = u->node >= 0 && cpu_node(ch->t, p->cpu) == u->node;

        if (!best || (near && !best_near) ||
            (near == best_near && disks_of(p) < disks_of(best))) {
            best = p;
            best_near = near;
        }
    }
    g_ptr_array_add(best->units, u);
}

/* ---- ids ------------------------------------------------------------------------------------ */

static bool id_taken(const GPtrArray *picks, unsigned id)
{
    for (guint i = 0; i < picks->len; i++)
        if (((const struct pick *)g_ptr_array_index(picks, i))->id == id)
            return true;
    return false;
}

static bool id_used_by_a_disk(const struct iothread_disk *disks, guint ndisks, unsigned id)
{
    for (guint i = 0; i < ndisks; i++)
        if (disks[i].iothread == id)
            return true;
    return false;
}

/* A disk keeps the iothread it has; the rest take the domain's ids no disk uses, then the
 * lowest ids it lacks (libvirt's and the pin editor's next id). */
static void assign_ids(GPtrArray *picks, const struct vm_domain *dom,
                       const struct iothread_disk *disks, guint ndisks)
{
    const struct vm_config *cfg = dom->inactive ? dom->inactive : dom->live;
    const GArray *ids = cfg ? cfg->iothread_ids : NULL;

    for (guint i = 0; i < picks->len; i++) {
        struct pick *p = g_ptr_array_index(picks, i);

        for (guint u = 0; u < p->units->len && !p->id; u++) {
            const struct unit *un = g_ptr_array_index(p->units, u);
            unsigned id = ((const struct iothread_disk *)g_ptr_array_index(un->disks, 0))->iothread;

            if (id && ids && vm_ids_contain(ids, id) && !id_taken(picks, id))
                p->id = id;
        }
    }
    for (guint i = 0; i < picks->len; i++) {
        struct pick *p = g_ptr_array_index(picks, i);
        unsigned id = 1;

        for (guint k = 0; ids && k < ids->len && !p->id; k++) {
            unsigned old = g_array_index(ids, unsigned, k);

            if (!id_taken(picks, old) && !id_used_by_a_disk(disks, ndisks, old))
                p->id = old;
        }
        while (!p->id && ((ids && vm_ids_contain(ids, id)) || id_taken(picks, id)))
            id++;
        if (!p->id)
            p->id = id;
    }
}

static gint by_id(gconstpointer a, gconstpointer b)
{
    unsigned x = (*(struct iothread_pick *const *)a)->id;
    unsigned y = (*(struct iothread_pick *const *)b)->id;

    return (x > y) - (x < y);
}

/* ---- the words ------------------------------------------------------------------------------ */

/* "vda", "vda and vdb", "vda, vdb and vdc". */
static void append_list(GString *s, GPtrArray *words)
{
    for (guint i = 0; i < words->len; i++)
        g_string_append_printf(s, "%s%s", i == 0 ? "" : i + 1 == words->len ? " and " : ", ",
                               (const char *)g_ptr_array_index(words, i));
}

static GPtrArray *unit_targets(const struct unit *u)
{
    GPtrArray *t = g_ptr_array_new();

    for (guint i = 0; i < u->disks->len; i++)
        g_ptr_array_add(t, (gpointer)((const struct iothread_disk *)
                                      g_ptr_array_index(u->disks, i))->target);
    return t;
}

static void append_uses(GString *s, const GPtrArray *uses)
{
    g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < uses->len; i++) {
        const struct use *u = g_ptr_array_index(uses, i);
        g_autofree char *cpus = cpulist_format(u->cpus);

        g_ptr_array_add(words, g_strdup_printf("%s (%s)", u->who, cpus));
    }
    append_list(s, words);
}

static void append_where(GString *s, const struct chooser *ch, const struct pick *p)
{
    const struct unit *u = g_ptr_array_index(p->units, 0);
    const struct iothread_disk *d = g_ptr_array_index(u->disks, 0);
    int node = cpu_node(ch->t, p->cpu);

    if (ch->t->nodes->len == 0)
        g_string_append(s, "the host has no NUMA nodes");
    else if (u->node < 0)
        g_string_append_printf(s, "NUMA node %d (the node of %s's device is unknown)", node,
                               d->target);
    else if (p->elsewhere)
        g_string_append_printf(s, "NUMA node %d, the nearest to node %d where %s's device is "
                               "(node %d has no free CPU)", node, u->node, d->target, u->node);
    else
        g_string_append_printf(s, "NUMA node %d where %s's device is", node, d->target);
    if (p->sibling_of < 0)
        g_string_append(s, ", a whole core free");
    else
        g_string_append_printf(s, ", the hyperthread sibling of CPU %d (no whole core left)",
                               p->sibling_of);
}

/* "; vdc shares it: 3 busy disks, 2 iothreads allowed"; "; vdc has no iothread now". */
static void append_sharing_and_moves(GString *s, const struct pick *p, unsigned busy,
                                     unsigned limit)
{
    g_autoptr(GPtrArray) sharers = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 1; i < p->units->len; i++) {
        g_autoptr(GPtrArray) t = unit_targets(g_ptr_array_index(p->units, i));
        GString *w = g_string_new(NULL);

        append_list(w, t);
        g_ptr_array_add(sharers, g_string_free(w, FALSE));
    }
    if (sharers->len) {
        g_string_append(s, "; ");
        append_list(s, sharers);
        g_string_append_printf(s, " share%s it: %u busy disks, %u iothread%s allowed",
                               sharers->len == 1 ? "s" : "", busy, MAX(limit, 1u),
                               MAX(limit, 1u) == 1 ? "" : "s");
    }
    for (guint i = 0; i < p->units->len; i++) {
        const struct unit *u = g_ptr_array_index(p->units, i);
        const struct iothread_disk *d = g_ptr_array_index(u->disks, 0);

        if (d->iothread == p->id)
            continue;
        if (d->iothread)
            g_string_append_printf(s, "; %s is on iothread %u now", d->target, d->iothread);
        else
            g_string_append_printf(s, "; %s has no iothread now", d->target);
    }
}

static char *explain(const struct chooser *ch, const struct pick *p, const struct vm_domain *dom,
                     const struct iothread_suggestion *s)
{
    GString *w = g_string_new(NULL);
    g_autoptr(GPtrArray) targets = g_ptr_array_new();

    for (guint i = 0; i < p->units->len; i++) {
        g_autoptr(GPtrArray) t = unit_targets(g_ptr_array_index(p->units, i));

        g_ptr_array_extend(targets, t, NULL, NULL);
    }
    g_string_append_printf(w, "iothread %u for ", p->id);
    append_list(w, targets);
    if (p->cpu >= 0) {
        g_string_append_printf(w, " on CPU %d: ", p->cpu);
        append_where(w, ch, p);
        g_string_append(w, ch->uses->len ? ", off " : ", nothing else pinned on the host");
    } else {
        g_string_append(w, ", not pinned: no free CPU, every online one is taken by ");
    }
    append_uses(w, ch->uses);
    if (!s->own_vcpus_pinned)
        g_string_append_printf(w, "; %s's vCPUs are not pinned: they float over every CPU and "
                               "reserve none", dom->name);
    append_sharing_and_moves(w, p, s->busy, s->limit);
    g_string_append_c(w, '.');
    return g_string_free(w, FALSE);
}

static char *summarize(const struct iothread_suggestion *s, guint picks, guint shared)
{
    GString *w = g_string_new(NULL);

    if (picks == 0)
        return g_strdup("no busy disk that can use an iothread");
    g_string_append_printf(w, "%u iothread%s for %u busy disk%s; ", picks, picks == 1 ? "" : "s",
                           s->busy, s->busy == 1 ? "" : "s");
    if (s->free_cpus == 0)
        g_string_append(w, "no CPU free: not pinned");
    else
        g_string_append_printf(w, "%u CPU%s free (%s)%s", s->free_cpus,
                               s->free_cpus == 1 ? "" : "s", s->free_cpuset,
                               s->limit < s->free_cpus ? ", one left to the host" : "");
    if (shared)
        g_string_append_printf(w, "; %u disk%s share%s an iothread", shared,
                               shared == 1 ? "" : "s", shared == 1 ? "s" : "");
    return g_string_free(w, FALSE);
}

/* ---- the suggestion ------------------------------------------------------------------------- */

static void unit_free(gpointer p)
{
    struct unit *u = p;

    g_ptr_array_unref(u->disks);
    g_free(u);
}

static void pick_free(gpointer p)
{
    struct pick *k = p;

    g_ptr_array_unref(k->units);
    g_free(k);
}

static void iothread_pick_free(gpointer p)
{
    struct iothread_pick *k = p;

    g_ptr_array_unref(k->disks);
    g_free(k->cpuset);
    g_free(k->why);
    g_free(k);
}

/* The busy disks, those of one virtio-scsi controller together. */
static GPtrArray *busy_units(const struct iothread_disk *disks, guint ndisks)
{
    GPtrArray *units = g_ptr_array_new_with_free_func(unit_free);

    for (guint i = 0; i < ndisks; i++) {
        const struct iothread_disk *d = &disks[i];
        struct unit *u = NULL;

        if (!d->busy || !d->target)
            continue;
        for (guint k = 0; d->controller >= 0 && k < units->len && !u; k++) {
            struct unit *o = g_ptr_array_index(units, k);

            if (((const struct iothread_disk *)g_ptr_array_index(o->disks, 0))->controller ==
                d->controller)
                u = o;
        }
        if (!u) {
            u = g_new0(struct unit, 1);
            u->disks = g_ptr_array_new();
            u->node = -1;
            g_ptr_array_add(units, u);
        }
        g_ptr_array_add(u->disks, (gpointer)d);
        if (u->node < 0)
            u->node = d->numa_node;
    }
    return units;
}

static void chooser_init(struct chooser *ch, const struct host_model *host,
                         const struct vm_domain *dom, bool *own_pinned)
{
    ch->t = host->topology;
    ch->uses = collect_uses(host, dom, own_pinned);
    ch->used = cpu_set();
    ch->free = cpu_set();
    ch->chosen = cpu_set();
    for (guint i = 0; i < ch->uses->len; i++) {
        g_autofree char *cpus = cpulist_format(((struct use *)g_ptr_array_index(ch->uses, i))->cpus);

        add_cpus(ch->used, cpus);
    }
    for (guint i = 0; i < ch->t->cpus->len; i++) {
        const struct topology_cpu *tc = &g_array_index(ch->t->cpus, struct topology_cpu, i);

        if (tc->online && !vm_ids_contain(ch->used, tc->cpu))
            g_array_append_val(ch->free, tc->cpu);
    }
}

static void chooser_clear(struct chooser *ch)
{
    g_ptr_array_unref(ch->uses);
    g_array_unref(ch->used);
    g_array_unref(ch->free);
    g_array_unref(ch->chosen);
}

static struct iothread_pick *publish(const struct chooser *ch, const struct pick *p,
                                     const struct vm_domain *dom,
                                     const struct iothread_suggestion *s)
{
    struct iothread_pick *out = g_new0(struct iothread_pick, 1);

    out->id = p->id;
    out->disks = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < p->units->len; i++) {
        const struct unit *u = g_ptr_array_index(p->units, i);

        for (guint k = 0; k < u->disks->len; k++)
            g_ptr_array_add(out->disks, g_strdup(((const struct iothread_disk *)
                                                  g_ptr_array_index(u->disks, k))->target));
    }
    out->cpuset = p->cpu >= 0 ? g_strdup_printf("%d", p->cpu) : NULL;
    out->node = cpu_node(ch->t, p->cpu);
    out->why = explain(ch, p, dom, s);
    return out;
}

struct iothread_suggestion *iothread_suggest(const struct host_model *host,
                                             const struct vm_domain *dom,
                                             const struct iothread_disk *disks, guint ndisks,
                                             GError **err)
{
    struct iothread_suggestion *s;
    struct chooser ch = { 0 };
    g_autoptr(GPtrArray) units = NULL, picks = NULL;
    guint count;

    if (!host->topology || host->topology->cpus->len == 0) {
        g_set_error(err, IOTHREAD_SUGGEST_ERROR, IOTHREAD_SUGGEST_ERROR_NO_TOPOLOGY,
                    "domain '%s': no iothread suggestion: the host's CPU topology is unknown",
                    dom->name);
        return NULL;
    }
    s = g_new0(struct iothread_suggestion, 1);
    chooser_init(&ch, host, dom, &s->own_vcpus_pinned);
    units = busy_units(disks, ndisks);
    s->busy = units->len;
    s->free_cpus = ch.free->len;
    s->free_cpuset = cpulist_format(ch.free);
    /* A host with more than two free CPUs keeps one for its own work (interrupts, the
     * daemons, QEMU's main loops). */
    s->limit = s->free_cpus > 2 ? s->free_cpus - 1 : s->free_cpus;
    count = MIN(units->len, MAX(s->limit, 1u));
    picks = g_ptr_array_new_with_free_func(pick_free);
    for (guint i = 0; i < units->len; i++) {
        struct unit *u = g_ptr_array_index(units, i);
        struct pick *p;

        if (i >= count) {
            share(&ch, picks, u);
            continue;
        }
        p = g_new0(struct pick, 1);
        p->units = g_ptr_array_new();
        g_ptr_array_add(p->units, u);
        place(&ch, p, u->node);
        g_ptr_array_add(picks, p);
    }
    assign_ids(picks, dom, disks, ndisks);
    s->iothreads = g_ptr_array_new_with_free_func(iothread_pick_free);
    for (guint i = 0; i < picks->len; i++)
        g_ptr_array_add(s->iothreads, publish(&ch, g_ptr_array_index(picks, i), dom, s));
    g_ptr_array_sort(s->iothreads, by_id);
    s->summary = summarize(s, picks->len, units->len - count);
    chooser_clear(&ch);
    return s;
}

void iothread_suggestion_free(struct iothread_suggestion *s)
{
    if (!s)
        return;
    if (s->iothreads)
        g_ptr_array_unref(s->iothreads);
    g_free(s->free_cpuset);
    g_free(s->summary);
    g_free(s);
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static json_object *pick_to_json(const struct iothread_pick *p)
{
    json_object *o = json_object_new_object();
    json_object *disks = json_object_new_array();

    for (guint i = 0; i < p->disks->len; i++)
        json_object_array_add(disks, json_object_new_string(g_ptr_array_index(p->disks, i)));
    json_object_object_add(o, "id", json_object_new_int64(p->id));
    json_object_object_add(o, "disks", disks);
    json_object_object_add(o, "cpuset", p->cpuset ? json_object_new_string(p->cpuset) : NULL);
    json_object_object_add(o, "node", p->node >= 0 ? json_object_new_int(p->node) : NULL);
    json_object_object_add(o, "why", json_object_new_string(p->why));
    return o;
}

json_object *iothread_suggestion_to_json(const struct iothread_suggestion *s)
{
    json_object *o = json_object_new_object();
    json_object *threads = json_object_new_array();

    for (guint i = 0; i < s->iothreads->len; i++)
        json_object_array_add(threads, pick_to_json(g_ptr_array_index(s->iothreads, i)));
    json_object_object_add(o, "count", json_object_new_int64(s->iothreads->len));
    json_object_object_add(o, "busy_disks", json_object_new_int64(s->busy));
    json_object_object_add(o, "free_cpus", json_object_new_string(s->free_cpuset));
    json_object_object_add(o, "limit", json_object_new_int64(s->limit));
    json_object_object_add(o, "own_vcpus_pinned", json_object_new_boolean(s->own_vcpus_pinned));
    json_object_object_add(o, "summary", json_object_new_string(s->summary));
    json_object_object_add(o, "iothreads", threads);
    return o;
}
