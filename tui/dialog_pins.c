/* The iothread pin editor, drawn over the panes from tui/view_pins.c's view model: the
 * host's CPUs by node and core (siblings side by side), what is pinned on the CPU under
 * the cursor, one row per iothread, and why the last key was refused. State and keys are
 * tui/console_pins.c's. */
#include "tui/dialog.h"

#include "tui/console_pins.h"
#include "tui/view_pins.h"

#define DIALOG_W 100
#define DIALOG_H 26
#define CELL_W 5

/* One node: "node 0" then its cores, each "core 0 [ 0][ 4]"; wraps to the next line. */
static int draw_node(WINDOW *win, int y, int w, const struct view_pin_node *n)
{
    int x = 12;

    console_put(win, y, 2, n->label, 9, A_BOLD);
    for (guint i = 0; i < n->cores->len; i++) {
        const struct view_pin_core *core = g_ptr_array_index(n->cores, i);
        int need = (int)core->cells->len * CELL_W + 2;

        if (x + need > w - 2) {
            y++;
            x = 12;
        }
        for (guint k = 0; k < core->cells->len; k++) {
            const struct view_pin_cell *cell = &g_array_index(core->cells, struct view_pin_cell, k);
            g_autofree char *text = g_strdup_printf("%c%2u%c%s", cell->chosen ? '[' : ' ', cell->cpu,
                                                    cell->chosen ? ']' : ' ',
                                                    cell->others ? "*" : cell->mine ? "v" : " ");
            attr_t attr = (cell->cursor ? A_REVERSE : 0) | (cell->chosen ? A_BOLD : 0) |
                          (cell->online ? 0 : A_DIM);

            console_put(win, y, x, text, CELL_W, attr);
            x += CELL_W;
        }
        x += 2;
    }
    return y + 1;
}

static void dialog_pins_draw(const struct console *c)
{
    g_autoptr(ViewPins) v = console_pins_view(c);
    int w, h, y = 1;
    WINDOW *win = v ? dialog_window(DIALOG_H, DIALOG_W, v->title, &h, &w) : NULL;

    if (!win)
        return;
    for (guint i = 0; i < v->nodes->len && y < h - 8; i++)
        y = draw_node(win, y, w, g_ptr_array_index(v->nodes, i));
    console_put(win, y++, 2, v->legend, w - 4, A_DIM);
    console_put(win, y++, 2, v->cursor_cpu, w - 4, A_NORMAL);
    y++;
    for (guint i = 0; i < v->rows->len && y < h - 6; i++)
        console_put(win, y++, 2, g_ptr_array_index(v->rows, i), w - 4,
                    i == v->sel_row ? A_REVERSE : A_NORMAL);
    if (v->rows->len == 0)
        console_put(win, y++, 2, "no iothread: + adds one", w - 4, A_DIM);
    if (v->why && y + 1 < h - 6) {
        g_autofree char *why = g_strdup_printf("suggested: %s", v->why);

        y += 1 + console_put_wrapped(win, y + 1, 2, why, w - 4, h - 6 - (y + 1), A_NORMAL);
    }
    if (v->origin)
        console_put_wrapped(win, h - 6, 2, v->origin, w - 4, 2, A_BOLD);
    if (v->error)
        console_put(win, h - 4, 2, v->error, w - 4, A_BOLD | A_REVERSE);
    console_put(win, h - 3, 2, v->note, w - 4, A_DIM);
    console_put(win, h - 2, 2, "j/k iothread  h/l CPU  Space pin  0-9 type  + x add/remove  "
                "o suggestion  Enter plan  Esc close", w - 4, A_DIM);
    wnoutrefresh(win);
    delwin(win);
}

static void dialog_pins_key(struct console *c, enum key_action action)
{
    console_pins_key(c, action);
}

static bool dialog_pins_text(struct console *c, int ch)
{
    return console_pins_text(c, ch);
}

const struct dialog_ops dialog_pins = {
    .name = "Pins",
    .keys = KEYS_PINS,
    .draw = dialog_pins_draw,
    .key = dialog_pins_key,
    .text = dialog_pins_text,
};
