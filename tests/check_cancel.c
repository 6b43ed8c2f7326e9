/*
 * check_cancel.c - BuildIoRingCancelRequest (ioring.md 14): what matches,
 * the cancel's own CQE, and what happens to each kind of target.
 *
 * Deterministic targets: libuv's thread pool is process-wide, so the test
 * fills every worker with its own uv work (on a loop it owns) blocked on a
 * semaphore. testutil.h's gate makes the inline read attempt ("preadv2")
 * report EAGAIN, so each read goes to the pool and stays queued there,
 * still cancellable, until the test releases the workers; on demand it
 * also holds a read inside the pool's read call. A read on an empty
 * pipe waits for data instead, without a worker. The order of the cancel's
 * CQE and its target's is never assumed.
 */
#define _GNU_SOURCE
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <check.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HR_ABORTED ((HRESULT)0x800703E3)
#define HR_NOT_FOUND ((HRESULT)0x80070490)
#define HR_INDEX_OOB ((HRESULT)0x800701DA)
#define FILE_LEN 65536
#define READ_LEN 4096
#define CANCEL_UD 1000

static const IORING_CREATE_FLAGS no_flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                              IORING_CREATE_ADVISORY_FLAGS_NONE };

/* ------------------------------------------------------------------ pool saturation */

static uv_loop_t blocker_loop;
static uv_work_t *blockers;
static unsigned nblockers;
static sem_t blocker_started, blocker_release;

/* libuv's rule for the size of its pool. */
static unsigned uv_pool_size(void)
{
    const char *v = getenv("UV_THREADPOOL_SIZE");
    long n = v ? strtol(v, NULL, 10) : 4;
    return n <= 0 ? 1 : n > 1024 ? 1024 : (unsigned)n;
}

static void blocker_work(uv_work_t *req)
{
    (void)req;
    sem_post(&blocker_started);
    tu_sem_wait(&blocker_release);
}

static void blocker_after(uv_work_t *req, int status)
{
    (void)req;
    (void)status;
}

/* Returns once every worker of libuv's pool runs one of ours. */
static void saturate_pool(void)
{
    nblockers = uv_pool_size();
    blockers = calloc(nblockers, sizeof(*blockers));
    ck_assert_ptr_nonnull(blockers);
    ck_assert_int_eq(uv_loop_init(&blocker_loop), 0);
    for (unsigned i = 0; i < nblockers; i++)
        ck_assert_int_eq(uv_queue_work(&blocker_loop, &blockers[i], blocker_work, blocker_after), 0);
    for (unsigned i = 0; i < nblockers; i++)
        tu_sem_wait(&blocker_started);
}

static void release_pool(void)
{
    if (!blockers)
        return;
    for (unsigned i = 0; i < nblockers; i++)
        sem_post(&blocker_release);
    ck_assert_int_eq(uv_run(&blocker_loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&blocker_loop), 0);
    free(blockers);
    blockers = NULL;
}

/* ------------------------------------------------------------------ fixtures */

static char *path;
static HANDLE file, file2;
static HIORING ring;
static unsigned char bufs[16][READ_LEN];

static void setup(void)
{
    ck_assert_int_eq(sem_init(&blocker_started, 0, 0), 0);
    ck_assert_int_eq(sem_init(&blocker_release, 0, 0), 0);
    path = tu_make_file("cancel", FILE_LEN);
    file = tu_open(path, 0);
    file2 = tu_open(path, 0);
    ck_assert_ptr_ne(file, INVALID_HANDLE_VALUE);
    ck_assert_ptr_ne(file2, INVALID_HANDLE_VALUE);
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_4, no_flags, 32, 64, &ring), S_OK);
    tu_force_pool();
}

static void teardown(void)
{
    release_pool();
    tu_gate_remove();
    CloseIoRing(ring);
    CloseHandle(file);
    CloseHandle(file2);
    free(path);
}

/* ------------------------------------------------------------------ helpers */

static void build_read(HIORING r, IORING_HANDLE_REF f, UINT_PTR ud)
{
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(bufs[ud % N(bufs)]);
    ck_assert_int_eq(BuildIoRingReadFile(r, f, b, READ_LEN, ud * 512, ud, IOSQE_FLAGS_NONE), S_OK);
}

static void build_raw_read(HIORING r, HANDLE h, UINT_PTR ud)
{
    build_read(r, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(h), ud);
}

static void build_cancel(HIORING r, IORING_HANDLE_REF f, UINT_PTR target)
{
    ck_assert_int_eq(BuildIoRingCancelRequest(r, f, target, CANCEL_UD), S_OK);
}

static void submit(HIORING r, UINT32 wait)
{
    /* Bounded, so that a missing completion fails instead of hanging. */
    ck_assert_int_eq(SubmitIoRing(r, wait, 20000, NULL), S_OK);
}

/* Pops every CQE there is into cqes[] (indexed by UserData, < N). */
struct seen {
    IORING_CQE cqe[CANCEL_UD + 1];
    int count[CANCEL_UD + 1];
};

static void pop_all(HIORING r, struct seen *s)
{
    IORING_CQE cqe = { 0, TU_SENTINEL_HR, TU_SENTINEL_INFO };
    while (PopIoRingCompletion(r, &cqe) == S_OK) {
        ck_assert_uint_le(cqe.UserData, CANCEL_UD);
        s->cqe[cqe.UserData] = cqe;
        s->count[cqe.UserData]++;
    }
}

static void assert_seen(const struct seen *s, UINT_PTR ud, HRESULT hr, ULONG_PTR info)
{
    ck_assert_int_eq(s->count[ud], 1);
    ck_assert_msg(s->cqe[ud].ResultCode == hr, "ud %u: 0x%08x, expected 0x%08x", (unsigned)ud,
                  (unsigned)s->cqe[ud].ResultCode, (unsigned)hr);
    ck_assert_uint_eq(s->cqe[ud].Information, info);
}

/* A read that completed normally: every byte right. */
static void assert_read_ok(const struct seen *s, UINT_PTR ud)
{
    assert_seen(s, ud, S_OK, READ_LEN);
    tu_assert_pattern(bufs[ud % N(bufs)], READ_LEN, ud * 512);
}

/* Lets queued work run and collects every CQE still due. */
static void finish(HIORING r, struct seen *s)
{
    release_pool();
    pop_all(r, s);
    submit(r, IORING_SUBMIT_WAIT_ALL);
    pop_all(r, s);
}

/* ------------------------------------------------------------------ tests */

START_TEST(cancel_of_a_queued_read_aborts_it_and_completes_s_ok)
{
    struct seen s = { 0 };
    saturate_pool();
    build_raw_read(ring, file, 1);
    build_raw_read(ring, file, 2);
    build_raw_read(ring, file, 3);
    submit(ring, 0);
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file), 2);
    submit(ring, 2); /* the cancel and its target: both complete now */
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, S_OK, 0);
    assert_seen(&s, 2, HR_ABORTED, 0);
    ck_assert_int_eq(s.count[1] + s.count[3], 0); /* still queued */
    finish(ring, &s);
    assert_read_ok(&s, 1);
    assert_read_ok(&s, 3);
    ck_assert_int_eq(s.count[2], 1);
}
END_TEST

START_TEST(cancel_of_0_aborts_every_pending_op_on_that_handle_only)
{
    struct seen s = { 0 };
    saturate_pool();
    build_raw_read(ring, file, 1);
    build_raw_read(ring, file, 2);
    build_raw_read(ring, file2, 3);
    submit(ring, 0);
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file), 0);
    submit(ring, 3);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, S_OK, 0);
    assert_seen(&s, 1, HR_ABORTED, 0);
    assert_seen(&s, 2, HR_ABORTED, 0);
    finish(ring, &s);
    assert_read_ok(&s, 3);
}
END_TEST

START_TEST(cancel_that_matches_nothing_fails_with_not_found)
{
    struct seen s = { 0 };
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file), 0);
    submit(ring, 1);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, HR_NOT_FOUND, 0);
}
END_TEST

START_TEST(cancel_with_another_user_data_or_handle_leaves_the_op_alone)
{
    struct seen s = { 0 };
    saturate_pool();
    build_raw_read(ring, file, 1);
    submit(ring, 0);
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file), 9);
    submit(ring, 1);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, HR_NOT_FOUND, 0);
    s.count[CANCEL_UD] = 0;
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file2), 1);
    submit(ring, 1);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, HR_NOT_FOUND, 0);
    finish(ring, &s);
    assert_read_ok(&s, 1);
}
END_TEST

START_TEST(cancel_does_not_match_ops_of_another_ring)
{
    struct seen s = { 0 }, s2 = { 0 };
    HIORING other;
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_4, no_flags, 8, 16, &other), S_OK);
    saturate_pool();
    build_raw_read(ring, file, 1);
    submit(ring, 0);
    build_cancel(other, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file), 1);
    submit(other, 1);
    pop_all(other, &s2);
    assert_seen(&s2, CANCEL_UD, HR_NOT_FOUND, 0);
    finish(ring, &s);
    assert_read_ok(&s, 1);
    CloseIoRing(other);
}
END_TEST

START_TEST(cancel_of_a_completed_op_fails_with_not_found)
{
    struct seen s = { 0 };
    build_raw_read(ring, file, 1);
    submit(ring, 1);
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file), 1);
    submit(ring, 2);
    pop_all(ring, &s);
    assert_read_ok(&s, 1);
    assert_seen(&s, CANCEL_UD, HR_NOT_FOUND, 0);
}
END_TEST

START_TEST(cancel_through_a_registered_index_matches_a_raw_handle_op)
{
    struct seen s = { 0 };
    HANDLE files[2] = { file2, file };
    ck_assert_int_eq(BuildIoRingRegisterFileHandles(ring, 2, files, 500), S_OK);
    submit(ring, 1);
    pop_all(ring, &s);
    assert_seen(&s, 500, S_OK, 2);
    saturate_pool();
    build_raw_read(ring, file, 7);
    build_raw_read(ring, file2, 8);
    submit(ring, 0);
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromIndex(1), 7);
    submit(ring, 2);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, S_OK, 0);
    assert_seen(&s, 7, HR_ABORTED, 0);
    finish(ring, &s);
    assert_read_ok(&s, 8);
}
END_TEST

START_TEST(cancel_of_a_raw_handle_matches_an_op_issued_through_an_index)
{
    struct seen s = { 0 };
    HANDLE files[1] = { file };
    ck_assert_int_eq(BuildIoRingRegisterFileHandles(ring, 1, files, 500), S_OK);
    submit(ring, 1);
    saturate_pool();
    build_read(ring, (IORING_HANDLE_REF)IoRingHandleRefFromIndex(0), 4);
    submit(ring, 0);
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file), 4);
    submit(ring, 3);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, S_OK, 0);
    assert_seen(&s, 4, HR_ABORTED, 0);
}
END_TEST

START_TEST(cancel_with_an_unresolvable_reference_fails_like_any_op)
{
    struct seen s = { 0 };
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(NULL), 0);
    submit(ring, 1);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, E_HANDLE, 0);
    s.count[CANCEL_UD] = 0;
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromIndex(3), 0);
    submit(ring, 1);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, HR_INDEX_OOB, 0);
}
END_TEST

START_TEST(cancel_in_the_same_batch_matches_only_entries_before_it)
{
    struct seen s = { 0 };
    saturate_pool();
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file), 0); /* nothing yet */
    build_raw_read(ring, file, 1);
    submit(ring, 1);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, HR_NOT_FOUND, 0);
    s.count[CANCEL_UD] = 0;
    build_raw_read(ring, file, 2);
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file), 2);
    submit(ring, 2);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, S_OK, 0);
    assert_seen(&s, 2, HR_ABORTED, 0);
    finish(ring, &s);
    assert_read_ok(&s, 1);
}
END_TEST

START_TEST(cancel_of_a_running_read_lets_it_finish_normally)
{
    struct seen s = { 0 };
    tu_gate_hold(1);
    build_raw_read(ring, file, 5);
    submit(ring, 0);
    tu_gate_wait_held(1); /* inside the pool's read call */
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file), 5);
    submit(ring, 1);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, S_OK, 0);
    ck_assert_int_eq(s.count[5], 0);
    tu_gate_release(1);
    submit(ring, 1);
    pop_all(ring, &s);
    assert_read_ok(&s, 5);
}
END_TEST

START_TEST(cancel_of_a_pipe_read_waiting_for_data_aborts_it)
{
    struct seen s = { 0 };
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    HANDLE rd = iore_handle_from_fd(p[0]);
    ck_assert_ptr_ne(rd, INVALID_HANDLE_VALUE);
    build_raw_read(ring, rd, 6);
    submit(ring, 0);
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(rd), 6);
    submit(ring, 2);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, S_OK, 0);
    assert_seen(&s, 6, HR_ABORTED, 0);
    /* The pipe is untouched: data written now is still there to read. */
    ck_assert_int_eq(write(p[1], "z", 1), 1);
    char c = 0;
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    ck_assert_int_eq(c, 'z');
    CloseHandle(rd);
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(cancel_of_0_aborts_every_read_waiting_on_a_pipe)
{
    struct seen s = { 0 };
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    HANDLE rd = iore_handle_from_fd(p[0]);
    ck_assert_ptr_ne(rd, INVALID_HANDLE_VALUE);
    for (UINT_PTR ud = 1; ud <= 4; ud++)
        build_raw_read(ring, rd, ud);
    submit(ring, 0);
    build_cancel(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(rd), 0);
    submit(ring, 5);
    pop_all(ring, &s);
    assert_seen(&s, CANCEL_UD, S_OK, 0);
    for (UINT_PTR ud = 1; ud <= 4; ud++)
        assert_seen(&s, ud, HR_ABORTED, 0);
    CloseHandle(rd);
    close(p[0]);
    close(p[1]);
}
END_TEST

static Suite *cancel_suite(void)
{
    Suite *s = suite_create("cancel");
    TCase *tc = tcase_create("cancel");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, cancel_of_a_queued_read_aborts_it_and_completes_s_ok);
    tcase_add_test(tc, cancel_of_0_aborts_every_pending_op_on_that_handle_only);
    tcase_add_test(tc, cancel_that_matches_nothing_fails_with_not_found);
    tcase_add_test(tc, cancel_with_another_user_data_or_handle_leaves_the_op_alone);
    tcase_add_test(tc, cancel_does_not_match_ops_of_another_ring);
    tcase_add_test(tc, cancel_of_a_completed_op_fails_with_not_found);
    tcase_add_test(tc, cancel_through_a_registered_index_matches_a_raw_handle_op);
    tcase_add_test(tc, cancel_of_a_raw_handle_matches_an_op_issued_through_an_index);
    tcase_add_test(tc, cancel_with_an_unresolvable_reference_fails_like_any_op);
    tcase_add_test(tc, cancel_in_the_same_batch_matches_only_entries_before_it);
    tcase_add_test(tc, cancel_of_a_running_read_lets_it_finish_normally);
    tcase_add_test(tc, cancel_of_a_pipe_read_waiting_for_data_aborts_it);
    tcase_add_test(tc, cancel_of_0_aborts_every_read_waiting_on_a_pipe);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(cancel_suite());
}
