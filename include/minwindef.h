/*
 * minwindef.h - Windows base types with their Windows x64 sizes on LP64 hosts.
 * LONG/ULONG/DWORD/HRESULT are 32-bit here (never `long`), pointers and
 * *_PTR types are 64-bit, WCHAR is wchar_t so that L"..." compiles unchanged.
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

/* Calling-convention words mean nothing on a native System V build. */
#define WINAPI
#define WINAPIV
#define APIENTRY
#define CALLBACK
#define PASCAL
#define __stdcall
#define __cdecl
#define FAR
#define NEAR
#define CONST const
#define VOID void
#ifndef WINBASEAPI
#define WINBASEAPI
#endif
#ifndef IN
#define IN
#define OUT
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
typedef float FLOAT;
typedef void *LPVOID, *PVOID;
typedef const void *LPCVOID, *PCVOID;

#ifndef FALSE
#define FALSE 0
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif
#define MAX_PATH 260

#define MAKEWORD(a, b) ((WORD)(((BYTE)(a)) | ((WORD)((BYTE)(b))) << 8))
#define MAKELONG(a, b) ((LONG)(((WORD)(a)) | ((DWORD)((WORD)(b))) << 16))
#define LOWORD(l) ((WORD)((DWORD)(l) & 0xffff))
#define HIWORD(l) ((WORD)((DWORD)(l) >> 16))
#define LOBYTE(w) ((BYTE)((w) & 0xff))
#define HIBYTE(w) ((BYTE)(((WORD)(w)) >> 8))
#if !defined(__cplusplus) && !defined(NOMINMAX)
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#endif

#include <winnt.h>

typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;

typedef HANDLE HINSTANCE;
typedef HANDLE HMODULE;
typedef INT_PTR (*FARPROC)(void);
typedef INT_PTR (*NEARPROC)(void);
typedef INT_PTR (*PROC)(void);

#endif /* _MINWINDEF_ */
