/* The help pane (?): the key map's own help lines, so it always says what the keys do. */
#include "tui/pane.h"

static void pane_help_draw(const struct console *c, WINDOW *win, bool focused)
{
    g_auto(GStrv) lines = keymap_help_lines();
    int h = getmaxy(win), w = getmaxx(win);
    int y = 2;

    pane_frame(win, &pane_help, true);
    console_put(win, 1, 2, "Keys:", w - 4, A_UNDERLINE);
    for (size_t i = 0; lines[i] && y < h - 2; i++)
        console_put(win, y++, 2, lines[i], w - 4, A_NORMAL);
    if (y + 1 < h - 1)
        console_put(win, y + 1, 2,
                    "virt-disktune lists each domain's disks and what lies beneath them.",
                    w - 4, A_DIM);
}

/* While open, the help takes every key: Esc and ? close it, the rest is ignored so nothing
 * moves behind it (q still quits: the console handles it first). */
static bool pane_help_key(struct console *c, enum key_action action)
{
    if (action == ACTION_CLOSE || action == ACTION_HELP)
        c->help_open = false;
    return true;
}

const struct pane_ops pane_help = {
    .name = "Help",
    .draw = pane_help_draw,
    .key = pane_help_key,
};
