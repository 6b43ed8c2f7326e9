/*
 * dispatch.c - turns one submitted entry into its CQE (ioring.md section 11).
 *
 * DESIGN (the execution half; pool.c describes the pool itself)
 *
 * How an SQE becomes a CQE
 *   SubmitIoRing calls iore__dispatch() for each entry, on the submitting
 *   thread, one entry at a time (so dispatch, cancel and the registration
 *   tables need no lock of their own against each other).
 *   - A deferred SKIP-mode error is posted at once (a REGISTER_* entry still
 *     goes to register.c, which drops the old table first).
 *   - NOP, CANCEL, REGISTER_FILES and REGISTER_BUFFERS complete here: their
 *     CQE is posted before iore__dispatch() returns.
 *   - READ, WRITE, FLUSH, READ_SCATTER, WRITE_GATHER build an op struct on
 *     the submitter's stack, resolve the file reference (a registered index
 *     through register.c to the raw HANDLE, then the handle table: the op
 *     holds that file object), the buffer reference (a registered buffer is
 *     held until completion), and check access, alignment and segments; a
 *     failure is posted at once. Then one non-blocking attempt runs inline
 *     (ops_rw.c: RWF_NOWAIT). If it completes (cached data, EOF, an error,
 *     a ready pipe) the CQE is posted here. Otherwise the op is copied to a
 *     struct from the ring's free list and becomes pending: it takes a
 *     reference on the ring, enters the ring's pending list, and goes to
 *     the pool (a blocking regular-file call) or to a readiness wait (a
 *     non-seekable descriptor with nothing to transfer).
 *     A pool run may ask for a wait and a fired wait goes back to the pool,
 *     until the op is done; whichever thread finishes it posts the CQE,
 *     exactly once, in op_finish().
 *   - A run of consecutive reads (iore__dispatch_run) is resolved the same
 *     way, but its inline attempts are shared with one pool runner, and
 *     each thread posts the CQEs of the ops it took together (see "runs of
 *     reads" below).
 *
 * Threads and ownership
 *   An op belongs to one thread at a time: the submitter, then a pool
 *   worker or the pool's loop thread, handed over through pool.c. Only the
 *   fields cancel reads (where, cancelled, the pending links) are shared,
 *   under exec->lock. op_finish() copies what it needs, recycles the op
 *   (under exec->lock), drops the buffer hold, posts, drops the file, and
 *   drops the ring reference last: the ring (and with it the op structs)
 *   may be freed by that reference.
 *
 * Cancel (cancel.c)
 *   Runs on the submitting thread. Under exec->lock it flags every pending
 *   op that matches, then asks the pool to withdraw it: a queued op
 *   completes with ERROR_OPERATION_ABORTED, a readiness wait is interrupted
 *   with the same result, a running system call finishes normally.
 *   iore__op_continue() looks at the flag under the same lock before every
 *   hand-off, so an op that moves between pool and wait meanwhile is
 *   stopped at its next step.
 *
 * Close
 *   iore__exec_close() drops the registration tables only. Pending ops keep
 *   the ring (a reference each), their file object and buffer hold, finish
 *   normally and post into the closed ring, which discards the CQE; the
 *   last one frees the ring and, through iore__exec_destroy(), the ops.
 */
#include "exec.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define OP_OF(ptr, member) ((struct iore__op *)(void *)((char *)(ptr) - offsetof(struct iore__op, member)))

/* ---- op structs */
static void op_run(struct iore__work *w);
static void op_done(struct iore__work *w, int status);
static void op_ready(struct iore__fdwait *fw, int status);

/* Submitting thread: a struct for an op that goes asynchronous, which
 * takes over the inline attempt's state (*from). NULL on allocation
 * failure. */
static struct iore__op *op_alloc(struct iore__exec *ex, const struct iore__op *from)
{
    pthread_mutex_lock(&ex->lock);
    struct iore__op *op = ex->free;
    if (op)
        ex->free = op->link_next;
    else if ((op = aligned_alloc(_Alignof(struct iore__op), sizeof(*op))) != NULL)
        ex->nops++;
    pthread_mutex_unlock(&ex->lock);
    if (op) {
        *op = *from;
        op->work.run = op_run;
        op->work.done = op_done;
        op->wait.ready = op_ready;
    }
    return op;
}

/* exec->lock held. */
static void pending_insert(struct iore__exec *ex, struct iore__op *op)
{
    op->link_prev = NULL;
    op->link_next = ex->pending;
    if (ex->pending)
        ex->pending->link_prev = op;
    ex->pending = op;
}

static void pending_unlink(struct iore__exec *ex, struct iore__op *op)
{
    if (op->link_prev)
        op->link_prev->link_next = op->link_next;
    else
        ex->pending = op->link_next;
    if (op->link_next)
        op->link_next->link_prev = op->link_prev;
}

/* Posts the op's CQE and releases everything it held. Any thread; the op
 * must not be touched afterwards. An op that never went asynchronous is the
 * submitter's stack copy (dispatch_io): nothing to recycle. */
static void op_finish(struct iore__op *op)
{
    struct iore__ring *r = op->ring;
    struct iore__exec *ex = r->exec;
    UINT_PTR user_data = op->user_data;
    HRESULT hr = op->hr;
    ULONG_PTR info = hr == S_OK ? op->done : 0;
    struct iore__file *file = op->file;
    struct iore__bufhold *hold = op->hold;
    bool is_async = op->is_async;

    if (is_async) {
        pthread_mutex_lock(&ex->lock);
        pending_unlink(ex, op);
        op->link_next = ex->free;
        ex->free = op;
        pthread_mutex_unlock(&ex->lock);
    }

    /* The buffer entry goes before the CQE is visible: whoever sees it may
     * rely on the I/O having let go of the pages (13.4). The file object is
     * held until the op has posted. */
    if (hold)
        iore__reg_buffer_put(hold);
    iore__ring_post(r, user_data, hr, info);
    if (file)
        iore__file_put(file);
    if (is_async)
        iore__ring_put(r);
}

/* A cancelled op reports the bytes it already moved, else the abort. */
static void op_finish_cancelled(struct iore__op *op)
{
    op->hr = op->done > 0 ? S_OK : iore__hresult_from_errno(ECANCELED, "IoRing cancel");
    op_finish(op);
}

/* exec->lock held. 0, or -errno when neither the pool nor a wait took it. */
static int op_hand_off(struct iore__op *op, enum iore__io_next next)
{
    int err = 0;
    if (next == IORE_IO_WAIT) {
        op->where = IORE_OP_WAIT;
        err = iore__pool_wait(&op->wait);
        if (err != -EPERM)
            return err;
        op->unpollable = true; /* never blocks, never becomes "ready" */
    }
    op->where = IORE_OP_POOL;
    return iore__pool_submit(&op->work);
}

/* op is a heap op: the first hand-off of an inline attempt went through
 * go_async() first. */
void iore__op_continue(struct iore__op *op, enum iore__io_next next)
{
    if (next == IORE_IO_DONE) {
        op_finish(op);
        return;
    }
    struct iore__exec *ex = op->ring->exec;
    pthread_mutex_lock(&ex->lock);
    if (!op->is_async) {
        /* From here on the op outlives SubmitIoRing: hold the ring. */
        iore__obj_ref(&op->ring->obj);
        op->is_async = true;
        pending_insert(ex, op);
    }
    bool cancelled = op->cancelled;
    int err = cancelled ? 0 : op_hand_off(op, next);
    pthread_mutex_unlock(&ex->lock);
    if (cancelled) {
        op_finish_cancelled(op);
    } else if (err) {
        op->hr = op->done > 0 ? S_OK : iore__hresult_from_errno(-err, "IoRing pool");
        op_finish(op);
    }
}

/* Pool worker. */
static void op_run(struct iore__work *w)
{
    struct iore__op *op = OP_OF(w, work);
    op->next = iore__op_io(op, false);
}

/* Pool worker (status 0), or the cancelling thread (-ECANCELED). */
static void op_done(struct iore__work *w, int status)
{
    struct iore__op *op = OP_OF(w, work);
    if (status == -ECANCELED)
        op_finish_cancelled(op);
    else
        iore__op_continue(op, op->next);
}

/* Loop thread: the descriptor is ready (transfer on a worker), or the
 * wait was cancelled. */
static void op_ready(struct iore__fdwait *fw, int status)
{
    struct iore__op *op = OP_OF(fw, wait);
    if (status == -ECANCELED)
        op_finish_cancelled(op);
    else
        iore__op_continue(op, IORE_IO_POOL);
}

/* ---- resolution and validation (ioring.md 12.2 order: file, buffer,
 * access, then I/O) */

/* The last raw HANDLE a run resolved: the reads of a run nearly always go
 * to one file, and a hit costs one reference count increment instead of a
 * handle-table lookup (pin, reference, unpin). A handle closed while the
 * run is being resolved is then seen closed by no op of the run instead of
 * by the later ones: the same outcome as a close just after the call. */
struct file_cache {
    HANDLE h;
    struct iore__file *f; /* a reference of the cache's own: the op that
                           * resolved it may finish (on the helper) and
                           * drop its reference while the run goes on */
};

static void file_cache_drop(struct file_cache *fc)
{
    if (fc->f)
        iore__file_put(fc->f);
    fc->f = NULL;
}

/* File reference -> raw HANDLE and a referenced file object. */
static HRESULT resolve_file(struct iore__ring *r, const IORING_HANDLE_REF *ref, HANDLE *h,
                            struct iore__file **file, struct file_cache *fc)
{
    HANDLE raw = ref->Handle.Handle;
    if (ref->Kind == IORING_REF_REGISTERED) {
        HRESULT hr = iore__reg_file(r, ref->Handle.Index, &raw);
        if (FAILED(hr))
            return hr;
    } else if (ref->Kind != IORING_REF_RAW) {
        return E_INVALIDARG;
    }
    struct iore__file *f;
    if (fc && fc->f && fc->h == raw) {
        f = fc->f;
        iore__obj_ref(&f->obj);
    } else {
        DWORD why = ERROR_INVALID_HANDLE;
        f = iore__file_get(raw, &why);
        if (!f)
            return HRESULT_FROM_WIN32(why);
        if (fc) {
            file_cache_drop(fc);
            iore__obj_ref(&f->obj);
            fc->h = raw;
            fc->f = f;
        }
    }
    *h = raw;
    *file = f;
    return S_OK;
}

static HRESULT resolve_buffer(struct iore__op *op, const IORING_BUFFER_REF *ref)
{
    if (ref->Kind == IORING_REF_RAW) {
        op->buf = ref->Buffer.Address;
        return S_OK;
    }
    if (ref->Kind != IORING_REF_REGISTERED)
        return E_INVALIDARG;
    void *addr;
    HRESULT hr = iore__reg_buffer(op->ring, ref->Buffer.IndexAndOffset.BufferIndex,
                                  ref->Buffer.IndexAndOffset.Offset, op->len, &addr, &op->hold);
    if (SUCCEEDED(hr))
        op->buf = addr;
    return hr;
}

static HRESULT check_access(const struct iore__op *op)
{
    bool reads = op->opcode == IORING_OP_READ || op->opcode == IORING_OP_READ_SCATTER;
    DWORD need = reads ? GENERIC_READ : GENERIC_WRITE;
    return (op->file->access & need) ? S_OK : E_ACCESSDENIED;
}

/* FILE_FLAG_NO_BUFFERING: address, offset and length are multiples of the
 * handle's sector size (section 17). */
static HRESULT check_alignment(const struct iore__op *op)
{
    const struct iore__file *f = op->file;
    if (!(f->flags & FILE_FLAG_NO_BUFFERING) || f->sector == 0)
        return S_OK;
    uint64_t s = f->sector;
    if ((uintptr_t)op->buf % s || op->off % s || op->len % s)
        return E_INVALIDARG;
    return S_OK;
}

/* Section 8.6, again at dispatch: the array may have changed since the
 * builder looked at it (and SKIP mode did not look). */
static HRESULT check_segments(const struct iore__op *op, uint32_t nsegs)
{
    uint64_t page = iore__page_size();
    if (!op->segs || nsegs == 0 || op->len % 512 || op->off % 512)
        return E_INVALIDARG;
    if (op->len > (uint64_t)nsegs * page)
        return E_INVALIDARG;
    uint64_t used = (op->len + page - 1) / page;
    for (uint64_t i = 0; i < used; i++) {
        uint64_t a = op->segs[i].Alignment;
        if (a == 0 || a % page)
            return E_INVALIDARG;
    }
    return S_OK;
}

static void op_init(struct iore__op *op, struct iore__ring *r, const struct iore__sqe *sqe)
{
    op->ring = r;
    op->file = NULL;
    op->hold = NULL;
    op->user_data = sqe->user_data;
    op->opcode = sqe->opcode;
    op->where = IORE_OP_INLINE;
    op->cancelled = op->is_async = false;
    op->no_nowait = op->unpollable = op->dsync_fallback = false;
    op->buf = NULL;
    op->segs = NULL;
    op->off = 0;
    op->len = op->done = 0;
    op->flags = 0;
    op->hr = S_OK;
    switch (sqe->opcode) {
    case IORING_OP_READ:
    case IORING_OP_WRITE:
        op->len = sqe->u.rw.len;
        op->off = sqe->u.rw.off;
        op->flags = sqe->u.rw.write_flags;
        break;
    case IORING_OP_READ_SCATTER:
    case IORING_OP_WRITE_GATHER:
        op->segs = sqe->u.sg.segs;
        op->len = sqe->u.sg.len;
        op->off = sqe->u.sg.off;
        op->flags = sqe->u.sg.write_flags;
        break;
    default: /* FLUSH */
        op->flags = sqe->u.flush.mode;
        break;
    }
}

/* Everything before the I/O, in the order of section 12.2. S_OK with *now
 * set means "complete with S_OK without I/O": length 0, once the
 * references resolved (a registered buffer range is checked even then). */
static HRESULT op_prepare(struct iore__op *op, const struct iore__sqe *sqe, bool *now,
                          struct file_cache *fc)
{
    HRESULT hr = resolve_file(op->ring, &sqe->file, &op->handle, &op->file, fc);
    if (FAILED(hr))
        return hr;
    if (sqe->opcode == IORING_OP_FLUSH)
        return check_access(op);
    bool rw = sqe->opcode == IORING_OP_READ || sqe->opcode == IORING_OP_WRITE;
    if (rw && FAILED(hr = resolve_buffer(op, &sqe->u.rw.buf)))
        return hr;
    if (op->len == 0) {
        *now = true;
        return S_OK;
    }
    hr = check_access(op);
    if (FAILED(hr))
        return hr;
    return rw ? check_alignment(op) : check_segments(op, sqe->u.sg.nsegs);
}

/* The inline attempt would block: move the op to a heap struct that
 * outlives this call and hand it on. */
static void go_async(struct iore__op *local, enum iore__io_next next)
{
    struct iore__op *op = op_alloc(local->ring->exec, local);
    if (!op) {
        local->hr = local->done > 0 ? S_OK : iore__hresult_from_errno(ENOMEM, "IoRing dispatch");
        op_finish(local);
        return;
    }
    iore__op_continue(op, next);
}

/* Submitting thread: resolution and checks. False if the op already
 * finished (posted) without I/O. */
static bool op_start(struct iore__op *op, struct iore__ring *r, const struct iore__sqe *sqe,
                     struct file_cache *fc)
{
    op_init(op, r, sqe);
    bool now = false;
    op->hr = op_prepare(op, sqe, &now, fc);
    if (FAILED(op->hr) || now) {
        op_finish(op);
        return false;
    }
    return true;
}

/* The inline attempt of a started op (submitter, or a run's helper). */
static void op_attempt(struct iore__op *op)
{
    enum iore__io_next next = iore__op_io(op, true);
    if (next == IORE_IO_DONE)
        op_finish(op);
    else
        go_async(op, next);
}

/* The op lives on this stack while it runs inline, which is how most ops
 * end (cached data, an error): no free-list traffic and no exec->lock for
 * them. Only an op that must wait is copied to a heap struct. */
static void dispatch_io(struct iore__ring *r, const struct iore__sqe *sqe)
{
    struct iore__op local;
    if (op_start(&local, r, sqe, NULL))
        op_attempt(&local);
}

/* ---- runs of reads (iore__dispatch_run)
 *
 * A batch of cached reads is bound by the copying the kernel does for each
 * one, on one core. For a run of at least HELP_MIN reads the submitter
 * offers the inline attempts to one pool runner as soon as the first op is
 * resolved, goes on resolving the others (registration tables are only
 * ever read on its thread), publishes them (run->published), and attempts ops
 * too. Both threads take ops from a shared claim word, a quarter of what
 * is left at a time, the helper from the front and the submitter from the
 * back, so a helper that starts late (or never: a busy pool, a loaded
 * machine) just takes fewer, and one that is early spins briefly for the
 * publication.
 *
 * What the two threads share costs a cache-line transfer each time it
 * changes hands, about 30 ns when the two vCPUs sit close and 150-180 ns
 * when they do not (measured on the CI machine, which moves between the
 * two). So the design keeps such transfers per run, not per op: claims in
 * shrinking chunks, the hot fields of an op in its first cache line,
 * reference drops batched per file and per buffer table (run_finish),
 * and one handle lookup per file per run (struct file_cache).
 *
 * Nobody waits for anybody: the submitter even leaves the last RUN_LEAVE
 * ops to a helper that is taking ops, and a ring whose last run was
 * shared shares runs down to HELP_KEEP ops, so a ring at depth keeps the
 * helper reading while the application pops and builds. Each thread
 * finishes the ops it took, in one go once no op is left to take: buffer holds go, their CQEs are posted in
 * one critical section (iore__ring_post_many), then the file references
 * go; an op that must wait is copied out (go_async). So the submitter
 * leaves while the helper may still be on its last ops (they complete
 * like any asynchronous op, and the application builds its next batch
 * meanwhile), and a helper preempted on a loaded machine delays only the
 * ops it holds. The submitter withdraws the helper's work item if it has
 * not started by then.
 *
 * Only reads of seekable files are attempted in parallel: from the first
 * entry on a non-seekable descriptor on, the submitter stops publishing
 * and attempts the rest of the run alone, in SQ order. Writes are never
 * part of a run.
 *
 * Ownership and lifetime: a helped run is a heap struct from the ring's
 * free list (exec->runs), so it can outlive SubmitIoRing; it holds a ring
 * reference for the helper, and run->refs counts the two threads: the
 * last to let go recycles it. run->ops[i] belongs to the submitter until
 * it is published (store of run->published, paired with the acquire in
 * run_claim()), then to the thread whose compare-exchange on run->claim
 * took it, which finishes it (the helper from its own copy). A run too
 * short for help lives on the submitter's stack.
 */
#define HELP_MIN 16u  /* a run this long is shared */
#define HELP_KEEP 4u  /* so is one this long while the ring's last run was */
/* Ops the submitter leaves to a helper at work: about as many reads as the
 * application takes between two submits (popping the completions and
 * building the next entries, ~4 us at depth 32), so the helper reads while
 * it does, instead of both threads finishing together and the helper then
 * waiting for the next batch. */
#define RUN_LEAVE 4u
#define CLAIM_SPIN 256u         /* pauses the helper waits for the publication */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

struct iore__run {
    struct iore__work work;     /* the helper's pool item */
    struct iore__ring *ring;
    atomic_uint published;      /* 1 once ops[] and claim are set */
    /* What is left to take, [front, back) in the low and high 16 bits:
     * the helper takes from the front, the submitter from the back. */
    atomic_uint claim;
    atomic_uint refs;           /* threads still using a heap run */
    /* The helper is taking ops: the submitter may leave it the last ones.
     * A Dekker pair with published: the helper clears this and then reads
     * published, the submitter publishes and then reads this, all seq_cst,
     * so either the submitter sees the helper gone and takes everything,
     * or the helper sees the run published and takes what is left.
     * Nothing is left to nobody. */
    atomic_uint helper_in;
    struct iore__run *free_next;/* exec->runs, under exec->lock */
    struct iore__op ops[IORE_RUN_MAX];
};

/* What one thread took from a run, to finish it. */
struct run_share {
    uint32_t n;
    struct iore__op *op[IORE_RUN_MAX];
    uint8_t src[IORE_RUN_MAX];  /* op[k] is (a copy of) run->ops[src[k]] */
    /* The helper's own copies of the ops it took, or NULL (the submitter
     * works in run->ops). The helper never writes run->ops: lines it
     * wrote would have to travel back before the submitter can resolve
     * the next run into them; lines it only read are merely invalidated. */
    struct iore__op *copies;
};

#define RUN_OF(w) ((struct iore__run *)(void *)((char *)(w) - offsetof(struct iore__run, work)))

/* Submitter: a heap run with no helper yet, or NULL. */
static struct iore__run *run_get(struct iore__ring *r)
{
    struct iore__exec *ex = r->exec;
    pthread_mutex_lock(&ex->lock);
    struct iore__run *run = ex->runs;
    if (run)
        ex->runs = run->free_next;
    pthread_mutex_unlock(&ex->lock);
    if (!run && !(run = aligned_alloc(_Alignof(struct iore__run), sizeof(*run))))
        return NULL;
    run->ring = r;
    atomic_init(&run->refs, 1);
    return run;
}

/* Either thread: lets go of a heap run; the last one recycles it. The
 * caller still holds a ring reference (the helper drops its own after). */
static void run_put(struct iore__run *run)
{
    if (iore__ref_dec(&run->refs) != 1)
        return;
    struct iore__exec *ex = run->ring->exec;
    pthread_mutex_lock(&ex->lock);
    run->free_next = ex->runs;
    ex->runs = run;
    pthread_mutex_unlock(&ex->lock);
}

/* Submitter: ops[0..n) are resolved and may be taken; nothing more will
 * come. The claim word is set first: the seq_cst store of ready orders it
 * (and the ops) before any thread that sees it published. */
static void run_publish(struct iore__run *run, uint32_t n)
{
    iore__store_relaxed(&run->claim, n << 16);
    atomic_store(&run->published, 1); /* seq_cst: see helper_in */
}

static uint32_t claim_left(uint32_t w) { return (w >> 16) - (w & 0xffff); }

/* Claims [*first, *first + *count) of the published ops, a quarter of
 * what is left at a time (at least one): each claim moves the claim
 * word's cache line between the cores, so big claims first and small
 * ones at the end keep both threads busy until the run is done with about
 * 2 log n claims instead of n. The helper takes from the front and the
 * submitter from the back. In a ring at depth whose application rebuilds
 * entries in the order it pops completions, the front of a run holds
 * mostly what the helper completed while the application was popping and
 * the back what the submitter completed just before, so each thread gets,
 * run after run, the buffers it wrote last, still in its core's cache (a
 * 4 KiB buffer is 64 lines). Measured at depth 32: about 5 % more reads a
 * second than both threads taking from the front (11 of 14 paired runs).
 *
 * False when nothing is left (for the submitter: nothing beyond what it
 * leaves to a helper at work), or, for the helper, when the submitter has
 * not published within a short spin: it may be descheduled on a loaded
 * machine, and it takes whatever the helper leaves anyway. */
static bool run_claim(struct iore__run *run, uint32_t *first, uint32_t *count, bool helper)
{
    unsigned spin = 0;
    while (!iore__load_acquire(&run->published)) { /* pairs with run_publish */
        if (!helper || ++spin > CLAIM_SPIN)
            return false;
        cpu_relax();
    }
    uint32_t w = iore__load_relaxed(&run->claim);
    for (;;) {
        uint32_t avail = claim_left(w);
        /* seq_cst: see helper_in. */
        uint32_t leave = !helper && atomic_load(&run->helper_in) ? RUN_LEAVE : 0;
        if (avail <= leave)
            return false;
        uint32_t c = avail / 4 ? avail / 4 : 1;
        if (c > avail - leave)
            c = avail - leave;
        uint32_t front = w & 0xffff, back = w >> 16;
        uint32_t want = helper ? (front + c) | back << 16 : front | (back - c) << 16;
        /* Relaxed: the ops were published by the acquire above. On
         * failure w is reloaded. */
        if (atomic_compare_exchange_weak_explicit(&run->claim, &w, want, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *first = helper ? front : back - c;
            *count = c;
            return true;
        }
    }
}

/* The submitter attempts every op with RWF_NOWAIT: it must not block.
 * The helper is a pool worker and may; RWF_NOWAIT exists only in
 * preadv2(), whose iovec import costs about 7 % of a cached 4 KiB read. So
 * once the helper's first attempt found the page cache warm (the common
 * case: a run's reads go to one file) it reads with plain pread(); a miss
 * after that blocks this worker, delaying the ops it holds instead of
 * spreading them over other workers, which costs throughput on a cold
 * file but never correctness. A first attempt that would block keeps
 * every later one non-blocking, so a cold file still goes to the pool
 * op by op. */
static void run_take(struct iore__run *run, bool helper, struct run_share *mine)
{
    uint32_t first, count;
    bool nowait = true;
    while (run_claim(run, &first, &count, helper)) {
        for (uint32_t i = first; i < first + count; i++) {
            struct iore__op *op = &run->ops[i];
            if (mine->copies) {
                /* One line; the rest only if the op must go asynchronous
                 * (run_finish). */
                memcpy(&mine->copies[mine->n], op, IORE_OP_HOT);
                mine->copies[mine->n].ring = run->ring;
                op = &mine->copies[mine->n];
            }
            op->next = iore__op_io(op, nowait);
            if (helper && mine->n == 0 && op->next == IORE_IO_DONE)
                nowait = false;
            mine->src[mine->n] = (uint8_t)i;
            mine->op[mine->n++] = op;
        }
    }
}

/* The helper's copy of an op that must go asynchronous gets the rest of
 * the op it copied (what go_async and cancel need). */
static void copy_rest(struct iore__op *copy, const struct iore__op *orig)
{
    copy->handle = orig->handle;
    copy->where = IORE_OP_INLINE;
    copy->cancelled = copy->is_async = false;
}

/* Either thread: finishes the ops it took. The CQEs of those that
 * finished go in one post; the rest go asynchronous. The order of
 * op_finish() is kept: the buffer hold goes before the CQE is visible,
 * the file after. Consecutive ops on one table (or one file) drop their
 * references in one atomic operation: the count's cache line was last
 * written by the other thread, and moving it once per run instead of once
 * per op is what keeps a shared run cheap when the two cores are far
 * apart. */
static void run_finish(struct iore__run *run, const struct run_share *mine)
{
    IORING_CQE cqes[IORE_RUN_MAX];
    uint32_t ncqe = 0, nhold = 0, nfile = 0;
    struct iore__bufhold *hold = NULL;
    for (uint32_t k = 0; k < mine->n; k++) {
        struct iore__op *op = mine->op[k];
        if (op->next != IORE_IO_DONE) {
            if (mine->copies)
                copy_rest(op, &run->ops[mine->src[k]]);
            go_async(op, op->next);
            continue;
        }
        if (op->hold != hold) {
            if (nhold)
                iore__reg_buffer_put_n(hold, nhold);
            hold = op->hold;
            nhold = 0;
        }
        nhold++;
        cqes[ncqe++] = (IORING_CQE){
            .UserData = op->user_data,
            .ResultCode = op->hr,
            .Information = op->hr == S_OK ? op->done : 0,
        };
    }
    if (nhold)
        iore__reg_buffer_put_n(hold, nhold); /* NULL (raw buffers): nothing */
    iore__ring_post_many(run->ring, cqes, ncqe);
    struct iore__file *file = NULL;
    for (uint32_t k = 0; k < mine->n; k++) {
        struct iore__op *op = mine->op[k];
        if (op->next != IORE_IO_DONE)
            continue;
        if (op->file != file) {
            if (nfile)
                iore__obj_unref_n(&file->obj, nfile);
            file = op->file;
            nfile = 0;
        }
        nfile++;
    }
    if (nfile)
        iore__obj_unref_n(&file->obj, nfile);
}

/* Pool runner. */
static void run_work(struct iore__work *w)
{
    struct iore__run *run = RUN_OF(w);
    struct iore__op copies[IORE_RUN_MAX];
    struct run_share mine = { .n = 0, .copies = copies };
    atomic_store(&run->helper_in, 1);
    for (;;) {
        run_take(run, true, &mine);
        /* Gone, unless the published run shows ops left (to us). */
        atomic_store(&run->helper_in, 0);
        if (!atomic_load(&run->published) || !claim_left(iore__load_relaxed(&run->claim)))
            break;
    }
    run_finish(run, &mine);
}

/* The helper after run_work (status 0), or the submitter that withdrew
 * the item (-ECANCELED): either way the helper's part is over. */
static void run_done(struct iore__work *w, int status)
{
    struct iore__run *run = RUN_OF(w);
    struct iore__ring *r = run->ring;
    (void)status;
    run_put(run);
    iore__ring_put(r);
}

/* Submitter: offers a heap run to a pool runner; false if the pool
 * cannot take it. */
static bool run_help(struct iore__run *run)
{
    run->work.run = run_work;
    run->work.done = run_done;
    atomic_store_explicit(&run->refs, 2, memory_order_relaxed);
    iore__obj_ref(&run->ring->obj); /* the helper's, dropped in run_done */
    if (iore__pool_offer(&run->work) == 0)
        return true;
    atomic_store_explicit(&run->refs, 1, memory_order_relaxed);
    iore__ring_put(run->ring);
    return false;
}

bool iore__dispatch_runnable(const struct iore__sqe *sqe)
{
    return (sqe->opcode == IORING_OP_READ || sqe->opcode == IORING_OP_READ_SCATTER) &&
           sqe->deferred == S_OK;
}

/* Submitter: resolves sqes[*i..n) into run->ops[*nops..] until the first
 * op on a non-seekable descriptor (left out of the shared part at
 * ops[*nops - 1]: returns true) or the end (false). A heap run is offered
 * to the helper once its first op is resolved: the runner wakes while the
 * others are. */
static bool run_prepare(struct iore__run *run, bool heap, const struct iore__sqe *sqes,
                        uint32_t n, uint32_t *i, uint32_t *nops, bool *helped,
                        struct file_cache *fc)
{
    for (; *i < n; (*i)++) {
        struct iore__op *op = &run->ops[*nops];
        if (!op_start(op, run->ring, &sqes[*i], fc))
            continue;
        (*nops)++;
        if (!op->file->seekable) {
            (*i)++;
            return true;
        }
        if (heap && !*helped)
            *helped = run_help(run);
    }
    return false;
}

/* Submitter: everything of the run that is not the helper's. */
static void run_submitter(struct iore__run *run, const struct iore__sqe *sqes, uint32_t n,
                          bool heap)
{
    struct run_share mine = { .n = 0 };
    uint32_t i = 0, nops = 0;
    bool helped = false;
    atomic_init(&run->published, 0);
    atomic_init(&run->helper_in, 0);
    atomic_init(&run->claim, 0);
    struct file_cache fc = { NULL, NULL };
    bool stream = run_prepare(run, heap, sqes, n, &i, &nops, &helped, &fc);
    /* The unpublished non-seekable op (if any) is not part of this. */
    run_publish(run, nops - stream);
    run_take(run, false, &mine);
    if (helped)
        iore__pool_cancel(&run->work); /* nothing left for a late helper */
    /* From a non-seekable descriptor on: one at a time, in SQ order. */
    if (stream) {
        run->ops[nops - 1].next = iore__op_io(&run->ops[nops - 1], true);
        mine.op[mine.n++] = &run->ops[nops - 1];
    }
    for (; i < n; i++) {
        struct iore__op *op = &run->ops[nops];
        if (op_start(op, run->ring, &sqes[i], &fc)) {
            op->next = iore__op_io(op, true);
            mine.op[mine.n++] = &run->ops[nops++];
        }
    }
    file_cache_drop(&fc);
    run_finish(run, &mine);
}

void iore__dispatch_run(struct iore__ring *r, const struct iore__sqe *sqes, uint32_t n)
{
    assert(n <= IORE_RUN_MAX);
    /* Once shared, a ring at depth keeps its runs shared although leaving
     * ops to the helper makes them shorter (the application pops what is
     * done, not what the helper still holds). */
    bool share = n >= HELP_MIN || (n >= HELP_KEEP && r->exec->shared_last);
    struct iore__run *run = share ? run_get(r) : NULL;
    r->exec->shared_last = run != NULL;
    if (run) {
        run_submitter(run, sqes, n, true);
        run_put(run);
        return;
    }
    /* Too short to share, or no memory for a heap run: alone, on the stack. */
    struct iore__run local;
    local.ring = r;
    run_submitter(&local, sqes, n, false);
}

static HRESULT dispatch_cancel(struct iore__ring *r, const struct iore__sqe *sqe)
{
    HANDLE h;
    struct iore__file *f;
    HRESULT hr = resolve_file(r, &sqe->file, &h, &f, NULL);
    if (FAILED(hr))
        return hr;
    iore__file_put(f); /* only resolvability matters; ops match by HANDLE */
    return iore__cancel_matching(r, h, sqe->u.cancel.target);
}

void iore__dispatch(struct iore__ring *r, const struct iore__sqe *sqe)
{
    HRESULT hr;
    ULONG_PTR info = 0;
    switch (sqe->opcode) {
    case IORING_OP_REGISTER_FILES:
        hr = iore__reg_files(r, sqe->u.reg.count, sqe->u.reg.array, sqe->deferred, &info);
        break;
    case IORING_OP_REGISTER_BUFFERS:
        hr = iore__reg_buffers(r, sqe->u.reg.count, sqe->u.reg.array, sqe->deferred, &info);
        break;
    default:
        if (sqe->deferred != S_OK) {
            hr = sqe->deferred;
        } else if (sqe->opcode == IORING_OP_NOP) {
            hr = S_OK;
        } else if (sqe->opcode == IORING_OP_CANCEL) {
            hr = dispatch_cancel(r, sqe);
        } else if (sqe->opcode >= IORING_OP_READ && sqe->opcode <= IORING_OP_WRITE_GATHER) {
            dispatch_io(r, sqe);
            return;
        } else {
            hr = E_NOTIMPL; /* no builder makes other opcodes */
        }
        break;
    }
    iore__ring_post(r, sqe->user_data, hr, info);
}

/* ---- per-ring state */
int iore__exec_init(struct iore__ring *r)
{
    struct iore__exec *ex = calloc(1, sizeof(*ex));
    if (!ex)
        return -ENOMEM;
    pthread_mutex_init(&ex->lock, NULL);
    r->exec = ex;
    int err = iore__reg_init(r);
    if (err) {
        pthread_mutex_destroy(&ex->lock);
        free(ex);
        r->exec = NULL;
    }
    return err;
}

void iore__exec_close(struct iore__ring *r)
{
    iore__reg_close(r);
}

void iore__exec_destroy(struct iore__ring *r)
{
    struct iore__exec *ex = r->exec;
    if (!ex)
        return;
    iore__reg_destroy(r);
    /* Every pending op and every helped run held a ring reference: all of
     * them are free now. */
    while (ex->runs) {
        struct iore__run *run = ex->runs;
        ex->runs = run->free_next;
        free(run);
    }
    while (ex->free) {
        struct iore__op *op = ex->free;
        ex->free = op->link_next;
        free(op);
    }
    pthread_mutex_destroy(&ex->lock);
    free(ex);
    r->exec = NULL;
}

void iore__exec_stats(struct iore__ring *r, IORE_RING_STATS *st)
{
    iore__reg_stats(r, st);
}
