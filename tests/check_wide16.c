/*
 * check_wide16.c - a Windows program compiled with -fshort-wchar (WCHAR is
 * 2 bytes, L"..." is UTF-16 as on Windows) and linked with the normally
 * built library: every function taking or returning WCHAR data works in
 * UTF-16 units, surrogate pairs included, and WIN32_FIND_DATAW has Windows'
 * 2-byte layout.
 *
 * Built with -fshort-wchar (Makefile.am); the _Static_assert below stops a
 * build without it. Names mix Latin-1 (U+00E9), the BMP (U+20AC) and a
 * character outside it (U+1F600, a surrogate pair in UTF-16, 4 bytes in
 * UTF-8). POSIX appears only to look at what the host has on disk.
 */
#define _GNU_SOURCE
#define UNICODE
#include <windows.h>
#include <ioringapi.h>

#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

_Static_assert(sizeof(WCHAR) == 2, "this suite is compiled with -fshort-wchar");
/* Windows' WIN32_FIND_DATAW (what the library fills for this program). */
_Static_assert(sizeof(WIN32_FIND_DATAW) == 592, "WIN32_FIND_DATAW size");
_Static_assert(offsetof(WIN32_FIND_DATAW, cFileName) == 44, "cFileName offset");
_Static_assert(offsetof(WIN32_FIND_DATAW, cAlternateFileName) == 564, "cAlternateFileName offset");

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SENTINEL_W ((WCHAR)0xA5A5)
#define SENTINEL_ERR 0xA5A5A5A5u

/* The same name as UTF-16 and as the UTF-8 the host must see. */
#define NAME_W L"caf\u00e9-\u20ac-\U0001F600.txt"
#define NAME_8 u8"caf\u00e9-\u20ac-\U0001F600.txt"
#define NAME_UNITS 13 /* "café-€-" 7, the pair 2, ".txt" 4 */

/* ------------------------------------------------------------------ helpers */

static size_t wlen(const WCHAR *w)
{
    size_t n = 0;
    while (w[n])
        n++;
    return n;
}

static int wsame(const WCHAR *a, const WCHAR *b)
{
    size_t n = wlen(a);
    return n == wlen(b) && memcmp(a, b, n * sizeof *a) == 0;
}

/* dir (ASCII, a host path) + '\' + name, as a malloc'd WCHAR path. */
static WCHAR *wpath(const char *dir, const WCHAR *name)
{
    size_t d = strlen(dir), n = wlen(name);
    WCHAR *w = malloc((d + 1 + n + 1) * sizeof *w);
    ck_assert_ptr_nonnull(w);
    for (size_t i = 0; i < d; i++) {
        ck_assert_msg((unsigned char)dir[i] < 0x80, "scratch path %s is not ASCII", dir);
        w[i] = (WCHAR)dir[i];
    }
    w[d] = L'\\';
    memcpy(w + d + 1, name, (n + 1) * sizeof *w);
    return w;
}

/* A new empty scratch directory (host path, malloc'd). */
static char *scratch_subdir(const char *stem)
{
    char *dir = strdup(tu_path(stem));
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    return dir;
}

/* dir + "/" + name (UTF-8), malloc'd. */
static char *host_join(const char *dir, const char *name)
{
    char *p = NULL;
    ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
    return p;
}

static void make_host_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    fputs(content, f);
    fclose(f);
}

/* ------------------------------------------------------------------ CreateFileW, DeleteFileW, GetFileAttributesW */

START_TEST(createfilew_non_ascii_name_creates_that_utf8_name_on_disk)
{
    char *dir = scratch_subdir("create");
    WCHAR *path = wpath(dir, NAME_W);
    HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
    ck_assert_msg(h != INVALID_HANDLE_VALUE, "CreateFileW: error %lu", (unsigned long)GetLastError());
    ck_assert(CloseHandle(h));

    char *host = host_join(dir, NAME_8);
    struct stat st;
    ck_assert_msg(stat(host, &st) == 0, "%s not on disk: %s", host, strerror(errno));
    ck_assert(S_ISREG(st.st_mode));
    free(host);
    free(path);
    free(dir);
}
END_TEST

START_TEST(createfilew_opens_file_the_host_created_under_the_utf8_name)
{
    char *dir = scratch_subdir("open");
    char *host = host_join(dir, NAME_8);
    make_host_file(host, "xyz");
    WCHAR *path = wpath(dir, NAME_W);

    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    ck_assert_msg(h != INVALID_HANDLE_VALUE, "CreateFileW: error %lu", (unsigned long)GetLastError());
    char buf[8];
    DWORD got = 0;
    ck_assert(ReadFile(h, buf, sizeof buf, &got, NULL));
    ck_assert_uint_eq(got, 3);
    ck_assert_mem_eq(buf, "xyz", 3);
    CloseHandle(h);
    free(path);
    free(host);
    free(dir);
}
END_TEST

START_TEST(createfilew_null_name_fails_with_error_invalid_parameter)
{
    SetLastError(SENTINEL_ERR);
    HANDLE h = CreateFileW(NULL, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    ck_assert(h == INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}
END_TEST

START_TEST(deletefilew_removes_file_with_non_ascii_name)
{
    char *dir = scratch_subdir("delete");
    char *host = host_join(dir, NAME_8);
    make_host_file(host, "x");
    WCHAR *path = wpath(dir, NAME_W);

    ck_assert_msg(DeleteFileW(path), "DeleteFileW: error %lu", (unsigned long)GetLastError());
    struct stat st;
    ck_assert_int_eq(stat(host, &st), -1);
    ck_assert_int_eq(errno, ENOENT);
    free(path);
    free(host);
    free(dir);
}
END_TEST

START_TEST(deletefilew_missing_non_ascii_name_fails_with_error_file_not_found)
{
    char *dir = scratch_subdir("delmiss");
    WCHAR *path = wpath(dir, NAME_W);
    SetLastError(SENTINEL_ERR);
    ck_assert(!DeleteFileW(path));
    ck_assert_uint_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    free(path);
    free(dir);
}
END_TEST

START_TEST(getfileattributesw_of_non_ascii_file_is_archive)
{
    char *dir = scratch_subdir("attr");
    char *host = host_join(dir, NAME_8);
    make_host_file(host, "x");
    WCHAR *path = wpath(dir, NAME_W);

    ck_assert_uint_eq(GetFileAttributesW(path), FILE_ATTRIBUTE_ARCHIVE);
    free(path);
    free(host);
    free(dir);
}
END_TEST

START_TEST(getfileattributesw_of_non_ascii_directory_is_directory)
{
    char *dir = scratch_subdir("attrdir");
    char *host = host_join(dir, NAME_8);
    ck_assert_int_eq(mkdir(host, 0700), 0);
    WCHAR *path = wpath(dir, NAME_W);

    ck_assert_uint_eq(GetFileAttributesW(path), FILE_ATTRIBUTE_DIRECTORY);
    free(path);
    free(host);
    free(dir);
}
END_TEST

START_TEST(unicode_generic_names_reach_the_utf16_functions)
{
    /* CreateFile, GetFileAttributes, DeleteFile under UNICODE, as Windows
     * code spells them. */
    char *dir = scratch_subdir("generic");
    WCHAR *path = wpath(dir, NAME_W);
    HANDLE h = CreateFile(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
    ck_assert(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    ck_assert_uint_eq(GetFileAttributes(path), FILE_ATTRIBUTE_ARCHIVE);
    ck_assert(DeleteFile(path));
    ck_assert_uint_eq(GetFileAttributes(path), INVALID_FILE_ATTRIBUTES);
    free(path);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------------ FindFirstFileW, FindNextFileW */

/* Enumerates pattern; counts ".", ".." and entries named name (which must
 * have size 3 and ARCHIVE), and checks the search ends with
 * ERROR_NO_MORE_FILES. */
static void enumerate(const WCHAR *pattern, const WCHAR *name, int *dots, int *hits)
{
    WIN32_FIND_DATAW fd;
    *dots = *hits = 0;
    HANDLE h = FindFirstFileW(pattern, &fd);
    ck_assert_msg(h != INVALID_HANDLE_VALUE, "FindFirstFileW: error %lu", (unsigned long)GetLastError());
    do {
        if (wsame(fd.cFileName, L".") || wsame(fd.cFileName, L".."))
            (*dots)++;
        else if (wsame(fd.cFileName, name)) {
            (*hits)++;
            ck_assert_uint_eq(fd.dwFileAttributes, FILE_ATTRIBUTE_ARCHIVE);
            ck_assert_uint_eq(fd.nFileSizeLow, 3);
            ck_assert_uint_eq(fd.nFileSizeHigh, 0);
        } else
            ck_abort_msg("unexpected entry of %u units", (unsigned)wlen(fd.cFileName));
        SetLastError(SENTINEL_ERR);
    } while (FindNextFileW(h, &fd));
    ck_assert_uint_eq(GetLastError(), ERROR_NO_MORE_FILES);
    ck_assert(FindClose(h));
}

START_TEST(findfirstfilew_findnextfilew_return_non_ascii_name_in_utf16)
{
    char *dir = scratch_subdir("find");
    char *host = host_join(dir, NAME_8);
    make_host_file(host, "abc");
    WCHAR *pattern = wpath(dir, L"*");
    int dots, hits;

    enumerate(pattern, NAME_W, &dots, &hits);
    ck_assert_int_eq(dots, 2);
    ck_assert_int_eq(hits, 1);
    free(pattern);
    free(host);
    free(dir);
}
END_TEST

START_TEST(findfirstfilew_non_ascii_pattern_matches_the_name)
{
    char *dir = scratch_subdir("findpat");
    char *host = host_join(dir, NAME_8);
    make_host_file(host, "abc");
    WCHAR *pattern = wpath(dir, L"caf\u00e9-?-\U0001F600*");
    int dots, hits;

    enumerate(pattern, NAME_W, &dots, &hits);
    ck_assert_int_eq(dots, 0);
    ck_assert_int_eq(hits, 1);
    free(pattern);
    free(host);
    free(dir);
}
END_TEST

START_TEST(findfirstfilew_failure_leaves_find_data_untouched)
{
    char *dir = scratch_subdir("findmiss");
    WCHAR *pattern = wpath(dir, L"missing\\*");
    WIN32_FIND_DATAW fd, before;
    memset(&fd, 0xA5, sizeof fd);
    before = fd;

    SetLastError(SENTINEL_ERR);
    ck_assert(FindFirstFileW(pattern, &fd) == INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    ck_assert_mem_eq(&fd, &before, sizeof fd);
    free(pattern);
    free(dir);
}
END_TEST

START_TEST(findnextfilew_at_end_leaves_find_data_untouched)
{
    char *dir = scratch_subdir("findend");
    char *host = host_join(dir, NAME_8);
    make_host_file(host, "abc");
    WCHAR *pattern = wpath(dir, NAME_W);
    WIN32_FIND_DATAW fd, before;

    HANDLE h = FindFirstFileW(pattern, &fd);
    ck_assert(h != INVALID_HANDLE_VALUE);
    ck_assert(wsame(fd.cFileName, NAME_W));
    memset(&fd, 0xA5, sizeof fd);
    before = fd;
    SetLastError(SENTINEL_ERR);
    ck_assert(!FindNextFileW(h, &fd));
    ck_assert_uint_eq(GetLastError(), ERROR_NO_MORE_FILES);
    ck_assert_mem_eq(&fd, &before, sizeof fd);
    FindClose(h);
    free(pattern);
    free(host);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------------ GetTempPathW */

/* Points TMPDIR at a new non-ASCII directory; returns GetTempPathW's
 * expected result (malloc'd): that directory, '\' for the host's '/', and
 * the trailing separator. Each test runs in its own process (CK_FORK). */
static WCHAR *non_ascii_tmpdir(void)
{
    char *dir = scratch_subdir("tmp");
    char *host = host_join(dir, u8"t\u00e9mp-\U0001F600");
    ck_assert_int_eq(mkdir(host, 0700), 0);
    ck_assert_int_eq(setenv("TMPDIR", host, 1), 0);
    WCHAR *w = wpath(dir, L"t\u00e9mp-\U0001F600/");
    for (WCHAR *p = w; *p; p++)
        if (*p == L'\\')
            *p = L'/';
    free(host);
    free(dir);
    return w;
}

START_TEST(gettemppathw_returns_tmpdir_in_utf16_with_trailing_slash)
{
    WCHAR *expect = non_ascii_tmpdir();
    WCHAR buf[MAX_PATH * 2];
    DWORD len = GetTempPathW(N(buf), buf);
    ck_assert_uint_eq(len, wlen(expect));
    ck_assert(wsame(buf, expect));
    free(expect);
}
END_TEST

START_TEST(gettemppathw_buffer_one_short_returns_units_needed_and_leaves_buffer)
{
    WCHAR *expect = non_ascii_tmpdir();
    size_t units = wlen(expect); /* the surrogate pair counts 2 */
    WCHAR buf[MAX_PATH * 2];
    for (size_t i = 0; i < N(buf); i++)
        buf[i] = SENTINEL_W;

    DWORD need = GetTempPathW((DWORD)units, buf); /* no room for the NUL */
    ck_assert_uint_eq(need, units + 1);
    for (size_t i = 0; i < N(buf); i++)
        ck_assert_uint_eq(buf[i], SENTINEL_W);
    free(expect);
}
END_TEST

START_TEST(gettemppathw_buffer_of_units_needed_gets_path_and_nul)
{
    WCHAR *expect = non_ascii_tmpdir();
    DWORD need = GetTempPathW(0, NULL);
    ck_assert_uint_eq(need, wlen(expect) + 1);
    WCHAR *buf = malloc((need + 1) * sizeof *buf);
    ck_assert_ptr_nonnull(buf);
    buf[need] = SENTINEL_W;

    ck_assert_uint_eq(GetTempPathW(need, buf), need - 1);
    ck_assert(wsame(buf, expect));
    ck_assert_uint_eq(buf[need], SENTINEL_W);
    free(buf);
    free(expect);
}
END_TEST

/* ------------------------------------------------------------------ CreateEventW */

#define EVENT_W L"wide16-\u00e9v\U0001F600"
#define EVENT_8 u8"wide16-\u00e9v\U0001F600"

START_TEST(createeventw_name_is_the_event_createeventa_names_in_utf8)
{
    SetLastError(SENTINEL_ERR);
    HANDLE w = CreateEventW(NULL, TRUE, FALSE, EVENT_W);
    ck_assert_ptr_nonnull(w);
    ck_assert_uint_eq(GetLastError(), ERROR_SUCCESS);

    HANDLE a = CreateEventA(NULL, TRUE, FALSE, EVENT_8);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(GetLastError(), ERROR_ALREADY_EXISTS);
    ck_assert(SetEvent(a));
    ck_assert_uint_eq(WaitForSingleObject(w, 0), WAIT_OBJECT_0);
    CloseHandle(a);
    CloseHandle(w);
}
END_TEST

START_TEST(createeventw_same_name_twice_sets_error_already_exists)
{
    HANDLE first = CreateEventW(NULL, FALSE, FALSE, EVENT_W);
    ck_assert_ptr_nonnull(first);
    SetLastError(SENTINEL_ERR);
    HANDLE second = CreateEventW(NULL, FALSE, FALSE, EVENT_W);
    ck_assert_ptr_nonnull(second);
    ck_assert_uint_eq(GetLastError(), ERROR_ALREADY_EXISTS);
    ck_assert(SetEvent(second));
    ck_assert_uint_eq(WaitForSingleObject(first, 0), WAIT_OBJECT_0);
    CloseHandle(second);
    CloseHandle(first);
}
END_TEST

/* ------------------------------------------------------------------ LoadLibraryW, GetModuleHandleW */

START_TEST(loadlibraryw_kernelbase_exports_createioring)
{
    HMODULE m = LoadLibraryW(L"kernelbase.dll");
    ck_assert_ptr_nonnull(m);
    FARPROC p = GetProcAddress(m, "CreateIoRing");
    ck_assert_ptr_eq((void *)(uintptr_t)p, (void *)(uintptr_t)(void (*)(void))CreateIoRing);
    ck_assert(FreeLibrary(m));
}
END_TEST

START_TEST(getmodulehandlew_kernel32_is_the_module_loadlibraryw_returns)
{
    HMODULE loaded = LoadLibraryW(L"KERNEL32.DLL");
    ck_assert_ptr_nonnull(loaded);
    ck_assert_ptr_eq(GetModuleHandleW(L"kernel32"), loaded);
    FreeLibrary(loaded);
}
END_TEST

START_TEST(getmodulehandlew_unknown_non_ascii_module_fails_with_error_mod_not_found)
{
    SetLastError(SENTINEL_ERR);
    ck_assert_ptr_null(GetModuleHandleW(L"k\u00e9rnel\U0001F600.dll"));
    ck_assert_uint_eq(GetLastError(), ERROR_MOD_NOT_FOUND);
}
END_TEST

/* ------------------------------------------------------------------ lstrlenW */

START_TEST(lstrlenw_counts_utf16_units_a_surrogate_pair_as_two)
{
    ck_assert_int_eq(lstrlenW(L"a\U0001F600\u00e9"), 4);
    ck_assert_int_eq(lstrlen(NAME_W), NAME_UNITS);
    ck_assert_int_eq(lstrlenW(L""), 0);
}
END_TEST

START_TEST(lstrlenw_of_null_is_zero)
{
    ck_assert_int_eq(lstrlenW(NULL), 0);
}
END_TEST

/* ------------------------------------------------------------------ unpaired surrogates */

/* Bad UTF-16 name tails: a high surrogate before a non-surrogate, a lone
 * low surrogate, a high surrogate at the end, a pair in the wrong order. */
static const WCHAR bad_tails[][4] = {
    { L'a', 0xD800, L'b', 0 },
    { L'a', 0xDC00, 0 },
    { L'a', 0xD83D, 0 },
    { 0xDE00, 0xD83D, 0 },
};

enum { CALL_CREATEFILE, CALL_DELETEFILE, CALL_GETATTR, CALL_FINDFIRST, CALL_CREATEEVENT,
       CALL_LOADLIBRARY, CALL_GETMODULE, CALL_COUNT };

/* Makes call c with name; returns 1 when it reported failure, leaving
 * outputs as they were. */
static int call_fails(int c, const WCHAR *name)
{
    WIN32_FIND_DATAW fd, before;
    memset(&fd, 0xA5, sizeof fd);
    before = fd;
    switch (c) {
    case CALL_CREATEFILE:
        return CreateFileW(name, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL) ==
               INVALID_HANDLE_VALUE;
    case CALL_DELETEFILE: return !DeleteFileW(name);
    case CALL_GETATTR: return GetFileAttributesW(name) == INVALID_FILE_ATTRIBUTES;
    case CALL_FINDFIRST:
        return FindFirstFileW(name, &fd) == INVALID_HANDLE_VALUE &&
               memcmp(&fd, &before, sizeof fd) == 0;
    case CALL_CREATEEVENT: return CreateEventW(NULL, TRUE, FALSE, name) == NULL;
    case CALL_LOADLIBRARY: return LoadLibraryW(name) == NULL;
    default: return GetModuleHandleW(name) == NULL;
    }
}

START_TEST(unpaired_surrogate_in_a_name_fails_with_error_invalid_name)
{
    int call = _i / (int)N(bad_tails);
    const WCHAR *tail = bad_tails[_i % (int)N(bad_tails)];
    char *dir = scratch_subdir("bad");
    WCHAR *name = wpath(dir, tail);

    SetLastError(SENTINEL_ERR);
    ck_assert_msg(call_fails(call, name), "call %d with tail %d succeeded", call,
                  _i % (int)N(bad_tails));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_NAME);
    ck_assert_int_eq(rmdir(dir), 0); /* nothing was created in it */
    free(name);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------------ runner */

static Suite *wide16_suite(void)
{
    Suite *s = suite_create("wide16");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, createfilew_non_ascii_name_creates_that_utf8_name_on_disk);
    tcase_add_test(tc, createfilew_opens_file_the_host_created_under_the_utf8_name);
    tcase_add_test(tc, createfilew_null_name_fails_with_error_invalid_parameter);
    tcase_add_test(tc, deletefilew_removes_file_with_non_ascii_name);
    tcase_add_test(tc, deletefilew_missing_non_ascii_name_fails_with_error_file_not_found);
    tcase_add_test(tc, getfileattributesw_of_non_ascii_file_is_archive);
    tcase_add_test(tc, getfileattributesw_of_non_ascii_directory_is_directory);
    tcase_add_test(tc, unicode_generic_names_reach_the_utf16_functions);
    suite_add_tcase(s, tc);

    tc = tcase_create("find");
    tcase_add_test(tc, findfirstfilew_findnextfilew_return_non_ascii_name_in_utf16);
    tcase_add_test(tc, findfirstfilew_non_ascii_pattern_matches_the_name);
    tcase_add_test(tc, findfirstfilew_failure_leaves_find_data_untouched);
    tcase_add_test(tc, findnextfilew_at_end_leaves_find_data_untouched);
    suite_add_tcase(s, tc);

    tc = tcase_create("temp_path");
    tcase_add_test(tc, gettemppathw_returns_tmpdir_in_utf16_with_trailing_slash);
    tcase_add_test(tc, gettemppathw_buffer_one_short_returns_units_needed_and_leaves_buffer);
    tcase_add_test(tc, gettemppathw_buffer_of_units_needed_gets_path_and_nul);
    suite_add_tcase(s, tc);

    tc = tcase_create("events_modules_strings");
    tcase_add_test(tc, createeventw_name_is_the_event_createeventa_names_in_utf8);
    tcase_add_test(tc, createeventw_same_name_twice_sets_error_already_exists);
    tcase_add_test(tc, loadlibraryw_kernelbase_exports_createioring);
    tcase_add_test(tc, getmodulehandlew_kernel32_is_the_module_loadlibraryw_returns);
    tcase_add_test(tc, getmodulehandlew_unknown_non_ascii_module_fails_with_error_mod_not_found);
    tcase_add_test(tc, lstrlenw_counts_utf16_units_a_surrogate_pair_as_two);
    tcase_add_test(tc, lstrlenw_of_null_is_zero);
    suite_add_tcase(s, tc);

    tc = tcase_create("unpaired_surrogates");
    tcase_add_loop_test(tc, unpaired_surrogate_in_a_name_fails_with_error_invalid_name, 0,
                        CALL_COUNT * (int)N(bad_tails));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(wide16_suite());
}
