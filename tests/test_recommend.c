/* core/recommend.c on synthetic result sets: the profile parser, the score, each rule
 * (volatile modes off unless allowed, with the would-be winner named; a tie inside the
 * noise broken by the current setting, the safer cache, the backing's default; one round:
 * no spread; a page-cache cell's read figure not counted; a filesystem without O_DIRECT)
 * and the advice (live migration, QEMU 7.1 with io_uring and iothreads, LVM). */
#include <string.h>
#include "core/recommend.h"
#include "tests/testutil.h"

/* A finished plan of the workloads in wls (bench_parse_workloads text), every valid cell ok
 * at 10k IOPS and, with repeat > 1, a spread of +-2%. */
static struct bench_plan *plan_of(const char *wls, unsigned repeat)
{
    struct bench_request req;
    GError *err = NULL;
    struct bench_plan *plan;

    bench_request_init(&req);
    g_assert_true(bench_parse_workloads(wls, &req.workload_mask, &err));
    req.repeat = repeat;
    plan = bench_plan_new("/var/tmp/recommend-target", &req, 7002000, &err);
    g_assert_no_error(err);
    for (guint i = 0; i < plan->cells->len; i++) {
        struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);

        if (!c->valid)
            continue;
        c->result.status = CELL_OK;
        c->result.iops = 10000;
        c->result.ops = 50000;
        c->rounds = repeat;
        c->lo = c->hi = c->result;
        if (repeat > 1) {
            c->lo.iops = 9800;
            c->hi.iops = 10200;
        }
        c->finished = true;
    }
    return plan;
}

static struct bench_cell *cell_of(struct bench_plan *plan, enum workload_kind k,
                                  enum cache_mode c, enum io_mode io)
{
    for (guint i = 0; i < plan->cells->len; i++) {
        struct bench_cell *cell = &g_array_index(plan->cells, struct bench_cell, i);

        if (cell->kind == k && cell->cache == c && cell->io == io)
            return cell;
    }
    g_assert_not_reached();
    return NULL;
}

/* Sets a cell's median IOPS (and its spread around it: +-spread). */
static void set_iops(struct bench_plan *plan, enum workload_kind k, enum cache_mode c,
                     enum io_mode io, double iops, double spread)
{
    struct bench_cell *cell = cell_of(plan, k, c, io);

    cell->result.iops = iops;
    cell->lo.iops = iops - spread;
    cell->hi.iops = iops + spread;
}

static bool has_line(const GPtrArray *lines, const char *needle)
{
    for (guint i = 0; i < lines->len; i++)
        if (strstr(g_ptr_array_index(lines, i), needle))
            return true;
    return false;
}

static void dump(const struct recommendation *r)
{
    for (guint i = 0; i < r->reasons->len; i++)
        g_test_message("reason: %s", (const char *)g_ptr_array_index(r->reasons, i));
    for (guint i = 0; i < r->warnings->len; i++)
        g_test_message("warning: %s", (const char *)g_ptr_array_index(r->warnings, i));
}

static struct recommendation *decide(const struct recommend_input *in)
{
    GError *err = NULL;
    struct recommendation *r = recommend_disk(in, &err);

    g_assert_no_error(err);
    g_assert_nonnull(r);
    dump(r);
    return r;
}

static void assert_pick(const struct recommendation *r, enum cache_mode c, enum io_mode io)
{
    g_assert_cmpstr(cache_mode_info(r->cache)->name, ==, cache_mode_info(c)->name);
    g_assert_cmpstr(io_mode_info(r->io)->name, ==, io_mode_info(io)->name);
}

static void test_profiles_parse(void)
{
    struct recommend_profile p;
    GError *err = NULL;

    g_assert_true(recommend_profile_parse("random=70,syncwrite=30", &p, &err));
    g_assert_no_error(err);
    g_assert_cmpfloat_with_epsilon(p.weight[WL_RANDREAD], 35, 1e-9);
    g_assert_cmpfloat_with_epsilon(p.weight[WL_RANDWRITE], 35, 1e-9);
    g_assert_cmpfloat_with_epsilon(p.weight[WL_SYNCWRITE], 30, 1e-9);
    g_assert_cmpfloat_with_epsilon(p.weight[WL_SEQREAD], 0, 1e-9);
    g_assert_cmpstr(p.name, ==, "custom");
    recommend_profile_clear(&p);
    g_assert_true(recommend_profile_parse("database", &p, &err));
    g_assert_cmpstr(p.name, ==, "database");
    g_assert_cmpfloat_with_epsilon(p.weight[WL_SYNCWRITE], 50, 1e-9);
    recommend_profile_clear(&p);
    g_assert_false(recommend_profile_parse("random=x", &p, &err));
    g_assert_error(err, RECOMMEND_ERROR, RECOMMEND_ERROR_USAGE);
    g_assert_nonnull(strstr(err->message, "'random=x'"));
    g_clear_error(&err);
    g_assert_false(recommend_profile_parse("fast", &p, &err));
    g_assert_nonnull(strstr(err->message, "not a workload or a profile"));
    g_clear_error(&err);
    g_assert_false(recommend_profile_parse("randread,,seqread", &p, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_false(recommend_profile_parse("randread=0", &p, &err));
    g_clear_error(&err);
}

/* writeback wins by far, yet is not chosen without --allow-volatile; the reason names it. */
static void test_volatile_switch(void)
{
    g_autoptr(GError) err = NULL;
    struct bench_plan *plan = plan_of("randwrite", 3);
    struct recommend_input in = { .plan = plan, .block = true };
    struct recommendation *r;

    set_iops(plan, WL_RANDWRITE, CACHE_WRITEBACK, IO_URING, 40000, 400);
    set_iops(plan, WL_RANDWRITE, CACHE_UNSAFE, IO_URING, 45000, 400);
    set_iops(plan, WL_RANDWRITE, CACHE_NONE, IO_NATIVE, 20000, 200);
    r = decide(&in);
    assert_pick(r, CACHE_NONE, IO_NATIVE);
    g_assert_true(r->volatile_winner);
    g_assert_cmpint(r->would_cache, ==, CACHE_UNSAFE);
    g_assert_true(has_line(r->reasons, "unsafe/io_uring would have won"));
    g_assert_true(has_line(r->reasons, "--allow-volatile allows it"));
    recommendation_free(r);
    in.allow_volatile = true;
    r = decide(&in);
    assert_pick(r, CACHE_UNSAFE, IO_URING);
    g_assert_false(r->volatile_winner);
    g_assert_true(has_line(r->warnings, "cache=unsafe: libvirt refuses to live-migrate"));
    recommendation_free(r);
    bench_plan_free(plan);
}

/* Three cells within the noise: the current setting wins; without it the safer cache;
 * among equally safe ones the backing's default. */
static void test_tie_inside_the_noise(void)
{
    struct bench_plan *plan = plan_of("randread", 3);
    struct recommend_input in = { .plan = plan, .block = true };
    struct recommendation *r;

    /* Everything else far below; these three within +-1000 of 20000. */
    for (int c = 0; c < CACHE_COUNT; c++)
        for (int io = 0; io < IO_COUNT; io++)
            if (cache_io_valid(c, io, NULL))
                set_iops(plan, WL_RANDREAD, c, io, 5000, 100);
    set_iops(plan, WL_RANDREAD, CACHE_WRITETHROUGH, IO_URING, 20500, 1000);
    set_iops(plan, WL_RANDREAD, CACHE_NONE, IO_URING, 20000, 1000);
    set_iops(plan, WL_RANDREAD, CACHE_NONE, IO_NATIVE, 19800, 1000);
    in.current_cache = "none";
    in.current_io = "io_uring";
    r = decide(&in);
    assert_pick(r, CACHE_NONE, IO_URING);
    g_assert_true(has_line(r->reasons, "3 combinations are a tie"));
    g_assert_true(has_line(r->reasons, "the disk's current setting"));
    recommendation_free(r);
    /* Current setting not among them: the safer cache, and of none's two the default for a
     * block device (none + native). */
    in.current_cache = "writeback";
    in.current_io = "threads";
    r = decide(&in);
    assert_pick(r, CACHE_NONE, IO_NATIVE);
    g_assert_true(has_line(r->reasons, "QEMU's and virt-install's default for a block device"));
    recommendation_free(r);
    /* An image file: its default is none + threads, which is not tied; the safer cache
     * decides between none's two by score. */
    in.block = false;
    r = decide(&in);
    assert_pick(r, CACHE_NONE, IO_URING);
    g_assert_true(has_line(r->reasons, "the safer cache mode"));
    recommendation_free(r);
    /* A lead beyond both spreads is a lead. */
    set_iops(plan, WL_RANDREAD, CACHE_WRITETHROUGH, IO_URING, 30000, 500);
    r = decide(&in);
    assert_pick(r, CACHE_WRITETHROUGH, IO_URING);
    g_assert_true(has_line(r->reasons, "a lead beyond both spreads"));
    g_assert_true(has_line(r->warnings, "cache=writethrough: libvirt refuses to live-migrate"));
    recommendation_free(r);
    bench_plan_free(plan);
}

/* One round: no spread, the lead taken as it is, and the sentence says so. */
static void test_one_round_says_no_spread(void)
{
    struct bench_plan *plan = plan_of("randread", 1);
    struct recommend_input in = { .plan = plan, .block = true };
    struct recommendation *r;

    set_iops(plan, WL_RANDREAD, CACHE_DIRECTSYNC, IO_NATIVE, 10300, 0);
    r = decide(&in);
    assert_pick(r, CACHE_DIRECTSYNC, IO_NATIVE);
    g_assert_true(has_line(r->reasons, "one round: no spread measured"));
    g_assert_true(has_line(r->reasons, "directsync/native scores 1.00 against 0.97 for"));
    recommendation_free(r);
    bench_plan_free(plan);
}

/* A random-read cell from the page cache does not win on it. */
static void test_page_cache_cell_does_not_win(void)
{
    struct bench_plan *plan = plan_of("randread", 3);
    struct recommend_input in = { .plan = plan, .block = false };
    struct bench_cell *ram;
    struct recommendation *r;

    set_iops(plan, WL_RANDREAD, CACHE_WRITETHROUGH, IO_THREADS, 900000, 1000);
    ram = cell_of(plan, WL_RANDREAD, CACHE_WRITETHROUGH, IO_THREADS);
    ram->result.device_measured = true;
    ram->result.device_read_share = 0.05;
    set_iops(plan, WL_RANDREAD, CACHE_NONE, IO_URING, 30000, 300);
    r = decide(&in);
    assert_pick(r, CACHE_NONE, IO_URING);
    g_assert_true(has_line(r->reasons, "writethrough/threads randread: 95% of its reads came "
                                       "from the host's page cache"));
    recommendation_free(r);
    /* The same figure measured at the device is a real lead. */
    ram->result.device_read_share = 0.9;
    r = decide(&in);
    assert_pick(r, CACHE_WRITETHROUGH, IO_THREADS);
    recommendation_free(r);
    bench_plan_free(plan);
}

/* tmpfs-like: none and directsync unsupported; the reason says what that means. */
static void test_no_o_direct(void)
{
    struct bench_plan *plan = plan_of("randwrite", 3);
    struct recommend_input in = { .plan = plan, .fstype = "tmpfs" };
    struct recommendation *r;

    for (guint i = 0; i < plan->cells->len; i++) {
        struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);

        if (c->valid && cache_mode_info(c->cache)->direct) {
            c->result.status = CELL_UNSUPPORTED;
            c->result.iops = 0;
        }
    }
    set_iops(plan, WL_RANDWRITE, CACHE_WRITETHROUGH, IO_URING, 15000, 100);
    r = decide(&in);
    assert_pick(r, CACHE_WRITETHROUGH, IO_URING);
    g_assert_true(has_line(r->reasons, "the filesystem (tmpfs) refuses O_DIRECT: cache=none and "
                                       "directsync cannot run on it"));
    recommendation_free(r);
    bench_plan_free(plan);
}

/* QEMU 7.1 with io_uring and iothreads: the warning; not on 7.2, not without iothreads. */
static void test_qemu_7_1_warning(void)
{
    struct bench_plan *plan = plan_of("randread", 3);
    struct recommend_input in = { .plan = plan, .block = true, .lvm = true, .iothreads = 1,
                                  .qemu_version = 7001000 };
    struct recommendation *r;

    set_iops(plan, WL_RANDREAD, CACHE_NONE, IO_URING, 30000, 100);
    r = decide(&in);
    assert_pick(r, CACHE_NONE, IO_URING);
    g_assert_true(has_line(r->warnings, "hung on QEMU 7.1 (QEMU issue 1193)"));
    g_assert_true(has_line(r->warnings, "Proxmox turns it off there"));
    g_assert_false(has_line(r->warnings, "live-migrate"));
    recommendation_free(r);
    in.qemu_version = 7002000;
    r = decide(&in);
    g_assert_false(has_line(r->warnings, "QEMU 7.1"));
    recommendation_free(r);
    in.qemu_version = 7001000;
    in.iothreads = 0;
    r = decide(&in);
    g_assert_false(has_line(r->warnings, "QEMU 7.1"));
    recommendation_free(r);
    bench_plan_free(plan);
}

/* The profile weighs workloads: a cell that wins randread but loses syncwrite badly loses a
 * database profile; a workload of the profile that did not run is said. */
static void test_profile_weighs_workloads(void)
{
    struct bench_plan *plan = plan_of("randread,syncwrite", 3);
    struct recommend_profile p;
    struct recommend_input in = { .plan = plan, .block = true, .profile = &p };
    struct recommendation *r;
    GError *err = NULL;

    set_iops(plan, WL_RANDREAD, CACHE_NONE, IO_URING, 20000, 100);
    set_iops(plan, WL_SYNCWRITE, CACHE_NONE, IO_URING, 2000, 100);
    set_iops(plan, WL_SYNCWRITE, CACHE_DIRECTSYNC, IO_NATIVE, 30000, 100);
    g_assert_true(recommend_profile_parse("randread", &p, &err));
    r = decide(&in);
    assert_pick(r, CACHE_NONE, IO_URING);
    g_assert_true(has_line(r->reasons, "profile custom: randread 100%"));
    recommendation_free(r);
    recommend_profile_clear(&p);
    g_assert_true(recommend_profile_parse("database", &p, &err));
    r = decide(&in);
    assert_pick(r, CACHE_DIRECTSYNC, IO_NATIVE);
    g_assert_true(has_line(r->reasons, "randwrite is in the profile but has no results"));
    g_assert_true(has_line(r->reasons, "profile database: randread 38%, syncwrite 62%"));
    recommendation_free(r);
    recommend_profile_clear(&p);
    /* No workload of the profile ran: an error naming it, not a guess. */
    g_assert_true(recommend_profile_parse("seqread", &p, &err));
    g_assert_null(recommend_disk(&in, &err));
    g_assert_error(err, RECOMMEND_ERROR, RECOMMEND_ERROR_NO_DATA);
    g_clear_error(&err);
    recommend_profile_clear(&p);
    bench_plan_free(plan);
}

static void test_json_and_apply_args(void)
{
    struct bench_plan *plan = plan_of("randread", 3);
    struct recommend_input in = { .plan = plan, .block = true };
    struct recommendation *r;
    g_autofree char *args = NULL;
    json_object *o, *v;

    set_iops(plan, WL_RANDREAD, CACHE_NONE, IO_NATIVE, 30000, 100);
    r = decide(&in);
    args = recommendation_apply_args(r);
    g_assert_cmpstr(args, ==, "--cache none --io native");
    o = recommendation_to_json(r);
    g_assert_true(json_object_object_get_ex(o, "cache", &v));
    g_assert_cmpstr(json_object_get_string(v), ==, "none");
    g_assert_true(json_object_object_get_ex(o, "scores", &v));
    g_assert_cmpint(json_object_array_length(v), ==, 12);
    g_assert_true(json_object_object_get_ex(o, "would_win", &v));
    g_assert_null(v);
    json_object_put(o);
    recommendation_free(r);
    bench_plan_free(plan);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/recommend/profiles-parse", test_profiles_parse);
    g_test_add_func("/recommend/volatile-switch", test_volatile_switch);
    g_test_add_func("/recommend/tie-inside-the-noise", test_tie_inside_the_noise);
    g_test_add_func("/recommend/one-round-says-no-spread", test_one_round_says_no_spread);
    g_test_add_func("/recommend/page-cache-cell-does-not-win", test_page_cache_cell_does_not_win);
    g_test_add_func("/recommend/no-o-direct", test_no_o_direct);
    g_test_add_func("/recommend/qemu-7.1-warning", test_qemu_7_1_warning);
    g_test_add_func("/recommend/profile-weighs-workloads", test_profile_weighs_workloads);
    g_test_add_func("/recommend/json-and-apply-args", test_json_and_apply_args);
    return g_test_run();
}
