/*
 * ring.c - IoRing lifecycle: capabilities, CreateIoRing, GetIoRingInfo,
 * IsIoRingOpSupported, CloseIoRing, the HIORING -> ring lookup and the
 * iore_ring_stats extension.
 *
 * DESIGN
 *
 * Threads. The ring half (this file, build.c, submit.c, complete.c) owns no
 * thread. Application threads build, submit, pop and close; pool workers
 * (pool.c) and the submitting thread itself post completions through
 * iore__ring_post(). Any number of threads may call into a ring at once;
 * at most one of them is inside SubmitIoRing (ring->submitting).
 *
 * Ownership. struct iore__ring is reference counted (lib/iore.h objects):
 * the handle table owns one reference while the HIORING is open, every API
 * call holds one for its duration (iore__ring_get), and every asynchronous
 * op the execution half dispatched holds one until it has posted. The SQ
 * and CQ are private arrays inside the ring; the SQ holds copies of the
 * builders' arguments (arrays they point to stay the caller's), the CQ
 * holds finished CQEs until PopIoRingCompletion copies them out.
 *
 * Locking. ring->lock (lib/ring.h) protects the SQ, the CQ, the counters,
 * the flags and the event pointer. It is the outermost lock of the ring:
 * execution-half locks and the completion event's own lock are taken only
 * inside it, and it is never held across I/O, a pool hand-off, a DRAIN,
 * the submit wait or a call of iore__dispatch().
 *
 * How an SQE becomes a CQE (the long form is in lib/ring.h):
 *   builder   -> validates, copies its arguments into sq[tail], tail++;
 *   Submit    -> for each of the S entries present at its start: DRAIN
 *                wait if flagged, in_flight++ and head++ under the lock,
 *                then iore__dispatch() on a copy without the lock;
 *   dispatch  -> runs the op inline or on the pool, and whoever finishes
 *                it calls iore__ring_post();
 *   post      -> in_flight-- and cq[tail]++ in one critical section, so
 *                S + F + U never grows behind Submit's capacity check;
 *                the completion event is set on the empty -> non-empty
 *                edge only; the submit waiter is woken;
 *   Pop       -> copies cq[head] out, head++.
 *
 * Close. CloseIoRing removes the handle from the table first (so every
 * later call fails with E_HANDLE and exactly one closer wins), then, under
 * the lock, marks the ring closed, discards the unsubmitted SQEs and the
 * unpopped CQEs, drops the completion event and wakes a submitter blocked
 * in a DRAIN or in its wait (it returns E_HANDLE). In-flight ops are
 * neither cancelled nor waited for: their posts see `closed` and discard
 * the CQE. iore__exec_close() (registration tables) must not race with
 * dispatch, so it runs on the closing thread when no submitter is inside,
 * else on the submitter's way out; the `closed` flag, read and written
 * under the lock, decides which of the two does it. The memory goes with
 * the last reference (ring_destroy).
 *
 * fork(). A child inherits the parent's rings as dead copies: the lookup
 * refuses them, so every call returns E_HANDLE and nothing in the child
 * ever touches the copied locks, queues or pool state. Their memory is the
 * child's copy of the parent's and is released when the child exits. The
 * lookup runs on every API call, so it does not ask the kernel for the pid
 * (getpid() is a system call): a pthread_atfork child handler bumps a fork
 * generation, and a ring is alive only in the generation that created it.
 * If the handler could not be registered, the lookup compares pids instead.
 * (A child made by a raw clone() system call, which runs no atfork
 * handlers, is not supported, as by the rest of the library.)
 */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SQ 0x10000u
#define MAX_CQ 0x20000u

/* Incremented in every fork() child, while it is single-threaded; the
 * threads it creates later are ordered after that by pthread_create. So no
 * load can race with the store: relaxed atomics only to say so. */
static atomic_uint fork_gen;
static bool atfork_ok; /* written once at load, before any ring exists */

static void atfork_child(void) { iore__fetch_add_relaxed(&fork_gen, 1); }
/* At load, not at the first CreateIoRing: a fork() already under way when a
 * lazy registration ran would make a child that never bumps fork_gen. */
__attribute__((constructor)) static void register_atfork(void)
{
    atfork_ok = pthread_atfork(NULL, NULL, atfork_child) == 0;
}

static bool version_known(IORING_VERSION v)
{
    return v == IORING_VERSION_1 || v == IORING_VERSION_2 || v == IORING_VERSION_3 ||
           v == IORING_VERSION_4;
}

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

/* ioring.md 7.2: limits were checked on the requested values, so neither
 * result exceeds its maximum. */
static uint32_t sq_actual(uint32_t req)
{
    if (req == 0)
        return 32;
    if (req < 8)
        return 8;
    return pow2_at_least(req);
}

static uint32_t cq_actual(uint32_t req, uint32_t sq)
{
    return req <= 2 * sq ? 2 * sq : pow2_at_least(req);
}

/* The oldest version that has op; 0 for an unknown opcode. */
static IORING_VERSION op_version(IORING_OP_CODE op)
{
    switch (op) {
    case IORING_OP_NOP:
    case IORING_OP_READ:
    case IORING_OP_REGISTER_FILES:
    case IORING_OP_REGISTER_BUFFERS:
    case IORING_OP_CANCEL:
        return IORING_VERSION_1;
    case IORING_OP_WRITE:
    case IORING_OP_FLUSH:
        return IORING_VERSION_3;
    case IORING_OP_READ_SCATTER:
    case IORING_OP_WRITE_GATHER:
        return IORING_VERSION_4;
    }
    return IORING_VERSION_INVALID;
}

/* ioring.md 7.4: an op exists on a ring whose version is at least the
 * op's own; also the builders' E_NOTIMPL gate (ioring.md 8.2 row 2). */
bool iore__ring_has_op(const struct iore__ring *r, IORING_OP_CODE op)
{
    IORING_VERSION need = op_version(op);
    /* version is immutable after CreateIoRing. */
    return need != IORING_VERSION_INVALID && (uint32_t)r->version >= (uint32_t)need;
}

/* Called by the last iore__obj_unref(): no other thread can reach r. */
static void ring_destroy(struct iore__obj *obj)
{
    struct iore__ring *r = (struct iore__ring *)obj;

    /* Only rings whose iore__exec_init() succeeded get here. */
    iore__exec_destroy(r);
    if (r->event)
        iore__event_put(r->event);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r->cq);
    free(r->sq);
    free(r);
}

/* ring->lock guards a few stores per post, and with a run's helper two
 * threads post at once: spinning briefly (glibc's adaptive mutex) beats
 * sleeping in the kernel for such short sections. */
static int mutex_init_adaptive(pthread_mutex_t *m)
{
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
    pthread_mutexattr_t attr;
    int rc = pthread_mutexattr_init(&attr);
    if (rc)
        return -rc;
    rc = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    if (!rc)
        rc = pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    return -rc;
#else
    return -pthread_mutex_init(m, NULL);
#endif
}

/* Allocates a ring with its queues and execution state; 0 or -errno. */
static int ring_alloc(uint32_t sq, uint32_t cq, struct iore__ring **out)
{
    int rc = -ENOMEM;
    /* Through the fault table ("alloc"), so tests can fail each one. */
    struct iore__ring *r = iore__sys_calloc(1, sizeof *r);
    if (!r)
        goto fail;
    r->sq = iore__sys_calloc(sq, sizeof *r->sq);
    r->cq = iore__sys_calloc(cq, sizeof *r->cq);
    if (!r->sq || !r->cq)
        goto fail_queues;
    rc = mutex_init_adaptive(&r->lock);
    if (rc)
        goto fail_queues;
    /* The submit wait and DRAIN use relative timeouts (iore.h). */
    rc = -iore__cond_init_monotonic(&r->cond);
    if (rc)
        goto fail_mutex;
    rc = iore__exec_init(r);
    if (rc)
        goto fail_cond;
    r->sq_size = sq;
    r->cq_size = cq;
    r->pid = getpid();
    r->fork_gen = iore__load_relaxed(&fork_gen);
    *out = r;
    return 0;

fail_cond:
    pthread_cond_destroy(&r->cond);
fail_mutex:
    pthread_mutex_destroy(&r->lock);
fail_queues:
    free(r->cq);
    free(r->sq);
    free(r);
fail:
    return rc;
}

static HRESULT create_checks(IORING_VERSION version, IORING_CREATE_FLAGS flags, UINT32 sq,
                             UINT32 cq, HIORING *h)
{
    if (!h)
        return E_INVALIDARG;
    if (!version_known(version))
        return IORING_E_VERSION_NOT_SUPPORTED;
    if (sq > MAX_SQ)
        return IORING_E_SUBMISSION_QUEUE_TOO_BIG;
    if (cq > MAX_CQ)
        return IORING_E_COMPLETION_QUEUE_TOO_BIG;
    if (flags.Required != IORING_CREATE_REQUIRED_FLAGS_NONE)
        return IORING_E_REQUIRED_FLAG_NOT_SUPPORTED;
    return S_OK;
}

IORE_API HRESULT CreateIoRing(IORING_VERSION ioringVersion, IORING_CREATE_FLAGS flags,
                              UINT32 submissionQueueSize, UINT32 completionQueueSize,
                              HIORING *h)
{
    HRESULT hr = create_checks(ioringVersion, flags, submissionQueueSize,
                               completionQueueSize, h);
    if (FAILED(hr))
        return hr;

    uint32_t sq = sq_actual(submissionQueueSize);
    uint32_t cq = cq_actual(completionQueueSize, sq);
    struct iore__ring *r;
    int rc = ring_alloc(sq, cq, &r);
    if (rc == -ENOMEM)
        return E_OUTOFMEMORY;
    if (rc)
        return iore__hresult_from_errno(-rc, "CreateIoRing");
    r->version = ioringVersion;
    r->flags = flags;
    iore__obj_init(&r->obj, IORE_KIND_RING, ring_destroy);

    /* A full handle table is this emulator's form of the kernel running out
     * of handle space: an allocation failure. */
    HANDLE handle = iore__handle_new(&r->obj);
    if (!handle) {
        ring_destroy(&r->obj);
        return E_OUTOFMEMORY;
    }
    /* Written before anyone can look the ring up by value except a guess;
     * only diagnostics read it. */
    r->handle = (HIORING)handle;
    *h = (HIORING)handle;
    return S_OK;
}

/* Whether r was created by this process (not inherited through fork). */
static bool ours(const struct iore__ring *r)
{
    /* pid and fork_gen are written before the handle is published and never
     * change; atfork_ok was settled before the first ring existed. */
    return r->fork_gen == iore__load_relaxed(&fork_gen) && (atfork_ok || r->pid == getpid());
}

struct iore__ring *iore__ring_get(HIORING h)
{
    if (!h)
        return NULL;
    struct iore__obj *obj = iore__handle_get((HANDLE)h, IORE_KIND_RING, NULL);
    if (!obj)
        return NULL;
    struct iore__ring *r = (struct iore__ring *)obj;
    if (!ours(r)) {
        iore__obj_unref(obj);
        return NULL;
    }
    return r;
}

struct iore__ring *iore__ring_enter(HIORING h, uint32_t *pin)
{
    if (!h)
        return NULL;
    struct iore__obj *obj = iore__handle_pin((HANDLE)h, IORE_KIND_RING, pin);
    if (!obj)
        return NULL;
    struct iore__ring *r = (struct iore__ring *)obj;
    if (!ours(r)) {
        iore__handle_unpin(*pin);
        return NULL;
    }
    return r;
}

IORE_API HRESULT QueryIoRingCapabilities(IORING_CAPABILITIES *capabilities)
{
    if (!capabilities)
        return E_INVALIDARG;
    *capabilities = (IORING_CAPABILITIES){
        .MaxVersion = IORING_VERSION_4,
        .MaxSubmissionQueueSize = MAX_SQ,
        .MaxCompletionQueueSize = MAX_CQ,
        /* UM_EMULATION truthfully: this is the user-mode implementation the
         * bit was reserved for (ioring.md 7.1). */
        .FeatureFlags = IORING_FEATURE_UM_EMULATION | IORING_FEATURE_SET_COMPLETION_EVENT,
    };
    return S_OK;
}

IORE_API BOOL IsIoRingOpSupported(HIORING ioRing, IORING_OP_CODE op)
{
    struct iore__ring *r = iore__ring_get(ioRing);
    if (!r)
        return FALSE;
    BOOL ok = iore__ring_has_op(r, op);
    iore__ring_put(r);
    return ok;
}

IORE_API HRESULT GetIoRingInfo(HIORING ioRing, IORING_INFO *info)
{
    struct iore__ring *r = iore__ring_get(ioRing);
    if (!r)
        return E_HANDLE;
    if (!info) {
        iore__ring_put(r);
        return E_INVALIDARG;
    }
    /* All four fields are immutable after CreateIoRing. */
    *info = (IORING_INFO){
        .IoRingVersion = r->version,
        .Flags = r->flags,
        .SubmissionQueueSize = r->sq_size,
        .CompletionQueueSize = r->cq_size,
    };
    iore__ring_put(r);
    return S_OK;
}

/* Under r->lock: the closing half that must be atomic with respect to
 * builders, Submit, posts and Pop. Returns the event to release and
 * whether the caller must run iore__exec_close (no submitter inside). */
static struct iore__event *close_locked(struct iore__ring *r, bool *exec_close)
{
    struct iore__event *ev = r->event;

    r->closed = true;
    r->event = NULL;
    r->sq_head = r->sq_tail;
    r->cq_head = r->cq_tail;
    *exec_close = !r->submitting;
    /* The only waiter is a submitter (DRAIN or its wait). */
    pthread_cond_broadcast(&r->cond);
    return ev;
}

IORE_API HRESULT CloseIoRing(HIORING ioRing)
{
    struct iore__ring *r = iore__ring_get(ioRing);
    if (!r)
        return E_HANDLE;
    /* The handle table decides which of several concurrent closers wins;
     * it drops the table's reference, ours keeps r alive below. */
    if (iore__handle_close((HANDLE)ioRing, IORE_KIND_RING) != 0) {
        iore__ring_put(r);
        return E_HANDLE;
    }

    bool exec_close;
    pthread_mutex_lock(&r->lock);
    struct iore__event *ev = close_locked(r, &exec_close);
    pthread_mutex_unlock(&r->lock);

    if (ev)
        iore__event_put(ev);
    if (exec_close)
        iore__exec_close(r);
    iore__ring_put(r);
    return S_OK;
}

IORE_API HRESULT iore_ring_stats(HIORING ioRing, IORE_RING_STATS *stats)
{
    struct iore__ring *r = iore__ring_get(ioRing);
    if (!r)
        return E_HANDLE;
    if (!stats) {
        iore__ring_put(r);
        return E_INVALIDARG;
    }

    IORE_RING_STATS st;
    memset(&st, 0, sizeof st);
    HRESULT hr = S_OK;
    pthread_mutex_lock(&r->lock);
    if (r->closed) {
        hr = E_HANDLE;
    } else {
        st.submission_queue_used = r->sq_tail - r->sq_head;
        st.in_flight = r->in_flight;
        st.completion_queue_used = r->cq_tail - r->cq_head;
        /* Under the lock so that it cannot overlap iore__exec_close(), which
         * only runs once `closed` is set (lock order: ring->lock first). */
        iore__exec_stats(r, &st);
    }
    pthread_mutex_unlock(&r->lock);
    iore__ring_put(r);
    if (hr == S_OK)
        *stats = st;
    return hr;
}
