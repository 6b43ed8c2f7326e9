/*
 * winnt.h - the NT base types the IoRing and Win32 headers use.
 */
#ifndef _WINNT_
#define _WINNT_

#include <minwindef.h>

typedef char CHAR, *PCHAR, *LPCH, *PCH;
typedef signed char INT8, *PINT8;
typedef unsigned char UINT8, *PUINT8;
typedef int16_t INT16, *PINT16;
typedef uint16_t UINT16, *PUINT16;
typedef int32_t INT32, *PINT32;
typedef uint32_t UINT32, *PUINT32;
typedef int64_t INT64, *PINT64;
typedef uint64_t UINT64, *PUINT64;
typedef int32_t LONG32, *PLONG32;
typedef uint32_t ULONG32, *PULONG32, DWORD32, *PDWORD32;
typedef int64_t LONG64, *PLONG64, LONGLONG, *PLONGLONG;
typedef uint64_t ULONG64, *PULONG64, DWORD64, *PDWORD64, ULONGLONG, *PULONGLONG;
typedef uint64_t DWORDLONG, *PDWORDLONG;
typedef intptr_t INT_PTR, *PINT_PTR, LONG_PTR, *PLONG_PTR, SSIZE_T, *PSSIZE_T;
typedef uintptr_t UINT_PTR, *PUINT_PTR, ULONG_PTR, *PULONG_PTR, DWORD_PTR, *PDWORD_PTR;
typedef size_t SIZE_T, *PSIZE_T;
typedef void *PVOID64;

typedef wchar_t WCHAR, *PWCHAR, *LPWCH, *PWCH;
typedef WCHAR *LPWSTR, *PWSTR, *NWPSTR;
typedef const WCHAR *LPCWSTR, *PCWSTR, *LPCWCH, *PCWCH;
typedef CHAR *LPSTR, *PSTR, *NPSTR;
typedef const CHAR *LPCSTR, *PCSTR, *LPCCH, *PCCH;

#ifdef UNICODE
typedef WCHAR TCHAR, *PTCHAR, TBYTE, *PTBYTE;
typedef LPWSTR LPTSTR, PTSTR;
typedef LPCWSTR LPCTSTR, PCTSTR;
#define __TEXT(q) L##q
#else
typedef char TCHAR, *PTCHAR;
typedef unsigned char TBYTE, *PTBYTE;
typedef LPSTR LPTSTR, PTSTR;
typedef LPCSTR LPCTSTR, PCTSTR;
#define __TEXT(q) q
#endif
#define TEXT(q) __TEXT(q)

typedef void *HANDLE, **PHANDLE, **LPHANDLE;
#define DECLARE_HANDLE(name) struct name##__ { int unused; }; typedef struct name##__ *name

typedef int32_t HRESULT;
typedef int32_t NTSTATUS, *PNTSTATUS;
typedef BYTE FCHAR;
typedef WORD FSHORT;
typedef DWORD FLONG;
typedef DWORD ACCESS_MASK, *PACCESS_MASK;
typedef DWORD LCID;

typedef union _LARGE_INTEGER {
    struct { DWORD LowPart; LONG HighPart; } u;
    struct { DWORD LowPart; LONG HighPart; };
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct { DWORD LowPart; DWORD HighPart; } u;
    struct { DWORD LowPart; DWORD HighPart; };
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef union _FILE_SEGMENT_ELEMENT {
    PVOID64 Buffer;
    ULONGLONG Alignment;
} FILE_SEGMENT_ELEMENT, *PFILE_SEGMENT_ELEMENT;

#define MAXUINT8 ((UINT8)~((UINT8)0))
#define MAXUINT16 ((UINT16)~((UINT16)0))
#define MAXUINT32 ((UINT32)~((UINT32)0))
#define MAXUINT64 ((UINT64)~((UINT64)0))
#define MAXINT32 ((INT32)(MAXUINT32 >> 1))
#define MAXINT64 ((INT64)(MAXUINT64 >> 1))
#define MAXDWORD 0xffffffff
#define MAXULONG_PTR (~((ULONG_PTR)0))
#define MAXLONGLONG (0x7fffffffffffffffLL)

/* Access rights. */
#define DELETE 0x00010000L
#define READ_CONTROL 0x00020000L
#define SYNCHRONIZE 0x00100000L
#define STANDARD_RIGHTS_REQUIRED 0x000F0000L
#define GENERIC_READ 0x80000000u
#define GENERIC_WRITE 0x40000000u
#define GENERIC_EXECUTE 0x20000000u
#define GENERIC_ALL 0x10000000u
#define FILE_READ_DATA 0x0001
#define FILE_WRITE_DATA 0x0002
#define FILE_APPEND_DATA 0x0004
#define FILE_READ_ATTRIBUTES 0x0080
#define FILE_WRITE_ATTRIBUTES 0x0100
#define FILE_GENERIC_READ 0x00120089
#define FILE_GENERIC_WRITE 0x00120116
#define FILE_ALL_ACCESS 0x001F01FF

#define FILE_SHARE_READ 0x00000001
#define FILE_SHARE_WRITE 0x00000002
#define FILE_SHARE_DELETE 0x00000004
#define FILE_ATTRIBUTE_READONLY 0x00000001
#define FILE_ATTRIBUTE_HIDDEN 0x00000002
#define FILE_ATTRIBUTE_SYSTEM 0x00000004
#define FILE_ATTRIBUTE_DIRECTORY 0x00000010
#define FILE_ATTRIBUTE_ARCHIVE 0x00000020
#define FILE_ATTRIBUTE_NORMAL 0x00000080
#define FILE_ATTRIBUTE_TEMPORARY 0x00000100

/* Memory. */
#define PAGE_NOACCESS 0x01
#define PAGE_READONLY 0x02
#define PAGE_READWRITE 0x04
#define PAGE_EXECUTE 0x10
#define PAGE_EXECUTE_READ 0x20
#define PAGE_EXECUTE_READWRITE 0x40
#define MEM_COMMIT 0x00001000
#define MEM_RESERVE 0x00002000
#define MEM_DECOMMIT 0x00004000
#define MEM_RELEASE 0x00008000
#define MEM_RESET 0x00080000
#define MEM_LARGE_PAGES 0x20000000

/* C++ code applies these to flag enums, as the SDK does. */
#ifdef __cplusplus
#define DEFINE_ENUM_FLAG_OPERATORS(T) \
    extern "C++" { \
    inline constexpr T operator|(T a, T b) noexcept { return T(((int)a) | ((int)b)); } \
    inline T &operator|=(T &a, T b) noexcept { return (T &)(((int &)a) |= ((int)b)); } \
    inline constexpr T operator&(T a, T b) noexcept { return T(((int)a) & ((int)b)); } \
    inline T &operator&=(T &a, T b) noexcept { return (T &)(((int &)a) &= ((int)b)); } \
    inline constexpr T operator~(T a) noexcept { return T(~((int)a)); } \
    inline constexpr T operator^(T a, T b) noexcept { return T(((int)a) ^ ((int)b)); } \
    inline T &operator^=(T &a, T b) noexcept { return (T &)(((int &)a) ^= ((int)b)); } \
    }
#else
#define DEFINE_ENUM_FLAG_OPERATORS(T)
#endif

#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define C_ASSERT(e) typedef char __C_ASSERT__[(e) ? 1 : -1]
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define ARRAYSIZE(A) (sizeof(A) / sizeof((A)[0]))
#define _countof(A) ARRAYSIZE(A)

#endif /* _WINNT_ */
