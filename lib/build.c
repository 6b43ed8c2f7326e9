/*
 * build.c - the BuildIoRing* builders and iore_build_nop.
 *
 * Every builder runs the checks of ioring.md 8.2 in table order:
 *   1. ring invalid or closed                    -> E_HANDLE
 *   2. op newer than the ring's version          -> E_NOTIMPL
 *   3. DRAIN on a version 1 or 2 ring            -> IORING_E_REQUIRED_FLAG_NOT_SUPPORTED
 *   4. parameter checks                          -> as the table says, or, on a
 *      ring created with IORING_CREATE_SKIP_BUILDER_PARAM_CHECKS, stored in
 *      the SQE's `deferred` field for dispatch to post in the CQE
 *   5. SQ full                                   -> IORING_E_SUBMISSION_QUEUE_FULL
 * Rows 1-3 are begin(), row 4 is each builder's own check function, row 5
 * and the append are finish(). Nothing is queued unless every row passes,
 * so a failed builder leaves the SQ as it was.
 *
 * Builders never look at file handles, registered indexes or the contents
 * of registration arrays: those are resolved when SubmitIoRing dispatches
 * the entry (ioring.md 6, 8.2). Scatter/gather segment arrays are the one
 * exception: their elements are checked here (unless SKIP) and again at
 * dispatch.
 */
#include "ring.h"

/* ---------------------------------------------------------------- rows 1-3 */

/* On success *out is a ring held by *pin (iore__ring_enter: a builder never
 * waits) that finish() releases. */
static HRESULT begin(HIORING h, IORING_OP_CODE op, uint32_t sqe_flags, struct iore__ring **out,
                     uint32_t *pin)
{
    struct iore__ring *r = iore__ring_enter(h, pin);
    if (!r)
        return E_HANDLE;
    HRESULT hr = S_OK;
    if (!iore__ring_has_op(r, op))
        hr = E_NOTIMPL;
    /* The flag is a property of the ring's version: enforced with SKIP too. */
    else if ((sqe_flags & IOSQE_FLAGS_DRAIN_PRECEDING_OPS) && r->version < IORING_VERSION_3)
        hr = IORING_E_REQUIRED_FLAG_NOT_SUPPORTED;
    if (FAILED(hr)) {
        iore__ring_leave(*pin);
        return hr;
    }
    *out = r;
    return S_OK;
}

static bool skip_checks(const struct iore__ring *r)
{
    /* flags are immutable after CreateIoRing. */
    return (r->flags.Advisory & IORING_CREATE_SKIP_BUILDER_PARAM_CHECKS) != 0;
}

/* ---------------------------------------------------------------- rows 4-5 */

/* Appends *sqe unless the parameter check `param` failed on a ring without
 * SKIP, the ring was closed meanwhile, or the SQ is full. Releases r
 * (leaves its pin). */
static HRESULT finish(struct iore__ring *r, uint32_t pin, struct iore__sqe *sqe, HRESULT param)
{
    HRESULT hr = S_OK;

    if (param != S_OK && !skip_checks(r)) {
        iore__ring_leave(pin);
        return param;
    }
    sqe->deferred = param;
    pthread_mutex_lock(&r->lock);
    if (r->closed)
        hr = E_HANDLE;
    else if (r->sq_tail - r->sq_head == r->sq_size)
        hr = IORING_E_SUBMISSION_QUEUE_FULL;
    else
        r->sq[r->sq_tail++ & (r->sq_size - 1)] = *sqe;
    pthread_mutex_unlock(&r->lock);
    iore__ring_leave(pin);
    return hr;
}

/* ---------------------------------------------------------------- row 4 */

static HRESULT check_sqe_flags(uint32_t flags)
{
    return (flags & ~(uint32_t)IOSQE_FLAGS_DRAIN_PRECEDING_OPS)
               ? IORING_E_REQUIRED_FLAG_NOT_SUPPORTED : S_OK;
}

static bool kind_ok(IORING_REF_KIND k)
{
    return k == IORING_REF_RAW || k == IORING_REF_REGISTERED;
}

static HRESULT check_write_flags(uint32_t flags)
{
    return (flags & ~(uint32_t)FILE_WRITE_FLAGS_WRITE_THROUGH)
               ? IORING_E_REQUIRED_FLAG_NOT_SUPPORTED : S_OK;
}

/* fileOffset and fileOffset + length must fit in INT64 (ioring.md 8.2;
 * Windows' special offsets 0xFFFF...F and ...E fall here too). */
static bool range_ok(uint64_t off, uint32_t len)
{
    return off <= (uint64_t)INT64_MAX && off <= (uint64_t)INT64_MAX - len;
}

/* READ and WRITE, in the order of the 8.2 table. */
static HRESULT check_rw(uint32_t sqe_flags, IORING_HANDLE_REF file, IORING_BUFFER_REF buf,
                        uint32_t len, uint64_t off, uint32_t write_flags)
{
    HRESULT hr = check_sqe_flags(sqe_flags);
    if (hr == S_OK && (!kind_ok(file.Kind) || !kind_ok(buf.Kind)))
        hr = E_INVALIDARG;
    if (hr == S_OK && buf.Kind == IORING_REF_RAW && !buf.Buffer.Address && len > 0)
        hr = E_INVALIDARG;
    if (hr == S_OK && !range_ok(off, len))
        hr = E_INVALIDARG;
    if (hr == S_OK)
        hr = check_write_flags(write_flags);
    return hr;
}

/* The segments a transfer of len bytes uses (ioring.md 8.6): the first
 * ceil(len / page) are non-NULL and page-aligned. Reads the caller's array. */
static bool segments_ok(const FILE_SEGMENT_ELEMENT *segs, uint32_t len, size_t page)
{
    size_t used = ((size_t)len + page - 1) / page;
    for (size_t i = 0; i < used; i++) {
        uintptr_t a = (uintptr_t)segs[i].Buffer;
        if (a == 0 || a % page != 0)
            return false;
    }
    return true;
}

/* The ReadFileScatter/WriteFileGather rules of ioring.md 8.6. The array's
 * elements are read only when read_array: with SKIP the builder leaves
 * them to dispatch, which re-validates them anyway. */
static HRESULT check_sg_rules(const FILE_SEGMENT_ELEMENT *segs, uint32_t nsegs, uint32_t len,
                              uint64_t off, bool read_array)
{
    size_t page = iore__page_size();
    if (!segs || nsegs == 0)
        return E_INVALIDARG;
    if (len % 512 != 0 || off % 512 != 0 || (uint64_t)len > (uint64_t)nsegs * page)
        return E_INVALIDARG;
    if (read_array && !segments_ok(segs, len, page))
        return E_INVALIDARG;
    return S_OK;
}

static HRESULT check_sg(const struct iore__ring *r, uint32_t sqe_flags, IORING_HANDLE_REF file,
                        const struct iore__sqe *sqe)
{
    HRESULT hr = check_sqe_flags(sqe_flags);
    if (hr == S_OK && !kind_ok(file.Kind))
        hr = E_INVALIDARG;
    if (hr == S_OK && !range_ok(sqe->u.sg.off, sqe->u.sg.len))
        hr = E_INVALIDARG;
    if (hr == S_OK)
        hr = check_write_flags(sqe->u.sg.write_flags);
    if (hr == S_OK)
        hr = check_sg_rules(sqe->u.sg.segs, sqe->u.sg.nsegs, sqe->u.sg.len, sqe->u.sg.off,
                            !skip_checks(r));
    return hr;
}

/* Registration arrays: present exactly when count > 0, and count times the
 * element size must fit in 32 bits (ioring.md 8.2). */
static HRESULT check_reg(uint32_t count, const void *array, uint64_t elem_size)
{
    if ((count > 0) != (array != NULL))
        return E_INVALIDARG;
    if ((uint64_t)count * elem_size > 0xFFFFFFFFu)
        return HRESULT_FROM_WIN32(ERROR_ARITHMETIC_OVERFLOW);
    return S_OK;
}

/* ---------------------------------------------------------------- builders */

/* Only the flag the execution half acts on is kept; unknown bits live on
 * as the deferred error (SKIP) or fail the builder. */
static uint8_t sqe_flags_kept(uint32_t flags)
{
    return (uint8_t)(flags & IOSQE_FLAGS_DRAIN_PRECEDING_OPS);
}

static HRESULT build_rw(HIORING ioRing, IORING_OP_CODE op, IORING_HANDLE_REF file,
                        IORING_BUFFER_REF buf, UINT32 len, UINT64 off, uint32_t write_flags,
                        UINT_PTR userData, uint32_t sqe_flags)
{
    struct iore__ring *r;
    uint32_t pin;
    HRESULT hr = begin(ioRing, op, sqe_flags, &r, &pin);
    if (FAILED(hr))
        return hr;
    struct iore__sqe sqe = {
        .opcode = (uint8_t)op,
        .sqe_flags = sqe_flags_kept(sqe_flags),
        .user_data = userData,
        .file = file,
        .u.rw = { .buf = buf, .len = len, .off = off, .write_flags = write_flags },
    };
    return finish(r, pin, &sqe, check_rw(sqe_flags, file, buf, len, off, write_flags));
}

IORE_API HRESULT BuildIoRingReadFile(HIORING ioRing, IORING_HANDLE_REF fileRef,
                                     IORING_BUFFER_REF dataRef, UINT32 numberOfBytesToRead,
                                     UINT64 fileOffset, UINT_PTR userData,
                                     IORING_SQE_FLAGS sqeFlags)
{
    return build_rw(ioRing, IORING_OP_READ, fileRef, dataRef, numberOfBytesToRead, fileOffset,
                    FILE_WRITE_FLAGS_NONE, userData, (uint32_t)sqeFlags);
}

IORE_API HRESULT BuildIoRingWriteFile(HIORING ioRing, IORING_HANDLE_REF fileRef,
                                      IORING_BUFFER_REF bufferRef, UINT32 numberOfBytesToWrite,
                                      UINT64 fileOffset, FILE_WRITE_FLAGS writeFlags,
                                      UINT_PTR userData, IORING_SQE_FLAGS sqeFlags)
{
    return build_rw(ioRing, IORING_OP_WRITE, fileRef, bufferRef, numberOfBytesToWrite,
                    fileOffset, (uint32_t)writeFlags, userData, (uint32_t)sqeFlags);
}

static HRESULT build_sg(HIORING ioRing, IORING_OP_CODE op, IORING_HANDLE_REF file,
                        UINT32 nsegs, FILE_SEGMENT_ELEMENT *segs, UINT32 len, UINT64 off,
                        uint32_t write_flags, UINT_PTR userData, uint32_t sqe_flags)
{
    struct iore__ring *r;
    uint32_t pin;
    HRESULT hr = begin(ioRing, op, sqe_flags, &r, &pin);
    if (FAILED(hr))
        return hr;
    struct iore__sqe sqe = {
        .opcode = (uint8_t)op,
        .sqe_flags = sqe_flags_kept(sqe_flags),
        .user_data = userData,
        .file = file,
        .u.sg = { .segs = segs, .nsegs = nsegs, .len = len, .off = off,
                  .write_flags = write_flags },
    };
    return finish(r, pin, &sqe, check_sg(r, sqe_flags, file, &sqe));
}

IORE_API HRESULT BuildIoRingReadFileScatter(HIORING ioRing, IORING_HANDLE_REF fileRef,
                                            UINT32 segmentCount,
                                            FILE_SEGMENT_ELEMENT segmentArray[],
                                            UINT32 numberOfBytesToRead, UINT64 fileOffset,
                                            UINT_PTR userData, IORING_SQE_FLAGS sqeFlags)
{
    return build_sg(ioRing, IORING_OP_READ_SCATTER, fileRef, segmentCount, segmentArray,
                    numberOfBytesToRead, fileOffset, FILE_WRITE_FLAGS_NONE, userData,
                    (uint32_t)sqeFlags);
}

IORE_API HRESULT BuildIoRingWriteFileGather(HIORING ioRing, IORING_HANDLE_REF fileRef,
                                            UINT32 segmentCount,
                                            FILE_SEGMENT_ELEMENT segmentArray[],
                                            UINT32 numberOfBytesToWrite, UINT64 fileOffset,
                                            FILE_WRITE_FLAGS writeFlags, UINT_PTR userData,
                                            IORING_SQE_FLAGS sqeFlags)
{
    return build_sg(ioRing, IORING_OP_WRITE_GATHER, fileRef, segmentCount, segmentArray,
                    numberOfBytesToWrite, fileOffset, (uint32_t)writeFlags, userData,
                    (uint32_t)sqeFlags);
}

IORE_API HRESULT BuildIoRingFlushFile(HIORING ioRing, IORING_HANDLE_REF fileRef,
                                      FILE_FLUSH_MODE flushMode, UINT_PTR userData,
                                      IORING_SQE_FLAGS sqeFlags)
{
    struct iore__ring *r;
    uint32_t pin;
    HRESULT hr = begin(ioRing, IORING_OP_FLUSH, (uint32_t)sqeFlags, &r, &pin);
    if (FAILED(hr))
        return hr;
    struct iore__sqe sqe = {
        .opcode = IORING_OP_FLUSH,
        .sqe_flags = sqe_flags_kept((uint32_t)sqeFlags),
        .user_data = userData,
        .file = fileRef,
        .u.flush.mode = (uint32_t)flushMode,
    };
    hr = check_sqe_flags((uint32_t)sqeFlags);
    if (hr == S_OK && !kind_ok(fileRef.Kind))
        hr = E_INVALIDARG;
    if (hr == S_OK && (uint32_t)flushMode > FILE_FLUSH_NO_SYNC)
        hr = E_INVALIDARG;
    return finish(r, pin, &sqe, hr);
}

IORE_API HRESULT BuildIoRingCancelRequest(HIORING ioRing, IORING_HANDLE_REF file,
                                          UINT_PTR opToCancel, UINT_PTR userData)
{
    struct iore__ring *r;
    uint32_t pin;
    HRESULT hr = begin(ioRing, IORING_OP_CANCEL, 0, &r, &pin);
    if (FAILED(hr))
        return hr;
    struct iore__sqe sqe = {
        .opcode = IORING_OP_CANCEL,
        .user_data = userData,
        .file = file,
        .u.cancel.target = opToCancel,
    };
    return finish(r, pin, &sqe, kind_ok(file.Kind) ? S_OK : E_INVALIDARG);
}

static HRESULT build_reg(HIORING ioRing, IORING_OP_CODE op, uint32_t count, const void *array,
                         uint64_t elem_size, UINT_PTR userData)
{
    struct iore__ring *r;
    uint32_t pin;
    HRESULT hr = begin(ioRing, op, 0, &r, &pin);
    if (FAILED(hr))
        return hr;
    struct iore__sqe sqe = {
        .opcode = (uint8_t)op,
        .user_data = userData,
        .u.reg = { .count = count, .array = array },
    };
    return finish(r, pin, &sqe, check_reg(count, array, elem_size));
}

IORE_API HRESULT BuildIoRingRegisterFileHandles(HIORING ioRing, UINT32 count,
                                                HANDLE const handles[], UINT_PTR userData)
{
    /* Windows sizes the array as count 8-byte handles whatever the host's
     * pointer size; the overflow rule is stated in those units. */
    return build_reg(ioRing, IORING_OP_REGISTER_FILES, count, handles, 8, userData);
}

IORE_API HRESULT BuildIoRingRegisterBuffers(HIORING ioRing, UINT32 count,
                                            IORING_BUFFER_INFO const buffers[],
                                            UINT_PTR userData)
{
    return build_reg(ioRing, IORING_OP_REGISTER_BUFFERS, count, buffers, 16, userData);
}

IORE_API HRESULT iore_build_nop(HIORING ioRing, UINT_PTR userData, IORING_SQE_FLAGS sqeFlags)
{
    struct iore__ring *r;
    uint32_t pin;
    HRESULT hr = begin(ioRing, IORING_OP_NOP, (uint32_t)sqeFlags, &r, &pin);
    if (FAILED(hr))
        return hr;
    struct iore__sqe sqe = {
        .opcode = IORING_OP_NOP,
        .sqe_flags = sqe_flags_kept((uint32_t)sqeFlags),
        .user_data = userData,
    };
    return finish(r, pin, &sqe, check_sqe_flags((uint32_t)sqeFlags));
}
