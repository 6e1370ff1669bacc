/* Rounds of a cell (bench --repeat N) into one result: each figure's median, and its least
 * and greatest as the spread. Used by the run (core/bench.c) and the results reader. */
#pragma once
#include "core/bench.h"

/* Combine the n results of cell's rounds, all ended ok (n >= 1), into cell->result (the
 * medians, the ops and seconds summed, the first round's reason), cell->lo and cell->hi,
 * and set cell->rounds = n. */
void bench_rounds_combine(struct bench_cell *cell, const struct bench_result *rounds, unsigned n);
