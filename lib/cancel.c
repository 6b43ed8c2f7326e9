/*
 * cancel.c - IORING_OP_CANCEL (ioring.md section 14).
 *
 * A cancel matches the ring's pending ops (dispatched, CQE not posted)
 * whose resolved HANDLE value equals the cancel's and whose UserData equals
 * opToCancel (0: every pending op on that handle). Its own CQE is posted by
 * dispatch right after the requests below, so it may precede the targets'.
 *
 * What a request does depends on where the op is (dispatch.c, DESIGN):
 * queued on the pool -> withdrawn, completes ERROR_OPERATION_ABORTED at
 * once (on this thread); waiting for a non-seekable descriptor -> the wait
 * is interrupted and the op completes the same way on the loop thread;
 * inside a system call -> nothing, it finishes with its real result. The
 * `cancelled` flag, set under exec->lock, stops an op that moves between
 * pool and wait in the meantime at its next hand-off.
 *
 * Matched ops cannot be recycled while this runs: only dispatch takes op
 * structs from the free list, and dispatch is this very thread.
 */
#include "exec.h"

static bool matches(const struct iore__op *op, HANDLE h, UINT_PTR target)
{
    return op->handle == h && (target == 0 || op->user_data == target);
}

/* exec->lock must not be held: a withdrawn op posts its CQE from here. */
static void request(struct iore__op *op)
{
    if (op->cancel_where == IORE_OP_POOL)
        iore__pool_cancel(&op->work);
    else if (op->cancel_where == IORE_OP_WAIT)
        iore__pool_wait_cancel(&op->wait);
    /* -EBUSY from either: running, or already moving on; the flag decides. */
}

HRESULT iore__cancel_matching(struct iore__ring *r, HANDLE h, UINT_PTR target)
{
    struct iore__exec *ex = r->exec;
    struct iore__op *hits = NULL;
    unsigned matched = 0;

    pthread_mutex_lock(&ex->lock);
    for (struct iore__op *op = ex->pending; op; op = op->link_next) {
        if (!matches(op, h, target))
            continue;
        matched++;
        if (op->cancelled)
            continue; /* an earlier cancel already asked */
        op->cancelled = true;
        op->cancel_where = op->where;
        op->cancel_next = hits;
        hits = op;
    }
    pthread_mutex_unlock(&ex->lock);

    while (hits) {
        struct iore__op *next = hits->cancel_next;
        request(hits);
        hits = next;
    }
    return matched ? S_OK : HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
}
