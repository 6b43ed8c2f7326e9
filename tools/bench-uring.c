/*
 * bench-uring.c - the liburing engine of ioring-bench: the same workloads
 * through io_uring directly, as a Linux programmer would write them.
 */
#include "config.h"

#include "bench.h"

#include <liburing.h>

static void prep(struct ctx *c, struct io_uring *ring, int i, uint64_t *t0, uint64_t *nwrites)
{
    const struct workload *w = c->w;
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    t0[i] = now_ns();
    if (w->kind == NOP) {
        io_uring_prep_nop(sqe);
    } else if (w->kind == RANDWRITE) {
        if (++*nwrites % 32 == 0) {
            io_uring_prep_fsync(sqe, c->fd, 0);
            io_uring_sqe_set_data64(sqe, MAX_DEPTH);
            sqe = io_uring_get_sqe(ring);
        }
        io_uring_prep_write(sqe, c->fd, slot_buf(c, i), w->bs, next_offset(c));
    } else if (w->registered) {
        io_uring_prep_read_fixed(sqe, c->fd, slot_buf(c, i), w->bs, next_offset(c), i);
    } else {
        io_uring_prep_read(sqe, c->fd, slot_buf(c, i), w->bs, next_offset(c));
    }
    io_uring_sqe_set_data64(sqe, (uint64_t)i);
}

static int reap(struct ctx *c, struct io_uring *ring, uint64_t *t0, uint64_t *nwrites)
{
    struct io_uring_cqe *cqe;
    while (io_uring_peek_cqe(ring, &cqe) == 0) {
        uint64_t i = io_uring_cqe_get_data64(cqe);
        int res = cqe->res;
        io_uring_cqe_seen(ring, cqe);
        if (res < 0)
            return 1;
        if (i == MAX_DEPTH)
            continue;   /* the periodic fsync */
        sample(c->r, now_ns() - t0[i]);
        c->r->ops++;
        prep(c, ring, (int)i, t0, nwrites);
    }
    return 0;
}

int run_liburing(struct ctx *c);
int run_liburing(struct ctx *c)
{
    const struct workload *w = c->w;
    struct io_uring ring;
    uint64_t t0[MAX_DEPTH + 1], nwrites = 0;
    /* Both can fail for want of locked memory (RLIMIT_MEMLOCK). */
    if (io_uring_queue_init((unsigned)w->depth * 2 + 2, &ring, 0) < 0)
        return ENGINE_UNSUPPORTED;
    if (w->registered) {
        struct iovec iov[MAX_DEPTH];
        for (int i = 0; i < w->depth; i++)
            iov[i] = (struct iovec){ slot_buf(c, i), w->bs };
        if (io_uring_register_buffers(&ring, iov, (unsigned)w->depth) < 0) {
            io_uring_queue_exit(&ring);
            return ENGINE_UNSUPPORTED;
        }
    }
    unsigned batch = w->kind == NOP ? (unsigned)w->depth : 1;
    for (int i = 0; i < w->depth; i++)
        prep(c, &ring, i, t0, &nwrites);
    int rc = 0;
    while (!rc && !expired(c)) {
        if (io_uring_submit_and_wait(&ring, batch) < 0)
            rc = 1;
        else
            rc = reap(c, &ring, t0, &nwrites);
    }
    io_uring_queue_exit(&ring);   /* waits for what is still in flight */
    return rc;
}
