/* The console's dialogs: a modal stack drawn over the panes, in the same event loop as
 * everything else (progress keeps updating under a dialog). The top one takes the keys
 * its table binds; the others wait under it. One file per dialog (tui/dialog_*.c). */
#pragma once
#include "tui/console.h"
#include "tui/keymap.h"

struct dialog_ops {
    const char *name;
    enum keymap_id keys;  /* its key table */
    void (*draw)(const struct console *c);
    /* An action from its table (ACTION_NONE for an unbound key: ignore it). */
    void (*key)(struct console *c, enum key_action action);
    /* Optional: a key its table does not bind, as typed (a cpuset into the pin editor);
     * true when it took it. */
    bool (*text)(struct console *c, int ch);
};

/* Open d on top / close the top dialog when it is d (idempotent). */
void console_dialog_push(struct console *c, const struct dialog_ops *d);
void console_dialog_pop(struct console *c, const struct dialog_ops *d);
/* The top dialog, NULL when none is open; whether d is open at all. */
const struct dialog_ops *console_dialog_top(const struct console *c);
bool console_dialog_open(const struct console *c, const struct dialog_ops *d);

/* The bench dialog of the selected disk (tui/dialog_bench.c; its state and keys are
 * tui/console_bench.c's). */
extern const struct dialog_ops dialog_bench;

/* The apply dialog (plan, confirm, verification) and the apply history
 * (tui/dialog_apply.c; state and keys in tui/console_apply.c). */
extern const struct dialog_ops dialog_apply;
extern const struct dialog_ops dialog_history;
/* The cross-check report of the selected disk (tui/dialog_bench.c; state and keys in
 * tui/console_bench.c). */
extern const struct dialog_ops dialog_crosscheck;
/* The recommendation report of the selected disk (tui/dialog_recommend.c; state and keys
 * in tui/console_recommend.c). */
extern const struct dialog_ops dialog_recommend;
/* The iothread pin editor (tui/dialog_pins.c; state and keys in tui/console_pins.c). */
extern const struct dialog_ops dialog_pins;

/* A dialog's window: at most want_h x want_w, centred, boxed in bold, its title on the top
 * border; *h and *w say what it got. NULL when the terminal cannot make one. Caller draws,
 * then wnoutrefresh() and delwin(). */
WINDOW *dialog_window(int want_h, int want_w, const char *title, int *h, int *w);

struct view_apply;
/* A view_apply's lines in a centred box, from *scroll (kept in range), with its hint. */
void dialog_draw_lines(const struct view_apply *v, unsigned *scroll);
/* A report's keys (a dialog of lines: the cross-check, the recommendation): j/k move
 * *scroll, Esc closes d. */
void dialog_report_key(struct console *c, const struct dialog_ops *d, unsigned *scroll,
                       enum key_action action);
