#include "core/statedir.h"

#include <glib.h>
#include <unistd.h>

static char *under(bool root, const char *xdg, const char *home, const char *home_part,
                   const char *leaf)
{
    if (root)
        return g_build_filename("/var/lib/virt-disktune", leaf, NULL);
    if (xdg && g_path_is_absolute(xdg))
        return g_build_filename(xdg, "virt-disktune", leaf, NULL);
    if (home && g_path_is_absolute(home))
        return g_build_filename(home, ".local", home_part, "virt-disktune", leaf, NULL);
    return NULL;
}

char *statedir_results(bool root, const char *xdg_data_home, const char *home)
{
    return under(root, xdg_data_home, home, "share", "results");
}

char *statedir_apply(bool root, const char *xdg_state_home, const char *home)
{
    return under(root, xdg_state_home, home, "state", "apply");
}

char *statedir_results_here(void)
{
    const char *dir = g_getenv("VIRT_DISKTUNE_RESULTS_DIR");

    if (dir && g_path_is_absolute(dir))
        return g_strdup(dir);
    return statedir_results(geteuid() == 0, g_getenv("XDG_DATA_HOME"), g_getenv("HOME"));
}

char *statedir_apply_here(void)
{
    const char *dir = g_getenv("VIRT_DISKTUNE_APPLY_DIR");

    if (dir && g_path_is_absolute(dir))
        return g_strdup(dir);
    return statedir_apply(geteuid() == 0, g_getenv("XDG_STATE_HOME"), g_getenv("HOME"));
}

char *statedir_journals(bool root, const char *xdg_state_home, const char *home)
{
    return under(root, xdg_state_home, home, "state", "journals");
}

char *statedir_journals_here(void)
{
    const char *dir = g_getenv("VIRT_DISKTUNE_JOURNAL_DIR");

    if (dir && g_path_is_absolute(dir))
        return g_strdup(dir);
    return statedir_journals(geteuid() == 0, g_getenv("XDG_STATE_HOME"), g_getenv("HOME"));
}
