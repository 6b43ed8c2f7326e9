/*
 * complete.c - the completion side: iore__ring_post (any thread),
 * PopIoRingCompletion and SetIoRingCompletionEvent (ioring.md 10.1, 10.2,
 * 15).
 *
 * A post moves one entry from in_flight (F) to the CQ (U) in one critical
 * section under ring->lock, so SubmitIoRing's capacity check (S + F + U <=
 * CQ, submit.c) is never invalidated behind its back and the CQ always has
 * room. After CloseIoRing the CQE is dropped but in_flight still drops, so
 * a submitter woken by the close never waits on a count nobody will lower.
 *
 * The completion event is set while ring->lock is held: the ring's
 * reference on it may be dropped by SetIoRingCompletionEvent or
 * CloseIoRing as soon as the lock is released, and "no signal after
 * close" is exact this way. Lock order: ring->lock, then the event's own
 * lock (sync.c), which is a leaf.
 */
#include "ring.h"

#include <assert.h>

/* Under r->lock: n entries move from in_flight to the CQ. */
static void post_locked(struct iore__ring *r, const IORING_CQE *cqes, uint32_t n)
{
    assert(r->in_flight >= n);
    r->in_flight -= n;
    r->posted += n;
    if (r->closed || n == 0)
        return;
    /* Unreachable by the capacity rule; an internal bug if it fires. */
    assert(r->cq_tail - r->cq_head + n <= r->cq_size);
    bool was_empty = r->cq_tail == r->cq_head;
    for (uint32_t i = 0; i < n; i++)
        r->cq[r->cq_tail++ & (r->cq_size - 1)] = cqes[i];
    /* Only the empty -> non-empty edge signals (ioring.md 15). */
    if (was_empty && r->event)
        iore__event_set(r->event);
}

void iore__ring_post_many(struct iore__ring *r, const IORING_CQE *cqes, uint32_t n)
{
    pthread_mutex_lock(&r->lock);
    post_locked(r, cqes, n);
    /* The only thread that waits on cond is the submitter (its wait or a
     * DRAIN); every post may be the one it waits for. It registers in
     * `waiters` under the lock before it sleeps, so skipping the signal
     * when nobody is registered loses no wake-up. */
    if (r->waiters && n > 0)
        pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

void iore__ring_post(struct iore__ring *r, UINT_PTR user_data, HRESULT hr, ULONG_PTR info)
{
    const IORING_CQE cqe = { .UserData = user_data, .ResultCode = hr, .Information = info };
    iore__ring_post_many(r, &cqe, 1);
}

IORE_API HRESULT PopIoRingCompletion(HIORING ioRing, IORING_CQE *cqe)
{
    /* A pin, not a reference: Pop never waits (iore__ring_enter). */
    uint32_t pin;
    struct iore__ring *r = iore__ring_enter(ioRing, &pin);
    if (!r)
        return E_HANDLE;
    if (!cqe) {
        iore__ring_leave(pin);
        return E_INVALIDARG;
    }

    IORING_CQE out = { 0 };
    HRESULT hr = S_OK;
    pthread_mutex_lock(&r->lock);
    if (r->closed)
        hr = E_HANDLE;
    else if (r->cq_head == r->cq_tail)
        hr = S_FALSE;
    else
        out = r->cq[r->cq_head++ & (r->cq_size - 1)];
    pthread_mutex_unlock(&r->lock);
    iore__ring_leave(pin);
    /* The caller's memory is written outside the lock and only on S_OK. */
    if (hr == S_OK)
        *cqe = out;
    return hr;
}

/* The event to install for hEvent: NULL removes the association; anything
 * that is not one of our events is E_INVALIDARG (ioring.md 10.2). */
static HRESULT event_for(HANDLE hEvent, struct iore__event **out)
{
    *out = NULL;
    if (!hEvent)
        return S_OK;
    if (hEvent == INVALID_HANDLE_VALUE)
        return E_INVALIDARG;
    *out = iore__event_get(hEvent, NULL);
    return *out ? S_OK : E_INVALIDARG;
}

IORE_API HRESULT SetIoRingCompletionEvent(HIORING ioRing, HANDLE hEvent)
{
    struct iore__ring *r = iore__ring_get(ioRing);
    if (!r)
        return E_HANDLE;

    /* The ring holds its own reference, so the caller may close hEvent. */
    struct iore__event *ev;
    HRESULT hr = event_for(hEvent, &ev);
    if (FAILED(hr))
        goto out;

    pthread_mutex_lock(&r->lock);
    struct iore__event *old = ev;
    if (r->closed) {
        hr = E_HANDLE;
    } else {
        /* Storing does not signal, even if CQEs are waiting (10.2). */
        old = r->event;
        r->event = ev;
    }
    pthread_mutex_unlock(&r->lock);
    if (old)
        iore__event_put(old);
out:
    iore__ring_put(r);
    return hr;
}
