/*
 * sys.c - the system calls a test must be able to fail, behind one table,
 * and the public fault injection that drives them (iore_fault_*).
 *
 * Every wrapper follows the libc convention (-1 with errno set), retries
 * EINTR itself, and asks fault() first on every attempt, so an injected
 * EINTR is retried exactly like a real one. Short transfers are the caller's.
 *
 * Cost when nothing is armed: fault() is one relaxed load of `armed`. That
 * load orders nothing: a thread that arms a fault and then hands work to
 * another thread (through a ring, a semaphore, a pool queue) already orders
 * the arming before the call it wants to fail; a call racing with the arming
 * may or may not see it, which is the honest meaning of "from now on".
 */
#define _GNU_SOURCE
#include "config.h"
#include "iore.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

enum call {
    C_PREAD, C_PWRITE, C_PREADV, C_PWRITEV, C_PREADV2, C_PWRITEV2, C_FSYNC,
    C_FDATASYNC, C_SYNC_FILE_RANGE, C_MLOCK, C_MUNLOCK, C_GETRLIMIT, C_OPEN,
    C_ALLOC, C_COUNT
};

static const char *const call_names[C_COUNT] = {
    [C_PREAD] = "pread", [C_PWRITE] = "pwrite", [C_PREADV] = "preadv",
    [C_PWRITEV] = "pwritev", [C_PREADV2] = "preadv2", [C_PWRITEV2] = "pwritev2",
    [C_FSYNC] = "fsync", [C_FDATASYNC] = "fdatasync",
    [C_SYNC_FILE_RANGE] = "sync_file_range", [C_MLOCK] = "mlock",
    [C_MUNLOCK] = "munlock", [C_GETRLIMIT] = "getrlimit", [C_OPEN] = "open",
    [C_ALLOC] = "alloc",
};

/*
 * Fault state. Lifetime: the process's. Fork: inherited as is (a child keeps
 * the parent's armed faults and hook; hook_lock is held across fork() by the
 * atfork handlers so the child never inherits it locked).
 *
 * armed: non-zero once anything was armed since the last iore_fault_clear();
 *   set with release after the state it announces, read relaxed on the fast
 *   path and then the state itself with acquire. It is not cleared when a
 *   fault fires (that would race with a concurrent re-arm): a spent fault
 *   costs a slower check, never a wrong answer.
 * countdown[c]: calls of c left until the one that fails (0 = disarmed).
 *   Decremented by CAS so that across all threads exactly one call sees 1->0.
 * fail_err[c]: the errno for that call; stored before countdown (release),
 *   read after winning the CAS (acquire).
 */
static atomic_uint armed;
static atomic_uint countdown[C_COUNT];
static atomic_int fail_err[C_COUNT];

/* hook_lock protects hook_fn and hook_arg, so a caller always sees a
 * matching pair. Lock order: a leaf; never held while the hook runs (the
 * hook may block). */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static iore_fault_hook hook_fn;
static void *hook_arg;

static void hook_prepare(void) { pthread_mutex_lock(&hook_lock); }
static void hook_release(void) { pthread_mutex_unlock(&hook_lock); }
/* At load: a registration made lazily by the first iore_fault_set_hook()
 * could miss a fork() already under way in another thread. */
__attribute__((constructor)) static void hook_atfork(void)
{
    /* Failure (ENOMEM) leaves only fork() during a hook change unprotected. */
    (void)pthread_atfork(hook_prepare, hook_release, hook_release);
}

static int run_hook(enum call c)
{
    pthread_mutex_lock(&hook_lock);
    iore_fault_hook fn = hook_fn;
    void *arg = hook_arg;
    pthread_mutex_unlock(&hook_lock);
    return fn ? fn(call_names[c], arg) : 0;
}

/* 1 when this call is the armed nth one. */
static int countdown_hits(enum call c)
{
    unsigned n = iore__load_acquire(&countdown[c]); /* pairs with iore_fault_inject */
    while (n > 0) {
        if (iore__cas_acq_rel(&countdown[c], &n, n - 1))
            return n == 1;
    }
    return 0;
}

/* The errno call c must fail with now, or 0 to let it proceed. */
static int fault(enum call c)
{
    if (__builtin_expect(iore__load_relaxed(&armed) == 0, 1))
        return 0;
    int err = run_hook(c);
    if (err)
        return err;
    if (countdown_hits(c))
        return iore__load_acquire(&fail_err[c]);
    return 0;
}

/* ------------------------------------------------------------------ public */

IORE_API int iore_fault_inject(const char *call, unsigned nth, int err)
{
    for (int c = 0; call && c < C_COUNT; c++) {
        if (strcmp(call, call_names[c]) != 0)
            continue;
        if (nth && err <= 0)
            break;
        iore__store_relaxed(&fail_err[c], err);
        /* Publishes fail_err to countdown_hits(). */
        iore__store_release(&countdown[c], nth);
        if (nth)
            atomic_fetch_or_explicit(&armed, 1u, memory_order_release);
        return 0;
    }
    errno = EINVAL;
    return -1;
}

IORE_API void iore_fault_set_hook(iore_fault_hook fn, void *arg)
{
    pthread_mutex_lock(&hook_lock);
    hook_fn = fn;
    hook_arg = arg;
    pthread_mutex_unlock(&hook_lock);
    if (fn)
        atomic_fetch_or_explicit(&armed, 1u, memory_order_release);
}

IORE_API void iore_fault_clear(void)
{
    iore_fault_set_hook(NULL, NULL);
    for (int c = 0; c < C_COUNT; c++)
        iore__store_relaxed(&countdown[c], 0);
    iore__store_relaxed(&armed, 0);
}

/* ------------------------------------------------------------------ wrappers
 * RETRY runs expr until it does not fail with EINTR, failing an attempt
 * instead when fault() says so. It is an expression, not a hidden return. */
#define RETRY(type, c, expr) ({                                         \
    type rc_;                                                           \
    do {                                                                \
        int ferr_ = fault(c);                                           \
        if (ferr_) {                                                    \
            errno = ferr_;                                              \
            rc_ = -1;                                                   \
        } else {                                                        \
            rc_ = (expr);                                               \
        }                                                               \
    } while (rc_ == -1 && errno == EINTR);                              \
    rc_;                                                                \
})

ssize_t iore__sys_pread(int fd, void *buf, size_t len, off_t off)
{
    return RETRY(ssize_t, C_PREAD, pread(fd, buf, len, off));
}

ssize_t iore__sys_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    return RETRY(ssize_t, C_PWRITE, pwrite(fd, buf, len, off));
}

ssize_t iore__sys_preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
    return RETRY(ssize_t, C_PREADV, preadv(fd, iov, cnt, off));
}

ssize_t iore__sys_pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    return RETRY(ssize_t, C_PWRITEV, pwritev(fd, iov, cnt, off));
}

/* The kernel takes the offset as two longs (low, high); on LP64 it ignores
 * the high one. */
#define OFF_LO_HI(off) (long)(off), (long)((uint64_t)(off) >> 32)

static ssize_t raw_preadv2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
#if defined(HAVE_PREADV2)
    return preadv2(fd, iov, cnt, off, flags);
#elif defined(SYS_preadv2)
    return syscall(SYS_preadv2, fd, iov, cnt, OFF_LO_HI(off), flags);
#else
    (void)fd; (void)iov; (void)cnt; (void)off; (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

static ssize_t raw_pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
#if defined(HAVE_PWRITEV2)
    return pwritev2(fd, iov, cnt, off, flags);
#elif defined(SYS_pwritev2)
    return syscall(SYS_pwritev2, fd, iov, cnt, OFF_LO_HI(off), flags);
#else
    (void)fd; (void)iov; (void)cnt; (void)off; (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

ssize_t iore__sys_preadv2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
    return RETRY(ssize_t, C_PREADV2, raw_preadv2(fd, iov, cnt, off, flags));
}

ssize_t iore__sys_pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
    return RETRY(ssize_t, C_PWRITEV2, raw_pwritev2(fd, iov, cnt, off, flags));
}

int iore__sys_fsync(int fd)
{
    return RETRY(int, C_FSYNC, fsync(fd));
}

int iore__sys_fdatasync(int fd)
{
    return RETRY(int, C_FDATASYNC, fdatasync(fd));
}

static int raw_sync_file_range(int fd, off_t off, off_t len, unsigned flags)
{
#if defined(HAVE_SYNC_FILE_RANGE)
    return sync_file_range(fd, off, len, flags);
#else
    (void)fd; (void)off; (void)len; (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

int iore__sys_sync_file_range(int fd, off_t off, off_t len, unsigned flags)
{
    return RETRY(int, C_SYNC_FILE_RANGE, raw_sync_file_range(fd, off, len, flags));
}

/* Straight to the kernel: ASan and TSan intercept mlock()/munlock() as
 * no-ops, which would make pinning (and the tests that read VmLck) vanish
 * in exactly the builds that check it most. */
static int raw_mlock(const void *addr, size_t len)
{
#ifdef SYS_mlock
    return (int)syscall(SYS_mlock, addr, len);
#else
    return mlock(addr, len);
#endif
}

static int raw_munlock(const void *addr, size_t len)
{
#ifdef SYS_munlock
    return (int)syscall(SYS_munlock, addr, len);
#else
    return munlock(addr, len);
#endif
}

int iore__sys_mlock(const void *addr, size_t len)
{
    return RETRY(int, C_MLOCK, raw_mlock(addr, len));
}

int iore__sys_munlock(const void *addr, size_t len)
{
    return RETRY(int, C_MUNLOCK, raw_munlock(addr, len));
}

int iore__sys_getrlimit(int resource, struct rlimit *rl)
{
    return RETRY(int, C_GETRLIMIT, getrlimit(resource, rl));
}

int iore__sys_open(const char *path, int flags, mode_t mode)
{
    return RETRY(int, C_OPEN, open(path, flags, mode));
}

/* Allocations whose failure paths the tests walk (CreateIoRing's); ENOMEM
 * injected as "alloc" behaves like calloc() running out. */
void *iore__sys_calloc(size_t nmemb, size_t size)
{
    int err = fault(C_ALLOC);
    if (err) {
        errno = err;
        return NULL;
    }
    return calloc(nmemb, size);
}
