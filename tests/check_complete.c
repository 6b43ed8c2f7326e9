/*
 * check_complete.c - the completion side (ioring.md 10.1, 10.2, 15):
 * PopIoRingCompletion, SetIoRingCompletionEvent and the rule that the
 * completion event is set only on the CQ's empty -> non-empty edge.
 *
 * NOPs post inside SubmitIoRing, so the CQ's state is known when Submit
 * returns. Completions from pool threads use held reads (testutil.h's
 * gate): the read goes to the pool and stays there until the test
 * releases it.
 */
#define _GNU_SOURCE
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"

#define FILE_LEN 65536
#define READ_LEN 4096

static const IORING_CREATE_FLAGS no_flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                              IORING_CREATE_ADVISORY_FLAGS_NONE };

static HANDLE file;
static HIORING ring;
static char bufs[64][READ_LEN];

static void setup(void)
{
    file = tu_pattern_file("complete", FILE_LEN, 0);
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_4, no_flags, 0, 0, &ring), S_OK);
}

static void teardown(void)
{
    tu_gate_remove();
    CloseIoRing(ring);
    CloseHandle(file);
}

/* ------------------------------------------------------------------ helpers */

static void build_read(UINT_PTR ud, int slot)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(file);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(bufs[slot]);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, READ_LEN, (UINT64)slot * READ_LEN, ud,
                                         IOSQE_FLAGS_NONE), S_OK);
}

/* Builds n NOPs and submits them; they have all posted on return. */
static void nops(int n, UINT_PTR first_ud)
{
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(iore_build_nop(ring, first_ud + (UINT_PTR)i, IOSQE_FLAGS_NONE), S_OK);
    UINT32 done = 0;
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, &done), S_OK);
    ck_assert_uint_eq(done, (UINT32)n);
}

static int pop_all(void)
{
    IORING_CQE cqe;
    int n = 0;
    while (PopIoRingCompletion(ring, &cqe) == S_OK)
        n++;
    return n;
}

static int signaled(HANDLE ev)
{
    DWORD w = WaitForSingleObject(ev, 0);
    ck_assert(w == WAIT_OBJECT_0 || w == WAIT_TIMEOUT);
    return w == WAIT_OBJECT_0;
}

/* ------------------------------------------------------------------ 10.1 */

START_TEST(pop_on_empty_ring_returns_s_false_and_leaves_cqe)
{
    IORING_CQE cqe, before;
    memset(&cqe, 0xa5, sizeof cqe);
    before = cqe;
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_FALSE);
    ck_assert(memcmp(&cqe, &before, sizeof cqe) == 0);
}
END_TEST

START_TEST(pop_with_null_cqe_returns_e_invalidarg_and_pops_nothing)
{
    nops(1, 11);
    ck_assert_int_eq(PopIoRingCompletion(ring, NULL), E_INVALIDARG);
    IORING_CQE cqe;
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_OK);
    ck_assert_uint_eq(cqe.UserData, 11);
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_FALSE);
}
END_TEST

START_TEST(pop_returns_nop_completions_oldest_first_with_s_ok_and_information_0)
{
    nops(20, 100);
    for (UINT_PTR i = 0; i < 20; i++) {
        IORING_CQE cqe;
        memset(&cqe, 0xa5, sizeof cqe);
        tu_expect_cqe(ring, 100 + i, S_OK, 0);
    }
    ck_assert_int_eq(PopIoRingCompletion(ring, &(IORING_CQE){ 0 }), S_FALSE);
}
END_TEST

START_TEST(pop_order_is_completion_order_not_submission_order)
{
    tu_gate_install(TU_GATE_HOLD_ALL, NULL, NULL);
    build_read(1, 0);
    ck_assert_int_eq(iore_build_nop(ring, 2, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(SubmitIoRing(ring, 1, INFINITE, NULL), S_OK);
    IORING_CQE cqe;
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_OK);
    ck_assert_uint_eq(cqe.UserData, 2);
    tu_gate_release(1);
    ck_assert_int_eq(SubmitIoRing(ring, IORING_SUBMIT_WAIT_ALL, INFINITE, NULL), S_OK);
    tu_expect_cqe(ring, 1, S_OK, READ_LEN);
}
END_TEST

/* ------------------------------------------------------------------ 10.2, 15 */

START_TEST(event_is_set_only_on_the_empty_to_non_empty_edge)
{
    HANDLE ev = tu_event(TRUE, FALSE);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, ev), S_OK);
    nops(3, 0);
    ck_assert(signaled(ev));
    ck_assert(ResetEvent(ev));
    nops(1, 0); /* 3 -> 4: no edge */
    ck_assert(!signaled(ev));
    ck_assert_int_eq(pop_all(), 4);
    nops(1, 0); /* 0 -> 1: edge */
    ck_assert(signaled(ev));
    ck_assert(CloseHandle(ev));
}
END_TEST

START_TEST(setting_the_event_does_not_signal_it_even_with_completions_waiting)
{
    HANDLE ev = tu_event(TRUE, FALSE);
    nops(2, 0);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, ev), S_OK);
    ck_assert(!signaled(ev));
    ck_assert(CloseHandle(ev));
}
END_TEST

START_TEST(auto_reset_event_is_consumed_by_one_wait_and_set_again_on_the_next_edge)
{
    HANDLE ev = tu_event(FALSE, FALSE);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, ev), S_OK);
    nops(2, 0);
    ck_assert(signaled(ev));
    ck_assert(!signaled(ev));
    ck_assert_int_eq(pop_all(), 2);
    nops(1, 0);
    ck_assert(signaled(ev));
    ck_assert(CloseHandle(ev));
}
END_TEST

START_TEST(caller_may_close_its_event_handle_after_setting_it)
{
    HANDLE ev = tu_event(TRUE, FALSE);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, ev), S_OK);
    ck_assert(CloseHandle(ev));
    /* The ring's own reference keeps the event alive for these edges. */
    nops(1, 0);
    ck_assert_int_eq(pop_all(), 1);
    nops(1, 0);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, NULL), S_OK);
    nops(1, 0);
}
END_TEST

START_TEST(null_event_removes_the_association)
{
    HANDLE ev = tu_event(TRUE, FALSE);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, ev), S_OK);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, NULL), S_OK);
    nops(1, 0);
    ck_assert(!signaled(ev));
    ck_assert(CloseHandle(ev));
}
END_TEST

START_TEST(a_second_event_replaces_the_first)
{
    HANDLE first = tu_event(TRUE, FALSE), second = tu_event(TRUE, FALSE);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, first), S_OK);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, second), S_OK);
    nops(1, 0);
    ck_assert(!signaled(first));
    ck_assert(signaled(second));
    ck_assert(CloseHandle(first));
    ck_assert(CloseHandle(second));
}
END_TEST

static void expect_rejected_event(HANDLE bad)
{
    HANDLE ev = tu_event(TRUE, FALSE);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, ev), S_OK);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, bad), E_INVALIDARG);
    /* A rejected call changes nothing: the first event is still used. */
    nops(1, 0);
    ck_assert(signaled(ev));
    ck_assert(CloseHandle(ev));
}

START_TEST(invalid_handle_value_as_event_returns_e_invalidarg)
{
    expect_rejected_event(INVALID_HANDLE_VALUE);
}
END_TEST

START_TEST(file_handle_as_event_returns_e_invalidarg)
{
    expect_rejected_event(file);
}
END_TEST

START_TEST(closed_event_handle_returns_e_invalidarg)
{
    HANDLE gone = tu_event(TRUE, FALSE);
    ck_assert(CloseHandle(gone));
    expect_rejected_event(gone);
}
END_TEST

START_TEST(closing_the_ring_releases_its_event_reference)
{
    HANDLE ev = tu_event(TRUE, FALSE);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, ev), S_OK);
    nops(1, 0);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    /* The caller's handle is unaffected and still usable. */
    ck_assert(ResetEvent(ev));
    ck_assert(!signaled(ev));
    ck_assert(SetEvent(ev));
    ck_assert(signaled(ev));
    ck_assert(CloseHandle(ev));
}
END_TEST

START_TEST(a_completion_posted_on_a_pool_thread_sets_the_event)
{
    tu_gate_install(TU_GATE_HOLD_ALL, NULL, NULL);
    HANDLE ev = tu_event(FALSE, FALSE);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, ev), S_OK);
    build_read(5, 1);
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, NULL), S_OK);
    ck_assert(!signaled(ev));
    tu_gate_release(1);
    ck_assert_uint_eq(WaitForSingleObject(ev, INFINITE), WAIT_OBJECT_0);
    IORING_CQE cqe;
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_OK);
    ck_assert_uint_eq(cqe.UserData, 5);
    ck_assert_uint_eq(cqe.Information, READ_LEN);
    ck_assert(CloseHandle(ev));
}
END_TEST

START_TEST(draining_on_each_signal_of_an_auto_reset_event_receives_every_completion)
{
    /* The documented consumer loop: wait, then pop until S_FALSE. Reads
     * complete on whatever thread finishes them, concurrently with the
     * pops, so edges and pops interleave in every way. */
    HANDLE ev = tu_event(FALSE, FALSE);
    ck_assert_int_eq(SetIoRingCompletionEvent(ring, ev), S_OK);
    const int total = 16 * 20;
    int got = 0;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 16; i++)
            build_read((UINT_PTR)(round * 16 + i), i);
        ck_assert_int_eq(SubmitIoRing(ring, 0, 0, NULL), S_OK);
        while (got < (round + 1) * 16) {
            ck_assert_uint_eq(WaitForSingleObject(ev, INFINITE), WAIT_OBJECT_0);
            IORING_CQE cqe;
            while (PopIoRingCompletion(ring, &cqe) == S_OK) {
                ck_assert_int_eq(cqe.ResultCode, S_OK);
                got++;
            }
        }
    }
    ck_assert_int_eq(got, total);
    ck_assert(CloseHandle(ev));
}
END_TEST

static Suite *complete_suite(void)
{
    Suite *s = suite_create("complete");
    TCase *tc = tcase_create("pop");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pop_on_empty_ring_returns_s_false_and_leaves_cqe);
    tcase_add_test(tc, pop_with_null_cqe_returns_e_invalidarg_and_pops_nothing);
    tcase_add_test(tc, pop_returns_nop_completions_oldest_first_with_s_ok_and_information_0);
    tcase_add_test(tc, pop_order_is_completion_order_not_submission_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("event");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, event_is_set_only_on_the_empty_to_non_empty_edge);
    tcase_add_test(tc, setting_the_event_does_not_signal_it_even_with_completions_waiting);
    tcase_add_test(tc, auto_reset_event_is_consumed_by_one_wait_and_set_again_on_the_next_edge);
    tcase_add_test(tc, caller_may_close_its_event_handle_after_setting_it);
    tcase_add_test(tc, null_event_removes_the_association);
    tcase_add_test(tc, a_second_event_replaces_the_first);
    tcase_add_test(tc, invalid_handle_value_as_event_returns_e_invalidarg);
    tcase_add_test(tc, file_handle_as_event_returns_e_invalidarg);
    tcase_add_test(tc, closed_event_handle_returns_e_invalidarg);
    tcase_add_test(tc, closing_the_ring_releases_its_event_reference);
    tcase_add_test(tc, a_completion_posted_on_a_pool_thread_sets_the_event);
    tcase_add_test(tc, draining_on_each_signal_of_an_auto_reset_event_receives_every_completion);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(complete_suite());
}
