#include "tui/view_pins.h"

#include <string.h>
#include "core/iothread_suggest.h"
#include "core/textesc.h"
#include "probes/cpulist.h"
#include "probes/topology.h"

/* ---- the state ------------------------------------------------------------------------------ */

static void row_free(gpointer p)
{
    struct view_pins_row *r = p;

    g_array_unref(r->cpus);
    g_free(r->typed);
    g_free(r->why);
    g_free(r);
}

static struct view_pins_row *row_new(unsigned id, const char *cpuset)
{
    struct view_pins_row *r = g_new0(struct view_pins_row, 1);
    g_autoptr(GArray) cpus = cpuset ? cpulist_parse(cpuset, NULL) : NULL;

    r->id = id;
    r->cpus = cpus ? g_steal_pointer(&cpus) : g_array_new(FALSE, FALSE, sizeof(unsigned));
    return r;
}

static const struct vm_config *editable_config(const struct vm_domain *dom)
{
    return dom->inactive ? dom->inactive : dom->live;
}

struct view_pins_state *view_pins_state_new(const struct vm_domain *dom)
{
    struct view_pins_state *st = g_new0(struct view_pins_state, 1);
    const struct vm_config *cfg = editable_config(dom);

    st->domain = g_strdup(dom->name);
    st->rows = g_ptr_array_new_with_free_func(row_free);
    st->original_pins = g_ptr_array_new_with_free_func(g_free);
    st->original_ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
    for (guint i = 0; cfg && i < cfg->iothread_ids->len; i++) {
        unsigned id = g_array_index(cfg->iothread_ids, unsigned, i);
        const char *pin = vm_config_iothread_pin(cfg, id);

        g_ptr_array_add(st->rows, row_new(id, pin));
        g_ptr_array_add(st->original_pins, g_strdup(pin));
        g_array_append_val(st->original_ids, id);
    }
    st->original = st->rows->len;
    return st;
}

void view_pins_state_free(struct view_pins_state *st)
{
    if (!st)
        return;
    g_free(st->domain);
    g_ptr_array_unref(st->rows);
    g_ptr_array_unref(st->original_pins);
    g_array_unref(st->original_ids);
    g_free(st->error);
    if (st->suggested)
        g_ptr_array_unref(st->suggested);
    g_free(st->suggestion);
    g_free(st);
}

static void set_error(struct view_pins_state *st, char *msg)
{
    g_free(st->error);
    st->error = msg;
}

static struct view_pins_row *cursor_row(const struct view_pins_state *st)
{
    return st->row < st->rows->len ? g_ptr_array_index(st->rows, st->row) : NULL;
}

static bool contains(const GArray *cpus, unsigned cpu)
{
    return vm_ids_contain(cpus, cpu);
}

static gint by_number(gconstpointer a, gconstpointer b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    return x < y ? -1 : x > y;
}

void view_pins_toggle(struct view_pins_state *st, const struct cpu_topology *t)
{
    struct view_pins_row *r = cursor_row(st);
    unsigned cpu;

    if (!r || !t || st->cpu >= t->cpus->len)
        return;
    cpu = g_array_index(t->cpus, struct topology_cpu, st->cpu).cpu;
    g_clear_pointer(&r->typed, g_free);
    set_error(st, NULL);
    for (guint i = 0; i < r->cpus->len; i++)
        if (g_array_index(r->cpus, unsigned, i) == cpu) {
            g_array_remove_index(r->cpus, i);
            return;
        }
    g_array_append_val(r->cpus, cpu);
    g_array_sort(r->cpus, by_number);
}

/* The typed text as the row's CPUs when it parses and the host has them all; else the
 * reason, as apply would give it, and the row keeps its last good CPUs. */
static void take_typed(struct view_pins_state *st, struct view_pins_row *r, unsigned host_cpus)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GArray) cpus = NULL;

    if (!r->typed || !*r->typed) {
        set_error(st, NULL);
        return;
    }
    cpus = cpulist_parse(r->typed, &err);
    if (!cpus) {
        set_error(st, g_strdup_printf("iothread %u: %s", r->id, err->message));
        return;
    }
    for (guint i = 0; host_cpus && i < cpus->len; i++)
        if (g_array_index(cpus, unsigned, i) >= host_cpus) {
            set_error(st, g_strdup_printf("iothread %u: CPU %u is not on this host (it has CPUs "
                                          "0-%u)", r->id, g_array_index(cpus, unsigned, i),
                                          host_cpus - 1));
            return;
        }
    set_error(st, NULL);
    g_array_unref(r->cpus);
    r->cpus = g_steal_pointer(&cpus);
}

void view_pins_type(struct view_pins_state *st, int ch, unsigned host_cpus)
{
    struct view_pins_row *r = cursor_row(st);
    char text[2] = { (char)ch, 0 };

    if (!r || !(g_ascii_isdigit(ch) || ch == ',' || ch == '-' || ch == '^'))
        return;
    if (!r->typed)
        r->typed = g_strdup("");
    g_autofree char *old = r->typed;
    r->typed = g_strconcat(old, text, NULL);
    take_typed(st, r, host_cpus);
}

void view_pins_erase(struct view_pins_state *st, unsigned host_cpus)
{
    struct view_pins_row *r = cursor_row(st);
    size_t n;

    if (!r || !r->typed || !(n = strlen(r->typed)))
        return;
    r->typed[n - 1] = '\0';
    take_typed(st, r, host_cpus);
}

void view_pins_add(struct view_pins_state *st)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
    struct view_pins_row *r;
    unsigned id = 1;

    for (guint i = 0; i < st->rows->len; i++)
        g_array_append_val(ids, ((struct view_pins_row *)g_ptr_array_index(st->rows, i))->id);
    /* The id apply will give it: the lowest one not in use. */
    while (vm_ids_contain(ids, id))
        id++;
    r = row_new(id, NULL);
    r->added = true;
    g_ptr_array_add(st->rows, r);
    st->row = st->rows->len - 1;
    set_error(st, NULL);
}

static GString *disks_using(const struct vm_domain *dom, unsigned id)
{
    const struct vm_config *cfg = editable_config(dom);
    GString *out = g_string_new(NULL);

    for (guint i = 0; cfg && i < cfg->disks->len; i++) {
        const struct vm_disk *d = g_ptr_array_index(cfg->disks, i);

        if (d->iothread == (int)id && d->target)
            g_string_append_printf(out, "%s%s", out->len ? ", " : "", d->target);
    }
    return out;
}

void view_pins_remove(struct view_pins_state *st, const struct vm_domain *dom)
{
    struct view_pins_row *last;
    g_autoptr(GString) users = NULL;

    if (st->rows->len == 0)
        return;
    last = g_ptr_array_index(st->rows, st->rows->len - 1);
    users = disks_using(dom, last->id);
    if (users->len) {
        set_error(st, g_strdup_printf("iothread %u is used by %s: move them first", last->id,
                                      users->str));
        return;
    }
    g_ptr_array_remove_index(st->rows, st->rows->len - 1);
    if (st->row >= st->rows->len && st->row > 0)
        st->row = st->rows->len ? st->rows->len - 1 : 0;
    set_error(st, NULL);
}

/* The rows that were there keep their ids (an added row in a removed one's place must get
 * the same id, as apply would give it). */
static bool same_ids(const struct view_pins_state *st)
{
    for (guint i = 0; i < st->rows->len && i < st->original; i++)
        if (((struct view_pins_row *)g_ptr_array_index(st->rows, i))->id !=
            g_array_index(st->original_ids, unsigned, i))
            return false;
    return true;
}

struct apply_request *view_pins_request(struct view_pins_state *st, unsigned host_cpus)
{
    g_autoptr(ApplyRequest) req = apply_request_new(st->domain);

    /* Every row's typed list, not just the last one typed (a move clears the error). */
    for (guint i = 0; i < st->rows->len && !st->error; i++) {
        struct view_pins_row *r = g_ptr_array_index(st->rows, i);

        if (r->typed && *r->typed)
            take_typed(st, r, host_cpus);
    }
    if (st->error)
        return NULL;
    /* x then + gives a new id in place of an old one: apply changes the count, not ids. */
    if (!same_ids(st)) {
        set_error(st, g_strdup("an iothread removed and another added: apply changes the "
                               "count only (Esc and start again, or only add or only remove)"));
        return NULL;
    }
    if (st->rows->len != st->original)
        req->iothreads = (int)st->rows->len;
    for (guint i = 0; i < st->rows->len; i++) {
        const struct view_pins_row *r = g_ptr_array_index(st->rows, i);
        const char *was = i < st->original_pins->len ? g_ptr_array_index(st->original_pins, i)
                                                     : NULL;
        g_autofree char *now = r->cpus->len ? cpulist_format(r->cpus) : NULL;
        struct apply_pin_request *p;

        if (!now && was) {
            set_error(st, g_strdup_printf("iothread %u: no CPU chosen (pick at least one)", r->id));
            return NULL;
        }
        if (!now || (was && cpulist_equal(was, now)))
            continue;
        p = g_new0(struct apply_pin_request, 1);
        p->iothread = r->id;
        p->cpuset = g_steal_pointer(&now);
        g_ptr_array_add(req->pins, p);
    }
    if (req->iothreads < 0 && req->pins->len == 0) {
        set_error(st, g_strdup("nothing changed: pick CPUs with Space or type a CPU list"));
        return NULL;
    }
    return g_steal_pointer(&req);
}

/* ---- the suggestion ------------------------------------------------------------------------- */

static struct view_pins_row *row_copy(const struct view_pins_row *r)
{
    struct view_pins_row *c = g_new0(struct view_pins_row, 1);

    c->id = r->id;
    c->cpus = g_array_copy(r->cpus);
    c->added = r->added;
    c->why = g_strdup(r->why);
    return c;
}

static void set_rows(struct view_pins_state *st, const GPtrArray *from)
{
    g_ptr_array_set_size(st->rows, 0);
    for (guint i = 0; i < from->len; i++)
        g_ptr_array_add(st->rows, row_copy(g_ptr_array_index(from, i)));
    st->row = 0;
    set_error(st, NULL);
}

static struct view_pins_row *row_with_id(const struct view_pins_state *st, unsigned id)
{
    for (guint i = 0; i < st->rows->len; i++) {
        struct view_pins_row *r = g_ptr_array_index(st->rows, i);

        if (r->id == id)
            return r;
    }
    return NULL;
}

/* The rows of the domain as the editor opened on them. */
static void current_rows(struct view_pins_state *st)
{
    g_ptr_array_set_size(st->rows, 0);
    for (guint i = 0; i < st->original; i++)
        g_ptr_array_add(st->rows, row_new(g_array_index(st->original_ids, unsigned, i),
                                          g_ptr_array_index(st->original_pins, i)));
    st->row = 0;
    set_error(st, NULL);
}

void view_pins_preselect(struct view_pins_state *st, const struct iothread_suggestion *s)
{
    if (!s || s->iothreads->len == 0)
        return;
    current_rows(st);
    for (guint i = 0; i < s->iothreads->len; i++) {
        const struct iothread_pick *p = g_ptr_array_index(s->iothreads, i);
        struct view_pins_row *r = row_with_id(st, p->id);
        g_autoptr(GArray) cpus = p->cpuset ? cpulist_parse(p->cpuset, NULL) : NULL;

        /* Its ids are the lowest free ones, as `+` gives them; the bound is for safety. */
        for (guint n = 0; !r && n <= p->id; n++) {
            view_pins_add(st);
            r = row_with_id(st, p->id);
        }
        if (!r)
            continue;
        if (cpus) {
            g_array_unref(r->cpus);
            r->cpus = g_steal_pointer(&cpus);
        }
        g_free(r->why);
        r->why = g_strdup(p->why);
    }
    if (st->suggested)
        g_ptr_array_unref(st->suggested);
    st->suggested = g_ptr_array_new_with_free_func(row_free);
    for (guint i = 0; i < st->rows->len; i++)
        g_ptr_array_add(st->suggested, row_copy(g_ptr_array_index(st->rows, i)));
    g_free(st->suggestion);
    st->suggestion = g_strdup(s->summary);
    st->showing_suggestion = true;
    st->row = 0;
    set_error(st, NULL);
}

void view_pins_switch(struct view_pins_state *st)
{
    if (!st->suggested)
        return;
    if (st->showing_suggestion)
        current_rows(st);
    else
        set_rows(st, st->suggested);
    st->showing_suggestion = !st->showing_suggestion;
}

/* ---- the view ------------------------------------------------------------------------------- */

/* What is pinned on cpu, in words: this domain's vCPUs and emulator, and everything pinned
 * by the other running domains. */
static void usage_of(const struct host_model *host, const struct vm_domain *dom, unsigned cpu,
                     GString *out, bool *mine, bool *others)
{
    for (guint d = 0; host && host->domains && d < host->domains->len; d++) {
        const struct vm_domain *o = g_ptr_array_index(host->domains, d);
        bool self = o == dom || g_strcmp0(o->name, dom->name) == 0;
        const struct vm_config *cfg = self ? vm_domain_config(o) : o->active ? o->live : NULL;
        g_autofree char *name = textesc_escape(o->name);
        g_autoptr(GArray) emu = NULL;

        if (!cfg)
            continue;
        for (guint i = 0; i < cfg->vcpupins->len; i++) {
            const struct vm_pin *p = g_ptr_array_index(cfg->vcpupins, i);
            g_autoptr(GArray) cpus = cpulist_parse(p->cpuset, NULL);

            if (cpus && contains(cpus, cpu)) {
                g_string_append_printf(out, "%s%s vcpu %u", out->len ? ", " : "",
                                       self ? "this domain's" : name, p->id);
                *(self ? mine : others) = true;
            }
        }
        emu = cfg->emulatorpin ? cpulist_parse(cfg->emulatorpin, NULL) : NULL;
        if (emu && contains(emu, cpu)) {
            g_string_append_printf(out, "%s%s emulator", out->len ? ", " : "",
                                   self ? "this domain's" : name);
            *(self ? mine : others) = true;
        }
        for (guint i = 0; !self && i < cfg->iothreadpins->len; i++) {
            const struct vm_pin *p = g_ptr_array_index(cfg->iothreadpins, i);
            g_autoptr(GArray) cpus = cpulist_parse(p->cpuset, NULL);

            if (cpus && contains(cpus, cpu)) {
                g_string_append_printf(out, "%s%s iothread %u", out->len ? ", " : "", name, p->id);
                *others = true;
            }
        }
    }
}

static void core_free(gpointer p)
{
    struct view_pin_core *c = p;

    g_free(c->label);
    g_array_unref(c->cells);
    g_free(c);
}

static void node_free(gpointer p)
{
    struct view_pin_node *n = p;

    g_free(n->label);
    g_ptr_array_unref(n->cores);
    g_free(n);
}

static struct view_pin_node *node_for(struct view_pins *v, int node, bool numa)
{
    g_autofree char *label = numa && node >= 0 ? g_strdup_printf("node %d", node)
                                               : g_strdup(numa ? "node ?" : "CPUs");

    for (guint i = 0; i < v->nodes->len; i++) {
        struct view_pin_node *n = g_ptr_array_index(v->nodes, i);

        if (strcmp(n->label, label) == 0)
            return n;
    }
    struct view_pin_node *n = g_new0(struct view_pin_node, 1);
    n->label = g_steal_pointer(&label);
    n->cores = g_ptr_array_new_with_free_func(core_free);
    g_ptr_array_add(v->nodes, n);
    return n;
}

static struct view_pin_core *core_for(struct view_pin_node *n, int socket, int core)
{
    g_autofree char *label = socket > 0 ? g_strdup_printf("s%d core %d", socket, core)
                                        : core >= 0 ? g_strdup_printf("core %d", core)
                                                    : g_strdup("core ?");

    for (guint i = 0; i < n->cores->len; i++) {
        struct view_pin_core *c = g_ptr_array_index(n->cores, i);

        if (strcmp(c->label, label) == 0)
            return c;
    }
    struct view_pin_core *c = g_new0(struct view_pin_core, 1);
    c->label = g_steal_pointer(&label);
    c->cells = g_array_new(FALSE, TRUE, sizeof(struct view_pin_cell));
    g_ptr_array_add(n->cores, c);
    return c;
}

static void build_grid(struct view_pins *v, const struct view_pins_state *st,
                       const struct cpu_topology *t, const struct host_model *host,
                       const struct vm_domain *dom)
{
    const struct view_pins_row *r = cursor_row(st);
    bool numa = t->nodes->len > 0;

    for (guint i = 0; i < t->cpus->len; i++) {
        const struct topology_cpu *tc = &g_array_index(t->cpus, struct topology_cpu, i);
        struct view_pin_core *core = core_for(node_for(v, tc->node, numa), tc->socket, tc->core);
        struct view_pin_cell cell = { .cpu = tc->cpu, .online = tc->online,
                                      .cursor = i == st->cpu,
                                      .chosen = r && contains(r->cpus, tc->cpu) };
        g_autoptr(GString) used = g_string_new(NULL);

        usage_of(host, dom, tc->cpu, used, &cell.mine, &cell.others);
        g_array_append_val(core->cells, cell);
        if (cell.cursor)
            v->cursor_cpu = g_strdup_printf("CPU %u%s: %s", tc->cpu, tc->online ? "" : " (offline)",
                                            used->len ? used->str : "nothing pinned here");
    }
}

static void build_rows(struct view_pins *v, const struct view_pins_state *st,
                       const struct vm_domain *dom)
{
    for (guint i = 0; i < st->rows->len; i++) {
        const struct view_pins_row *r = g_ptr_array_index(st->rows, i);
        g_autofree char *cpus = r->cpus->len ? cpulist_format(r->cpus) : g_strdup("not pinned");
        g_autofree char *typed = r->typed ? textesc_escape(r->typed) : NULL;
        g_autoptr(GString) users = disks_using(dom, r->id);
        g_autofree char *esc = textesc_escape(users->str);
        g_autofree char *who = users->len ? g_strdup_printf("disks %s", esc) : g_strdup("no disk");

        g_ptr_array_add(v->rows, g_strdup_printf(
            "iothread %-3u %-4s CPUs %-14s %s%s%s%s", r->id, r->added ? "new" : "",
            cpus, typed ? "typed \"" : "", typed ? typed : "", typed ? "\"  " : "", who));
    }
    v->sel_row = st->row;
}

static void build_origin(struct view_pins *v, const struct view_pins_state *st)
{
    const struct view_pins_row *r = cursor_row(st);
    g_autofree char *summary = st->suggestion ? textesc_escape(st->suggestion) : NULL;

    if (!st->suggested)
        return;
    v->origin = st->showing_suggestion
                    ? g_strdup_printf("preselected: the suggestion (%s); o: the domain's current "
                                      "pins", summary)
                    : g_strdup_printf("the domain's current pins; o: the suggestion (%s)", summary);
    if (st->showing_suggestion && r && r->why)
        v->why = textesc_escape(r->why);
}

struct view_pins *view_pins_build(const struct view_pins_state *st,
                                  const struct cpu_topology *t, const struct host_model *host,
                                  const struct vm_domain *dom)
{
    struct view_pins *v = g_new0(struct view_pins, 1);
    g_autofree char *name = textesc_escape(st->domain);

    v->title = g_strdup_printf(" Iothread pins of %s ", name);
    v->nodes = g_ptr_array_new_with_free_func(node_free);
    v->rows = g_ptr_array_new_with_free_func(g_free);
    if (t && t->cpus->len)
        build_grid(v, st, t, host, dom);
    else
        v->cursor_cpu = g_strdup("the host's CPU topology is unknown: type a CPU list");
    build_rows(v, st, dom);
    if (st->error)
        v->error = textesc_escape(st->error);
    v->note = g_strdup(dom->active ? "the domain runs: pins and added iothreads change now (live) "
                                     "and in its definition"
                                   : "the domain is shut off: its definition changes, used at "
                                     "its next start");
    v->legend = g_strdup("[n] pinned here  v this domain's vCPU/emulator  * another domain's");
    build_origin(v, st);
    return v;
}

void view_pins_free(struct view_pins *v)
{
    if (!v)
        return;
    g_free(v->title);
    g_ptr_array_unref(v->nodes);
    g_free(v->cursor_cpu);
    g_ptr_array_unref(v->rows);
    g_free(v->error);
    g_free(v->note);
    g_free(v->origin);
    g_free(v->why);
    g_free(v->legend);
    g_free(v);
}
