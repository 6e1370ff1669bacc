/* The console: option parsing, the event loop and the layout. Everything runs from one
 * GLib main loop: stdin, the host loader's pipe, the bench's eventfd and timer, and the
 * stop and resize signals are its sources, so the screen keeps answering keys (q, ?, c)
 * while libvirt is slow or a bench runs, and dialogs are drawn over the panes in the same
 * loop. Loading the host runs on a worker thread that posts its end through the pipe. */
#include "tui/console.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "core/bench_output.h"
#include "core/statedir.h"
#include "core/host.h"
#include "core/results_store.h"
#include "core/textesc.h"
#include "core/recover.h"
#include "core/undo_store.h"
#include "tui/cli.h"
#include "tui/console_apply.h"
#include "tui/console_bench.h"
#include "tui/console_pins.h"
#include "tui/dialog.h"
#include "tui/pane.h"
#include "tui/view.h"

#define MIN_COLS 80
#define MIN_LINES 24
#define DOMAINS_W 46
#define RESULTS_H 12        /* the results grid: title, workloads, header, 5 rows, legend */
#define PROGRESS_H 3

/* The worker's hand-over: written by the worker before it posts the pipe, read by the UI
 * thread after it has read the pipe and joined; the join orders the accesses. */
struct console_loader {
    GThread *thread;
    int pipe_rd, pipe_wr;
    struct session *session;
    GMutex lock;                  /* guards names */
    bool want_names;              /* the first load: paint the names before the rest */
    struct host_model *names;     /* host_load_names(): posted first ('n'), then the rest */
    struct host_model *result;
    GError *err;
    GPtrArray *saved;     /* struct results_run *: the results store, newest first */
    GPtrArray *skipped;   /* char *: saved files that could not be read */
    GPtrArray *applies;   /* struct undo_record *: every apply record, oldest first */
};




/* The results pane shows while the selected disk has results or a bench is under way. */
static bool console_shows_results(const struct console *c)
{
    const struct vm_domain *dom = console_selected_domain(c);
    const struct vm_disk *disk = console_selected_disk(c);

    return console_bench_busy(c->bench) ||
           console_bench_results(c->bench, dom ? dom->name : NULL, disk ? disk->target : NULL);
}


/* Tells the UI thread through the pipe: 'n' the names are in, 'x' the load has ended. */
static void loader_post(struct console_loader *l, char what)
{
    ssize_t n;

    do
        n = write(l->pipe_wr, &what, 1);
    while (n < 0 && errno == EINTR);
    /* The pipe is empty but for at most these two bytes: a write cannot fail for room. */
}

static gpointer console_loader_run(gpointer data)
{
    struct console_loader *l = data;
    struct host_load_opts opts = { .resolve_backing = true, .sysfs_root = NULL };
    g_autofree char *dir = statedir_results_here();
    g_autofree char *apply_dir = statedir_apply_here();
    /* Names and states first (two calls), so a large host paints at once; the
     * descriptions follow. A reload keeps the host shown until then. */
    struct host_model *names = l->want_names ? host_load_names(l->session, NULL) : NULL;

    if (names) {
        g_mutex_lock(&l->lock);
        l->names = names;
        g_mutex_unlock(&l->lock);
        loader_post(l, 'n');
    }
    l->result = host_load(l->session, &opts, &l->err);
    /* Each disk's last results, measured before this console started. */
    l->saved = results_store_load(dir, &l->skipped);
    /* When each domain was last applied to: the results pane's "before the apply" run. */
    l->applies = undo_store_list(apply_dir, NULL, NULL);
    loader_post(l, 'x');
    return NULL;
}

static void console_set_status(struct console *c, const char *msg)
{
    g_free(c->status);
    c->status = msg ? g_strdup(msg) : NULL;
}

static void console_start_load(struct console *c, struct console_loader *l)
{
    g_autoptr(GError) err = NULL;

    if (c->loading)
        return;
    l->result = NULL;
    l->want_names = c->host == NULL;
    g_clear_error(&l->err);
    l->thread = g_thread_try_new("host-load", console_loader_run, l, &err);
    if (!l->thread) {
        console_set_status(c, err->message);
        return;
    }
    c->loading = true;
    console_set_status(c, NULL);
}

static void console_reload_host(struct console *c)
{
    console_start_load(c, c->loader);
}

/* Keep the same domain selected across a reload when it still exists. */
static void console_install_host(struct console *c, struct host_model *host)
{
    const struct vm_domain *old = console_selected_domain(c);
    g_autofree char *name = old ? g_strdup(old->name) : NULL;
    unsigned keep_disk = c->sel_disk;

    if (c->host)
        host_model_free(c->host);
    c->host = host;
    c->sel_domain = 0;
    c->sel_disk = 0;
    for (unsigned i = 0; name && host->domains && i < host->domains->len; i++) {
        const struct vm_domain *dom = g_ptr_array_index(host->domains, i);

        if (g_strcmp0(dom->name, name) == 0) {
            c->sel_domain = i;
            c->sel_disk = keep_disk;
            break;
        }
    }
    if (c->sel_disk >= console_selected_disk_count(c))
        c->sel_disk = 0;
}

static void console_finish_load(struct console *c, struct console_loader *l)
{
    char byte;
    ssize_t n;

    do
        n = read(l->pipe_rd, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1 || !l->thread)
        return;
    if (byte == 'n') {
        struct host_model *names;

        g_mutex_lock(&l->lock);
        names = g_steal_pointer(&l->names);
        g_mutex_unlock(&l->lock);
        /* Only the first load paints names alone: a reload keeps the full host shown. */
        if (names && !c->host)
            console_install_host(c, names);
        else if (names)
            host_model_free(names);
        return;
    }
    g_thread_join(l->thread);
    l->thread = NULL;
    c->loading = false;
    if (l->result) {
        console_install_host(c, g_steal_pointer(&l->result));
        console_bench_adopt_saved(c->bench, g_steal_pointer(&l->saved), c->host, l->applies);
        if (l->skipped && l->skipped->len) {
            g_autofree char *msg = g_strdup_printf("%u saved result file%s not read: %s",
                                                   l->skipped->len,
                                                   l->skipped->len == 1 ? "" : "s",
                                                   (const char *)g_ptr_array_index(l->skipped, 0));
            g_autofree char *esc = textesc_escape(msg);

            console_set_status(c, esc);
        }
    } else {
        g_autofree char *msg = g_strdup_printf("loading failed: %s",
                                               l->err ? l->err->message : "unknown error");
        g_autofree char *esc = textesc_escape(msg);

        console_set_status(c, esc);
    }
    g_clear_pointer(&l->saved, g_ptr_array_unref);
    g_clear_pointer(&l->skipped, g_ptr_array_unref);
    g_clear_pointer(&l->applies, g_ptr_array_unref);
}

/* Returns the number of rows it took. */
static int console_draw_header(const struct console *c, int cols)
{
    g_autoptr(ViewHeader) h = view_header_build(session_uri(c->session),
                                                session_read_only(c->session),
                                                session_fallback_reason(c->session), c->host);
    g_autofree char *line = g_strdup_printf(" virt-disktune  %s  host %s", h->uri, h->hostname);
    int rows = 2;

    mvhline(0, 0, ' ' | A_REVERSE, cols);
    console_put(stdscr, 0, 0, line, cols, A_REVERSE);
    console_put(stdscr, 1, 1, h->cpus, cols - 2, A_NORMAL);
    if (h->banner) {
        mvhline(rows, 0, ' ' | A_BOLD | A_REVERSE, cols);
        console_put(stdscr, rows, 1, h->banner, cols - 2, A_BOLD | A_REVERSE);
        rows++;
    }
    if (c->journal_banner) {
        mvhline(rows, 0, ' ' | A_BOLD | A_REVERSE, cols);
        console_put(stdscr, rows, 1, c->journal_banner, cols - 2, A_BOLD | A_REVERSE);
        rows++;
    }
    return rows;
}

static void console_draw_footer(const struct console *c, int lines, int cols)
{
    g_autofree char *bar = keymap_bar();
    g_autofree char *summary = NULL;

    if (c->status) {
        console_put(stdscr, lines - 2, 1, c->status, cols - 2, A_BOLD);
    } else if (c->bench->notice) {
        console_put(stdscr, lines - 2, 1, c->bench->notice, cols - 2, A_NORMAL);
    } else if (c->loading) {
        console_put(stdscr, lines - 2, 1, "loading…", cols - 2, A_NORMAL);
    } else if (c->host) {
        unsigned ndom = c->host->domains ? c->host->domains->len : 0;

        summary = g_strdup_printf("%u domain%s", ndom, ndom == 1 ? "" : "s");
        console_put(stdscr, lines - 2, 1, summary, cols - 2, A_DIM);
    }
    mvhline(lines - 1, 0, ' ' | A_REVERSE, cols);
    console_put(stdscr, lines - 1, 1, bar, cols - 2, A_REVERSE);
}

static void console_draw_pane(const struct console *c, const struct pane_ops *pane,
                              int y, int x, int h, int w, bool focused)
{
    WINDOW *win = derwin(stdscr, h, w, y, x);

    if (!win)
        return;
    pane->draw(c, win, focused);
    delwin(win);
}

static void console_draw(const struct console *c)
{
    int lines = LINES, cols = COLS;
    int top, main_h, left_w, upper_h;

    erase();
    if (lines < MIN_LINES || cols < MIN_COLS) {
        g_autofree char *msg = g_strdup_printf("terminal too small (%dx%d): needs %dx%d",
                                               cols, lines, MIN_COLS, MIN_LINES);

        console_put(stdscr, 0, 0, msg, cols, A_BOLD);
        refresh();
        return;
    }
    top = console_draw_header(c, cols);
    main_h = lines - top - 2;
    left_w = MIN(DOMAINS_W, cols / 2);
    upper_h = main_h;
    if (c->help_open) {
        console_draw_pane(c, &pane_help, top, 0, main_h, cols, true);
    } else {
        if (console_shows_results(c)) {
            int res_h = RESULTS_H + (console_bench_busy(c->bench) ? PROGRESS_H : 0);

            res_h = MIN(res_h, main_h - 5);
            upper_h = main_h - res_h;
            console_draw_pane(c, &pane_results, top + upper_h, 0, res_h, cols,
                              c->focus == FOCUS_RESULTS);
        }
        console_draw_pane(c, &pane_domains, top, 0, upper_h, left_w, c->focus == FOCUS_DOMAINS);
        console_draw_pane(c, &pane_disks, top, left_w, upper_h, cols - left_w,
                          c->focus == FOCUS_DISKS);
    }
    console_draw_footer(c, lines, cols);
    /* The panes drew through subwindows: mark the parent so refresh sends it all. */
    touchwin(stdscr);
    wnoutrefresh(stdscr);
    for (guint i = 0; !c->help_open && i < c->dialogs->len; i++)
        ((const struct dialog_ops *)g_ptr_array_index(c->dialogs, i))->draw(c);
    doupdate();
}





static void console_next_focus(struct console *c)
{
    c->focus = (enum console_focus)((c->focus + 1) % FOCUS_COUNT);
    if (c->focus == FOCUS_RESULTS && !console_shows_results(c))
        c->focus = FOCUS_DOMAINS;
}

static const struct pane_ops *console_focused_pane(const struct console *c)
{
    switch (c->focus) {
    case FOCUS_DISKS: return &pane_disks;
    case FOCUS_RESULTS: return &pane_results;
    default: return &pane_domains;
    }
}

static void console_open_help(struct console *c, enum keymap_id context)
{
    c->help_open = true;
    c->help_context = context;
    c->help_scroll = 0;
}

/* The actions a pane's table binds that open a dialog on the selection. */
static bool console_pane_action(struct console *c, enum key_action action)
{
    const char *cache = NULL, *io = NULL;

    switch (action) {
    case ACTION_APPLY:
        if (console_bench_cursor_cell(c, &cache, &io))
            console_apply_from_cell(c, cache, io);
        return true;
    case ACTION_UNDO:
        console_apply_open_undo(c);
        return true;
    case ACTION_HISTORY:
        console_apply_open_history(c);
        return true;
    case ACTION_PINS:
        console_pins_open(c);
        return true;
    default:
        return false;
    }
}

/* A key goes to the table of what has the focus — the help, the dialog on top, else the
 * focused pane — and, when that does not take it, to the global table. */
static void console_key(struct console *c, struct console_loader *l, int ch)
{
    const struct pane_ops *pane = console_focused_pane(c);
    const struct dialog_ops *dialog = console_dialog_top(c);
    enum keymap_id id = c->help_open ? KEYS_HELP : dialog ? dialog->keys : pane->keys;
    enum key_action own = keymap_lookup(id, ch);

    if (own == ACTION_NONE && keymap_lookup(KEYS_GLOBAL, ch) == ACTION_QUIT) {
        c->quit = true;
        return;
    }
    /* ? over a dialog lists the keys too (the dialog's table among them). */
    if (dialog && !c->help_open && own == ACTION_NONE &&
        keymap_lookup(KEYS_GLOBAL, ch) == ACTION_HELP) {
        console_open_help(c, dialog->keys);
        return;
    }
    /* The help and the dialog are modal: what their tables do not bind does nothing. */
    if (c->help_open) {
        pane_help.key(c, own);
        return;
    }
    if (dialog) {
        if (own == ACTION_NONE && dialog->text && dialog->text(c, ch))
            return;
        dialog->key(c, own);
        return;
    }
    if (own != ACTION_NONE && pane->key(c, own))
        return;
    if (console_pane_action(c, own))
        return;
    switch (keymap_lookup(KEYS_GLOBAL, ch)) {
    case ACTION_HELP:
        console_open_help(c, pane->keys);
        break;
    case ACTION_FOCUS:
        console_next_focus(c);
        break;
    case ACTION_RELOAD:
        console_start_load(c, l);
        break;
    case ACTION_BENCH:
        console_bench_open_dialog(c);
        break;
    case ACTION_CANCEL:
    case ACTION_CLOSE:
        console_bench_cancel(c);
        break;
    case ACTION_METRIC:
    case ACTION_WORKLOAD:
        console_bench_results_key(c, keymap_lookup(KEYS_GLOBAL, ch));
        break;
    default:
        break;
    }
    if (c->focus == FOCUS_RESULTS && !console_shows_results(c))
        c->focus = FOCUS_DISKS;
}

/* Read every key ncurses has buffered (stdin is non-blocking through nodelay). */
static void console_read_keys(struct console *c, struct console_loader *l)
{
    int ch;

    while (!c->quit && (ch = getch()) != ERR) {
        if (ch == KEY_RESIZE)
            continue;   /* ncurses has updated LINES and COLS; the redraw follows */
        console_key(c, l, ch);
    }
}

/* The sources of the console's main loop. */
struct console_loop {
    struct console *c;
    struct console_loader *l;
    bool terminal_lost;
};

static void console_loop_check_quit(struct console_loop *cl)
{
    if (cl->c->quit)
        g_main_loop_quit(cl->c->loop);
    else
        console_redraw(cl->c);
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer data)
{
    struct console_loop *cl = data;

    if (cond & (G_IO_HUP | G_IO_ERR)) {
        cl->terminal_lost = true;
        cl->c->quit = true;
    } else {
        console_read_keys(cl->c, cl->l);
    }
    console_loop_check_quit(cl);
    return G_SOURCE_CONTINUE;
}

static gboolean on_loaded(gint fd, GIOCondition cond, gpointer data)
{
    struct console_loop *cl = data;

    console_finish_load(cl->c, cl->l);
    console_loop_check_quit(cl);
    return G_SOURCE_CONTINUE;
}

/* A stop signal: the console ends through its normal path, so the demo directory is
 * removed and a running bench cancelled even when the terminal closes (SIGHUP) or kill
 * sends SIGTERM. */
struct console_signal {
    struct console_loop *cl;
    int signo;
};

static gboolean on_stop_signal(gpointer data)
{
    struct console_signal *s = data;

    if (!s->cl)
        return G_SOURCE_CONTINUE;   /* the loop has ended: the console is closing already */
    s->cl->c->quit = true;
    s->cl->c->stopped_by = s->signo;
    console_loop_check_quit(s->cl);
    return G_SOURCE_CONTINUE;
}

/* The terminal changed size: tell ncurses, then draw for the new size. */
static gboolean on_resize(gpointer data)
{
    struct console_loop *cl = data;
    struct winsize ws;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resize_term(ws.ws_row, ws.ws_col);
    console_redraw(cl->c);
    return G_SOURCE_CONTINUE;
}

/* The stop signals' sources are added before anything is created (the demo directory, the
 * screen) and stay attached until the process ends: removing the last one gives a signal
 * back its default action, and the kernel sends a second SIGHUP when the terminal's
 * session ends, which would kill the console before it has removed the demo directory.
 * Outside the loop they only wait to be dispatched (the loop's first iteration quits). */
static struct console_signal stop_signals[] = { { NULL, SIGHUP }, { NULL, SIGINT },
                                                { NULL, SIGTERM } };

static void console_catch_stop_signals(void)
{
    static bool added;

    for (size_t i = 0; !added && i < G_N_ELEMENTS(stop_signals); i++)
        g_unix_signal_add(stop_signals[i].signo, on_stop_signal, &stop_signals[i]);
    added = true;
}

static int console_loop(struct console *c, struct console_loader *l)
{
    struct console_loop cl = { .c = c, .l = l };
    guint sources[3];
    size_t n = 0;

    c->loop = g_main_loop_new(NULL, FALSE);
    sources[n++] = g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &cl);
    sources[n++] = g_unix_fd_add(l->pipe_rd, G_IO_IN, on_loaded, &cl);
    sources[n++] = g_unix_signal_add(SIGWINCH, on_resize, &cl);
    for (size_t i = 0; i < G_N_ELEMENTS(stop_signals); i++)
        stop_signals[i].cl = &cl;
    console_start_load(c, l);
    console_redraw(c);
    g_main_loop_run(c->loop);
    /* No more keys (a lost terminal would fire its source without end), then a bench still
     * running ends: its cell is cancelled, its worker joined. */
    for (size_t i = 0; i < n; i++)
        g_source_remove(sources[i]);
    console_bench_stop(c);
    console_apply_stop(c);
    for (size_t i = 0; i < G_N_ELEMENTS(stop_signals); i++)
        stop_signals[i].cl = NULL;
    g_main_loop_unref(c->loop);
    c->loop = NULL;
    if (cl.terminal_lost)
        return EXIT_FAILED;
    /* Ctrl-C is a way to quit; a hang-up or a kill is not a success. */
    return c->stopped_by && c->stopped_by != SIGINT ? EXIT_FAILED : EXIT_DONE;
}

static void console_screen_start(void)
{
    initscr();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    /* Esc closes the help: do not wait a second to see whether it starts a sequence. */
    set_escdelay(25);
}

/* What the recovery at the start said, for the banner and the status line. */
static GPtrArray *recovery_lines;

static void collect_recovery(const char *line)
{
    g_ptr_array_add(recovery_lines, g_strdup(line));
}

/* A bench --mode preserve killed half-way left a journal: replay it now (with this session:
 * libvirt says which domains use its target); what still waits stays in a banner. */
static void console_recover(struct console *c)
{
    unsigned waiting;

    recovery_lines = g_ptr_array_new_with_free_func(g_free);
    waiting = recover_at_start(c->session, collect_recovery);
    if (waiting)
        c->journal_banner = g_strdup_printf("PRESERVE JOURNAL WAITS (%u): %s", waiting,
                                            (const char *)g_ptr_array_index(recovery_lines,
                                                                            recovery_lines->len - 1));
    else if (recovery_lines->len)
        console_set_status(c, g_ptr_array_index(recovery_lines, 0));
    g_clear_pointer(&recovery_lines, g_ptr_array_unref);
}

static int console_run(struct session *s)
{
    struct console c = { .session = s, .bench = console_bench_new(),
                         .apply = console_apply_new(), .pins = g_new0(struct console_pins, 1),
                         .dialogs = g_ptr_array_new() };
    struct console_loader l = { .session = s, .pipe_rd = -1, .pipe_wr = -1 };

    c.loader = &l;
    c.redraw = console_draw;
    c.reload = console_reload_host;
    g_mutex_init(&l.lock);
    int pipefd[2];
    int rc;

    if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
        cli_error("console: pipe: %s", g_strerror(errno));
        return EXIT_FAILED;
    }
    l.pipe_rd = pipefd[0];
    l.pipe_wr = pipefd[1];
    console_recover(&c);
    console_screen_start();
    rc = console_loop(&c, &l);
    endwin();
    /* A load still running holds the session: wait for it before the caller closes it. */
    if (l.thread)
        g_thread_join(l.thread);
    if (l.result)
        host_model_free(l.result);
    if (l.names)
        host_model_free(l.names);
    g_mutex_clear(&l.lock);
    g_clear_pointer(&l.saved, g_ptr_array_unref);
    g_clear_pointer(&l.skipped, g_ptr_array_unref);
    g_clear_pointer(&l.applies, g_ptr_array_unref);
    g_clear_error(&l.err);
    if (rc != EXIT_DONE && c.stopped_by)
        cli_error("console: stopped by signal %d (%s)", c.stopped_by, strsignal(c.stopped_by));
    else if (rc != EXIT_DONE && c.status)
        cli_error("console: %s", c.status);
    else if (rc != EXIT_DONE)
        cli_error("console: the terminal went away");
    if (c.host)
        host_model_free(c.host);
    console_bench_free(c.bench);
    console_apply_free(c.apply);
    view_pins_state_free(c.pins->st);
    g_free(c.pins);
    g_ptr_array_unref(c.dialogs);
    g_free(c.status);
    g_free(c.journal_banner);
    /* Nothing was written through these that a failed close could lose. */
    (void)close(l.pipe_rd);
    (void)close(l.pipe_wr);
    return rc;
}

static int console_open_and_run(const struct cli_conn_opts *opts)
{
    struct cli_conn conn;
    int rc;

    console_catch_stop_signals();
    if (!cli_conn_open(opts, true, &conn))
        return EXIT_FAILED;
    rc = console_run(conn.session);
    cli_conn_close(&conn);
    return rc;
}

int console_main(int argc, char **argv)
{
    struct cli_conn_opts opts = { 0 };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- the virt-disktune console");
    int rc = EXIT_USAGE;

    g_option_context_set_summary(ctx,
        "Lists the host's domains and their disks with what lies beneath each disk,\n"
        "benchmarks a disk with every cache/io mode (b), shows the results side by side,\n"
        "applies a cell's cache and io (a on the grid), edits iothread pins (p), undoes\n"
        "an apply (u) and shows the apply history (H). Press ? inside for the keys.");
    g_option_context_add_main_entries(ctx, cli_conn_entries(&opts), NULL);
    if (!cli_parse(ctx, &argc, &argv))
        return EXIT_USAGE;
    if (argc > 1)
        cli_error("unexpected argument '%s' (see --help)", argv[1]);
    else if (!cli_conn_opts_valid(&opts))
        rc = EXIT_USAGE;
    else if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        cli_error("the console needs a terminal (for scripts: virt-disktune list)");
    else
        rc = console_open_and_run(&opts);
    g_free(opts.uri);
    return rc;
}
