/* Bottom pane: the selected disk's bench — the progress of a run (the cell, a bar for the
 * cell and one for the matrix, live IOPS, the time left) and the results grid, cache modes
 * down and io modes across, each cell a figure and a bar scaled to the best. */
#include "tui/console_bench.h"
#include "tui/console_recommend.h"
#include "tui/pane.h"
#include "tui/view_bench.h"

#define LABEL_W 14
#define TEXT_W 9

/* "[#######     ]" filling frac of width columns (brackets included). */
static void draw_bar(WINDOW *win, int y, int x, int width, double frac, attr_t attr)
{
    int inner = width - 2, fill;

    if (inner <= 0)
        return;
    fill = (int)(frac * inner + 0.5);
    fill = CLAMP(fill, 0, inner);
    mvwaddch(win, y, x, '[');
    for (int i = 0; i < inner; i++)
        mvwaddch(win, y, x + 1 + i, i < fill ? ('#' | attr) : ' ');
    mvwaddch(win, y, x + 1 + inner, ']');
}

static int draw_progress(const struct console *c, WINDOW *win, int y, int width)
{
    struct bench_progress p;
    const struct bench_plan *plan = c->bench->job->plan;
    g_autoptr(ViewProgress) v = NULL;
    int bar_w = MIN(30, width / 3);

    bench_run_progress(c->bench->job->run, &p);
    v = view_progress_build(plan, &p, c->bench->done);
    console_put(win, y, 2, v->cell, width - bar_w - 3, A_BOLD);
    draw_bar(win, y, width - bar_w, bar_w, v->cell_frac, A_NORMAL);
    y++;
    console_put(win, y, 2, v->left, width - bar_w - 3, A_NORMAL);
    draw_bar(win, y, width - bar_w, bar_w, v->matrix_frac, A_BOLD);
    y++;
    console_put(win, y, 2, v->live, width - 1, A_NORMAL);
    console_put(win, y, width - 24, "c or Esc cancels", 22, A_DIM);
    return y + 1;
}

static void draw_grid(const struct console *c, WINDOW *win, int y, int h, int width,
                      const struct console_results *r, const struct vm_domain *dom,
                      const struct vm_disk *disk, bool focused)
{
    gint64 age = r->measured_at ? g_get_real_time() / G_USEC_PER_SEC - r->measured_at : -1;
    g_autoptr(ViewResults) v = view_results_build(console_results_plan(r), r->wl, r->metric, disk->cache,
                                                  disk->io, r->sel_cache, r->sel_io, age,
                                                  r->detail);
    int col_w = MAX((width - LABEL_W) / IO_COUNT, TEXT_W + 3);
    g_autofree char *versus_title = NULL;
    const struct bench_plan *other = console_results_versus(r, &versus_title);

    if (other)
        view_results_versus(v, console_results_plan(r), other, r->wl, r->metric, versus_title);
    console_put(win, y++, 2, v->title, width - 1, A_BOLD);
    if (v->versus_title)
        console_put(win, y++, 2, v->versus_title, width - 1, A_BOLD);
    console_put(win, y++, 2, v->workloads, width - 1, A_NORMAL);
    if (c->bench->running != r) {
        g_autofree char *line = console_recommend_line(r, dom, disk);

        console_put(win, y++, 2, line, width - 1, A_BOLD);
    }
    if (v->detail) {
        for (size_t i = 0; v->detail[i] && y < h - 1; i++)
            console_put(win, y++, 4, v->detail[i], width - 3, i ? A_NORMAL : A_BOLD);
        if (y < h - 1)
            console_put(win, y, 4, "Enter or Esc closes", width - 3, A_DIM);
        return;
    }
    console_put(win, y, 2, "cache", LABEL_W - 2, A_UNDERLINE);
    for (int i = 0; i < IO_COUNT; i++)
        console_put(win, y, LABEL_W + i * col_w, io_mode_info(i)->name, col_w - 1, A_UNDERLINE);
    y++;
    for (int cm = 0; cm < CACHE_COUNT && y < h - 2; cm++, y++) {
        console_put(win, y, 2, cache_mode_info(cm)->name, LABEL_W - 2, A_NORMAL);
        for (int i = 0; i < IO_COUNT; i++) {
            const struct view_result_cell *cell = &v->cells[cm][i];
            int x = LABEL_W + i * col_w;
            bool cursor = focused && cm == v->sel_cache && i == v->sel_io;
            g_autofree char *text = g_strdup_printf("%s%s%s", cell->best ? "*" : cell->tie ? "~" : " ",
                                                    cell->current ? "=" : " ", cell->text);
            attr_t attr = (cursor ? A_REVERSE : A_NORMAL) | (cell->best || cell->tie ? A_BOLD : 0) |
                          (cell->measured ? 0 : A_DIM);

            console_put(win, y, x, text, MIN(TEXT_W + 2, col_w - 1), attr);
            /* Beside another run (v), its figure and the change take the bar's place. */
            if (cell->versus)
                console_put(win, y, x + TEXT_W + 2, cell->versus, col_w - TEXT_W - 3, A_NORMAL);
            else if (cell->bar >= 0 && !v->versus_title)
                draw_bar(win, y, x + TEXT_W + 2, col_w - TEXT_W - 3, cell->bar, A_NORMAL);
        }
    }
    if (y < h - 1)
        console_put(win, y, 2, v->legend, width - 1, A_DIM);
    if (y + 1 < h - 1)
        console_put(win, y + 1, 2, "m metric  w workload  v vs an earlier run  Tab, arrows: a cell  Enter: its figures  a: apply it",
                    width - 1, A_DIM);

}

static void pane_results_draw(const struct console *c, WINDOW *win, bool focused)
{
    const struct vm_domain *dom = console_selected_domain(c);
    const struct vm_disk *disk = console_selected_disk(c);
    const struct console_results *r = console_bench_results(c->bench, dom ? dom->name : NULL,
                                                            disk ? disk->target : NULL);
    int h = getmaxy(win), w = getmaxx(win), width = w - 2, y = 1;

    pane_frame(win, &pane_results, focused);
    if (c->bench->running && c->bench->running == r)
        y = draw_progress(c, win, y, width);
    else if (c->bench->preparing)
        console_put(win, y++, 2, "preparing the bench…", width - 1, A_BOLD);
    if (!r || !disk) {
        console_put(win, y, 2, "no results for this disk yet: b benchmarks it", width - 1, A_DIM);
        return;
    }
    draw_grid(c, win, y, h, width, r, dom, disk, focused);
}

static bool pane_results_key(struct console *c, enum key_action action)
{
    return console_bench_results_key(c, action);
}

const struct pane_ops pane_results = {
    .name = "Results",
    .keys = KEYS_RESULTS,
    .draw = pane_results_draw,
    .key = pane_results_key,
};
