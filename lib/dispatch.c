/*
 * dispatch.c - turns one submitted entry into work (ioring.md section 11).
 *
 * First cut: NOP and the per-ring execution state. File operations, cancel
 * and registrations land in the following commits.
 */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>

/* Per-ring execution state. Owned by the ring; freed by iore__exec_destroy. */
struct iore__exec {
    int unused;
};

int iore__exec_init(struct iore__ring *r)
{
    r->exec = calloc(1, sizeof(*r->exec));
    return r->exec ? 0 : -ENOMEM;
}

void iore__exec_close(struct iore__ring *r)
{
    (void)r;
}

void iore__exec_destroy(struct iore__ring *r)
{
    free(r->exec);
    r->exec = NULL;
}

void iore__exec_stats(struct iore__ring *r, IORE_RING_STATS *st)
{
    (void)r;
    (void)st;
}

void iore__dispatch(struct iore__ring *r, const struct iore__sqe *sqe)
{
    if (sqe->deferred != S_OK) {
        iore__ring_post(r, sqe->user_data, sqe->deferred, 0);
        return;
    }
    switch (sqe->opcode) {
    case IORING_OP_NOP:
        iore__ring_post(r, sqe->user_data, S_OK, 0);
        return;
    default:
        /* Not implemented yet: reported, never silently succeeded. */
        iore__ring_post(r, sqe->user_data, E_NOTIMPL, 0);
        return;
    }
}
