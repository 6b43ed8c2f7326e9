/*
 * exec.h - what the execution half of IoRing (dispatch.c, ops_rw.c,
 * cancel.c, pool.c) shares and nobody else needs. The ring half sees only
 * the iore__exec_* hooks and iore__dispatch() declared in ring.h.
 */
#ifndef IORE_EXEC_H
#define IORE_EXEC_H

#include "ring.h"

#include <stddef.h>

#include <stdbool.h>

/* ------------------------------------------------------------------ pool
 * Readiness waits (pool.c). A wait is armed from any thread and completes
 * exactly once, on the pool's loop thread: ready(fw, 0) when fd became
 * ready for `events`, or ready(fw, -ECANCELED) after a successful
 * iore__pool_wait_cancel(). The caller keeps fd open and fw alive until
 * ready() ran. pool.c watches a private duplicate of fd, so two waits on
 * one descriptor (or on two handles of one descriptor) do not collide, and
 * the descriptor's O_NONBLOCK flag is never touched.
 */
struct iore__fdwait {
    int fd;
    uint32_t events;                                /* EPOLLIN or EPOLLOUT */
    void (*ready)(struct iore__fdwait *fw, int status);
    void *priv[5];                                  /* pool.c's private state */
};
/* 0, or -errno: -EPERM means fd cannot be polled (it is always "ready",
 * e.g. /dev/zero), -ENOMEM / -EMFILE when the pool cannot start. */
int iore__pool_wait(struct iore__fdwait *fw);
/* 0 if the wait will complete with -ECANCELED, -EBUSY if it already fired
 * (or is not armed). Never calls ready() on the calling thread. */
int iore__pool_wait_cancel(struct iore__fdwait *fw);

/* ------------------------------------------------------------------ ops
 * One dispatched READ/WRITE/FLUSH/READ_SCATTER/WRITE_GATHER. The inline
 * attempt runs on a struct on the submitter's stack; an op that goes
 * asynchronous is copied to one from a per-ring free list (struct
 * iore__exec): a ring never has more than CQ-size ops pending (capacity
 * rule), so after warm-up no operation allocates.
 *
 * Ownership: from dispatch until op_finish() the op belongs to whichever
 * thread is executing it (submitter inline, a pool worker, the loop thread
 * in a readiness callback); exactly one at a time, handed over through the
 * pool (its lock orders the hand-off). Fields marked (lock) are read by
 * cancel on the submitting thread and are protected by exec->lock.
 */
enum iore__op_where {
    IORE_OP_INLINE = 0,   /* on the submitting thread, not yet pending */
    IORE_OP_POOL,         /* queued or running on the pool */
    IORE_OP_WAIT,         /* waiting for a non-seekable fd to become ready */
};

/* Result of one execution step (iore__op_io). */
enum iore__io_next {
    IORE_IO_DONE = 0,     /* op->hr / op->done hold the CQE */
    IORE_IO_POOL,         /* would block: continue on a pool worker */
    IORE_IO_WAIT,         /* non-seekable fd not ready: wait, then retry */
};

struct iore__op {
    /* What an inline attempt of a read reads and writes is the first cache
     * line (the struct is line-aligned): in a shared run (dispatch.c) the
     * helper copies exactly this line, and on a VM moving a line between
     * cores can cost 150 ns. The rest is the submitter's, or is only
     * touched once the op goes asynchronous. */
    _Alignas(64) struct iore__file *file; /* referenced until op_finish */
    struct iore__bufhold *hold; /* registered buffer entry, or NULL */
    union {
        char *buf;                  /* READ, WRITE */
        FILE_SEGMENT_ELEMENT *segs; /* READ_SCATTER, WRITE_GATHER (caller's array) */
    };
    uint64_t off;
    UINT_PTR user_data;
    uint32_t len;
    uint32_t done;              /* bytes transferred so far */
    HRESULT hr;                 /* the CQE, once next == IORE_IO_DONE */
    uint32_t flags;             /* FILE_WRITE_FLAGS, or FILE_FLUSH_MODE */
    uint8_t next;               /* enum iore__io_next: what the last step asked for */
    uint8_t opcode;
    bool no_nowait;             /* fd rejects RWF_NOWAIT: poll, then plain I/O */
    bool unpollable;            /* fd cannot be polled: always ready */
    bool dsync_fallback;        /* no pwritev2(RWF_DSYNC): pwrite + fdatasync */
    /* Second line on. */
    _Alignas(64) struct iore__ring *ring; /* referenced while the op is pending */
    HANDLE handle;              /* resolved raw HANDLE value (cancel matching) */
    uint8_t where;              /* (lock) enum iore__op_where */
    bool cancelled;             /* (lock) a CANCEL matched this op */
    bool is_async;              /* holds a ring reference, is on the pending list */
    /* Asynchronous only (set up by dispatch.c when the op leaves the stack). */
    struct iore__work work;     /* pool hand-off */
    struct iore__fdwait wait;   /* readiness wait (non-seekable fds) */
    struct iore__op *link_prev, *link_next; /* (lock) pending list; free list */
    struct iore__op *cancel_next;           /* cancel's private match list */
    uint8_t cancel_where;                   /* `where` when cancel matched it */
};
/* The part of an op a shared run's helper copies (dispatch.c). */
#define IORE_OP_HOT offsetof(struct iore__op, ring)
_Static_assert(offsetof(struct iore__op, ring) == 64, "an op's hot part is one cache line");

/* Per-ring execution state (r->exec). exec->lock protects the pending
 * list, the free lists and the (lock) fields of every op. Lock order:
 * ring->lock > exec->lock > pool lock. Never held while posting a CQE,
 * calling into register.c, or doing I/O. */
struct iore__run;               /* a run of reads shared with a helper (dispatch.c) */
struct iore__exec {
    pthread_mutex_t lock;
    struct iore__op *pending;   /* dispatched, asynchronous, CQE not posted */
    struct iore__op *free;      /* recycled op structs */
    uint32_t nops;              /* op structs allocated (pending + free) */
    struct iore__run *runs;     /* recycled runs (at most one per helper at work) */
    bool shared_last;           /* submitting thread: the last run was shared */
};

/* ops_rw.c: one execution step. nowait: the caller may not block (the
 * submitting thread); otherwise a pool worker, which may block in a
 * regular-file system call but never waits for a non-seekable fd. */
enum iore__io_next iore__op_io(struct iore__op *op, bool nowait);

/* dispatch.c: hands a not-finished op on (pool or readiness wait), or
 * finishes it; the one place where cancellation is observed between steps. */
void iore__op_continue(struct iore__op *op, enum iore__io_next next);

/* cancel.c: requests cancellation of the matching pending ops; returns the
 * cancel's own ResultCode. Runs on the submitting thread, exec->lock not held. */
HRESULT iore__cancel_matching(struct iore__ring *r, HANDLE h, UINT_PTR target);

#endif
