/* The help pane (?): the key map's own help lines, so it always says what the keys do. */
#include "tui/pane.h"

/* The focused pane's (or the top dialog's) keys first, then the global ones, then the rest;
 * j/k scroll when they do not fit. */
static void pane_help_draw(const struct console *c, WINDOW *win, bool focused)
{
    g_auto(GStrv) lines = keymap_help_lines(c->help_context);
    int h = getmaxy(win), w = getmaxx(win);
    int rows = h - 4, n = (int)g_strv_length(lines);
    int top = MIN((int)c->help_scroll, MAX(n - rows, 0));

    pane_frame(win, &pane_help, true);
    console_put(win, 1, 2, "Keys (what has the focus first, then these everywhere, then the rest):",
                w - 4, A_UNDERLINE);
    for (int i = 0; i < rows && top + i < n; i++) {
        bool heading = lines[top + i][0] != ' ';

        console_put(win, 2 + i, 2, lines[top + i], w - 4, heading ? A_BOLD : A_NORMAL);
    }
    console_put(win, h - 2, 2, top + rows < n ? "j/k scroll  Esc or ? close  (more below)"
                                              : "j/k scroll  Esc or ? close", w - 4, A_DIM);
}

/* While open, the help takes every key: its table's Esc and ? close it, the rest is
 * ignored so nothing moves behind it (q still quits: the console handles it first). */
static bool pane_help_key(struct console *c, enum key_action action)
{
    g_auto(GStrv) lines = keymap_help_lines(c->help_context);
    unsigned n = g_strv_length(lines);

    if (action == ACTION_CLOSE)
        c->help_open = false;
    else if (action == ACTION_DOWN && c->help_scroll + 1 < n)
        c->help_scroll++;
    else if (action == ACTION_UP && c->help_scroll > 0)
        c->help_scroll--;
    return true;
}

const struct pane_ops pane_help = {
    .name = "Help",
    .keys = KEYS_HELP,
    .draw = pane_help_draw,
    .key = pane_help_key,
};
