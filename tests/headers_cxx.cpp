/*
 * headers_cxx.cpp - the C++ half of check_headers: the headers as C++17 code
 * sees them. What the compiler can decide is a static_assert here (layout,
 * explicit constructors, operator result types); what needs values is
 * handed to check_headers.c through the extern "C" functions at the end,
 * whose prototypes check_headers.c repeats (keep the two in step).
 *
 * No UNICODE here, and no WIN32_NO_STATUS: winnt.h's DWORD-typed STATUS_*
 * subset is captured first, then <ntstatus.h> must replace it cleanly.
 */
#include <windows.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

/* ------------------------------------------- winnt.h's STATUS_* subset */
static_assert(std::is_same<decltype(STATUS_ACCESS_VIOLATION), DWORD>::value,
              "without WIN32_NO_STATUS, winnt.h defines its STATUS_* as DWORD, as on Windows");

#define W(name) {#name, (uint32_t)(name)}
static const struct {
    const char *name;
    uint32_t value;
} winnt_status[] = {
    W(STATUS_WAIT_0), W(STATUS_ABANDONED_WAIT_0), W(STATUS_USER_APC), W(STATUS_TIMEOUT),
    W(STATUS_PENDING), W(STATUS_SEGMENT_NOTIFICATION), W(STATUS_FATAL_APP_EXIT),
    W(STATUS_GUARD_PAGE_VIOLATION), W(STATUS_DATATYPE_MISALIGNMENT), W(STATUS_BREAKPOINT),
    W(STATUS_SINGLE_STEP), W(STATUS_LONGJUMP), W(STATUS_UNWIND_CONSOLIDATE),
    W(STATUS_ACCESS_VIOLATION), W(STATUS_IN_PAGE_ERROR), W(STATUS_INVALID_HANDLE),
    W(STATUS_INVALID_PARAMETER), W(STATUS_NO_MEMORY), W(STATUS_ILLEGAL_INSTRUCTION),
    W(STATUS_NONCONTINUABLE_EXCEPTION), W(STATUS_INVALID_DISPOSITION),
    W(STATUS_ARRAY_BOUNDS_EXCEEDED), W(STATUS_FLOAT_DENORMAL_OPERAND),
    W(STATUS_FLOAT_DIVIDE_BY_ZERO), W(STATUS_FLOAT_INEXACT_RESULT),
    W(STATUS_FLOAT_INVALID_OPERATION), W(STATUS_FLOAT_OVERFLOW), W(STATUS_FLOAT_STACK_CHECK),
    W(STATUS_FLOAT_UNDERFLOW), W(STATUS_INTEGER_DIVIDE_BY_ZERO), W(STATUS_INTEGER_OVERFLOW),
    W(STATUS_PRIVILEGED_INSTRUCTION), W(STATUS_STACK_OVERFLOW), W(STATUS_DLL_NOT_FOUND),
    W(STATUS_ORDINAL_NOT_FOUND), W(STATUS_ENTRYPOINT_NOT_FOUND), W(STATUS_CONTROL_C_EXIT),
    W(STATUS_DLL_INIT_FAILED), W(STATUS_HEAP_CORRUPTION), W(STATUS_STACK_BUFFER_OVERRUN),
    W(STATUS_INVALID_CRUNTIME_PARAMETER), W(STATUS_ASSERTION_FAILURE),
};
#undef W

#include <ntstatus.h>
#include <winternl.h>
#include <intrin.h>
#include <tchar.h>

static_assert(std::is_same<decltype(STATUS_ACCESS_VIOLATION), NTSTATUS>::value,
              "ntstatus.h after windows.h replaces winnt.h's subset with NTSTATUS values");

/* --------------------------------------------------- layout (§1.1, §4) */
static_assert(sizeof(HRESULT) == 4 && std::is_signed<HRESULT>::value, "HRESULT is int32_t");
static_assert(std::is_same<WCHAR, wchar_t>::value, "WCHAR is wchar_t");
static_assert(sizeof(IORING_CQE) == 24 && alignof(IORING_CQE) == 8, "IORING_CQE");
static_assert(offsetof(IORING_CQE, ResultCode) == 8 && offsetof(IORING_CQE, Information) == 16,
              "IORING_CQE offsets");
static_assert(sizeof(IORING_HANDLE_REF) == 16 && offsetof(IORING_HANDLE_REF, Handle) == 8,
              "IORING_HANDLE_REF");
static_assert(sizeof(IORING_BUFFER_REF) == 16 && offsetof(IORING_BUFFER_REF, Buffer) == 8,
              "IORING_BUFFER_REF");
static_assert(sizeof(IORING_INFO) == 20 && sizeof(IORING_CAPABILITIES) == 16 &&
                  sizeof(IORING_BUFFER_INFO) == 16 && sizeof(IORING_CREATE_FLAGS) == 8 &&
                  sizeof(IORING_REGISTERED_BUFFER) == 8 && sizeof(FILE_SEGMENT_ELEMENT) == 8,
              "§4 sizes in C++");
static_assert(sizeof(LARGE_INTEGER) == 8 && sizeof(OVERLAPPED) == 32, "anonymous members");
/* The refs cross into C through memcpy-compatible copies. */
static_assert(std::is_trivially_copyable<IORING_HANDLE_REF>::value &&
                  std::is_trivially_copyable<IORING_BUFFER_REF>::value &&
                  std::is_standard_layout<IORING_HANDLE_REF>::value &&
                  std::is_standard_layout<IORING_BUFFER_REF>::value,
              "refs stay C-compatible");

/* ----------------------------------------------------- §4.1 constructors */
static_assert(std::is_constructible<IORING_HANDLE_REF, HANDLE>::value &&
                  !std::is_convertible<HANDLE, IORING_HANDLE_REF>::value,
              "IORING_HANDLE_REF(HANDLE) is explicit");
static_assert(std::is_constructible<IORING_HANDLE_REF, UINT32>::value &&
                  !std::is_convertible<UINT32, IORING_HANDLE_REF>::value,
              "IORING_HANDLE_REF(UINT32) is explicit");
static_assert(std::is_convertible<HANDLE, IORING_HANDLE_REF::HandleUnion>::value &&
                  std::is_convertible<UINT32, IORING_HANDLE_REF::HandleUnion>::value,
              "HandleUnion converts from HANDLE and UINT32");
static_assert(std::is_constructible<IORING_BUFFER_REF, void *>::value &&
                  !std::is_convertible<void *, IORING_BUFFER_REF>::value,
              "IORING_BUFFER_REF(void *) is explicit");
static_assert(std::is_constructible<IORING_BUFFER_REF, IORING_REGISTERED_BUFFER>::value &&
                  !std::is_convertible<IORING_REGISTERED_BUFFER, IORING_BUFFER_REF>::value,
              "IORING_BUFFER_REF(IORING_REGISTERED_BUFFER) is explicit");
static_assert(std::is_convertible<void *, IORING_BUFFER_REF::BufferUnion>::value &&
                  std::is_convertible<IORING_REGISTERED_BUFFER,
                                      IORING_BUFFER_REF::BufferUnion>::value,
              "BufferUnion converts from void * and IORING_REGISTERED_BUFFER");
/* The (index, offset) constructor is not explicit: copy-list-initialisation
 * compiles only if so. */
static IORING_BUFFER_REF registered_pair(UINT32 index, UINT32 offset) { return {index, offset}; }

/* ------------------------------------------------ §3 flag enum operators */
template <class E> constexpr bool flag_ops_typed()
{
    return std::is_same<decltype(E() | E()), E>::value && std::is_same<decltype(E() & E()), E>::value &&
           std::is_same<decltype(E() ^ E()), E>::value && std::is_same<decltype(~E()), E>::value &&
           std::is_same<decltype(std::declval<E &>() |= E()), E &>::value &&
           std::is_same<decltype(std::declval<E &>() &= E()), E &>::value &&
           std::is_same<decltype(std::declval<E &>() ^= E()), E &>::value;
}
static_assert(flag_ops_typed<IORING_SQE_FLAGS>(), "IORING_SQE_FLAGS has the flag operators");
static_assert(flag_ops_typed<IORING_CREATE_REQUIRED_FLAGS>(), "IORING_CREATE_REQUIRED_FLAGS");
static_assert(flag_ops_typed<IORING_CREATE_ADVISORY_FLAGS>(), "IORING_CREATE_ADVISORY_FLAGS");
static_assert(flag_ops_typed<IORING_FEATURE_FLAGS>(), "IORING_FEATURE_FLAGS");
static_assert(flag_ops_typed<FILE_WRITE_FLAGS>(), "FILE_WRITE_FLAGS");
/* The other enums keep the built-in operators (result int). */
static_assert(std::is_same<decltype(IORING_VERSION_1 | IORING_VERSION_2), int>::value &&
                  std::is_same<decltype(IORING_OP_READ | IORING_OP_WRITE), int>::value &&
                  std::is_same<decltype(FILE_FLUSH_DATA | FILE_FLUSH_NO_SYNC), int>::value &&
                  std::is_same<decltype(IORING_REF_RAW | IORING_REF_REGISTERED), int>::value,
              "no flag operators on non-flag enums");
static_assert((IOSQE_FLAGS_NONE | IOSQE_FLAGS_DRAIN_PRECEDING_OPS) == IOSQE_FLAGS_DRAIN_PRECEDING_OPS,
              "the binary operators are constexpr");

template <class E> static int apply(char op, int a, int b)
{
    E x = E(a), y = E(b);
    switch (op) {
    case '|': return int(x | y);
    case '&': return int(x & y);
    case '^': return int(x ^ y);
    case '~': return int(~x);
    case 'o': return int(x |= y);
    case 'a': return int(x &= y);
    case 'x': return int(x ^= y);
    default: return -1;
    }
}

/* ------------------------------------------------------------ to C */
extern "C" {

/* §4.1 macros in C++: IoRing*RefFrom* expand to the constructors. */
void cxx_handle_ref_from_handle(HANDLE h, IORING_HANDLE_REF *out)
{
    IORING_HANDLE_REF r = IoRingHandleRefFromHandle(h);
    std::memcpy(out, &r, sizeof r);
}

void cxx_handle_ref_from_index(UINT32 index, IORING_HANDLE_REF *out)
{
    IORING_HANDLE_REF r = IoRingHandleRefFromIndex(index);
    std::memcpy(out, &r, sizeof r);
}

void cxx_buffer_ref_from_pointer(void *p, IORING_BUFFER_REF *out)
{
    IORING_BUFFER_REF r = IoRingBufferRefFromPointer(p);
    std::memcpy(out, &r, sizeof r);
}

void cxx_buffer_ref_from_index_and_offset(UINT32 index, UINT32 offset, IORING_BUFFER_REF *out)
{
    IORING_BUFFER_REF r = IoRingBufferRefFromIndexAndOffset(index, offset);
    std::memcpy(out, &r, sizeof r);
}

/* The other constructor spellings: explicit from the struct, and the
 * non-explicit (index, offset) pair through copy-list-initialisation. */
void cxx_buffer_ref_from_registered(UINT32 index, UINT32 offset, IORING_BUFFER_REF *explicit_form,
                                    IORING_BUFFER_REF *list_form)
{
    IORING_BUFFER_REF a(IORING_REGISTERED_BUFFER{index, offset});
    IORING_BUFFER_REF b = registered_pair(index, offset);
    std::memcpy(explicit_form, &a, sizeof a);
    std::memcpy(list_form, &b, sizeof b);
}

/* which: 0 IORING_SQE_FLAGS, 1 IORING_CREATE_REQUIRED_FLAGS,
 * 2 IORING_CREATE_ADVISORY_FLAGS, 3 IORING_FEATURE_FLAGS, 4 FILE_WRITE_FLAGS.
 * op: | & ^ ~ (of a), o (|=), a (&=), x (^=). */
int cxx_flag_op(int which, char op, int a, int b)
{
    switch (which) {
    case 0: return apply<IORING_SQE_FLAGS>(op, a, b);
    case 1: return apply<IORING_CREATE_REQUIRED_FLAGS>(op, a, b);
    case 2: return apply<IORING_CREATE_ADVISORY_FLAGS>(op, a, b);
    case 3: return apply<IORING_FEATURE_FLAGS>(op, a, b);
    case 4: return apply<FILE_WRITE_FLAGS>(op, a, b);
    default: return -1;
    }
}

/* The 16 functions as C++ sees them, in §5 order. Only C-linkage
 * declarations make these the same symbols C links against. */
size_t cxx_ioring_functions(void (**out)(void), size_t n)
{
    typedef void (*fn)(void);
    const fn all[] = {
        reinterpret_cast<fn>(&QueryIoRingCapabilities), reinterpret_cast<fn>(&IsIoRingOpSupported),
        reinterpret_cast<fn>(&CreateIoRing), reinterpret_cast<fn>(&GetIoRingInfo),
        reinterpret_cast<fn>(&SubmitIoRing), reinterpret_cast<fn>(&CloseIoRing),
        reinterpret_cast<fn>(&PopIoRingCompletion), reinterpret_cast<fn>(&SetIoRingCompletionEvent),
        reinterpret_cast<fn>(&BuildIoRingCancelRequest), reinterpret_cast<fn>(&BuildIoRingReadFile),
        reinterpret_cast<fn>(&BuildIoRingRegisterFileHandles),
        reinterpret_cast<fn>(&BuildIoRingRegisterBuffers), reinterpret_cast<fn>(&BuildIoRingWriteFile),
        reinterpret_cast<fn>(&BuildIoRingFlushFile), reinterpret_cast<fn>(&BuildIoRingReadFileScatter),
        reinterpret_cast<fn>(&BuildIoRingWriteFileGather),
    };
    size_t i;
    for (i = 0; i < n && i < sizeof all / sizeof all[0]; i++)
        out[i] = all[i];
    return sizeof all / sizeof all[0];
}

/* Row i of winnt.h's STATUS_* subset; returns the row count. */
size_t cxx_winnt_status(size_t i, const char **name, uint32_t *value)
{
    const size_t n = sizeof winnt_status / sizeof winnt_status[0];
    if (i < n) {
        *name = winnt_status[i].name;
        *value = winnt_status[i].value;
    }
    return n;
}

/* tchar.h without UNICODE: narrow mappings and Windows format semantics
 * (%S is a WCHAR string in a narrow format, l is 32 bits, I64 exists). */
int cxx_tchar_narrow(char *buf, size_t size)
{
    static_assert(std::is_same<_TCHAR, char>::value && std::is_same<TCHAR, char>::value,
                  "narrow TCHAR without UNICODE");
    DWORD code = 5;
    return _stprintf_s(buf, size, _T("%s|%S|%I64d|%lu|%d"), _T("a"), L"w", (long long)-1, code, 7);
}

/* HRESULT_FROM_WIN32 and the intrinsics compile and agree in C++. */
int cxx_hresult_from_win32(uint32_t x)
{
    return HRESULT_FROM_WIN32(x);
}

int32_t cxx_interlocked_increment(int32_t volatile *p)
{
    return InterlockedIncrement(p);
}

} /* extern "C" */
