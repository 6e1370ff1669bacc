/* The apply dialog (plan, confirm, spinner, verification) and the apply history, drawn over
 * the panes from tui/view_apply.c's view models; their state and keys are
 * tui/console_apply.c's. */
#include "tui/dialog.h"

#include "core/statedir.h"
#include "tui/console_apply.h"
#include "tui/view_apply.h"

#define DIALOG_W 100
#define DIALOG_H 24

static attr_t attr_of(enum view_line_kind kind)
{
    switch (kind) {
    case VIEW_LINE_HEAD: return A_BOLD;
    case VIEW_LINE_DIM: return A_DIM;
    case VIEW_LINE_OK: return A_NORMAL;
    case VIEW_LINE_BAD: return A_BOLD | A_REVERSE;
    default: return A_NORMAL;
    }
}

WINDOW *dialog_window(int want_h, int want_w, const char *title, int *h, int *w)
{
    WINDOW *win;

    *w = MIN(want_w, COLS - 2);
    *h = MIN(want_h, LINES - 2);
    win = newwin(*h, *w, (LINES - *h) / 2, (COLS - *w) / 2);
    if (!win)
        return NULL;
    werase(win);
    wattron(win, A_BOLD);
    box(win, 0, 0);
    wattroff(win, A_BOLD);
    console_put(win, 0, 2, title, *w - 4, A_BOLD);
    return win;
}

void dialog_report_key(struct console *c, const struct dialog_ops *d, unsigned *scroll,
                       enum key_action action)
{
    if (action == ACTION_DOWN)
        (*scroll)++;
    else if (action == ACTION_UP && *scroll > 0)
        (*scroll)--;
    else if (action == ACTION_CLOSE)
        console_dialog_pop(c, d);
}

void dialog_draw_lines(const struct view_apply *v, unsigned *scroll)
{
    int w, h;
    WINDOW *win = dialog_window(DIALOG_H, DIALOG_W, v->title, &h, &w);
    int rows = h - 3;
    unsigned top;

    if (!win)
        return;
    /* Keep the scroll inside what there is to see. */
    if (v->lines->len <= (unsigned)rows)
        *scroll = 0;
    else if (*scroll > v->lines->len - (unsigned)rows)
        *scroll = v->lines->len - (unsigned)rows;
    top = *scroll;
    for (int i = 0; i < rows && top + (unsigned)i < v->lines->len; i++) {
        const struct view_line *l = g_ptr_array_index(v->lines, top + (unsigned)i);

        console_put(win, 1 + i, 2, l->text, w - 4, attr_of(l->kind));
    }
    if (top + (unsigned)rows < v->lines->len)
        console_put(win, h - 2, w - 12, "(more: j)", 10, A_DIM);
    console_put(win, h - 2, 2, v->hint, w - 16, A_DIM);
    wnoutrefresh(win);
    delwin(win);
}

static void dialog_apply_draw(const struct console *c)
{
    g_autoptr(ViewApply) v = console_apply_view(c);

    dialog_draw_lines(v, &c->apply->scroll);
}

static void dialog_apply_key(struct console *c, enum key_action action)
{
    console_apply_key(c, action);
}

const struct dialog_ops dialog_apply = {
    .name = "Apply",
    .keys = KEYS_APPLY,
    .draw = dialog_apply_draw,
    .key = dialog_apply_key,
};

static void dialog_history_draw(const struct console *c)
{
    g_autofree char *dir = NULL;
    g_autoptr(ViewApply) v = NULL;

    dir = statedir_apply_here();
    v = view_history_build(c->apply->domain, c->apply->records, dir);
    dialog_draw_lines(v, &c->apply->scroll);
}

static void dialog_history_key(struct console *c, enum key_action action)
{
    console_apply_history_key(c, action);
}

const struct dialog_ops dialog_history = {
    .name = "History",
    .keys = KEYS_HISTORY,
    .draw = dialog_history_draw,
    .key = dialog_history_key,
};
