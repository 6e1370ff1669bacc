/* The console's state as every part of it sees it: the selection, the dialog stack, and
 * the two things the loop does on request (draw the screen, reload the host), reached
 * through the hooks console.c sets. The panes, dialogs and features (bench, apply, pins)
 * use these; only console.c runs the loop, so nothing here points back up at it. */
#include "tui/console.h"

#include "tui/dialog.h"
#include "tui/view.h"

const struct vm_domain *console_selected_domain(const struct console *c)
{
    if (!c->host || !c->host->domains || c->sel_domain >= c->host->domains->len)
        return NULL;
    return g_ptr_array_index(c->host->domains, c->sel_domain);
}

unsigned console_selected_disk_count(const struct console *c)
{
    const struct vm_domain *dom = console_selected_domain(c);
    const struct vm_config *cfg = dom ? vm_domain_config(dom) : NULL;

    return cfg && cfg->disks ? cfg->disks->len : 0;
}

const struct vm_disk *console_selected_disk(const struct console *c)
{
    const struct vm_domain *dom = console_selected_domain(c);
    const struct vm_config *cfg = dom ? vm_domain_config(dom) : NULL;

    if (!cfg || !cfg->disks || c->sel_disk >= cfg->disks->len)
        return NULL;
    return g_ptr_array_index(cfg->disks, c->sel_disk);
}

void console_put(WINDOW *win, int y, int x, const char *s, int width, attr_t attr)
{
    g_autofree char *text = NULL;

    if (width <= 0 || !s)
        return;
    text = view_fit(s, width);
    wattr_on(win, attr, NULL);
    mvwaddstr(win, y, x, text);
    wattr_off(win, attr, NULL);
}

int console_put_wrapped(WINDOW *win, int y, int x, const char *text, int width, int max, attr_t attr)
{
    const char *p = text;
    int n = 0;

    while (*p && n < max) {
        const char *end = p, *brk = NULL;
        int cols = 0;

        while (*end && cols < width) {
            if (*end == ' ')
                brk = end;
            end = g_utf8_next_char(end);
            cols++;
        }
        if (*end && brk)
            end = brk;
        {
            g_autofree char *line = g_strndup(p, (gsize)(end - p));

            console_put(win, y + n++, x, line, width, attr);
        }
        p = *end == ' ' ? end + 1 : end;
    }
    return n;
}

void console_dialog_push(struct console *c, const struct dialog_ops *d)
{
    if (!console_dialog_open(c, d))
        g_ptr_array_add(c->dialogs, (gpointer)d);
}

void console_dialog_pop(struct console *c, const struct dialog_ops *d)
{
    if (console_dialog_top(c) == d)
        g_ptr_array_remove_index(c->dialogs, c->dialogs->len - 1);
}

const struct dialog_ops *console_dialog_top(const struct console *c)
{
    return c->dialogs->len ? g_ptr_array_index(c->dialogs, c->dialogs->len - 1) : NULL;
}

bool console_dialog_open(const struct console *c, const struct dialog_ops *d)
{
    for (guint i = 0; i < c->dialogs->len; i++)
        if (g_ptr_array_index(c->dialogs, i) == d)
            return true;
    return false;
}

void console_redraw(const struct console *c)
{
    if (c->redraw)
        c->redraw(c);
}

void console_reload(struct console *c)
{
    if (c->reload)
        c->reload(c);
}
