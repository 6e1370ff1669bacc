/* The console's state: what is loaded, what is selected, what has focus. The panes draw
 * from it and change it through their key handlers; nothing is kept in the screen. */
#pragma once
#include <curses.h>
#include <stdbool.h>
#include "core/model.h"
#include "core/session.h"

enum console_focus {
    FOCUS_DOMAINS,
    FOCUS_DISKS,
    FOCUS_RESULTS,   /* only while the selected disk has results */
    FOCUS_COUNT
};

struct console_bench;   /* tui/console_bench.h */
struct console_apply;   /* tui/console_apply.h */
struct console_pins;    /* tui/console_pins.h */
struct console_loader;

struct console {
    struct session *session;   /* borrowed from the caller */
    struct host_model *host;   /* NULL until the first load ends */
    bool loading;              /* a load runs on the worker */
    char *status;              /* last error, one line; NULL when none */
    /* A preserve journal waits (its target in use, or not its target): the banner, escaped;
     * NULL when none (tui/console.c runs the recovery at the start). */
    char *journal_banner;
    enum console_focus focus;
    unsigned sel_domain;       /* index into host->domains */
    unsigned sel_disk;         /* index into the selected domain's disks */
    bool help_open;
    int help_context;          /* enum keymap_id: what had the focus when it opened */
    unsigned help_scroll;
    bool quit;
    int stopped_by;            /* the signal that ended it (SIGHUP, ...); 0 for q */
    struct console_bench *bench; /* the dialog, the running bench, every disk's results */
    struct console_apply *apply; /* the apply dialog and history */
    struct console_pins *pins;   /* the iothread pin editor */
    struct console_loader *loader; /* the host loader (console.c's) */
    /* Set by console.c, which runs the loop: draw the screen, load the host again. */
    void (*redraw)(const struct console *c);
    void (*reload)(struct console *c);
    GPtrArray *dialogs;        /* const struct dialog_ops *: the modal stack, top last */
    GMainLoop *loop;           /* the console's one event loop */
};

/* The selected domain, NULL when nothing is loaded or the host has none. */
const struct vm_domain *console_selected_domain(const struct console *c);

/* Number of disks the selected domain shows (0 when none). */
unsigned console_selected_disk_count(const struct console *c);

/* The selected disk of the selected domain, NULL when none. */
const struct vm_disk *console_selected_disk(const struct console *c);

/* Load the host again on the worker (after an apply), unless a load runs already. */
void console_reload(struct console *c);

/* Draw the whole screen from c (after an event changed it). */
void console_redraw(const struct console *c);

/* Draw s at (y, x) in win, cut to width columns by view_fit() (tui/view.h). */
void console_put(WINDOW *win, int y, int x, const char *s, int width, attr_t attr);
/* Text over as many lines as it needs (at most max), broken at spaces; returns the lines used. */
int console_put_wrapped(WINDOW *win, int y, int x, const char *text, int width, int max,
                        attr_t attr);
