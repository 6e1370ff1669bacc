/* The bench dialog, drawn over the panes: workloads, runtime and write mode on the left,
 * cache and io modes on the right, then how many cells and how long, the safety model's
 * words for the mode, and why the last start was refused. Its state and keys are
 * tui/console_bench.c's; what it says is view_form_build()'s. */
#include "tui/dialog.h"

#include "tui/console_bench.h"
#include "tui/view_apply.h"
#include "tui/view_bench.h"

#define DIALOG_W 76
#define DIALOG_H 20

static void draw_column(WINDOW *win, int y, int x, int w, const GPtrArray *lines)
{
    for (guint i = 0; i < lines->len; i++) {
        const struct view_form_line *l = g_ptr_array_index(lines, i);

        console_put(win, y + (int)i, x, l->text, w, l->selected ? A_REVERSE : A_NORMAL);
    }
}

static void dialog_bench_draw(const struct console *c)
{
    const struct console_bench *b = c->bench;
    g_autoptr(ViewForm) v = view_form_build(&b->form, b->dialog_label);
    int w, h;
    WINDOW *win = dialog_window(DIALOG_H, DIALOG_W, v->title, &h, &w);
    int half = (w - 4) / 2, y;

    if (!win)
        return;
    console_put(win, 1, 2, "workload, runtime, mode, rounds", half - 1, A_UNDERLINE);
    console_put(win, 1, 2 + half, "cache and io modes", half - 1, A_UNDERLINE);
    draw_column(win, 2, 2, half - 1, v->left);
    draw_column(win, 2, 2 + half, half - 1, v->right);
    y = 2 + (int)MAX(v->left->len, v->right->len) + 1;
    console_put(win, y++, 2, v->summary, w - 4, v->startable ? A_BOLD : A_DIM);
    y += console_put_wrapped(win, y, 2, v->mode_words, w - 4, 2, A_NORMAL);
    if (b->dialog_error && y < h - 2)
        console_put_wrapped(win, y, 2, b->dialog_error, w - 4, h - 2 - y, A_BOLD);
    console_put(win, h - 2, 2, "j/k move  h/l column  Space tick  Enter start  Esc close",
                w - 4, A_DIM);
    wnoutrefresh(win);
    delwin(win);
}

static void dialog_bench_key(struct console *c, enum key_action action)
{
    console_bench_dialog_key(c, action);
}

const struct dialog_ops dialog_bench = {
    .name = "Bench",
    .keys = KEYS_DIALOG,
    .draw = dialog_bench_draw,
    .key = dialog_bench_key,
};

static void dialog_crosscheck_draw(const struct console *c)
{
    g_autoptr(ViewApply) v = console_bench_crosscheck_view(c);

    if (v)
        dialog_draw_lines(v, &c->bench->cross_scroll);
}

static void dialog_crosscheck_key(struct console *c, enum key_action action)
{
    dialog_report_key(c, &dialog_crosscheck, &c->bench->cross_scroll, action);
}

const struct dialog_ops dialog_crosscheck = {
    .name = "Cross-check",
    .keys = KEYS_CROSSCHECK,
    .draw = dialog_crosscheck_draw,
    .key = dialog_crosscheck_key,
};
