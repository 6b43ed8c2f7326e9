/*
 * ops_rw.c - one execution step of READ, WRITE, FLUSH, READ_SCATTER and
 * WRITE_GATHER: the host mapping of ioring.md section 17.
 *
 * iore__op_io() runs on the submitting thread (nowait: a single
 * RWF_NOWAIT attempt) or on a pool worker (blocking system calls on
 * seekable files). It never waits for a non-seekable descriptor: it asks
 * its caller for a readiness wait instead (IORE_IO_WAIT), so a read on an
 * empty pipe parks no thread and stays cancellable.
 *
 * Progress lives in op->done, so a step can resume where the previous one
 * (inline attempt, partial transfer, readiness wait) stopped.
 */
#define _GNU_SOURCE /* RWF_NOWAIT, RWF_DSYNC, SYNC_FILE_RANGE_WRITE */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/epoll.h>
#include <time.h>

#define IOV_CHUNK 32 /* segments per preadv/pwritev call */

enum { IO_READ, IO_WRITE };

static bool is_gather_op(const struct iore__op *op)
{
    return op->opcode == IORING_OP_READ_SCATTER || op->opcode == IORING_OP_WRITE_GATHER;
}

static int direction(const struct iore__op *op)
{
    return op->opcode == IORING_OP_READ || op->opcode == IORING_OP_READ_SCATTER ? IO_READ
                                                                               : IO_WRITE;
}

/* The iovec for bytes [op->done, op->len): one buffer, or the segments
 * (segment i holds bytes [i * page, (i + 1) * page) of the transfer). */
static int build_iov(const struct iore__op *op, struct iovec *iov)
{
    if (!is_gather_op(op)) {
        iov[0].iov_base = op->buf + op->done;
        iov[0].iov_len = op->len - op->done;
        return 1;
    }
    size_t page = iore__page_size();
    size_t pos = op->done;
    int cnt = 0;
    while (pos < op->len && cnt < IOV_CHUNK) {
        size_t seg = pos / page, in = pos % page;
        size_t n = op->len - pos < page - in ? op->len - pos : page - in;
        iov[cnt].iov_base = (char *)(uintptr_t)op->segs[seg].Alignment + in;
        iov[cnt].iov_len = n;
        pos += n;
        cnt++;
    }
    return cnt;
}

/* A write to a pipe or socket whose reader is gone raises SIGPIPE in the
 * writing thread; Windows reports an error instead. Block it around the
 * call and swallow the one this call raised (not one already pending). */
static ssize_t write_nosigpipe(int fd, const struct iovec *iov, int cnt, int flags)
{
    sigset_t pipeset, old, pend;
    sigemptyset(&pipeset);
    sigaddset(&pipeset, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeset, &old);
    sigpending(&pend);
    bool was_pending = sigismember(&pend, SIGPIPE);
    ssize_t n = iore__sys_pwritev2(fd, iov, cnt, -1, flags);
    int err = errno;
    if (n < 0 && err == EPIPE && !was_pending) {
        static const struct timespec zero = { 0, 0 };
        sigtimedwait(&pipeset, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return n;
}

/* One system call for a seekable file. -errno on failure. */
static ssize_t seekable_call(struct iore__op *op, bool nowait)
{
    struct iovec iov[IOV_CHUNK];
    int cnt = build_iov(op, iov);
    int fd = op->file->fd;
    off_t off = (off_t)(op->off + op->done);
    bool through = (op->flags & FILE_WRITE_FLAGS_WRITE_THROUGH) && !op->dsync_fallback;
    ssize_t n;
    if (nowait && direction(op) == IO_READ)
        n = iore__sys_preadv2(fd, iov, cnt, off, RWF_NOWAIT);
    else if (nowait)
        n = iore__sys_pwritev2(fd, iov, cnt, off, RWF_NOWAIT);
    else if (direction(op) == IO_WRITE && through)
        n = iore__sys_pwritev2(fd, iov, cnt, off, RWF_DSYNC);
    else if (is_gather_op(op) && direction(op) == IO_READ)
        n = iore__sys_preadv(fd, iov, cnt, off);
    else if (is_gather_op(op))
        n = iore__sys_pwritev(fd, iov, cnt, off);
    else if (direction(op) == IO_READ)
        n = iore__sys_pread(fd, iov[0].iov_base, iov[0].iov_len, off);
    else
        n = iore__sys_pwrite(fd, iov[0].iov_base, iov[0].iov_len, off);
    return n < 0 ? -errno : n;
}

/* One system call for a non-seekable descriptor (offset ignored). Uses
 * RWF_NOWAIT unless the descriptor rejects it; then the caller has made
 * sure the descriptor is ready (or cannot be polled at all). */
static ssize_t stream_call(struct iore__op *op)
{
    struct iovec iov[IOV_CHUNK];
    int cnt = build_iov(op, iov);
    int flags = op->no_nowait ? 0 : RWF_NOWAIT;
    ssize_t n;
    if (direction(op) == IO_READ)
        n = iore__sys_preadv2(op->file->fd, iov, cnt, -1, flags);
    else
        n = write_nosigpipe(op->file->fd, iov, cnt, flags);
    return n < 0 ? -errno : n;
}

static enum iore__io_next finish(struct iore__op *op, HRESULT hr)
{
    op->hr = hr;
    return IORE_IO_DONE;
}

/* An error after some bytes moved is reported as success with those bytes
 * (section 17): the error recurs on the next operation. */
static enum iore__io_next finish_err(struct iore__op *op, int err, const char *what)
{
    if (op->done > 0)
        return finish(op, S_OK);
    return finish(op, iore__hresult_from_errno(err, what));
}

/* Zero bytes read with bytes requested: what it means depends on the kind
 * of descriptor (section 17, errors.md 5.3). */
static enum iore__io_next finish_eof(struct iore__op *op)
{
    if (op->done > 0 || op->file->kind == IORE_FD_SOCK)
        return finish(op, S_OK);
    if (op->file->kind == IORE_FD_PIPE)
        return finish(op, HRESULT_FROM_WIN32(ERROR_BROKEN_PIPE));
    return finish(op, HRESULT_FROM_WIN32(ERROR_HANDLE_EOF));
}

static const char *op_name(const struct iore__op *op)
{
    static const char *const names[] = {
        [IORING_OP_READ] = "IORING_OP_READ", [IORING_OP_WRITE] = "IORING_OP_WRITE",
        [IORING_OP_FLUSH] = "IORING_OP_FLUSH",
        [IORING_OP_READ_SCATTER] = "IORING_OP_READ_SCATTER",
        [IORING_OP_WRITE_GATHER] = "IORING_OP_WRITE_GATHER",
    };
    return op->opcode < sizeof(names) / sizeof(names[0]) && names[op->opcode]
               ? names[op->opcode] : "IoRing";
}

/* The end of a write-through write whose pwritev2(RWF_DSYNC) was missing. */
static enum iore__io_next finish_write(struct iore__op *op)
{
    if (op->dsync_fallback && iore__sys_fdatasync(op->file->fd) < 0)
        return finish_err(op, errno, op_name(op));
    return finish(op, S_OK);
}

/* Regular files and block devices: loop until done, EOF or error. */
static enum iore__io_next seekable_io(struct iore__op *op, bool nowait)
{
    if (nowait && (op->flags & FILE_WRITE_FLAGS_WRITE_THROUGH) && direction(op) == IO_WRITE)
        return IORE_IO_POOL; /* a durable write blocks by definition */
    /* Non-cached I/O always waits for the device: RWF_NOWAIT only keeps the
     * submission from blocking, the direct read or write then sleeps until
     * its bio completes, on the submitting thread. Windows does not complete
     * it inside SubmitIoRing either. (A handle whose file system refused
     * O_DIRECT is buffered, and goes to the pool all the same.) */
    if (nowait && (op->file->flags & FILE_FLAG_NO_BUFFERING))
        return IORE_IO_POOL;
    while (op->done < op->len) {
        ssize_t n = seekable_call(op, nowait);
        if (n > 0) {
            /* Partial: another attempt tells EOF (0) from "the rest is not
             * cached" (EAGAIN -> pool), without blocking. */
            op->done += (uint32_t)n;
            continue;
        }
        if (n == 0 && direction(op) == IO_READ)
            return finish_eof(op);
        if (n == 0)
            return finish_err(op, EIO, op_name(op)); /* no progress on a write */
        if (nowait && (n == -EAGAIN || n == -EOPNOTSUPP || n == -ENOSYS))
            return IORE_IO_POOL;
        if (!nowait && !op->dsync_fallback && (n == -ENOSYS || n == -EOPNOTSUPP) &&
            (op->flags & FILE_WRITE_FLAGS_WRITE_THROUGH) && direction(op) == IO_WRITE) {
            op->dsync_fallback = true;
            continue;
        }
        return finish_err(op, (int)-n, op_name(op));
    }
    return direction(op) == IO_WRITE ? finish_write(op) : finish(op, S_OK);
}

/* Without RWF_NOWAIT, transfer only once the descriptor reports ready
 * (another reader may have drained it since the wait fired). */
static bool stream_ready(const struct iore__op *op)
{
    if (op->unpollable)
        return true;
    struct pollfd p = { .fd = op->file->fd, .events = direction(op) == IO_READ ? POLLIN : POLLOUT };
    return poll(&p, 1, 0) > 0;
}

static enum iore__io_next stream_wait(struct iore__op *op)
{
    op->wait.fd = op->file->fd;
    op->wait.events = direction(op) == IO_READ ? EPOLLIN : EPOLLOUT;
    /* Unpollable descriptors are always ready: plain I/O on a worker. */
    return op->unpollable ? IORE_IO_POOL : IORE_IO_WAIT;
}

/* Pipes, FIFOs, sockets, character devices: a read completes with what is
 * available; a write loops until everything is written. */
static enum iore__io_next stream_io(struct iore__op *op, bool nowait)
{
    for (;;) {
        if (op->no_nowait && (nowait || !stream_ready(op)))
            return stream_wait(op);
        ssize_t n = stream_call(op);
        if (n > 0) {
            op->done += (uint32_t)n;
            if (direction(op) == IO_READ || op->done == op->len)
                return finish(op, S_OK);
            continue;
        }
        if (n == 0 && direction(op) == IO_READ)
            return finish_eof(op);
        if (n == -EAGAIN || n == 0)
            return stream_wait(op);
        if (!op->no_nowait && (n == -EOPNOTSUPP || n == -ENOSYS)) {
            op->no_nowait = true;
            continue;
        }
        return finish_err(op, (int)-n, op_name(op));
    }
}

static int flush_call(struct iore__op *op)
{
    int fd = op->file->fd;
    switch (op->flags) {
    case FILE_FLUSH_DATA:
    case FILE_FLUSH_MIN_METADATA:
        return iore__sys_fdatasync(fd) < 0 ? -errno : 0;
    case FILE_FLUSH_NO_SYNC:
        if (iore__sys_sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0)
            return 0;
        /* Not available on this kernel or file system: a no-op (17). */
        return errno == ENOSYS || errno == EOPNOTSUPP ? 0 : -errno;
    default:
        return iore__sys_fsync(fd) < 0 ? -errno : 0;
    }
}

static enum iore__io_next flush_io(struct iore__op *op, bool nowait)
{
    unsigned char kind = op->file->kind;
    if (kind == IORE_FD_PIPE || kind == IORE_FD_SOCK || kind == IORE_FD_CHR)
        return finish(op, S_OK); /* nothing to make durable */
    if (nowait)
        return IORE_IO_POOL;
    int err = flush_call(op);
    return err ? finish_err(op, -err, "IORING_OP_FLUSH") : finish(op, S_OK);
}

enum iore__io_next iore__op_io(struct iore__op *op, bool nowait)
{
    if (op->opcode == IORING_OP_FLUSH)
        return flush_io(op, nowait);
    if (op->file->seekable)
        return seekable_io(op, nowait);
    return stream_io(op, nowait);
}
