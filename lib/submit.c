/*
 * submit.c - SubmitIoRing (ioring.md 9, 11, 16, 18).
 *
 * One call:
 *   1. validate (9.2, in table order) and, if everything passes, claim the
 *      ring's single submit slot (ring->submitting) in the same critical
 *      section, recording S, U0 and the post count;
 *   2. process exactly S entries in SQ order (11): a DRAIN entry first waits
 *      for in_flight == 0; each entry is copied out of the SQ, counted in
 *      in_flight and the head advanced under ring->lock, then handed to
 *      iore__dispatch() without the lock;
 *   3. wait (9.3) for the target number of posts, or for in_flight == 0
 *      with IORING_SUBMIT_WAIT_ALL, against a CLOCK_MONOTONIC deadline
 *      started after step 2;
 *   4. release the submit slot, and run iore__exec_close() if CloseIoRing
 *      ran while this thread was inside (see ring.c, "Close").
 *
 * Why the capacity rule S + F + U <= CQ holds under concurrency: the check
 * and the claim of the submit slot happen under ring->lock; while the slot
 * is held no other thread can add to F, posts move one unit from F to U in
 * one critical section, pops only remove from U, and entries built after
 * the check are not part of S. So the CQ always has room for every post
 * (complete.c asserts it).
 *
 * The thread blocks in two places, both on ring->cond with only ring->lock
 * released by the wait: DRAIN (no timeout) and the final wait. Both are
 * woken by posts and by CloseIoRing.
 */
#include "ring.h"

#include <errno.h>
#include <time.h>

/* What one call sees and accumulates; lives on the submitter's stack. */
struct submit {
    uint32_t wait;       /* waitOperations */
    uint32_t to_submit;  /* S */
    uint32_t unpopped0;  /* U0 */
    uint32_t posted0;    /* ring->posted when processing began */
    uint32_t dispatched; /* entries handed to iore__dispatch so far */
};

/* ---------------------------------------------------------------- 9.2 */

/* Under r->lock. Rows 1-5 of the check table; on success claims the
 * submit slot and fills s. */
static HRESULT check_and_claim(struct iore__ring *r, struct submit *s)
{
    if (r->closed)
        return E_HANDLE;
    if (s->wait != IORING_SUBMIT_WAIT_ALL && s->wait > r->cq_size)
        return E_INVALIDARG;
    if (r->submitting)
        return IORING_E_SUBMIT_IN_PROGRESS;

    uint32_t sq = r->sq_tail - r->sq_head;
    uint32_t cq = r->cq_tail - r->cq_head;
    /* Each term is at most 0x20000: the 64-bit sum cannot wrap. */
    uint64_t total = (uint64_t)sq + r->in_flight + cq;
    if (total > r->cq_size)
        return IORING_E_COMPLETION_QUEUE_TOO_FULL;
    if (s->wait != IORING_SUBMIT_WAIT_ALL && s->wait > total)
        return E_INVALIDARG;

    r->submitting = true;
    s->to_submit = sq;
    s->unpopped0 = cq;
    s->posted0 = r->posted;
    return S_OK;
}

/* ---------------------------------------------------------------- 11 */

/* Under r->lock (released while waiting). DRAIN: every op dispatched
 * before this entry has posted. False if the ring was closed meanwhile. */
static bool drain(struct iore__ring *r)
{
    while (r->in_flight > 0 && !r->closed)
        pthread_cond_wait(&r->cond, &r->lock);
    return !r->closed;
}

/* Under r->lock; returns with it held. Dispatches the S entries, stopping
 * early only if the ring is closed. */
static void process(struct iore__ring *r, struct submit *s)
{
    while (s->dispatched < s->to_submit && !r->closed) {
        /* The slot at sq_head is ours: builders only write at sq_tail, and
         * only CloseIoRing (which sets `closed`, checked after every unlock)
         * moves sq_head while we hold the submit slot. */
        const struct iore__sqe *slot = &r->sq[r->sq_head & (r->sq_size - 1)];
        if ((slot->sqe_flags & IOSQE_FLAGS_DRAIN_PRECEDING_OPS) && !drain(r))
            return;
        struct iore__sqe sqe = *slot;
        r->sq_head++;
        r->in_flight++;
        pthread_mutex_unlock(&r->lock);
        iore__dispatch(r, &sqe);
        pthread_mutex_lock(&r->lock);
        s->dispatched++;
    }
}

/* ---------------------------------------------------------------- 9.3 */

/* Under r->lock: whether the wait of 9.3 is satisfied. */
static bool wait_done(const struct iore__ring *r, const struct submit *s)
{
    if (s->wait == IORING_SUBMIT_WAIT_ALL)
        return r->in_flight == 0;
    /* T = max(0, N - U0) posts since the call began; posted is
     * free-running, so compare the unsigned difference. */
    uint32_t target = s->wait > s->unpopped0 ? s->wait - s->unpopped0 : 0;
    return r->posted - s->posted0 >= target;
}

static struct timespec deadline_after(uint32_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Under r->lock (released while waiting). S_OK, the timeout HRESULT, or
 * E_HANDLE when CloseIoRing woke us. */
static HRESULT wait_completions(struct iore__ring *r, const struct submit *s, uint32_t ms)
{
    if (s->wait == 0)
        return S_OK;
    /* The clock starts now, after processing (DRAIN time is not counted). */
    struct timespec deadline = deadline_after(ms == INFINITE ? 0 : ms);
    for (;;) {
        if (r->closed)
            return E_HANDLE;
        if (wait_done(r, s))
            return S_OK;
        if (ms == 0)
            break;
        if (ms == INFINITE)
            pthread_cond_wait(&r->cond, &r->lock);
        else if (pthread_cond_timedwait(&r->cond, &r->lock, &deadline) == ETIMEDOUT)
            ms = 0; /* one last look at the state, then time out */
    }
    return HRESULT_FROM_WIN32(ERROR_TIMEOUT);
}

/* ---------------------------------------------------------------- the call */

/* Under r->lock; returns with it held. Steps 2 and 3 for a claimed slot,
 * then gives the slot back. Sets *exec_close when CloseIoRing ran while we
 * were inside and so left iore__exec_close() to us. */
static HRESULT run_claimed(struct iore__ring *r, struct submit *s, uint32_t ms,
                           bool *exec_close)
{
    HRESULT hr;

    process(r, s);
    if (r->closed)
        hr = E_HANDLE;
    else
        hr = wait_completions(r, s, ms);
    r->submitting = false;
    /* We entered with closed == false, so a closer that ran since saw
     * submitting == true and did not call iore__exec_close itself. */
    *exec_close = r->closed;
    return hr;
}

IORE_API HRESULT SubmitIoRing(HIORING ioRing, UINT32 waitOperations, UINT32 milliseconds,
                              UINT32 *submittedEntries)
{
    struct submit s = { .wait = waitOperations };
    bool exec_close = false;
    HRESULT hr = E_HANDLE;

    struct iore__ring *r = iore__ring_get(ioRing);
    if (!r)
        goto out;
    pthread_mutex_lock(&r->lock);
    hr = check_and_claim(r, &s);
    if (hr == S_OK)
        hr = run_claimed(r, &s, milliseconds, &exec_close);
    pthread_mutex_unlock(&r->lock);
    if (exec_close)
        iore__exec_close(r);
    iore__ring_put(r);
out:
    if (submittedEntries)
        *submittedEntries = s.dispatched;
    return hr;
}
