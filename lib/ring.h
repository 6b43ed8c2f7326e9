/*
 * ring.h - the ring object shared by the ring half (ring.c, build.c,
 * submit.c, complete.c) and the execution half (dispatch.c, ops_rw.c,
 * register.c, cancel.c, pool.c) of the IoRing implementation.
 *
 * How an SQE becomes a CQE
 *   1. A builder (build.c) validates its parameters and appends a struct
 *      iore__sqe to the ring's private SQ under ring->lock.
 *   2. SubmitIoRing (submit.c) takes the S entries present when it starts,
 *      in SQ order, up to 32 per acquisition of ring->lock: an entry that
 *      drains first waits for in_flight == 0 and is always the first of its
 *      group. The group is copied out and counted in in_flight under the
 *      lock, then dispatched without it: iore__dispatch() per entry, or
 *      iore__dispatch_run() for consecutive reads. Only one thread is ever
 *      inside SubmitIoRing per ring, so dispatch (and everything it touches:
 *      the registration tables) is serialised per ring without a lock of
 *      its own.
 *   3. iore__dispatch() (dispatch.c) runs NOP, CANCEL and REGISTER_* on the
 *      calling thread, and READ/WRITE/FLUSH/SCATTER/GATHER inline when that
 *      cannot block, else on the pool. iore__dispatch_run() does the same
 *      for a run of reads, with a pool runner helping with the inline
 *      attempts. Every dispatched entry is posted exactly once, by
 *      iore__ring_post() from whatever thread finished it, or as one of
 *      the CQEs of an iore__ring_post_many() (the inline part of a run).
 *   4. iore__ring_post() (complete.c) moves the entry from in_flight to the
 *      CQ in one step under ring->lock (so S + F + U only ever shrinks by
 *      pops), sets the completion event on the empty -> non-empty edge and
 *      wakes a waiting submitter; iore__ring_post_many() does the same for
 *      several entries in one critical section.
 *
 * Lifetime: the handle table holds one reference on the ring while HIORING
 * is open; every dispatched asynchronous op, and the helper of a run of
 * reads, holds another until it has posted. CloseIoRing closes the handle and marks the ring closed: posts
 * after that are discarded, and the last reference frees the ring.
 */
#ifndef IORE_RING_H
#define IORE_RING_H

#include "iore.h"

#include <pthread.h>
#include <stdbool.h>

/* A built, unsubmitted entry. Builders copy their arguments here; arrays
 * (registrations, segments) are referenced, not copied (the caller keeps
 * them valid until the CQE, as on Windows). */
struct iore__sqe {
    uint8_t opcode;            /* IORING_OP_CODE */
    uint8_t sqe_flags;         /* IORING_SQE_FLAGS */
    HRESULT deferred;          /* SKIP mode: parameter error for the CQE, else S_OK */
    UINT_PTR user_data;
    IORING_HANDLE_REF file;    /* READ, WRITE, FLUSH, SCATTER, GATHER, CANCEL */
    union {
        struct {               /* READ, WRITE */
            IORING_BUFFER_REF buf;
            uint32_t len;
            uint64_t off;
            uint32_t write_flags;
        } rw;
        struct {               /* READ_SCATTER, WRITE_GATHER */
            FILE_SEGMENT_ELEMENT *segs;
            uint32_t nsegs;
            uint32_t len;
            uint64_t off;
            uint32_t write_flags;
        } sg;
        struct { uint32_t mode; } flush;
        struct { UINT_PTR target; } cancel;
        struct {               /* REGISTER_FILES (HANDLE[]), REGISTER_BUFFERS (IORING_BUFFER_INFO[]) */
            uint32_t count;
            const void *array;
        } reg;
    } u;
};

/* The execution half's per-ring state (owned by dispatch.c and friends).
 * Its fields are theirs to define; the ring half only embeds it and calls
 * the iore__exec_* hooks below. */
struct iore__exec;

struct iore__ring {
    struct iore__obj obj;          /* kind IORE_KIND_RING */
    HIORING handle;
    pid_t pid;                     /* creator; rings are dead in fork() children */
    unsigned fork_gen;             /* ring.c's fork generation at creation */
    IORING_VERSION version;
    IORING_CREATE_FLAGS flags;
    uint32_t sq_size, cq_size;     /* actual (rounded) sizes, powers of two */

    /* ring->lock protects every field below. Lock order: ring->lock is taken
     * before any execution-half lock and never held across I/O, a pool
     * hand-off, a DRAIN or the submit wait. */
    pthread_mutex_t lock;
    pthread_cond_t cond;           /* in_flight/cq changes: submit wait, DRAIN */
    struct iore__sqe *sq;          /* sq_size slots; head/tail free-running */
    uint32_t sq_head, sq_tail;
    IORING_CQE *cq;                /* cq_size slots; head/tail free-running */
    uint32_t cq_head, cq_tail;
    uint32_t in_flight;            /* F: dispatched (or claimed for dispatch), not yet posted */
    uint32_t posted;               /* free-running count of posts, for the submit wait */
    uint32_t waiters;              /* threads in a wait on cond (posts signal only then) */
    bool submitting;               /* a thread is inside SubmitIoRing */
    /* CloseIoRing ran: posts are discarded. Written under the lock; the
     * submitter also reads it without the lock, as a hint, between two
     * dispatches of a claimed group (relaxed: a close it misses is ordered
     * after those dispatches). */
    atomic_bool closed;
    struct iore__event *event;     /* referenced, or NULL */

    struct iore__exec *exec;       /* execution half's state (dispatch.c) */
    struct iore__reg *reg;         /* registration tables (register.c) */
};

/* ---- provided by the ring half */
/* Returns a referenced, open ring of this process, or NULL. */
struct iore__ring *iore__ring_get(HIORING h);
static inline void iore__ring_put(struct iore__ring *r) { iore__obj_unref(&r->obj); }
/* The per-call fast path for calls that never wait (builders, Pop): r stays
 * valid by a pin on its handle slot instead of a reference, half the atomic
 * operations of get/put. Pass *pin to iore__ring_leave() after the last use
 * of r; r may be destroyed inside it (if the ring was closed meanwhile), so
 * nothing may keep r beyond that without its own reference. */
struct iore__ring *iore__ring_enter(HIORING h, uint32_t *pin);
static inline void iore__ring_leave(uint32_t pin) { iore__handle_unpin(pin); }
/* Posts the CQE of one dispatched entry; any thread; exactly once per entry.
 * The caller must hold a reference on r for the duration of the call. */
void iore__ring_post(struct iore__ring *r, UINT_PTR user_data, HRESULT hr, ULONG_PTR info);
/* n (0..IORE_RUN_MAX) posts in one critical section, in array order: the
 * same effect as n calls of iore__ring_post(), one lock round trip and at
 * most one wake-up. */
void iore__ring_post_many(struct iore__ring *r, const IORING_CQE *cqes, uint32_t n);
/* Whether op exists on a ring of r's version (IsIoRingOpSupported, the
 * builders' E_NOTIMPL gate). */
bool iore__ring_has_op(const struct iore__ring *r, IORING_OP_CODE op);

/* ---- provided by the execution half */
/* Called with ring->lock NOT held, on the submitting thread. */
void iore__dispatch(struct iore__ring *r, const struct iore__sqe *sqe);
/* Whether sqe may be part of a run for iore__dispatch_run(): a READ or
 * READ_SCATTER without a deferred error. */
bool iore__dispatch_runnable(const struct iore__sqe *sqe);
/* Dispatches n (1..IORE_RUN_MAX) consecutive runnable entries, as n calls
 * of iore__dispatch() would, except that their inline attempts may run on
 * two threads at once (completion order among them is unspecified anyway).
 * Returns once every entry has posted, gone asynchronous, or been taken by
 * a pool runner helping with the run (which posts it like an asynchronous
 * op); same calling rules as iore__dispatch(). */
#define IORE_RUN_MAX 32u
void iore__dispatch_run(struct iore__ring *r, const struct iore__sqe *sqes, uint32_t n);
/* At CreateIoRing: allocate r->exec (0 or -ENOMEM). */
int iore__exec_init(struct iore__ring *r);
/* At CloseIoRing (may race with nothing else of the ring's execution: the
 * ring half calls it once the submitter, if any, has left): drop the file
 * table and the buffer table's hold. In-flight ops keep what they use. */
void iore__exec_close(struct iore__ring *r);
/* When the last reference goes: free r->exec. */
void iore__exec_destroy(struct iore__ring *r);
/* For iore_ring_stats: fills the registration fields. */
void iore__exec_stats(struct iore__ring *r, IORE_RING_STATS *st);


/* ---- provided by register.c (called by the execution half)
 * The tables are replaced only from dispatch, i.e. on the submitting thread;
 * resolution happens at dispatch too. Holds on buffer entries are released
 * from any thread. Resolution is O(1) and takes no global lock. */
struct iore__bufhold;
int iore__reg_init(struct iore__ring *r);          /* 0 or -ENOMEM; sets r->reg */
void iore__reg_close(struct iore__ring *r);        /* drops both tables (CloseIoRing) */
void iore__reg_destroy(struct iore__ring *r);      /* frees r->reg */
/* Process a REGISTER_FILES / REGISTER_BUFFERS entry. `deferred` is a SKIP-mode
 * parameter error (S_OK if none): the old table is dropped first either way.
 * Returns the CQE's ResultCode and sets *info (ioring.md section 12, 13). */
HRESULT iore__reg_files(struct iore__ring *r, uint32_t count, const HANDLE *handles,
                        HRESULT deferred, ULONG_PTR *info);
HRESULT iore__reg_buffers(struct iore__ring *r, uint32_t count, const IORING_BUFFER_INFO *bufs,
                          HRESULT deferred, ULONG_PTR *info);
/* Registered file index -> the raw HANDLE stored there: S_OK,
 * HRESULT_FROM_WIN32(ERROR_INDEX_OUT_OF_BOUNDS) for index >= count (or no
 * table), E_HANDLE for an empty slot. */
HRESULT iore__reg_file(struct iore__ring *r, uint32_t index, HANDLE *out);
/* Registered buffer [offset, offset + len) -> address, plus a hold that keeps
 * the entry (and its pins) alive until iore__reg_buffer_put(). Errors:
 * ERROR_INDEX_OUT_OF_BOUNDS, ERROR_INVALID_USER_BUFFER (empty slot, range
 * outside the buffer, computed without overflow). */
HRESULT iore__reg_buffer(struct iore__ring *r, uint32_t index, uint32_t offset, uint32_t len,
                         void **addr, struct iore__bufhold **hold);
void iore__reg_buffer_put(struct iore__bufhold *hold);
/* n (>= 1) holds at once (a run's ops on one table, from one thread). */
void iore__reg_buffer_put_n(struct iore__bufhold *hold, uint32_t n);
void iore__reg_stats(struct iore__ring *r, IORE_RING_STATS *st);

#endif
