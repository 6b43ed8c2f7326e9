/*
 * minwindef.h - Windows base types with their Windows x64 sizes on LP64 hosts
 * (ioring.md §1.1). LONG/ULONG/DWORD are 32-bit here (never `long`, which is
 * 64-bit on LP64), pointers and *_PTR types are 64-bit, WCHAR is wchar_t so
 * that L"..." compiles unchanged.
 *
 * Include order: this file needs nothing from winnt.h, and pulls winnt.h in
 * at its end (as the SDK does), so either header may be included first.
 */
#ifndef _MINWINDEF_
#define _MINWINDEF_

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#ifdef __cplusplus
#define IORE_EXTERN_C_BEGIN extern "C" {
#define IORE_EXTERN_C_END }
#else
#define IORE_EXTERN_C_BEGIN
#define IORE_EXTERN_C_END
#endif

/* Calling-convention words mean nothing on a native System V build
 * (ioring.md §1.1, Emulator decision: no ms_abi). */
#define WINAPI
#define WINAPIV
#define APIENTRY
#define CALLBACK
#define PASCAL
#ifndef __stdcall
#define __stdcall
#endif
#ifndef __cdecl
#define __cdecl
#endif
#define FAR
#define NEAR
#define CONST const
#define VOID void
#ifndef WINBASEAPI
#define WINBASEAPI
#endif
#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif

typedef int BOOL, *PBOOL, *LPBOOL;
typedef int WINBOOL;
typedef unsigned char BYTE, *PBYTE, *LPBYTE;
typedef unsigned char UCHAR, *PUCHAR;
typedef unsigned char BOOLEAN, *PBOOLEAN;
typedef uint16_t WORD, *PWORD, *LPWORD;
typedef uint16_t USHORT, *PUSHORT;
typedef int16_t SHORT, *PSHORT;
typedef uint32_t DWORD, *PDWORD, *LPDWORD;
typedef int INT, *PINT, *LPINT;
typedef unsigned int UINT, *PUINT;
typedef int32_t LONG, *PLONG, *LPLONG;
typedef uint32_t ULONG, *PULONG;
typedef float FLOAT, *PFLOAT;
typedef void *LPVOID, *PVOID;
typedef const void *LPCVOID, *PCVOID;

#ifndef FALSE
#define FALSE 0
#endif
#ifndef TRUE
#define TRUE 1
#endif
#define MAX_PATH 260

#define MAKEWORD(a, b) ((WORD)(((BYTE)(a)) | ((WORD)((BYTE)(b))) << 8))
#define MAKELONG(a, b) ((LONG)(((WORD)(a)) | ((DWORD)((WORD)(b))) << 16))
#define LOWORD(l) ((WORD)((DWORD)(l) & 0xffff))
#define HIWORD(l) ((WORD)((DWORD)(l) >> 16))
#define LOBYTE(w) ((BYTE)((w) & 0xff))
#define HIBYTE(w) ((BYTE)(((WORD)(w)) >> 8))
/* The SDK defines min/max for C++ too; here C only, because libstdc++
 * (unlike the MSVC STL) does not guard its own min/max against the macros. */
#if !defined(__cplusplus) && !defined(NOMINMAX)
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#endif

typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;

/* Module handles are plain pointers (the SDK's non-STRICT form), so that
 * HMODULE and HANDLE convert freely as most Windows code assumes. */
typedef void *HINSTANCE;
typedef HINSTANCE HMODULE;
/* GetProcAddress's result, which callers cast to the real function type.
 * The SDK returns INT_PTR; void(void) is used instead because it is the one
 * function type GCC and Clang let such a cast convert to without a
 * -Wcast-function-type warning (part of -Wextra), so the usual
 * `(PFN_X)GetProcAddress(m, "X")` compiles cleanly under -Werror. */
typedef void (*FARPROC)(void);
typedef void (*NEARPROC)(void);
typedef void (*PROC)(void);

#include <winnt.h>

#endif /* _MINWINDEF_ */
