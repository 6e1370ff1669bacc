#include "probes/engine.h"

#include <stddef.h>

static const struct engine_ops *const engines[IO_COUNT] = {
    [IO_NATIVE]  = &engine_aio_ops,
    [IO_THREADS] = &engine_threads_ops,
    [IO_URING]   = &engine_uring_ops,
};

const struct engine_ops *engine_for(enum io_mode mode)
{
    if ((unsigned)mode >= IO_COUNT)
        return NULL;
    return engines[mode];
}
