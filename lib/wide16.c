/*
 * wide16.c - UTF-16 entry points for programs compiled with -fshort-wchar.
 *
 * Why. WCHAR is wchar_t, and the library is built with the host's wchar_t
 * (4 bytes, UTF-32), so its W functions read UTF-32 and fill a
 * WIN32_FIND_DATAW with 4-byte names. A Windows program ported with
 * -fshort-wchar writes L"..." as UTF-16; in such a translation unit
 * winbase.h renames each W function that takes or returns WCHAR data to the
 * iore_u16_ function of the same name here.
 *
 * How. Each entry point converts its UTF-16 arguments (uint16_t units,
 * surrogate pairs) to the library's WCHAR, calls the library's own W
 * function, and converts what comes back to UTF-16: the W function's
 * rules (parameter checks, path mapping, errors, the last error it sets on
 * success) are the rules here, with no second implementation to drift.
 * The conversions follow the library's width, so this file is right also in
 * a library built with -fshort-wchar (a copy then).
 *
 * Emulator decision: an unpaired surrogate (a high surrogate not followed
 * by a low one, a low one not preceded by a high one) makes the call fail
 * with ERROR_INVALID_NAME before the W function runs, for every name,
 * whether it is a path, an event name or a module name. (Windows would
 * take such a name as 16-bit units; a host path must be valid UTF-8.)
 *
 * Output parameters are written only on success, as by the W functions.
 * Nothing here keeps state or takes a lock.
 */
#include "config.h"
#include "iore.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WCHAR_IS_UTF16 (__SIZEOF_WCHAR_T__ == 2)

/* The 2-byte WIN32_FIND_DATAW is Windows' own layout: 592 bytes, names at
 * 44 and 564. tests/check_wide16.c asserts the same numbers of the header's
 * WIN32_FIND_DATAW compiled with -fshort-wchar, which ties the two. */
_Static_assert(sizeof(struct iore__find_data16) == 592, "2-byte WIN32_FIND_DATAW size");
_Static_assert(offsetof(struct iore__find_data16, cFileName) == 44, "cFileName offset");
_Static_assert(offsetof(struct iore__find_data16, cAlternateFileName) == 564,
               "cAlternateFileName offset");
_Static_assert(offsetof(struct iore__find_data16, cFileName) ==
               offsetof(WIN32_FIND_DATAA, cFileName), "fixed fields as in WIN32_FIND_DATAA");
/* A found name is a host name of at most NAME_MAX bytes of UTF-8, and UTF-16
 * never needs more units than UTF-8 has bytes: it always fits cFileName. */
_Static_assert(NAME_MAX < MAX_PATH, "every host name fits the 2-byte cFileName");

static int is_high(uint32_t u) { return u >= 0xD800 && u <= 0xDBFF; }
static int is_low(uint32_t u) { return u >= 0xDC00 && u <= 0xDFFF; }

/* ------------------------------------------------------------------ UTF-16 -> WCHAR */

/* The units of s that make its first code point: 2 for a surrogate pair, 1
 * otherwise, 0 for an unpaired surrogate. s[0] is not the NUL, so s[1] is
 * at most the terminator and may be read. */
static size_t u16_units(const uint16_t *s)
{
    if (is_high(s[0]))
        return is_low(s[1]) ? 2 : 0;
    return is_low(s[0]) ? 0 : 1;
}

/* s as the library's WCHAR string, malloc'd, in *out (NULL stays NULL).
 * Returns 0, -EILSEQ for an unpaired surrogate, or -ENOMEM. */
static int widen(const uint16_t *s, WCHAR **out)
{
    *out = NULL;
    if (!s)
        return 0;
    size_t n = 0;
    while (s[n])
        n++;
    /* Never more WCHAR units than UTF-16 units, in either width. */
    WCHAR *w = n < SIZE_MAX / sizeof *w ? malloc((n + 1) * sizeof *w) : NULL;
    if (!w)
        return -ENOMEM;
    size_t j = 0;
    for (size_t i = 0, used; i < n; i += used) {
        used = u16_units(s + i);
        if (!used) {
            free(w);
            return -EILSEQ;
        }
        if (used == 2 && !WCHAR_IS_UTF16)
            w[j++] = (WCHAR)(0x10000 + ((uint32_t)(s[i] - 0xD800) << 10) + (s[i + 1] - 0xDC00));
        else
            for (size_t k = 0; k < used; k++)
                w[j++] = (WCHAR)s[i + k];
    }
    w[j] = 0;
    *out = w;
    return 0;
}

/* Converts a caller's name, or sets the last error and returns -1 (the
 * unpaired-surrogate rule of the header; op names the call for an
 * allocation failure). A NULL name stays NULL for the W function to judge. */
static int widen_name(const uint16_t *s, WCHAR **out, const char *op)
{
    int err = widen(s, out);
    if (err == -EILSEQ)
        iore__fail(ERROR_INVALID_NAME);
    else if (err)
        iore__fail_errno(-err, op);
    return err ? -1 : 0;
}

/* ------------------------------------------------------------------ WCHAR -> UTF-16 */

/* Writes one WCHAR unit as UTF-16 into out (room for 2); returns the units. */
static size_t narrow_unit(WCHAR c, uint16_t *out)
{
    uint32_t cp = (uint32_t)c;
    if (!WCHAR_IS_UTF16 && cp >= 0x10000) {
        out[0] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
        out[1] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
        return 2;
    }
    out[0] = (uint16_t)cp;
    return 1;
}

/* The UTF-16 length of w in units, without the NUL. The library's WCHAR
 * strings are valid (its W functions produce them from UTF-8). */
static size_t u16_len_of(const WCHAR *w)
{
    size_t n = 0;
    for (; *w; w++)
        n += !WCHAR_IS_UTF16 && (uint32_t)*w >= 0x10000 ? 2 : 1;
    return n;
}

/* Writes w as UTF-16 with its NUL into out, cap units (cap >= 1). Stops
 * before a code point that would not fit with the NUL, so it never writes
 * outside out; callers size out from u16_len_of() or by the invariant above. */
static void narrow(const WCHAR *w, uint16_t *out, size_t cap)
{
    uint16_t units[2];
    size_t j = 0;
    for (; *w; w++) {
        size_t n = narrow_unit(*w, units);
        if (j + n >= cap)
            break;
        memcpy(out + j, units, n * sizeof *units);
        j += n;
    }
    out[j] = 0;
}

/* The library's WIN32_FIND_DATAW in the 2-byte layout. */
static void find_data_to16(const WIN32_FIND_DATAW *w, struct iore__find_data16 *out)
{
    struct iore__find_data16 d = {
        .dwFileAttributes = w->dwFileAttributes,
        .ftCreationTime = w->ftCreationTime,
        .ftLastAccessTime = w->ftLastAccessTime,
        .ftLastWriteTime = w->ftLastWriteTime,
        .nFileSizeHigh = w->nFileSizeHigh,
        .nFileSizeLow = w->nFileSizeLow,
        .dwReserved0 = w->dwReserved0,
        .dwReserved1 = w->dwReserved1,
    };
    narrow(w->cFileName, d.cFileName, MAX_PATH);
    narrow(w->cAlternateFileName, d.cAlternateFileName, 14);
    *out = d;
}

/* ------------------------------------------------------------------ files */

IORE_API HANDLE WINAPI iore_u16_CreateFileW(const uint16_t *lpFileName, DWORD dwDesiredAccess,
                                            DWORD dwShareMode,
                                            LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                            DWORD dwCreationDisposition,
                                            DWORD dwFlagsAndAttributes, HANDLE hTemplateFile)
{
    WCHAR *name;
    if (widen_name(lpFileName, &name, "CreateFileW") < 0)
        return INVALID_HANDLE_VALUE;
    HANDLE h = CreateFileW(name, dwDesiredAccess, dwShareMode, lpSecurityAttributes,
                           dwCreationDisposition, dwFlagsAndAttributes, hTemplateFile);
    free(name);
    return h;
}

IORE_API BOOL WINAPI iore_u16_DeleteFileW(const uint16_t *lpFileName)
{
    WCHAR *name;
    if (widen_name(lpFileName, &name, "DeleteFileW") < 0)
        return FALSE;
    BOOL ok = DeleteFileW(name);
    free(name);
    return ok;
}

IORE_API DWORD WINAPI iore_u16_GetFileAttributesW(const uint16_t *lpFileName)
{
    WCHAR *name;
    if (widen_name(lpFileName, &name, "GetFileAttributesW") < 0)
        return INVALID_FILE_ATTRIBUTES;
    DWORD attr = GetFileAttributesW(name);
    free(name);
    return attr;
}

IORE_API HANDLE WINAPI iore_u16_FindFirstFileW(const uint16_t *lpFileName,
                                               struct iore__find_data16 *lpFindFileData)
{
    WIN32_FIND_DATAW data;
    WCHAR *name;
    if (widen_name(lpFileName, &name, "FindFirstFileW") < 0)
        return INVALID_HANDLE_VALUE;
    /* A NULL lpFindFileData goes through as NULL: the W function rejects it. */
    HANDLE h = FindFirstFileW(name, lpFindFileData ? &data : NULL);
    free(name);
    if (h != INVALID_HANDLE_VALUE && lpFindFileData)
        find_data_to16(&data, lpFindFileData);
    return h;
}

IORE_API BOOL WINAPI iore_u16_FindNextFileW(HANDLE hFindFile,
                                            struct iore__find_data16 *lpFindFileData)
{
    WIN32_FIND_DATAW data;
    if (!FindNextFileW(hFindFile, lpFindFileData ? &data : NULL))
        return FALSE;
    find_data_to16(&data, lpFindFileData);
    return TRUE;
}

/* The library's temporary directory as a WCHAR string (malloc'd), or NULL
 * with the last error set. Asked for the size first; if the directory grew
 * between the two calls (TMPDIR changed), asked again. */
static WCHAR *temp_path(void)
{
    DWORD need = GetTempPathW(0, NULL); /* units with the NUL, or 0: failed */
    while (need) {
        WCHAR *w = malloc((size_t)need * sizeof *w);
        if (!w) {
            iore__fail_errno(ENOMEM, "GetTempPathW");
            return NULL;
        }
        DWORD got = GetTempPathW(need, w);
        if (got && got < need)
            return w;
        free(w);
        need = got;
    }
    return NULL;
}

/* Windows' rules in UTF-16 units: a buffer of more units than the path
 * gets the path and its NUL and the return is the path's length; otherwise
 * the buffer is untouched and the return is the size needed, NUL included. */
IORE_API DWORD WINAPI iore_u16_GetTempPathW(DWORD nBufferLength, uint16_t *lpBuffer)
{
    WCHAR *w = temp_path();
    if (!w)
        return 0;
    size_t len = u16_len_of(w);
    DWORD ret = len >= UINT32_MAX ? 0 : (DWORD)len + 1;
    if (!ret) {
        iore__fail(ERROR_FILENAME_EXCED_RANGE);
    } else if (nBufferLength > len && !lpBuffer) {
        iore__fail(ERROR_INVALID_PARAMETER);
        ret = 0;
    } else if (nBufferLength > len) {
        narrow(w, lpBuffer, nBufferLength);
        ret = (DWORD)len;
    }
    free(w);
    return ret;
}

/* ------------------------------------------------------------------ events, modules, strings */

IORE_API HANDLE WINAPI iore_u16_CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes,
                                             BOOL bManualReset, BOOL bInitialState,
                                             const uint16_t *lpName)
{
    WCHAR *name;
    if (widen_name(lpName, &name, "CreateEventW") < 0)
        return NULL;
    /* The last error CreateEventW leaves (0 or ERROR_ALREADY_EXISTS) is the
     * caller's: nothing after it may set another. */
    HANDLE h = CreateEventW(lpEventAttributes, bManualReset, bInitialState, name);
    free(name);
    return h;
}

IORE_API HMODULE WINAPI iore_u16_LoadLibraryW(const uint16_t *lpLibFileName)
{
    WCHAR *name;
    if (widen_name(lpLibFileName, &name, "LoadLibraryW") < 0)
        return NULL;
    HMODULE h = LoadLibraryW(name);
    free(name);
    return h;
}

IORE_API HMODULE WINAPI iore_u16_GetModuleHandleW(const uint16_t *lpModuleName)
{
    WCHAR *name;
    if (widen_name(lpModuleName, &name, "GetModuleHandleW") < 0)
        return NULL;
    HMODULE h = GetModuleHandleW(name);
    free(name);
    return h;
}

/* UTF-16 units, a surrogate pair counting 2, as lstrlenW counts on Windows. */
IORE_API int WINAPI iore_u16_lstrlenW(const uint16_t *lpString)
{
    if (!lpString)
        return 0;
    size_t n = 0;
    while (lpString[n] && n < INT_MAX)
        n++;
    return (int)n;
}
