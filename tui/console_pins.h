/* The console's iothread pin editor (p on a domain): its state (tui/view_pins.h) and keys.
 * Enter hands the request it stands for to the apply dialog (tui/console_apply.h): the same
 * plan, confirm and verify as every other change. */
#pragma once
#include <stdbool.h>
#include "tui/view_pins.h"

struct console;

struct console_pins {
    struct view_pins_state *st;     /* NULL while the editor is closed */
};

void console_pins_open(struct console *c);
void console_pins_key(struct console *c, int action);
/* A typed character (digits, ',', '-', '^'); true when the editor took it. */
bool console_pins_text(struct console *c, int ch);
void console_pins_close(struct console *c);
/* Caller frees with view_pins_free(). */
struct view_pins *console_pins_view(const struct console *c);
