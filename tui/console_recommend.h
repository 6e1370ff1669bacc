/* The console's recommendation for the selected disk (core/recommend.h, from the results the
 * grid shows): a line under the grid, and R: the reasons in a report, with the grid's
 * cursor moved to the recommended cell so that a applies it. */
#pragma once
#include "core/recommend.h"

struct console;
struct console_results;
struct vm_domain;
struct vm_disk;
struct view_apply;

/* The recommendation for r's plan on dom's disk; NULL with *err when there is none.
 * Caller frees with recommendation_free(). */
struct recommendation *console_recommend_for(const struct console_results *r,
                                             const struct vm_domain *dom,
                                             const struct vm_disk *disk, GError **err);
/* The line under the grid: "recommended: none/native (score 1.00) · R: why" or why there
 * is none; escaped. Caller frees. */
char *console_recommend_line(const struct console_results *r, const struct vm_domain *dom,
                             const struct vm_disk *disk);
/* Moves the selected disk's grid cursor to the recommended cell and opens the report. */
void console_recommend_open(struct console *c);
/* The report as lines for dialog_draw_lines(); NULL without results. */
struct view_apply *console_recommend_view(const struct console *c);
