/*
 * check_headers.c - the drop-in Windows headers against ioring.md §1-§5 and
 * errors.md §1-§4. Layout is asserted at compile time (a wrong size or
 * offset stops the build, naming the row); values are asserted at run time
 * from tables, so that a wrong constant names itself. The C++ forms are
 * exercised by headers_cxx.cpp (C++17, same program).
 *
 * Written as Windows code is: UNICODE, and ntstatus.h next to windows.h
 * through WIN32_NO_STATUS.
 */
#define UNICODE
#define _UNICODE
#define WIN32_NO_STATUS
#include <windows.h>
#undef WIN32_NO_STATUS
#include <ntstatus.h>
#include <winternl.h>
#include <ioringapi.h>
#include <intrin.h>
#include <tchar.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define STR(x) #x
#define XSTR(x) STR(x)
#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* headers_cxx.cpp (extern "C" there; keep in step). */
void cxx_handle_ref_from_handle(HANDLE h, IORING_HANDLE_REF *out);
void cxx_handle_ref_from_index(UINT32 index, IORING_HANDLE_REF *out);
void cxx_buffer_ref_from_pointer(void *p, IORING_BUFFER_REF *out);
void cxx_buffer_ref_from_index_and_offset(UINT32 index, UINT32 offset, IORING_BUFFER_REF *out);
void cxx_buffer_ref_from_registered(UINT32 index, UINT32 offset, IORING_BUFFER_REF *explicit_form,
                                    IORING_BUFFER_REF *list_form);
int cxx_flag_op(int which, char op, int a, int b);
size_t cxx_ioring_functions(void (**out)(void), size_t n);
size_t cxx_winnt_status(size_t i, const char **name, uint32_t *value);
int cxx_tchar_narrow(char *buf, size_t size);
int cxx_hresult_from_win32(uint32_t x);
int32_t cxx_interlocked_increment(int32_t volatile *p);

/* ================================================ compile-time: §1.1 */
#define SAME_TYPE(a, b) _Generic((a)0, b: 1, default: 0)
_Static_assert(sizeof(BOOL) == 4 && SAME_TYPE(BOOL, int), "BOOL is int");
_Static_assert(sizeof(LONG) == 4 && SAME_TYPE(LONG, int32_t), "LONG is int32_t");
_Static_assert(sizeof(HRESULT) == 4 && SAME_TYPE(HRESULT, int32_t), "HRESULT is int32_t");
_Static_assert(SAME_TYPE(ULONG, uint32_t) && SAME_TYPE(DWORD, uint32_t) &&
                   SAME_TYPE(UINT32, uint32_t), "ULONG, DWORD, UINT32 are uint32_t");
_Static_assert(SAME_TYPE(UINT64, uint64_t) && SAME_TYPE(ULONGLONG, uint64_t),
               "UINT64, ULONGLONG are uint64_t");
_Static_assert(SAME_TYPE(UINT_PTR, uintptr_t) && SAME_TYPE(ULONG_PTR, uintptr_t) &&
                   SAME_TYPE(SIZE_T, size_t), "UINT_PTR, ULONG_PTR are uintptr_t; SIZE_T size_t");
_Static_assert(sizeof(UINT_PTR) == 8 && sizeof(ULONG_PTR) == 8 && sizeof(SIZE_T) == 8,
               "pointer-sized integers are 8 bytes");
_Static_assert(sizeof(HANDLE) == 8 && sizeof(PVOID) == 8 && sizeof(PVOID64) == 8 &&
                   sizeof(HIORING) == 8, "HANDLE, PVOID, PVOID64, HIORING are 8 bytes");
_Static_assert(SAME_TYPE(WCHAR, wchar_t) && _Generic(L'x', WCHAR: 1, default: 0),
               "WCHAR is wchar_t, so L\"...\" is a WCHAR string");
_Static_assert(sizeof(IORING_VERSION) == 4 && sizeof(IORING_FEATURE_FLAGS) == 4 &&
                   sizeof(IORING_OP_CODE) == 4 && sizeof(IORING_SQE_FLAGS) == 4 &&
                   sizeof(IORING_CREATE_REQUIRED_FLAGS) == 4 &&
                   sizeof(IORING_CREATE_ADVISORY_FLAGS) == 4 && sizeof(IORING_REF_KIND) == 4 &&
                   sizeof(FILE_WRITE_FLAGS) == 4 && sizeof(FILE_FLUSH_MODE) == 4,
               "enums are int-sized");
_Static_assert((HRESULT)-1 < 0 && (LONG)-1 < 0 && (NTSTATUS)-1 < 0, "signed types");
_Static_assert((DWORD)-1 > 0 && (ULONG)-1 > 0 && (UINT_PTR)-1 > 0, "unsigned types");

/* ================================================= compile-time: §4 */
#define LAYOUT(T, size, align) \
    _Static_assert(sizeof(T) == (size) && _Alignof(T) == (align), #T " size/alignment")
#define AT(T, member, off) _Static_assert(offsetof(T, member) == (off), #T "." #member " offset")

LAYOUT(IORING_CREATE_FLAGS, 8, 4);
AT(IORING_CREATE_FLAGS, Required, 0);
AT(IORING_CREATE_FLAGS, Advisory, 4);
LAYOUT(IORING_INFO, 20, 4);
AT(IORING_INFO, IoRingVersion, 0);
AT(IORING_INFO, Flags, 4);
AT(IORING_INFO, Flags.Required, 4);
AT(IORING_INFO, Flags.Advisory, 8);
AT(IORING_INFO, SubmissionQueueSize, 12);
AT(IORING_INFO, CompletionQueueSize, 16);
LAYOUT(IORING_CAPABILITIES, 16, 4);
AT(IORING_CAPABILITIES, MaxVersion, 0);
AT(IORING_CAPABILITIES, MaxSubmissionQueueSize, 4);
AT(IORING_CAPABILITIES, MaxCompletionQueueSize, 8);
AT(IORING_CAPABILITIES, FeatureFlags, 12);
LAYOUT(IORING_BUFFER_INFO, 16, 8);
AT(IORING_BUFFER_INFO, Address, 0);
AT(IORING_BUFFER_INFO, Length, 8);
LAYOUT(IORING_REGISTERED_BUFFER, 8, 4);
AT(IORING_REGISTERED_BUFFER, BufferIndex, 0);
AT(IORING_REGISTERED_BUFFER, Offset, 4);
LAYOUT(IORING_HANDLE_REF, 16, 8);
AT(IORING_HANDLE_REF, Kind, 0);
AT(IORING_HANDLE_REF, Handle, 8);
AT(IORING_HANDLE_REF, Handle.Handle, 8);
AT(IORING_HANDLE_REF, Handle.Index, 8);
_Static_assert(sizeof(((IORING_HANDLE_REF *)0)->Handle.Handle) == 8 &&
                   sizeof(((IORING_HANDLE_REF *)0)->Handle.Index) == 4,
               "IORING_HANDLE_REF union members are 8 and 4 bytes");
LAYOUT(IORING_BUFFER_REF, 16, 8);
AT(IORING_BUFFER_REF, Kind, 0);
AT(IORING_BUFFER_REF, Buffer, 8);
AT(IORING_BUFFER_REF, Buffer.Address, 8);
AT(IORING_BUFFER_REF, Buffer.IndexAndOffset.BufferIndex, 8);
AT(IORING_BUFFER_REF, Buffer.IndexAndOffset.Offset, 12);
LAYOUT(IORING_CQE, 24, 8);
AT(IORING_CQE, UserData, 0);
AT(IORING_CQE, ResultCode, 8);
AT(IORING_CQE, Information, 16);
LAYOUT(FILE_SEGMENT_ELEMENT, 8, 8);
AT(FILE_SEGMENT_ELEMENT, Buffer, 0);
AT(FILE_SEGMENT_ELEMENT, Alignment, 0);

/* The Win32 and NT structures the headers add, at their Windows x64 layout. */
LAYOUT(LARGE_INTEGER, 8, 8);
AT(LARGE_INTEGER, LowPart, 0);
AT(LARGE_INTEGER, HighPart, 4);
AT(LARGE_INTEGER, u.HighPart, 4);
LAYOUT(OVERLAPPED, 32, 8);
AT(OVERLAPPED, Offset, 16);
AT(OVERLAPPED, OffsetHigh, 20);
AT(OVERLAPPED, Pointer, 16);
AT(OVERLAPPED, hEvent, 24);
LAYOUT(SECURITY_ATTRIBUTES, 24, 8);
LAYOUT(SYSTEM_INFO, 48, 8);
AT(SYSTEM_INFO, wProcessorArchitecture, 0);
AT(SYSTEM_INFO, dwPageSize, 4);
AT(SYSTEM_INFO, dwNumberOfProcessors, 32);
LAYOUT(FILETIME, 8, 4);
LAYOUT(WIN32_FIND_DATAA, 320, 4);
AT(WIN32_FIND_DATAW, cFileName, 44);
LAYOUT(UNICODE_STRING, 16, 8);
AT(UNICODE_STRING, Buffer, 8);
LAYOUT(IO_STATUS_BLOCK, 16, 8);
AT(IO_STATUS_BLOCK, Status, 0);
AT(IO_STATUS_BLOCK, Pointer, 0);
AT(IO_STATUS_BLOCK, Information, 8);

/* Constant expressions, as Windows code uses them (case labels, sizes). */
_Static_assert(IORING_SUBMIT_WAIT_ALL == 0xFFFFFFFFu && INFINITE == 0xFFFFFFFFu,
               "IORING_SUBMIT_WAIT_ALL and INFINITE");
_Static_assert(__HRESULT_FROM_WIN32(ERROR_TIMEOUT) == (HRESULT)0x800705B4,
               "__HRESULT_FROM_WIN32 is a constant expression");
_Static_assert(NTDDI_VERSION == NTDDI_WIN11_GE, "NTDDI_VERSION defaults to 24H2");

/* The 16 functions carry exactly the §5 signatures: assigning each to a
 * pointer of the spec's type is an error (-Werror) on any difference. */
static HRESULT (*const sig_query)(IORING_CAPABILITIES *) = QueryIoRingCapabilities;
static BOOL (*const sig_supported)(HIORING, IORING_OP_CODE) = IsIoRingOpSupported;
static HRESULT (*const sig_create)(IORING_VERSION, IORING_CREATE_FLAGS, UINT32, UINT32,
                                   HIORING *) = CreateIoRing;
static HRESULT (*const sig_info)(HIORING, IORING_INFO *) = GetIoRingInfo;
static HRESULT (*const sig_submit)(HIORING, UINT32, UINT32, UINT32 *) = SubmitIoRing;
static HRESULT (*const sig_close)(HIORING) = CloseIoRing;
static HRESULT (*const sig_pop)(HIORING, IORING_CQE *) = PopIoRingCompletion;
static HRESULT (*const sig_event)(HIORING, HANDLE) = SetIoRingCompletionEvent;
static HRESULT (*const sig_cancel)(HIORING, IORING_HANDLE_REF, UINT_PTR,
                                   UINT_PTR) = BuildIoRingCancelRequest;
static HRESULT (*const sig_read)(HIORING, IORING_HANDLE_REF, IORING_BUFFER_REF, UINT32, UINT64,
                                 UINT_PTR, IORING_SQE_FLAGS) = BuildIoRingReadFile;
static HRESULT (*const sig_regfiles)(HIORING, UINT32, HANDLE const[],
                                     UINT_PTR) = BuildIoRingRegisterFileHandles;
static HRESULT (*const sig_regbufs)(HIORING, UINT32, IORING_BUFFER_INFO const[],
                                    UINT_PTR) = BuildIoRingRegisterBuffers;
static HRESULT (*const sig_write)(HIORING, IORING_HANDLE_REF, IORING_BUFFER_REF, UINT32, UINT64,
                                  FILE_WRITE_FLAGS, UINT_PTR,
                                  IORING_SQE_FLAGS) = BuildIoRingWriteFile;
static HRESULT (*const sig_flush)(HIORING, IORING_HANDLE_REF, FILE_FLUSH_MODE, UINT_PTR,
                                  IORING_SQE_FLAGS) = BuildIoRingFlushFile;
static HRESULT (*const sig_scatter)(HIORING, IORING_HANDLE_REF, UINT32, FILE_SEGMENT_ELEMENT[],
                                    UINT32, UINT64, UINT_PTR,
                                    IORING_SQE_FLAGS) = BuildIoRingReadFileScatter;
static HRESULT (*const sig_gather)(HIORING, IORING_HANDLE_REF, UINT32, FILE_SEGMENT_ELEMENT[],
                                   UINT32, UINT64, FILE_WRITE_FLAGS, UINT_PTR,
                                   IORING_SQE_FLAGS) = BuildIoRingWriteFileGather;

/* ====================================================== value tables */
struct row {
    const char *name;
    int64_t value;    /* as the header's type makes it (HRESULTs negative) */
    int64_t expected; /* the spec's value, signed where the spec's type is */
};
#define ROW(name, expected) {#name, (int64_t)(name), (int64_t)(expected)}

/* errors.md §2.1, §2.2, plus the generic codes the headers add. */
static const struct row hresults[] = {
    ROW(S_OK, 0), ROW(S_FALSE, 1),
    ROW(E_NOTIMPL, -2147467263), ROW(E_NOINTERFACE, (int32_t)0x80004002u),
    ROW(E_POINTER, -2147467261), ROW(E_ABORT, -2147467260), ROW(E_FAIL, -2147467259),
    ROW(E_PENDING, (int32_t)0x8000000Au), ROW(E_BOUNDS, (int32_t)0x8000000Bu),
    ROW(E_UNEXPECTED, -2147418113), ROW(E_ACCESSDENIED, -2147024891),
    ROW(E_HANDLE, -2147024890), ROW(E_OUTOFMEMORY, -2147024882),
    ROW(E_INVALIDARG, -2147024809), ROW(E_NOT_SUFFICIENT_BUFFER, (int32_t)0x8007007Au),
    ROW(E_NOT_SET, -2147023728),
    ROW(IORING_E_REQUIRED_FLAG_NOT_SUPPORTED, -2142896127),
    ROW(IORING_E_SUBMISSION_QUEUE_FULL, -2142896126),
    ROW(IORING_E_VERSION_NOT_SUPPORTED, -2142896125),
    ROW(IORING_E_SUBMISSION_QUEUE_TOO_BIG, -2142896124),
    ROW(IORING_E_COMPLETION_QUEUE_TOO_BIG, -2142896123),
    ROW(IORING_E_SUBMIT_IN_PROGRESS, -2142896122),
    ROW(IORING_E_CORRUPT, -2142896121),
    ROW(IORING_E_COMPLETION_QUEUE_TOO_FULL, -2142896120),
    ROW(FACILITY_NULL, 0), ROW(FACILITY_ITF, 4), ROW(FACILITY_WIN32, 7),
    ROW(FACILITY_IORING, 70), ROW(FACILITY_NT_BIT, 0x10000000),
};

START_TEST(hresult_constant_has_the_spec_value)
{
    const struct row *r = &hresults[_i];
    ck_assert_msg(r->value == r->expected, "%s is %lld, spec says %lld", r->name,
                  (long long)r->value, (long long)r->expected);
}
END_TEST

/* errors.md §3: the code, and HRESULT_FROM_WIN32 of it. */
struct win32_row {
    const char *name;
    int64_t value;
    int64_t expected;
    uint32_t hresult;
};
#define W32(name, dec, hr) {#name, (int64_t)(name), (dec), (hr)}
static const struct win32_row win32_codes[] = {
    W32(ERROR_SUCCESS, 0, 0x00000000), W32(NO_ERROR, 0, 0x00000000),
    W32(ERROR_INVALID_FUNCTION, 1, 0x80070001), W32(ERROR_FILE_NOT_FOUND, 2, 0x80070002),
    W32(ERROR_PATH_NOT_FOUND, 3, 0x80070003), W32(ERROR_TOO_MANY_OPEN_FILES, 4, 0x80070004),
    W32(ERROR_ACCESS_DENIED, 5, 0x80070005), W32(ERROR_INVALID_HANDLE, 6, 0x80070006),
    W32(ERROR_NOT_ENOUGH_MEMORY, 8, 0x80070008), W32(ERROR_OUTOFMEMORY, 14, 0x8007000E),
    W32(ERROR_NOT_READY, 21, 0x80070015), W32(ERROR_GEN_FAILURE, 31, 0x8007001F),
    W32(ERROR_SHARING_VIOLATION, 32, 0x80070020), W32(ERROR_HANDLE_EOF, 38, 0x80070026),
    W32(ERROR_NOT_SUPPORTED, 50, 0x80070032), W32(ERROR_INVALID_PARAMETER, 87, 0x80070057),
    W32(ERROR_BROKEN_PIPE, 109, 0x8007006D), W32(ERROR_DISK_FULL, 112, 0x80070070),
    W32(ERROR_SEM_TIMEOUT, 121, 0x80070079), W32(ERROR_INSUFFICIENT_BUFFER, 122, 0x8007007A),
    W32(ERROR_DIR_NOT_EMPTY, 145, 0x80070091), W32(ERROR_BUSY, 170, 0x800700AA),
    W32(ERROR_FILE_TOO_LARGE, 223, 0x800700DF), W32(ERROR_NO_DATA, 232, 0x800700E8),
    W32(ERROR_PIPE_NOT_CONNECTED, 233, 0x800700E9), W32(ERROR_MORE_DATA, 234, 0x800700EA),
    W32(WAIT_TIMEOUT, 258, 0x80070102), W32(ERROR_MR_MID_NOT_FOUND, 317, 0x8007013D),
    W32(ERROR_INDEX_OUT_OF_BOUNDS, 474, 0x800701DA),
    W32(ERROR_ARITHMETIC_OVERFLOW, 534, 0x80070216),
    W32(ERROR_OPERATION_ABORTED, 995, 0x800703E3), W32(ERROR_IO_INCOMPLETE, 996, 0x800703E4),
    W32(ERROR_IO_PENDING, 997, 0x800703E5), W32(ERROR_NOACCESS, 998, 0x800703E6),
    W32(ERROR_NOT_FOUND, 1168, 0x80070490), W32(ERROR_CANCELLED, 1223, 0x800704C7),
    W32(ERROR_DISK_QUOTA_EXCEEDED, 1295, 0x8007050F),
    W32(ERROR_NO_SYSTEM_RESOURCES, 1450, 0x800705AA),
    W32(ERROR_WORKING_SET_QUOTA, 1453, 0x800705AD), W32(ERROR_TIMEOUT, 1460, 0x800705B4),
    W32(ERROR_INVALID_USER_BUFFER, 1784, 0x800706F8),
    W32(ERROR_CANT_RESOLVE_FILENAME, 1921, 0x80070781),
    /* Codes the headers define beyond the spec's table (SDK values). */
    W32(ERROR_BAD_FORMAT, 11, 0x8007000B), W32(ERROR_INVALID_DATA, 13, 0x8007000D),
    W32(ERROR_INVALID_DRIVE, 15, 0x8007000F), W32(ERROR_NO_MORE_FILES, 18, 0x80070012),
    W32(ERROR_SEEK, 25, 0x80070019), W32(ERROR_WRITE_FAULT, 29, 0x8007001D),
    W32(ERROR_READ_FAULT, 30, 0x8007001E), W32(ERROR_LOCK_VIOLATION, 33, 0x80070021),
    W32(ERROR_HANDLE_DISK_FULL, 39, 0x80070027), W32(ERROR_FILE_EXISTS, 80, 0x80070050),
    W32(ERROR_CALL_NOT_IMPLEMENTED, 120, 0x80070078), W32(ERROR_INVALID_NAME, 123, 0x8007007B),
    W32(ERROR_MOD_NOT_FOUND, 126, 0x8007007E), W32(ERROR_PROC_NOT_FOUND, 127, 0x8007007F),
    W32(ERROR_NEGATIVE_SEEK, 131, 0x80070083), W32(ERROR_NOT_LOCKED, 158, 0x8007009E),
    W32(ERROR_BAD_ARGUMENTS, 160, 0x800700A0), W32(ERROR_BAD_PATHNAME, 161, 0x800700A1),
    W32(ERROR_ALREADY_EXISTS, 183, 0x800700B7), W32(ERROR_BAD_EXE_FORMAT, 193, 0x800700C1),
    W32(ERROR_ENVVAR_NOT_FOUND, 203, 0x800700CB),
    W32(ERROR_FILENAME_EXCED_RANGE, 206, 0x800700CE), W32(ERROR_DIRECTORY, 267, 0x8007010B),
    W32(ERROR_INVALID_ADDRESS, 487, 0x800701E7), W32(ERROR_INVALID_FLAGS, 1004, 0x800703EC),
    W32(ERROR_NO_UNICODE_TRANSLATION, 1113, 0x80070459),
    W32(ERROR_PRIVILEGE_NOT_HELD, 1314, 0x80070522),
    W32(ERROR_COMMITMENT_LIMIT, 1455, 0x800705AF), W32(ERROR_INVALID_STATE, 5023, 0x8007139F),
};

START_TEST(win32_error_code_and_its_hresult_have_the_spec_values)
{
    const struct win32_row *r = &win32_codes[_i];
    ck_assert_msg(r->value == r->expected, "%s is %lld, spec says %lld", r->name,
                  (long long)r->value, (long long)r->expected);
    ck_assert_msg(HRESULT_FROM_WIN32((uint32_t)r->value) == (HRESULT)r->hresult,
                  "HRESULT_FROM_WIN32(%s) is 0x%08x, spec says 0x%08x", r->name,
                  (unsigned)HRESULT_FROM_WIN32((uint32_t)r->value), (unsigned)r->hresult);
    ck_assert_msg(__HRESULT_FROM_WIN32(r->value) == (HRESULT)r->hresult,
                  "__HRESULT_FROM_WIN32(%s) differs from the spec", r->name);
}
END_TEST

/* errors.md §3 wait constants and §3.1 Winsock codes. */
static const struct row waits_and_winsock[] = {
    ROW(WAIT_OBJECT_0, 0), ROW(WAIT_ABANDONED, 0x80), ROW(WAIT_ABANDONED_0, 0x80),
    ROW(WAIT_IO_COMPLETION, 0xC0), ROW(WAIT_TIMEOUT, 0x102), ROW(WAIT_FAILED, 0xFFFFFFFF),
    ROW(INFINITE, 0xFFFFFFFF), ROW(STILL_ACTIVE, 259), ROW(MAXIMUM_WAIT_OBJECTS, 64),
    ROW(WSABASEERR, 10000), ROW(WSAEINTR, 10004), ROW(WSAEBADF, 10009), ROW(WSAEACCES, 10013),
    ROW(WSAEFAULT, 10014), ROW(WSAEINVAL, 10022), ROW(WSAEMFILE, 10024),
    ROW(WSAEWOULDBLOCK, 10035), ROW(WSAEINPROGRESS, 10036), ROW(WSAEALREADY, 10037),
    ROW(WSAENOTSOCK, 10038), ROW(WSAEDESTADDRREQ, 10039), ROW(WSAEMSGSIZE, 10040),
    ROW(WSAEPROTOTYPE, 10041), ROW(WSAENOPROTOOPT, 10042), ROW(WSAEPROTONOSUPPORT, 10043),
    ROW(WSAESOCKTNOSUPPORT, 10044), ROW(WSAEOPNOTSUPP, 10045), ROW(WSAEPFNOSUPPORT, 10046),
    ROW(WSAEAFNOSUPPORT, 10047), ROW(WSAEADDRINUSE, 10048), ROW(WSAEADDRNOTAVAIL, 10049),
    ROW(WSAENETDOWN, 10050), ROW(WSAENETUNREACH, 10051), ROW(WSAENETRESET, 10052),
    ROW(WSAECONNABORTED, 10053), ROW(WSAECONNRESET, 10054), ROW(WSAENOBUFS, 10055),
    ROW(WSAEISCONN, 10056), ROW(WSAENOTCONN, 10057), ROW(WSAESHUTDOWN, 10058),
    ROW(WSAETOOMANYREFS, 10059), ROW(WSAETIMEDOUT, 10060), ROW(WSAECONNREFUSED, 10061),
    ROW(WSAELOOP, 10062), ROW(WSAENAMETOOLONG, 10063), ROW(WSAEHOSTDOWN, 10064),
    ROW(WSAEHOSTUNREACH, 10065), ROW(WSAENOTEMPTY, 10066), ROW(WSAEPROCLIM, 10067),
    ROW(WSAEUSERS, 10068), ROW(WSAEDQUOT, 10069), ROW(WSAESTALE, 10070), ROW(WSAEREMOTE, 10071),
    ROW(WSANOTINITIALISED, 10093), ROW(WSAEDISCON, 10101), ROW(WSAECANCELLED, 10103),
};

START_TEST(wait_and_winsock_constant_has_the_spec_value)
{
    const struct row *r = &waits_and_winsock[_i];
    ck_assert_msg(r->value == r->expected, "%s is %lld, spec says %lld", r->name,
                  (long long)r->value, (long long)r->expected);
}
END_TEST

/* errors.md §4 (and the rest of ntstatus.h). NTSTATUS is signed, so the
 * 0x8/0xC values must come out negative: `expected` is the signed value. */
#define NTS(name, hex) {#name, (int64_t)(name), (int64_t)(int32_t)(uint32_t)(hex)}
static const struct row ntstatus[] = {
    NTS(STATUS_SUCCESS, 0x00000000), NTS(STATUS_WAIT_0, 0x00000000),
    NTS(STATUS_WAIT_1, 0x00000001), NTS(STATUS_WAIT_63, 0x0000003F),
    NTS(STATUS_ABANDONED, 0x00000080), NTS(STATUS_ABANDONED_WAIT_0, 0x00000080),
    NTS(STATUS_USER_APC, 0x000000C0), NTS(STATUS_ALERTED, 0x00000101),
    NTS(STATUS_TIMEOUT, 0x00000102), NTS(STATUS_PENDING, 0x00000103),
    NTS(STATUS_MORE_ENTRIES, 0x00000105), NTS(STATUS_SEGMENT_NOTIFICATION, 0x40000005),
    NTS(STATUS_FATAL_APP_EXIT, 0x40000015), NTS(STATUS_GUARD_PAGE_VIOLATION, 0x80000001),
    NTS(STATUS_DATATYPE_MISALIGNMENT, 0x80000002), NTS(STATUS_BREAKPOINT, 0x80000003),
    NTS(STATUS_SINGLE_STEP, 0x80000004), NTS(STATUS_BUFFER_OVERFLOW, 0x80000005),
    NTS(STATUS_NO_MORE_FILES, 0x80000006), NTS(STATUS_DEVICE_BUSY, 0x80000011),
    NTS(STATUS_NO_MORE_ENTRIES, 0x8000001A), NTS(STATUS_LONGJUMP, 0x80000026),
    NTS(STATUS_UNWIND_CONSOLIDATE, 0x80000029), NTS(STATUS_UNSUCCESSFUL, 0xC0000001),
    NTS(STATUS_NOT_IMPLEMENTED, 0xC0000002), NTS(STATUS_INFO_LENGTH_MISMATCH, 0xC0000004),
    NTS(STATUS_ACCESS_VIOLATION, 0xC0000005), NTS(STATUS_IN_PAGE_ERROR, 0xC0000006),
    NTS(STATUS_INVALID_HANDLE, 0xC0000008), NTS(STATUS_INVALID_PARAMETER, 0xC000000D),
    NTS(STATUS_NO_SUCH_DEVICE, 0xC000000E), NTS(STATUS_INVALID_DEVICE_REQUEST, 0xC0000010),
    NTS(STATUS_END_OF_FILE, 0xC0000011), NTS(STATUS_NO_MEDIA_IN_DEVICE, 0xC0000013),
    NTS(STATUS_NO_MEMORY, 0xC0000017), NTS(STATUS_ILLEGAL_INSTRUCTION, 0xC000001D),
    NTS(STATUS_ACCESS_DENIED, 0xC0000022), NTS(STATUS_BUFFER_TOO_SMALL, 0xC0000023),
    NTS(STATUS_OBJECT_TYPE_MISMATCH, 0xC0000024),
    NTS(STATUS_NONCONTINUABLE_EXCEPTION, 0xC0000025),
    NTS(STATUS_INVALID_DISPOSITION, 0xC0000026), NTS(STATUS_OBJECT_NAME_INVALID, 0xC0000033),
    NTS(STATUS_OBJECT_NAME_NOT_FOUND, 0xC0000034),
    NTS(STATUS_OBJECT_NAME_COLLISION, 0xC0000035),
    NTS(STATUS_OBJECT_PATH_NOT_FOUND, 0xC000003A), NTS(STATUS_SHARING_VIOLATION, 0xC0000043),
    NTS(STATUS_DELETE_PENDING, 0xC0000056), NTS(STATUS_DISK_FULL, 0xC000007F),
    NTS(STATUS_ARRAY_BOUNDS_EXCEEDED, 0xC000008C),
    NTS(STATUS_FLOAT_DENORMAL_OPERAND, 0xC000008D),
    NTS(STATUS_FLOAT_DIVIDE_BY_ZERO, 0xC000008E), NTS(STATUS_FLOAT_INEXACT_RESULT, 0xC000008F),
    NTS(STATUS_FLOAT_INVALID_OPERATION, 0xC0000090), NTS(STATUS_FLOAT_OVERFLOW, 0xC0000091),
    NTS(STATUS_FLOAT_STACK_CHECK, 0xC0000092), NTS(STATUS_FLOAT_UNDERFLOW, 0xC0000093),
    NTS(STATUS_INTEGER_DIVIDE_BY_ZERO, 0xC0000094), NTS(STATUS_INTEGER_OVERFLOW, 0xC0000095),
    NTS(STATUS_PRIVILEGED_INSTRUCTION, 0xC0000096),
    NTS(STATUS_INSUFFICIENT_RESOURCES, 0xC000009A), NTS(STATUS_WORKING_SET_QUOTA, 0xC00000A1),
    NTS(STATUS_DEVICE_NOT_READY, 0xC00000A3), NTS(STATUS_ILLEGAL_FUNCTION, 0xC00000AF),
    NTS(STATUS_PIPE_DISCONNECTED, 0xC00000B0), NTS(STATUS_PIPE_CLOSING, 0xC00000B1),
    NTS(STATUS_IO_TIMEOUT, 0xC00000B5), NTS(STATUS_FILE_IS_A_DIRECTORY, 0xC00000BA),
    NTS(STATUS_NOT_SUPPORTED, 0xC00000BB), NTS(STATUS_INVALID_USER_BUFFER, 0xC00000E8),
    NTS(STATUS_INVALID_PARAMETER_1, 0xC00000EF), NTS(STATUS_INVALID_PARAMETER_2, 0xC00000F0),
    NTS(STATUS_INVALID_PARAMETER_3, 0xC00000F1), NTS(STATUS_INVALID_PARAMETER_4, 0xC00000F2),
    NTS(STATUS_INVALID_PARAMETER_5, 0xC00000F3), NTS(STATUS_INVALID_PARAMETER_6, 0xC00000F4),
    NTS(STATUS_INVALID_PARAMETER_7, 0xC00000F5), NTS(STATUS_INVALID_PARAMETER_8, 0xC00000F6),
    NTS(STATUS_INVALID_PARAMETER_9, 0xC00000F7), NTS(STATUS_INVALID_PARAMETER_10, 0xC00000F8),
    NTS(STATUS_INVALID_PARAMETER_11, 0xC00000F9), NTS(STATUS_INVALID_PARAMETER_12, 0xC00000FA),
    NTS(STATUS_STACK_OVERFLOW, 0xC00000FD), NTS(STATUS_DIRECTORY_NOT_EMPTY, 0xC0000101),
    NTS(STATUS_NOT_A_DIRECTORY, 0xC0000103), NTS(STATUS_TOO_MANY_OPENED_FILES, 0xC000011F),
    NTS(STATUS_CANCELLED, 0xC0000120), NTS(STATUS_FILE_CLOSED, 0xC0000128),
    NTS(STATUS_DLL_NOT_FOUND, 0xC0000135), NTS(STATUS_ORDINAL_NOT_FOUND, 0xC0000138),
    NTS(STATUS_ENTRYPOINT_NOT_FOUND, 0xC0000139), NTS(STATUS_CONTROL_C_EXIT, 0xC000013A),
    NTS(STATUS_DLL_INIT_FAILED, 0xC0000142), NTS(STATUS_PIPE_BROKEN, 0xC000014B),
    NTS(STATUS_NOT_FOUND, 0xC0000225), NTS(STATUS_REPARSE_POINT_NOT_RESOLVED, 0xC0000280),
    NTS(STATUS_HEAP_CORRUPTION, 0xC0000374), NTS(STATUS_STACK_BUFFER_OVERRUN, 0xC0000409),
    NTS(STATUS_INVALID_CRUNTIME_PARAMETER, 0xC0000417),
    NTS(STATUS_ASSERTION_FAILURE, 0xC0000420), NTS(STATUS_INDEX_OUT_OF_BOUNDS, 0xC00004D1),
    NTS(STATUS_IORING_REQUIRED_FLAG_NOT_SUPPORTED, 0xC0460001),
    NTS(STATUS_IORING_SUBMISSION_QUEUE_FULL, 0xC0460002),
    NTS(STATUS_IORING_VERSION_NOT_SUPPORTED, 0xC0460003),
    NTS(STATUS_IORING_SUBMISSION_QUEUE_TOO_BIG, 0xC0460004),
    NTS(STATUS_IORING_COMPLETION_QUEUE_TOO_BIG, 0xC0460005),
    NTS(STATUS_IORING_SUBMIT_IN_PROGRESS, 0xC0460006),
    NTS(STATUS_IORING_CORRUPT, 0xC0460007),
    NTS(STATUS_IORING_COMPLETION_QUEUE_TOO_FULL, 0xC0460008),
};

START_TEST(ntstatus_value_is_the_spec_value_and_signed)
{
    const struct row *r = &ntstatus[_i];
    ck_assert_msg(r->value == r->expected, "%s is %lld, spec says %lld", r->name,
                  (long long)r->value, (long long)r->expected);
}
END_TEST

/* winnt.h's DWORD subset (seen by headers_cxx.cpp, which includes windows.h
 * without WIN32_NO_STATUS) has the same bits as ntstatus.h's. */
START_TEST(winnt_status_subset_matches_ntstatus)
{
    const char *name = NULL;
    uint32_t value = 0;
    size_t j;

    cxx_winnt_status((size_t)_i, &name, &value);
    for (j = 0; j < N_ROWS(ntstatus); j++)
        if (strcmp(ntstatus[j].name, name) == 0)
            break;
    ck_assert_msg(j < N_ROWS(ntstatus), "%s is not in ntstatus.h", name);
    ck_assert_msg((uint32_t)ntstatus[j].value == value, "winnt.h %s 0x%08x, ntstatus.h 0x%08x",
                  name, (unsigned)value, (unsigned)ntstatus[j].value);
}
END_TEST

/* ioring.md §3 and §1.2. */
static const struct row enums_and_versions[] = {
    ROW(IORING_VERSION_INVALID, 0), ROW(IORING_VERSION_1, 1), ROW(IORING_VERSION_2, 2),
    ROW(IORING_VERSION_3, 300), ROW(IORING_VERSION_4, 400),
    ROW(IORING_FEATURE_FLAGS_NONE, 0), ROW(IORING_FEATURE_UM_EMULATION, 1),
    ROW(IORING_FEATURE_SET_COMPLETION_EVENT, 2),
    ROW(IORING_OP_NOP, 0), ROW(IORING_OP_READ, 1), ROW(IORING_OP_REGISTER_FILES, 2),
    ROW(IORING_OP_REGISTER_BUFFERS, 3), ROW(IORING_OP_CANCEL, 4), ROW(IORING_OP_WRITE, 5),
    ROW(IORING_OP_FLUSH, 6), ROW(IORING_OP_READ_SCATTER, 7), ROW(IORING_OP_WRITE_GATHER, 8),
    ROW(IOSQE_FLAGS_NONE, 0), ROW(IOSQE_FLAGS_DRAIN_PRECEDING_OPS, 1),
    ROW(IORING_CREATE_REQUIRED_FLAGS_NONE, 0), ROW(IORING_CREATE_ADVISORY_FLAGS_NONE, 0),
    ROW(IORING_CREATE_SKIP_BUILDER_PARAM_CHECKS, 1),
    ROW(IORING_REF_RAW, 0), ROW(IORING_REF_REGISTERED, 1),
    ROW(FILE_WRITE_FLAGS_NONE, 0), ROW(FILE_WRITE_FLAGS_WRITE_THROUGH, 1),
    ROW(FILE_FLUSH_DEFAULT, 0), ROW(FILE_FLUSH_DATA, 1), ROW(FILE_FLUSH_MIN_METADATA, 2),
    ROW(FILE_FLUSH_NO_SYNC, 3),
    ROW(IORING_SUBMIT_WAIT_ALL, 0xFFFFFFFF), ROW(MAXUINT32, 0xFFFFFFFF),
    ROW(NTDDI_WIN10_CO, 0x0A00000B), ROW(NTDDI_WIN10_NI, 0x0A00000C),
    ROW(NTDDI_WIN10_CU, 0x0A00000D), ROW(NTDDI_WIN11_ZN, 0x0A00000E),
    ROW(NTDDI_WIN11_GA, 0x0A00000F), ROW(NTDDI_WIN11_GE, 0x0A000010),
    ROW(NTDDI_VERSION, 0x0A000010),
};

START_TEST(enum_and_version_constant_has_the_spec_value)
{
    const struct row *r = &enums_and_versions[_i];
    ck_assert_msg(r->value == r->expected, "%s is %lld, spec says %lld", r->name,
                  (long long)r->value, (long long)r->expected);
}
END_TEST

/* errors.md §2.2 / ioring.md §19: names from Microsoft's pages that no SDK
 * header has. A name that is not a macro stringifies to itself. */
static const struct {
    const char *name, *expansion;
} doc_only[] = {
    {"IORING_E_UNKNOWN_REQUIRED_FLAG", XSTR(IORING_E_UNKNOWN_REQUIRED_FLAG)},
    {"IORING_E_UNKNOWN_VERSION", XSTR(IORING_E_UNKNOWN_VERSION)},
    {"IORING_E_WAIT_TIMEOUT", XSTR(IORING_E_WAIT_TIMEOUT)},
    {"E_INVALID_HANDLE", XSTR(E_INVALID_HANDLE)},
};

START_TEST(doc_only_error_name_is_not_defined)
{
    ck_assert_msg(strcmp(doc_only[_i].name, doc_only[_i].expansion) == 0,
                  "%s must not be defined (it is %s)", doc_only[_i].name,
                  doc_only[_i].expansion);
}
END_TEST

/* ====================================================== HRESULT macros */
START_TEST(succeeded_is_true_for_s_false_so_callers_compare_with_s_ok)
{
    ck_assert(SUCCEEDED(S_FALSE));
    ck_assert(!FAILED(S_FALSE));
    ck_assert(S_FALSE != S_OK);
    ck_assert(SUCCEEDED(S_OK));
}
END_TEST

START_TEST(failed_is_true_for_every_error_hresult)
{
    ck_assert(FAILED(E_FAIL));
    ck_assert(FAILED(IORING_E_COMPLETION_QUEUE_TOO_FULL));
    ck_assert(FAILED(HRESULT_FROM_WIN32(ERROR_TIMEOUT)));
    ck_assert(!SUCCEEDED(E_HANDLE));
}
END_TEST

START_TEST(hresult_from_win32_of_zero_is_zero)
{
    ck_assert_int_eq(HRESULT_FROM_WIN32(ERROR_SUCCESS), S_OK);
    ck_assert_int_eq(__HRESULT_FROM_WIN32(0), 0);
}
END_TEST

START_TEST(hresult_from_win32_passes_negative_values_through)
{
    ck_assert_int_eq(HRESULT_FROM_WIN32(E_FAIL), E_FAIL);
    ck_assert_int_eq(HRESULT_FROM_WIN32(IORING_E_CORRUPT), IORING_E_CORRUPT);
    ck_assert_int_eq(__HRESULT_FROM_WIN32(E_INVALIDARG), E_INVALIDARG);
}
END_TEST

START_TEST(hresult_from_win32_keeps_only_the_low_16_bits_of_a_code)
{
    ck_assert_int_eq(HRESULT_FROM_WIN32(0x00010005u), (HRESULT)0x80070005);
}
END_TEST

START_TEST(hresult_from_win32_evaluates_its_argument_once)
{
    DWORD e = ERROR_ACCESS_DENIED;
    ck_assert_int_eq(HRESULT_FROM_WIN32(e++), E_ACCESSDENIED);
    ck_assert_uint_eq(e, ERROR_ACCESS_DENIED + 1);
}
END_TEST

START_TEST(hresult_from_win32_is_the_same_in_c_and_cxx)
{
    ck_assert_int_eq(cxx_hresult_from_win32(ERROR_HANDLE_EOF), HRESULT_FROM_WIN32(ERROR_HANDLE_EOF));
    ck_assert_int_eq(cxx_hresult_from_win32(0), 0);
}
END_TEST

START_TEST(hresult_fields_split_as_the_layout_says)
{
    ck_assert_int_eq(HRESULT_CODE(E_HANDLE), 6);
    ck_assert_int_eq(HRESULT_FACILITY(E_HANDLE), FACILITY_WIN32);
    ck_assert_int_eq(HRESULT_FACILITY(IORING_E_SUBMIT_IN_PROGRESS), FACILITY_IORING);
    ck_assert_int_eq(HRESULT_SEVERITY(E_FAIL), SEVERITY_ERROR);
    ck_assert_int_eq(HRESULT_SEVERITY(S_FALSE), SEVERITY_SUCCESS);
    ck_assert_int_eq(MAKE_HRESULT(SEVERITY_ERROR, FACILITY_IORING, 8),
                     IORING_E_COMPLETION_QUEUE_TOO_FULL);
}
END_TEST

/* IS_ERROR must shift a 32-bit value: a 64-bit unsigned long cast would
 * leave the sign-extension bits in and never compare equal to 1. */
START_TEST(is_error_tests_the_severity_bit_of_a_32_bit_value)
{
    ck_assert(IS_ERROR(E_FAIL));
    ck_assert(IS_ERROR(IORING_E_CORRUPT));
    ck_assert(!IS_ERROR(S_FALSE));
    ck_assert(!IS_ERROR(S_OK));
}
END_TEST

START_TEST(nt_success_and_classes_follow_the_severity_bits)
{
    ck_assert(NT_SUCCESS(STATUS_SUCCESS));
    ck_assert(NT_SUCCESS(STATUS_PENDING));
    ck_assert(!NT_SUCCESS(STATUS_ACCESS_VIOLATION));
    ck_assert(!NT_SUCCESS(STATUS_BUFFER_OVERFLOW));
    ck_assert(NT_INFORMATION(STATUS_SEGMENT_NOTIFICATION));
    ck_assert(NT_WARNING(STATUS_BUFFER_OVERFLOW));
    ck_assert(NT_ERROR(STATUS_IORING_CORRUPT));
    ck_assert(!NT_ERROR(STATUS_SUCCESS));
}
END_TEST

/* ======================================= §4.1 C macros and C++ forms */
static HANDLE handle_sentinel(void) { return (HANDLE)(UINT_PTR)0x1234567890ABCDEFull; }

static IORING_REF_KIND kind_of_handle_ref(IORING_HANDLE_REF ref) { return ref.Kind; }

START_TEST(handle_ref_from_handle_is_a_raw_ref_holding_the_handle)
{
    HANDLE h = handle_sentinel();
    IORING_HANDLE_REF c = IoRingHandleRefFromHandle(h), x;

    cxx_handle_ref_from_handle(h, &x);
    ck_assert_int_eq(c.Kind, IORING_REF_RAW);
    ck_assert_ptr_eq(c.Handle.Handle, h);
    ck_assert_int_eq(x.Kind, IORING_REF_RAW);
    ck_assert_ptr_eq(x.Handle.Handle, h);
}
END_TEST

START_TEST(handle_ref_from_index_is_a_registered_ref_holding_the_index)
{
    IORING_HANDLE_REF c = IoRingHandleRefFromIndex(7), x;

    cxx_handle_ref_from_index(7, &x);
    ck_assert_int_eq(c.Kind, IORING_REF_REGISTERED);
    ck_assert_uint_eq(c.Handle.Index, 7);
    ck_assert_int_eq(x.Kind, IORING_REF_REGISTERED);
    ck_assert_uint_eq(x.Handle.Index, 7);
}
END_TEST

START_TEST(handle_ref_macro_in_a_compound_literal_is_an_argument)
{
    ck_assert_int_eq(kind_of_handle_ref((IORING_HANDLE_REF)IoRingHandleRefFromIndex(3)),
                     IORING_REF_REGISTERED);
    ck_assert_int_eq(kind_of_handle_ref((IORING_HANDLE_REF)IoRingHandleRefFromHandle(NULL)),
                     IORING_REF_RAW);
}
END_TEST

START_TEST(buffer_ref_from_pointer_is_a_raw_ref_holding_the_address)
{
    char buf[8];
    IORING_BUFFER_REF c = IoRingBufferRefFromPointer(buf), x;

    cxx_buffer_ref_from_pointer(buf, &x);
    ck_assert_int_eq(c.Kind, IORING_REF_RAW);
    ck_assert_ptr_eq(c.Buffer.Address, buf);
    ck_assert_int_eq(x.Kind, IORING_REF_RAW);
    ck_assert_ptr_eq(x.Buffer.Address, buf);
}
END_TEST

START_TEST(buffer_ref_from_index_and_offset_is_a_registered_ref)
{
    IORING_BUFFER_REF c = IoRingBufferRefFromIndexAndOffset(2, 4096), x, xe, xl;

    cxx_buffer_ref_from_index_and_offset(2, 4096, &x);
    cxx_buffer_ref_from_registered(2, 4096, &xe, &xl);
    ck_assert_int_eq(c.Kind, IORING_REF_REGISTERED);
    ck_assert_uint_eq(c.Buffer.IndexAndOffset.BufferIndex, 2);
    ck_assert_uint_eq(c.Buffer.IndexAndOffset.Offset, 4096);
    ck_assert_int_eq(x.Kind, IORING_REF_REGISTERED);
    ck_assert_uint_eq(x.Buffer.IndexAndOffset.BufferIndex, 2);
    ck_assert_uint_eq(x.Buffer.IndexAndOffset.Offset, 4096);
    ck_assert_int_eq(xe.Kind, IORING_REF_REGISTERED);
    ck_assert_uint_eq(xe.Buffer.IndexAndOffset.Offset, 4096);
    ck_assert_int_eq(xl.Kind, IORING_REF_REGISTERED);
    ck_assert_uint_eq(xl.Buffer.IndexAndOffset.BufferIndex, 2);
}
END_TEST

/* ============================================ §3 C++ flag operators */
static const struct {
    const char *name;
    int values[2];
} flag_enums[] = {
    {"IORING_SQE_FLAGS", {IOSQE_FLAGS_NONE, IOSQE_FLAGS_DRAIN_PRECEDING_OPS}},
    {"IORING_CREATE_REQUIRED_FLAGS", {IORING_CREATE_REQUIRED_FLAGS_NONE, 0}},
    {"IORING_CREATE_ADVISORY_FLAGS",
     {IORING_CREATE_ADVISORY_FLAGS_NONE, IORING_CREATE_SKIP_BUILDER_PARAM_CHECKS}},
    {"IORING_FEATURE_FLAGS", {IORING_FEATURE_UM_EMULATION, IORING_FEATURE_SET_COMPLETION_EVENT}},
    {"FILE_WRITE_FLAGS", {FILE_WRITE_FLAGS_NONE, FILE_WRITE_FLAGS_WRITE_THROUGH}},
};
static const char flag_ops[] = "|&^~oax";

/* _i walks enum x operator. */
START_TEST(cxx_flag_operator_computes_the_bitwise_result)
{
    size_t e = (size_t)_i / (sizeof flag_ops - 1);
    char op = flag_ops[(size_t)_i % (sizeof flag_ops - 1)];
    int a = flag_enums[e].values[0] | flag_enums[e].values[1], b = flag_enums[e].values[1];
    int want = op == '|' || op == 'o' ? (a | b) : op == '&' || op == 'a' ? (a & b)
             : op == '^' || op == 'x' ? (a ^ b) : ~a;

    ck_assert_msg(cxx_flag_op((int)e, op, a, b) == want, "%s operator %c: %d, expected %d",
                  flag_enums[e].name, op, cxx_flag_op((int)e, op, a, b), want);
}
END_TEST

/* ================================================ §5 extern "C" */
START_TEST(cxx_declarations_name_the_same_c_symbols)
{
    static const char *const names[] = {
        "QueryIoRingCapabilities", "IsIoRingOpSupported", "CreateIoRing", "GetIoRingInfo",
        "SubmitIoRing", "CloseIoRing", "PopIoRingCompletion", "SetIoRingCompletionEvent",
        "BuildIoRingCancelRequest", "BuildIoRingReadFile", "BuildIoRingRegisterFileHandles",
        "BuildIoRingRegisterBuffers", "BuildIoRingWriteFile", "BuildIoRingFlushFile",
        "BuildIoRingReadFileScatter", "BuildIoRingWriteFileGather",
    };
    void (*const c_side[])(void) = {
        (void (*)(void))sig_query, (void (*)(void))sig_supported, (void (*)(void))sig_create,
        (void (*)(void))sig_info, (void (*)(void))sig_submit, (void (*)(void))sig_close,
        (void (*)(void))sig_pop, (void (*)(void))sig_event, (void (*)(void))sig_cancel,
        (void (*)(void))sig_read, (void (*)(void))sig_regfiles, (void (*)(void))sig_regbufs,
        (void (*)(void))sig_write, (void (*)(void))sig_flush, (void (*)(void))sig_scatter,
        (void (*)(void))sig_gather,
    };
    void (*cxx_side[16])(void);
    size_t i;

    ck_assert_uint_eq(cxx_ioring_functions(cxx_side, 16), 16);
    for (i = 0; i < 16; i++)
        ck_assert_msg(c_side[i] == cxx_side[i], "%s: C++ declaration is another symbol", names[i]);
}
END_TEST

/* ====================================================== UNICODE/TCHAR */
START_TEST(unicode_selects_the_w_functions_and_wide_tchar)
{
    ck_assert_str_eq(XSTR(CreateFile), "CreateFileW");
    ck_assert_str_eq(XSTR(LoadLibrary), "LoadLibraryW");
    ck_assert_str_eq(XSTR(lstrlen), "lstrlenW");
    ck_assert_uint_eq(sizeof(TCHAR), sizeof(wchar_t));
    ck_assert_uint_eq(sizeof(_TCHAR), sizeof(wchar_t));
    ck_assert_uint_eq(sizeof(TEXT("ab")), 3 * sizeof(WCHAR));
    ck_assert_uint_eq(sizeof(_T("ab")), 3 * sizeof(WCHAR));
}
END_TEST

START_TEST(stprintf_s_takes_a_wchar_string_and_hs_a_narrow_one)
{
    TCHAR buf[64];
    int n = _stprintf_s(buf, _countof(buf), _T("%s/%hs/%S/%c/%hc"), _T("wide"), "narrow", "nar2",
                        _T('w'), 'n');
    ck_assert_int_eq(n, 20);
    ck_assert_msg(_tcscmp(buf, _T("wide/narrow/nar2/w/n")) == 0, "got %ls", buf);
}
END_TEST

START_TEST(tprintf_l_size_is_32_bits_as_on_windows)
{
    TCHAR buf[64];
    DWORD code = 4000000000u;
    LONG neg = -5;

    _stprintf_s(buf, _countof(buf), _T("%lu %ld %d"), code, neg, 7);
    ck_assert_msg(_tcscmp(buf, _T("4000000000 -5 7")) == 0, "got %ls", buf);
}
END_TEST

START_TEST(tprintf_i64_i32_and_i_sizes_are_understood)
{
    TCHAR buf[96];

    _stprintf_s(buf, _countof(buf), _T("%I64d %I64u %I32d %Iu %llx %zu %hd %hhu"), (INT64)-3,
                (UINT64)18446744073709551615ull, (INT32)-4, (SIZE_T)5, 0xabcull, (size_t)6,
                (short)-7, (unsigned char)200);
    ck_assert_msg(_tcscmp(buf, _T("-3 18446744073709551615 -4 5 abc 6 -7 200")) == 0, "got %ls",
                  buf);
}
END_TEST

START_TEST(tprintf_width_precision_and_flags_apply_to_strings_and_numbers)
{
    TCHAR buf[96];

    _stprintf_s(buf, _countof(buf), _T("[%5s][%-5s][%.2s][%*d][%-*d][%05.1f][%+d][%#x][%%]"),
                _T("ab"), _T("ab"), _T("abcd"), 4, 7, 3, 8, 2.25, 9, 255);
    ck_assert_msg(_tcscmp(buf, _T("[   ab][ab   ][ab][   7][8  ][002.2][+9][0xff][%]")) == 0,
                  "got %ls", buf);
}
END_TEST

START_TEST(tprintf_null_string_prints_null)
{
    TCHAR buf[16];
    _stprintf_s(buf, _countof(buf), _T("%s"), (TCHAR *)NULL);
    ck_assert_msg(_tcscmp(buf, _T("(null)")) == 0, "got %ls", buf);
}
END_TEST

START_TEST(stprintf_counts_wchar_units_of_non_ascii_text)
{
    TCHAR buf[32];
    int n = _stprintf(buf, _T("%s%d"), L"h\u00e9\u20ac\U0001F600", 1);

    ck_assert_int_eq(n, sizeof(WCHAR) == 2 ? 6 : 5);
    ck_assert_uint_eq(_tcslen(buf), (size_t)n);
    ck_assert(buf[1] == 0xe9 && buf[2] == 0x20ac);
}
END_TEST

START_TEST(sntprintf_truncates_terminates_and_returns_minus_one)
{
    TCHAR buf[5];
    wmemset(buf, L'#', 5);
    ck_assert_int_eq(_sntprintf(buf, 5, _T("%s"), _T("abcdefgh")), -1);
    ck_assert_msg(_tcscmp(buf, _T("abcd")) == 0, "got %ls", buf);
    ck_assert_int_eq(_sntprintf(buf, 5, _T("%s"), _T("abcd")), 4);
}
END_TEST

START_TEST(ftprintf_writes_utf8_to_a_byte_stream)
{
    FILE *fp = tmpfile();
    char got[32] = {0};

    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(_ftprintf(fp, _T("%s=%d\n"), L"\u00e9t\u00e9", 42), 7);
    rewind(fp);
    ck_assert_uint_eq(fread(got, 1, sizeof got - 1, fp), 9);
    ck_assert_str_eq(got, "\xc3\xa9t\xc3\xa9=42\n");
    fclose(fp);
}
END_TEST

START_TEST(tchar_narrow_mode_in_cxx_uses_windows_format_semantics)
{
    char buf[64];
    ck_assert_int_eq(cxx_tchar_narrow(buf, sizeof buf), 10);
    ck_assert_str_eq(buf, "a|w|-1|5|7");
}
END_TEST

static const struct {
    const wchar_t *a, *b;
} compare_pairs[] = {
    {L"", L""}, {L"a", L""}, {L"", L"a"}, {L"abc", L"abd"}, {L"abd", L"abc"},
    {L"ab", L"abc"}, {L"\u00e9", L"e"}, {L"same", L"same"},
};

static int sign(int v) { return (v > 0) - (v < 0); }

START_TEST(tcscmp_and_tcsncmp_order_like_the_c_library)
{
    const wchar_t *a = compare_pairs[_i].a, *b = compare_pairs[_i].b;
    ck_assert_int_eq(sign(_tcscmp(a, b)), sign(wcscmp(a, b)));
    ck_assert_int_eq(sign(_tcsncmp(a, b, 2)), sign(wcsncmp(a, b, 2)));
}
END_TEST

START_TEST(tcsicmp_ignores_ascii_case)
{
    ck_assert_int_eq(_tcsicmp(_T("HeLLo"), _T("hello")), 0);
    ck_assert_int_lt(_tcsicmp(_T("apple"), _T("BANANA")), 0);
    ck_assert_int_eq(_tcsnicmp(_T("ABCx"), _T("abcY"), 3), 0);
}
END_TEST

START_TEST(tcs_copy_concatenate_and_search)
{
    TCHAR buf[32];

    _tcscpy(buf, _T("io"));
    _tcscat(buf, _T("ring"));
    _tcsncat(buf, _T("emuXYZ"), 3);
    ck_assert_msg(_tcscmp(buf, _T("ioringemu")) == 0, "got %ls", buf);
    ck_assert_uint_eq(_tcslen(buf), 9);
    ck_assert_ptr_eq(_tcschr(buf, _T('r')), buf + 2);
    ck_assert_ptr_eq(_tcsrchr(buf, _T('i')), buf + 3);
    ck_assert_ptr_eq(_tcschr(buf, 0), buf + 9);
    ck_assert_ptr_eq(_tcsstr(buf, _T("emu")), buf + 6);
    ck_assert_ptr_null(_tcsstr(buf, _T("xyz")));
    ck_assert_ptr_eq(_tcsstr(buf, _T("")), buf);
}
END_TEST

START_TEST(tcsdup_returns_a_malloced_copy)
{
    TCHAR *d = _tcsdup(_T("copy"));
    ck_assert_ptr_nonnull(d);
    ck_assert_msg(_tcscmp(d, _T("copy")) == 0, "got %ls", d);
    free(d);
}
END_TEST

START_TEST(tcscpy_s_too_small_returns_erange_and_empties_the_destination)
{
    TCHAR buf[4] = _T("old");
    ck_assert_int_eq(_tcscpy_s(buf, _countof(buf), _T("toolong")), ERANGE);
    ck_assert_int_eq(buf[0], 0);
    ck_assert_int_eq(_tcscpy_s(buf, _countof(buf), _T("abc")), 0);
    ck_assert_int_eq(_tcscat_s(buf, _countof(buf), _T("d")), ERANGE);
    ck_assert_int_eq(_tcscpy_s(NULL, 4, _T("a")), EINVAL);
}
END_TEST

START_TEST(ttoi_and_tcstol_parse_the_leading_number)
{
    TCHAR *end = NULL;
    const TCHAR *s = _T("  0x1fz");

    ck_assert_int_eq(_ttoi(_T("  -123xyz")), -123);
    ck_assert_int_eq(_tcstol(s, &end, 16), 31);
    ck_assert_ptr_eq(end, s + 6);
    ck_assert_int_eq(_tcstoi64(_T("-9000000000"), NULL, 10), -9000000000ll);
    ck_assert_uint_eq(_tcstoul(_T("\u00e9"), &end, 10), 0);
}
END_TEST

/* ================================================== intrinsics */
START_TEST(interlocked_operations_return_what_msvc_returns)
{
    volatile LONG v = 5;
    volatile LONG64 w = 1;
    void *volatile p = NULL;
    int marker;

    ck_assert_int_eq(InterlockedIncrement(&v), 6);
    ck_assert_int_eq(InterlockedDecrement(&v), 5);
    ck_assert_int_eq(InterlockedExchange(&v, 9), 5);
    ck_assert_int_eq(InterlockedExchangeAdd(&v, 3), 9);
    ck_assert_int_eq(InterlockedCompareExchange(&v, 100, 12), 12);
    ck_assert_int_eq(v, 100);
    ck_assert_int_eq(InterlockedCompareExchange(&v, 7, 12), 100);
    ck_assert_int_eq(v, 100);
    ck_assert_int_eq(InterlockedOr(&v, 1), 100);
    ck_assert_int_eq(InterlockedAnd(&v, 1), 101);
    ck_assert_int_eq(InterlockedIncrement64(&w), 2);
    ck_assert_int_eq(InterlockedCompareExchange64(&w, (LONG64)1 << 40, 2), 2);
    ck_assert(w == (LONG64)1 << 40);
    ck_assert_ptr_null(InterlockedCompareExchangePointer(&p, &marker, NULL));
    ck_assert_ptr_eq(InterlockedExchangePointer(&p, NULL), &marker);
    ck_assert_int_eq(cxx_interlocked_increment(&v), 2);
}
END_TEST

static volatile LONG shared_counter;

static void *bump(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < 100000; i++)
        InterlockedIncrement(&shared_counter);
    return NULL;
}

START_TEST(interlocked_increment_is_atomic_across_threads)
{
    pthread_t t[2];
    int i;

    shared_counter = 0;
    for (i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, bump, NULL), 0);
    for (i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(shared_counter, 200000);
}
END_TEST

static const struct {
    uint64_t mask;
    uint32_t first, last;
} scans[] = {
    {1, 0, 0}, {0x80000000u, 31, 31}, {0x00F0, 4, 7}, {0x8000000000000001ull, 0, 63},
    {0x0000010000000000ull, 40, 40},
};

START_TEST(bitscan_finds_the_lowest_and_highest_set_bit)
{
    DWORD idx = 0xdead;
    ck_assert_int_eq(_BitScanForward64(&idx, scans[_i].mask), 1);
    ck_assert_uint_eq(idx, scans[_i].first);
    ck_assert_int_eq(_BitScanReverse64(&idx, scans[_i].mask), 1);
    ck_assert_uint_eq(idx, scans[_i].last);
    if (scans[_i].mask >> 32 == 0) {
        ck_assert_int_eq(_BitScanForward(&idx, (DWORD)scans[_i].mask), 1);
        ck_assert_uint_eq(idx, scans[_i].first);
        ck_assert_int_eq(_BitScanReverse(&idx, (DWORD)scans[_i].mask), 1);
        ck_assert_uint_eq(idx, scans[_i].last);
    }
}
END_TEST

START_TEST(bitscan_of_zero_returns_0_and_leaves_the_index)
{
    DWORD idx = 0xdead;
    ck_assert_int_eq(_BitScanForward(&idx, 0), 0);
    ck_assert_int_eq(_BitScanReverse64(&idx, 0), 0);
    ck_assert_uint_eq(idx, 0xdead);
}
END_TEST

START_TEST(popcnt_byteswap_rotate_and_umul_compute_msvc_results)
{
    UINT64 hi = 0;
    ck_assert_uint_eq(__popcnt(0xF0F0u), 8);
    ck_assert_uint_eq(__popcnt16(0xFFFF), 16);
    ck_assert_uint_eq(__popcnt64(~0ull), 64);
    ck_assert_uint_eq(_byteswap_ushort(0x1234), 0x3412);
    ck_assert_uint_eq(_byteswap_ulong(0x12345678u), 0x78563412u);
    ck_assert(_byteswap_uint64(0x0102030405060708ull) == 0x0807060504030201ull);
    ck_assert(_rotl64(0x8000000000000001ull, 1) == 3);
    ck_assert(_rotr64(3, 1) == 0x8000000000000001ull);
    ck_assert(_umul128(~0ull, 2, &hi) == ~0ull - 1);
    ck_assert(hi == 1);
    ck_assert(__umulh(1ull << 63, 4) == 2);
}
END_TEST

START_TEST(barriers_pause_and_timestamp_counter_are_callable)
{
    volatile LONG x = 1;
#if defined(__x86_64__) || defined(__i386__)
    unsigned long long t0 = __rdtsc(), t1;
#endif
    _ReadWriteBarrier();
    _ReadBarrier();
    _WriteBarrier();
    MemoryBarrier();
    YieldProcessor();
    _mm_pause();
    ck_assert_int_eq(x, 1);
#if defined(__x86_64__) || defined(__i386__)
    t1 = __rdtsc();
    ck_assert(t1 != t0);
#endif
}
END_TEST

/* A breakpoint: SIGTRAP without a debugger (x86 int3; elsewhere a trap
 * instruction, SIGTRAP or SIGILL). In a child of its own, so that the
 * test also works when Check does not fork (CK_FORK=no, valgrind). */
START_TEST(debugbreak_raises_a_breakpoint_trap)
{
    int status = 0;
    pid_t pid = fork();

    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        signal(SIGTRAP, SIG_DFL);
        __debugbreak();
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status), "__debugbreak returned (status 0x%x)", status);
#if defined(__x86_64__) || defined(__i386__)
    ck_assert_int_eq(WTERMSIG(status), SIGTRAP);
#endif
}
END_TEST

/* ============================================================ suite */
static Suite *headers_suite(void)
{
    Suite *s = suite_create("headers");
    TCase *values = tcase_create("values");
    TCase *macros = tcase_create("macros");
    TCase *refs = tcase_create("refs");
    TCase *tchar = tcase_create("tchar");
    TCase *intrin = tcase_create("intrin");

    tcase_add_loop_test(values, hresult_constant_has_the_spec_value, 0, N_ROWS(hresults));
    tcase_add_loop_test(values, win32_error_code_and_its_hresult_have_the_spec_values, 0,
                        N_ROWS(win32_codes));
    tcase_add_loop_test(values, wait_and_winsock_constant_has_the_spec_value, 0,
                        N_ROWS(waits_and_winsock));
    tcase_add_loop_test(values, ntstatus_value_is_the_spec_value_and_signed, 0, N_ROWS(ntstatus));
    tcase_add_loop_test(values, winnt_status_subset_matches_ntstatus, 0,
                        (int)cxx_winnt_status(0, &(const char *){NULL}, &(uint32_t){0}));
    tcase_add_loop_test(values, enum_and_version_constant_has_the_spec_value, 0,
                        N_ROWS(enums_and_versions));
    tcase_add_loop_test(values, doc_only_error_name_is_not_defined, 0, N_ROWS(doc_only));
    suite_add_tcase(s, values);

    tcase_add_test(macros, succeeded_is_true_for_s_false_so_callers_compare_with_s_ok);
    tcase_add_test(macros, failed_is_true_for_every_error_hresult);
    tcase_add_test(macros, hresult_from_win32_of_zero_is_zero);
    tcase_add_test(macros, hresult_from_win32_passes_negative_values_through);
    tcase_add_test(macros, hresult_from_win32_keeps_only_the_low_16_bits_of_a_code);
    tcase_add_test(macros, hresult_from_win32_evaluates_its_argument_once);
    tcase_add_test(macros, hresult_from_win32_is_the_same_in_c_and_cxx);
    tcase_add_test(macros, hresult_fields_split_as_the_layout_says);
    tcase_add_test(macros, is_error_tests_the_severity_bit_of_a_32_bit_value);
    tcase_add_test(macros, nt_success_and_classes_follow_the_severity_bits);
    suite_add_tcase(s, macros);

    tcase_add_test(refs, handle_ref_from_handle_is_a_raw_ref_holding_the_handle);
    tcase_add_test(refs, handle_ref_from_index_is_a_registered_ref_holding_the_index);
    tcase_add_test(refs, handle_ref_macro_in_a_compound_literal_is_an_argument);
    tcase_add_test(refs, buffer_ref_from_pointer_is_a_raw_ref_holding_the_address);
    tcase_add_test(refs, buffer_ref_from_index_and_offset_is_a_registered_ref);
    tcase_add_loop_test(refs, cxx_flag_operator_computes_the_bitwise_result, 0,
                        (int)(N_ROWS(flag_enums) * (sizeof flag_ops - 1)));
    tcase_add_test(refs, cxx_declarations_name_the_same_c_symbols);
    suite_add_tcase(s, refs);

    tcase_add_test(tchar, unicode_selects_the_w_functions_and_wide_tchar);
    tcase_add_test(tchar, stprintf_s_takes_a_wchar_string_and_hs_a_narrow_one);
    tcase_add_test(tchar, tprintf_l_size_is_32_bits_as_on_windows);
    tcase_add_test(tchar, tprintf_i64_i32_and_i_sizes_are_understood);
    tcase_add_test(tchar, tprintf_width_precision_and_flags_apply_to_strings_and_numbers);
    tcase_add_test(tchar, tprintf_null_string_prints_null);
    tcase_add_test(tchar, stprintf_counts_wchar_units_of_non_ascii_text);
    tcase_add_test(tchar, sntprintf_truncates_terminates_and_returns_minus_one);
    tcase_add_test(tchar, ftprintf_writes_utf8_to_a_byte_stream);
    tcase_add_test(tchar, tchar_narrow_mode_in_cxx_uses_windows_format_semantics);
    tcase_add_loop_test(tchar, tcscmp_and_tcsncmp_order_like_the_c_library, 0,
                        N_ROWS(compare_pairs));
    tcase_add_test(tchar, tcsicmp_ignores_ascii_case);
    tcase_add_test(tchar, tcs_copy_concatenate_and_search);
    tcase_add_test(tchar, tcsdup_returns_a_malloced_copy);
    tcase_add_test(tchar, tcscpy_s_too_small_returns_erange_and_empties_the_destination);
    tcase_add_test(tchar, ttoi_and_tcstol_parse_the_leading_number);
    suite_add_tcase(s, tchar);

    tcase_add_test(intrin, interlocked_operations_return_what_msvc_returns);
    tcase_add_test(intrin, interlocked_increment_is_atomic_across_threads);
    tcase_add_loop_test(intrin, bitscan_finds_the_lowest_and_highest_set_bit, 0, N_ROWS(scans));
    tcase_add_test(intrin, bitscan_of_zero_returns_0_and_leaves_the_index);
    tcase_add_test(intrin, popcnt_byteswap_rotate_and_umul_compute_msvc_results);
    tcase_add_test(intrin, barriers_pause_and_timestamp_counter_are_callable);
    tcase_add_test(intrin, debugbreak_raises_a_breakpoint_trap);
    suite_add_tcase(s, intrin);
    return s;
}

int main(void)
{
    return tu_run(headers_suite());
}
