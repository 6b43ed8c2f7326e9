/*
 * process.c - threads, process and system information, time:
 * CreateThread, ResumeThread, GetExitCodeThread, GetCurrentThreadId,
 * GetCurrentProcessId, ExitProcess, GetSystemInfo, GetTickCount(64),
 * QueryPerformanceCounter/Frequency.
 *
 * Thread objects. CreateThread starts a joinable pthread and returns a
 * HANDLE to a reference-counted thread object with two references: the
 * handle table's and the running thread's own. The thread drops its
 * reference after its routine returned and its exit event (a manual-reset
 * event of lib/sync.c, which is how waits see thread handles) is set.
 * Closing the handle drops the other; it never stops the thread. Whoever
 * drops the last reference reaps the pthread, so no thread leaks:
 *   - the thread itself (the handle was closed first): it detaches itself;
 *   - another thread (CloseHandle or a wait's reference, after the thread
 *     dropped its own): it joins, which cannot block for long because the
 *     thread has nothing left to do but return.
 * A thread object's lock protects its suspend count and `started`; it is a
 * leaf lock, held only to hand those over between creator and thread.
 *
 * Global state: the list of live thread objects (struct threads), so that
 * objects a fork() child can no longer reap stay reachable. Lifetime: the
 * process's. threads.lock protects the list; a leaf, taken only to link or
 * unlink an object.
 * Fork: a child has none of the parent's other threads, so their handles
 * would never signal. A pthread_atfork child handler closes every thread
 * handle in the child (iore__handle_forget_kind); waits on them then fail
 * with ERROR_INVALID_HANDLE instead of hanging. Their objects are never
 * freed in the child (their threads would have to drop references) and
 * stay on the list. threads.lock is held across fork(). Windows has no
 * fork().
 */
#define _GNU_SOURCE
#include "config.h"
#include "iore.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

struct thread {
    struct iore__obj obj;          /* IORE_KIND_THREAD */
    struct iore__event *exited;    /* owned; set once the routine returned */
    LPTHREAD_START_ROUTINE start;  /* read by the new thread only */
    LPVOID arg;
    pthread_t pt;                  /* written before the thread can be reaped */
    /* Exit code: STILL_ACTIVE until the routine returns. The release store
     * pairs with the acquire load in GetExitCodeThread. */
    _Atomic DWORD exit_code;
    pthread_mutex_t lock;          /* protects the fields below; a leaf */
    pthread_cond_t cond;           /* started, suspend changes */
    DWORD suspend;
    bool started;
    pid_t tid;                     /* valid once started */
    struct thread *prev, *next;    /* threads.head; under threads.lock */
};

static struct threads {
    pthread_mutex_t lock;
    struct thread *head;
} threads = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void list_add(struct thread *t)
{
    pthread_mutex_lock(&threads.lock);
    t->prev = NULL;
    t->next = threads.head;
    if (threads.head)
        threads.head->prev = t;
    threads.head = t;
    pthread_mutex_unlock(&threads.lock);
}

static void list_remove(struct thread *t)
{
    pthread_mutex_lock(&threads.lock);
    if (t->prev)
        t->prev->next = t->next;
    else
        threads.head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&threads.lock);
}

/* ------------------------------------------------------------------ thread objects */

static void thread_free(struct thread *t)
{
    list_remove(t);
    iore__event_put(t->exited);
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* The last reference went on a thread other than t's own: t's thread has
 * dropped its reference, so it is returning from thread_main or gone. */
static void thread_destroy(struct iore__obj *obj)
{
    struct thread *t = (struct thread *)obj;
    pthread_join(t->pt, NULL);
    thread_free(t);
}

struct iore__event *iore__thread_event(struct iore__obj *obj)
{
    if (obj->kind != IORE_KIND_THREAD)
        return NULL;
    return ((struct thread *)obj)->exited;
}

static void *thread_main(void *arg)
{
    struct thread *t = arg;
    pthread_mutex_lock(&t->lock);
    t->tid = gettid();
    t->started = true;
    pthread_cond_broadcast(&t->cond);
    while (t->suspend)
        pthread_cond_wait(&t->cond, &t->lock);
    pthread_mutex_unlock(&t->lock);

    DWORD code = t->start(t->arg);
    atomic_store_explicit(&t->exit_code, code, memory_order_release);
    iore__event_set(t->exited);
    /* Our own reference; the decrement is iore__obj_unref's, but knowing
     * that we are last tells us to detach ourselves instead of being joined. */
    if (iore__ref_dec(&t->obj.refs) == 1) {
        pthread_detach(pthread_self());
        thread_free(t);
    }
    return NULL;
}

static struct thread *thread_alloc(LPTHREAD_START_ROUTINE start, LPVOID arg, DWORD flags)
{
    struct thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (!(t->exited = iore__event_new(TRUE, FALSE))) {
        free(t);
        return NULL;
    }
    iore__obj_init(&t->obj, IORE_KIND_THREAD, thread_destroy);
    t->start = start;
    t->arg = arg;
    atomic_init(&t->exit_code, STILL_ACTIVE);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    t->suspend = (flags & CREATE_SUSPENDED) ? 1 : 0;
    list_add(t);
    return t;
}

/* pthread_create's errors as Windows reports a thread it cannot create. */
static BOOL fail_create(int rc)
{
    if (rc == EAGAIN || rc == ENOMEM)
        return iore__fail(ERROR_NOT_ENOUGH_MEMORY);
    return iore__fail_errno(rc, "CreateThread");
}

static int start_thread(struct thread *t, SIZE_T stack)
{
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc)
        return rc;
    if (stack) {
        /* Windows rounds the size up; pthreads wants at least
         * PTHREAD_STACK_MIN and a multiple of the page size. */
        size_t ps = iore__page_size();
        size_t min = (size_t)PTHREAD_STACK_MIN;
        size_t sz = stack < min ? min : stack;
        if (sz <= SIZE_MAX - ps)
            rc = pthread_attr_setstacksize(&attr, (sz + ps - 1) & ~(ps - 1));
    }
    if (!rc)
        rc = pthread_create(&t->pt, &attr, thread_main, t);
    pthread_attr_destroy(&attr);
    return rc;
}

static void await_start(struct thread *t)
{
    pthread_mutex_lock(&t->lock);
    while (!t->started)
        pthread_cond_wait(&t->cond, &t->lock);
    pthread_mutex_unlock(&t->lock);
}

IORE_API HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
                                    LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
                                    DWORD dwCreationFlags, LPDWORD lpThreadId)
{
    (void)lpThreadAttributes; /* no security, nothing to inherit */
    /* Windows would start a thread that faults at once; refuse instead. */
    if (!lpStartAddress ||
        (dwCreationFlags & ~(DWORD)(CREATE_SUSPENDED | STACK_SIZE_PARAM_IS_A_RESERVATION))) {
        iore__fail(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    struct thread *t = thread_alloc(lpStartAddress, lpParameter, dwCreationFlags);
    if (!t) {
        iore__fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    HANDLE h = iore__handle_new(&t->obj);
    if (!h) {
        thread_free(t);
        iore__fail(ERROR_NO_SYSTEM_RESOURCES);
        return NULL;
    }
    iore__obj_ref(&t->obj); /* the thread's own, dropped in thread_main */
    int rc = start_thread(t, dwStackSize);
    if (rc) {
        /* No thread: both references go here; destroy must not join. */
        t->obj.destroy = NULL;
        iore__handle_close(h, IORE_KIND_THREAD);
        iore__obj_unref(&t->obj);
        thread_free(t);
        fail_create(rc);
        return NULL;
    }
    await_start(t);
    if (lpThreadId)
        *lpThreadId = (DWORD)t->tid;
    return h;
}

IORE_API DWORD WINAPI ResumeThread(HANDLE hThread)
{
    DWORD why = ERROR_INVALID_HANDLE;
    struct thread *t = (struct thread *)iore__handle_get(hThread, IORE_KIND_THREAD, &why);
    if (!t) {
        iore__fail(why);
        return (DWORD)-1;
    }
    pthread_mutex_lock(&t->lock);
    DWORD prev = t->suspend;
    if (t->suspend && --t->suspend == 0)
        pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    iore__obj_unref(&t->obj);
    return prev;
}

IORE_API BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
    DWORD why = ERROR_INVALID_HANDLE;
    struct thread *t = (struct thread *)iore__handle_get(hThread, IORE_KIND_THREAD, &why);
    if (!t)
        return iore__fail(why);
    if (!lpExitCode) {
        iore__obj_unref(&t->obj);
        return iore__fail(ERROR_NOACCESS);
    }
    *lpExitCode = atomic_load_explicit(&t->exit_code, memory_order_acquire);
    iore__obj_unref(&t->obj);
    return TRUE;
}

IORE_API DWORD WINAPI GetCurrentThreadId(void)
{
    return (DWORD)gettid();
}

IORE_API DWORD WINAPI GetCurrentProcessId(void)
{
    return (DWORD)getpid();
}

IORE_API void WINAPI ExitProcess(UINT uExitCode)
{
    /* exit() flushes stdio and runs atexit handlers, as DLL detach would. */
    fflush(NULL);
    exit((int)uExitCode);
}

/* ------------------------------------------------------------------ fork */

static void atfork_prepare(void) { pthread_mutex_lock(&threads.lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&threads.lock); }

static void atfork_child(void)
{
    iore__handle_forget_kind(IORE_KIND_THREAD);
    pthread_mutex_unlock(&threads.lock);
}

__attribute__((constructor)) static void process_init(void)
{
    /* Registered once at load; failure (ENOMEM) only leaves thread handles
     * of a fork() child open and never signalled. */
    (void)pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ------------------------------------------------------------------ system information */

static WORD host_architecture(void)
{
#if defined(__x86_64__)
    return PROCESSOR_ARCHITECTURE_AMD64;
#elif defined(__aarch64__)
    return PROCESSOR_ARCHITECTURE_ARM64;
#elif defined(__i386__)
    return PROCESSOR_ARCHITECTURE_INTEL;
#elif defined(__arm__)
    return PROCESSOR_ARCHITECTURE_ARM;
#else
    return PROCESSOR_ARCHITECTURE_UNKNOWN;
#endif
}

/* wProcessorLevel/Revision as Windows derives them from CPUID on x86:
 * the display family, and (model << 8) | stepping. 0 elsewhere. */
static void processor_level(WORD *level, WORD *revision)
{
    *level = 0;
    *revision = 0;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    unsigned family = (a >> 8) & 0xf, model = (a >> 4) & 0xf, stepping = a & 0xf;
    if (family == 0xf)
        family += (a >> 20) & 0xff;
    if (family == 0x6 || family >= 0xf)
        model |= ((a >> 16) & 0xf) << 4;
    *level = (WORD)family;
    *revision = (WORD)((model << 8) | stepping);
#endif
}

IORE_API void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo)
{
    if (!lpSystemInfo)
        return; /* Windows faults; there is no error to report */
    SYSTEM_INFO si = { 0 };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    si.wProcessorArchitecture = host_architecture();
    si.dwPageSize = (DWORD)iore__page_size();
    /* Windows' user range: 64 KiB up to 128 TiB - 64 KiB on 64-bit, which
     * lies inside Linux's 47-bit user space as well. */
    si.lpMinimumApplicationAddress = (LPVOID)(uintptr_t)0x10000;
    si.lpMaximumApplicationAddress =
        (LPVOID)(uintptr_t)(sizeof(void *) == 8 ? UINT64_C(0x7FFFFFFEFFFF) : 0x7FFEFFFFu);
    si.dwNumberOfProcessors = (DWORD)cpus;
    si.dwActiveProcessorMask = cpus >= (long)(8 * sizeof(DWORD_PTR))
                                   ? ~(DWORD_PTR)0
                                   : (((DWORD_PTR)1 << cpus) - 1);
#if defined(__x86_64__)
    si.dwProcessorType = 8664; /* PROCESSOR_AMD_X8664 */
#elif defined(__i386__)
    si.dwProcessorType = 586; /* PROCESSOR_INTEL_PENTIUM */
#endif
    si.dwAllocationGranularity = 65536;
    processor_level(&si.wProcessorLevel, &si.wProcessorRevision);
    *lpSystemInfo = si;
}

/* ------------------------------------------------------------------ time */

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

IORE_API ULONGLONG WINAPI GetTickCount64(void)
{
    return monotonic_ns() / 1000000u;
}

IORE_API DWORD WINAPI GetTickCount(void)
{
    /* Wraps every 49.7 days, as on Windows. */
    return (DWORD)GetTickCount64();
}

/* Modern Windows: a 10 MHz performance counter. */
#define QPC_FREQUENCY 10000000

IORE_API BOOL WINAPI QueryPerformanceCounter(LARGE_INTEGER *lpPerformanceCount)
{
    if (!lpPerformanceCount)
        return iore__fail(ERROR_NOACCESS);
    lpPerformanceCount->QuadPart = (LONGLONG)(monotonic_ns() / (1000000000u / QPC_FREQUENCY));
    return TRUE;
}

IORE_API BOOL WINAPI QueryPerformanceFrequency(LARGE_INTEGER *lpFrequency)
{
    if (!lpFrequency)
        return iore__fail(ERROR_NOACCESS);
    lpFrequency->QuadPart = QPC_FREQUENCY;
    return TRUE;
}
