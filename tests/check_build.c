/*
 * check_build.c - the BuildIoRing* builders and iore_build_nop (ioring.md
 * 8): validation order, the parameter checks of 8.2 with and without
 * IORING_CREATE_SKIP_BUILDER_PARAM_CHECKS, version gates, SQ full, and
 * "a failed builder queues nothing".
 *
 * Conformance tests: public API only. With SKIP a parameter error must come
 * back in the entry's CQE (Information 0), so those rows use a real file
 * handle: an entry that skipped its deferred error would do real I/O and
 * post something else.
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
#include <unistd.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define OVERFLOW_HR ((HRESULT)0x80070216)
#define FLAG_HR IORING_E_REQUIRED_FLAG_NOT_SUPPORTED
#define BAD_KIND ((IORING_REF_KIND)2)

static HANDLE file;
static size_t page;
static char *pages;                        /* 4 page-aligned pages */
static FILE_SEGMENT_ELEMENT segs[4];       /* -> pages */
static FILE_SEGMENT_ELEMENT null_second[4];/* segs with [1] NULL */
static FILE_SEGMENT_ELEMENT misaligned[4]; /* segs with [0] off by 512 */
static char buf[4096];
static HANDLE handles[2];
static IORING_BUFFER_INFO bufinfo[2];

static void setup(void)
{
    file = tu_pattern_file("build", 65536, 1);
    page = (size_t)sysconf(_SC_PAGESIZE);
    pages = aligned_alloc(page, 4 * page);
    ck_assert_ptr_nonnull(pages);
    for (int i = 0; i < 4; i++)
        segs[i].Buffer = pages + (size_t)i * page;
    memcpy(null_second, segs, sizeof segs);
    null_second[1].Buffer = NULL;
    memcpy(misaligned, segs, sizeof segs);
    misaligned[0].Buffer = pages + 512;
    handles[0] = handles[1] = file;
    bufinfo[0] = (IORING_BUFFER_INFO){ buf, sizeof buf };
    bufinfo[1] = bufinfo[0];
}

static void teardown(void)
{
    CloseHandle(file);
    free(pages);
}

static HIORING new_ring(IORING_VERSION v, UINT32 advisory, UINT32 sq, UINT32 cq)
{
    IORING_CREATE_FLAGS flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                  (IORING_CREATE_ADVISORY_FLAGS)advisory };
    HIORING ring = NULL;
    ck_assert_int_eq(CreateIoRing(v, flags, sq, cq, &ring), S_OK);
    return ring;
}

static UINT32 queued(HIORING ring)
{
    IORE_RING_STATS st;
    ck_assert_int_eq(iore_ring_stats(ring, &st), S_OK);
    return st.submission_queue_used;
}

/* ------------------------------------------------------------------ builder calls */

static IORING_HANDLE_REF fref(void)
{
    return (IORING_HANDLE_REF)IoRingHandleRefFromHandle(file);
}

static IORING_HANDLE_REF bad_fref(void)
{
    IORING_HANDLE_REF f = fref();
    f.Kind = BAD_KIND;
    return f;
}

static IORING_BUFFER_REF bref(void *p)
{
    return (IORING_BUFFER_REF)IoRingBufferRefFromPointer(p);
}

static IORING_BUFFER_REF bad_bref(void)
{
    IORING_BUFFER_REF b = bref(buf);
    b.Kind = BAD_KIND;
    return b;
}

static HRESULT rd(HIORING r, IORING_HANDLE_REF f, IORING_BUFFER_REF b, UINT32 len, UINT64 off,
                  UINT_PTR ud, UINT32 flags)
{
    return BuildIoRingReadFile(r, f, b, len, off, ud, (IORING_SQE_FLAGS)flags);
}

static HRESULT wr(HIORING r, IORING_HANDLE_REF f, IORING_BUFFER_REF b, UINT32 len, UINT64 off,
                  UINT32 wflags, UINT_PTR ud, UINT32 flags)
{
    return BuildIoRingWriteFile(r, f, b, len, off, (FILE_WRITE_FLAGS)wflags, ud,
                                (IORING_SQE_FLAGS)flags);
}

static HRESULT fl(HIORING r, IORING_HANDLE_REF f, int mode, UINT_PTR ud, UINT32 flags)
{
    return BuildIoRingFlushFile(r, f, (FILE_FLUSH_MODE)mode, ud, (IORING_SQE_FLAGS)flags);
}

static HRESULT sc(HIORING r, IORING_HANDLE_REF f, UINT32 n, FILE_SEGMENT_ELEMENT *s, UINT32 len,
                  UINT64 off, UINT_PTR ud, UINT32 flags)
{
    return BuildIoRingReadFileScatter(r, f, n, s, len, off, ud, (IORING_SQE_FLAGS)flags);
}

static HRESULT ga(HIORING r, IORING_HANDLE_REF f, UINT32 n, FILE_SEGMENT_ELEMENT *s, UINT32 len,
                  UINT64 off, UINT32 wflags, UINT_PTR ud, UINT32 flags)
{
    return BuildIoRingWriteFileGather(r, f, n, s, len, off, (FILE_WRITE_FLAGS)wflags, ud,
                                      (IORING_SQE_FLAGS)flags);
}

#define I64MAX ((UINT64)INT64_MAX)

/* One builder call per row; each row's name says what is wrong with it and
 * the tables below say what it must return. */
#define ROW(name, call) \
    static HRESULT name(HIORING r, UINT_PTR ud) { return call; }
ROW(read_unknown_sqe_flag, rd(r, fref(), bref(buf), 16, 0, ud, 0x2))
ROW(read_high_sqe_flag, rd(r, fref(), bref(buf), 16, 0, ud, 0x80000000u))
ROW(read_drain_with_unknown_flag, rd(r, fref(), bref(buf), 16, 0, ud, 0x3))
ROW(read_bad_handle_kind, rd(r, bad_fref(), bref(buf), 16, 0, ud, 0))
ROW(read_bad_buffer_kind, rd(r, fref(), bad_bref(), 16, 0, ud, 0))
ROW(read_null_raw_buffer, rd(r, fref(), bref(NULL), 16, 0, ud, 0))
ROW(read_offset_above_int64_max, rd(r, fref(), bref(buf), 0, I64MAX + 1, ud, 0))
ROW(read_offset_plus_length_above_int64_max, rd(r, fref(), bref(buf), 16, I64MAX - 15, ud, 0))
ROW(read_offset_write_at_end_special, rd(r, fref(), bref(buf), 16, 0xFFFFFFFFFFFFFFFFu, ud, 0))
ROW(read_offset_file_pointer_special, rd(r, fref(), bref(buf), 16, 0xFFFFFFFFFFFFFFFEu, ud, 0))
ROW(read_flag_checked_before_handle_kind, rd(r, bad_fref(), bref(buf), 16, 0, ud, 0x2))
ROW(write_unknown_write_flag, wr(r, fref(), bref(buf), 16, 0, 0x2, ud, 0))
ROW(write_unknown_sqe_flag, wr(r, fref(), bref(buf), 16, 0, 0, ud, 0x4))
ROW(write_null_raw_buffer, wr(r, fref(), bref(NULL), 10, 0, 0, ud, 0))
ROW(write_bad_handle_kind, wr(r, bad_fref(), bref(buf), 16, 0, 0, ud, 0))
ROW(write_bad_buffer_kind, wr(r, fref(), bad_bref(), 16, 0, 0, ud, 0))
ROW(write_offset_overflow, wr(r, fref(), bref(buf), 16, I64MAX, 0, ud, 0))
ROW(write_offset_checked_before_write_flags, wr(r, fref(), bref(buf), 16, I64MAX, 0x2, ud, 0))
ROW(write_kind_checked_before_write_flags, wr(r, bad_fref(), bref(buf), 16, 0, 0x2, ud, 0))
ROW(flush_mode_4, fl(r, fref(), 4, ud, 0))
ROW(flush_mode_minus_1, fl(r, fref(), -1, ud, 0))
ROW(flush_unknown_sqe_flag, fl(r, fref(), 0, ud, 0x2))
ROW(flush_bad_handle_kind, fl(r, bad_fref(), 0, ud, 0))
ROW(flush_flag_checked_before_mode, fl(r, fref(), 9, ud, 0x2))
ROW(cancel_bad_handle_kind, BuildIoRingCancelRequest(r, bad_fref(), 1, ud))
ROW(register_files_count_without_array, BuildIoRingRegisterFileHandles(r, 1, NULL, ud))
ROW(register_files_array_without_count, BuildIoRingRegisterFileHandles(r, 0, handles, ud))
ROW(register_files_count_times_8_overflows, BuildIoRingRegisterFileHandles(r, 0x20000000, handles, ud))
ROW(register_files_max_count_overflows, BuildIoRingRegisterFileHandles(r, 0xFFFFFFFF, handles, ud))
ROW(register_files_null_array_checked_before_overflow, BuildIoRingRegisterFileHandles(r, 0x20000000, NULL, ud))
ROW(register_buffers_count_without_array, BuildIoRingRegisterBuffers(r, 1, NULL, ud))
ROW(register_buffers_array_without_count, BuildIoRingRegisterBuffers(r, 0, bufinfo, ud))
ROW(register_buffers_count_times_16_overflows, BuildIoRingRegisterBuffers(r, 0x10000000, bufinfo, ud))
ROW(scatter_null_array, sc(r, fref(), 1, NULL, 512, 0, ud, 0))
ROW(scatter_zero_segments, sc(r, fref(), 0, segs, 512, 0, ud, 0))
ROW(scatter_length_not_multiple_of_512, sc(r, fref(), 1, segs, 100, 0, ud, 0))
ROW(scatter_length_above_segments_times_page, sc(r, fref(), 1, segs, (UINT32)page + 512, 0, ud, 0))
ROW(scatter_offset_not_multiple_of_512, sc(r, fref(), 1, segs, 512, 100, ud, 0))
ROW(scatter_offset_overflow, sc(r, fref(), 1, segs, 512, 0x7FFFFFFFFFFFFE00u, ud, 0))
ROW(scatter_used_segment_null, sc(r, fref(), 4, null_second, 2 * (UINT32)page, 0, ud, 0))
ROW(scatter_used_segment_misaligned, sc(r, fref(), 4, misaligned, 512, 0, ud, 0))
ROW(scatter_unknown_sqe_flag, sc(r, fref(), 1, segs, 512, 0, ud, 0x2))
ROW(scatter_bad_handle_kind, sc(r, bad_fref(), 1, segs, 512, 0, ud, 0))
ROW(scatter_flag_checked_before_segment_rules, sc(r, fref(), 1, NULL, 512, 0, ud, 0x2))
ROW(gather_unknown_write_flag, ga(r, fref(), 1, segs, 512, 0, 0x2, ud, 0))
ROW(gather_write_flag_checked_before_segment_rules, ga(r, fref(), 1, segs, 100, 0, 0x2, ud, 0))
ROW(gather_used_segment_null, ga(r, fref(), 4, null_second, 2 * (UINT32)page, 0, 0, ud, 0))
ROW(gather_length_not_multiple_of_512, ga(r, fref(), 1, segs, 1000, 0, 0, ud, 0))
ROW(nop_unknown_sqe_flag, iore_build_nop(r, ud, (IORING_SQE_FLAGS)0x10))

struct param_row {
    const char *name;
    HRESULT (*build)(HIORING, UINT_PTR);
    HRESULT hr;
};
#define P(name, hr) { #name, name, hr }

/* ioring.md 8.2, row 4: every condition of the parameter table, and the
 * order inside it where two conditions meet. */
static const struct param_row param_rows[] = {
    P(read_unknown_sqe_flag, FLAG_HR),
    P(read_high_sqe_flag, FLAG_HR),
    P(read_drain_with_unknown_flag, FLAG_HR),
    P(read_bad_handle_kind, E_INVALIDARG),
    P(read_bad_buffer_kind, E_INVALIDARG),
    P(read_null_raw_buffer, E_INVALIDARG),
    P(read_offset_above_int64_max, E_INVALIDARG),
    P(read_offset_plus_length_above_int64_max, E_INVALIDARG),
    P(read_offset_write_at_end_special, E_INVALIDARG),
    P(read_offset_file_pointer_special, E_INVALIDARG),
    P(read_flag_checked_before_handle_kind, FLAG_HR),
    P(write_unknown_write_flag, FLAG_HR),
    P(write_unknown_sqe_flag, FLAG_HR),
    P(write_null_raw_buffer, E_INVALIDARG),
    P(write_bad_handle_kind, E_INVALIDARG),
    P(write_bad_buffer_kind, E_INVALIDARG),
    P(write_offset_overflow, E_INVALIDARG),
    P(write_offset_checked_before_write_flags, E_INVALIDARG),
    P(write_kind_checked_before_write_flags, E_INVALIDARG),
    P(flush_mode_4, E_INVALIDARG),
    P(flush_mode_minus_1, E_INVALIDARG),
    P(flush_unknown_sqe_flag, FLAG_HR),
    P(flush_bad_handle_kind, E_INVALIDARG),
    P(flush_flag_checked_before_mode, FLAG_HR),
    P(cancel_bad_handle_kind, E_INVALIDARG),
    P(register_files_count_without_array, E_INVALIDARG),
    P(register_files_array_without_count, E_INVALIDARG),
    P(register_files_count_times_8_overflows, OVERFLOW_HR),
    P(register_files_max_count_overflows, OVERFLOW_HR),
    P(register_files_null_array_checked_before_overflow, E_INVALIDARG),
    P(register_buffers_count_without_array, E_INVALIDARG),
    P(register_buffers_array_without_count, E_INVALIDARG),
    P(register_buffers_count_times_16_overflows, OVERFLOW_HR),
    P(scatter_null_array, E_INVALIDARG),
    P(scatter_zero_segments, E_INVALIDARG),
    P(scatter_length_not_multiple_of_512, E_INVALIDARG),
    P(scatter_length_above_segments_times_page, E_INVALIDARG),
    P(scatter_offset_not_multiple_of_512, E_INVALIDARG),
    P(scatter_offset_overflow, E_INVALIDARG),
    P(scatter_used_segment_null, E_INVALIDARG),
    P(scatter_used_segment_misaligned, E_INVALIDARG),
    P(scatter_unknown_sqe_flag, FLAG_HR),
    P(scatter_bad_handle_kind, E_INVALIDARG),
    P(scatter_flag_checked_before_segment_rules, FLAG_HR),
    P(gather_unknown_write_flag, FLAG_HR),
    P(gather_write_flag_checked_before_segment_rules, FLAG_HR),
    P(gather_used_segment_null, E_INVALIDARG),
    P(gather_length_not_multiple_of_512, E_INVALIDARG),
    P(nop_unknown_sqe_flag, FLAG_HR),
};

START_TEST(parameter_error_fails_the_builder_and_queues_nothing)
{
    const struct param_row *row = &param_rows[_i];
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0, 0);
    HRESULT hr = row->build(ring, 0x1000 + (UINT_PTR)_i);
    ck_assert_msg(hr == row->hr, "%s: 0x%08x, expected 0x%08x", row->name, (unsigned)hr,
                  (unsigned)row->hr);
    ck_assert_uint_eq(queued(ring), 0);
    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, &n), S_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

START_TEST(with_skip_parameter_error_is_posted_in_the_cqe_with_information_0)
{
    const struct param_row *row = &param_rows[_i];
    HIORING ring = new_ring(IORING_VERSION_4, IORING_CREATE_SKIP_BUILDER_PARAM_CHECKS, 0, 0);
    UINT_PTR ud = 0x1000 + (UINT_PTR)_i;
    HRESULT hr = row->build(ring, ud);
    ck_assert_msg(hr == S_OK, "%s: builder 0x%08x", row->name, (unsigned)hr);
    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(ring, 1, INFINITE, &n), S_OK);
    ck_assert_uint_eq(n, 1);
    IORING_CQE cqe;
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_OK);
    ck_assert_uint_eq(cqe.UserData, ud);
    ck_assert_msg(cqe.ResultCode == row->hr, "%s: CQE 0x%08x, expected 0x%08x", row->name,
                  (unsigned)cqe.ResultCode, (unsigned)row->hr);
    ck_assert_uint_eq(cqe.Information, 0);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

/* ------------------------------------------------------------------ accepted */

ROW(read_offset_int64_max_length_0, rd(r, fref(), bref(buf), 0, I64MAX, ud, 0))
ROW(read_ending_exactly_at_int64_max, rd(r, fref(), bref(buf), 16, I64MAX - 16, ud, 0))
ROW(read_null_raw_buffer_length_0, rd(r, fref(), bref(NULL), 0, 0, ud, 0))
ROW(read_registered_buffer_index_not_checked,
    rd(r, fref(), (IORING_BUFFER_REF)IoRingBufferRefFromIndexAndOffset(1000, 5), 16, 0, ud, 0))
ROW(read_registered_file_index_not_checked,
    rd(r, (IORING_HANDLE_REF)IoRingHandleRefFromIndex(1000), bref(buf), 16, 0, ud, 0))
ROW(read_null_handle_not_checked,
    rd(r, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(NULL), bref(buf), 16, 0, ud, 0))
ROW(read_invalid_handle_value_not_checked,
    rd(r, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(INVALID_HANDLE_VALUE), bref(buf), 16, 0,
       ud, 0))
ROW(read_with_drain_on_version_4, rd(r, fref(), bref(buf), 16, 0, ud, 0x1))
ROW(write_through, wr(r, fref(), bref(buf), 16, 0, 0x1, ud, 0))
ROW(flush_no_sync, fl(r, fref(), 3, ud, 0))
ROW(flush_data_with_drain, fl(r, fref(), 1, ud, 0x1))
ROW(cancel_by_registered_index,
    BuildIoRingCancelRequest(r, (IORING_HANDLE_REF)IoRingHandleRefFromIndex(3), 0, ud))
ROW(register_files_largest_count, BuildIoRingRegisterFileHandles(r, 0x1FFFFFFF, handles, ud))
ROW(register_files_none, BuildIoRingRegisterFileHandles(r, 0, NULL, ud))
ROW(register_buffers_largest_count, BuildIoRingRegisterBuffers(r, 0x0FFFFFFF, bufinfo, ud))
ROW(register_buffers_none, BuildIoRingRegisterBuffers(r, 0, NULL, ud))
ROW(scatter_length_exactly_segments_times_page, sc(r, fref(), 4, segs, 4 * (UINT32)page, 0, ud, 0))
ROW(scatter_unused_segments_are_not_read, sc(r, fref(), 4, null_second, 512, 0, ud, 0))
ROW(scatter_length_0_uses_no_segment, sc(r, fref(), 1, null_second + 1, 0, 0, ud, 0))
ROW(scatter_large_aligned_offset, sc(r, fref(), 1, segs, 512, 0x7FFFFFFFFFFFFC00u, ud, 0))
ROW(gather_write_through, ga(r, fref(), 2, segs, 1024, 512, 0x1, ud, 0))
ROW(nop_with_drain, iore_build_nop(r, ud, IOSQE_FLAGS_DRAIN_PRECEDING_OPS))

static const struct param_row accepted_rows[] = {
    P(read_offset_int64_max_length_0, S_OK),
    P(read_ending_exactly_at_int64_max, S_OK),
    P(read_null_raw_buffer_length_0, S_OK),
    P(read_registered_buffer_index_not_checked, S_OK),
    P(read_registered_file_index_not_checked, S_OK),
    P(read_null_handle_not_checked, S_OK),
    P(read_invalid_handle_value_not_checked, S_OK),
    P(read_with_drain_on_version_4, S_OK),
    P(write_through, S_OK),
    P(flush_no_sync, S_OK),
    P(flush_data_with_drain, S_OK),
    P(cancel_by_registered_index, S_OK),
    P(register_files_largest_count, S_OK),
    P(register_files_none, S_OK),
    P(register_buffers_largest_count, S_OK),
    P(register_buffers_none, S_OK),
    P(scatter_length_exactly_segments_times_page, S_OK),
    P(scatter_unused_segments_are_not_read, S_OK),
    P(scatter_length_0_uses_no_segment, S_OK),
    P(scatter_large_aligned_offset, S_OK),
    P(gather_write_through, S_OK),
    P(nop_with_drain, S_OK),
};

START_TEST(valid_parameters_at_the_limits_queue_one_entry)
{
    const struct param_row *row = &accepted_rows[_i];
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0, 0);
    HRESULT hr = row->build(ring, 7);
    ck_assert_msg(hr == S_OK, "%s: 0x%08x", row->name, (unsigned)hr);
    ck_assert_uint_eq(queued(ring), 1);
    /* Closing discards the entry unsubmitted (some rows name memory that
     * must never be read). */
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

/* ------------------------------------------------------------------ version gates */

ROW(write_plain, wr(r, fref(), bref(buf), 16, 0, 0, ud, 0))
ROW(write_with_bad_write_flags_and_null_buffer, wr(r, fref(), bref(NULL), 16, 0, 0x6, ud, 0))
ROW(flush_plain, fl(r, fref(), 0, ud, 0))
ROW(flush_with_bad_mode, fl(r, fref(), 7, ud, 0))
ROW(scatter_plain, sc(r, fref(), 1, segs, 512, 0, ud, 0))
ROW(scatter_with_null_array, sc(r, fref(), 1, NULL, 512, 0, ud, 0))
ROW(gather_plain, ga(r, fref(), 1, segs, 512, 0, 0, ud, 0))
ROW(read_with_drain, rd(r, fref(), bref(buf), 16, 0, ud, 0x1))
ROW(read_with_drain_and_bad_handle_kind, rd(r, bad_fref(), bref(buf), 16, 0, ud, 0x1))
ROW(nop_drain, iore_build_nop(r, ud, IOSQE_FLAGS_DRAIN_PRECEDING_OPS))
ROW(write_with_drain_on_v1, wr(r, fref(), bref(buf), 16, 0, 0, ud, 0x1))

struct gate_row {
    const char *name;
    IORING_VERSION version;
    HRESULT (*build)(HIORING, UINT_PTR);
    HRESULT hr;
};
#define G(v, name, hr) { #name, v, name, hr }

/* ioring.md 8.2 rows 2 and 3, and that they come before row 4. */
static const struct gate_row gate_rows[] = {
    G(IORING_VERSION_1, write_plain, E_NOTIMPL),
    G(IORING_VERSION_2, write_plain, E_NOTIMPL),
    G(IORING_VERSION_3, write_plain, S_OK),
    G(IORING_VERSION_1, write_with_bad_write_flags_and_null_buffer, E_NOTIMPL),
    G(IORING_VERSION_1, flush_plain, E_NOTIMPL),
    G(IORING_VERSION_2, flush_plain, E_NOTIMPL),
    G(IORING_VERSION_2, flush_with_bad_mode, E_NOTIMPL),
    G(IORING_VERSION_3, flush_plain, S_OK),
    G(IORING_VERSION_1, scatter_plain, E_NOTIMPL),
    G(IORING_VERSION_2, scatter_plain, E_NOTIMPL),
    G(IORING_VERSION_3, scatter_plain, E_NOTIMPL),
    G(IORING_VERSION_3, scatter_with_null_array, E_NOTIMPL),
    G(IORING_VERSION_4, scatter_plain, S_OK),
    G(IORING_VERSION_1, gather_plain, E_NOTIMPL),
    G(IORING_VERSION_2, gather_plain, E_NOTIMPL),
    G(IORING_VERSION_3, gather_plain, E_NOTIMPL),
    G(IORING_VERSION_4, gather_plain, S_OK),
    G(IORING_VERSION_1, read_with_drain, FLAG_HR),
    G(IORING_VERSION_2, read_with_drain, FLAG_HR),
    G(IORING_VERSION_3, read_with_drain, S_OK),
    G(IORING_VERSION_1, read_with_drain_and_bad_handle_kind, FLAG_HR),
    G(IORING_VERSION_1, nop_drain, FLAG_HR),
    G(IORING_VERSION_2, nop_drain, FLAG_HR),
    G(IORING_VERSION_3, nop_drain, S_OK),
    G(IORING_VERSION_1, write_with_drain_on_v1, E_NOTIMPL),
};

static void check_gate(int i, UINT32 advisory)
{
    const struct gate_row *row = &gate_rows[i];
    HIORING ring = new_ring(row->version, advisory, 0, 0);
    HRESULT hr = row->build(ring, 9);
    ck_assert_msg(hr == row->hr, "%s on v%d: 0x%08x, expected 0x%08x", row->name,
                  (int)row->version, (unsigned)hr, (unsigned)row->hr);
    ck_assert_uint_eq(queued(ring), hr == S_OK ? 1 : 0);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}

START_TEST(version_gates_fail_the_builder)
{
    check_gate(_i, 0);
}
END_TEST

START_TEST(version_gates_fail_the_builder_even_with_skip)
{
    check_gate(_i, IORING_CREATE_SKIP_BUILDER_PARAM_CHECKS);
}
END_TEST

START_TEST(closed_ring_is_reported_before_the_version_gate)
{
    HIORING ring = new_ring(IORING_VERSION_1, 0, 0, 0);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    ck_assert_int_eq(write_plain(ring, 1), E_HANDLE);
    ck_assert_int_eq(read_with_drain(ring, 1), E_HANDLE);
}
END_TEST

/* ------------------------------------------------------------------ SQ full */

static void fill_sq(HIORING ring, int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(iore_build_nop(ring, (UINT_PTR)i, IOSQE_FLAGS_NONE), S_OK);
}

START_TEST(build_after_sq_size_entries_returns_submission_queue_full)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 8, 16);
    fill_sq(ring, 8);
    ck_assert_int_eq(iore_build_nop(ring, 8, IOSQE_FLAGS_NONE), IORING_E_SUBMISSION_QUEUE_FULL);
    ck_assert_uint_eq(queued(ring), 8);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

START_TEST(parameter_error_is_reported_before_sq_full)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 8, 16);
    fill_sq(ring, 8);
    ck_assert_int_eq(nop_unknown_sqe_flag(ring, 8), FLAG_HR);
    ck_assert_int_eq(flush_mode_4(ring, 8), E_INVALIDARG);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

START_TEST(with_skip_sq_full_wins_over_a_deferred_parameter_error)
{
    HIORING ring = new_ring(IORING_VERSION_4, IORING_CREATE_SKIP_BUILDER_PARAM_CHECKS, 8, 16);
    fill_sq(ring, 8);
    ck_assert_int_eq(nop_unknown_sqe_flag(ring, 8), IORING_E_SUBMISSION_QUEUE_FULL);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

START_TEST(version_gate_is_reported_before_sq_full)
{
    HIORING ring = new_ring(IORING_VERSION_1, 0, 8, 16);
    fill_sq(ring, 8);
    ck_assert_int_eq(write_plain(ring, 8), E_NOTIMPL);
    ck_assert_int_eq(nop_drain(ring, 8), FLAG_HR);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

START_TEST(submitting_frees_the_sq_and_entries_keep_their_order_across_wraps)
{
    HIORING ring = new_ring(IORING_VERSION_4, 0, 8, 16);
    UINT_PTR next = 0, expect = 0;
    for (int round = 0; round < 10; round++) {
        int n = 5 + round % 4; /* uneven, so head and tail wrap at different slots */
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(iore_build_nop(ring, next++, IOSQE_FLAGS_NONE), S_OK);
        UINT32 got = TU_SENTINEL;
        ck_assert_int_eq(SubmitIoRing(ring, (UINT32)n, INFINITE, &got), S_OK);
        ck_assert_uint_eq(got, (UINT32)n);
        IORING_CQE cqe;
        while (PopIoRingCompletion(ring, &cqe) == S_OK) {
            ck_assert_uint_eq(cqe.UserData, expect++);
            ck_assert_int_eq(cqe.ResultCode, S_OK);
            ck_assert_uint_eq(cqe.Information, 0);
        }
    }
    ck_assert_uint_eq(expect, next);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

START_TEST(user_data_is_echoed_whatever_its_value)
{
    static const UINT_PTR values[] = { 0, 1, UINTPTR_MAX, (UINT_PTR)0x8000000000000000u, 0 };
    HIORING ring = new_ring(IORING_VERSION_4, 0, 0, 0);
    for (size_t i = 0; i < N(values); i++)
        ck_assert_int_eq(iore_build_nop(ring, values[i], IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(SubmitIoRing(ring, (UINT32)N(values), INFINITE, NULL), S_OK);
    for (size_t i = 0; i < N(values); i++) {
        IORING_CQE cqe;
        ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_OK);
        ck_assert_uint_eq(cqe.UserData, values[i]);
    }
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
}
END_TEST

/* ------------------------------------------------------------------ threads */

#define BUILDERS 4
#define PER_BUILDER 5000

static HIORING shared_ring;

static void *builder(void *arg)
{
    UINT_PTR base = (UINT_PTR)arg << 32;
    for (UINT_PTR i = 0; i < PER_BUILDER; i++)
        ck_assert_int_eq(iore_build_nop(shared_ring, base | i, IOSQE_FLAGS_NONE), S_OK);
    return NULL;
}

START_TEST(concurrent_builders_lose_no_entry_and_keep_each_threads_order)
{
    shared_ring = new_ring(IORING_VERSION_4, 0, 0x10000, 0);
    pthread_t t[BUILDERS];
    for (int i = 0; i < BUILDERS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, builder, (void *)(intptr_t)i), 0);
    for (int i = 0; i < BUILDERS; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);

    UINT32 n = TU_SENTINEL;
    ck_assert_int_eq(SubmitIoRing(shared_ring, 0, 0, &n), S_OK);
    ck_assert_uint_eq(n, BUILDERS * PER_BUILDER);
    UINT_PTR next[BUILDERS] = { 0 };
    IORING_CQE cqe;
    while (PopIoRingCompletion(shared_ring, &cqe) == S_OK) {
        UINT_PTR who = cqe.UserData >> 32;
        ck_assert_uint_lt(who, BUILDERS);
        ck_assert_uint_eq(cqe.UserData & 0xFFFFFFFFu, next[who]++);
    }
    for (int i = 0; i < BUILDERS; i++)
        ck_assert_uint_eq(next[i], PER_BUILDER);
    ck_assert_int_eq(CloseIoRing(shared_ring), S_OK);
}
END_TEST

static Suite *build_suite(void)
{
    Suite *s = suite_create("build");
    TCase *tc = tcase_create("parameters");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, parameter_error_fails_the_builder_and_queues_nothing, 0,
                        (int)N(param_rows));
    tcase_add_loop_test(tc, with_skip_parameter_error_is_posted_in_the_cqe_with_information_0, 0,
                        (int)N(param_rows));
    tcase_add_loop_test(tc, valid_parameters_at_the_limits_queue_one_entry, 0,
                        (int)N(accepted_rows));
    suite_add_tcase(s, tc);

    tc = tcase_create("versions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, version_gates_fail_the_builder, 0, (int)N(gate_rows));
    tcase_add_loop_test(tc, version_gates_fail_the_builder_even_with_skip, 0, (int)N(gate_rows));
    tcase_add_test(tc, closed_ring_is_reported_before_the_version_gate);
    suite_add_tcase(s, tc);

    tc = tcase_create("queue");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, build_after_sq_size_entries_returns_submission_queue_full);
    tcase_add_test(tc, parameter_error_is_reported_before_sq_full);
    tcase_add_test(tc, with_skip_sq_full_wins_over_a_deferred_parameter_error);
    tcase_add_test(tc, version_gate_is_reported_before_sq_full);
    tcase_add_test(tc, submitting_frees_the_sq_and_entries_keep_their_order_across_wraps);
    tcase_add_test(tc, user_data_is_echoed_whatever_its_value);
    tcase_add_test(tc, concurrent_builders_lose_no_entry_and_keep_each_threads_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(build_suite());
}
