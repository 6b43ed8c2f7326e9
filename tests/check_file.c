/*
 * check_file.c - the Win32 file layer as Windows code sees it: CreateFile
 * (dispositions, access, flags, directories, path mapping), ReadFile and
 * WriteFile (file pointer, OVERLAPPED, events, pipes and sockets, faults),
 * sizes and pointers, SetEndOfFile, FlushFileBuffers, DeleteFile,
 * GetFileAttributes, FindFirstFile/FindNextFile/FindClose, GetTempPath,
 * lstrlen, and the POSIX interop extensions.
 *
 * POSIX appears only to build fixtures Windows code would get elsewhere
 * (directories, pipes, permissions) and to look at what the host did
 * (O_DIRECT, O_DSYNC). Two cases need the machine's help: O_DIRECT on the
 * scratch file system and a tmpfs at /dev/shm. Without them main() leaves
 * their test case out, runs the rest, prints why and exits 77.
 */
#define _GNU_SOURCE
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SENTINEL 0xA5A5A5A5u /* a DWORD of memset(..., 0xA5): not TU_SENTINEL */
#define SENTINEL64 INT64_C(0x5A5A5A5A5A5A5A5A)

/* ------------------------------------------------------------------ helpers */

static HANDLE create(const char *path, DWORD access, DWORD disposition, DWORD flags)
{
    return CreateFileA(path, access, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, disposition,
                       flags, NULL);
}

static HANDLE create_rw(const char *path, DWORD disposition)
{
    return create(path, GENERIC_READ | GENERIC_WRITE, disposition, FILE_ATTRIBUTE_NORMAL);
}

/* A scratch file of len pattern bytes, opened read-write. */
static HANDLE pattern_file(size_t len, DWORD flags)
{
    char *path = tu_make_file("pat", len);
    HANDLE h = create(path, GENERIC_READ | GENERIC_WRITE, OPEN_EXISTING, flags);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    free(path);
    return h;
}

static char *dup_path(const char *stem)
{
    char *p = strdup(tu_path(stem));
    ck_assert_ptr_nonnull(p);
    return p;
}

static char *make_dir(const char *stem)
{
    char *p = dup_path(stem);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    return p;
}

/* The same path spelled the Windows way. */
static char *backslashed(const char *host)
{
    char *w = strdup(host);
    for (char *c = w; *c; c++)
        if (*c == '/')
            *c = '\\';
    return w;
}

static int exists(const char *path)
{
    return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES;
}

static LONGLONG pointer_of(HANDLE h)
{
    LARGE_INTEGER zero = { .QuadPart = 0 }, pos = { .QuadPart = SENTINEL64 };
    ck_assert(SetFilePointerEx(h, zero, &pos, FILE_CURRENT));
    return pos.QuadPart;
}

static void seek_to(HANDLE h, LONGLONG pos)
{
    LARGE_INTEGER d = { .QuadPart = pos };
    ck_assert(SetFilePointerEx(h, d, NULL, FILE_BEGIN));
}

static LONGLONG size_of(HANDLE h)
{
    LARGE_INTEGER size = { .QuadPart = SENTINEL64 };
    ck_assert(GetFileSizeEx(h, &size));
    return size.QuadPart;
}

static void write_all(HANDLE h, const void *buf, DWORD len)
{
    DWORD done = SENTINEL;
    ck_assert(WriteFile(h, buf, len, &done, NULL));
    ck_assert_uint_eq(done, len);
}

static int is_signaled(HANDLE ev)
{
    return WaitForSingleObject(ev, 0) == WAIT_OBJECT_0;
}

/* ------------------------------------------------------------------ CreateFile: dispositions */

START_TEST(createfilea_create_new_creates_file_and_clears_last_error)
{
    char *p = dup_path("new");
    SetLastError(SENTINEL);
    HANDLE h = create_rw(p, CREATE_NEW);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_SUCCESS);
    ck_assert_int_eq(size_of(h), 0);
    ck_assert(CloseHandle(h));
    ck_assert(exists(p));
    free(p);
}
END_TEST

START_TEST(createfile_create_new_on_existing_file_fails_with_error_file_exists)
{
    char *p = tu_make_file("exists", 10);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create_rw(p, CREATE_NEW), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_FILE_EXISTS);
    free(p);
}
END_TEST

START_TEST(createfile_create_always_on_existing_file_truncates_and_sets_error_already_exists)
{
    char *p = tu_make_file("always", 100);
    SetLastError(SENTINEL);
    HANDLE h = create_rw(p, CREATE_ALWAYS);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_ALREADY_EXISTS);
    ck_assert_int_eq(size_of(h), 0);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(createfile_create_always_on_missing_file_creates_it_and_clears_last_error)
{
    char *p = dup_path("always-new");
    SetLastError(SENTINEL);
    HANDLE h = create_rw(p, CREATE_ALWAYS);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_SUCCESS);
    CloseHandle(h);
    ck_assert(exists(p));
    free(p);
}
END_TEST

START_TEST(createfile_open_existing_on_missing_file_fails_with_error_file_not_found)
{
    char *p = dup_path("missing");
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create_rw(p, OPEN_EXISTING), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    ck_assert(!exists(p));
    free(p);
}
END_TEST

START_TEST(createfile_open_existing_keeps_contents_and_clears_last_error)
{
    char *p = tu_make_file("keep", 64);
    unsigned char buf[64];
    DWORD got = 0;
    SetLastError(SENTINEL);
    HANDLE h = create_rw(p, OPEN_EXISTING);
    ck_assert_uint_eq(GetLastError(), ERROR_SUCCESS);
    ck_assert(ReadFile(h, buf, sizeof buf, &got, NULL));
    ck_assert_uint_eq(got, 64);
    tu_assert_pattern(buf, 64, 0);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(createfile_open_always_on_existing_file_keeps_data_and_sets_error_already_exists)
{
    char *p = tu_make_file("oa", 33);
    SetLastError(SENTINEL);
    HANDLE h = create_rw(p, OPEN_ALWAYS);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_ALREADY_EXISTS);
    ck_assert_int_eq(size_of(h), 33);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(createfile_open_always_on_missing_file_creates_it_and_clears_last_error)
{
    char *p = dup_path("oa-new");
    SetLastError(SENTINEL);
    HANDLE h = create_rw(p, OPEN_ALWAYS);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_SUCCESS);
    CloseHandle(h);
    ck_assert(exists(p));
    free(p);
}
END_TEST

START_TEST(createfile_truncate_existing_empties_file)
{
    char *p = tu_make_file("trunc", 4096);
    HANDLE h = create_rw(p, TRUNCATE_EXISTING);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_int_eq(size_of(h), 0);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(createfile_truncate_existing_on_missing_file_fails_with_error_file_not_found)
{
    char *p = dup_path("trunc-missing");
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create_rw(p, TRUNCATE_EXISTING), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    free(p);
}
END_TEST

START_TEST(createfile_truncate_existing_without_generic_write_fails_with_invalid_parameter)
{
    char *p = tu_make_file("trunc-ro", 100);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create(p, GENERIC_READ, TRUNCATE_EXISTING, 0), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    HANDLE h = tu_open(p, 0);
    ck_assert_int_eq(size_of(h), 100);
    CloseHandle(h);
    free(p);
}
END_TEST

static const DWORD bad_dispositions[] = { 0, 6, 7, 100, 0xFFFFFFFF };

START_TEST(createfile_with_invalid_disposition_fails_with_invalid_parameter)
{
    char *p = dup_path("baddisp");
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create_rw(p, bad_dispositions[_i]), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert(!exists(p));
    free(p);
}
END_TEST

static const DWORD every_disposition[] = {
    CREATE_NEW, CREATE_ALWAYS, OPEN_EXISTING, OPEN_ALWAYS, TRUNCATE_EXISTING,
};

START_TEST(createfile_in_missing_directory_fails_with_error_path_not_found)
{
    char *dir = dup_path("nodir");
    char path[4200];
    snprintf(path, sizeof path, "%s/file", dir);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create_rw(path, every_disposition[_i]), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    free(dir);
}
END_TEST

START_TEST(createfile_with_null_name_fails_with_invalid_parameter)
{
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create_rw(NULL, OPEN_EXISTING), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(CreateFileW(NULL, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL),
                     INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}
END_TEST

START_TEST(createfile_with_empty_name_fails_with_path_not_found)
{
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create_rw("", OPEN_EXISTING), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(CreateFileW(L"", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL),
                     INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
}
END_TEST

START_TEST(createfile_with_unknown_share_mode_bits_fails_with_invalid_parameter)
{
    char *p = tu_make_file("share", 1);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(CreateFileA(p, GENERIC_READ, 0x8, NULL, OPEN_EXISTING, 0, NULL),
                     INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    free(p);
}
END_TEST

START_TEST(createfile_share_modes_are_accepted_and_not_enforced)
{
    char *p = tu_make_file("noshare", 1);
    HANDLE a = CreateFileA(p, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    HANDLE b = CreateFileA(p, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    ck_assert_ptr_ne(a, INVALID_HANDLE_VALUE);
    ck_assert_ptr_ne(b, INVALID_HANDLE_VALUE);
    CloseHandle(a);
    CloseHandle(b);
    free(p);
}
END_TEST

START_TEST(createfile_read_only_attribute_creates_file_without_write_permission)
{
    char *p = dup_path("ro-attr");
    HANDLE h = create(p, GENERIC_READ | GENERIC_WRITE, CREATE_NEW, FILE_ATTRIBUTE_READONLY);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    write_all(h, "abc", 3); /* the creating handle keeps its write access */
    CloseHandle(h);
    ck_assert_uint_eq(GetFileAttributesA(p) & FILE_ATTRIBUTE_READONLY, FILE_ATTRIBUTE_READONLY);
    free(p);
}
END_TEST

/* ------------------------------------------------------------------ CreateFile: access */

static const struct access_row {
    DWORD access;
    BOOL can_read, can_write;
} access_rows[] = {
    { GENERIC_READ, TRUE, FALSE },
    { GENERIC_WRITE, FALSE, TRUE },
    { GENERIC_READ | GENERIC_WRITE, TRUE, TRUE },
    { GENERIC_ALL, TRUE, TRUE },
    { FILE_READ_DATA, TRUE, FALSE },
    { FILE_WRITE_DATA, FALSE, TRUE },
    { FILE_APPEND_DATA, FALSE, TRUE },
    { FILE_GENERIC_READ, TRUE, FALSE },
    { FILE_GENERIC_WRITE, FALSE, TRUE },
    { FILE_ALL_ACCESS, TRUE, TRUE },
    { FILE_READ_ATTRIBUTES, FALSE, FALSE },
    { 0, FALSE, FALSE },
};

START_TEST(createfile_access_right_grants_matching_read_and_write)
{
    const struct access_row *row = &access_rows[_i];
    char *p = tu_make_file("acc", 16);
    char buf[4];
    DWORD n = SENTINEL;
    HANDLE h = create(p, row->access, OPEN_EXISTING, 0);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);

    SetLastError(SENTINEL);
    ck_assert_int_eq(ReadFile(h, buf, sizeof buf, &n, NULL), row->can_read);
    ck_assert_uint_eq(GetLastError(), row->can_read ? SENTINEL : ERROR_ACCESS_DENIED);
    ck_assert_uint_eq(n, row->can_read ? sizeof buf : SENTINEL);

    n = SENTINEL;
    SetLastError(SENTINEL);
    ck_assert_int_eq(WriteFile(h, "wxyz", 4, &n, NULL), row->can_write);
    ck_assert_uint_eq(GetLastError(), row->can_write ? SENTINEL : ERROR_ACCESS_DENIED);
    ck_assert_uint_eq(n, row->can_write ? 4 : SENTINEL);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(createfile_with_zero_access_still_answers_size_queries)
{
    char *p = tu_make_file("zero", 77);
    ck_assert_int_eq(chmod(p, 0), 0);
    HANDLE h = create(p, 0, OPEN_EXISTING, 0);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_int_eq(size_of(h), 77);
    CloseHandle(h);
    free(p);
}
END_TEST

/* ------------------------------------------------------------------ CreateFile: directories */

START_TEST(createfile_on_directory_without_backup_semantics_fails_with_access_denied)
{
    char *d = make_dir("dir");
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create(d, GENERIC_READ, OPEN_EXISTING, 0), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_ACCESS_DENIED);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create(d, GENERIC_READ | GENERIC_WRITE, OPEN_EXISTING, 0), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_ACCESS_DENIED);
    free(d);
}
END_TEST

START_TEST(createfile_on_directory_with_backup_semantics_opens_it)
{
    char *d = make_dir("dirb");
    HANDLE h = create(d, GENERIC_READ | GENERIC_WRITE, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert(FlushFileBuffers(h));
    CloseHandle(h);
    free(d);
}
END_TEST

START_TEST(createfile_create_new_on_existing_directory_fails_with_error_file_exists)
{
    char *d = make_dir("dirx");
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create_rw(d, CREATE_NEW), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_FILE_EXISTS);
    free(d);
}
END_TEST

START_TEST(readfile_on_directory_handle_fails_with_invalid_function)
{
    char *d = make_dir("dirr");
    char buf[8];
    DWORD n = SENTINEL;
    HANDLE h = create(d, GENERIC_READ, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    SetLastError(SENTINEL);
    ck_assert(!ReadFile(h, buf, sizeof buf, &n, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_FUNCTION);
    ck_assert_uint_eq(n, SENTINEL);
    CloseHandle(h);
    free(d);
}
END_TEST

/* ------------------------------------------------------------------ CreateFile: names */

START_TEST(createfilew_with_wide_path_creates_file)
{
    char *p = dup_path("wide");
    char host[4200];
    snprintf(host, sizeof host, "%s-\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", p); /* é € 😀 */
    WCHAR *w = malloc((strlen(p) + 8) * sizeof(WCHAR));
    size_t i = 0;
    for (; p[i]; i++)
        w[i] = (WCHAR)p[i];
    w[i++] = L'-';
    w[i++] = 0xE9;
    w[i++] = 0x20AC;
    if (sizeof(WCHAR) == 2) {
        w[i++] = (WCHAR)0xD83D;
        w[i++] = (WCHAR)0xDE00;
    } else {
        w[i++] = (WCHAR)0x1F600;
    }
    w[i] = 0;
    HANDLE h = CreateFileW(w, GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    CloseHandle(h);
    ck_assert(exists(host));
    free(w);
    free(p);
}
END_TEST

START_TEST(createfilew_with_unpaired_surrogate_fails_with_error_invalid_name)
{
    const WCHAR name[] = { L'a', (WCHAR)0xD800, L'b', 0 };
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(CreateFileW(name, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL),
                     INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_NAME);
}
END_TEST

START_TEST(createfilea_with_malformed_utf8_fails_with_error_invalid_name)
{
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create_rw("bad-\xc3(-name", CREATE_ALWAYS), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_NAME);
}
END_TEST

START_TEST(createfile_with_name_longer_than_path_max_fails_with_filename_exced_range)
{
    size_t len = 5000;
    char *p = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        p[i] = i % 100 == 99 ? '\\' : 'a';
    p[len] = '\0';
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(create_rw(p, OPEN_EXISTING), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_FILENAME_EXCED_RANGE);
    free(p);
}
END_TEST

START_TEST(backslash_path_maps_to_host_path)
{
    char *p = dup_path("bs");
    char *w = backslashed(p);
    HANDLE h = create_rw(w, CREATE_NEW);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    CloseHandle(h);
    ck_assert(access(p, F_OK) == 0);
    free(w);
    free(p);
}
END_TEST

START_TEST(drive_letter_maps_to_ioringemu_drive_env)
{
    char *d = make_dir("drive");
    char host[4200];
    ck_assert_int_eq(setenv("IORINGEMU_DRIVE_Q", d, 1), 0);
    HANDLE h = create_rw("q:\\sub-file.txt", CREATE_NEW); /* lower-case letter too */
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    CloseHandle(h);
    snprintf(host, sizeof host, "%s/sub-file.txt", d);
    ck_assert(access(host, F_OK) == 0);
    free(d);
}
END_TEST

START_TEST(drive_relative_path_maps_under_ioringemu_drive_env)
{
    char *d = make_dir("drel");
    char host[4200];
    ck_assert_int_eq(setenv("IORINGEMU_DRIVE_R", d, 1), 0);
    HANDLE h = create_rw("R:rel.bin", CREATE_NEW);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    CloseHandle(h);
    snprintf(host, sizeof host, "%s/rel.bin", d);
    ck_assert(access(host, F_OK) == 0);
    free(d);
}
END_TEST

START_TEST(drive_letter_without_env_maps_to_host_root)
{
    char *p = dup_path("root");
    char win[4200];
    ck_assert_int_eq(p[0], '/');
    char *bs = backslashed(p);
    snprintf(win, sizeof win, "C:%s", bs);
    ck_assert_int_eq(unsetenv("IORINGEMU_DRIVE_C"), 0);
    HANDLE h = create_rw(win, CREATE_NEW);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    CloseHandle(h);
    ck_assert(access(p, F_OK) == 0);
    free(bs);
    free(p);
}
END_TEST

START_TEST(extended_length_prefix_is_stripped)
{
    char *p = dup_path("ext");
    char win[4200];
    char *bs = backslashed(p);
    snprintf(win, sizeof win, "\\\\?\\C:%s", bs);
    ck_assert_int_eq(unsetenv("IORINGEMU_DRIVE_C"), 0);
    HANDLE h = create_rw(win, CREATE_NEW);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    CloseHandle(h);
    ck_assert(access(p, F_OK) == 0);
    free(bs);
    free(p);
}
END_TEST

START_TEST(relative_path_resolves_against_working_directory)
{
    char *d = make_dir("cwd");
    char host[4200];
    ck_assert_int_eq(chdir(d), 0);
    ck_assert_int_eq(mkdir("sub", 0700), 0);
    HANDLE h = create_rw("sub\\rel.txt", CREATE_NEW);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    CloseHandle(h);
    snprintf(host, sizeof host, "%s/sub/rel.txt", d);
    ck_assert(access(host, F_OK) == 0);
    free(d);
}
END_TEST

/* ------------------------------------------------------------------ CreateFile: flags */

START_TEST(delete_on_close_removes_file_on_last_close)
{
    char *p = dup_path("doc");
    HANDLE h = create(p, GENERIC_READ | GENERIC_WRITE, CREATE_NEW, FILE_FLAG_DELETE_ON_CLOSE);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    write_all(h, "data", 4);
    ck_assert(exists(p));
    ck_assert(CloseHandle(h));
    ck_assert(!exists(p));
    free(p);
}
END_TEST

START_TEST(delete_on_close_uses_the_path_as_opened_even_after_chdir)
{
    char *d = make_dir("docd");
    char *other = make_dir("docother");
    char host[4200];
    ck_assert_int_eq(chdir(d), 0);
    HANDLE h = create("rel-doc", GENERIC_WRITE, CREATE_NEW, FILE_FLAG_DELETE_ON_CLOSE);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_int_eq(chdir(other), 0);
    CloseHandle(h);
    snprintf(host, sizeof host, "%s/rel-doc", d);
    ck_assert(access(host, F_OK) != 0);
    free(other);
    free(d);
}
END_TEST

START_TEST(write_through_opens_with_o_dsync)
{
    char *p = dup_path("wt");
    HANDLE h = create(p, GENERIC_WRITE, CREATE_NEW, FILE_FLAG_WRITE_THROUGH);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    int fl = fcntl(iore_fd_from_handle(h), F_GETFL);
    ck_assert_int_eq(fl & O_DSYNC, O_DSYNC);
    write_all(h, "x", 1);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(overlapped_flag_is_accepted)
{
    char *p = tu_make_file("ovf", 10);
    HANDLE h = create(p, GENERIC_READ, OPEN_EXISTING, FILE_FLAG_OVERLAPPED);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(handles_are_not_inherited_unless_asked)
{
    char *p = tu_make_file("inh", 1);
    SECURITY_ATTRIBUTES sa = { .nLength = sizeof sa, .bInheritHandle = TRUE };
    HANDLE plain = create(p, GENERIC_READ, OPEN_EXISTING, 0);
    HANDLE inherit = CreateFileA(p, GENERIC_READ, 0, &sa, OPEN_EXISTING, 0, NULL);
    ck_assert_int_eq(fcntl(iore_fd_from_handle(plain), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ck_assert_int_eq(fcntl(iore_fd_from_handle(inherit), F_GETFD) & FD_CLOEXEC, 0);
    CloseHandle(plain);
    CloseHandle(inherit);
    free(p);
}
END_TEST

/* ------------------------------------------------------------------ FILE_FLAG_NO_BUFFERING */

#define SECTOR_MAX 4096 /* aligned to this, I/O suits any sector the emulator picks */

static void *aligned_buffer(size_t len)
{
    void *buf = aligned_alloc(SECTOR_MAX, len);
    ck_assert_ptr_nonnull(buf);
    return buf;
}

/* Aligned I/O works and each kind of misalignment fails with
 * ERROR_INVALID_PARAMETER, leaving the count untouched. */
static void check_no_buffering_rules(HANDLE h)
{
    unsigned char *buf = aligned_buffer(2 * SECTOR_MAX);
    DWORD n = 0;
    OVERLAPPED ov = { 0 };
    ck_assert(ReadFile(h, buf, SECTOR_MAX, &n, NULL));
    ck_assert_uint_eq(n, SECTOR_MAX);
    tu_assert_pattern(buf, SECTOR_MAX, 0);

    n = SENTINEL;
    SetLastError(SENTINEL);
    ck_assert(!ReadFile(h, buf + 1, SECTOR_MAX, &n, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert(!ReadFile(h, buf, 100, &n, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ov.Offset = 3;
    ck_assert(!ReadFile(h, buf, SECTOR_MAX, &n, &ov));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert(!WriteFile(h, buf, 10, &n, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert_uint_eq(n, SENTINEL);
    free(buf);
}

START_TEST(no_buffering_uses_o_direct_where_file_system_allows_it)
{
    HANDLE h = pattern_file(4 * SECTOR_MAX, FILE_FLAG_NO_BUFFERING);
    ck_assert_int_eq(fcntl(iore_fd_from_handle(h), F_GETFL) & O_DIRECT, O_DIRECT);
    check_no_buffering_rules(h);
    CloseHandle(h);
}
END_TEST

START_TEST(no_buffering_create_new_applies_o_direct)
{
    char *p = dup_path("nbnew");
    HANDLE h = create(p, GENERIC_READ | GENERIC_WRITE, CREATE_NEW, FILE_FLAG_NO_BUFFERING);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_int_eq(fcntl(iore_fd_from_handle(h), F_GETFL) & O_DIRECT, O_DIRECT);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(no_buffering_falls_back_to_buffered_when_open_refuses_o_direct_and_keeps_alignment)
{
    char *p = tu_make_file("nbfb", 4 * SECTOR_MAX);
    ck_assert_int_eq(iore_fault_inject("open", 1, EINVAL), 0);
    HANDLE h = create(p, GENERIC_READ | GENERIC_WRITE, OPEN_EXISTING, FILE_FLAG_NO_BUFFERING);
    iore_fault_clear();
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_int_eq(fcntl(iore_fd_from_handle(h), F_GETFL) & O_DIRECT, 0);
    check_no_buffering_rules(h);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(no_buffering_on_tmpfs_opens_and_enforces_alignment)
{
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/ioringemu-check-file-%d", (int)getpid());
    HANDLE w = create(path, GENERIC_WRITE, CREATE_NEW, FILE_FLAG_DELETE_ON_CLOSE);
    ck_assert_ptr_ne(w, INVALID_HANDLE_VALUE);
    unsigned char *data = malloc(4 * SECTOR_MAX);
    for (size_t i = 0; i < 4 * SECTOR_MAX; i++)
        data[i] = tu_pattern(i);
    write_all(w, data, 4 * SECTOR_MAX);
    HANDLE h = create(path, GENERIC_READ | GENERIC_WRITE, OPEN_EXISTING, FILE_FLAG_NO_BUFFERING);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    check_no_buffering_rules(h);
    CloseHandle(h);
    CloseHandle(w);
    free(data);
}
END_TEST

/* ------------------------------------------------------------------ ReadFile / WriteFile */

START_TEST(readfile_reads_and_advances_file_pointer)
{
    HANDLE h = pattern_file(1000, 0);
    unsigned char buf[300];
    DWORD n = SENTINEL;
    ck_assert(ReadFile(h, buf, 300, &n, NULL));
    ck_assert_uint_eq(n, 300);
    tu_assert_pattern(buf, 300, 0);
    ck_assert(ReadFile(h, buf, 300, &n, NULL));
    tu_assert_pattern(buf, 300, 300);
    ck_assert_int_eq(pointer_of(h), 600);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_short_at_end_of_file_returns_what_is_there)
{
    HANDLE h = pattern_file(100, 0);
    unsigned char buf[300];
    DWORD n = SENTINEL;
    seek_to(h, 60);
    ck_assert(ReadFile(h, buf, sizeof buf, &n, NULL));
    ck_assert_uint_eq(n, 40);
    tu_assert_pattern(buf, 40, 60);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_at_eof_returns_true_with_zero_bytes)
{
    HANDLE h = pattern_file(10, 0);
    char buf[16];
    DWORD n = SENTINEL;
    seek_to(h, 10);
    SetLastError(SENTINEL);
    ck_assert(ReadFile(h, buf, sizeof buf, &n, NULL));
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(GetLastError(), SENTINEL);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_large_transfer_reads_everything)
{
    size_t len = 9u << 20;
    HANDLE h = pattern_file(len, 0);
    unsigned char *buf = malloc(len);
    DWORD n = 0;
    ck_assert(ReadFile(h, buf, (DWORD)len, &n, NULL));
    ck_assert_uint_eq(n, len);
    tu_assert_pattern(buf, len, 0);
    free(buf);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_with_overlapped_offset_on_overlapped_handle_reads_at_offset_and_keeps_file_pointer)
{
    HANDLE h = pattern_file(0x3000, FILE_FLAG_OVERLAPPED);
    unsigned char buf[100];
    DWORD n = SENTINEL;
    OVERLAPPED ov = { .Offset = 0x2000 };
    ck_assert(ReadFile(h, buf, sizeof buf, &n, &ov));
    ck_assert_uint_eq(n, 100);
    tu_assert_pattern(buf, 100, 0x2000);
    ck_assert_int_eq(pointer_of(h), 0);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_with_overlapped_offset_on_synchronous_handle_moves_file_pointer)
{
    HANDLE h = pattern_file(0x3000, 0);
    unsigned char buf[100];
    DWORD n = SENTINEL;
    OVERLAPPED ov = { .Offset = 0x1000 };
    ck_assert(ReadFile(h, buf, sizeof buf, &n, &ov));
    tu_assert_pattern(buf, 100, 0x1000);
    ck_assert_int_eq(pointer_of(h), 0x1000 + 100);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_with_overlapped_sets_internal_fields_and_signals_event)
{
    HANDLE h = pattern_file(500, FILE_FLAG_OVERLAPPED);
    HANDLE ev = CreateEventA(NULL, TRUE, FALSE, NULL);
    unsigned char buf[200];
    OVERLAPPED ov = { .Internal = SENTINEL, .InternalHigh = SENTINEL, .Offset = 400, .hEvent = ev };
    ck_assert(ReadFile(h, buf, sizeof buf, NULL, &ov));
    ck_assert_uint_eq(ov.Internal, 0);
    ck_assert_uint_eq(ov.InternalHigh, 100);
    tu_assert_pattern(buf, 100, 400);
    ck_assert(is_signaled(ev));
    CloseHandle(ev);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_event_handle_with_low_bit_set_is_still_signaled)
{
    HANDLE h = pattern_file(10, 0);
    HANDLE ev = CreateEventA(NULL, TRUE, FALSE, NULL);
    char buf[4];
    OVERLAPPED ov = { .hEvent = (HANDLE)((ULONG_PTR)ev | 1) };
    ck_assert(ReadFile(h, buf, sizeof buf, NULL, &ov));
    ck_assert(is_signaled(ev));
    CloseHandle(ev);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_with_overlapped_at_eof_fails_with_handle_eof_and_leaves_overlapped)
{
    HANDLE h = pattern_file(100, FILE_FLAG_OVERLAPPED);
    HANDLE ev = CreateEventA(NULL, TRUE, FALSE, NULL);
    char buf[10];
    DWORD n = SENTINEL;
    OVERLAPPED ov = { .Internal = SENTINEL, .InternalHigh = SENTINEL, .Offset = 100, .hEvent = ev };
    SetLastError(SENTINEL);
    ck_assert(!ReadFile(h, buf, sizeof buf, &n, &ov));
    ck_assert_uint_eq(GetLastError(), ERROR_HANDLE_EOF);
    ck_assert_uint_eq(n, SENTINEL);
    ck_assert_uint_eq(ov.Internal, SENTINEL);
    ck_assert_uint_eq(ov.InternalHigh, SENTINEL);
    ck_assert(!is_signaled(ev));
    CloseHandle(ev);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_with_invalid_event_handle_fails_with_invalid_handle)
{
    HANDLE h = pattern_file(100, 0);
    char buf[10];
    DWORD n = SENTINEL;
    OVERLAPPED ov = { .hEvent = h }; /* a file, not an event */
    SetLastError(SENTINEL);
    ck_assert(!ReadFile(h, buf, sizeof buf, &n, &ov));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_uint_eq(n, SENTINEL);
    ck_assert_int_eq(pointer_of(h), 0);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_on_overlapped_handle_without_overlapped_fails_with_invalid_parameter)
{
    HANDLE h = pattern_file(100, FILE_FLAG_OVERLAPPED);
    char buf[10];
    DWORD n = SENTINEL;
    SetLastError(SENTINEL);
    ck_assert(!ReadFile(h, buf, sizeof buf, &n, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert_uint_eq(n, SENTINEL);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_without_count_or_overlapped_fails_with_invalid_parameter)
{
    HANDLE h = pattern_file(100, 0);
    char buf[10];
    SetLastError(SENTINEL);
    ck_assert(!ReadFile(h, buf, sizeof buf, NULL, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(SENTINEL);
    ck_assert(!WriteFile(h, buf, sizeof buf, NULL, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert_int_eq(pointer_of(h), 0);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_with_null_buffer_fails_with_error_noaccess)
{
    HANDLE h = pattern_file(100, 0);
    DWORD n = SENTINEL;
    SetLastError(SENTINEL);
    ck_assert(!ReadFile(h, NULL, 10, &n, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_NOACCESS);
    ck_assert_uint_eq(n, SENTINEL);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_with_offset_beyond_int64_fails_with_invalid_parameter)
{
    HANDLE h = pattern_file(100, FILE_FLAG_OVERLAPPED);
    char buf[10];
    DWORD n = SENTINEL;
    OVERLAPPED ov = { .Offset = 0, .OffsetHigh = 0x80000000u };
    SetLastError(SENTINEL);
    ck_assert(!ReadFile(h, buf, sizeof buf, &n, &ov));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert_uint_eq(n, SENTINEL);
    CloseHandle(h);
}
END_TEST

/* Handles ReadFile/WriteFile must reject: never issued, closed, or of
 * another kind. */
static HANDLE bad_file_handle(int which)
{
    switch (which) {
    case 0: return NULL;
    case 1: return INVALID_HANDLE_VALUE;
    case 2: return (HANDLE)(uintptr_t)0x7fff0000fffffffcULL;
    case 3: {
        HANDLE h = pattern_file(1, 0);
        CloseHandle(h);
        return h;
    }
    default: return CreateEventA(NULL, TRUE, FALSE, NULL);
    }
}

START_TEST(readfile_and_writefile_on_bad_handle_fail_with_invalid_handle)
{
    HANDLE h = bad_file_handle(_i);
    char buf[4] = "abc";
    DWORD n = SENTINEL;
    SetLastError(SENTINEL);
    ck_assert(!ReadFile(h, buf, sizeof buf, &n, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(SENTINEL);
    ck_assert(!WriteFile(h, buf, sizeof buf, &n, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_uint_eq(n, SENTINEL);
}
END_TEST

START_TEST(writefile_writes_at_file_pointer_and_advances_it)
{
    char *p = dup_path("wr");
    HANDLE h = create_rw(p, CREATE_NEW);
    char buf[8] = { 0 };
    DWORD n = 0;
    write_all(h, "hello", 5);
    write_all(h, " world", 6);
    ck_assert_int_eq(pointer_of(h), 11);
    ck_assert_int_eq(size_of(h), 11);
    seek_to(h, 6);
    ck_assert(ReadFile(h, buf, 5, &n, NULL));
    ck_assert_str_eq(buf, "world");
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(writefile_with_overlapped_offset_extends_file)
{
    char *p = dup_path("wro");
    HANDLE h = create(p, GENERIC_READ | GENERIC_WRITE, CREATE_NEW, FILE_FLAG_OVERLAPPED);
    DWORD n = SENTINEL;
    OVERLAPPED ov = { .Offset = 1000 };
    ck_assert(WriteFile(h, "tail", 4, &n, &ov));
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(ov.InternalHigh, 4);
    ck_assert_int_eq(size_of(h), 1004);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(writefile_to_end_of_file_offset_appends)
{
    HANDLE h = pattern_file(50, FILE_FLAG_OVERLAPPED);
    DWORD n = SENTINEL;
    OVERLAPPED ov = { .Offset = 0xFFFFFFFF, .OffsetHigh = 0xFFFFFFFF };
    ck_assert(WriteFile(h, "end", 3, &n, &ov));
    ck_assert_int_eq(size_of(h), 53);
    CloseHandle(h);
}
END_TEST

/* Two threads read one byte at a time through one synchronous handle:
 * the pointer must hand each offset to exactly one of them. */
enum { SHARED_LEN = 20000 };
static HANDLE shared_h;

static void *read_bytes(void *arg)
{
    unsigned *counts = arg;
    unsigned char b;
    DWORD n;
    while (ReadFile(shared_h, &b, 1, &n, NULL) && n == 1)
        counts[b]++;
    return NULL;
}

START_TEST(synchronous_readfile_from_two_threads_reads_every_byte_once)
{
    static unsigned counts[2][256];
    unsigned expected[256] = { 0 };
    pthread_t t[2];
    shared_h = pattern_file(SHARED_LEN, 0);
    for (size_t i = 0; i < SHARED_LEN; i++)
        expected[tu_pattern(i)]++;
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, read_bytes, counts[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int v = 0; v < 256; v++)
        ck_assert_uint_eq(counts[0][v] + counts[1][v], expected[v]);
    ck_assert_int_eq(pointer_of(shared_h), SHARED_LEN);
    CloseHandle(shared_h);
}
END_TEST

/* ------------------------------------------------------------------ ReadFile / WriteFile: faults */

START_TEST(readfile_when_pread_fails_with_eio_fails_with_not_ready_and_keeps_pointer)
{
    HANDLE h = pattern_file(100, 0);
    char buf[10];
    DWORD n = SENTINEL;
    ck_assert_int_eq(iore_fault_inject("pread", 1, EIO), 0);
    SetLastError(SENTINEL);
    ck_assert(!ReadFile(h, buf, sizeof buf, &n, NULL));
    iore_fault_clear();
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_READY);
    ck_assert_uint_eq(n, SENTINEL);
    ck_assert_int_eq(pointer_of(h), 0);
    CloseHandle(h);
}
END_TEST

START_TEST(readfile_retries_an_interrupted_pread)
{
    HANDLE h = pattern_file(100, 0);
    unsigned char buf[10];
    DWORD n = SENTINEL;
    ck_assert_int_eq(iore_fault_inject("pread", 1, EINTR), 0);
    ck_assert(ReadFile(h, buf, sizeof buf, &n, NULL));
    iore_fault_clear();
    ck_assert_uint_eq(n, 10);
    tu_assert_pattern(buf, 10, 0);
    CloseHandle(h);
}
END_TEST

START_TEST(writefile_when_pwrite_fails_with_enospc_fails_with_disk_full)
{
    HANDLE h = pattern_file(100, 0);
    DWORD n = SENTINEL;
    ck_assert_int_eq(iore_fault_inject("pwrite", 1, ENOSPC), 0);
    SetLastError(SENTINEL);
    ck_assert(!WriteFile(h, "abc", 3, &n, NULL));
    iore_fault_clear();
    ck_assert_uint_eq(GetLastError(), ERROR_DISK_FULL);
    ck_assert_uint_eq(n, SENTINEL);
    ck_assert_int_eq(size_of(h), 100);
    CloseHandle(h);
}
END_TEST

/* RLIMIT_FSIZE makes a write that crosses the limit short and the next one
 * fail with EFBIG (SIGXFSZ ignored): WriteFile must loop after the short
 * write and then report the bytes that did get written. */
static void limit_file_size(rlim_t bytes)
{
    struct rlimit rl = { .rlim_cur = bytes, .rlim_max = bytes };
    signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

START_TEST(writefile_error_after_partial_progress_reports_the_bytes_written)
{
    char *p = dup_path("partial");
    HANDLE h = create_rw(p, CREATE_NEW);
    char buf[100] = { 0 };
    DWORD n = SENTINEL;
    limit_file_size(60);
    ck_assert(WriteFile(h, buf, sizeof buf, &n, NULL));
    ck_assert_uint_eq(n, 60);
    ck_assert_int_eq(pointer_of(h), 60);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(writefile_past_file_size_limit_fails_with_file_too_large)
{
    char *p = dup_path("fsize");
    HANDLE h = create_rw(p, CREATE_NEW);
    DWORD n = SENTINEL;
    limit_file_size(60);
    seek_to(h, 60);
    SetLastError(SENTINEL);
    ck_assert(!WriteFile(h, "x", 1, &n, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_FILE_TOO_LARGE);
    ck_assert_uint_eq(n, SENTINEL);
    ck_assert_int_eq(pointer_of(h), 60);
    CloseHandle(h);
    free(p);
}
END_TEST

/* A read that comes back short is continued: the hook grows the file just
 * before the second pread, which then supplies the rest. */
struct grow {
    const char *path;
    int calls;
};

static int grow_before_second_pread(const char *call, void *arg)
{
    struct grow *g = arg;
    if (strcmp(call, "pread") == 0 && ++g->calls == 2) {
        unsigned char more[40];
        for (size_t i = 0; i < sizeof more; i++)
            more[i] = tu_pattern(60 + i);
        int fd = open(g->path, O_WRONLY | O_APPEND);
        ck_assert_int_eq(write(fd, more, sizeof more), (ssize_t)sizeof more);
        close(fd);
    }
    return 0;
}

START_TEST(readfile_continues_after_a_short_read)
{
    char *p = tu_make_file("short", 60);
    HANDLE h = tu_open(p, 0);
    struct grow g = { .path = p };
    unsigned char buf[100];
    DWORD n = SENTINEL;
    iore_fault_set_hook(grow_before_second_pread, &g);
    ck_assert(ReadFile(h, buf, sizeof buf, &n, NULL));
    iore_fault_set_hook(NULL, NULL);
    ck_assert_uint_eq(n, 100);
    tu_assert_pattern(buf, 100, 0);
    CloseHandle(h);
    free(p);
}
END_TEST

/* ------------------------------------------------------------------ pipes and sockets */

START_TEST(readfile_on_pipe_returns_what_is_available)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    HANDLE r = iore_handle_from_fd(fds[0]);
    char buf[64] = { 0 };
    DWORD n = SENTINEL;
    ck_assert_int_eq(write(fds[1], "abc", 3), 3);
    ck_assert(ReadFile(r, buf, sizeof buf, &n, NULL));
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(buf, "abc");
    CloseHandle(r);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(readfile_on_pipe_with_closed_writer_fails_with_broken_pipe)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    close(fds[1]);
    HANDLE r = iore_handle_from_fd(fds[0]);
    char buf[8];
    DWORD n = SENTINEL;
    SetLastError(SENTINEL);
    ck_assert(!ReadFile(r, buf, sizeof buf, &n, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_BROKEN_PIPE);
    ck_assert_uint_eq(n, SENTINEL);
    CloseHandle(r);
    close(fds[0]);
}
END_TEST

START_TEST(writefile_to_pipe_with_closed_reader_fails_without_sigpipe)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    close(fds[0]);
    HANDLE w = iore_handle_from_fd(fds[1]);
    DWORD n = SENTINEL;
    sigset_t pending;
    SetLastError(SENTINEL);
    ck_assert(!WriteFile(w, "x", 1, &n, NULL)); /* a SIGPIPE would kill the test */
    ck_assert_uint_eq(GetLastError(), ERROR_PIPE_NOT_CONNECTED);
    ck_assert_uint_eq(n, SENTINEL);
    sigpending(&pending);
    ck_assert(!sigismember(&pending, SIGPIPE));
    CloseHandle(w);
    close(fds[1]);
}
END_TEST

START_TEST(readfile_on_pipe_ignores_overlapped_offset)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    HANDLE r = iore_handle_from_fd(fds[0]);
    char buf[8] = { 0 };
    DWORD n = SENTINEL;
    OVERLAPPED ov = { .Offset = 12345, .OffsetHigh = 0x80000000u };
    ck_assert_int_eq(write(fds[1], "pq", 2), 2);
    ck_assert(ReadFile(r, buf, sizeof buf, &n, &ov));
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(ov.InternalHigh, 2);
    CloseHandle(r);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* The reader blocks on an empty non-blocking pipe; the writer thread fills
 * it once the reader is inside ReadFile (it waits for the reader thread to
 * be asleep in the kernel, no timed sleep). */
struct nb_pipe {
    int wfd;
    pid_t reader_tid;
};

static int thread_sleeping(pid_t tid)
{
    char path[64], stat_line[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t len = fread(stat_line, 1, sizeof stat_line - 1, f);
    fclose(f);
    stat_line[len] = '\0';
    const char *close_paren = strrchr(stat_line, ')');
    return close_paren && close_paren[1] == ' ' && close_paren[2] == 'S';
}

static void *late_writer(void *arg)
{
    struct nb_pipe *np = arg;
    while (!thread_sleeping(np->reader_tid))
        sched_yield();
    ck_assert_int_eq(write(np->wfd, "late", 4), 4);
    return NULL;
}

START_TEST(readfile_on_nonblocking_pipe_waits_for_data)
{
    int fds[2];
    ck_assert_int_eq(pipe2(fds, O_NONBLOCK), 0);
    HANDLE r = iore_handle_from_fd(fds[0]);
    struct nb_pipe np = { .wfd = fds[1], .reader_tid = gettid() };
    pthread_t t;
    char buf[8] = { 0 };
    DWORD n = SENTINEL;
    ck_assert_int_eq(pthread_create(&t, NULL, late_writer, &np), 0);
    ck_assert(ReadFile(r, buf, sizeof buf, &n, NULL));
    pthread_join(t, NULL);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(buf, "late");
    CloseHandle(r);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(readfile_on_socket_after_peer_shutdown_succeeds_with_zero_bytes)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
    HANDLE s = iore_handle_from_fd(sv[0]);
    char buf[8];
    DWORD n = SENTINEL;
    ck_assert(ReadFile(s, buf, sizeof buf, &n, NULL));
    ck_assert_uint_eq(n, 0);
    CloseHandle(s);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(writefile_on_socket_sends_everything)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    HANDLE s = iore_handle_from_fd(sv[0]);
    char buf[8] = { 0 };
    DWORD n = SENTINEL;
    ck_assert(WriteFile(s, "sock", 4, &n, NULL));
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(read(sv[1], buf, sizeof buf), 4);
    ck_assert_str_eq(buf, "sock");
    CloseHandle(s);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* ------------------------------------------------------------------ GetFileSize(Ex) */

START_TEST(getfilesizeex_reports_size)
{
    HANDLE h = pattern_file(12345, 0);
    ck_assert_int_eq(size_of(h), 12345);
    CloseHandle(h);
}
END_TEST

START_TEST(getfilesizeex_with_null_output_fails_with_invalid_parameter)
{
    HANDLE h = pattern_file(1, 0);
    SetLastError(SENTINEL);
    ck_assert(!GetFileSizeEx(h, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    CloseHandle(h);
}
END_TEST

START_TEST(getfilesizeex_on_bad_handle_fails_with_invalid_handle_and_leaves_output)
{
    LARGE_INTEGER size = { .QuadPart = SENTINEL64 };
    SetLastError(SENTINEL);
    ck_assert(!GetFileSizeEx(bad_file_handle(_i), &size));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_int_eq(size.QuadPart, SENTINEL64);
}
END_TEST

/* Sizes around the 32-bit boundary, made sparse with SetEndOfFile. */
static HANDLE sparse_file(LONGLONG size)
{
    char *p = dup_path("sparse");
    HANDLE h = create(p, GENERIC_READ | GENERIC_WRITE, CREATE_NEW, FILE_FLAG_DELETE_ON_CLOSE);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    seek_to(h, size);
    ck_assert(SetEndOfFile(h));
    free(p);
    return h;
}

START_TEST(getfilesize_returns_low_part_and_high_part)
{
    HANDLE h = sparse_file(0x140000010LL);
    DWORD high = SENTINEL;
    ck_assert_uint_eq(GetFileSize(h, &high), 0x40000010u);
    ck_assert_uint_eq(high, 1);
    CloseHandle(h);
}
END_TEST

START_TEST(getfilesize_with_low_part_all_ones_clears_last_error)
{
    HANDLE h = sparse_file(0xFFFFFFFFLL);
    DWORD high = SENTINEL;
    SetLastError(SENTINEL);
    ck_assert_uint_eq(GetFileSize(h, &high), INVALID_FILE_SIZE);
    ck_assert_uint_eq(GetLastError(), NO_ERROR);
    ck_assert_uint_eq(high, 0);
    CloseHandle(h);
}
END_TEST

START_TEST(getfilesize_on_bad_handle_returns_invalid_file_size_with_invalid_handle)
{
    DWORD high = SENTINEL;
    SetLastError(SENTINEL);
    ck_assert_uint_eq(GetFileSize(NULL, &high), INVALID_FILE_SIZE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_uint_eq(high, SENTINEL);
}
END_TEST

/* ------------------------------------------------------------------ SetFilePointerEx */

static const struct seek_row {
    LONGLONG start, distance;
    DWORD method;
    LONGLONG expected;
} seek_rows[] = {
    { 10, 0, FILE_BEGIN, 0 },
    { 10, 25, FILE_BEGIN, 25 },
    { 10, 5, FILE_CURRENT, 15 },
    { 10, -10, FILE_CURRENT, 0 },
    { 10, 0, FILE_END, 100 },
    { 10, -40, FILE_END, 60 },
    { 10, 900, FILE_END, 1000 }, /* past the end is allowed */
};

START_TEST(setfilepointerex_moves_by_method)
{
    const struct seek_row *row = &seek_rows[_i];
    HANDLE h = pattern_file(100, 0);
    LARGE_INTEGER d = { .QuadPart = row->distance }, out = { .QuadPart = SENTINEL64 };
    seek_to(h, row->start);
    ck_assert(SetFilePointerEx(h, d, &out, row->method));
    ck_assert_int_eq(out.QuadPart, row->expected);
    ck_assert_int_eq(pointer_of(h), row->expected);
    CloseHandle(h);
}
END_TEST

START_TEST(setfilepointerex_before_start_fails_with_negative_seek_and_keeps_pointer)
{
    HANDLE h = pattern_file(100, 0);
    LARGE_INTEGER d = { .QuadPart = -11 }, out = { .QuadPart = SENTINEL64 };
    seek_to(h, 10);
    SetLastError(SENTINEL);
    ck_assert(!SetFilePointerEx(h, d, &out, FILE_CURRENT));
    ck_assert_uint_eq(GetLastError(), ERROR_NEGATIVE_SEEK);
    ck_assert_int_eq(out.QuadPart, SENTINEL64);
    ck_assert_int_eq(pointer_of(h), 10);
    CloseHandle(h);
}
END_TEST

START_TEST(setfilepointerex_with_invalid_method_fails_with_invalid_parameter)
{
    HANDLE h = pattern_file(100, 0);
    LARGE_INTEGER d = { .QuadPart = 1 }, out = { .QuadPart = SENTINEL64 };
    SetLastError(SENTINEL);
    ck_assert(!SetFilePointerEx(h, d, &out, 3));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert_int_eq(out.QuadPart, SENTINEL64);
    CloseHandle(h);
}
END_TEST

START_TEST(setfilepointerex_overflowing_int64_fails_with_invalid_parameter)
{
    HANDLE h = pattern_file(100, 0);
    LARGE_INTEGER d = { .QuadPart = INT64_MAX };
    SetLastError(SENTINEL);
    ck_assert(!SetFilePointerEx(h, d, NULL, FILE_END));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    CloseHandle(h);
}
END_TEST

START_TEST(setfilepointerex_on_bad_handle_fails_with_invalid_handle)
{
    LARGE_INTEGER d = { .QuadPart = 0 };
    SetLastError(SENTINEL);
    ck_assert(!SetFilePointerEx(bad_file_handle(_i), d, NULL, FILE_BEGIN));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

/* ------------------------------------------------------------------ SetEndOfFile */

START_TEST(setendoffile_truncates_at_file_pointer)
{
    HANDLE h = pattern_file(100, 0);
    seek_to(h, 40);
    ck_assert(SetEndOfFile(h));
    ck_assert_int_eq(size_of(h), 40);
    ck_assert_int_eq(pointer_of(h), 40);
    CloseHandle(h);
}
END_TEST

START_TEST(setendoffile_extends_to_file_pointer)
{
    HANDLE h = pattern_file(100, 0);
    seek_to(h, 5000);
    ck_assert(SetEndOfFile(h));
    ck_assert_int_eq(size_of(h), 5000);
    CloseHandle(h);
}
END_TEST

START_TEST(setendoffile_on_read_only_handle_fails_with_access_denied)
{
    char *p = tu_make_file("seof", 100);
    HANDLE h = tu_open(p, 0);
    seek_to(h, 10);
    SetLastError(SENTINEL);
    ck_assert(!SetEndOfFile(h));
    ck_assert_uint_eq(GetLastError(), ERROR_ACCESS_DENIED);
    ck_assert_int_eq(size_of(h), 100);
    CloseHandle(h);
    free(p);
}
END_TEST

/* ------------------------------------------------------------------ FlushFileBuffers */

START_TEST(flushfilebuffers_on_writable_handle_succeeds)
{
    HANDLE h = pattern_file(100, 0);
    ck_assert(FlushFileBuffers(h));
    CloseHandle(h);
}
END_TEST

START_TEST(flushfilebuffers_on_read_only_handle_fails_with_access_denied)
{
    char *p = tu_make_file("flro", 10);
    HANDLE h = tu_open(p, 0);
    SetLastError(SENTINEL);
    ck_assert(!FlushFileBuffers(h));
    ck_assert_uint_eq(GetLastError(), ERROR_ACCESS_DENIED);
    CloseHandle(h);
    free(p);
}
END_TEST

START_TEST(flushfilebuffers_when_fsync_fails_with_eio_fails_with_not_ready)
{
    HANDLE h = pattern_file(100, 0);
    ck_assert_int_eq(iore_fault_inject("fsync", 1, EIO), 0);
    SetLastError(SENTINEL);
    ck_assert(!FlushFileBuffers(h));
    iore_fault_clear();
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_READY);
    CloseHandle(h);
}
END_TEST

START_TEST(flushfilebuffers_on_pipe_succeeds)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    HANDLE w = iore_handle_from_fd(fds[1]);
    ck_assert(FlushFileBuffers(w));
    CloseHandle(w);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(flushfilebuffers_on_bad_handle_fails_with_invalid_handle)
{
    SetLastError(SENTINEL);
    ck_assert(!FlushFileBuffers(bad_file_handle(_i)));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

/* ------------------------------------------------------------------ DeleteFile */

START_TEST(deletefilea_removes_file)
{
    char *p = tu_make_file("del", 5);
    ck_assert(DeleteFileA(p));
    ck_assert(!exists(p));
    free(p);
}
END_TEST

START_TEST(deletefilew_removes_file)
{
    char *p = tu_make_file("delw", 5);
    WCHAR w[4200];
    size_t i = 0;
    for (; p[i]; i++)
        w[i] = (WCHAR)p[i];
    w[i] = 0;
    ck_assert(DeleteFileW(w));
    ck_assert(!exists(p));
    free(p);
}
END_TEST

START_TEST(deletefile_on_missing_file_fails_with_file_not_found)
{
    char *p = dup_path("delmiss");
    SetLastError(SENTINEL);
    ck_assert(!DeleteFileA(p));
    ck_assert_uint_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    free(p);
}
END_TEST

START_TEST(deletefile_in_missing_directory_fails_with_path_not_found)
{
    char *d = dup_path("delnodir");
    char path[4200];
    snprintf(path, sizeof path, "%s\\file", d);
    SetLastError(SENTINEL);
    ck_assert(!DeleteFileA(path));
    ck_assert_uint_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    free(d);
}
END_TEST

START_TEST(deletefile_on_directory_fails_with_access_denied)
{
    char *d = make_dir("deldir");
    SetLastError(SENTINEL);
    ck_assert(!DeleteFileA(d));
    ck_assert_uint_eq(GetLastError(), ERROR_ACCESS_DENIED);
    ck_assert(exists(d));
    free(d);
}
END_TEST

START_TEST(deletefile_on_read_only_file_fails_with_access_denied)
{
    char *p = tu_make_file("delro", 5);
    ck_assert_int_eq(chmod(p, 0444), 0);
    SetLastError(SENTINEL);
    ck_assert(!DeleteFileA(p));
    ck_assert_uint_eq(GetLastError(), ERROR_ACCESS_DENIED);
    ck_assert(exists(p));
    free(p);
}
END_TEST

START_TEST(deletefile_with_null_name_fails_with_invalid_parameter)
{
    SetLastError(SENTINEL);
    ck_assert(!DeleteFileA(NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(SENTINEL);
    ck_assert(!DeleteFileW(NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}
END_TEST

/* ------------------------------------------------------------------ GetFileAttributes */

START_TEST(getfileattributes_of_file_is_archive)
{
    char *p = tu_make_file("attr", 5);
    ck_assert_uint_eq(GetFileAttributesA(p), FILE_ATTRIBUTE_ARCHIVE);
    free(p);
}
END_TEST

START_TEST(getfileattributes_of_directory_is_directory)
{
    char *d = make_dir("attrd");
    ck_assert_uint_eq(GetFileAttributesA(d), FILE_ATTRIBUTE_DIRECTORY);
    free(d);
}
END_TEST

START_TEST(getfileattributes_of_file_without_write_permission_is_read_only)
{
    char *p = tu_make_file("attrro", 5);
    ck_assert_int_eq(chmod(p, 0444), 0);
    ck_assert_uint_eq(GetFileAttributesA(p), FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_READONLY);
    free(p);
}
END_TEST

START_TEST(getfileattributesw_of_wide_name_matches_a_version)
{
    char *p = tu_make_file("attrw", 5);
    WCHAR w[4200];
    size_t i = 0;
    for (; p[i]; i++)
        w[i] = (WCHAR)p[i];
    w[i] = 0;
    ck_assert_uint_eq(GetFileAttributesW(w), FILE_ATTRIBUTE_ARCHIVE);
    free(p);
}
END_TEST

START_TEST(getfileattributes_of_missing_file_fails_with_file_not_found)
{
    char *p = dup_path("attrmiss");
    SetLastError(SENTINEL);
    ck_assert_uint_eq(GetFileAttributesA(p), INVALID_FILE_ATTRIBUTES);
    ck_assert_uint_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    free(p);
}
END_TEST

START_TEST(getfileattributes_in_missing_directory_fails_with_path_not_found)
{
    char *d = dup_path("attrnodir");
    char path[4200];
    snprintf(path, sizeof path, "%s/x", d);
    SetLastError(SENTINEL);
    ck_assert_uint_eq(GetFileAttributesA(path), INVALID_FILE_ATTRIBUTES);
    ck_assert_uint_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    free(d);
}
END_TEST

START_TEST(getfileattributes_with_null_name_fails_with_invalid_parameter)
{
    SetLastError(SENTINEL);
    ck_assert_uint_eq(GetFileAttributesA(NULL), INVALID_FILE_ATTRIBUTES);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}
END_TEST

/* ------------------------------------------------------------------ FindFirstFile / FindNextFile */

static const char *const find_names[] = { "alpha.txt", "Beta.TXT", "abc.txt", "abcd.txt", "noext" };

/* A directory holding find_names (each 3 bytes) and a sub-directory. */
static char *find_dir(void)
{
    char *d = make_dir("find");
    char path[4200];
    for (size_t i = 0; i < N(find_names); i++) {
        snprintf(path, sizeof path, "%s/%s", d, find_names[i]);
        HANDLE h = create_rw(path, CREATE_NEW);
        write_all(h, "abc", 3);
        CloseHandle(h);
    }
    snprintf(path, sizeof path, "%s/subdir", d);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    return d;
}

/* Every name FindFirstFileA/FindNextFileA report for dir\pattern, joined
 * as "|a|b|" in sorted order (the host's order is arbitrary). */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_matches(const char *dir, const char *pattern, char *out, size_t cap)
{
    char spec[4200], *names[32];
    size_t count = 0;
    WIN32_FIND_DATAA fd;
    snprintf(spec, sizeof spec, "%s\\%s", dir, pattern);
    HANDLE h = FindFirstFileA(spec, &fd);
    if (h != INVALID_HANDLE_VALUE) {
        do {
            ck_assert_uint_lt(count, N(names));
            names[count++] = strdup(fd.cFileName);
        } while (FindNextFileA(h, &fd));
        ck_assert_uint_eq(GetLastError(), ERROR_NO_MORE_FILES);
        ck_assert(FindClose(h));
    }
    qsort(names, count, sizeof names[0], cmp_str);
    snprintf(out, cap, "|");
    for (size_t i = 0; i < count; i++) {
        strncat(out, names[i], cap - strlen(out) - 1);
        strncat(out, "|", cap - strlen(out) - 1);
        free(names[i]);
    }
}

static const struct find_row {
    const char *pattern, *expected;
} find_rows[] = {
    { "*", "|.|..|Beta.TXT|abc.txt|abcd.txt|alpha.txt|noext|subdir|" },
    { "*.*", "|.|..|Beta.TXT|abc.txt|abcd.txt|alpha.txt|noext|subdir|" },
    { "*.txt", "|Beta.TXT|abc.txt|abcd.txt|alpha.txt|" },
    { "A*.TXT", "|abc.txt|abcd.txt|alpha.txt|" },
    { "ab?.txt", "|abc.txt|" },
    { "ab??.txt", "|abcd.txt|" },
    { "*c*", "|abc.txt|abcd.txt|" },
    { "noext", "|noext|" },
    { "NOEXT", "|noext|" },
    { "sub*", "|subdir|" },
};

START_TEST(findfirstfile_matches_wildcards_case_insensitively)
{
    char *d = find_dir();
    char got[512];
    list_matches(d, find_rows[_i].pattern, got, sizeof got);
    ck_assert_str_eq(got, find_rows[_i].expected);
    free(d);
}
END_TEST

START_TEST(findfirstfile_reports_size_attributes_and_times)
{
    char *d = find_dir();
    char spec[4200];
    WIN32_FIND_DATAA fd;
    memset(&fd, 0xA5, sizeof fd);
    snprintf(spec, sizeof spec, "%s/alpha.txt", d);
    HANDLE h = FindFirstFileA(spec, &fd);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_str_eq(fd.cFileName, "alpha.txt");
    ck_assert_uint_eq(fd.nFileSizeLow, 3);
    ck_assert_uint_eq(fd.nFileSizeHigh, 0);
    ck_assert_uint_eq(fd.dwFileAttributes, FILE_ATTRIBUTE_ARCHIVE);
    ck_assert_uint_ne(fd.ftLastWriteTime.dwHighDateTime, 0);
    ck_assert_str_eq(fd.cAlternateFileName, "");
    FindClose(h);
    snprintf(spec, sizeof spec, "%s/subdir", d);
    h = FindFirstFileA(spec, &fd);
    ck_assert_uint_eq(fd.dwFileAttributes, FILE_ATTRIBUTE_DIRECTORY);
    FindClose(h);
    free(d);
}
END_TEST

START_TEST(findfirstfile_with_no_match_fails_with_file_not_found_and_leaves_data)
{
    char *d = find_dir();
    char spec[4200];
    WIN32_FIND_DATAA fd;
    memset(&fd, 0xA5, sizeof fd);
    snprintf(spec, sizeof spec, "%s\\*.none", d);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(FindFirstFileA(spec, &fd), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    ck_assert_uint_eq(fd.dwFileAttributes, SENTINEL);
    free(d);
}
END_TEST

START_TEST(findfirstfile_in_missing_directory_fails_with_path_not_found)
{
    char *d = dup_path("findnodir");
    char spec[4200];
    WIN32_FIND_DATAA fd;
    snprintf(spec, sizeof spec, "%s\\*", d);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(FindFirstFileA(spec, &fd), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    free(d);
}
END_TEST

START_TEST(findfirstfile_with_null_arguments_fails_with_invalid_parameter)
{
    WIN32_FIND_DATAA fd;
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(FindFirstFileA(NULL, &fd), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(FindFirstFileA("*", NULL), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}
END_TEST

START_TEST(findnextfile_after_last_match_fails_with_no_more_files_and_leaves_data)
{
    char *d = find_dir();
    char spec[4200];
    WIN32_FIND_DATAA fd;
    snprintf(spec, sizeof spec, "%s\\ab?.txt", d);
    HANDLE h = FindFirstFileA(spec, &fd);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    memset(&fd, 0xA5, sizeof fd);
    SetLastError(SENTINEL);
    ck_assert(!FindNextFileA(h, &fd));
    ck_assert_uint_eq(GetLastError(), ERROR_NO_MORE_FILES);
    ck_assert_uint_eq(fd.dwFileAttributes, SENTINEL);
    ck_assert(FindClose(h));
    free(d);
}
END_TEST

START_TEST(findfirstfilew_reports_wide_names)
{
    char *d = make_dir("findw");
    char path[4200];
    snprintf(path, sizeof path, "%s/caf\xc3\xa9.txt", d); /* café.txt */
    HANDLE f = create_rw(path, CREATE_NEW);
    CloseHandle(f);
    WCHAR spec[4200];
    size_t i = 0;
    for (; d[i]; i++)
        spec[i] = (WCHAR)d[i];
    spec[i++] = L'\\';
    spec[i++] = L'C'; /* upper case: matched case-insensitively */
    spec[i++] = L'A';
    spec[i++] = L'F';
    spec[i++] = 0xC9; /* É */
    spec[i++] = L'*';
    spec[i] = 0;
    WIN32_FIND_DATAW fd;
    HANDLE h = FindFirstFileW(spec, &fd);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    const WCHAR expected[] = { L'c', L'a', L'f', 0xE9, L'.', L't', L'x', L't', 0 };
    ck_assert_int_eq(memcmp(fd.cFileName, expected, sizeof expected), 0);
    WIN32_FIND_DATAW next;
    SetLastError(SENTINEL);
    ck_assert(!FindNextFileW(h, &next));
    ck_assert_uint_eq(GetLastError(), ERROR_NO_MORE_FILES);
    ck_assert(FindClose(h));
    free(d);
}
END_TEST

START_TEST(findclose_twice_fails_with_invalid_handle)
{
    char *d = find_dir();
    char spec[4200];
    WIN32_FIND_DATAA fd;
    snprintf(spec, sizeof spec, "%s\\*", d);
    HANDLE h = FindFirstFileA(spec, &fd);
    ck_assert(FindClose(h));
    SetLastError(SENTINEL);
    ck_assert(!FindClose(h));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(SENTINEL);
    ck_assert(!FindNextFileA(h, &fd));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    free(d);
}
END_TEST

START_TEST(findnextfile_and_findclose_on_file_handle_fail_with_invalid_handle)
{
    HANDLE h = pattern_file(1, 0);
    WIN32_FIND_DATAA fd;
    SetLastError(SENTINEL);
    ck_assert(!FindNextFileA(h, &fd));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(SENTINEL);
    ck_assert(!FindClose(h));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert(CloseHandle(h)); /* still open */
}
END_TEST

/* ------------------------------------------------------------------ GetTempPath, lstrlen */

START_TEST(gettemppath_uses_tmpdir_with_trailing_separator)
{
    char buf[MAX_PATH + 1];
    ck_assert_int_eq(setenv("TMPDIR", "/var/tmp", 1), 0);
    ck_assert_uint_eq(GetTempPathA(sizeof buf, buf), 9);
    ck_assert_str_eq(buf, "/var/tmp/");
    ck_assert_int_eq(setenv("TMPDIR", "/srv/scratch/", 1), 0);
    ck_assert_uint_eq(GetTempPathA(sizeof buf, buf), 13);
    ck_assert_str_eq(buf, "/srv/scratch/");
}
END_TEST

START_TEST(gettemppath_without_tmpdir_is_tmp)
{
    char buf[MAX_PATH + 1];
    ck_assert_int_eq(unsetenv("TMPDIR"), 0);
    ck_assert_uint_eq(GetTempPathA(sizeof buf, buf), 5);
    ck_assert_str_eq(buf, "/tmp/");
}
END_TEST

START_TEST(gettemppath_with_small_buffer_returns_size_needed_and_leaves_buffer)
{
    char buf[9];
    memset(buf, 'Z', sizeof buf);
    ck_assert_int_eq(setenv("TMPDIR", "/var/tmp", 1), 0);
    ck_assert_uint_eq(GetTempPathA(sizeof buf, buf), 10);
    ck_assert_int_eq(buf[0], 'Z');
    ck_assert_uint_eq(GetTempPathA(0, NULL), 10);
}
END_TEST

START_TEST(gettemppathw_returns_wide_path)
{
    WCHAR buf[MAX_PATH + 1];
    const WCHAR expected[] = { L'/', L't', L'm', L'p', L'/', 0 };
    ck_assert_int_eq(unsetenv("TMPDIR"), 0);
    ck_assert_uint_eq(GetTempPathW(MAX_PATH + 1, buf), 5);
    ck_assert_int_eq(memcmp(buf, expected, sizeof expected), 0);
    ck_assert_uint_eq(GetTempPathW(3, buf), 6);
}
END_TEST

START_TEST(lstrlen_counts_characters_and_treats_null_as_empty)
{
    ck_assert_int_eq(lstrlenA("hello"), 5);
    ck_assert_int_eq(lstrlenA(""), 0);
    ck_assert_int_eq(lstrlenA(NULL), 0);
    ck_assert_int_eq(lstrlenW(L"wide"), 4);
    ck_assert_int_eq(lstrlenW(NULL), 0);
}
END_TEST

/* ------------------------------------------------------------------ POSIX interop */

START_TEST(handle_from_fd_borrows_descriptor_and_closehandle_leaves_it_open)
{
    char *p = tu_make_file("fd", 100);
    int fd = open(p, O_RDWR);
    HANDLE h = iore_handle_from_fd(fd);
    unsigned char buf[10];
    DWORD n = 0;
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    ck_assert_int_eq(iore_fd_from_handle(h), fd);
    ck_assert(ReadFile(h, buf, sizeof buf, &n, NULL));
    tu_assert_pattern(buf, 10, 0);
    ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 10); /* one file pointer */
    ck_assert(CloseHandle(h));
    ck_assert_int_ne(fcntl(fd, F_GETFD), -1);
    close(fd);
    free(p);
}
END_TEST

START_TEST(handle_from_fd_access_follows_open_mode)
{
    char *p = tu_make_file("fdro", 100);
    int fd = open(p, O_RDONLY);
    HANDLE h = iore_handle_from_fd(fd);
    DWORD n = SENTINEL;
    SetLastError(SENTINEL);
    ck_assert(!WriteFile(h, "x", 1, &n, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_ACCESS_DENIED);
    ck_assert_uint_eq(n, SENTINEL);
    CloseHandle(h);
    close(fd);
    free(p);
}
END_TEST

START_TEST(handle_from_fd_on_closed_descriptor_fails_with_invalid_handle)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    close(fds[0]);
    close(fds[1]);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(iore_handle_from_fd(fds[0]), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(SENTINEL);
    ck_assert_ptr_eq(iore_handle_from_fd(-1), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

START_TEST(fd_from_handle_on_bad_handle_fails_with_invalid_handle)
{
    SetLastError(SENTINEL);
    ck_assert_int_eq(iore_fd_from_handle(bad_file_handle(_i)), -1);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

/* ------------------------------------------------------------------ suites */

static Suite *file_suite(void)
{
    Suite *s = suite_create("file");
    TCase *tc = tcase_create("createfile");
    tcase_add_test(tc, createfilea_create_new_creates_file_and_clears_last_error);
    tcase_add_test(tc, createfile_create_new_on_existing_file_fails_with_error_file_exists);
    tcase_add_test(tc, createfile_create_always_on_existing_file_truncates_and_sets_error_already_exists);
    tcase_add_test(tc, createfile_create_always_on_missing_file_creates_it_and_clears_last_error);
    tcase_add_test(tc, createfile_open_existing_on_missing_file_fails_with_error_file_not_found);
    tcase_add_test(tc, createfile_open_existing_keeps_contents_and_clears_last_error);
    tcase_add_test(tc, createfile_open_always_on_existing_file_keeps_data_and_sets_error_already_exists);
    tcase_add_test(tc, createfile_open_always_on_missing_file_creates_it_and_clears_last_error);
    tcase_add_test(tc, createfile_truncate_existing_empties_file);
    tcase_add_test(tc, createfile_truncate_existing_on_missing_file_fails_with_error_file_not_found);
    tcase_add_test(tc, createfile_truncate_existing_without_generic_write_fails_with_invalid_parameter);
    tcase_add_loop_test(tc, createfile_with_invalid_disposition_fails_with_invalid_parameter, 0,
                        (int)N(bad_dispositions));
    tcase_add_loop_test(tc, createfile_in_missing_directory_fails_with_error_path_not_found, 0,
                        (int)N(every_disposition));
    tcase_add_test(tc, createfile_with_null_name_fails_with_invalid_parameter);
    tcase_add_test(tc, createfile_with_empty_name_fails_with_path_not_found);
    tcase_add_test(tc, createfile_with_unknown_share_mode_bits_fails_with_invalid_parameter);
    tcase_add_test(tc, createfile_share_modes_are_accepted_and_not_enforced);
    tcase_add_test(tc, createfile_read_only_attribute_creates_file_without_write_permission);
    tcase_add_loop_test(tc, createfile_access_right_grants_matching_read_and_write, 0,
                        (int)N(access_rows));
    tcase_add_test(tc, createfile_with_zero_access_still_answers_size_queries);
    tcase_add_test(tc, createfile_on_directory_without_backup_semantics_fails_with_access_denied);
    tcase_add_test(tc, createfile_on_directory_with_backup_semantics_opens_it);
    tcase_add_test(tc, createfile_create_new_on_existing_directory_fails_with_error_file_exists);
    tcase_add_test(tc, readfile_on_directory_handle_fails_with_invalid_function);
    tcase_add_test(tc, delete_on_close_removes_file_on_last_close);
    tcase_add_test(tc, delete_on_close_uses_the_path_as_opened_even_after_chdir);
    tcase_add_test(tc, write_through_opens_with_o_dsync);
    tcase_add_test(tc, overlapped_flag_is_accepted);
    tcase_add_test(tc, handles_are_not_inherited_unless_asked);
    tcase_add_test(tc, no_buffering_falls_back_to_buffered_when_open_refuses_o_direct_and_keeps_alignment);
    suite_add_tcase(s, tc);

    tc = tcase_create("paths");
    tcase_add_test(tc, createfilew_with_wide_path_creates_file);
    tcase_add_test(tc, createfilew_with_unpaired_surrogate_fails_with_error_invalid_name);
    tcase_add_test(tc, createfilea_with_malformed_utf8_fails_with_error_invalid_name);
    tcase_add_test(tc, createfile_with_name_longer_than_path_max_fails_with_filename_exced_range);
    tcase_add_test(tc, backslash_path_maps_to_host_path);
    tcase_add_test(tc, drive_letter_maps_to_ioringemu_drive_env);
    tcase_add_test(tc, drive_relative_path_maps_under_ioringemu_drive_env);
    tcase_add_test(tc, drive_letter_without_env_maps_to_host_root);
    tcase_add_test(tc, extended_length_prefix_is_stripped);
    tcase_add_test(tc, relative_path_resolves_against_working_directory);
    suite_add_tcase(s, tc);

    tc = tcase_create("readwrite");
    tcase_add_test(tc, readfile_reads_and_advances_file_pointer);
    tcase_add_test(tc, readfile_short_at_end_of_file_returns_what_is_there);
    tcase_add_test(tc, readfile_at_eof_returns_true_with_zero_bytes);
    tcase_add_test(tc, readfile_large_transfer_reads_everything);
    tcase_add_test(tc, readfile_with_overlapped_offset_on_overlapped_handle_reads_at_offset_and_keeps_file_pointer);
    tcase_add_test(tc, readfile_with_overlapped_offset_on_synchronous_handle_moves_file_pointer);
    tcase_add_test(tc, readfile_with_overlapped_sets_internal_fields_and_signals_event);
    tcase_add_test(tc, readfile_event_handle_with_low_bit_set_is_still_signaled);
    tcase_add_test(tc, readfile_with_overlapped_at_eof_fails_with_handle_eof_and_leaves_overlapped);
    tcase_add_test(tc, readfile_with_invalid_event_handle_fails_with_invalid_handle);
    tcase_add_test(tc, readfile_on_overlapped_handle_without_overlapped_fails_with_invalid_parameter);
    tcase_add_test(tc, readfile_without_count_or_overlapped_fails_with_invalid_parameter);
    tcase_add_test(tc, readfile_with_null_buffer_fails_with_error_noaccess);
    tcase_add_test(tc, readfile_with_offset_beyond_int64_fails_with_invalid_parameter);
    tcase_add_loop_test(tc, readfile_and_writefile_on_bad_handle_fail_with_invalid_handle, 0, 5);
    tcase_add_test(tc, writefile_writes_at_file_pointer_and_advances_it);
    tcase_add_test(tc, writefile_with_overlapped_offset_extends_file);
    tcase_add_test(tc, writefile_to_end_of_file_offset_appends);
    tcase_add_test(tc, synchronous_readfile_from_two_threads_reads_every_byte_once);
    tcase_add_test(tc, readfile_when_pread_fails_with_eio_fails_with_not_ready_and_keeps_pointer);
    tcase_add_test(tc, readfile_retries_an_interrupted_pread);
    tcase_add_test(tc, writefile_when_pwrite_fails_with_enospc_fails_with_disk_full);
    tcase_add_test(tc, writefile_error_after_partial_progress_reports_the_bytes_written);
    tcase_add_test(tc, writefile_past_file_size_limit_fails_with_file_too_large);
    tcase_add_test(tc, readfile_continues_after_a_short_read);
    tcase_add_test(tc, readfile_on_pipe_returns_what_is_available);
    tcase_add_test(tc, readfile_on_pipe_with_closed_writer_fails_with_broken_pipe);
    tcase_add_test(tc, writefile_to_pipe_with_closed_reader_fails_without_sigpipe);
    tcase_add_test(tc, readfile_on_pipe_ignores_overlapped_offset);
    tcase_add_test(tc, readfile_on_nonblocking_pipe_waits_for_data);
    tcase_add_test(tc, readfile_on_socket_after_peer_shutdown_succeeds_with_zero_bytes);
    tcase_add_test(tc, writefile_on_socket_sends_everything);
    suite_add_tcase(s, tc);

    tc = tcase_create("size-pointer-flush");
    tcase_add_test(tc, getfilesizeex_reports_size);
    tcase_add_test(tc, getfilesizeex_with_null_output_fails_with_invalid_parameter);
    tcase_add_loop_test(tc, getfilesizeex_on_bad_handle_fails_with_invalid_handle_and_leaves_output, 0, 5);
    tcase_add_test(tc, getfilesize_returns_low_part_and_high_part);
    tcase_add_test(tc, getfilesize_with_low_part_all_ones_clears_last_error);
    tcase_add_test(tc, getfilesize_on_bad_handle_returns_invalid_file_size_with_invalid_handle);
    tcase_add_loop_test(tc, setfilepointerex_moves_by_method, 0, (int)N(seek_rows));
    tcase_add_test(tc, setfilepointerex_before_start_fails_with_negative_seek_and_keeps_pointer);
    tcase_add_test(tc, setfilepointerex_with_invalid_method_fails_with_invalid_parameter);
    tcase_add_test(tc, setfilepointerex_overflowing_int64_fails_with_invalid_parameter);
    tcase_add_loop_test(tc, setfilepointerex_on_bad_handle_fails_with_invalid_handle, 0, 5);
    tcase_add_test(tc, setendoffile_truncates_at_file_pointer);
    tcase_add_test(tc, setendoffile_extends_to_file_pointer);
    tcase_add_test(tc, setendoffile_on_read_only_handle_fails_with_access_denied);
    tcase_add_test(tc, flushfilebuffers_on_writable_handle_succeeds);
    tcase_add_test(tc, flushfilebuffers_on_read_only_handle_fails_with_access_denied);
    tcase_add_test(tc, flushfilebuffers_when_fsync_fails_with_eio_fails_with_not_ready);
    tcase_add_test(tc, flushfilebuffers_on_pipe_succeeds);
    tcase_add_loop_test(tc, flushfilebuffers_on_bad_handle_fails_with_invalid_handle, 0, 5);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_test(tc, deletefilea_removes_file);
    tcase_add_test(tc, deletefilew_removes_file);
    tcase_add_test(tc, deletefile_on_missing_file_fails_with_file_not_found);
    tcase_add_test(tc, deletefile_in_missing_directory_fails_with_path_not_found);
    tcase_add_test(tc, deletefile_on_directory_fails_with_access_denied);
    tcase_add_test(tc, deletefile_on_read_only_file_fails_with_access_denied);
    tcase_add_test(tc, deletefile_with_null_name_fails_with_invalid_parameter);
    tcase_add_test(tc, getfileattributes_of_file_is_archive);
    tcase_add_test(tc, getfileattributes_of_directory_is_directory);
    tcase_add_test(tc, getfileattributes_of_file_without_write_permission_is_read_only);
    tcase_add_test(tc, getfileattributesw_of_wide_name_matches_a_version);
    tcase_add_test(tc, getfileattributes_of_missing_file_fails_with_file_not_found);
    tcase_add_test(tc, getfileattributes_in_missing_directory_fails_with_path_not_found);
    tcase_add_test(tc, getfileattributes_with_null_name_fails_with_invalid_parameter);
    tcase_add_loop_test(tc, findfirstfile_matches_wildcards_case_insensitively, 0, (int)N(find_rows));
    tcase_add_test(tc, findfirstfile_reports_size_attributes_and_times);
    tcase_add_test(tc, findfirstfile_with_no_match_fails_with_file_not_found_and_leaves_data);
    tcase_add_test(tc, findfirstfile_in_missing_directory_fails_with_path_not_found);
    tcase_add_test(tc, findfirstfile_with_null_arguments_fails_with_invalid_parameter);
    tcase_add_test(tc, findnextfile_after_last_match_fails_with_no_more_files_and_leaves_data);
    tcase_add_test(tc, findfirstfilew_reports_wide_names);
    tcase_add_test(tc, findclose_twice_fails_with_invalid_handle);
    tcase_add_test(tc, findnextfile_and_findclose_on_file_handle_fail_with_invalid_handle);
    tcase_add_test(tc, gettemppath_uses_tmpdir_with_trailing_separator);
    tcase_add_test(tc, gettemppath_without_tmpdir_is_tmp);
    tcase_add_test(tc, gettemppath_with_small_buffer_returns_size_needed_and_leaves_buffer);
    tcase_add_test(tc, gettemppathw_returns_wide_path);
    tcase_add_test(tc, lstrlen_counts_characters_and_treats_null_as_empty);
    suite_add_tcase(s, tc);

    tc = tcase_create("interop");
    tcase_add_test(tc, handle_from_fd_borrows_descriptor_and_closehandle_leaves_it_open);
    tcase_add_test(tc, handle_from_fd_access_follows_open_mode);
    tcase_add_test(tc, handle_from_fd_on_closed_descriptor_fails_with_invalid_handle);
    tcase_add_loop_test(tc, fd_from_handle_on_bad_handle_fails_with_invalid_handle, 0, 5);
    suite_add_tcase(s, tc);
    return s;
}

/* ------------------------------------------------------------------ resources */

/* NULL when the scratch file system does direct I/O, else why not. */
static const char *o_direct_missing(void)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/o-direct-probe", tu_scratch_dir());
    int fd = open(path, O_CREAT | O_RDWR | O_DIRECT, 0600);
    unlink(path);
    if (fd < 0)
        return "the scratch file system refuses O_DIRECT (set TMPDIR to a disk file system)";
    close(fd);
    return NULL;
}

static const char *tmpfs_missing(void)
{
    struct statfs sfs;
    if (statfs("/dev/shm", &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)
        return "no tmpfs mounted at /dev/shm";
    if (access("/dev/shm", W_OK) < 0)
        return "/dev/shm is not writable";
    return NULL;
}

int main(void)
{
    Suite *s = file_suite();
    const char *skipped = NULL, *why;
    TCase *tc;

    if ((why = o_direct_missing())) {
        skipped = why;
    } else {
        tc = tcase_create("o_direct");
        tcase_add_test(tc, no_buffering_uses_o_direct_where_file_system_allows_it);
        tcase_add_test(tc, no_buffering_create_new_applies_o_direct);
        suite_add_tcase(s, tc);
    }
    if ((why = tmpfs_missing())) {
        skipped = why;
    } else {
        tc = tcase_create("tmpfs");
        tcase_add_test(tc, no_buffering_on_tmpfs_opens_and_enforces_alignment);
        suite_add_tcase(s, tc);
    }
    int rc = tu_run(s);
    if (rc == 0 && skipped) {
        /* Everything that ran passed; the skip says what did not run. */
        fprintf(stderr, "SKIP: %s\n", skipped);
        return TU_SKIP;
    }
    return rc;
}
