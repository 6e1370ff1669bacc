/* Left pane: the host's domains with state, vCPUs and iothreads. */
#include "tui/pane.h"
#include "tui/view.h"

#define STATE_W 12
#define NUM_W 6

static void pane_domains_row(WINDOW *win, int y, int width, const struct view_domain_row *row,
                             bool selected, attr_t attr)
{
    int name_w = width - STATE_W - 2 * NUM_W - 2;
    g_autofree char *vcpus = row->listed_only ? g_strdup_printf("%*s", NUM_W - 1, "…")
                                              : g_strdup_printf("%*u", NUM_W - 1, row->vcpus);
    g_autofree char *io = row->listed_only ? g_strdup_printf("%*s", NUM_W - 1, "…")
                                           : g_strdup_printf("%*u", NUM_W - 1, row->iothreads);
    g_autofree char *name = g_strdup_printf("%s%s", row->name, row->has_error ? " (!)" : "");

    mvwchgat(win, y, 1, width, attr, 0, NULL);
    /* A visible mark too, not only the attribute: monochrome terminals and screen readers. */
    if (selected)
        console_put(win, y, 1, ">", 1, attr);
    console_put(win, y, 2, name, name_w, attr);
    console_put(win, y, 2 + name_w + 1, row->state, STATE_W, attr);
    console_put(win, y, 2 + name_w + 1 + STATE_W, vcpus, NUM_W, attr);
    console_put(win, y, 2 + name_w + 1 + STATE_W + NUM_W, io, NUM_W, attr);
}

static void pane_domains_draw(const struct console *c, WINDOW *win, bool focused)
{
    g_autoptr(GPtrArray) rows = view_domains_build(c->host);
    int h = getmaxy(win), w = getmaxx(win);
    int width = w - 2, list_h = h - 3;
    int name_w = width - STATE_W - 2 * NUM_W - 2;
    unsigned top;

    pane_frame(win, &pane_domains, focused);
    console_put(win, 1, 2, "NAME", name_w, A_UNDERLINE);
    console_put(win, 1, 2 + name_w + 1, "STATE", STATE_W, A_UNDERLINE);
    console_put(win, 1, 2 + name_w + 1 + STATE_W, "VCPUS", NUM_W, A_UNDERLINE);
    console_put(win, 1, 2 + name_w + 1 + STATE_W + NUM_W, "IOTHR", NUM_W, A_UNDERLINE);
    if (rows->len == 0) {
        console_put(win, 2, 2, c->host ? "no domains" : "loading…", width - 1, A_DIM);
        return;
    }
    /* Scroll just enough to keep the selection in view. */
    top = c->sel_domain >= (unsigned)list_h ? c->sel_domain - (unsigned)list_h + 1 : 0;
    for (unsigned i = top; i < rows->len && (int)(i - top) < list_h; i++) {
        attr_t attr = A_NORMAL;

        if (i == c->sel_domain)
            attr = focused ? A_REVERSE : A_BOLD;
        pane_domains_row(win, 2 + (int)(i - top), width, g_ptr_array_index(rows, i),
                         i == c->sel_domain, attr);
    }
}

static bool pane_domains_key(struct console *c, enum key_action action)
{
    unsigned n = c->host && c->host->domains ? c->host->domains->len : 0;
    unsigned before = c->sel_domain;
    bool handled = pane_list_move(&c->sel_domain, n, action);

    /* Another domain: its disks start from the top. */
    if (c->sel_domain != before)
        c->sel_disk = 0;
    return handled;
}

const struct pane_ops pane_domains = {
    .name = "Domains",
    .keys = KEYS_LIST,
    .draw = pane_domains_draw,
    .key = pane_domains_key,
};
