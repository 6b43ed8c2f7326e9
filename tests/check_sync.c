/*
 * check_sync.c - events and waits as Windows code sees them: CreateEvent
 * (names included), SetEvent, ResetEvent, WaitForSingleObject,
 * WaitForMultipleObjects (any/all, timeouts, bad handles), waits on thread
 * handles, Sleep.
 *
 * Threads are released through events and joined through their handles,
 * never by sleeping. A few tests prove that something does NOT happen (a
 * second waiter stays blocked); those give it a bounded chance to happen
 * (NEGATIVE_MS) and fail if it does.
 */
#include <windows.h>
#include <ioringemu.h>

#include <check.h>
#include <stdint.h>
#include <time.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* How long a test waits for something that must happen (a failure, not a
 * pass, if it elapses) and for something that must not. */
#define MUST_MS 10000
#define NEGATIVE_MS 200

static HANDLE thread(LPTHREAD_START_ROUTINE fn, void *arg)
{
    HANDLE h = CreateThread(NULL, 0, fn, arg, 0, NULL);
    ck_assert_ptr_nonnull(h);
    return h;
}

static void join(HANDLE t)
{
    ck_assert_uint_eq(WaitForSingleObject(t, MUST_MS), WAIT_OBJECT_0);
    ck_assert(CloseHandle(t));
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------------ CreateEvent */

START_TEST(createevent_initially_signalled_satisfies_a_wait)
{
    HANDLE e = tu_event(FALSE, TRUE);
    ck_assert_uint_eq(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    CloseHandle(e);
}
END_TEST

START_TEST(createevent_initially_unsignalled_times_out)
{
    HANDLE e = tu_event(TRUE, FALSE);
    ck_assert_uint_eq(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CloseHandle(e);
}
END_TEST

START_TEST(createevent_unnamed_sets_last_error_to_zero)
{
    SetLastError(TU_SENTINEL);
    HANDLE e = tu_event(FALSE, FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_SUCCESS);
    CloseHandle(e);
}
END_TEST

START_TEST(createevent_with_existing_name_returns_the_same_event_and_error_already_exists)
{
    HANDLE a = CreateEventA(NULL, TRUE, FALSE, "check_sync.same");
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(GetLastError(), ERROR_SUCCESS);
    /* The second call's reset mode and initial state are ignored. */
    HANDLE b = CreateEventA(NULL, FALSE, TRUE, "check_sync.same");
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(GetLastError(), ERROR_ALREADY_EXISTS);
    ck_assert_ptr_ne(a, b);
    ck_assert_uint_eq(WaitForSingleObject(b, 0), WAIT_TIMEOUT);
    ck_assert(SetEvent(a));
    ck_assert_uint_eq(WaitForSingleObject(b, 0), WAIT_OBJECT_0);
    ck_assert_uint_eq(WaitForSingleObject(b, 0), WAIT_OBJECT_0); /* manual, as created */
    CloseHandle(a);
    CloseHandle(b);
}
END_TEST

START_TEST(createeventw_and_createeventa_share_a_name)
{
    HANDLE a = CreateEventW(NULL, TRUE, TRUE, L"check_sync.wide");
    ck_assert_ptr_nonnull(a);
    HANDLE b = CreateEventA(NULL, TRUE, FALSE, "check_sync.wide");
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(GetLastError(), ERROR_ALREADY_EXISTS);
    ck_assert_uint_eq(WaitForSingleObject(b, 0), WAIT_OBJECT_0);
    CloseHandle(a);
    CloseHandle(b);
}
END_TEST

START_TEST(createevent_local_prefix_names_the_same_event)
{
    HANDLE a = CreateEventA(NULL, TRUE, FALSE, "check_sync.local");
    HANDLE b = CreateEventA(NULL, TRUE, FALSE, "Local\\check_sync.local");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(GetLastError(), ERROR_ALREADY_EXISTS);
    CloseHandle(a);
    CloseHandle(b);
}
END_TEST

START_TEST(createevent_names_are_case_sensitive)
{
    HANDLE a = CreateEventA(NULL, TRUE, FALSE, "check_sync.Case");
    HANDLE b = CreateEventA(NULL, TRUE, FALSE, "check_sync.case");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(GetLastError(), ERROR_SUCCESS);
    ck_assert(SetEvent(a));
    ck_assert_uint_eq(WaitForSingleObject(b, 0), WAIT_TIMEOUT);
    CloseHandle(a);
    CloseHandle(b);
}
END_TEST

START_TEST(named_event_is_gone_after_its_last_handle_closes)
{
    HANDLE a = CreateEventA(NULL, TRUE, TRUE, "check_sync.gone");
    ck_assert(CloseHandle(a));
    HANDLE b = CreateEventA(NULL, TRUE, FALSE, "check_sync.gone");
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(GetLastError(), ERROR_SUCCESS);
    ck_assert_uint_eq(WaitForSingleObject(b, 0), WAIT_TIMEOUT);
    CloseHandle(b);
}
END_TEST

START_TEST(named_event_stays_while_another_handle_is_open)
{
    HANDLE a = CreateEventA(NULL, TRUE, FALSE, "check_sync.stays");
    HANDLE b = CreateEventA(NULL, TRUE, FALSE, "check_sync.stays");
    ck_assert(CloseHandle(a));
    HANDLE c = CreateEventA(NULL, TRUE, FALSE, "check_sync.stays");
    ck_assert_uint_eq(GetLastError(), ERROR_ALREADY_EXISTS);
    ck_assert(SetEvent(c));
    ck_assert_uint_eq(WaitForSingleObject(b, 0), WAIT_OBJECT_0);
    CloseHandle(b);
    CloseHandle(c);
}
END_TEST

/* ------------------------------------------------------------------ SetEvent / ResetEvent */

START_TEST(auto_reset_event_is_reset_by_the_wait_it_satisfies)
{
    HANDLE e = tu_event(FALSE, FALSE);
    ck_assert(SetEvent(e));
    ck_assert_uint_eq(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    ck_assert_uint_eq(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CloseHandle(e);
}
END_TEST

START_TEST(manual_reset_event_stays_signalled_after_a_wait)
{
    HANDLE e = tu_event(TRUE, FALSE);
    ck_assert(SetEvent(e));
    ck_assert_uint_eq(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    ck_assert_uint_eq(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    CloseHandle(e);
}
END_TEST

START_TEST(resetevent_unsignals_a_manual_reset_event)
{
    HANDLE e = tu_event(TRUE, TRUE);
    ck_assert(ResetEvent(e));
    ck_assert_uint_eq(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CloseHandle(e);
}
END_TEST

START_TEST(setevent_twice_signals_an_auto_reset_event_once)
{
    HANDLE e = tu_event(FALSE, FALSE);
    ck_assert(SetEvent(e));
    ck_assert(SetEvent(e));
    ck_assert_uint_eq(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    ck_assert_uint_eq(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CloseHandle(e);
}
END_TEST

/* Handles that are not events: never issued, closed, or of another kind. */
static HANDLE not_an_event(int i)
{
    switch (i) {
    case 0: return NULL;
    case 1: return INVALID_HANDLE_VALUE;
    case 2: return (HANDLE)(uintptr_t)4;
    case 3: {
        HANDLE e = tu_event(TRUE, TRUE);
        CloseHandle(e);
        return e;
    }
    default: return (HANDLE)LoadLibraryA("kernel32.dll");
    }
}
#define NOT_AN_EVENT_CASES 5

START_TEST(setevent_on_a_handle_that_is_not_an_event_fails_with_error_invalid_handle)
{
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(SetEvent(not_an_event(_i)), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

START_TEST(resetevent_on_a_handle_that_is_not_an_event_fails_with_error_invalid_handle)
{
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(ResetEvent(not_an_event(_i)), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

static DWORD WINAPI park(LPVOID arg)
{
    WaitForSingleObject((HANDLE)arg, INFINITE);
    return 0;
}

START_TEST(setevent_on_a_thread_handle_fails_with_error_invalid_handle)
{
    HANDLE gate = tu_event(TRUE, FALSE);
    HANDLE t = thread(park, gate);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(SetEvent(t), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    SetEvent(gate);
    join(t);
    CloseHandle(gate);
}
END_TEST

/* ------------------------------------------------------------------ waits: arguments */

START_TEST(wait_on_an_invalid_handle_returns_wait_failed_with_error_invalid_handle)
{
    SetLastError(TU_SENTINEL);
    ck_assert_uint_eq(WaitForSingleObject(not_an_event(_i), 0), WAIT_FAILED);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

START_TEST(waitformultipleobjects_with_one_invalid_handle_fails_with_error_invalid_handle)
{
    HANDLE e = tu_event(TRUE, TRUE);
    HANDLE hs[] = { e, not_an_event(_i) };
    SetLastError(TU_SENTINEL);
    ck_assert_uint_eq(WaitForMultipleObjects(2, hs, FALSE, 0), WAIT_FAILED);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    CloseHandle(e);
}
END_TEST

START_TEST(waitformultipleobjects_with_zero_handles_fails_with_error_invalid_parameter)
{
    HANDLE e = tu_event(TRUE, TRUE);
    SetLastError(TU_SENTINEL);
    ck_assert_uint_eq(WaitForMultipleObjects(0, &e, FALSE, 0), WAIT_FAILED);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    CloseHandle(e);
}
END_TEST

START_TEST(waitformultipleobjects_with_more_than_64_handles_fails_with_error_invalid_parameter)
{
    HANDLE e = tu_event(TRUE, TRUE);
    HANDLE hs[MAXIMUM_WAIT_OBJECTS + 1];
    for (size_t i = 0; i < N(hs); i++)
        hs[i] = e;
    SetLastError(TU_SENTINEL);
    ck_assert_uint_eq(WaitForMultipleObjects(N(hs), hs, FALSE, 0), WAIT_FAILED);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    CloseHandle(e);
}
END_TEST

START_TEST(waitformultipleobjects_with_64_handles_returns_the_signalled_index)
{
    HANDLE hs[MAXIMUM_WAIT_OBJECTS];
    for (size_t i = 0; i < N(hs); i++)
        hs[i] = tu_event(FALSE, i == N(hs) - 1);
    ck_assert_uint_eq(WaitForMultipleObjects(N(hs), hs, FALSE, 0), WAIT_OBJECT_0 + 63);
    for (size_t i = 0; i < N(hs); i++)
        SetEvent(hs[i]);
    ck_assert_uint_eq(WaitForMultipleObjects(N(hs), hs, TRUE, 0), WAIT_OBJECT_0);
    for (size_t i = 0; i < N(hs); i++)
        CloseHandle(hs[i]);
}
END_TEST

START_TEST(waitformultipleobjects_with_null_array_fails_with_error_noaccess)
{
    SetLastError(TU_SENTINEL);
    ck_assert_uint_eq(WaitForMultipleObjects(1, NULL, FALSE, 0), WAIT_FAILED);
    ck_assert_uint_eq(GetLastError(), ERROR_NOACCESS);
}
END_TEST

START_TEST(wait_all_with_the_same_event_twice_fails_with_error_invalid_parameter)
{
    HANDLE e = tu_event(TRUE, TRUE);
    HANDLE hs[] = { e, e };
    SetLastError(TU_SENTINEL);
    ck_assert_uint_eq(WaitForMultipleObjects(2, hs, TRUE, 0), WAIT_FAILED);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    CloseHandle(e);
}
END_TEST

START_TEST(wait_all_with_two_handles_to_one_named_event_fails_with_error_invalid_parameter)
{
    HANDLE a = CreateEventA(NULL, TRUE, TRUE, "check_sync.dup");
    HANDLE b = CreateEventA(NULL, TRUE, TRUE, "check_sync.dup");
    HANDLE hs[] = { a, b };
    SetLastError(TU_SENTINEL);
    ck_assert_uint_eq(WaitForMultipleObjects(2, hs, TRUE, 0), WAIT_FAILED);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    CloseHandle(a);
    CloseHandle(b);
}
END_TEST

START_TEST(wait_any_with_the_same_event_twice_returns_the_first_index)
{
    HANDLE u = tu_event(TRUE, FALSE), e = tu_event(FALSE, TRUE);
    HANDLE hs[] = { u, e, e };
    ck_assert_uint_eq(WaitForMultipleObjects(3, hs, FALSE, 0), WAIT_OBJECT_0 + 1);
    ck_assert_uint_eq(WaitForMultipleObjects(3, hs, FALSE, 0), WAIT_TIMEOUT);
    CloseHandle(u);
    CloseHandle(e);
}
END_TEST

/* ------------------------------------------------------------------ waits: semantics */

START_TEST(wait_any_returns_the_lowest_signalled_index)
{
    HANDLE hs[] = { tu_event(FALSE, FALSE), tu_event(FALSE, TRUE), tu_event(FALSE, TRUE) };
    ck_assert_uint_eq(WaitForMultipleObjects(3, hs, FALSE, 0), WAIT_OBJECT_0 + 1);
    for (size_t i = 0; i < N(hs); i++)
        CloseHandle(hs[i]);
}
END_TEST

START_TEST(wait_any_consumes_only_the_auto_reset_event_it_returns)
{
    HANDLE hs[] = { tu_event(FALSE, FALSE), tu_event(FALSE, TRUE), tu_event(FALSE, TRUE) };
    ck_assert_uint_eq(WaitForMultipleObjects(3, hs, FALSE, 0), WAIT_OBJECT_0 + 1);
    ck_assert_uint_eq(WaitForSingleObject(hs[1], 0), WAIT_TIMEOUT);
    ck_assert_uint_eq(WaitForSingleObject(hs[2], 0), WAIT_OBJECT_0);
    for (size_t i = 0; i < N(hs); i++)
        CloseHandle(hs[i]);
}
END_TEST

START_TEST(wait_all_returns_wait_object_0_and_consumes_every_auto_reset_event)
{
    HANDLE hs[] = { tu_event(FALSE, TRUE), tu_event(TRUE, TRUE), tu_event(FALSE, TRUE) };
    ck_assert_uint_eq(WaitForMultipleObjects(3, hs, TRUE, 0), WAIT_OBJECT_0);
    ck_assert_uint_eq(WaitForSingleObject(hs[0], 0), WAIT_TIMEOUT);
    ck_assert_uint_eq(WaitForSingleObject(hs[1], 0), WAIT_OBJECT_0);
    ck_assert_uint_eq(WaitForSingleObject(hs[2], 0), WAIT_TIMEOUT);
    for (size_t i = 0; i < N(hs); i++)
        CloseHandle(hs[i]);
}
END_TEST

START_TEST(wait_all_with_one_unsignalled_event_times_out_and_consumes_nothing)
{
    HANDLE hs[] = { tu_event(FALSE, TRUE), tu_event(FALSE, FALSE) };
    ck_assert_uint_eq(WaitForMultipleObjects(2, hs, TRUE, 0), WAIT_TIMEOUT);
    ck_assert_uint_eq(WaitForSingleObject(hs[0], 0), WAIT_OBJECT_0);
    CloseHandle(hs[0]);
    CloseHandle(hs[1]);
}
END_TEST

struct wait_all_arg {
    HANDLE hs[2];
    DWORD result;
};

static DWORD WINAPI wait_all_thread(LPVOID p)
{
    struct wait_all_arg *a = p;
    a->result = WaitForMultipleObjects(2, a->hs, TRUE, MUST_MS);
    return 0;
}

START_TEST(blocked_wait_all_takes_nothing_until_every_event_is_signalled)
{
    struct wait_all_arg a = { { tu_event(FALSE, FALSE), tu_event(FALSE, FALSE) }, TU_SENTINEL };
    HANDLE t = thread(wait_all_thread, &a);
    /* Whether or not the waiter is blocked yet, it cannot take hs[0] alone. */
    ck_assert(SetEvent(a.hs[0]));
    ck_assert_uint_eq(WaitForSingleObject(a.hs[0], 0), WAIT_OBJECT_0);
    ck_assert(SetEvent(a.hs[0]));
    ck_assert(SetEvent(a.hs[1]));
    join(t);
    ck_assert_uint_eq(a.result, WAIT_OBJECT_0);
    ck_assert_uint_eq(WaitForSingleObject(a.hs[0], 0), WAIT_TIMEOUT);
    ck_assert_uint_eq(WaitForSingleObject(a.hs[1], 0), WAIT_TIMEOUT);
    CloseHandle(a.hs[0]);
    CloseHandle(a.hs[1]);
}
END_TEST

START_TEST(wait_times_out_with_wait_timeout_after_the_timeout)
{
    HANDLE e = tu_event(FALSE, FALSE);
    uint64_t t0 = now_ms();
    ck_assert_uint_eq(WaitForSingleObject(e, 100), WAIT_TIMEOUT);
    uint64_t took = now_ms() - t0;
    ck_assert_uint_ge(took, 100);
    ck_assert_uint_lt(took, 100 + MUST_MS);
    CloseHandle(e);
}
END_TEST

START_TEST(wait_any_times_out_with_wait_timeout_after_the_timeout)
{
    HANDLE hs[] = { tu_event(FALSE, FALSE), tu_event(TRUE, FALSE) };
    uint64_t t0 = now_ms();
    ck_assert_uint_eq(WaitForMultipleObjects(2, hs, FALSE, 50), WAIT_TIMEOUT);
    ck_assert_uint_ge(now_ms() - t0, 50);
    CloseHandle(hs[0]);
    CloseHandle(hs[1]);
}
END_TEST

struct setter_arg {
    HANDLE e;
};

static DWORD WINAPI set_it(LPVOID p)
{
    SetEvent(((struct setter_arg *)p)->e);
    return 0;
}

START_TEST(event_set_by_another_thread_releases_an_infinite_wait)
{
    struct setter_arg a = { tu_event(FALSE, FALSE) };
    HANDLE t = thread(set_it, &a);
    ck_assert_uint_eq(WaitForSingleObject(a.e, INFINITE), WAIT_OBJECT_0);
    join(t);
    CloseHandle(a.e);
}
END_TEST

START_TEST(event_set_by_another_thread_releases_a_timed_wait_before_the_timeout)
{
    struct setter_arg a = { tu_event(FALSE, FALSE) };
    HANDLE t = thread(set_it, &a);
    ck_assert_uint_eq(WaitForSingleObject(a.e, MUST_MS), WAIT_OBJECT_0);
    join(t);
    CloseHandle(a.e);
}
END_TEST

/* Waiters that report each release on `released` (auto-reset, counted). */
struct waiters {
    HANDLE e;
    HANDLE released;
    volatile LONG count;
};

static DWORD WINAPI waiter(LPVOID p)
{
    struct waiters *w = p;
    if (WaitForSingleObject(w->e, MUST_MS) != WAIT_OBJECT_0)
        return 1;
    __atomic_fetch_add(&w->count, 1, __ATOMIC_SEQ_CST);
    SetEvent(w->released);
    return 0;
}

START_TEST(auto_reset_event_releases_exactly_one_of_two_waiters)
{
    struct waiters w = { tu_event(FALSE, FALSE), tu_event(FALSE, FALSE), 0 };
    HANDLE t[2] = { thread(waiter, &w), thread(waiter, &w) };
    ck_assert(SetEvent(w.e));
    ck_assert_uint_eq(WaitForSingleObject(w.released, MUST_MS), WAIT_OBJECT_0);
    /* The event was consumed and the other waiter stays blocked. */
    ck_assert_uint_eq(WaitForSingleObject(w.e, 0), WAIT_TIMEOUT);
    ck_assert_uint_eq(WaitForSingleObject(w.released, NEGATIVE_MS), WAIT_TIMEOUT);
    ck_assert_int_eq(__atomic_load_n(&w.count, __ATOMIC_SEQ_CST), 1);
    ck_assert(SetEvent(w.e));
    ck_assert_uint_eq(WaitForMultipleObjects(2, t, TRUE, MUST_MS), WAIT_OBJECT_0);
    ck_assert_int_eq(__atomic_load_n(&w.count, __ATOMIC_SEQ_CST), 2);
    CloseHandle(t[0]);
    CloseHandle(t[1]);
    CloseHandle(w.e);
    CloseHandle(w.released);
}
END_TEST

START_TEST(manual_reset_event_releases_every_waiter)
{
    struct waiters w = { tu_event(TRUE, FALSE), tu_event(FALSE, FALSE), 0 };
    HANDLE t[8];
    for (size_t i = 0; i < N(t); i++)
        t[i] = thread(waiter, &w);
    ck_assert(SetEvent(w.e));
    ck_assert_uint_eq(WaitForMultipleObjects(N(t), t, TRUE, MUST_MS), WAIT_OBJECT_0);
    ck_assert_int_eq(__atomic_load_n(&w.count, __ATOMIC_SEQ_CST), (LONG)N(t));
    for (size_t i = 0; i < N(t); i++) {
        DWORD code = TU_SENTINEL;
        ck_assert(GetExitCodeThread(t[i], &code));
        ck_assert_uint_eq(code, 0);
        CloseHandle(t[i]);
    }
    CloseHandle(w.e);
    CloseHandle(w.released);
}
END_TEST

/* An auto-reset event used as a lock: every pass increments an unprotected
 * counter; a lost or doubled release shows as a wrong total (and as a race
 * under TSan). */
struct baton {
    HANDLE e;
    unsigned counter;
};
#define BATON_THREADS 4
#define BATON_PASSES 500

static DWORD WINAPI run_baton(LPVOID p)
{
    struct baton *b = p;
    for (int i = 0; i < BATON_PASSES; i++) {
        if (WaitForSingleObject(b->e, MUST_MS) != WAIT_OBJECT_0)
            return 1;
        b->counter++;
        SetEvent(b->e);
    }
    return 0;
}

START_TEST(auto_reset_event_passed_between_threads_admits_one_at_a_time)
{
    struct baton b = { tu_event(FALSE, TRUE), 0 };
    HANDLE t[BATON_THREADS];
    for (size_t i = 0; i < N(t); i++)
        t[i] = thread(run_baton, &b);
    ck_assert_uint_eq(WaitForMultipleObjects(N(t), t, TRUE, 4 * MUST_MS), WAIT_OBJECT_0);
    for (size_t i = 0; i < N(t); i++) {
        DWORD code = TU_SENTINEL;
        ck_assert(GetExitCodeThread(t[i], &code));
        ck_assert_uint_eq(code, 0);
        CloseHandle(t[i]);
    }
    ck_assert_uint_eq(b.counter, BATON_THREADS * BATON_PASSES);
    CloseHandle(b.e);
}
END_TEST

/* A consumer polling with 1 ms timeouts must see every signal exactly once:
 * a wait that times out just as it is satisfied may not lose the signal. */
struct pingpong {
    HANDLE ping, pong;
};
#define PINGS 300

static DWORD WINAPI consume_pings(LPVOID p)
{
    struct pingpong *pp = p;
    for (int got = 0; got < PINGS;) {
        DWORD r = WaitForSingleObject(pp->ping, 1);
        if (r == WAIT_OBJECT_0) {
            got++;
            SetEvent(pp->pong);
        } else if (r != WAIT_TIMEOUT) {
            return 1;
        }
    }
    return 0;
}

START_TEST(timed_waits_racing_with_setevent_lose_no_signal)
{
    struct pingpong pp = { tu_event(FALSE, FALSE), tu_event(FALSE, FALSE) };
    HANDLE t = thread(consume_pings, &pp);
    for (int i = 0; i < PINGS; i++) {
        ck_assert(SetEvent(pp.ping));
        ck_assert_uint_eq(WaitForSingleObject(pp.pong, MUST_MS), WAIT_OBJECT_0);
    }
    join(t);
    CloseHandle(pp.ping);
    CloseHandle(pp.pong);
}
END_TEST

/* ------------------------------------------------------------------ thread handles */

START_TEST(wait_on_a_thread_handle_returns_once_the_thread_exits)
{
    HANDLE gate = tu_event(TRUE, FALSE);
    HANDLE t = thread(park, gate);
    ck_assert_uint_eq(WaitForSingleObject(t, 0), WAIT_TIMEOUT);
    ck_assert(SetEvent(gate));
    ck_assert_uint_eq(WaitForSingleObject(t, MUST_MS), WAIT_OBJECT_0);
    /* A thread stays signalled. */
    ck_assert_uint_eq(WaitForSingleObject(t, 0), WAIT_OBJECT_0);
    CloseHandle(t);
    CloseHandle(gate);
}
END_TEST

START_TEST(wait_any_on_an_event_and_a_thread_returns_the_thread_index_when_it_exits)
{
    HANDLE gate = tu_event(TRUE, FALSE), never = tu_event(TRUE, FALSE);
    HANDLE t = thread(park, gate);
    HANDLE hs[] = { never, t };
    ck_assert(SetEvent(gate));
    ck_assert_uint_eq(WaitForMultipleObjects(2, hs, FALSE, MUST_MS), WAIT_OBJECT_0 + 1);
    CloseHandle(t);
    CloseHandle(gate);
    CloseHandle(never);
}
END_TEST

/* ------------------------------------------------------------------ Sleep */

START_TEST(sleep_waits_at_least_the_given_time)
{
    uint64_t t0 = now_ms();
    Sleep(30);
    ck_assert_uint_ge(now_ms() - t0, 30);
}
END_TEST

START_TEST(sleep_zero_returns)
{
    Sleep(0);
}
END_TEST

/* ------------------------------------------------------------------ suite */

/* 0xD800 is a lone surrogate: no character, in UTF-32 or UTF-16. */
START_TEST(createeventw_with_an_unencodable_name_fails_with_error_invalid_name)
{
    const WCHAR name[] = { L'e', (WCHAR)0xD800, L'v', 0 };
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(CreateEventW(NULL, FALSE, FALSE, name));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_NAME);
}
END_TEST

static Suite *sync_suite(void)
{
    Suite *s = suite_create("sync");
    TCase *tc = tcase_create("createevent");
    tcase_add_test(tc, createevent_initially_signalled_satisfies_a_wait);
    tcase_add_test(tc, createevent_initially_unsignalled_times_out);
    tcase_add_test(tc, createevent_unnamed_sets_last_error_to_zero);
    tcase_add_test(tc, createeventw_with_an_unencodable_name_fails_with_error_invalid_name);
    tcase_add_test(tc, createevent_with_existing_name_returns_the_same_event_and_error_already_exists);
    tcase_add_test(tc, createeventw_and_createeventa_share_a_name);
    tcase_add_test(tc, createevent_local_prefix_names_the_same_event);
    tcase_add_test(tc, createevent_names_are_case_sensitive);
    tcase_add_test(tc, named_event_is_gone_after_its_last_handle_closes);
    tcase_add_test(tc, named_event_stays_while_another_handle_is_open);
    suite_add_tcase(s, tc);

    tc = tcase_create("setevent");
    tcase_add_test(tc, auto_reset_event_is_reset_by_the_wait_it_satisfies);
    tcase_add_test(tc, manual_reset_event_stays_signalled_after_a_wait);
    tcase_add_test(tc, resetevent_unsignals_a_manual_reset_event);
    tcase_add_test(tc, setevent_twice_signals_an_auto_reset_event_once);
    tcase_add_loop_test(tc, setevent_on_a_handle_that_is_not_an_event_fails_with_error_invalid_handle,
                        0, NOT_AN_EVENT_CASES);
    tcase_add_loop_test(tc, resetevent_on_a_handle_that_is_not_an_event_fails_with_error_invalid_handle,
                        0, NOT_AN_EVENT_CASES);
    tcase_add_test(tc, setevent_on_a_thread_handle_fails_with_error_invalid_handle);
    suite_add_tcase(s, tc);

    tc = tcase_create("wait_arguments");
    tcase_add_loop_test(tc, wait_on_an_invalid_handle_returns_wait_failed_with_error_invalid_handle,
                        0, NOT_AN_EVENT_CASES);
    tcase_add_loop_test(tc, waitformultipleobjects_with_one_invalid_handle_fails_with_error_invalid_handle,
                        0, NOT_AN_EVENT_CASES);
    tcase_add_test(tc, waitformultipleobjects_with_zero_handles_fails_with_error_invalid_parameter);
    tcase_add_test(tc, waitformultipleobjects_with_more_than_64_handles_fails_with_error_invalid_parameter);
    tcase_add_test(tc, waitformultipleobjects_with_64_handles_returns_the_signalled_index);
    tcase_add_test(tc, waitformultipleobjects_with_null_array_fails_with_error_noaccess);
    tcase_add_test(tc, wait_all_with_the_same_event_twice_fails_with_error_invalid_parameter);
    tcase_add_test(tc, wait_all_with_two_handles_to_one_named_event_fails_with_error_invalid_parameter);
    tcase_add_test(tc, wait_any_with_the_same_event_twice_returns_the_first_index);
    suite_add_tcase(s, tc);

    tc = tcase_create("wait_semantics");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, wait_any_returns_the_lowest_signalled_index);
    tcase_add_test(tc, wait_any_consumes_only_the_auto_reset_event_it_returns);
    tcase_add_test(tc, wait_all_returns_wait_object_0_and_consumes_every_auto_reset_event);
    tcase_add_test(tc, wait_all_with_one_unsignalled_event_times_out_and_consumes_nothing);
    tcase_add_test(tc, blocked_wait_all_takes_nothing_until_every_event_is_signalled);
    tcase_add_test(tc, wait_times_out_with_wait_timeout_after_the_timeout);
    tcase_add_test(tc, wait_any_times_out_with_wait_timeout_after_the_timeout);
    tcase_add_test(tc, event_set_by_another_thread_releases_an_infinite_wait);
    tcase_add_test(tc, event_set_by_another_thread_releases_a_timed_wait_before_the_timeout);
    tcase_add_test(tc, auto_reset_event_releases_exactly_one_of_two_waiters);
    tcase_add_test(tc, manual_reset_event_releases_every_waiter);
    tcase_add_test(tc, auto_reset_event_passed_between_threads_admits_one_at_a_time);
    tcase_add_test(tc, timed_waits_racing_with_setevent_lose_no_signal);
    suite_add_tcase(s, tc);

    tc = tcase_create("thread_handles");
    tcase_add_test(tc, wait_on_a_thread_handle_returns_once_the_thread_exits);
    tcase_add_test(tc, wait_any_on_an_event_and_a_thread_returns_the_thread_index_when_it_exits);
    suite_add_tcase(s, tc);

    tc = tcase_create("sleep");
    tcase_add_test(tc, sleep_waits_at_least_the_given_time);
    tcase_add_test(tc, sleep_zero_returns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(sync_suite());
}
