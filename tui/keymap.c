#include "tui/keymap.h"

#include <curses.h>

#define KEY_ESC 27
#define KEY_TAB '\t'

static const struct keymap_entry keymap[] = {
    { "j, Down",      { 'j', KEY_DOWN },       ACTION_DOWN,   "move the selection down", "j/k move" },
    { "k, Up",        { 'k', KEY_UP },         ACTION_UP,     "move the selection up", NULL },
    { "h, Left",      { 'h', KEY_LEFT },       ACTION_LEFT,   "move left (results grid, dialog columns)", NULL },
    { "l, Right",     { 'l', KEY_RIGHT },      ACTION_RIGHT,  "move right (results grid, dialog columns)", NULL },
    { "Tab",          { KEY_TAB, KEY_BTAB },   ACTION_FOCUS,  "switch focus: domains, disks, results",
      "Tab focus" },
    { "r",            { 'r' },                 ACTION_RELOAD, "reload the host from libvirt", "r reload" },
    { "b",            { 'b' },                 ACTION_BENCH,  "benchmark the selected disk: opens the bench dialog",
      "b bench" },
    { "Space",        { ' ' },                 ACTION_TOGGLE, "tick or change the dialog's item", NULL },
    { "Enter",        { '\n', '\r', KEY_ENTER }, ACTION_SELECT, "start the bench (dialog); all figures of a cell (results)",
      NULL },
    { "m",            { 'm' },                 ACTION_METRIC, "results: next metric (IOPS, MB/s, p50, p99, p99.9, CPU)",
      NULL },
    { "w",            { 'w' },                 ACTION_WORKLOAD, "results: next workload", NULL },
    { "c",            { 'c' },                 ACTION_CANCEL, "cancel the running bench (finished cells are kept)",
      "c cancel" },
    { "?",            { '?' },                 ACTION_HELP,   "show or hide this help", "? help" },
    { "Esc",          { KEY_ESC },             ACTION_CLOSE,  "close the help, the dialog or the details; else cancel the bench", NULL },
    { "q",            { 'q' },                 ACTION_QUIT,   "quit virt-disktune", "q quit" },
};

const struct keymap_entry *keymap_entries(size_t *n)
{
    *n = G_N_ELEMENTS(keymap);
    return keymap;
}

enum key_action keymap_action(int key)
{
    if (key == 0)
        return ACTION_NONE;
    for (size_t i = 0; i < G_N_ELEMENTS(keymap); i++)
        for (size_t k = 0; k < KEYMAP_MAX_KEYS; k++)
            if (keymap[i].keys[k] == key)
                return keymap[i].action;
    return ACTION_NONE;
}

char *keymap_bar(void)
{
    GString *s = g_string_new(NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(keymap); i++) {
        if (!keymap[i].bar)
            continue;
        if (s->len)
            g_string_append(s, "  ");
        g_string_append(s, keymap[i].bar);
    }
    return g_string_free(s, FALSE);
}

char **keymap_help_lines(void)
{
    GStrvBuilder *b = g_strv_builder_new();
    int width = 0;
    char **lines;

    for (size_t i = 0; i < G_N_ELEMENTS(keymap); i++)
        width = MAX(width, (int)g_utf8_strlen(keymap[i].label, -1));
    for (size_t i = 0; i < G_N_ELEMENTS(keymap); i++) {
        g_autofree char *line = g_strdup_printf("  %-*s  %s", width, keymap[i].label,
                                                keymap[i].help);

        g_strv_builder_add(b, line);
    }
    lines = g_strv_builder_end(b);
    g_strv_builder_unref(b);
    return lines;
}
