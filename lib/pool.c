/*
 * pool.c - blocking work on libuv's thread pool, and readiness waits for
 * non-seekable descriptors. The only file that includes <uv.h>.
 *
 * DESIGN
 *
 * Threads
 *   - The loop thread: one per process, started lazily by the first
 *     iore__pool_submit()/iore__pool_wait(). It owns the uv loop and is the
 *     only thread that calls libuv other than uv_async_send(), because
 *     libuv's loop API is not thread-safe. It never does I/O.
 *   - libuv's pool workers (UV_THREADPOOL_SIZE, default 4, shared by the
 *     whole process): they run our "runners".
 *   - Any library thread: submits, cancels, arms and cancels waits.
 *
 * Work items (struct iore__work)
 *   pool.c keeps its own FIFO of items, each QUEUED -> RUNNING -> DONE,
 *   all state under pool.lock. A submit appends to the FIFO and, if fewer
 *   idle runners exist than queued items (and fewer runners than pool
 *   workers), asks the loop thread (uv_async_send, coalesced by libuv) to
 *   uv_queue_work() one more runner. A runner pulls items until the FIFO is
 *   empty, calling run() and then done(w, 0) on the worker itself: the
 *   completion path never hops through the loop thread. So at most
 *   UV_THREADPOOL_SIZE runners exist, each serving many items. A runner
 *   whose FIFO ran dry lingers up to LINGER_NS on pool.cond before it gives
 *   its libuv worker back; a submit finding a lingering runner signals it
 *   directly, so a steady stream of work (a ring at depth, batch after
 *   batch) costs one futex wake-up per batch, not a hop through the loop
 *   thread and a libuv queueing per batch.
 *   An offer (iore__pool_offer: work the caller can do itself, a run's
 *   helper) is queued the same way but asks for a runner only when none
 *   exists, so helping never grows the pool, and only one lingering
 *   runner spins at a time: on two cores a second spinner would take the
 *   submitter's CPU.
 *   Cancel is decided under pool.lock: a QUEUED item is unlinked and gets
 *   done(w, -ECANCELED) on the cancelling thread; a RUNNING or DONE item
 *   is not touched (-EBUSY). Because libuv's pool is process-wide, work that
 *   saturates it keeps our runners queued inside libuv and our items
 *   QUEUED here: that is how the tests make cancellation deterministic.
 *
 * Readiness waits (struct iore__fdwait)
 *   One epoll instance, watched by the loop thread through a uv_poll. A
 *   wait adds a private dup() of the descriptor (EPOLLONESHOT, data = the
 *   wait) so that several waits on one descriptor coexist and the caller's
 *   descriptor is never made non-blocking (uv_poll_init would do that).
 *   Waits are completed only on the loop thread: when epoll reports the
 *   duplicate (ready 0) or when a cancel request queued under pool.lock is
 *   processed (ready -ECANCELED). Each completion removes and closes the
 *   duplicate before calling ready(), and every epoll batch is consumed
 *   inside one callback, so a completed wait's memory is never read again.
 *
 * Locking
 *   pool.lock protects every field of `pool` except those marked "loop
 *   thread". It is a leaf: the lock order is ring->lock > exec->lock >
 *   pool.lock, and run(), done() and ready() are always called without it.
 *   pool.cond (with pool.lock) is where lingering runners wait for items and
 *   pool_fini waits for them to leave.
 *
 * fork()
 *   The loop thread and its workers do not exist in a child. A
 *   pthread_atfork child handler forgets the parent's items and waits (they
 *   belong to rings that are dead in the child, see ring.h), closes the
 *   inherited epoll descriptors (the parent's epoll set must not be
 *   modified from the child) and marks the pool not started, so a ring
 *   created in the child starts a fresh loop thread. The parent's loop
 *   memory stays referenced from pool.abandoned (still reachable); its
 *   async eventfd stays open in the child.
 *
 * Process exit
 *   A destructor (pool_fini) stops and joins the loop thread, so that it
 *   cannot race with libuv's own destructor, and stops runners from taking
 *   more items. When nothing is outstanding it frees the loop, so valgrind
 *   and LeakSanitizer see nothing; otherwise the loop state, queued items
 *   and armed waits stay allocated and reachable from `pool`. A runner still
 *   blocked in a system call at exit keeps libuv's destructor (which joins
 *   its workers) waiting, as with any libuv work.
 */
#include "exec.h"

#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

enum { W_IDLE = 0, W_QUEUED, W_RUNNING, W_DONE };  /* work item states */
enum { F_IDLE = 0, F_ARMED, F_CANCELLING };        /* wait states */

#define MAX_THREADPOOL_SIZE 1024  /* libuv's own cap on UV_THREADPOOL_SIZE */
/* How long an idle runner keeps its libuv worker waiting for more items:
 * long against the gap between two batches of a busy ring, short against
 * anything else the application queues on libuv's pool. */
#define LINGER_NS 2000000L
/* The first part of the linger is spent spinning instead of sleeping: a
 * ring at depth submits its next batch a few microseconds after the last
 * one, and a runner found awake takes it without a futex wake-up (a system
 * call for the submitter, a context switch for the runner). Bounded, so an
 * idle process stops burning CPU this long after its last item. */
#define SPIN_NS 50000L
#define EPOLL_BATCH 64

struct runner {
    uv_work_t req;
    struct runner *next;
};

/* Everything the loop thread owns; allocated at start, freed at stop. */
struct loopstate {
    uv_loop_t loop;
    uv_async_t async;          /* wake-up: spawn runners, cancel waits, stop */
    uv_poll_t watch;           /* the epoll descriptor below */
    int epfd;
    struct runner *runner_free;/* loop thread: recycled runner requests */
    pthread_t thread;
};

static struct {
    pthread_mutex_t lock;
    struct loopstate *ls;      /* NULL until started (and after stop/fork) */
    struct iore__work *head, *tail; /* QUEUED items, FIFO */
    unsigned nqueued;
    unsigned size;             /* libuv's worker count */
    unsigned runners;          /* runners requested and not yet finished */
    unsigned busy;             /* runners inside run()/done() */
    unsigned spawn;            /* runners the loop thread still has to queue */
    unsigned lingering;        /* runners waiting on cond for an item */
    unsigned spinning;         /* lingering runners spinning (at most one) */
    /* nqueued, also readable without the lock by spinning runners (a hint:
     * they take the lock before trusting it). Stored under the lock. */
    atomic_uint queued_hint;
    pthread_cond_t cond;       /* CLOCK_MONOTONIC; initialised by start_locked */
    bool cond_ready;
    struct iore__fdwait *armed;   /* waits ARMED or CANCELLING; this list also
                                   * keeps them reachable for leak checkers */
    struct iore__fdwait *cancels; /* CANCELLING waits for the loop thread */
    bool stopping;
    struct loopstate *abandoned; /* a parent's loop, after fork (reachable) */
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* ---- private fields of items and waits (iore.h gives us void *priv[]) */
static struct iore__work *w_next(struct iore__work *w) { return w->priv[0]; }
static struct iore__work *w_prev(struct iore__work *w) { return w->priv[1]; }
static void w_set_next(struct iore__work *w, struct iore__work *n) { w->priv[0] = n; }
static void w_set_prev(struct iore__work *w, struct iore__work *p) { w->priv[1] = p; }
static unsigned w_state(struct iore__work *w) { return (unsigned)(uintptr_t)w->priv[2]; }
static void w_set_state(struct iore__work *w, unsigned s) { w->priv[2] = (void *)(uintptr_t)s; }

static int f_dup(struct iore__fdwait *fw) { return (int)(intptr_t)fw->priv[0]; }
static void f_set_dup(struct iore__fdwait *fw, int fd) { fw->priv[0] = (void *)(intptr_t)fd; }
static unsigned f_state(struct iore__fdwait *fw) { return (unsigned)(uintptr_t)fw->priv[1]; }
static void f_set_state(struct iore__fdwait *fw, unsigned s) { fw->priv[1] = (void *)(uintptr_t)s; }
static struct iore__fdwait *f_next(struct iore__fdwait *fw) { return fw->priv[2]; }
static struct iore__fdwait *f_prev(struct iore__fdwait *fw) { return fw->priv[3]; }
static void f_set_next(struct iore__fdwait *fw, struct iore__fdwait *n) { fw->priv[2] = n; }
static void f_set_prev(struct iore__fdwait *fw, struct iore__fdwait *p) { fw->priv[3] = p; }
static struct iore__fdwait *f_cancel_next(struct iore__fdwait *fw) { return fw->priv[4]; }
static void f_set_cancel_next(struct iore__fdwait *fw, struct iore__fdwait *n) { fw->priv[4] = n; }

static void lock(void) { pthread_mutex_lock(&pool.lock); }
static void unlock(void) { pthread_mutex_unlock(&pool.lock); }

/* ---- the FIFO (pool.lock held) */
static void fifo_push(struct iore__work *w)
{
    w_set_next(w, NULL);
    w_set_prev(w, pool.tail);
    if (pool.tail)
        w_set_next(pool.tail, w);
    else
        pool.head = w;
    pool.tail = w;
    pool.nqueued++;
    iore__store_relaxed(&pool.queued_hint, pool.nqueued);
}

static void fifo_unlink(struct iore__work *w)
{
    if (w_prev(w))
        w_set_next(w_prev(w), w_next(w));
    else
        pool.head = w_next(w);
    if (w_next(w))
        w_set_prev(w_next(w), w_prev(w));
    else
        pool.tail = w_prev(w);
    pool.nqueued--;
    iore__store_relaxed(&pool.queued_hint, pool.nqueued);
}

/* ---- the armed list (pool.lock held) */
static void armed_push(struct iore__fdwait *fw)
{
    f_set_prev(fw, NULL);
    f_set_next(fw, pool.armed);
    if (pool.armed)
        f_set_prev(pool.armed, fw);
    pool.armed = fw;
}

static void armed_unlink(struct iore__fdwait *fw)
{
    if (f_prev(fw))
        f_set_next(f_prev(fw), f_next(fw));
    else
        pool.armed = f_next(fw);
    if (f_next(fw))
        f_set_prev(f_next(fw), f_prev(fw));
}

/* ---- runners (libuv worker threads) */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static bool mono_passed(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* pool.lock NOT held. Spins up to SPIN_NS for an item to appear; the
 * caller re-checks under the lock. Every 64 rounds it reads the clock and
 * yields: on a loaded machine whatever else is runnable on this CPU gets
 * it (the spin then finds nothing and the submitter does the work), on an
 * idle one sched_yield() returns at once. */
static void spin_for_item(void)
{
    struct timespec end = iore__deadline_after_ns(SPIN_NS);
    for (unsigned i = 1; !iore__load_relaxed(&pool.queued_hint); i++) {
        cpu_relax();
        if (i % 64 == 0) {
            if (mono_passed(&end))
                return;
            sched_yield();
        }
    }
}

/* pool.lock held. Waits up to LINGER_NS for an item (or for the stop);
 * true when there is one to take. A lingering runner still counts in
 * pool.runners and not in pool.busy, so submits see it as idle capacity
 * and wake it instead of spawning another; while it spins, the
 * cond_signal of such a submit finds no sleeper and stays in user space. */
static bool linger(void)
{
    struct timespec dl = iore__deadline_after_ns(LINGER_NS);
    pool.lingering++;
    /* One spinner is enough to catch the next batch; a second would only
     * take CPU from the threads doing the work (and on two cores, from the
     * submitter itself). */
    if (!pool.spinning) {
        pool.spinning++;
        unlock();
        spin_for_item();
        lock();
        pool.spinning--;
    }
    int rc = 0;
    while (!pool.head && !pool.stopping && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&pool.cond, &pool.lock, &dl);
    pool.lingering--;
    return pool.head && !pool.stopping;
}

static void runner_work(uv_work_t *req)
{
    (void)req;
    lock();
    do {
        while (pool.head && !pool.stopping) {
            struct iore__work *w = pool.head;
            fifo_unlink(w);
            w_set_state(w, W_RUNNING);
            pool.busy++;
            unlock();
            w->run(w);
            lock();
            /* DONE before done(): a cancel from now on answers -EBUSY, and
             * done() may recycle w at once. */
            w_set_state(w, W_DONE);
            unlock();
            w->done(w, 0);
            lock();
            pool.busy--;
        }
    } while (!pool.stopping && linger());
    pool.runners--;
    if (pool.stopping)
        pthread_cond_broadcast(&pool.cond); /* pool_fini counts us out */
    unlock();
}

static void spawn_runners(struct loopstate *ls, unsigned n);

static void runner_after(uv_work_t *req, int status)
{
    struct runner *rn = (struct runner *)req;
    struct loopstate *ls = req->loop->data;
    (void)status; /* never UV_ECANCELED: we do not uv_cancel() runners */
    rn->next = ls->runner_free;
    ls->runner_free = rn;
    lock();
    unsigned n = pool.spawn;
    pool.spawn = 0;
    unlock();
    spawn_runners(ls, n);
}

/* Loop thread. A runner that cannot be allocated stays counted in
 * pool.spawn; runner_after() retries it, and one must come: the free list
 * is only empty while every runner request is inside libuv. */
static void spawn_runners(struct loopstate *ls, unsigned n)
{
    while (n > 0) {
        struct runner *rn = ls->runner_free;
        if (rn)
            ls->runner_free = rn->next;
        else if (!(rn = malloc(sizeof(*rn))))
            break;
        uv_queue_work(&ls->loop, &rn->req, runner_work, runner_after);
        n--;
    }
    if (n > 0) {
        lock();
        pool.spawn += n;
        unlock();
    }
}

/* ---- waits (loop thread) */
static void wait_finish(struct loopstate *ls, struct iore__fdwait *fw, int status)
{
    int dupfd = f_dup(fw);
    epoll_ctl(ls->epfd, EPOLL_CTL_DEL, dupfd, NULL);
    close(dupfd);
    lock();
    armed_unlink(fw);
    f_set_state(fw, F_IDLE);
    unlock();
    fw->ready(fw, status);
}

static void on_epoll(uv_poll_t *watch, int status, int events)
{
    struct loopstate *ls = watch->loop->data;
    struct epoll_event evs[EPOLL_BATCH];
    (void)status;
    (void)events;
    int n = epoll_wait(ls->epfd, evs, EPOLL_BATCH, 0);
    for (int i = 0; i < n; i++) {
        struct iore__fdwait *fw = evs[i].data.ptr;
        lock();
        unsigned st = f_state(fw);
        unlock();
        /* CANCELLING: on_async completes it (later, on this thread). */
        if (st == F_ARMED)
            wait_finish(ls, fw, 0);
    }
}

static void close_all(struct loopstate *ls)
{
    uv_close((uv_handle_t *)&ls->async, NULL);
    uv_close((uv_handle_t *)&ls->watch, NULL);
}

static void on_async(uv_async_t *async)
{
    struct loopstate *ls = async->loop->data;
    lock();
    unsigned n = pool.spawn;
    pool.spawn = 0;
    struct iore__fdwait *fw = pool.cancels;
    pool.cancels = NULL;
    bool stop = pool.stopping;
    unlock();
    if (stop) {
        /* Process exit: no more calls into libuv from this thread, whatever
         * is still outstanding (pool_fini). */
        close_all(ls);
        uv_stop(&ls->loop);
        return;
    }
    spawn_runners(ls, n);
    while (fw) {
        struct iore__fdwait *next = f_cancel_next(fw); /* ready() may re-arm fw */
        wait_finish(ls, fw, -ECANCELED);
        fw = next;
    }
}

static void *loop_main(void *arg)
{
    struct loopstate *ls = arg;
    uv_run(&ls->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* ---- start / stop / fork */
static unsigned threadpool_size(void)
{
    /* The same rule libuv applies when it starts its workers. */
    const char *v = getenv("UV_THREADPOOL_SIZE");
    long n = v ? strtol(v, NULL, 10) : 4;
    if (n <= 0)
        n = 1;
    if (n > MAX_THREADPOOL_SIZE)
        n = MAX_THREADPOOL_SIZE;
    return (unsigned)n;
}

static void free_runners(struct loopstate *ls)
{
    while (ls->runner_free) {
        struct runner *rn = ls->runner_free;
        ls->runner_free = rn->next;
        free(rn);
    }
}

static void atfork_prepare(void) { lock(); }
static void atfork_parent(void) { unlock(); }

static void atfork_child(void)
{
    if (pool.ls) {
        close(pool.ls->epfd);
        close(uv_backend_fd(&pool.ls->loop));
        pool.abandoned = pool.ls;
        pool.ls = NULL;
    }
    pool.head = pool.tail = NULL;
    pool.nqueued = pool.runners = pool.busy = pool.spawn = pool.lingering = pool.spinning = 0;
    iore__store_relaxed(&pool.queued_hint, 0);
    /* Lingering parent runners left their waits on the copied condvar. */
    if (pool.cond_ready)
        pool.cond_ready = iore__cond_init_monotonic(&pool.cond) == 0;
    pool.armed = pool.cancels = NULL;
    pool.stopping = false;
    unlock();
}

static void register_atfork(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* Creates the loop, its handles and pool.size runner requests on this
 * thread (the loop thread does not exist yet; pthread_create orders these
 * writes before its start). The runners guarantee that spawn_runners()
 * always has a request in flight to retry with (see there). */
static int loop_setup(struct loopstate *ls, unsigned nrunners)
{
    int err = uv_loop_init(&ls->loop);
    if (err)
        return err;
    ls->loop.data = ls;
    uv_async_init(&ls->loop, &ls->async, on_async);
    err = uv_poll_init(&ls->loop, &ls->watch, ls->epfd);
    if (err)
        goto fail_async;
    err = uv_poll_start(&ls->watch, UV_READABLE, on_epoll);
    for (unsigned i = 0; !err && i < nrunners; i++) {
        struct runner *rn = malloc(sizeof(*rn));
        if (!rn)
            err = UV_ENOMEM;
        else {
            rn->next = ls->runner_free;
            ls->runner_free = rn;
        }
    }
    if (err)
        goto fail_poll;
    return 0;

fail_poll:
    free_runners(ls);
    uv_close((uv_handle_t *)&ls->watch, NULL);
fail_async:
    uv_close((uv_handle_t *)&ls->async, NULL);
    uv_run(&ls->loop, UV_RUN_DEFAULT);
    uv_loop_close(&ls->loop);
    return err;
}

static int start_thread(struct loopstate *ls)
{
    /* The loop thread takes no signals: they belong to the application. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&ls->thread, NULL, loop_main, ls);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return -err;
}

/* pool.lock held. 0 or -errno. */
static int start_locked(void)
{
    int err = -ENOMEM;
    pthread_once(&atfork_once, register_atfork);
    if (!pool.cond_ready) {
        err = -iore__cond_init_monotonic(&pool.cond);
        if (err)
            goto fail;
        pool.cond_ready = true;
        err = -ENOMEM;
    }
    struct loopstate *ls = calloc(1, sizeof(*ls));
    if (!ls)
        goto fail;
    ls->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (ls->epfd < 0) {
        err = -errno;
        goto fail_free;
    }
    unsigned size = threadpool_size();
    err = loop_setup(ls, size);
    if (err)
        goto fail_epfd;
    err = start_thread(ls);
    if (err)
        goto fail_loop;
    pool.size = size;
    pool.ls = ls;
    return 0;

fail_loop:
    close_all(ls);
    uv_run(&ls->loop, UV_RUN_DEFAULT);
    uv_loop_close(&ls->loop);
    free_runners(ls);
fail_epfd:
    close(ls->epfd);
fail_free:
    free(ls);
fail:
    return err;
}

/* Process exit (or unloading the library). The loop thread is always
 * stopped and joined: libuv's own destructor tears its pool down next, and
 * must not race with a uv_queue_work() from our thread. Runners stop taking
 * items. If nothing is outstanding the loop is freed; otherwise (a runner
 * still inside a system call, a wait still armed) it is left allocated and
 * reachable from `pool`, with everything it refers to. */
__attribute__((destructor)) static void pool_fini(void)
{
    lock();
    struct loopstate *ls = pool.ls;
    pool.stopping = true; /* from now on nothing new starts */
    unlock();
    if (!ls)
        return;
    uv_async_send(&ls->async);
    pthread_join(ls->thread, NULL);
    lock();
    /* Lingering runners leave at once; wait for them so that an idle pool
     * is recognised (and freed) even if one was caught lingering. */
    pthread_cond_broadcast(&pool.cond);
    while (pool.lingering)
        pthread_cond_wait(&pool.cond, &pool.lock);
    bool idle = !pool.nqueued && !pool.runners && !pool.armed;
    unlock();
    if (!idle)
        return;
    uv_run(&ls->loop, UV_RUN_DEFAULT); /* the closes, the last after_work */
    uv_loop_close(&ls->loop);
    free_runners(ls);
    close(ls->epfd);
    free(ls);
    lock();
    pool.ls = NULL;
    unlock();
}

/* pool.lock held. */
static int ensure_started(void)
{
    if (pool.stopping)
        return -ESHUTDOWN; /* only during process teardown */
    return pool.ls ? 0 : start_locked();
}

/* ---- API */
static int queue_work(struct iore__work *w, bool optional)
{
    lock();
    int err = ensure_started();
    if (err) {
        unlock();
        return err;
    }
    fifo_push(w);
    w_set_state(w, W_QUEUED);
    bool wake = false;
    if (pool.lingering) {
        /* One signal per item at most; the runner it wakes drains the
         * FIFO, so further signals before it runs are no-ops. */
        pthread_cond_signal(&pool.cond);
    } else if (optional ? pool.runners == 0
                        : pool.runners - pool.busy < pool.nqueued && pool.runners < pool.size) {
        pool.runners++;
        pool.spawn++;
        wake = true;
    }
    struct loopstate *ls = pool.ls;
    unlock();
    if (wake)
        uv_async_send(&ls->async);
    return 0;
}

int iore__pool_submit(struct iore__work *w) { return queue_work(w, false); }
int iore__pool_offer(struct iore__work *w) { return queue_work(w, true); }

int iore__pool_cancel(struct iore__work *w)
{
    lock();
    if (w_state(w) != W_QUEUED) {
        unlock();
        return -EBUSY;
    }
    fifo_unlink(w);
    w_set_state(w, W_DONE);
    unlock();
    w->done(w, -ECANCELED);
    return 0;
}

int iore__pool_wait(struct iore__fdwait *fw)
{
    int dupfd = fcntl(fw->fd, F_DUPFD_CLOEXEC, 0);
    if (dupfd < 0)
        return -errno;
    struct epoll_event ev = { .events = fw->events | EPOLLONESHOT, .data.ptr = fw };
    lock();
    int err = ensure_started();
    /* ADD under the lock, together with ARMED: a cancel can only see the
     * wait once the duplicate is in the epoll set. */
    if (!err && epoll_ctl(pool.ls->epfd, EPOLL_CTL_ADD, dupfd, &ev) < 0)
        err = -errno;
    if (err) {
        unlock();
        close(dupfd);
        return err;
    }
    f_set_dup(fw, dupfd);
    f_set_state(fw, F_ARMED);
    armed_push(fw);
    unlock();
    return 0;
}

int iore__pool_wait_cancel(struct iore__fdwait *fw)
{
    lock();
    if (f_state(fw) != F_ARMED || pool.stopping) {
        unlock();
        return -EBUSY;
    }
    f_set_state(fw, F_CANCELLING);
    f_set_cancel_next(fw, pool.cancels);
    pool.cancels = fw;
    struct loopstate *ls = pool.ls;
    unlock();
    uv_async_send(&ls->async);
    return 0;
}
