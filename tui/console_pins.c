#include "tui/console_pins.h"

#include <string.h>
#include "core/iothread_suggest.h"
#include "probes/topology.h"
#include "tui/console.h"
#include "tui/console_apply.h"
#include "tui/dialog.h"
#include "tui/keymap.h"

static unsigned host_cpus(const struct console *c)
{
    const struct cpu_topology *t = c->host ? c->host->topology : NULL;
    unsigned n = 0;

    for (guint i = 0; t && i < t->cpus->len; i++)
        n = MAX(n, g_array_index(t->cpus, struct topology_cpu, i).cpu + 1);
    return n;
}

static const struct vm_domain *editor_domain(const struct console *c)
{
    return c->pins->st && c->host ? host_model_find_domain(c->host, c->pins->st->domain) : NULL;
}

/* The suggestion for dom, NULL without a topology (the editor then opens as it is). */
static struct iothread_suggestion *suggestion_for(const struct console *c,
                                                  const struct vm_domain *dom)
{
    guint n = 0;
    g_autofree struct iothread_disk *disks = iothread_suggest_disks(dom, &n);

    return iothread_suggest(c->host, dom, disks, n, NULL);
}

void console_pins_open(struct console *c)
{
    const struct vm_domain *dom = console_selected_domain(c);
    g_autoptr(IothreadSuggestion) s = NULL;

    if (!dom || dom->listed_only || (!dom->inactive && !dom->live))
        return;
    g_clear_pointer(&c->pins->st, view_pins_state_free);
    c->pins->st = view_pins_state_new(dom);
    s = suggestion_for(c, dom);
    view_pins_preselect(c->pins->st, s);
    console_dialog_push(c, &dialog_pins);
}

void console_pins_close(struct console *c)
{
    console_dialog_pop(c, &dialog_pins);
    g_clear_pointer(&c->pins->st, view_pins_state_free);
}

static unsigned cpu_count(const struct console *c)
{
    return c->host && c->host->topology ? c->host->topology->cpus->len : 0;
}

static void submit(struct console *c)
{
    struct apply_request *req = view_pins_request(c->pins->st, host_cpus(c));

    if (!req)
        return;
    console_pins_close(c);
    console_apply_open(c, req, NULL);
}

/* '-' is a range after a digit being typed, else "one iothread less". */
static bool console_pins_dash_is_text(const struct console *c)
{
    const struct view_pins_state *st = c->pins->st;
    const struct view_pins_row *r = st && st->row < st->rows->len
                                        ? g_ptr_array_index(st->rows, st->row) : NULL;
    size_t n = r && r->typed ? strlen(r->typed) : 0;

    return n > 0 && g_ascii_isdigit(r->typed[n - 1]);
}

void console_pins_key(struct console *c, int action)
{
    struct view_pins_state *st = c->pins->st;
    const struct vm_domain *dom = editor_domain(c);

    if (!st || !dom) {
        console_pins_close(c);
        return;
    }
    switch (action) {
    case ACTION_DOWN:
        if (st->row + 1 < st->rows->len)
            st->row++;
        break;
    case ACTION_UP:
        if (st->row > 0)
            st->row--;
        break;
    case ACTION_RIGHT:
        if (st->cpu + 1 < cpu_count(c))
            st->cpu++;
        break;
    case ACTION_LEFT:
        if (st->cpu > 0)
            st->cpu--;
        break;
    case ACTION_TOGGLE:
        view_pins_toggle(st, c->host->topology);
        break;
    case ACTION_ERASE:
        view_pins_erase(st, host_cpus(c));
        break;
    case ACTION_ADD:
        view_pins_add(st);
        break;
    case ACTION_REMOVE:
        view_pins_remove(st, dom);
        break;
    case ACTION_ORIGIN:
        view_pins_switch(st);
        break;
    case ACTION_SELECT:
        submit(c);
        break;
    case ACTION_CLOSE:
        console_pins_close(c);
        break;
    default:
        break;
    }
}

bool console_pins_text(struct console *c, int ch)
{
    struct view_pins_state *st = c->pins->st;

    if (!st)
        return false;
    if (ch == '-' && !console_pins_dash_is_text(c)) {
        console_pins_key(c, ACTION_REMOVE);
        return true;
    }
    if (!(g_ascii_isdigit(ch) || ch == ',' || ch == '^' || ch == '-'))
        return false;
    view_pins_type(st, ch, host_cpus(c));
    return true;
}

struct view_pins *console_pins_view(const struct console *c)
{
    const struct vm_domain *dom = editor_domain(c);

    if (!c->pins->st || !dom)
        return NULL;
    return view_pins_build(c->pins->st, c->host->topology, c->host, dom);
}
