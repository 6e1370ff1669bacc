/* The recommendation report (R in the results): its reasons and warnings. State and keys
 * in tui/console_recommend.c. */
#include "tui/console_bench.h"
#include "tui/console_recommend.h"
#include "tui/dialog.h"
#include "tui/view_apply.h"

static void dialog_recommend_draw(const struct console *c)
{
    g_autoptr(ViewApply) v = console_recommend_view(c);

    if (v)
        dialog_draw_lines(v, &c->bench->recommend_scroll);
}

static void dialog_recommend_key(struct console *c, enum key_action action)
{
    dialog_report_key(c, &dialog_recommend, &c->bench->recommend_scroll, action);
}

const struct dialog_ops dialog_recommend = {
    .name = "Recommendation",
    .keys = KEYS_RECOMMEND,
    .draw = dialog_recommend_draw,
    .key = dialog_recommend_key,
};
