/* Where the tool keeps what must outlive a run (DESIGN.md "State and history files"): as
 * root under /var/lib/virt-disktune; otherwise results under $XDG_DATA_HOME and state (apply
 * undo records, journals) under $XDG_STATE_HOME, with $HOME/.local/share and
 * $HOME/.local/state when those are unset, empty or relative (the XDG spec ignores a
 * relative value). Each returns NULL when no absolute directory can be named; caller frees
 * with g_free(). The directories are created 0700 by the writer (probes/durable.h). */
#pragma once
#include <stdbool.h>

/* bench --save: .../virt-disktune/results */
char *statedir_results(bool root, const char *xdg_data_home, const char *home);
/* apply's undo records: .../virt-disktune/apply */
char *statedir_apply(bool root, const char *xdg_state_home, const char *home);
/* The same from this process's euid and environment; VIRT_DISKTUNE_RESULTS_DIR and
 * VIRT_DISKTUNE_APPLY_DIR (absolute) override the results and the apply directory (tests,
 * and hosts that keep state elsewhere). */
char *statedir_results_here(void);
char *statedir_apply_here(void);
/* preserve mode's undo journals (docs/journal.md): .../virt-disktune/journals;
 * VIRT_DISKTUNE_JOURNAL_DIR (absolute) overrides it. */
char *statedir_journals(bool root, const char *xdg_state_home, const char *home);
char *statedir_journals_here(void);
