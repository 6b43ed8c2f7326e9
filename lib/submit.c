/*
 * submit.c - SubmitIoRing (ioring.md 9, 11, 16, 18).
 *
 * One call:
 *   1. validate (9.2, in table order) and, if everything passes, claim the
 *      ring's single submit slot (ring->submitting) in the same critical
 *      section, recording S, U0 and the post count;
 *   2. process exactly S entries in SQ order (11), in groups of up to
 *      CLAIM_MAX: under ring->lock a group is copied out of the SQ, counted
 *      in in_flight and the head advanced (a DRAIN entry first waits for
 *      in_flight == 0, and only ever starts a group, so the wait covers
 *      exactly the entries dispatched before it); then, without the lock,
 *      each entry goes to iore__dispatch(), or a run of reads to
 *      iore__dispatch_run(). One lock round trip per group, not per entry.
 *      If the ring is closed in the middle of a group, the entries not yet
 *      dispatched are given back to in_flight and not counted;
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
 * woken by posts and by CloseIoRing; ring->waiters tells posts whether
 * anyone is there to wake.
 */
#include "ring.h"

#include <errno.h>
#include <time.h>

#define CLAIM_MAX IORE_RUN_MAX /* entries copied out per lock round trip */
#define RUN_MIN 2              /* consecutive reads worth iore__dispatch_run */

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
    r->waiters++;
    while (r->in_flight > 0 && !r->closed)
        pthread_cond_wait(&r->cond, &r->lock);
    r->waiters--;
    return !r->closed;
}

/* Under r->lock (released while draining). Moves the next group of
 * entries to out[] and counts them in in_flight; 0 if the ring was closed
 * during a DRAIN. */
static uint32_t claim(struct iore__ring *r, const struct submit *s, struct iore__sqe *out)
{
    uint32_t want = s->to_submit - s->dispatched;
    uint32_t n = 0;
    if (want > CLAIM_MAX)
        want = CLAIM_MAX;
    while (n < want) {
        /* The slot at sq_head is ours: builders only write at sq_tail, and
         * only CloseIoRing (which sets `closed`, checked after every unlock)
         * moves sq_head while we hold the submit slot. */
        const struct iore__sqe *slot = &r->sq[r->sq_head & (r->sq_size - 1)];
        if (slot->sqe_flags & IOSQE_FLAGS_DRAIN_PRECEDING_OPS) {
            if (n > 0)
                break; /* it starts the next group, after its wait */
            if (!drain(r))
                return 0;
        }
        out[n++] = *slot;
        r->sq_head++;
    }
    r->in_flight += n;
    return n;
}

/* Length of the run of reads starting at b[0] (at most n). */
static uint32_t run_length(const struct iore__sqe *b, uint32_t n)
{
    uint32_t k = 0;
    while (k < n && iore__dispatch_runnable(&b[k]))
        k++;
    return k;
}

/* Without r->lock. Dispatches b[0..n) in order; returns how many were
 * dispatched: n, unless CloseIoRing ran meanwhile. */
static uint32_t dispatch_group(struct iore__ring *r, const struct iore__sqe *b, uint32_t n)
{
    uint32_t i = 0;
    while (i < n && !atomic_load_explicit(&r->closed, memory_order_relaxed)) {
        uint32_t run = run_length(b + i, n - i);
        if (run >= RUN_MIN) {
            iore__dispatch_run(r, b + i, run);
            i += run;
        } else {
            iore__dispatch(r, &b[i]);
            i++;
        }
    }
    return i;
}

/* Under r->lock; returns with it held. Dispatches the S entries, stopping
 * early only if the ring is closed. */
static void process(struct iore__ring *r, struct submit *s)
{
    struct iore__sqe group[CLAIM_MAX];
    while (s->dispatched < s->to_submit && !r->closed) {
        uint32_t n = claim(r, s, group);
        if (n == 0)
            return;
        pthread_mutex_unlock(&r->lock);
        uint32_t done = dispatch_group(r, group, n);
        pthread_mutex_lock(&r->lock);
        /* Claimed but never dispatched (closed): they will not post. */
        r->in_flight -= n - done;
        s->dispatched += done;
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

/* Under r->lock (released while waiting). S_OK, the timeout HRESULT, or
 * E_HANDLE when CloseIoRing woke us. */
static HRESULT wait_completions(struct iore__ring *r, const struct submit *s, uint32_t ms)
{
    if (s->wait == 0)
        return S_OK;
    if (r->closed)
        return E_HANDLE;
    if (wait_done(r, s))
        return S_OK; /* the common case: no clock read, no sleep */
    /* The clock starts now, after processing (DRAIN time is not counted). */
    struct timespec deadline = { 0, 0 };
    if (ms != INFINITE && ms != 0)
        deadline = iore__deadline_after_ns((uint64_t)ms * 1000000u);
    HRESULT hr = HRESULT_FROM_WIN32(ERROR_TIMEOUT);
    r->waiters++;
    while (ms != 0) {
        if (ms == INFINITE)
            pthread_cond_wait(&r->cond, &r->lock);
        else if (pthread_cond_timedwait(&r->cond, &r->lock, &deadline) == ETIMEDOUT)
            ms = 0; /* one last look at the state, then time out */
        if (r->closed) {
            hr = E_HANDLE;
            break;
        }
        if (wait_done(r, s)) {
            hr = S_OK;
            break;
        }
    }
    r->waiters--;
    return hr;
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
