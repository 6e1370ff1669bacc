/* The console's dialogs: drawn over the panes, on top of everything, in the same event loop
 * (progress keeps updating under them). One file per dialog (tui/dialog_*.c). */
#pragma once
#include "tui/console.h"

/* The bench dialog of the selected disk (tui/dialog_bench.c), when c->bench->dialog_open. */
void dialog_bench_draw(const struct console *c);
