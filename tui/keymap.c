#include "tui/keymap.h"

#include <curses.h>

#define KEY_ESC 27
#define KEY_TAB '\t'

static const struct keymap_entry global_keys[] = {
    { "Tab",          { KEY_TAB, KEY_BTAB },   ACTION_FOCUS,  "switch focus: domains, disks, results", "Tab focus" },
    { "r",            { 'r' },                 ACTION_RELOAD, "reload the host from libvirt", "r reload" },
    { "b",            { 'b' },                 ACTION_BENCH,  "benchmark the selected disk: opens the bench dialog", "b bench" },
    { "c",            { 'c' },                 ACTION_CANCEL, "cancel the running bench (finished cells are kept)", "c cancel" },
    { "m",            { 'm' },                 ACTION_METRIC, "results: next metric (IOPS, MB/s, p50, p99, p99.9, CPU)", NULL },
    { "w",            { 'w' },                 ACTION_WORKLOAD, "results: next workload", NULL },
    { "?",            { '?' },                 ACTION_HELP,   "show or hide this help", "? help" },
    { "Esc",          { KEY_ESC },             ACTION_CLOSE,  "cancel the running bench", NULL },
    { "q",            { 'q' },                 ACTION_QUIT,   "quit virt-disktune", "q quit" },
};

static const struct keymap_entry list_keys[] = {
    { "j, Down",      { 'j', KEY_DOWN },       ACTION_DOWN,   "move the selection down", "j/k move" },
    { "k, Up",        { 'k', KEY_UP },         ACTION_UP,     "move the selection up", NULL },
    { "p",            { 'p' },                 ACTION_PINS,   "the selected domain's iothreads and their CPU pins: the pin editor", "p pins" },
    { "u",            { 'u' },                 ACTION_UNDO,   "undo the selected domain's latest apply (plan, confirm, verify)", "u undo" },
    { "H",            { 'H' },                 ACTION_HISTORY, "the selected domain's apply records", NULL },
};

static const struct keymap_entry results_table[] = {
    { "j, Down",      { 'j', KEY_DOWN },       ACTION_DOWN,   "the cell below (next cache mode)", NULL },
    { "k, Up",        { 'k', KEY_UP },         ACTION_UP,     "the cell above", NULL },
    { "h, Left",      { 'h', KEY_LEFT },       ACTION_LEFT,   "the cell to the left (io mode)", NULL },
    { "l, Right",     { 'l', KEY_RIGHT },      ACTION_RIGHT,  "the cell to the right", NULL },
    { "Enter",        { '\n', '\r', KEY_ENTER }, ACTION_SELECT, "all figures of the cell, or close them", NULL },
    { "a",            { 'a' },                 ACTION_APPLY,  "apply the cell's cache and io to the disk: opens the apply dialog", NULL },
    { "e",            { 'e' },                 ACTION_ENGINE, "after a cross-check: the other runner's grid (in-process, qemu-img)", NULL },
    { "v",            { 'v' },                 ACTION_VERSUS, "beside each cell: the previous run of the disk, then the last run before its latest apply, then off", NULL },
    { "x",            { 'x' },                 ACTION_CROSSCHECK, "after a cross-check: its report (rank correlation, ratio per cell)", NULL },
    { "R",            { 'R' },                 ACTION_RECOMMEND, "the recommendation and why; the cursor goes to its cell (then a applies it)", NULL },
    { "Esc",          { KEY_ESC },             ACTION_CLOSE,  "close the cell's figures", NULL },
};

static const struct keymap_entry dialog_keys[] = {
    { "j, Down",      { 'j', KEY_DOWN },       ACTION_DOWN,   "the next item", NULL },
    { "k, Up",        { 'k', KEY_UP },         ACTION_UP,     "the item before", NULL },
    { "h, Left",      { 'h', KEY_LEFT },       ACTION_LEFT,   "the left column (workloads, runtime, mode, rounds, runner)", NULL },
    { "l, Right",     { 'l', KEY_RIGHT },      ACTION_RIGHT,  "the right column (cache and io modes)", NULL },
    { "Space",        { ' ' },                 ACTION_TOGGLE, "tick or change the item", NULL },
    { "Enter",        { '\n', '\r', KEY_ENTER }, ACTION_SELECT, "start the bench", NULL },
    { "Esc",          { KEY_ESC },             ACTION_CLOSE,  "close the dialog, nothing run", NULL },
};

static const struct keymap_entry apply_keys[] = {
    { "Enter",        { '\n', '\r', KEY_ENTER }, ACTION_SELECT, "apply the plan (then it is verified)", NULL },
    { "i",            { 'i' },                 ACTION_IOTHREAD, "give the disk another of the domain's iothreads (when it has none)", NULL },
    { "j, Down",      { 'j', KEY_DOWN },       ACTION_DOWN,   "scroll down", NULL },
    { "k, Up",        { 'k', KEY_UP },         ACTION_UP,     "scroll up", NULL },
    { "Esc",          { KEY_ESC },             ACTION_CLOSE,  "close the dialog (before Enter: nothing changed)", NULL },
};

static const struct keymap_entry history_keys[] = {
    { "j, Down",      { 'j', KEY_DOWN },       ACTION_DOWN,   "scroll down", NULL },
    { "k, Up",        { 'k', KEY_UP },         ACTION_UP,     "scroll up", NULL },
    { "u",            { 'u' },                 ACTION_UNDO,   "undo the latest apply", NULL },
    { "Esc",          { KEY_ESC },             ACTION_CLOSE,  "close the history", NULL },
};

static const struct keymap_entry recommend_keys[] = {
    { "j, Down",      { 'j', KEY_DOWN },       ACTION_DOWN,   "scroll down", NULL },
    { "k, Up",        { 'k', KEY_UP },         ACTION_UP,     "scroll up", NULL },
    { "Esc",          { KEY_ESC },             ACTION_CLOSE,  "close the report", NULL },
};

static const struct keymap_entry crosscheck_keys[] = {
    { "j, Down",      { 'j', KEY_DOWN },       ACTION_DOWN,   "scroll down", NULL },
    { "k, Up",        { 'k', KEY_UP },         ACTION_UP,     "scroll up", NULL },
    { "Esc",          { KEY_ESC },             ACTION_CLOSE,  "close the report", NULL },
};

static const struct keymap_entry pins_keys[] = {
    { "j, Down",      { 'j', KEY_DOWN },       ACTION_DOWN,   "the next iothread", NULL },
    { "k, Up",        { 'k', KEY_UP },         ACTION_UP,     "the iothread before", NULL },
    { "h, Left",      { 'h', KEY_LEFT },       ACTION_LEFT,   "the CPU before", NULL },
    { "l, Right",     { 'l', KEY_RIGHT },      ACTION_RIGHT,  "the next CPU", NULL },
    { "Space",        { ' ' },                 ACTION_TOGGLE, "pin the iothread to the CPU, or not", NULL },
    { "Backspace",    { KEY_BACKSPACE, 127, 8 }, ACTION_ERASE, "erase the last character typed (0-9 , - ^ type a CPU list: 5,6 or 0-3)", NULL },
    { "+",            { '+' },                 ACTION_ADD,    "one iothread more", NULL },
    { "o",            { 'o' },                 ACTION_ORIGIN, "the suggested iothreads and pins, or the domain's current ones (edits dropped)", NULL },
    { "x, -",         { 'x' },                 ACTION_REMOVE, "one iothread less (the last, if no disk uses it); '-' after a typed digit is a range", NULL },
    { "Enter",        { '\n', '\r', KEY_ENTER }, ACTION_SELECT, "the plan of these pins: confirm, apply, verify", NULL },
    { "Esc",          { KEY_ESC },             ACTION_CLOSE,  "close the editor, nothing changed", NULL },
};

static const struct keymap_entry help_keys[] = {
    { "j, Down",      { 'j', KEY_DOWN },       ACTION_DOWN,   "scroll the help down", NULL },
    { "k, Up",        { 'k', KEY_UP },         ACTION_UP,     "scroll the help up", NULL },
    { "Esc, ?",       { KEY_ESC, '?' },        ACTION_CLOSE,  "close the help", NULL },
};

static const struct keymap_table tables[KEYS_COUNT] = {
    [KEYS_GLOBAL]  = { "Everywhere", global_keys, G_N_ELEMENTS(global_keys) },
    [KEYS_LIST]    = { "Domains and disks", list_keys, G_N_ELEMENTS(list_keys) },
    [KEYS_RESULTS] = { "Results (Tab to it)", results_table, G_N_ELEMENTS(results_table) },
    [KEYS_DIALOG]  = { "Bench dialog", dialog_keys, G_N_ELEMENTS(dialog_keys) },
    [KEYS_APPLY]   = { "Apply dialog", apply_keys, G_N_ELEMENTS(apply_keys) },
    [KEYS_HISTORY] = { "Apply history (H)", history_keys, G_N_ELEMENTS(history_keys) },
    [KEYS_PINS]    = { "Pin editor (p)", pins_keys, G_N_ELEMENTS(pins_keys) },
    [KEYS_CROSSCHECK] = { "Cross-check report (x)", crosscheck_keys,
                          G_N_ELEMENTS(crosscheck_keys) },
    [KEYS_RECOMMEND] = { "Recommendation (R)", recommend_keys, G_N_ELEMENTS(recommend_keys) },
    [KEYS_HELP]    = { "Help", help_keys, G_N_ELEMENTS(help_keys) },
};

const struct keymap_table *keymap_table(enum keymap_id id)
{
    return (unsigned)id < KEYS_COUNT ? &tables[id] : NULL;
}

enum key_action keymap_lookup(enum keymap_id id, int key)
{
    const struct keymap_table *t = keymap_table(id);

    if (!t || key == 0)
        return ACTION_NONE;
    for (size_t i = 0; i < t->n; i++)
        for (size_t k = 0; k < KEYMAP_MAX_KEYS; k++)
            if (t->entries[i].keys[k] == key)
                return t->entries[i].action;
    return ACTION_NONE;
}

enum key_action keymap_action(enum keymap_id id, int key)
{
    enum key_action a = keymap_lookup(id, key);

    return a != ACTION_NONE || id == KEYS_GLOBAL ? a : keymap_lookup(KEYS_GLOBAL, key);
}

static void bar_append(GString *s, enum keymap_id id)
{
    for (size_t i = 0; i < tables[id].n; i++) {
        if (!tables[id].entries[i].bar)
            continue;
        if (s->len)
            g_string_append(s, "  ");
        g_string_append(s, tables[id].entries[i].bar);
    }
}

char *keymap_bar(void)
{
    GString *s = g_string_new(NULL);

    bar_append(s, KEYS_LIST);
    bar_append(s, KEYS_GLOBAL);
    return g_string_free(s, FALSE);
}

static void help_table(GStrvBuilder *b, int t, int width)
{
    g_autofree char *heading = g_strdup_printf("%s:", tables[t].name);

    g_strv_builder_add(b, heading);
    for (size_t i = 0; i < tables[t].n; i++) {
        g_autofree char *line = g_strdup_printf("  %-*s  %s", width, tables[t].entries[i].label,
                                                tables[t].entries[i].help);

        g_strv_builder_add(b, line);
    }
}

char **keymap_help_lines(enum keymap_id first)
{
    GStrvBuilder *b = g_strv_builder_new();
    int width = 0;
    char **lines;

    if ((unsigned)first >= KEYS_COUNT)
        first = KEYS_GLOBAL;
    for (int t = 0; t < KEYS_COUNT; t++)
        for (size_t i = 0; i < tables[t].n; i++)
            width = MAX(width, (int)g_utf8_strlen(tables[t].entries[i].label, -1));
    help_table(b, first, width);
    if (first != KEYS_GLOBAL)
        help_table(b, KEYS_GLOBAL, width);
    for (int t = 0; t < KEYS_COUNT; t++)
        if (t != (int)first && t != KEYS_GLOBAL)
            help_table(b, t, width);
    lines = g_strv_builder_end(b);
    g_strv_builder_unref(b);
    return lines;
}
