/* Right pane: the selected domain's disks, their cache/io/iothread, and under each what
 * lies beneath it (or why it cannot be benchmarked). */
#include "tui/pane.h"
#include "tui/view.h"

#define DISK_LINES 3
#define TARGET_W 8
#define BUS_W 8
#define INDENT 4

static void pane_disks_row(WINDOW *win, int y, int width, const struct view_disk_row *row,
                           bool selected, attr_t attr)
{
    mvwchgat(win, y, 1, width, attr, 0, NULL);
    if (selected)
        console_put(win, y, 1, ">", 1, attr);
    console_put(win, y, 2, row->target, TARGET_W, attr | A_BOLD);
    console_put(win, y, 2 + TARGET_W, row->bus, BUS_W, attr);
    console_put(win, y, 2 + TARGET_W + BUS_W, row->settings, width - TARGET_W - BUS_W - 1, attr);
    /* A change waiting for the power-off takes the source's line: it matters more now. */
    if (row->pending)
        console_put(win, y + 1, 2 + INDENT, row->pending, width - INDENT - 1, A_BOLD);
    else
        console_put(win, y + 1, 2 + INDENT, row->source, width - INDENT - 1, A_NORMAL);
    console_put(win, y + 2, 2 + INDENT, row->beneath, width - INDENT - 1,
                row->benchable ? A_NORMAL : A_DIM);
}

static void pane_disks_draw(const struct console *c, WINDOW *win, bool focused)
{
    g_autoptr(ViewDisks) v = view_disks_build(console_selected_domain(c));
    int h = getmaxy(win), w = getmaxx(win);
    int width = w - 2, y = 1;
    unsigned fit, top;

    pane_frame(win, &pane_disks, focused);
    if (!console_selected_domain(c))
        return;
    console_put(win, y++, 2, v->title, width - 1, A_BOLD);
    if (v->error)
        console_put(win, y++, 2, v->error, width - 1, A_BOLD);
    console_put(win, y++, 2, v->pins ? v->pins : "no pins", width - 1, A_NORMAL);
    if (v->disks->len == 0) {
        console_put(win, y + 1, 2, "no disks", width - 1, A_DIM);
        return;
    }
    fit = h - 1 > y ? (unsigned)(h - 1 - y) / DISK_LINES : 0;
    if (fit == 0)
        return;
    top = c->sel_disk >= fit ? c->sel_disk - fit + 1 : 0;
    for (unsigned i = top; i < v->disks->len && i - top < fit; i++) {
        bool selected = i == c->sel_disk && focused;

        pane_disks_row(win, y + (int)(i - top) * DISK_LINES, width,
                       g_ptr_array_index(v->disks, i), selected,
                       selected ? A_REVERSE : A_NORMAL);
    }
}

static bool pane_disks_key(struct console *c, enum key_action action)
{
    return pane_list_move(&c->sel_disk, console_selected_disk_count(c), action);
}

const struct pane_ops pane_disks = {
    .name = "Disks",
    .keys = KEYS_LIST,
    .draw = pane_disks_draw,
    .key = pane_disks_key,
};
