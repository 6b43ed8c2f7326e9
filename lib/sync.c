/*
 * sync.c - event objects and the waits: CreateEventA/W, SetEvent,
 * ResetEvent, WaitForSingleObject, WaitForMultipleObjects, Sleep, and the
 * internal iore__event_* used by the IoRing completion event.
 *
 * DESIGN
 *
 * Waitable objects. Every waitable object is an event: event handles are
 * events, and a thread object (lib/process.c) owns a handle-less
 * manual-reset event that its thread sets when its routine returns. A wait
 * resolves each handle to an event (iore__thread_event() for threads) and
 * holds a reference on each for the whole wait, so a handle closed meanwhile
 * does not disturb it (as on Windows, where the wait references the object).
 *
 * One lock. waits.lock protects the state of every event (signalled) and
 * every waiter list. It is held only for short, non-blocking work: setting or
 * resetting an event, checking and consuming a waiter's objects, linking and
 * unlinking wait blocks, signalling condition variables. Pool workers call
 * iore__event_set() (the ring's completion event), so it never blocks for
 * long and never allocates. Lock order: a leaf; no other lock is taken while
 * it is held (events are destroyed after it is released).
 *
 * Waiters. A blocked wait is a struct waiter on the waiting thread's stack:
 * its own condition variable (CLOCK_MONOTONIC), the events it waits for, and
 * one wait block per event, linked FIFO into that event's waiter list. The
 * waker completes the wait, as the Windows kernel does: SetEvent walks the
 * event's waiters in arrival order and, for each one whose wait can now be
 * satisfied, consumes the objects it takes (an auto-reset event is consumed
 * only by the waiter it releases), stores the result in the waiter, unlinks
 * all of its blocks and signals its condition variable. An auto-reset event
 * thus releases exactly one waiter, a manual-reset one every waiter it can,
 * and a wait-all takes all of its objects atomically (under the lock, only
 * when every one is signalled) or none. The waiter returns what the waker
 * stored; on a timeout it unlinks itself unless a waker got there first.
 *
 * Names. CreateEvent with a name uses a process-local namespace: a second
 * CreateEvent of the same name returns a new handle to the same event and
 * sets ERROR_ALREADY_EXISTS (its manual/initial arguments are ignored), as
 * Windows does within a session. Names compare exactly (case-sensitive, as
 * Windows compares object names); "Local\" is the same namespace as no
 * prefix, "Global\" names a separate one. The namespace holds no reference:
 * an event leaves it when its last handle and reference go.
 *
 * Global state. waits.lock and the list of blocked waiters (struct waits);
 * names.lock and the named-event list (struct names, searched linearly:
 * programs name few events): lifetime the process's. names.lock protects the
 * list and is a leaf too; the two are held together only by the fork
 * handler (names.lock first).
 * Fork: pthread_atfork holds both locks across fork(); in the child the
 * waiters of other threads no longer exist, so their wait blocks are
 * unlinked from every event and the events stay usable.
 */
#define _GNU_SOURCE
#include "config.h"
#include "iore.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct waiter;

/* A waiter's link in one event's waiter list; under waits.lock. */
struct wait_block {
    struct wait_block *prev, *next;
    struct waiter *w;
};

struct iore__event {
    struct iore__obj obj;          /* IORE_KIND_EVENT */
    /* Under waits.lock. */
    bool manual;
    bool signalled;
    struct wait_block *head, *tail;
    /* Immutable after creation (NULL when unnamed); the link is under names.lock. */
    char *name;
    struct iore__event *next_named;
};

struct waiter {
    pthread_cond_t cond;
    DWORD count;
    bool all;
    bool done;                     /* a waker completed the wait; under waits.lock */
    DWORD result;                  /* WAIT_OBJECT_0 + i once done */
    struct waiter *prev, *next;    /* waits.blocked; under waits.lock */
    struct iore__event *ev[MAXIMUM_WAIT_OBJECTS];
    struct wait_block blocks[MAXIMUM_WAIT_OBJECTS];
};

static struct waits {
    pthread_mutex_t lock;
    struct waiter *blocked;        /* waiters with linked blocks */
} waits = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct names {
    pthread_mutex_t lock;
    struct iore__event *head;
} names = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ------------------------------------------------------------------ fork */

static void atfork_prepare(void)
{
    pthread_mutex_lock(&names.lock);
    pthread_mutex_lock(&waits.lock);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&waits.lock);
    pthread_mutex_unlock(&names.lock);
}

static void unlink_blocks(struct waiter *w);

/* The child's only thread forked while holding both locks; every waiter in
 * the list belongs to a thread that does not exist here. */
static void atfork_child(void)
{
    while (waits.blocked)
        unlink_blocks(waits.blocked);
    atfork_parent();
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void register_atfork(void)
{
    /* Failure (ENOMEM) leaves fork() unprotected, not the events broken. */
    (void)pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ------------------------------------------------------------------ events */

static void names_remove(struct iore__event *ev)
{
    pthread_mutex_lock(&names.lock);
    for (struct iore__event **p = &names.head; *p; p = &(*p)->next_named)
        if (*p == ev) {
            *p = ev->next_named;
            break;
        }
    pthread_mutex_unlock(&names.lock);
}

static void event_destroy(struct iore__obj *obj)
{
    struct iore__event *ev = (struct iore__event *)obj;
    /* No waiter can be linked: every waiter holds a reference. */
    if (ev->name) {
        names_remove(ev);
        free(ev->name);
    }
    free(ev);
}

static struct iore__event *event_alloc(BOOL manual, BOOL initial)
{
    struct iore__event *ev = calloc(1, sizeof *ev);
    if (!ev)
        return NULL;
    iore__obj_init(&ev->obj, IORE_KIND_EVENT, event_destroy);
    ev->manual = manual != FALSE;
    ev->signalled = initial != FALSE;
    pthread_once(&atfork_once, register_atfork);
    return ev;
}

struct iore__event *iore__event_new(BOOL manual_reset, BOOL initial_state)
{
    return event_alloc(manual_reset, initial_state);
}

struct iore__event *iore__event_get(HANDLE h, DWORD *why)
{
    return (struct iore__event *)iore__handle_get(h, IORE_KIND_EVENT, why);
}

void iore__event_put(struct iore__event *ev)
{
    iore__obj_unref(&ev->obj);
}

/* ------------------------------------------------------------------ waits (under waits.lock) */

static void consume(struct iore__event *ev)
{
    if (!ev->manual)
        ev->signalled = false;
}

/* Completes w's wait now if it can be satisfied, taking what it takes:
 * wait-all needs every object signalled, wait-any the lowest signalled index. */
static bool try_satisfy(struct waiter *w)
{
    if (w->all) {
        for (DWORD i = 0; i < w->count; i++)
            if (!w->ev[i]->signalled)
                return false;
        for (DWORD i = 0; i < w->count; i++)
            consume(w->ev[i]);
        w->result = WAIT_OBJECT_0;
        return true;
    }
    for (DWORD i = 0; i < w->count; i++)
        if (w->ev[i]->signalled) {
            consume(w->ev[i]);
            w->result = WAIT_OBJECT_0 + i;
            return true;
        }
    return false;
}

static void link_blocks(struct waiter *w)
{
    for (DWORD i = 0; i < w->count; i++) {
        struct iore__event *ev = w->ev[i];
        struct wait_block *b = &w->blocks[i];
        b->w = w;
        b->next = NULL;
        b->prev = ev->tail;
        if (ev->tail)
            ev->tail->next = b;
        else
            ev->head = b;
        ev->tail = b;
    }
    w->prev = NULL;
    w->next = waits.blocked;
    if (waits.blocked)
        waits.blocked->prev = w;
    waits.blocked = w;
}

static void unlink_blocks(struct waiter *w)
{
    for (DWORD i = 0; i < w->count; i++) {
        struct iore__event *ev = w->ev[i];
        struct wait_block *b = &w->blocks[i];
        if (b->prev)
            b->prev->next = b->next;
        else
            ev->head = b->next;
        if (b->next)
            b->next->prev = b->prev;
        else
            ev->tail = b->prev;
    }
    if (w->prev)
        w->prev->next = w->next;
    else
        waits.blocked = w->next;
    if (w->next)
        w->next->prev = w->prev;
}

/* Releases the waiters of ev that its signal satisfies, oldest first. */
static void wake_waiters(struct iore__event *ev)
{
    struct wait_block *b = ev->head;
    while (b && ev->signalled) {
        struct waiter *w = b->w;
        if (!try_satisfy(w)) {
            b = b->next;
            continue;
        }
        unlink_blocks(w);
        w->done = true;
        pthread_cond_signal(&w->cond);
        /* The list changed under us; the waiters before b stay unsatisfiable
         * (a satisfied wait only consumes), but restarting is simplest. */
        b = ev->head;
    }
}

void iore__event_set(struct iore__event *ev)
{
    pthread_mutex_lock(&waits.lock);
    ev->signalled = true;
    wake_waiters(ev);
    pthread_mutex_unlock(&waits.lock);
}

static void event_reset(struct iore__event *ev)
{
    pthread_mutex_lock(&waits.lock);
    ev->signalled = false;
    pthread_mutex_unlock(&waits.lock);
}

/* ------------------------------------------------------------------ blocking */

struct timespec iore__deadline_after_ns(uint64_t ns)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ns / 1000000000u);
    t.tv_nsec += (long)(ns % 1000000000u);
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static struct timespec deadline_after(DWORD ms)
{
    return iore__deadline_after_ns((uint64_t)ms * 1000000u);
}

int iore__cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc)
        return rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (!rc)
        rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

/* Called with waits.lock held and w linked; returns with it held, w done or
 * unlinked. */
static DWORD block(struct waiter *w, DWORD ms, const struct timespec *deadline)
{
    while (!w->done) {
        if (ms == INFINITE) {
            pthread_cond_wait(&w->cond, &waits.lock);
        } else if (pthread_cond_timedwait(&w->cond, &waits.lock, deadline) == ETIMEDOUT &&
                   !w->done) {
            unlink_blocks(w);
            return WAIT_TIMEOUT;
        }
    }
    return w->result;
}

/* Waits for w->ev[0..count) per w->all. The caller holds the references. */
static DWORD wait_events(struct waiter *w, DWORD ms)
{
    struct timespec deadline = { 0, 0 };
    if (ms != INFINITE)
        deadline = deadline_after(ms);
    pthread_mutex_lock(&waits.lock);
    if (try_satisfy(w)) {
        pthread_mutex_unlock(&waits.lock);
        return w->result;
    }
    if (ms == 0) {
        pthread_mutex_unlock(&waits.lock);
        return WAIT_TIMEOUT;
    }
    int rc = iore__cond_init_monotonic(&w->cond);
    if (rc) {
        pthread_mutex_unlock(&waits.lock);
        iore__fail_errno(rc, "WaitForMultipleObjects");
        return WAIT_FAILED;
    }
    w->done = false;
    link_blocks(w);
    DWORD result = block(w, ms, &deadline);
    pthread_mutex_unlock(&waits.lock);
    /* A waker signals under waits.lock, which we have since taken and
     * released: nobody can touch the condition variable any more. */
    pthread_cond_destroy(&w->cond);
    return result;
}

/* ------------------------------------------------------------------ handles */

/* A new reference on the event h waits for, or NULL (not waitable). */
static struct iore__event *waitable(HANDLE h)
{
    struct iore__obj *obj = iore__handle_get(h, IORE_KIND_ANY, NULL);
    if (!obj)
        return NULL;
    if (obj->kind == IORE_KIND_EVENT)
        return (struct iore__event *)obj;
    /* Threads signal through their exit event; files, rings, modules and
     * search handles are not waitable in the emulator. */
    struct iore__event *ev = iore__thread_event(obj);
    if (ev)
        iore__obj_ref(&ev->obj); /* before obj, which keeps it alive, goes */
    iore__obj_unref(obj);
    return ev;
}

static void put_all(struct waiter *w, DWORD n)
{
    for (DWORD i = 0; i < n; i++)
        iore__event_put(w->ev[i]);
}

/* Fills w->ev from the handles; 0 or a Win32 error (nothing held then). */
static DWORD resolve(struct waiter *w, DWORD n, const HANDLE *handles, BOOL all)
{
    for (DWORD i = 0; i < n; i++) {
        w->ev[i] = waitable(handles[i]);
        if (!w->ev[i]) {
            put_all(w, i);
            return ERROR_INVALID_HANDLE;
        }
    }
    /* Windows refuses one object twice in a wait-all
     * (STATUS_INVALID_PARAMETER_MIX); a wait-any may repeat handles. */
    for (DWORD i = 0; all && i < n; i++)
        for (DWORD j = i + 1; j < n; j++)
            if (w->ev[i] == w->ev[j]) {
                put_all(w, n);
                return ERROR_INVALID_PARAMETER;
            }
    w->count = n;
    w->all = all != FALSE;
    return 0;
}

IORE_API DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
                                              DWORD dwMilliseconds)
{
    struct waiter w;
    if (nCount == 0 || nCount > MAXIMUM_WAIT_OBJECTS) {
        iore__fail(ERROR_INVALID_PARAMETER);
        return WAIT_FAILED;
    }
    if (!lpHandles) {
        iore__fail(ERROR_NOACCESS);
        return WAIT_FAILED;
    }
    DWORD err = resolve(&w, nCount, lpHandles, bWaitAll);
    if (err) {
        iore__fail(err);
        return WAIT_FAILED;
    }
    DWORD result = wait_events(&w, dwMilliseconds);
    put_all(&w, nCount);
    return result;
}

IORE_API DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
    return WaitForMultipleObjects(1, &hHandle, FALSE, dwMilliseconds);
}

/* ------------------------------------------------------------------ Sleep */

IORE_API void WINAPI Sleep(DWORD dwMilliseconds)
{
    if (dwMilliseconds == 0) {
        sched_yield();
        return;
    }
    if (dwMilliseconds == INFINITE)
        for (;;)
            pause();
    /* An absolute deadline on the monotonic clock: signals (EINTR) neither
     * shorten nor stretch the sleep. */
    struct timespec until = deadline_after(dwMilliseconds);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
}

/* ------------------------------------------------------------------ names */

/* A new reference on the live event called name, or NULL. Under names.lock.
 * An event whose count already reached zero is being destroyed: skip it. */
static struct iore__event *names_find(const char *name)
{
    for (struct iore__event *ev = names.head; ev; ev = ev->next_named) {
        if (strcmp(ev->name, name) != 0)
            continue;
        unsigned refs = iore__load_relaxed(&ev->obj.refs);
        while (refs)
            if (atomic_compare_exchange_weak_explicit(&ev->obj.refs, &refs, refs + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed))
                return ev;
    }
    return NULL;
}

/* The named event (new or existing, *existed says which), taking over name,
 * or NULL with ENOMEM. */
static struct iore__event *open_named(char *name, BOOL manual, BOOL initial, bool *existed)
{
    pthread_mutex_lock(&names.lock);
    struct iore__event *ev = names_find(name);
    *existed = ev != NULL;
    if (ev) {
        free(name);
    } else if ((ev = event_alloc(manual, initial)) != NULL) {
        ev->name = name;
        ev->next_named = names.head;
        names.head = ev;
    } else {
        free(name);
    }
    pthread_mutex_unlock(&names.lock);
    return ev;
}

/* "Local\x" and "x" name the same event. */
static const char *strip_local(const char *name)
{
    return strncmp(name, "Local\\", 6) == 0 ? name + 6 : name;
}

/* Creates or opens the event; name (UTF-8, malloc'd, or NULL) is taken over. */
static HANDLE create_event(BOOL manual, BOOL initial, char *name)
{
    bool existed = false;
    struct iore__event *ev;
    if (name && *strip_local(name)) {
        memmove(name, strip_local(name), strlen(strip_local(name)) + 1);
        ev = open_named(name, manual, initial, &existed);
    } else {
        free(name);
        ev = event_alloc(manual, initial);
    }
    if (!ev) {
        iore__fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    HANDLE h = iore__handle_new(&ev->obj);
    if (!h) {
        iore__event_put(ev);
        iore__fail(ERROR_NO_SYSTEM_RESOURCES);
        return NULL;
    }
    /* Windows reports 0 or ERROR_ALREADY_EXISTS on success. */
    SetLastError(existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return h;
}

IORE_API HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                                    BOOL bInitialState, LPCSTR lpName)
{
    char *name = NULL;
    (void)lpEventAttributes; /* no security, nothing to inherit */
    if (lpName && !(name = strdup(lpName))) {
        iore__fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    return create_event(bManualReset, bInitialState, name);
}

IORE_API HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                                    BOOL bInitialState, LPCWSTR lpName)
{
    char *name = NULL;
    (void)lpEventAttributes;
    if (lpName && !(name = iore__utf8_from_w(lpName))) {
        iore__fail_name(errno, "CreateEventW");
        return NULL;
    }
    return create_event(bManualReset, bInitialState, name);
}

/* ------------------------------------------------------------------ SetEvent / ResetEvent */

IORE_API BOOL WINAPI SetEvent(HANDLE hEvent)
{
    DWORD why = ERROR_INVALID_HANDLE;
    struct iore__event *ev = iore__event_get(hEvent, &why);
    if (!ev)
        return iore__fail(why);
    iore__event_set(ev);
    iore__event_put(ev);
    return TRUE;
}

IORE_API BOOL WINAPI ResetEvent(HANDLE hEvent)
{
    DWORD why = ERROR_INVALID_HANDLE;
    struct iore__event *ev = iore__event_get(hEvent, &why);
    if (!ev)
        return iore__fail(why);
    event_reset(ev);
    iore__event_put(ev);
    return TRUE;
}
