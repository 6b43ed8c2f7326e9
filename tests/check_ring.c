/*
 * check_ring.c - ring lifecycle (ioring.md 7, 10.3, 16, 18): capabilities,
 * CreateIoRing's checks and queue sizing, GetIoRingInfo,
 * IsIoRingOpSupported, CloseIoRing, invalid rings and fork().
 *
 * Conformance tests: public API only; expected values are restated from
 * the spec, and outputs are prefilled with sentinels that failures must
 * leave untouched.
 */
#define _GNU_SOURCE
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SENTINEL_RING ((HIORING)(uintptr_t)0x5e5e5e5e5e5e5e50u)

static const IORING_CREATE_FLAGS no_flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                              IORING_CREATE_ADVISORY_FLAGS_NONE };

static HIORING new_ring(IORING_VERSION v, UINT32 sq, UINT32 cq)
{
    HIORING ring = NULL;
    HRESULT hr = CreateIoRing(v, no_flags, sq, cq, &ring);
    ck_assert_msg(hr == S_OK, "CreateIoRing: 0x%08x", (unsigned)hr);
    ck_assert_ptr_nonnull(ring);
    return ring;
}

/* ------------------------------------------------------------------ 7.1 */

START_TEST(query_capabilities_reports_version_4_queue_maxima_and_emulation_features)
{
    IORING_CAPABILITIES caps;
    memset(&caps, 0xa5, sizeof caps);
    ck_assert_int_eq(QueryIoRingCapabilities(&caps), S_OK);
    ck_assert_int_eq(caps.MaxVersion, IORING_VERSION_4);
    ck_assert_uint_eq(caps.MaxSubmissionQueueSize, 0x10000);
    ck_assert_uint_eq(caps.MaxCompletionQueueSize, 0x20000);
    ck_assert_uint_eq(caps.FeatureFlags, 0x3);
}
END_TEST

START_TEST(query_capabilities_with_null_returns_e_invalidarg)
{
    ck_assert_int_eq(QueryIoRingCapabilities(NULL), E_INVALIDARG);
}
END_TEST

/* ------------------------------------------------------------------ 7.2 */

struct create_row {
    IORING_VERSION version;
    UINT32 required;
    UINT32 sq, cq;
    HRESULT hr;
    UINT32 want_sq, want_cq;
};

/* ioring.md 7.2: the sizing table, every accepted version, and the check
 * order (version, SQ limit, CQ limit, required flags; first failure wins). */
static const struct create_row create_rows[] = {
    { IORING_VERSION_4, 0, 0, 0, S_OK, 32, 64 },
    { IORING_VERSION_4, 0, 1, 1, S_OK, 8, 16 },
    { IORING_VERSION_4, 0, 7, 0, S_OK, 8, 16 },
    { IORING_VERSION_4, 0, 8, 0, S_OK, 8, 16 },
    { IORING_VERSION_4, 0, 9, 0, S_OK, 16, 32 },
    { IORING_VERSION_4, 0, 100, 100, S_OK, 128, 256 },
    { IORING_VERSION_4, 0, 128, 128, S_OK, 128, 256 },
    { IORING_VERSION_4, 0, 128, 256, S_OK, 128, 256 },
    { IORING_VERSION_4, 0, 128, 257, S_OK, 128, 512 },
    { IORING_VERSION_4, 0, 128, 1000, S_OK, 128, 1024 },
    { IORING_VERSION_4, 0, 0x8000, 0x1FFFF, S_OK, 0x8000, 0x20000 },
    { IORING_VERSION_4, 0, 0x10000, 0, S_OK, 0x10000, 0x20000 },
    { IORING_VERSION_4, 0, 0x10000, 0x20000, S_OK, 0x10000, 0x20000 },
    { IORING_VERSION_1, 0, 0, 0, S_OK, 32, 64 },
    { IORING_VERSION_2, 0, 0, 0, S_OK, 32, 64 },
    { IORING_VERSION_3, 0, 0, 0, S_OK, 32, 64 },
    { IORING_VERSION_4, 0, 0x10001, 0, IORING_E_SUBMISSION_QUEUE_TOO_BIG, 0, 0 },
    { IORING_VERSION_4, 0, 0xFFFFFFFF, 0, IORING_E_SUBMISSION_QUEUE_TOO_BIG, 0, 0 },
    { IORING_VERSION_4, 0, 32, 0x20001, IORING_E_COMPLETION_QUEUE_TOO_BIG, 0, 0 },
    { IORING_VERSION_4, 0, 32, 0xFFFFFFFF, IORING_E_COMPLETION_QUEUE_TOO_BIG, 0, 0 },
    { IORING_VERSION_4, 1, 32, 64, IORING_E_REQUIRED_FLAG_NOT_SUPPORTED, 0, 0 },
    { IORING_VERSION_4, 0x80000000, 0, 0, IORING_E_REQUIRED_FLAG_NOT_SUPPORTED, 0, 0 },
    { IORING_VERSION_INVALID, 0, 0, 0, IORING_E_VERSION_NOT_SUPPORTED, 0, 0 },
    { (IORING_VERSION)3, 0, 0, 0, IORING_E_VERSION_NOT_SUPPORTED, 0, 0 },
    { (IORING_VERSION)5, 0, 0, 0, IORING_E_VERSION_NOT_SUPPORTED, 0, 0 },
    { (IORING_VERSION)299, 0, 0, 0, IORING_E_VERSION_NOT_SUPPORTED, 0, 0 },
    { (IORING_VERSION)401, 0, 0, 0, IORING_E_VERSION_NOT_SUPPORTED, 0, 0 },
    { (IORING_VERSION)-1, 0, 0, 0, IORING_E_VERSION_NOT_SUPPORTED, 0, 0 },
    /* check order */
    { (IORING_VERSION)5, 0, 0x10001, 0, IORING_E_VERSION_NOT_SUPPORTED, 0, 0 },
    { (IORING_VERSION)5, 1, 0x10001, 0x20001, IORING_E_VERSION_NOT_SUPPORTED, 0, 0 },
    { IORING_VERSION_4, 1, 0x10001, 0x20001, IORING_E_SUBMISSION_QUEUE_TOO_BIG, 0, 0 },
    { IORING_VERSION_4, 1, 32, 0x20001, IORING_E_COMPLETION_QUEUE_TOO_BIG, 0, 0 },
};

START_TEST(create_checks_in_order_and_sizes_queues_per_ioring_md_7_2)
{
    const struct create_row *row = &create_rows[_i];
    IORING_CREATE_FLAGS flags = { (IORING_CREATE_REQUIRED_FLAGS)row->required,
                                  IORING_CREATE_ADVISORY_FLAGS_NONE };
    HIORING ring = SENTINEL_RING;
    HRESULT hr = CreateIoRing(row->version, flags, row->sq, row->cq, &ring);
    ck_assert_msg(hr == row->hr, "row %d (v%d, %u, %u): 0x%08x, expected 0x%08x", _i,
                  (int)row->version, row->sq, row->cq, (unsigned)hr, (unsigned)row->hr);
    if (FAILED(hr)) {
        ck_assert_ptr_eq(ring, SENTINEL_RING);
        return;
    }
    IORING_INFO info;
    ck_assert_int_eq(GetIoRingInfo(ring, &info), S_OK);
    ck_assert_uint_eq(info.SubmissionQueueSize, row->want_sq);
    ck_assert_uint_eq(info.CompletionQueueSize, row->want_cq);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

START_TEST(create_with_null_handle_pointer_returns_e_invalidarg_before_other_checks)
{
    IORING_CREATE_FLAGS bad = { (IORING_CREATE_REQUIRED_FLAGS)1, IORING_CREATE_ADVISORY_FLAGS_NONE };
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_4, no_flags, 0, 0, NULL), E_INVALIDARG);
    ck_assert_int_eq(CreateIoRing((IORING_VERSION)5, bad, 0x10001, 0x20001, NULL), E_INVALIDARG);
}
END_TEST

START_TEST(create_accepts_unknown_advisory_flags)
{
    IORING_CREATE_FLAGS flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                  (IORING_CREATE_ADVISORY_FLAGS)0xFFFFFFFF };
    HIORING ring = NULL;
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_1, flags, 0, 0, &ring), S_OK);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

START_TEST(create_returns_distinct_handles_for_distinct_rings)
{
    HIORING a = new_ring(IORING_VERSION_4, 0, 0);
    HIORING b = new_ring(IORING_VERSION_4, 0, 0);
    ck_assert_ptr_ne(a, b);
    ck_assert_int_eq(CloseIoRing(a), S_OK);
    /* Closing one leaves the other usable. */
    IORING_INFO info;
    ck_assert_int_eq(GetIoRingInfo(b, &info), S_OK);
    ck_assert_int_eq(CloseIoRing(b), S_OK);
}
END_TEST

/* CreateIoRing makes three allocations (the ring, its SQ, its CQ); each of
 * them failing in turn must give E_OUTOFMEMORY, leave *h alone and leak
 * nothing (the sanitizer and valgrind runs check the last part). */
START_TEST(create_returns_e_outofmemory_when_allocation_fails_and_leaves_handle)
{
    ck_assert_int_eq(iore_fault_inject("alloc", (unsigned)_i + 1, ENOMEM), 0);
    HIORING ring = SENTINEL_RING;
    HRESULT hr = CreateIoRing(IORING_VERSION_4, no_flags, 0x10000, 0x20000, &ring);
    iore_fault_clear();
    ck_assert_msg(hr == E_OUTOFMEMORY, "allocation %d: 0x%08x", _i + 1, (unsigned)hr);
    ck_assert_ptr_eq(ring, SENTINEL_RING);
}
END_TEST

START_TEST(create_succeeds_once_the_allocation_failure_is_spent)
{
    ck_assert_int_eq(iore_fault_inject("alloc", 1, ENOMEM), 0);
    HIORING ring = SENTINEL_RING;
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_4, no_flags, 0, 0, &ring), E_OUTOFMEMORY);
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_4, no_flags, 0, 0, &ring), S_OK);
    iore_fault_clear();
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

/* ------------------------------------------------------------------ 7.3 */

START_TEST(get_info_reports_version_and_the_exact_flags_passed_including_unknown_advisory_bits)
{
    static const IORING_VERSION versions[] = { IORING_VERSION_1, IORING_VERSION_2,
                                               IORING_VERSION_3, IORING_VERSION_4 };
    IORING_CREATE_FLAGS flags = {
        IORING_CREATE_REQUIRED_FLAGS_NONE,
        (IORING_CREATE_ADVISORY_FLAGS)(IORING_CREATE_SKIP_BUILDER_PARAM_CHECKS | 0x80000006u),
    };
    HIORING ring = NULL;
    ck_assert_int_eq(CreateIoRing(versions[_i], flags, 9, 100, &ring), S_OK);
    IORING_INFO info;
    memset(&info, 0xa5, sizeof info);
    ck_assert_int_eq(GetIoRingInfo(ring, &info), S_OK);
    ck_assert_int_eq(info.IoRingVersion, versions[_i]);
    ck_assert_uint_eq(info.Flags.Required, 0);
    ck_assert_uint_eq(info.Flags.Advisory, 0x80000007u);
    ck_assert_uint_eq(info.SubmissionQueueSize, 16);
    ck_assert_uint_eq(info.CompletionQueueSize, 128);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

START_TEST(get_info_with_null_info_returns_e_invalidarg)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    ck_assert_int_eq(GetIoRingInfo(ring, NULL), E_INVALIDARG);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

/* ------------------------------------------------------------------ 7.4 */

static const IORING_VERSION op_versions[] = { IORING_VERSION_1, IORING_VERSION_2,
                                              IORING_VERSION_3, IORING_VERSION_4 };
static const int op_values[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, 0x7fffffff };

/* ioring.md 7.4 as data: what each version supports. */
static BOOL op_expected(IORING_VERSION v, int op)
{
    if (op >= 0 && op <= 4)
        return TRUE;
    if (op == 5 || op == 6)
        return v == IORING_VERSION_3 || v == IORING_VERSION_4;
    if (op == 7 || op == 8)
        return v == IORING_VERSION_4;
    return FALSE;
}

START_TEST(is_op_supported_follows_the_ring_version_table)
{
    IORING_VERSION v = op_versions[_i / (int)N(op_values)];
    int op = op_values[_i % (int)N(op_values)];
    HIORING ring = new_ring(v, 0, 0);
    BOOL got = IsIoRingOpSupported(ring, (IORING_OP_CODE)op);
    ck_assert_msg(!!got == op_expected(v, op), "version %d op %d: %d", (int)v, op, got);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

/* ------------------------------------------------------------------ invalid rings */

/* Every HIORING function, called with prefilled outputs that must stay as
 * they were; each returns what the function returned. */
static HRESULT call_get_info(HIORING ring)
{
    IORING_INFO info, before;
    memset(&info, 0xa5, sizeof info);
    before = info;
    HRESULT hr = GetIoRingInfo(ring, &info);
    ck_assert(memcmp(&info, &before, sizeof info) == 0);
    return hr;
}

static HRESULT call_submit(HIORING ring)
{
    UINT32 submitted = 0xdeadbeef;
    HRESULT hr = SubmitIoRing(ring, 0, 0, &submitted);
    ck_assert_uint_eq(submitted, 0);
    return hr;
}

static HRESULT call_close(HIORING ring)
{
    return CloseIoRing(ring);
}

static HRESULT call_pop(HIORING ring)
{
    IORING_CQE cqe, before;
    memset(&cqe, 0xa5, sizeof cqe);
    before = cqe;
    HRESULT hr = PopIoRingCompletion(ring, &cqe);
    ck_assert(memcmp(&cqe, &before, sizeof cqe) == 0);
    return hr;
}

static HRESULT call_set_event(HIORING ring)
{
    return SetIoRingCompletionEvent(ring, NULL);
}

static char scratch_buf[4096] __attribute__((aligned(4096)));
static FILE_SEGMENT_ELEMENT scratch_segs[1] = { { .Buffer = scratch_buf } };

static HRESULT call_read(HIORING ring)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(INVALID_HANDLE_VALUE);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(scratch_buf);
    return BuildIoRingReadFile(ring, f, b, 16, 0, 1, IOSQE_FLAGS_NONE);
}

static HRESULT call_write(HIORING ring)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(INVALID_HANDLE_VALUE);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(scratch_buf);
    return BuildIoRingWriteFile(ring, f, b, 16, 0, FILE_WRITE_FLAGS_NONE, 1, IOSQE_FLAGS_NONE);
}

static HRESULT call_flush(HIORING ring)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(INVALID_HANDLE_VALUE);
    return BuildIoRingFlushFile(ring, f, FILE_FLUSH_DEFAULT, 1, IOSQE_FLAGS_NONE);
}

static HRESULT call_scatter(HIORING ring)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromIndex(0);
    return BuildIoRingReadFileScatter(ring, f, 1, scratch_segs, 512, 0, 1, IOSQE_FLAGS_NONE);
}

static HRESULT call_gather(HIORING ring)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromIndex(0);
    return BuildIoRingWriteFileGather(ring, f, 1, scratch_segs, 512, 0, FILE_WRITE_FLAGS_NONE,
                                      1, IOSQE_FLAGS_NONE);
}

static HRESULT call_cancel(HIORING ring)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(INVALID_HANDLE_VALUE);
    return BuildIoRingCancelRequest(ring, f, 1, 2);
}

static HRESULT call_register_files(HIORING ring)
{
    static HANDLE handles[1];
    handles[0] = INVALID_HANDLE_VALUE;
    return BuildIoRingRegisterFileHandles(ring, 1, handles, 1);
}

static HRESULT call_register_buffers(HIORING ring)
{
    static IORING_BUFFER_INFO bufs[1] = { { scratch_buf, sizeof scratch_buf } };
    return BuildIoRingRegisterBuffers(ring, 1, bufs, 1);
}

static HRESULT call_nop(HIORING ring)
{
    return iore_build_nop(ring, 1, IOSQE_FLAGS_NONE);
}

static HRESULT call_stats(HIORING ring)
{
    IORE_RING_STATS st, before;
    memset(&st, 0xa5, sizeof st);
    before = st;
    HRESULT hr = iore_ring_stats(ring, &st);
    ck_assert(memcmp(&st, &before, sizeof st) == 0);
    return hr;
}

static const struct {
    const char *name;
    HRESULT (*fn)(HIORING);
} ring_calls[] = {
    { "GetIoRingInfo", call_get_info },
    { "SubmitIoRing", call_submit },
    { "CloseIoRing", call_close },
    { "PopIoRingCompletion", call_pop },
    { "SetIoRingCompletionEvent", call_set_event },
    { "BuildIoRingReadFile", call_read },
    { "BuildIoRingWriteFile", call_write },
    { "BuildIoRingFlushFile", call_flush },
    { "BuildIoRingReadFileScatter", call_scatter },
    { "BuildIoRingWriteFileGather", call_gather },
    { "BuildIoRingCancelRequest", call_cancel },
    { "BuildIoRingRegisterFileHandles", call_register_files },
    { "BuildIoRingRegisterBuffers", call_register_buffers },
    { "iore_build_nop", call_nop },
    { "iore_ring_stats", call_stats },
};

static void expect_e_handle(HIORING bad, int i)
{
    HRESULT hr = ring_calls[i].fn(bad);
    ck_assert_msg(hr == E_HANDLE, "%s: 0x%08x", ring_calls[i].name, (unsigned)hr);
}

START_TEST(every_function_on_a_closed_ring_returns_e_handle)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    ck_assert_int_eq(iore_build_nop(ring, 7, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    expect_e_handle(ring, _i);
}
END_TEST

START_TEST(every_function_on_a_null_ring_returns_e_handle)
{
    expect_e_handle(NULL, _i);
}
END_TEST

START_TEST(every_function_on_a_never_issued_ring_value_returns_e_handle)
{
    expect_e_handle((HIORING)(uintptr_t)0x0000777700001230u, _i);
}
END_TEST

START_TEST(every_function_on_an_event_handle_cast_to_hioring_returns_e_handle)
{
    HANDLE ev = CreateEventA(NULL, TRUE, FALSE, NULL);
    ck_assert_ptr_nonnull(ev);
    expect_e_handle((HIORING)ev, _i);
    /* The event was not disturbed (not closed as a ring, for instance). */
    ck_assert(SetEvent(ev));
    ck_assert_uint_eq(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    ck_assert(CloseHandle(ev));
}
END_TEST

START_TEST(is_op_supported_on_invalid_rings_returns_false)
{
    HIORING closed = new_ring(IORING_VERSION_4, 0, 0);
    ck_assert_int_eq(CloseIoRing(closed), S_OK);
    HANDLE ev = CreateEventA(NULL, FALSE, FALSE, NULL);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(IsIoRingOpSupported(NULL, IORING_OP_NOP), FALSE);
    ck_assert_int_eq(IsIoRingOpSupported(closed, IORING_OP_NOP), FALSE);
    ck_assert_int_eq(IsIoRingOpSupported((HIORING)ev, IORING_OP_READ), FALSE);
    ck_assert(CloseHandle(ev));
}
END_TEST

/* ------------------------------------------------------------------ 10.3, 16 */

START_TEST(close_twice_returns_e_handle_the_second_time)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    ck_assert_int_eq(CloseIoRing(ring), E_HANDLE);
}
END_TEST

START_TEST(close_discards_unsubmitted_entries_and_unpopped_completions)
{
    HIORING ring = new_ring(IORING_VERSION_4, 8, 16);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(iore_build_nop(ring, (UINT_PTR)i, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, NULL), S_OK);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(iore_build_nop(ring, (UINT_PTR)i, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    /* Nothing of the old ring leaks into a new one. */
    HIORING next = new_ring(IORING_VERSION_4, 8, 16);
    IORING_CQE cqe;
    ck_assert_int_eq(PopIoRingCompletion(next, &cqe), S_FALSE);
    ck_assert_int_eq(CloseIoRing(next), S_OK);
}
END_TEST

/* Many threads race to close one ring: exactly one wins. */
#define CLOSERS 4
static HIORING race_ring;
static HRESULT race_result[CLOSERS];

static void *closer(void *arg)
{
    int i = (int)(intptr_t)arg;
    race_result[i] = CloseIoRing(race_ring);
    return NULL;
}

START_TEST(concurrent_closes_succeed_exactly_once)
{
    race_ring = new_ring(IORING_VERSION_4, 0, 0);
    pthread_t t[CLOSERS];
    for (int i = 0; i < CLOSERS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, closer, (void *)(intptr_t)i), 0);
    int ok = 0;
    for (int i = 0; i < CLOSERS; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        if (race_result[i] == S_OK)
            ok++;
        else
            ck_assert_int_eq(race_result[i], E_HANDLE);
    }
    ck_assert_int_eq(ok, 1);
}
END_TEST

/* Builders and poppers keep calling while another thread closes the ring:
 * each call sees the ring open or closed, never a freed one, and once a
 * thread has seen E_HANDLE it keeps seeing it. (The ring's memory may be
 * freed inside whichever call ends last; the sanitizer builds check that no
 * call touches it afterwards.) */
#define USERS 2
#define CLOSE_ROUNDS 200
static HIORING user_ring;
static pthread_barrier_t users_ready;

static void *ring_user(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&users_ready);
    for (int closed = 0; closed < 2;) {
        IORING_CQE cqe;
        HRESULT b = iore_build_nop(user_ring, 0, IOSQE_FLAGS_NONE);
        HRESULT p = PopIoRingCompletion(user_ring, &cqe);
        if (closed) {
            ck_assert_int_eq(b, E_HANDLE);
            ck_assert_int_eq(p, E_HANDLE);
            closed++;
            continue;
        }
        ck_assert(b == S_OK || b == IORING_E_SUBMISSION_QUEUE_FULL || b == E_HANDLE);
        ck_assert(p == S_FALSE || p == E_HANDLE);
        closed = p == E_HANDLE;
    }
    return NULL;
}

START_TEST(builders_and_poppers_racing_close_see_the_ring_open_or_closed)
{
    for (int round = 0; round < CLOSE_ROUNDS; round++) {
        user_ring = new_ring(IORING_VERSION_4, 4, 8);
        ck_assert_int_eq(pthread_barrier_init(&users_ready, NULL, USERS + 1), 0);
        pthread_t t[USERS];
        for (int i = 0; i < USERS; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, ring_user, NULL), 0);
        pthread_barrier_wait(&users_ready);
        ck_assert_int_eq(CloseIoRing(user_ring), S_OK);
        for (int i = 0; i < USERS; i++)
            ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        pthread_barrier_destroy(&users_ready);
    }
}
END_TEST

/* ------------------------------------------------------------------ stats */

START_TEST(ring_stats_reports_queue_occupancy)
{
    HIORING ring = new_ring(IORING_VERSION_4, 8, 16);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(iore_build_nop(ring, 0, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, NULL), S_OK);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(iore_build_nop(ring, 0, IOSQE_FLAGS_NONE), S_OK);
    IORING_CQE cqe;
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_OK);

    IORE_RING_STATS st;
    memset(&st, 0xa5, sizeof st);
    ck_assert_int_eq(iore_ring_stats(ring, &st), S_OK);
    ck_assert_uint_eq(st.submission_queue_used, 2);
    ck_assert_uint_eq(st.in_flight, 0);
    ck_assert_uint_eq(st.completion_queue_used, 2);
    ck_assert_uint_eq(st.registered_files, 0);
    ck_assert_uint_eq(st.registered_buffers, 0);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

START_TEST(ring_stats_with_null_stats_returns_e_invalidarg)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    ck_assert_int_eq(iore_ring_stats(ring, NULL), E_INVALIDARG);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

/* ------------------------------------------------------------------ 18: fork */

/* In the child: every call on the inherited ring is E_HANDLE, and the child
 * can still create and use a ring of its own. Returns a failure count. */
static int child_checks(void *arg)
{
    HIORING inherited = arg;
    int bad = 0;
    IORING_INFO info;
    IORING_CQE cqe;
    UINT32 n = 0xdeadbeef;
    bad += GetIoRingInfo(inherited, &info) != E_HANDLE;
    bad += SubmitIoRing(inherited, 0, 0, &n) != E_HANDLE || n != 0;
    bad += PopIoRingCompletion(inherited, &cqe) != E_HANDLE;
    bad += iore_build_nop(inherited, 1, IOSQE_FLAGS_NONE) != E_HANDLE;
    bad += SetIoRingCompletionEvent(inherited, NULL) != E_HANDLE;
    bad += IsIoRingOpSupported(inherited, IORING_OP_NOP) != FALSE;
    bad += CloseIoRing(inherited) != E_HANDLE;

    HIORING own = NULL;
    bad += CreateIoRing(IORING_VERSION_4, no_flags, 0, 0, &own) != S_OK;
    bad += iore_build_nop(own, 42, IOSQE_FLAGS_NONE) != S_OK;
    bad += SubmitIoRing(own, 1, INFINITE, &n) != S_OK || n != 1;
    bad += PopIoRingCompletion(own, &cqe) != S_OK || cqe.UserData != 42;
    bad += CloseIoRing(own) != S_OK;
    return bad;
}

START_TEST(rings_inherited_by_a_fork_child_return_e_handle_there)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0);
    ck_assert_int_eq(iore_build_nop(ring, 5, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(tu_run_in_child(child_checks, ring), 0);

    /* The parent's ring is untouched: its queued entry is still there. */
    UINT32 n = 0;
    IORING_CQE cqe;
    ck_assert_int_eq(SubmitIoRing(ring, 1, INFINITE, &n), S_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_OK);
    ck_assert_uint_eq(cqe.UserData, 5);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

static Suite *ring_suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("capabilities");
    tcase_add_test(tc, query_capabilities_reports_version_4_queue_maxima_and_emulation_features);
    tcase_add_test(tc, query_capabilities_with_null_returns_e_invalidarg);
    suite_add_tcase(s, tc);

    tc = tcase_create("create");
    tcase_add_loop_test(tc, create_checks_in_order_and_sizes_queues_per_ioring_md_7_2, 0,
                        (int)N(create_rows));
    tcase_add_test(tc, create_with_null_handle_pointer_returns_e_invalidarg_before_other_checks);
    tcase_add_test(tc, create_accepts_unknown_advisory_flags);
    tcase_add_test(tc, create_returns_distinct_handles_for_distinct_rings);
    tcase_add_loop_test(tc, create_returns_e_outofmemory_when_allocation_fails_and_leaves_handle,
                        0, 3);
    tcase_add_test(tc, create_succeeds_once_the_allocation_failure_is_spent);
    suite_add_tcase(s, tc);

    tc = tcase_create("info");
    tcase_add_loop_test(tc,
        get_info_reports_version_and_the_exact_flags_passed_including_unknown_advisory_bits,
        0, (int)N(op_versions));
    tcase_add_test(tc, get_info_with_null_info_returns_e_invalidarg);
    tcase_add_loop_test(tc, is_op_supported_follows_the_ring_version_table, 0,
                        (int)(N(op_versions) * N(op_values)));
    suite_add_tcase(s, tc);

    tc = tcase_create("invalid");
    tcase_add_loop_test(tc, every_function_on_a_closed_ring_returns_e_handle, 0, (int)N(ring_calls));
    tcase_add_loop_test(tc, every_function_on_a_null_ring_returns_e_handle, 0, (int)N(ring_calls));
    tcase_add_loop_test(tc, every_function_on_a_never_issued_ring_value_returns_e_handle, 0,
                        (int)N(ring_calls));
    tcase_add_loop_test(tc, every_function_on_an_event_handle_cast_to_hioring_returns_e_handle, 0,
                        (int)N(ring_calls));
    tcase_add_test(tc, is_op_supported_on_invalid_rings_returns_false);
    suite_add_tcase(s, tc);

    tc = tcase_create("close");
    tcase_add_test(tc, close_twice_returns_e_handle_the_second_time);
    tcase_add_test(tc, close_discards_unsubmitted_entries_and_unpopped_completions);
    tcase_add_test(tc, concurrent_closes_succeed_exactly_once);
    tcase_add_test(tc, builders_and_poppers_racing_close_see_the_ring_open_or_closed);
    tcase_add_test(tc, ring_stats_reports_queue_occupancy);
    tcase_add_test(tc, ring_stats_with_null_stats_returns_e_invalidarg);
    tcase_add_test(tc, rings_inherited_by_a_fork_child_return_e_handle_there);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(ring_suite());
}
