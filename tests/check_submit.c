/*
 * check_submit.c - SubmitIoRing (ioring.md 9, 11, 16, 18): the check
 * table, the wait rules with the U0 rule and WAIT_ALL, the timeout, the
 * examples of 9.4, DRAIN, a second concurrent submit, and close waking a
 * blocked submitter.
 *
 * Slow operations without sleeping: testutil.h's gate makes the inline
 * read attempt ("preadv2", made on the submitting thread while it
 * dispatches) report EAGAIN, so reads go to the pool, where the blocking
 * read ("pread"/"preadv") waits until the test releases it. Such a "held
 * read" stays in flight (F) for as long as the test wants; NOPs complete
 * inside SubmitIoRing. The inline attempt also tells the test that a
 * submitter on another thread has got as far as dispatching, i.e. is
 * inside SubmitIoRing, whatever the size of the pool. Tests that end with
 * a held read on a closed ring first wait for it to be held: the op is
 * then running on a pool worker, so the process does not exit while the
 * pool is still starting up.
 */
#define _GNU_SOURCE
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TIMEOUT_HR ((HRESULT)0x800705B4)
#define FILE_LEN 65536
#define HELD_READ_LEN 512

static const IORING_CREATE_FLAGS no_flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                              IORING_CREATE_ADVISORY_FLAGS_NONE };

static HANDLE file;
static char read_bufs[64][HELD_READ_LEN];

static void setup(void)
{
    file = tu_pattern_file("submit", FILE_LEN, 0);
    tu_gate_install(TU_GATE_HOLD_ALL, NULL, NULL);
}

static void teardown(void)
{
    tu_gate_remove();
}

static HIORING new_ring(IORING_VERSION v, UINT32 sq, UINT32 cq)
{
    HIORING ring = NULL;
    ck_assert_int_eq(CreateIoRing(v, no_flags, sq, cq, &ring), S_OK);
    return ring;
}

static void build_nops(HIORING ring, int n, UINT_PTR ud)
{
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(iore_build_nop(ring, ud, IOSQE_FLAGS_NONE), S_OK);
}

static void build_drain_nop(HIORING ring, UINT_PTR ud)
{
    ck_assert_int_eq(iore_build_nop(ring, ud, IOSQE_FLAGS_DRAIN_PRECEDING_OPS), S_OK);
}

/* A read that stays in flight until tu_gate_release() lets it through. */
static void build_held_reads(HIORING ring, int n, UINT_PTR ud)
{
    static int next;
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(file);
    for (int i = 0; i < n; i++) {
        IORING_BUFFER_REF b = IoRingBufferRefFromPointer(read_bufs[next++ % N(read_bufs)]);
        ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, HELD_READ_LEN, 0, ud, IOSQE_FLAGS_NONE),
                         S_OK);
    }
}

static void submit_now(HIORING ring, UINT32 expect_submitted)
{
    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, &n), S_OK);
    ck_assert_uint_eq(n, expect_submitted);
}

static UINT32 queued(HIORING ring)
{
    IORE_RING_STATS st;
    ck_assert_int_eq(iore_ring_stats(ring, &st), S_OK);
    return st.submission_queue_used;
}

static UINT32 in_flight(HIORING ring)
{
    IORE_RING_STATS st;
    ck_assert_int_eq(iore_ring_stats(ring, &st), S_OK);
    return st.in_flight;
}

/* Lets every held read through, makes room in the CQ, submits what is
 * queued, waits for every op and closes the ring. */
static void finish(HIORING ring)
{
    IORING_CQE cqe;
    tu_gate_release(64);
    while (PopIoRingCompletion(ring, &cqe) == S_OK)
        continue;
    ck_assert_int_eq(SubmitIoRing(ring, IORING_SUBMIT_WAIT_ALL, INFINITE, NULL), S_OK);
    ck_assert_uint_eq(in_flight(ring), 0);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}

/* The U / F / S state of the 9.4 examples: u unpopped NOP completions, f
 * held reads in flight, s entries queued (held reads or NOPs). */
static void make_state(HIORING ring, int u, int f, int s, int s_held)
{
    for (int done = 0; done < u; done += 8) {
        build_nops(ring, u - done < 8 ? u - done : 8, 100);
        submit_now(ring, (UINT32)(u - done < 8 ? u - done : 8));
    }
    build_held_reads(ring, f, 200);
    submit_now(ring, (UINT32)f);
    tu_gate_wait_dispatched(f);
    if (s_held)
        build_held_reads(ring, s, 300);
    else
        build_nops(ring, s, 300);
}

/* ------------------------------------------------------------------ a submitter thread */

struct bg_submit {
    pthread_t thread;
    HIORING ring;
    UINT32 wait, ms;
    HRESULT hr;
    UINT32 submitted;
};

static void *bg_main(void *arg)
{
    struct bg_submit *b = arg;
    b->hr = SubmitIoRing(b->ring, b->wait, b->ms, &b->submitted);
    return NULL;
}

static void bg_start(struct bg_submit *b, HIORING ring, UINT32 wait, UINT32 ms)
{
    *b = (struct bg_submit){ .ring = ring, .wait = wait, .ms = ms, .submitted = TU_SENTINEL };
    ck_assert_int_eq(pthread_create(&b->thread, NULL, bg_main, b), 0);
}

static void bg_join(struct bg_submit *b, HRESULT hr, UINT32 submitted)
{
    ck_assert_int_eq(pthread_join(b->thread, NULL), 0);
    ck_assert_msg(b->hr == hr, "SubmitIoRing: 0x%08x, expected 0x%08x", (unsigned)b->hr,
                  (unsigned)hr);
    ck_assert_uint_eq(b->submitted, submitted);
}

/* ------------------------------------------------------------------ 9.4 examples */

struct example {
    int u, f, s, s_held;
    UINT32 wait, ms;
    HRESULT hr;
    UINT32 submitted;
};

/* CQ = 64. Rows whose call returns without the test releasing anything
 * (the held reads stay in flight throughout). */
static const struct example examples[] = {
    { 3, 2, 4, 1, 10, INFINITE, E_INVALIDARG, 0 },       /* 10 > 9 */
    { 3, 2, 4, 0, 9, 0, TIMEOUT_HR, 4 },                 /* equality allowed; T = 6 */
    { 3, 2, 4, 1, 2, INFINITE, S_OK, 4 },                /* T = 0: no wait */
    { 3, 2, 4, 1, 3, INFINITE, S_OK, 4 },                /* T = 0: N == U0 */
    { 3, 2, 4, 0, 5, INFINITE, S_OK, 4 },                /* the 4 NOPs are the 2 posts */
    { 3, 2, 4, 0, 7, 0, S_OK, 4 },                       /* T = 4, 4 NOP posts */
    { 3, 2, 4, 0, 8, 0, TIMEOUT_HR, 4 },                 /* T = 5, 4 NOP posts */
    { 3, 2, 4, 1, 5, 0, TIMEOUT_HR, 4 },                 /* T = 2, nothing posts */
    { 3, 2, 4, 1, IORING_SUBMIT_WAIT_ALL, 0, TIMEOUT_HR, 4 },
    { 3, 2, 4, 1, 65, INFINITE, E_INVALIDARG, 0 },       /* 65 > CQ */
    { 0, 0, 0, 0, 1, INFINITE, E_INVALIDARG, 0 },        /* 1 > 0 */
    { 0, 0, 0, 0, IORING_SUBMIT_WAIT_ALL, INFINITE, S_OK, 0 },
    { 0, 0, 0, 0, 0, INFINITE, S_OK, 0 },
    { 0, 0, 0, 0, 65, 0, E_INVALIDARG, 0 },
    { 0, 0, 2, 1, 2, 0, TIMEOUT_HR, 2 },                 /* slow reads, 0 ms */
    { 0, 0, 2, 1, 1, 30, TIMEOUT_HR, 2 },                /* a real timeout */
};

START_TEST(submit_follows_the_examples_of_ioring_md_9_4)
{
    const struct example *ex = &examples[_i];
    HIORING ring = new_ring(IORING_VERSION_4, 32, 64);
    make_state(ring, ex->u, ex->f, ex->s, ex->s_held);

    UINT32 n = TU_SENTINEL;
    HRESULT hr = SubmitIoRing(ring, ex->wait, ex->ms, &n);
    ck_assert_msg(hr == ex->hr, "row %d: 0x%08x, expected 0x%08x", _i, (unsigned)hr,
                  (unsigned)ex->hr);
    ck_assert_uint_eq(n, ex->submitted);
    /* A failed check submits nothing: every entry is still queued. */
    ck_assert_uint_eq(queued(ring), (UINT32)ex->s - ex->submitted);
    finish(ring);
}
END_TEST

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

START_TEST(submit_timeout_waits_at_least_the_given_milliseconds)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    build_held_reads(ring, 1, 1);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 1, 50, &n), TIMEOUT_HR);
    ck_assert_double_ge(ms_since(&t0), 50.0);
    ck_assert_uint_eq(n, 1);
    finish(ring);
}
END_TEST

START_TEST(submit_wait_returns_once_n_minus_unpopped_more_completions_are_posted)
{
    /* U=3, F=2, S=4 held reads, wait 5: T = 2. */
    HIORING ring = new_ring(IORING_VERSION_4, 32, 64);
    make_state(ring, 3, 2, 4, 1);
    struct bg_submit b;
    bg_start(&b, ring, 5, INFINITE);
    tu_gate_release(2);
    bg_join(&b, S_OK, 4);
    IORE_RING_STATS st;
    ck_assert_int_eq(iore_ring_stats(ring, &st), S_OK);
    ck_assert_uint_eq(st.completion_queue_used, 5);
    ck_assert_uint_eq(st.in_flight, 4);
    finish(ring);
}
END_TEST

START_TEST(submit_wait_all_returns_when_every_op_in_flight_has_posted)
{
    /* U=3, F=2, S=4 held reads, WAIT_ALL: all 6 must post. */
    HIORING ring = new_ring(IORING_VERSION_4, 32, 64);
    make_state(ring, 3, 2, 4, 1);
    struct bg_submit b;
    bg_start(&b, ring, IORING_SUBMIT_WAIT_ALL, INFINITE);
    tu_gate_release(6);
    bg_join(&b, S_OK, 4);
    ck_assert_uint_eq(in_flight(ring), 0);
    finish(ring);
}
END_TEST

START_TEST(submit_with_null_count_pointer_submits)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    build_nops(ring, 3, 1);
    ck_assert_int_eq(SubmitIoRing(ring, 3, INFINITE, NULL), S_OK);
    ck_assert_uint_eq(queued(ring), 0);
    finish(ring);
}
END_TEST

/* ------------------------------------------------------------------ 9.2 */

START_TEST(submit_on_an_invalid_ring_returns_e_handle_and_writes_zero)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    UINT32 n = TU_SENTINEL;
    /* Row 1 comes before row 2 (wait > CQ). */
    ck_assert_int_eq(SubmitIoRing(ring, 1000, 0, &n), E_HANDLE);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(submit_when_cq_cannot_hold_everything_returns_too_full_then_succeeds_after_a_pop)
{
    /* CQ = 16: U=10, F=4, S=3 -> 17 > 16. */
    HIORING ring = new_ring(IORING_VERSION_4, 8, 16);
    make_state(ring, 10, 4, 3, 0);
    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, &n), IORING_E_COMPLETION_QUEUE_TOO_FULL);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(queued(ring), 3);

    IORING_CQE cqe;
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_OK);
    n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, &n), S_OK);
    ck_assert_uint_eq(n, 3);
    finish(ring);
}
END_TEST

START_TEST(submit_checks_wait_against_cq_before_fullness)
{
    HIORING ring = new_ring(IORING_VERSION_4, 8, 16);
    make_state(ring, 10, 4, 3, 0);
    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 17, 0, &n), E_INVALIDARG);
    ck_assert_uint_eq(n, 0);
    finish(ring);
}
END_TEST

START_TEST(submit_exactly_filling_the_cq_is_allowed)
{
    /* CQ = 16: U=9, F=4, S=3 -> 16. */
    HIORING ring = new_ring(IORING_VERSION_4, 8, 16);
    make_state(ring, 9, 4, 3, 0);
    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 16, 0, &n), TIMEOUT_HR);
    ck_assert_uint_eq(n, 3);
    finish(ring);
}
END_TEST

/* ------------------------------------------------------------------ 18 */

START_TEST(second_submit_while_the_first_waits_returns_submit_in_progress)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    build_held_reads(ring, 1, 1);
    struct bg_submit b;
    bg_start(&b, ring, 1, INFINITE);
    tu_gate_wait_dispatched(1); /* b is inside SubmitIoRing */

    build_nops(ring, 2, 2);
    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, &n), IORING_E_SUBMIT_IN_PROGRESS);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(queued(ring), 2);

    tu_gate_release(1);
    bg_join(&b, S_OK, 1);
    n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, &n), S_OK);
    ck_assert_uint_eq(n, 2);
    finish(ring);
}
END_TEST

START_TEST(second_submit_while_the_first_is_in_a_drain_returns_submit_in_progress)
{
    HIORING ring = new_ring(IORING_VERSION_3, 0, 0);
    build_held_reads(ring, 1, 1);
    build_drain_nop(ring, 2);
    struct bg_submit b;
    bg_start(&b, ring, 0, 0);
    tu_gate_wait_dispatched(1);

    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, &n), IORING_E_SUBMIT_IN_PROGRESS);
    ck_assert_uint_eq(n, 0);
    tu_gate_release(1);
    bg_join(&b, S_OK, 2);
    finish(ring);
}
END_TEST

START_TEST(submit_in_progress_is_checked_after_wait_against_cq_and_before_fullness)
{
    /* CQ = 16: U=10, F=4 held; b submits one more held read and waits for it. */
    HIORING ring = new_ring(IORING_VERSION_4, 8, 16);
    make_state(ring, 10, 4, 1, 1);
    struct bg_submit b;
    bg_start(&b, ring, 11, INFINITE); /* T = 11 - 10 = 1 */
    tu_gate_wait_dispatched(1);

    build_nops(ring, 2, 9); /* S=2 + F=5 + U=10 = 17 > 16 */
    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 17, 0, &n), E_INVALIDARG);
    ck_assert_uint_eq(n, 0);
    n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, &n), IORING_E_SUBMIT_IN_PROGRESS);
    ck_assert_uint_eq(n, 0);

    tu_gate_release(1);
    bg_join(&b, S_OK, 1);
    finish(ring);
}
END_TEST

START_TEST(entries_built_during_a_submit_stay_queued_for_the_next)
{
    HIORING ring = new_ring(IORING_VERSION_3, 0, 0);
    build_held_reads(ring, 1, 1);
    build_drain_nop(ring, 2);
    struct bg_submit b;
    bg_start(&b, ring, 0, 0);
    tu_gate_wait_dispatched(1);
    build_nops(ring, 1, 3); /* built while b is blocked in the DRAIN */
    tu_gate_release(1);
    bg_join(&b, S_OK, 2);
    ck_assert_uint_eq(queued(ring), 1);
    finish(ring);
}
END_TEST

/* ------------------------------------------------------------------ 16 */

START_TEST(close_wakes_a_submitter_in_its_wait_which_returns_e_handle_with_its_count)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    build_held_reads(ring, 1, 1);
    struct bg_submit b;
    bg_start(&b, ring, 1, INFINITE);
    tu_gate_wait_dispatched(1);
    tu_gate_wait_held(1);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    bg_join(&b, E_HANDLE, 1);
    tu_gate_release(1);
}
END_TEST

START_TEST(close_wakes_a_submitter_in_a_drain_which_returns_e_handle_with_its_count)
{
    HIORING ring = new_ring(IORING_VERSION_3, 0, 0);
    build_held_reads(ring, 1, 1);
    build_drain_nop(ring, 2);
    build_nops(ring, 1, 3);
    struct bg_submit b;
    bg_start(&b, ring, 0, 0);
    tu_gate_wait_dispatched(1);
    tu_gate_wait_held(1);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    bg_join(&b, E_HANDLE, 1);
    tu_gate_release(1);
}
END_TEST

START_TEST(close_returns_at_once_with_ops_in_flight)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    build_held_reads(ring, 2, 1);
    submit_now(ring, 2);
    tu_gate_wait_held(1);
    /* Neither waits for nor cancels the held reads. */
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    ck_assert_int_eq(PopIoRingCompletion(ring, &(IORING_CQE){ 0 }), E_HANDLE);
    tu_gate_release(2);
}
END_TEST

/* ------------------------------------------------------------------ 18: fork */

/* In a fork child: the inherited ring is dead, and a ring of the child's
 * own runs a real read. Returns the number of failed checks. */
static int fork_child_checks(void *arg)
{
    HIORING inherited = arg;
    int bad = 0;
    UINT32 n = TU_SENTINEL;
    IORING_CQE cqe;
    tu_gate_remove(); /* the child's reads run unhindered */
    bad += SubmitIoRing(inherited, IORING_SUBMIT_WAIT_ALL, INFINITE, &n) != E_HANDLE || n != 0;
    bad += PopIoRingCompletion(inherited, &cqe) != E_HANDLE;
    bad += CloseIoRing(inherited) != E_HANDLE;

    HIORING own = NULL;
    bad += CreateIoRing(IORING_VERSION_4, no_flags, 0, 0, &own) != S_OK;
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(file);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(read_bufs[63]);
    bad += BuildIoRingReadFile(own, f, b, HELD_READ_LEN, 0, 9, IOSQE_FLAGS_NONE) != S_OK;
    bad += SubmitIoRing(own, 1, INFINITE, &n) != S_OK || n != 1;
    bad += PopIoRingCompletion(own, &cqe) != S_OK || cqe.UserData != 9 ||
           cqe.ResultCode != S_OK || cqe.Information != HELD_READ_LEN;
    bad += CloseIoRing(own) != S_OK;
    return bad;
}

START_TEST(fork_with_ops_in_flight_leaves_them_to_the_parent_and_the_child_can_do_io)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    build_held_reads(ring, 1, 1);
    submit_now(ring, 1);
    tu_gate_wait_held(1);
    ck_assert_int_eq(tu_run_in_child(fork_child_checks, ring), 0);

    /* The parent's read still completes normally. */
    tu_gate_release(1);
    ck_assert_int_eq(SubmitIoRing(ring, IORING_SUBMIT_WAIT_ALL, INFINITE, NULL), S_OK);
    tu_expect_cqe(ring, 1, S_OK, HELD_READ_LEN);
    finish(ring);
}
END_TEST

/* ------------------------------------------------------------------ 11.1 DRAIN */

START_TEST(drain_dispatches_the_flagged_entry_only_after_earlier_ops_posted)
{
    HIORING ring = new_ring(IORING_VERSION_3, 0, 0);
    build_held_reads(ring, 1, 1);
    build_drain_nop(ring, 2);
    struct bg_submit b;
    bg_start(&b, ring, 0, 0);
    tu_gate_wait_dispatched(1);
    /* Without the DRAIN the NOP would have posted at once. */
    IORING_CQE cqe;
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_FALSE);
    tu_gate_release(1);
    bg_join(&b, S_OK, 2);

    tu_expect_cqe(ring, 1, S_OK, HELD_READ_LEN);
    tu_expect_cqe(ring, 2, S_OK, 0);
    finish(ring);
}
END_TEST

START_TEST(drain_also_waits_for_ops_of_earlier_submits)
{
    HIORING ring = new_ring(IORING_VERSION_3, 0, 0);
    build_held_reads(ring, 1, 1);
    submit_now(ring, 1);
    build_drain_nop(ring, 2);
    struct bg_submit b;
    bg_start(&b, ring, 0, 0);
    tu_gate_wait_dispatched(1);
    IORING_CQE cqe;
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_FALSE);
    tu_gate_release(1);
    bg_join(&b, S_OK, 1);
    tu_expect_cqe(ring, 1, S_OK, HELD_READ_LEN);
    tu_expect_cqe(ring, 2, S_OK, 0);
    finish(ring);
}
END_TEST

START_TEST(drain_with_nothing_in_flight_does_not_block)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    build_drain_nop(ring, 1);
    build_drain_nop(ring, 2);
    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 2, 0, &n), S_OK);
    ck_assert_uint_eq(n, 2);
    finish(ring);
}
END_TEST

START_TEST(time_blocked_in_a_drain_is_not_counted_in_the_timeout)
{
    /* 0 ms, but the DRAIN blocks until the read is released; the NOP posts
     * afterwards and the wait (T = 2) is met when it is first checked. */
    HIORING ring = new_ring(IORING_VERSION_3, 0, 0);
    build_held_reads(ring, 1, 1);
    build_drain_nop(ring, 2);
    struct bg_submit b;
    bg_start(&b, ring, 2, 0);
    tu_gate_wait_dispatched(1);
    tu_gate_release(1);
    bg_join(&b, S_OK, 2);
    finish(ring);
}
END_TEST

/* ------------------------------------------------------------------ capacity under concurrency */

#define STRESS_OPS 20000

struct stress {
    HIORING ring;
    int built, popped;
};

static void *stress_builder(void *arg)
{
    struct stress *s = arg;
    while (s->built < STRESS_OPS) {
        HRESULT hr = iore_build_nop(s->ring, (UINT_PTR)s->built, IOSQE_FLAGS_NONE);
        if (hr == S_OK)
            s->built++;
        else if (hr == IORING_E_SUBMISSION_QUEUE_FULL)
            sched_yield();
        else
            ck_abort_msg("build: 0x%08x", (unsigned)hr);
    }
    return NULL;
}

static void *stress_popper(void *arg)
{
    struct stress *s = arg;
    IORING_CQE cqe;
    while (s->popped < STRESS_OPS) {
        HRESULT hr = PopIoRingCompletion(s->ring, &cqe);
        if (hr == S_OK) {
            /* NOPs of one builder post in build order. */
            ck_assert_uint_eq(cqe.UserData, (UINT_PTR)s->popped);
            s->popped++;
        } else {
            ck_assert_int_eq(hr, S_FALSE);
            sched_yield();
        }
    }
    return NULL;
}

START_TEST(capacity_rule_holds_with_builders_and_pops_racing_the_submitter)
{
    struct stress s = { .ring = new_ring(IORING_VERSION_4, 8, 16) };
    pthread_t tb, tp;
    ck_assert_int_eq(pthread_create(&tb, NULL, stress_builder, &s), 0);
    ck_assert_int_eq(pthread_create(&tp, NULL, stress_popper, &s), 0);
    UINT32 total = 0;
    while (total < STRESS_OPS) {
        UINT32 n = TU_SENTINEL;
        HRESULT hr = SubmitIoRing(s.ring, 0, 0, &n);
        if (hr == IORING_E_COMPLETION_QUEUE_TOO_FULL)
            ck_assert_uint_eq(n, 0);
        else
            ck_assert_int_eq(hr, S_OK);
        total += n;
        if (n == 0)
            sched_yield();
    }
    ck_assert_int_eq(pthread_join(tb, NULL), 0);
    ck_assert_int_eq(pthread_join(tp, NULL), 0);
    ck_assert_uint_eq(total, STRESS_OPS);
    ck_assert_int_eq(CloseIoRing(s.ring), S_OK);
}
END_TEST

static Suite *submit_suite(void)
{
    Suite *s = suite_create("submit");
    TCase *tc = tcase_create("wait");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, submit_follows_the_examples_of_ioring_md_9_4, 0, (int)N(examples));
    tcase_add_test(tc, submit_timeout_waits_at_least_the_given_milliseconds);
    tcase_add_test(tc, submit_wait_returns_once_n_minus_unpopped_more_completions_are_posted);
    tcase_add_test(tc, submit_wait_all_returns_when_every_op_in_flight_has_posted);
    tcase_add_test(tc, submit_with_null_count_pointer_submits);
    suite_add_tcase(s, tc);

    tc = tcase_create("checks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, submit_on_an_invalid_ring_returns_e_handle_and_writes_zero);
    tcase_add_test(tc,
        submit_when_cq_cannot_hold_everything_returns_too_full_then_succeeds_after_a_pop);
    tcase_add_test(tc, submit_checks_wait_against_cq_before_fullness);
    tcase_add_test(tc, submit_exactly_filling_the_cq_is_allowed);
    suite_add_tcase(s, tc);

    tc = tcase_create("concurrency");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, second_submit_while_the_first_waits_returns_submit_in_progress);
    tcase_add_test(tc, second_submit_while_the_first_is_in_a_drain_returns_submit_in_progress);
    tcase_add_test(tc, submit_in_progress_is_checked_after_wait_against_cq_and_before_fullness);
    tcase_add_test(tc, entries_built_during_a_submit_stay_queued_for_the_next);
    tcase_add_test(tc, capacity_rule_holds_with_builders_and_pops_racing_the_submitter);
    suite_add_tcase(s, tc);

    tc = tcase_create("close");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, close_wakes_a_submitter_in_its_wait_which_returns_e_handle_with_its_count);
    tcase_add_test(tc, close_wakes_a_submitter_in_a_drain_which_returns_e_handle_with_its_count);
    tcase_add_test(tc, close_returns_at_once_with_ops_in_flight);
    suite_add_tcase(s, tc);

    tc = tcase_create("fork");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fork_with_ops_in_flight_leaves_them_to_the_parent_and_the_child_can_do_io);
    suite_add_tcase(s, tc);

    tc = tcase_create("drain");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, drain_dispatches_the_flagged_entry_only_after_earlier_ops_posted);
    tcase_add_test(tc, drain_also_waits_for_ops_of_earlier_submits);
    tcase_add_test(tc, drain_with_nothing_in_flight_does_not_block);
    tcase_add_test(tc, time_blocked_in_a_drain_is_not_counted_in_the_timeout);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(submit_suite());
}
