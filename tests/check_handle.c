/*
 * check_handle.c - CloseHandle and the handle table as Windows code sees
 * them (values, stale handles, kinds, concurrent lookup and close), and the
 * public fault injection (iore_fault_*).
 */
#define _GNU_SOURCE
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ CloseHandle */

/* Values no CreateXxx returns: NULL, INVALID_HANDLE_VALUE (also
 * GetCurrentProcess()), GetCurrentThread(), small integers that look like
 * descriptors or early Windows handles, and a never-issued large value. */
static const uintptr_t bad_values[] = {
    0, (uintptr_t)-1, (uintptr_t)-2, 1, 3, 4, 8, 0x7ffffffc, (uintptr_t)0x7fff0000fffffffcULL,
};

START_TEST(closehandle_on_a_value_never_issued_fails_with_error_invalid_handle)
{
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(CloseHandle((HANDLE)bad_values[_i]), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

START_TEST(closehandle_on_an_event_succeeds_and_leaves_the_last_error)
{
    HANDLE h = tu_event(TRUE, TRUE);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(CloseHandle(h), TRUE);
    ck_assert_uint_eq(GetLastError(), TU_SENTINEL);
}
END_TEST

START_TEST(closehandle_twice_fails_the_second_time_with_error_invalid_handle)
{
    HANDLE h = tu_event(TRUE, TRUE);
    ck_assert_int_eq(CloseHandle(h), TRUE);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(CloseHandle(h), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

START_TEST(closed_handle_is_invalid_for_other_calls)
{
    HANDLE h = tu_event(TRUE, TRUE);
    ck_assert_int_eq(CloseHandle(h), TRUE);
    SetLastError(TU_SENTINEL);
    ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_FAILED);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_int_eq(SetEvent(h), FALSE);
}
END_TEST

START_TEST(closehandle_on_a_file_succeeds_once)
{
    HANDLE h = tu_pattern_file("close", 16, 0);
    ck_assert_int_eq(CloseHandle(h), TRUE);
    ck_assert_int_eq(CloseHandle(h), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

START_TEST(closehandle_on_an_ioring_fails_and_leaves_the_ring_open)
{
    IORING_CREATE_FLAGS flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                  IORING_CREATE_ADVISORY_FLAGS_NONE };
    HIORING ring = NULL;
    IORING_INFO info;
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_3, flags, 8, 8, &ring), S_OK);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(CloseHandle((HANDLE)ring), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_int_eq(GetIoRingInfo(ring, &info), S_OK);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

START_TEST(closehandle_on_a_find_handle_fails_and_findclose_still_works)
{
    char *path = tu_make_file("find", 1);
    WIN32_FIND_DATAA fd;
    HANDLE h = FindFirstFileA(path, &fd);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(CloseHandle(h), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_int_eq(FindClose(h), TRUE);
    free(path);
}
END_TEST

START_TEST(handle_of_one_kind_is_invalid_where_another_is_expected)
{
    HANDLE ev = tu_event(TRUE, TRUE);
    IORING_INFO info;
    ck_assert_int_eq(GetIoRingInfo((HIORING)ev, &info), E_HANDLE);
    ck_assert_int_eq(CloseIoRing((HIORING)ev), E_HANDLE);
    ck_assert_uint_eq(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    ck_assert_int_eq(CloseHandle(ev), TRUE);
}
END_TEST

/* ------------------------------------------------------------------ values */

enum { MANY = 2000 };

static int cmp_handles(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(HANDLE const *)a, y = (uintptr_t)*(HANDLE const *)b;
    return x < y ? -1 : x > y;
}

START_TEST(open_handles_are_distinct_multiples_of_four_never_zero_or_minus_one)
{
    static HANDLE h[MANY], sorted[MANY];
    for (int i = 0; i < MANY; i++) {
        h[i] = tu_event(TRUE, TRUE);
        ck_assert_ptr_ne(h[i], INVALID_HANDLE_VALUE);
        ck_assert_uint_eq((uintptr_t)h[i] % 4, 0);
        /* Close every third at once so freed slots are in play too. */
        if (i % 3 == 0) {
            ck_assert_int_eq(CloseHandle(h[i]), TRUE);
            h[i] = NULL;
        }
    }
    int n = 0;
    for (int i = 0; i < MANY; i++)
        if (h[i])
            sorted[n++] = h[i];
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_handles);
    for (int i = 1; i < n; i++)
        ck_assert_ptr_ne(sorted[i - 1], sorted[i]);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(CloseHandle(sorted[i]), TRUE);
}
END_TEST

/* The table hides a stale value for as long as it can, so reaching the reuse
 * of its slot takes a few hundred create/close rounds. */
enum { REUSE_ROUNDS = 1 << 20 };

START_TEST(stale_handle_stays_invalid_after_its_slot_is_reused)
{
    HANDLE stale = tu_event(TRUE, TRUE);
    ck_assert_int_eq(CloseHandle(stale), TRUE);
    HANDLE fresh = NULL;
    for (int i = 0; i < REUSE_ROUNDS && !fresh; i++) {
        HANDLE h = tu_event(TRUE, TRUE);
        ck_assert_ptr_ne(h, stale);
        if (((uintptr_t)h & 0xffffffffu) == ((uintptr_t)stale & 0xffffffffu))
            fresh = h;
        else
            ck_assert_int_eq(CloseHandle(h), TRUE);
    }
    ck_assert_msg(fresh, "no handle reused the stale value's low word");
    ck_assert_int_eq(ResetEvent(fresh), TRUE);
    SetLastError(TU_SENTINEL);
    ck_assert_uint_eq(WaitForSingleObject(stale, 0), WAIT_FAILED);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_int_eq(CloseHandle(stale), FALSE);
    /* The new handle was neither closed nor signalled through the stale one. */
    ck_assert_uint_eq(WaitForSingleObject(fresh, 0), WAIT_TIMEOUT);
    ck_assert_int_eq(CloseHandle(fresh), TRUE);
}
END_TEST

/* ------------------------------------------------------------------ concurrency */

enum { LOOKERS = 3, ROUNDS = 300, RACE_ROUNDS = 2000 };

struct race {
    HANDLE h;
    sem_t started, go, done;
    int bad_result;     /* a lookup returned something other than OK/invalid */
    int stop;
};

/* Waits on the round's event until the handle goes away. */
static void *looker(void *arg)
{
    struct race *r = arg;
    for (;;) {
        sem_wait(&r->go);
        if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
            return NULL;
        HANDLE h = r->h;
        int posted = 0;
        unsigned spins = 0;
        for (;;) {
            DWORD w = WaitForSingleObject(h, 0);
            if (w == WAIT_FAILED) {
                if (GetLastError() != ERROR_INVALID_HANDLE)
                    __atomic_store_n(&r->bad_result, 1, __ATOMIC_RELAXED);
                break;
            }
            if (w != WAIT_OBJECT_0)
                __atomic_store_n(&r->bad_result, 1, __ATOMIC_RELAXED);
            if (!posted) {
                sem_post(&r->started);
                posted = 1;
            }
            /* Now and then let the closer run on a loaded or serialised
             * (valgrind) host; the close is ordered by the semaphores, not by
             * this, and most lookups stay back to back so that some are in
             * flight when the close lands. */
            if (++spins % 256 == 0)
                sched_yield();
        }
        if (!posted)
            sem_post(&r->started);
        sem_post(&r->done);
    }
}

START_TEST(lookups_racing_with_close_see_the_object_or_error_invalid_handle)
{
    struct race r = { 0 };
    pthread_t th[LOOKERS];
    sem_init(&r.started, 0, 0);
    sem_init(&r.go, 0, 0);
    sem_init(&r.done, 0, 0);
    for (int i = 0; i < LOOKERS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, looker, &r), 0);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        r.h = tu_event(TRUE, TRUE); /* manual-reset, signalled */
        for (int i = 0; i < LOOKERS; i++)
            sem_post(&r.go);
        for (int i = 0; i < LOOKERS; i++)
            sem_wait(&r.started);
        /* Every looker is now looping on the handle: close it under them. */
        ck_assert_int_eq(CloseHandle(r.h), TRUE);
        for (int i = 0; i < LOOKERS; i++)
            sem_wait(&r.done);
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < LOOKERS; i++)
        sem_post(&r.go);
    for (int i = 0; i < LOOKERS; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(r.bad_result, 0);
}
END_TEST

struct close_race {
    HANDLE h;
    pthread_barrier_t start;
    int succeeded;
};

static void *closer(void *arg)
{
    struct close_race *c = arg;
    pthread_barrier_wait(&c->start);
    if (CloseHandle(c->h))
        __atomic_fetch_add(&c->succeeded, 1, __ATOMIC_RELAXED);
    else if (GetLastError() != ERROR_INVALID_HANDLE)
        __atomic_fetch_add(&c->succeeded, 100, __ATOMIC_RELAXED);
    return NULL;
}

START_TEST(concurrent_closes_of_one_handle_succeed_exactly_once)
{
    for (int round = 0; round < ROUNDS; round++) {
        struct close_race c = { .h = tu_event(TRUE, TRUE) };
        pthread_t th[LOOKERS];
        pthread_barrier_init(&c.start, NULL, LOOKERS);
        for (int i = 0; i < LOOKERS; i++)
            ck_assert_int_eq(pthread_create(&th[i], NULL, closer, &c), 0);
        for (int i = 0; i < LOOKERS; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&c.start);
        ck_assert_int_eq(c.succeeded, 1);
    }
}
END_TEST

/* ------------------------------------------------------------------ fork */

/* The child bodies (tu_run_in_child) return 0 when all went well. */
static int child_uses_event(void *arg)
{
    HANDLE h = arg;
    return WaitForSingleObject(h, 0) == WAIT_OBJECT_0 && ResetEvent(h) &&
           WaitForSingleObject(h, 0) == WAIT_TIMEOUT && CloseHandle(h) ? 0 : 1;
}

START_TEST(event_handles_stay_open_in_a_forked_child)
{
    HANDLE h = tu_event(TRUE, TRUE);
    ck_assert_int_eq(tu_run_in_child(child_uses_event, h), 0);
    /* The child's reset and close touched its copy only. */
    ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_OBJECT_0);
    ck_assert_int_eq(CloseHandle(h), TRUE);
}
END_TEST

struct churn {
    int stop;
};

static void *churner(void *arg)
{
    struct churn *c = arg;
    while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
        HANDLE h = CreateEventA(NULL, FALSE, FALSE, NULL);
        if (h)
            CloseHandle(h);
    }
    return NULL;
}

enum { FORKS = 50 };

static int child_creates_event(void *arg)
{
    HANDLE h = CreateEventA(NULL, TRUE, FALSE, NULL);
    return h && CloseHandle(h) ? 0 : 1;
}

/* A fork() that lands while another thread holds the table's allocation
 * lock must not leave the child unable to create handles. */
START_TEST(child_forked_during_handle_churn_can_create_and_close_handles)
{
    struct churn c = { 0 };
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, churner, &c), 0);
    for (int i = 0; i < FORKS; i++)
        ck_assert_int_eq(tu_run_in_child(child_creates_event, NULL), 0);
    __atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
}
END_TEST

/* ------------------------------------------------------------------ fault injection */

static const char *const fault_calls[] = {
    "pread", "pwrite", "preadv", "pwritev", "preadv2", "pwritev2", "fsync",
    "fdatasync", "sync_file_range", "mlock", "munlock", "getrlimit", "open",
};

START_TEST(fault_inject_accepts_every_documented_call)
{
    ck_assert_int_eq(iore_fault_inject(fault_calls[_i], 1, EIO), 0);
    ck_assert_int_eq(iore_fault_inject(fault_calls[_i], 0, 0), 0);
}
END_TEST

static const char *const unknown_calls[] = { "", "read", "FSYNC", "fsync ", "fsync2", "openat" };

START_TEST(fault_inject_on_an_unknown_call_fails_with_einval)
{
    errno = 0;
    ck_assert_int_eq(iore_fault_inject(unknown_calls[_i], 1, EIO), -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(fault_inject_with_a_null_call_or_no_errno_fails_with_einval)
{
    errno = 0;
    ck_assert_int_eq(iore_fault_inject(NULL, 1, EIO), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(iore_fault_inject("fsync", 1, 0), -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(fsync_eio_makes_flushfilebuffers_fail_once_with_error_not_ready)
{
    HANDLE h = tu_pattern_file("fault", 64, 1);
    ck_assert_int_eq(iore_fault_inject("fsync", 1, EIO), 0);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(FlushFileBuffers(h), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_READY);
    ck_assert_int_eq(FlushFileBuffers(h), TRUE);
    CloseHandle(h);
}
END_TEST

START_TEST(fault_fails_exactly_the_nth_call)
{
    HANDLE h = tu_pattern_file("fault", 64, 1);
    ck_assert_int_eq(iore_fault_inject("fsync", 3, ENOSPC), 0);
    ck_assert_int_eq(FlushFileBuffers(h), TRUE);
    ck_assert_int_eq(FlushFileBuffers(h), TRUE);
    ck_assert_int_eq(FlushFileBuffers(h), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_DISK_FULL);
    ck_assert_int_eq(FlushFileBuffers(h), TRUE);
    CloseHandle(h);
}
END_TEST

START_TEST(fault_with_nth_zero_is_disarmed)
{
    HANDLE h = tu_pattern_file("fault", 64, 1);
    ck_assert_int_eq(iore_fault_inject("fsync", 1, EIO), 0);
    ck_assert_int_eq(iore_fault_inject("fsync", 0, EIO), 0);
    ck_assert_int_eq(FlushFileBuffers(h), TRUE);
    CloseHandle(h);
}
END_TEST

START_TEST(fault_clear_disarms_every_fault)
{
    HANDLE h = tu_pattern_file("fault", 64, 1);
    ck_assert_int_eq(iore_fault_inject("fsync", 1, EIO), 0);
    iore_fault_clear();
    ck_assert_int_eq(FlushFileBuffers(h), TRUE);
    CloseHandle(h);
}
END_TEST

struct seen {
    pthread_mutex_t lock;
    char names[16][32];
    int count;
    int fail_with;
};

static int record_hook(const char *call, void *arg)
{
    struct seen *s = arg;
    pthread_mutex_lock(&s->lock);
    if (s->count < 16)
        snprintf(s->names[s->count], sizeof s->names[0], "%s", call);
    s->count++;
    pthread_mutex_unlock(&s->lock);
    return s->fail_with;
}

START_TEST(fault_hook_sees_the_call_name)
{
    HANDLE h = tu_pattern_file("fault", 64, 1);
    struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER };
    iore_fault_set_hook(record_hook, &s);
    ck_assert_int_eq(FlushFileBuffers(h), TRUE);
    iore_fault_set_hook(NULL, NULL);
    ck_assert_int_eq(s.count, 1);
    ck_assert_str_eq(s.names[0], "fsync");
    ck_assert_int_eq(FlushFileBuffers(h), TRUE);
    ck_assert_int_eq(s.count, 1);
    CloseHandle(h);
}
END_TEST

START_TEST(fault_hook_returning_an_errno_fails_the_call)
{
    HANDLE h = tu_pattern_file("fault", 64, 1);
    struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER, .fail_with = EROFS };
    iore_fault_set_hook(record_hook, &s);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(FlushFileBuffers(h), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_ACCESS_DENIED);
    iore_fault_clear();
    ck_assert_int_eq(FlushFileBuffers(h), TRUE);
    CloseHandle(h);
}
END_TEST

START_TEST(injected_eintr_is_retried_and_the_call_succeeds)
{
    HANDLE h = tu_pattern_file("fault", 64, 1);
    struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER };
    ck_assert_int_eq(iore_fault_inject("fsync", 1, EINTR), 0);
    iore_fault_set_hook(record_hook, &s);
    ck_assert_int_eq(FlushFileBuffers(h), TRUE);
    iore_fault_clear();
    ck_assert_int_eq(s.count, 2); /* the interrupted attempt and the retry */
    CloseHandle(h);
}
END_TEST

enum { FLUSHERS = 4, FLUSHES = 50 };

struct flush_race {
    HANDLE h;
    pthread_barrier_t start;
    int failures, wrong_error;
};

static void *flusher(void *arg)
{
    struct flush_race *f = arg;
    pthread_barrier_wait(&f->start);
    for (int i = 0; i < FLUSHES; i++) {
        if (FlushFileBuffers(f->h))
            continue;
        __atomic_fetch_add(&f->failures, 1, __ATOMIC_RELAXED);
        if (GetLastError() != ERROR_NOT_READY)
            __atomic_fetch_add(&f->wrong_error, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

START_TEST(nth_fault_fires_exactly_once_across_threads)
{
    struct flush_race f = { .h = tu_pattern_file("fault", 64, 1) };
    pthread_t th[FLUSHERS];
    pthread_barrier_init(&f.start, NULL, FLUSHERS);
    ck_assert_int_eq(iore_fault_inject("fsync", FLUSHERS * FLUSHES / 2, EIO), 0);
    for (int i = 0; i < FLUSHERS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, flusher, &f), 0);
    for (int i = 0; i < FLUSHERS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&f.start);
    ck_assert_int_eq(f.failures, 1);
    ck_assert_int_eq(f.wrong_error, 0);
    CloseHandle(f.h);
}
END_TEST

/* ------------------------------------------------------------------ suite */

static Suite *handle_suite(void)
{
    Suite *s = suite_create("handle");
    TCase *tc = tcase_create("closehandle");
    tcase_add_loop_test(tc, closehandle_on_a_value_never_issued_fails_with_error_invalid_handle,
                        0, (int)N(bad_values));
    tcase_add_test(tc, closehandle_on_an_event_succeeds_and_leaves_the_last_error);
    tcase_add_test(tc, closehandle_twice_fails_the_second_time_with_error_invalid_handle);
    tcase_add_test(tc, closed_handle_is_invalid_for_other_calls);
    tcase_add_test(tc, closehandle_on_a_file_succeeds_once);
    tcase_add_test(tc, closehandle_on_an_ioring_fails_and_leaves_the_ring_open);
    tcase_add_test(tc, closehandle_on_a_find_handle_fails_and_findclose_still_works);
    tcase_add_test(tc, handle_of_one_kind_is_invalid_where_another_is_expected);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_test(tc, open_handles_are_distinct_multiples_of_four_never_zero_or_minus_one);
    tcase_add_test(tc, stale_handle_stays_invalid_after_its_slot_is_reused);
    suite_add_tcase(s, tc);

    tc = tcase_create("concurrency");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lookups_racing_with_close_see_the_object_or_error_invalid_handle);
    tcase_add_test(tc, concurrent_closes_of_one_handle_succeed_exactly_once);
    suite_add_tcase(s, tc);

    tc = tcase_create("fork");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, event_handles_stay_open_in_a_forked_child);
    tcase_add_test(tc, child_forked_during_handle_churn_can_create_and_close_handles);
    suite_add_tcase(s, tc);

    tc = tcase_create("fault_injection");
    /* Runs in the test's process: a failed test leaves nothing armed even
     * when CK_FORK=no runs every test in one process. */
    tcase_add_checked_fixture(tc, NULL, iore_fault_clear);
    tcase_add_loop_test(tc, fault_inject_accepts_every_documented_call, 0, (int)N(fault_calls));
    tcase_add_loop_test(tc, fault_inject_on_an_unknown_call_fails_with_einval, 0,
                        (int)N(unknown_calls));
    tcase_add_test(tc, fault_inject_with_a_null_call_or_no_errno_fails_with_einval);
    tcase_add_test(tc, fsync_eio_makes_flushfilebuffers_fail_once_with_error_not_ready);
    tcase_add_test(tc, fault_fails_exactly_the_nth_call);
    tcase_add_test(tc, fault_with_nth_zero_is_disarmed);
    tcase_add_test(tc, fault_clear_disarms_every_fault);
    tcase_add_test(tc, fault_hook_sees_the_call_name);
    tcase_add_test(tc, fault_hook_returning_an_errno_fails_the_call);
    tcase_add_test(tc, injected_eintr_is_retried_and_the_call_succeeds);
    tcase_add_test(tc, nth_fault_fires_exactly_once_across_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(handle_suite());
}
