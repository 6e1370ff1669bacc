/* The help pane (?): the key map's own help lines, so it always says what the keys do. */
#include "tui/pane.h"

/* One column, or two when the tables do not fit the height (an 80x24 terminal). */
static void pane_help_draw(const struct console *c, WINDOW *win, bool focused)
{
    g_auto(GStrv) lines = keymap_help_lines();
    int h = getmaxy(win), w = getmaxx(win);
    int rows = h - 4, n = (int)g_strv_length(lines);
    int cols = n > rows && w >= 80 ? 2 : 1, col_w = (w - 4) / cols;

    pane_frame(win, &pane_help, true);
    console_put(win, 1, 2, "Keys (the focused pane's first, then these everywhere):", w - 4,
                A_UNDERLINE);
    for (int i = 0; i < n && rows > 0 && i < rows * cols; i++) {
        int x = 2 + (i / rows) * col_w, y = 2 + i % rows;
        bool heading = lines[i][0] != ' ';

        console_put(win, y, x, lines[i], col_w - 1, heading ? A_BOLD : A_NORMAL);
    }
    if (n < rows)
        console_put(win, h - 2, 2,
                    "virt-disktune lists each domain's disks and what lies beneath them, "
                    "and benchmarks them.", w - 4, A_DIM);
}

/* While open, the help takes every key: its table's Esc and ? close it, the rest is
 * ignored so nothing moves behind it (q still quits: the console handles it first). */
static bool pane_help_key(struct console *c, enum key_action action)
{
    if (action == ACTION_CLOSE)
        c->help_open = false;
    return true;
}

const struct pane_ops pane_help = {
    .name = "Help",
    .keys = KEYS_HELP,
    .draw = pane_help_draw,
    .key = pane_help_key,
};
