#include "core/bench_job.h"

#include "core/statedir.h"
#include "probes/units.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/bench_mode.h"
#include "core/session.h"
#include "probes/lvm.h"

/* Without libvirt nobody can say which domains use the target: reads go on with a notice,
 * writes to an existing target do not (on doubt the answer is no). A scratch file is new:
 * no domain can use it. */
static bool check_without_libvirt(struct bench_job *job, const char *no_libvirt, GError **err)
{
    if (!no_libvirt)
        return true;
    if (job->mode == BENCH_MODE_DESTRUCTIVE && bench_plan_writes(job->plan)) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED,
                    "cannot check which domains use %s: %s; nothing written", job->plan->target,
                    no_libvirt);
        return false;
    }
    if (job->mode != BENCH_MODE_SCRATCH)
        g_ptr_array_add(job->notices,
                        g_strdup_printf("notice: no libvirt connection (%s): domains using %s "
                                        "not checked", no_libvirt, job->plan->target));
    return true;
}

static void note_users(struct bench_job *job, struct session *s)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) users = s ? bench_target_users(s, job->plan->target, &e) : NULL;

    if (s && !users) {
        g_ptr_array_add(job->notices, g_strdup_printf("notice: %s: domains using it not checked: %s",
                                                      job->plan->target, e->message));
        return;
    }
    for (guint i = 0; users && i < users->len; i++)
        g_ptr_array_add(job->notices,
                        g_strdup_printf("warning: %s is used by running domain %s: the guest "
                                        "shares the device during the run", job->plan->target,
                                        (const char *)g_ptr_array_index(users, i)));
}

/* Once here; every read cell's reason says it again in the results. */
static void note_thin(struct bench_job *job)
{
    bool reads = false;

    for (guint i = 0; i < job->plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(job->plan->cells, struct bench_cell, i);

        reads = reads || (c->valid && c->wl.read_pct > 0);
    }
    if (bench_plan_check_thin(job->plan, NULL) && reads)
        g_ptr_array_add(job->notices, g_strdup_printf("warning: %s: %s", job->plan->target,
                                                      BENCH_THIN_WARNING));
}

static bool target_exists(const char *path, GError **err)
{
    struct stat st;

    if (stat(path, &st) == 0)
        return true;
    g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s: %s", path, g_strerror(errno));
    return false;
}

/* Where LVM puts an LV's node: $DM_DEV_DIR/VG/LV (LVM's own variable; default /dev). */
static char *lv_node(const char *vg, const char *name)
{
    const char *dev = g_getenv("DM_DEV_DIR");

    return g_build_filename(dev && *dev ? dev : "/dev", vg, name, NULL);
}

/* Scratch for an LV-backed disk: a new LV in the same volume group (the same PVs, so the
 * same devices), made only at the size the user names: it takes that much of the VG's free
 * space. The disk's LV is never opened. */
static char *scratch_lv_for(struct session *session, const struct bench_job_spec *spec,
                            const char *image, struct bench_request *req,
                            struct bench_job *job, char **vg, GError **err)
{
    g_autofree char *source = bench_domain_disk_source(session, spec->domain, spec->disk);
    g_autoptr(GError) why = NULL;
    g_autofree char *name = bench_scratch_lv_name();
    char size[UNITS_BYTES_LEN];
    struct lvm_lv lv;
    char *path;

    if (!lvm_lookup(source ? source : image, &lv, &why)) {
        /* Not an LV: refused; LVM not there to ask: failed. */
        g_set_error(err, BENCH_ERROR,
                    g_error_matches(why, LVM_ERROR, LVM_ERROR_NO_TOOL) ? BENCH_ERROR_FAILED
                                                                       : BENCH_ERROR_REFUSED,
                    "%s: --mode scratch on a block device needs a scratch LV in the disk's "
                    "LVM volume group, but %s; use --target on a new file", image,
                    why->message);
        return NULL;
    }
    if (!req->scratch_size) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE,
                    "disk %s of %s is LV %s/%s: --mode scratch makes a scratch LV in volume "
                    "group %s only when you name its size with --scratch-size SIZE",
                    spec->disk, spec->domain, lv.vg, lv.lv, lv.vg);
        lvm_lv_clear(&lv);
        return NULL;
    }
    if (req->span > req->scratch_size) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE,
                    "--span is larger than --scratch-size: the span lies inside the scratch LV");
        lvm_lv_clear(&lv);
        return NULL;
    }
    *vg = g_strdup(lv.vg);
    path = lv_node(lv.vg, name);
    units_format_bytes(req->scratch_size, size, sizeof size);
    g_ptr_array_add(job->notices, g_strdup_printf(
        "notice: scratch LV %s/%s (%s, lvcreate'd in the volume group of %s/%s, removed at "
        "the end): the disk's LV is never written", lv.vg, name, size, lv.vg, lv.lv));
    lvm_lv_clear(&lv);
    return path;
}

/* Scratch for a domain's disk: a new file beside its image (same directory, so the same
 * filesystem and device), as large as the image up to the default scratch span; for an
 * LV-backed disk a new LV beside it (scratch_lv_for). The disk itself is never opened for
 * writing. *vg: the volume group of a scratch LV, else NULL. */
static char *scratch_beside(struct session *session, const struct bench_job_spec *spec,
                            struct bench_request *req, struct bench_job *job, char **vg,
                            GError **err)
{
    g_autofree char *image = bench_domain_disk_path(session, spec->domain, spec->disk, err);
    g_autofree char *dir = NULL;
    struct stat st;
    char *path;

    *vg = NULL;
    if (!image)
        return NULL;
    if (stat(image, &st) == 0 && S_ISBLK(st.st_mode))
        return scratch_lv_for(session, spec, image, req, job, vg, err);
    if (stat(image, &st) != 0 || !S_ISREG(st.st_mode)) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED,
                    "%s: --mode scratch needs an image file or an LVM logical volume; use "
                    "--target on a new file", image);
        return NULL;
    }
    if (req->scratch_size) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE,
                    "--scratch-size is for a disk on an LVM logical volume; %s is an image "
                    "file (its scratch file takes --span)", image);
        return NULL;
    }
    dir = g_path_get_dirname(image);
    path = g_strdup_printf("%s/.virt-disktune-scratch-%d.img", dir, (int)getpid());
    if (req->span == 0)
        req->span = MIN((uint64_t)st.st_size, BENCH_DEFAULT_SCRATCH_SPAN);
    g_ptr_array_add(job->notices, g_strdup_printf("notice: scratch file %s beside %s (removed "
                                                  "at the end): the image is never written",
                                                  path, image));
    return path;
}

/* What preserve mode will do, before it does it. */
static void note_preserve(struct bench_job *job)
{
    g_autofree char *dir = statedir_journals_here();
    char span[UNITS_BYTES_LEN];

    units_format_bytes(job->plan->span, span, sizeof span);
    g_ptr_array_add(job->notices, g_strdup_printf(
        "notice: preserve: each writing cell writes the first %s of %s, saved first to a "
        "journal (%s of data) in %s and written back and verified after it", span,
        job->plan->target, span, dir ? dir : "?"));
}

struct bench_job *bench_job_prepare(struct session *session, const struct bench_job_spec *spec,
                                    GError **err)
{
    g_autoptr(BenchJob) job = g_new0(struct bench_job, 1);
    g_autofree char *path = NULL, *scratch_vg = NULL;
    struct bench_authority auth = {
        .mode = spec->mode,
        .yes_destroy_data = spec->yes_destroy_data,
        .domain_disk = spec->domain != NULL,
        .session = session,
    };

    struct bench_request req = spec->req;

    job->mode = spec->mode;
    job->notices = g_ptr_array_new_with_free_func(g_free);
    if (req.scratch_size && !(spec->domain && spec->mode == BENCH_MODE_SCRATCH)) {
        g_set_error_literal(err, BENCH_ERROR, BENCH_ERROR_USAGE,
                            "--scratch-size is for --mode scratch on a domain's disk on an "
                            "LVM logical volume (--domain/--disk)");
        return NULL;
    }
    if (spec->domain && spec->mode == BENCH_MODE_SCRATCH) {
        path = scratch_beside(session, spec, &req, job, &scratch_vg, err);
        auth.domain_disk = false;   /* the target is the new file, not the disk */
    } else {
        path = spec->domain ? bench_domain_disk_path(session, spec->domain, spec->disk, err)
                            : g_strdup(spec->target);
    }
    if (!path)
        return NULL;
    job->plan = bench_plan_new(path, &req, session_qemu_version(session), err);
    if (job->plan && scratch_vg) {
        g_autofree char *name = bench_scratch_lv_name();

        bench_plan_set_scratch_lv(job->plan, scratch_vg, name, req.scratch_size);
    }
    if (job->plan && spec->domain) {
        job->plan->domain = g_strdup(spec->domain);
        job->plan->disk = g_strdup(spec->disk);
        /* The format the domain's XML names, never one probed from the guest's data (a raw
         * disk whose guest wrote a qcow2 header must not be read as qcow2); a scratch file
         * is raw. */
        g_autofree char *format = bench_domain_disk_format(session, spec->domain, spec->disk,
                                                           &job->plan->domain_uuid);

        if (!job->plan->format)
            job->plan->format = spec->mode == BENCH_MODE_SCRATCH ? g_strdup("raw")
                                                                  : g_steal_pointer(&format);
    }
    if (job->plan && !job->plan->format && spec->mode == BENCH_MODE_SCRATCH)
        job->plan->format = g_strdup("raw");
    if (!job->plan || !check_without_libvirt(job, spec->no_libvirt, err) ||
        !bench_plan_authorize(job->plan, &auth, err))
        return NULL;
    if (spec->mode == BENCH_MODE_PRESERVE && job->plan->allow_write)
        note_preserve(job);
    if (spec->mode != BENCH_MODE_SCRATCH) {
        if (!target_exists(job->plan->target, err))
            return NULL;
        note_users(job, session);
        note_thin(job);
    }
    return g_steal_pointer(&job);
}

bool bench_job_start(struct bench_job *job, GError **err)
{
    const struct bench_mode_ops *ops = job->plan->mode_ops;

    if (ops && ops->prepare && !ops->prepare(job->plan, err))
        return false;
    job->run = bench_run_start(job->plan, err);
    return job->run != NULL;
}

bool bench_job_finish(struct bench_job *job, GError **err)
{
    if (job->run) {
        bench_run_free(job->run);
        job->run = NULL;
    }
    if (!job->plan || !job->plan->mode_ops || !job->plan->mode_ops->finish)
        return true;
    return job->plan->mode_ops->finish(job->plan, err);
}

void bench_job_free(struct bench_job *job)
{
    if (!job)
        return;
    (void)bench_job_finish(job, NULL);
    if (job->plan)
        bench_plan_free(job->plan);
    if (job->notices)
        g_ptr_array_unref(job->notices);
    g_free(job);
}

struct bench_job *bench_job_from_plan(struct bench_plan *plan)
{
    struct bench_job *job = g_new0(struct bench_job, 1);

    job->plan = plan;
    job->mode = BENCH_MODE_READ_ONLY;
    job->notices = g_ptr_array_new_with_free_func(g_free);
    return job;
}
