#include "core/recommend.h"

#include <math.h>
#include <string.h>
#include "core/backing.h"
#include "core/model.h"
#include "core/textesc.h"
#include "probes/blockdev.h"

G_DEFINE_QUARK(recommend-error-quark, recommend_error)

/* ---- profiles ------------------------------------------------------------------------ */

struct named_profile {
    const char *name;
    double weight[WL_COUNT];   /* by enum workload_kind */
};
/* "database (sync)": a commit is a synced write; its reads and writes are random. */
static const struct named_profile named_profiles[] = {
    { "random",     { [WL_RANDREAD] = 50, [WL_RANDWRITE] = 50 } },
    { "sequential", { [WL_SEQREAD] = 50, [WL_SEQWRITE] = 50 } },
    { "database",   { [WL_SYNCWRITE] = 50, [WL_RANDREAD] = 30, [WL_RANDWRITE] = 20 } },
    { "mixed",      { [WL_MIXED] = 100 } },
};

static const struct named_profile *find_profile(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(named_profiles); i++)
        if (strcmp(named_profiles[i].name, name) == 0)
            return &named_profiles[i];
    return NULL;
}

static bool profile_error(GError **err, const char *part, const char *why)
{
    g_set_error(err, RECOMMEND_ERROR, RECOMMEND_ERROR_USAGE,
                "--profile: '%s': %s (a profile: random, sequential, database, mixed; or "
                "NAME=N pairs of workloads or profiles: random=70,syncwrite=30)", part, why);
    return false;
}

/* Adds one "NAME" or "NAME=N" to p. */
static bool profile_add(struct recommend_profile *p, const char *part, GError **err)
{
    g_auto(GStrv) kv = g_strsplit(part, "=", 2);
    const struct named_profile *named = find_profile(g_strstrip(kv[0]));
    int wl = workload_from_name(kv[0]);
    double n = 100;

    if (kv[1]) {
        char *end = NULL;

        n = g_ascii_strtod(g_strstrip(kv[1]), &end);
        if (!end || *end || end == kv[1] || !(n > 0) || n > 1e6)
            return profile_error(err, part, "the weight is not a positive number");
    }
    if (!named && wl < 0)
        return profile_error(err, part, "not a workload or a profile");
    for (int k = 0; k < WL_COUNT; k++)
        p->weight[k] += named ? named->weight[k] * n / 100 : (k == wl ? n : 0);
    return true;
}

bool recommend_profile_parse(const char *text, struct recommend_profile *out, GError **err)
{
    g_auto(GStrv) parts = NULL;

    memset(out, 0, sizeof *out);
    if (!text)
        return true;
    parts = g_strsplit(text, ",", -1);
    if (!parts[0])
        return profile_error(err, text, "empty");
    for (guint i = 0; parts[i]; i++)
        if (!*g_strstrip(parts[i]) || !profile_add(out, parts[i], err)) {
            if (err && !*err)
                profile_error(err, text, "an empty part");
            recommend_profile_clear(out);
            return false;
        }
    out->name = g_strdup(find_profile(text) ? text : "custom");
    return true;
}

void recommend_profile_clear(struct recommend_profile *p)
{
    g_clear_pointer(&p->name, g_free);
    memset(p->weight, 0, sizeof p->weight);
}

void recommend_input_from_disk(struct recommend_input *in, const struct vm_domain *dom,
                               const struct vm_disk *disk)
{
    const struct vm_config *cfg = vm_domain_config(dom);
    const struct backing *b = disk->backing;

    in->current_cache = disk->cache;
    in->current_io = disk->io;
    in->block = b && b->kind == BACKING_BLOCK;
    in->lvm = b && b->dev && b->dev->lvm;
    in->rotational = b && b->dev && b->dev->rotational;
    in->fstype = b && b->kind == BACKING_FILE ? b->fstype : NULL;
    in->domain_active = dom->active;
    in->iothreads = cfg ? cfg->niothreads : 0;
}

/* ---- the cells ------------------------------------------------------------------------ */

static const struct bench_cell *find_cell(const struct bench_plan *plan, int kind,
                                          enum cache_mode c, enum io_mode io)
{
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *cell = &g_array_index(plan->cells, struct bench_cell, i);

        if ((int)cell->kind == kind && cell->cache == c && cell->io == io)
            return cell;
    }
    return NULL;
}

static bool cell_ok(const struct bench_cell *cell)
{
    return cell && cell->valid && cell->result.status == CELL_OK && cell->result.iops > 0;
}

/* A random-read cell whose reads came from the host's page cache measured memory. */
static bool ram_read(const struct bench_cell *cell)
{
    return (cell->kind == WL_RANDREAD || cell->kind == WL_MIXED) &&
           bench_result_from_ram(&cell->result);
}

static bool is_volatile(enum cache_mode c)
{
    return c == CACHE_WRITEBACK || c == CACHE_UNSAFE;
}

/* Lower is safer: none and directsync write through to the device, writethrough through
 * the page cache, writeback only on the guest's flush, unsafe never. */
static int safety_rank(enum cache_mode c)
{
    switch (c) {
    case CACHE_NONE: case CACHE_DIRECTSYNC: return 0;
    case CACHE_WRITETHROUGH: return 1;
    case CACHE_WRITEBACK: return 2;
    default: return 3;
    }
}

static const char *combo(enum cache_mode c, enum io_mode io, char *buf, size_t size)
{
    g_snprintf(buf, size, "%s/%s", cache_mode_info(c)->name, io_mode_info(io)->name);
    return buf;
}

/* The weights the decision uses: the profile's, over the workloads with results; without a
 * profile every workload that has an ok cell, alike. Percent of the total; false: none. */
static bool effective_weights(const struct recommend_input *in, double w[WL_COUNT],
                              GPtrArray *reasons)
{
    bool any_profile = false, ran[WL_COUNT] = { false };
    double total = 0;
    g_autoptr(GString) line = g_string_new(NULL);

    for (guint i = 0; i < in->plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(in->plan->cells, struct bench_cell, i);

        ran[c->kind] = ran[c->kind] || cell_ok(c);
    }
    for (int k = 0; k < WL_COUNT; k++)
        any_profile = any_profile || (in->profile && in->profile->weight[k] > 0);
    for (int k = 0; k < WL_COUNT; k++) {
        w[k] = any_profile ? in->profile->weight[k] : 1;
        if (w[k] > 0 && !ran[k]) {
            if (any_profile)
                g_ptr_array_add(reasons, g_strdup_printf(
                    "%s is in the profile but has no results: not weighed (bench --workload %s)",
                    workload_default(k)->name, workload_default(k)->name));
            w[k] = 0;
        }
        total += w[k];
    }
    if (total <= 0)
        return false;
    for (int k = 0; k < WL_COUNT; k++) {
        w[k] = w[k] * 100 / total;
        if (w[k] > 0)
            g_string_append_printf(line, "%s%s %.0f%%", line->len ? ", " : "",
                                   workload_default(k)->name, w[k]);
    }
    g_ptr_array_insert(reasons, 0, g_strdup_printf(
        "profile %s: %s", any_profile ? (in->profile->name ? in->profile->name : "custom")
                                      : "(none given: the workloads run, weighed alike)",
        line->str));
    return true;
}

/* ---- scoring --------------------------------------------------------------------------- */

struct scoring {
    const struct recommend_input *in;
    double w[WL_COUNT];
    double best[WL_COUNT];   /* the best counted IOPS per workload */
    GPtrArray *reasons;
};

/* The counted IOPS of a cell: 0 for a RAM random read (said once per cell). */
static double counted_iops(const struct bench_cell *cell)
{
    return ram_read(cell) ? 0 : cell->result.iops;
}

static void find_best(struct scoring *s)
{
    for (guint i = 0; i < s->in->plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(s->in->plan->cells, struct bench_cell, i);

        if (cell_ok(c) && s->w[c->kind] > 0)
            s->best[c->kind] = MAX(s->best[c->kind], counted_iops(c));
    }
}

/* false: the combination lacks an ok cell in a weighted workload (not a candidate). */
static bool score_combo(const struct scoring *s, enum cache_mode c, enum io_mode io,
                        struct recommend_score *out)
{
    *out = (struct recommend_score){ .cache = c, .io = io, .volatile_ = is_volatile(c) };
    for (int k = 0; k < WL_COUNT; k++) {
        const struct bench_cell *cell;

        if (s->w[k] <= 0)
            continue;
        cell = find_cell(s->in->plan, k, c, io);
        if (!cell_ok(cell))
            return false;
        if (s->best[k] <= 0)
            continue;
        out->score += s->w[k] / 100 * counted_iops(cell) / s->best[k];
        if (!ram_read(cell))
            out->noise += s->w[k] / 100 * bench_cell_spread(cell, FIG_IOPS) / s->best[k];
    }
    return true;
}

static int by_score(gconstpointer a, gconstpointer b)
{
    const struct recommend_score *x = a, *y = b;

    return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

static void say_ram_cells(struct scoring *s)
{
    for (guint i = 0; i < s->in->plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(s->in->plan->cells, struct bench_cell, i);
        char name[48];

        if (cell_ok(c) && s->w[c->kind] > 0 && ram_read(c))
            g_ptr_array_add(s->reasons, g_strdup_printf(
                "%s %s: %.0f%% of its reads came from the host's page cache (RAM), not the "
                "device: its read figure does not count", combo(c->cache, c->io, name, sizeof name),
                workload_default(c->kind)->name, 100 * (1 - c->result.device_read_share)));
    }
}

/* A filesystem without O_DIRECT: none and directsync cells unsupported. */
static void say_no_direct(const struct recommend_input *in, GPtrArray *reasons)
{
    for (guint i = 0; i < in->plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(in->plan->cells, struct bench_cell, i);

        if (c->valid && cache_mode_info(c->cache)->direct &&
            c->result.status == CELL_UNSUPPORTED) {
            g_autofree char *what = in->fstype ? g_strdup_printf("filesystem (%s)", in->fstype)
                                               : g_strdup("target");

            g_ptr_array_add(reasons, g_strdup_printf(
                "the %s refuses O_DIRECT: cache=none and directsync cannot run on it (QEMU "
                "fails to open the disk with them), so the choice is among the modes that "
                "go through the host's page cache", what));
            return;
        }
    }
}

/* ---- the tie-breaks --------------------------------------------------------------------- */

static bool is_current(const struct recommend_input *in, const struct recommend_score *s)
{
    const char *cache = in->current_cache ? in->current_cache
                                          : cache_mode_info(CACHE_QEMU_DEFAULT)->name;
    const char *io = in->current_io ? in->current_io : io_mode_info(IO_QEMU_DEFAULT)->name;

    return strcmp(cache, cache_mode_info(s->cache)->name) == 0 &&
           strcmp(io, io_mode_info(s->io)->name) == 0;
}

/* QEMU's and virt-install's default for the backing: block none+native, file none+threads. */
static bool is_backing_default(const struct recommend_input *in, const struct recommend_score *s)
{
    return s->cache == CACHE_NONE && s->io == (in->block ? IO_NATIVE : IO_THREADS);
}

enum tie_rule { TIE_CURRENT, TIE_SAFER, TIE_DEFAULT, TIE_SCORE };

/* Among tied[0..n), the one the rules prefer; *rule: the rule that decided. */
static const struct recommend_score *break_tie(const struct recommend_input *in,
                                               const struct recommend_score *tied, guint n,
                                               enum tie_rule *rule)
{
    const struct recommend_score *pick = &tied[0];
    int best_rank = safety_rank(tied[0].cache);
    guint at_rank = 0;

    for (guint i = 0; i < n; i++)
        if (is_current(in, &tied[i])) {
            *rule = TIE_CURRENT;
            return &tied[i];
        }
    for (guint i = 0; i < n; i++)
        best_rank = MIN(best_rank, safety_rank(tied[i].cache));
    for (guint i = 0; i < n; i++)
        at_rank += safety_rank(tied[i].cache) == best_rank;
    for (guint i = 0; i < n; i++)
        if (safety_rank(tied[i].cache) == best_rank) {
            pick = &tied[i];
            break;
        }
    *rule = at_rank < n ? TIE_SAFER : TIE_SCORE;
    for (guint i = 0; at_rank > 1 && i < n; i++)
        if (safety_rank(tied[i].cache) == best_rank && is_backing_default(in, &tied[i])) {
            *rule = TIE_DEFAULT;
            return &tied[i];
        }
    return pick;
}

static double lowest_tied(const struct recommendation *r, const struct recommend_score *top)
{
    double low = top->score;

    for (guint i = 0; i < r->scores->len; i++) {
        const struct recommend_score *s = &g_array_index(r->scores, struct recommend_score, i);

        if (s->tie)
            low = MIN(low, s->score);
    }
    return low;
}

static void say_decision(const struct recommend_input *in, const struct recommendation *r,
                         const struct recommend_score *top, guint ntied, enum tie_rule rule)
{
    char a[48], b[48];
    bool one_round = in->plan->repeat <= 1;

    combo(r->cache, r->io, a, sizeof a);
    if (ntied <= 1) {
        const struct recommend_score *next = NULL;

        for (guint i = 0; i < r->scores->len; i++) {
            const struct recommend_score *s = &g_array_index(r->scores, struct recommend_score, i);

            if (s != top && (in->allow_volatile || !s->volatile_)) {
                next = s;
                break;
            }
        }
        if (!next)
            g_ptr_array_add(r->reasons, g_strdup_printf("%s is the only combination with "
                                                        "results in every weighed workload", a));
        else if (one_round)
            g_ptr_array_add(r->reasons, g_strdup_printf(
                "%s scores %.2f against %.2f for %s; one round: no spread measured, so the "
                "lead is taken as it is (bench --repeat 3 measures the noise)", a, top->score,
                next->score, combo(next->cache, next->io, b, sizeof b)));
        else
            g_ptr_array_add(r->reasons, g_strdup_printf(
                "%s scores %.2f against %.2f for %s: a lead beyond both spreads (%.2f, %.2f)",
                a, top->score, next->score, combo(next->cache, next->io, b, sizeof b),
                top->noise, next->noise));
        return;
    }
    g_ptr_array_add(r->reasons, g_strdup_printf(
        "%u combinations are a tie: their scores (%.2f down to %.2f) lie within the spread "
        "of the rounds (%.2f for the top one)", ntied, top->score,
        lowest_tied(r, top), top->noise));
    switch (rule) {
    case TIE_CURRENT:
        g_ptr_array_add(r->reasons, g_strdup_printf("among them %s is the disk's current "
                                                    "setting: no change is better than noise", a));
        break;
    case TIE_SAFER:
        g_ptr_array_add(r->reasons, g_strdup_printf(
            "among them %s has the safer cache mode (none and directsync write to the device "
            "before they complete, writethrough through the page cache)", a));
        break;
    case TIE_DEFAULT:
        g_ptr_array_add(r->reasons, g_strdup_printf(
            "among them %s is QEMU's and virt-install's default for %s", a,
            in->block ? "a block device (cache=none io=native)" : "an image file (cache=none, "
                                                                   "QEMU's io=threads)"));
        break;
    case TIE_SCORE:
        g_ptr_array_add(r->reasons, g_strdup_printf("among them %s has the highest score", a));
        break;
    }
}

/* ---- advice ---------------------------------------------------------------------------- */

static void advise(const struct recommend_input *in, struct recommendation *r)
{
    const char *cache = cache_mode_info(r->cache)->name;

    if (r->cache != CACHE_NONE && r->cache != CACHE_DIRECTSYNC)
        g_ptr_array_add(r->warnings, g_strdup_printf(
            "cache=%s: libvirt refuses to live-migrate a domain with this disk (only none and "
            "directsync migrate, unless forced with virsh migrate --unsafe)", cache));
    if (r->io == IO_URING && in->qemu_version / 1000 == 7001 && in->iothreads > 0)
        g_ptr_array_add(r->warnings, g_strdup(
            "io=io_uring with iothreads hung on QEMU 7.1 (QEMU issue 1193): this host's QEMU "
            "is 7.1; update QEMU or choose another io mode"));
    if (r->io == IO_URING && in->lvm)
        g_ptr_array_add(r->warnings, g_strdup(
            "io=io_uring on an LVM logical volume: Proxmox turns it off there after reported "
            "hangs; watch the guest after the change"));
    if (in->plan->thin)
        g_ptr_array_add(r->warnings, g_strdup("thin volume: unprovisioned blocks read as zeros, "
                                              "so the read figures may be optimistic"));
    if (in->rotational)
        g_ptr_array_add(r->warnings, g_strdup("a rotational device: its figures depend on where "
                                              "on the platter the span lies"));
    if (in->domain_active)
        g_ptr_array_add(r->warnings, g_strdup("the domain runs: QEMU takes a new cache and io "
                                              "only at a cold start (power-off and start)"));
}

/* ---- the decision ------------------------------------------------------------------------ */

struct recommendation *recommend_disk(const struct recommend_input *in, GError **err)
{
    g_autoptr(Recommendation) r = g_new0(struct recommendation, 1);
    struct scoring s = { .in = in };
    g_autoptr(GArray) tied = g_array_new(FALSE, FALSE, sizeof(struct recommend_score));
    const struct recommend_score *top = NULL, *pick;
    enum tie_rule rule = TIE_SCORE;

    r->scores = g_array_new(FALSE, FALSE, sizeof(struct recommend_score));
    r->reasons = g_ptr_array_new_with_free_func(g_free);
    r->warnings = g_ptr_array_new_with_free_func(g_free);
    s.reasons = r->reasons;
    if (!effective_weights(in, s.w, r->reasons)) {
        g_set_error_literal(err, RECOMMEND_ERROR, RECOMMEND_ERROR_NO_DATA,
                            "no workload of the profile has a cell that ran ok");
        return NULL;
    }
    memcpy(r->weight, s.w, sizeof r->weight);
    find_best(&s);
    for (int c = 0; c < CACHE_COUNT; c++)
        for (int io = 0; io < IO_COUNT; io++) {
            struct recommend_score one;

            if (cache_io_valid(c, io, NULL) && score_combo(&s, c, io, &one))
                g_array_append_val(r->scores, one);
        }
    g_array_sort(r->scores, by_score);
    say_no_direct(in, r->reasons);
    say_ram_cells(&s);
    for (guint i = 0; i < r->scores->len && !top; i++) {
        const struct recommend_score *one = &g_array_index(r->scores, struct recommend_score, i);

        if (in->allow_volatile || !one->volatile_)
            top = one;
    }
    if (!top) {
        g_set_error_literal(err, RECOMMEND_ERROR, RECOMMEND_ERROR_NO_DATA,
                            r->scores->len ? "only writeback and unsafe have results in every "
                                             "weighed workload (--allow-volatile allows them)"
                                           : "no combination has an ok cell in every weighed "
                                             "workload");
        return NULL;
    }
    if (r->scores->len && top != &g_array_index(r->scores, struct recommend_score, 0)) {
        const struct recommend_score *v = &g_array_index(r->scores, struct recommend_score, 0);
        char a[48];

        r->volatile_winner = true;
        r->would_cache = v->cache;
        r->would_io = v->io;
        g_ptr_array_add(r->reasons, g_strdup_printf(
            "%s would have won (score %.2f against %.2f), but %s: a host crash or power loss "
            "loses writes the guest %s; --allow-volatile allows it", combo(v->cache, v->io, a, sizeof a),
            v->score, top->score, v->cache == CACHE_UNSAFE
                ? "cache=unsafe ignores the guest's flushes"
                : "cache=writeback keeps writes in the host's page cache until the guest flushes",
            v->cache == CACHE_UNSAFE ? "was told are safe" : "has not flushed yet (and a guest "
                                                             "that never flushes loses them all)"));
    }
    for (guint i = 0; i < r->scores->len; i++) {
        struct recommend_score *one = &g_array_index(r->scores, struct recommend_score, i);

        if (!in->allow_volatile && one->volatile_)
            continue;
        one->tie = top->score - one->score <= MAX(top->noise, one->noise) && in->plan->repeat > 1;
        if (one == top || one->tie)
            g_array_append_val(tied, *one);
    }
    if (tied->len == 0)
        g_array_append_val(tied, *top);
    pick = tied->len > 1 ? break_tie(in, (const struct recommend_score *)tied->data, tied->len,
                                     &rule)
                         : top;
    r->cache = pick->cache;
    r->io = pick->io;
    r->score = pick->score;
    say_decision(in, r, top, tied->len, rule);
    advise(in, r);
    return g_steal_pointer(&r);
}

void recommendation_free(struct recommendation *r)
{
    if (!r)
        return;
    if (r->scores)
        g_array_unref(r->scores);
    if (r->reasons)
        g_ptr_array_unref(r->reasons);
    if (r->warnings)
        g_ptr_array_unref(r->warnings);
    g_free(r);
}

char *recommendation_text(const struct recommendation *r)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < r->reasons->len; i++) {
        g_autofree char *esc = textesc_escape(g_ptr_array_index(r->reasons, i));

        g_string_append_printf(out, "  - %s\n", esc);
    }
    for (guint i = 0; i < r->warnings->len; i++) {
        g_autofree char *esc = textesc_escape(g_ptr_array_index(r->warnings, i));

        g_string_append_printf(out, "  warning: %s\n", esc);
    }
    return g_string_free(out, FALSE);
}

char *recommendation_apply_args(const struct recommendation *r)
{
    return g_strdup_printf("--cache %s --io %s", cache_mode_info(r->cache)->name,
                           io_mode_info(r->io)->name);
}

/* A figure with three decimals in the JSON text (json-c would print 17 digits). */
static json_object *json_3(double v)
{
    g_autofree char *text = g_strdup_printf("%.3f", v);

    return json_object_new_double_s(g_ascii_strtod(text, NULL), text);
}

static json_object *strings_json(const GPtrArray *a)
{
    json_object *arr = json_object_new_array();

    for (guint i = 0; i < a->len; i++)
        json_object_array_add(arr, json_object_new_string(g_ptr_array_index(a, i)));
    return arr;
}

json_object *recommendation_to_json(const struct recommendation *r)
{
    json_object *o = json_object_new_object();
    json_object *profile = json_object_new_object();
    json_object *scores = json_object_new_array();
    json_object *would = NULL;

    json_object_object_add(o, "cache", json_object_new_string(cache_mode_info(r->cache)->name));
    json_object_object_add(o, "io", json_object_new_string(io_mode_info(r->io)->name));
    json_object_object_add(o, "score", json_3(r->score));
    for (int k = 0; k < WL_COUNT; k++)
        if (r->weight[k] > 0)
            json_object_object_add(profile, workload_default(k)->name,
                                   json_3(r->weight[k]));
    json_object_object_add(o, "profile", profile);
    json_object_object_add(o, "reasons", strings_json(r->reasons));
    json_object_object_add(o, "warnings", strings_json(r->warnings));
    if (r->volatile_winner) {
        would = json_object_new_object();
        json_object_object_add(would, "cache",
                               json_object_new_string(cache_mode_info(r->would_cache)->name));
        json_object_object_add(would, "io", json_object_new_string(io_mode_info(r->would_io)->name));
    }
    json_object_object_add(o, "would_win", would);
    for (guint i = 0; i < r->scores->len; i++) {
        const struct recommend_score *s = &g_array_index(r->scores, struct recommend_score, i);
        json_object *one = json_object_new_object();

        json_object_object_add(one, "cache", json_object_new_string(cache_mode_info(s->cache)->name));
        json_object_object_add(one, "io", json_object_new_string(io_mode_info(s->io)->name));
        json_object_object_add(one, "score", json_3(s->score));
        json_object_object_add(one, "noise", json_3(s->noise));
        json_object_object_add(one, "tie", json_object_new_boolean(s->tie));
        json_object_object_add(one, "volatile", json_object_new_boolean(s->volatile_));
        json_object_array_add(scores, one);
    }
    json_object_object_add(o, "scores", scores);
    return o;
}
