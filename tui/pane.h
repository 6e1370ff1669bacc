/* A pane of the console: one file per pane (tui/pane_*.c), each an ops struct. A pane
 * draws its view model (tui/view.h) into the window the console gives it, and handles the
 * key actions meant for it while it has focus. */
#pragma once
#include <curses.h>
#include <stdbool.h>
#include "tui/console.h"
#include "tui/keymap.h"

struct pane_ops {
    const char *name;   /* the pane's title */
    enum keymap_id keys; /* its own key table (tui/keymap.c); unbound keys go to the global one */
    /* Draw the whole window from c; focused: the pane receives the keys. */
    void (*draw)(const struct console *c, WINDOW *win, bool focused);
    /* true when the action was the pane's to handle. */
    bool (*key)(struct console *c, enum key_action action);
};

/* Up/down over a list of count rows, the selection kept in range: true when the action was a
 * move (handled, whether or not the selection could change). Shared by every list pane. */
static inline bool pane_list_move(unsigned *sel, unsigned count, enum key_action action)
{
    switch (action) {
    case ACTION_DOWN:
        if (*sel + 1 < count)
            (*sel)++;
        return true;
    case ACTION_UP:
        if (*sel > 0)
            (*sel)--;
        return true;
    default:
        return false;
    }
}

/* Clear the pane's window and draw its frame with " name " in it, bold when focused. */
static inline void pane_frame(WINDOW *win, const struct pane_ops *pane, bool focused)
{
    g_autofree char *title = g_strdup_printf(" %s ", pane->name);

    werase(win);
    if (focused)
        wattron(win, A_BOLD);
    box(win, 0, 0);
    console_put(win, 0, 2, title, getmaxx(win) - 4, focused ? A_BOLD : A_NORMAL);
    wattroff(win, A_BOLD);
}

extern const struct pane_ops pane_domains;
extern const struct pane_ops pane_disks;
extern const struct pane_ops pane_help;
extern const struct pane_ops pane_results;
