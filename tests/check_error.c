/*
 * check_error.c - the errno translation table (errors.md §5, §6), the
 * HRESULT macros (§1, §3) and the thread's last error.
 *
 * Expected values are restated from the spec here, not read from the
 * library's table, so a wrong row fails.
 */
#define _GNU_SOURCE
#include <windows.h>
#include <ioringemu.h>

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ §5 */

struct win32_row {
    int err;
    const char *name;
    DWORD win32;
    HRESULT hr;
};
#define ROW(e, w, h) { e, #e, w, (HRESULT)(h) }

/* errors.md §5.1 (Wine, adopted) and §5.2 (emulator decisions). */
static const struct win32_row win32_rows[] = {
    ROW(EBADF, 6, 0x80070006), ROW(EBUSY, 170, 0x800700AA), ROW(ENOSPC, 112, 0x80070070),
    ROW(EPERM, 5, 0x80070005), ROW(EROFS, 5, 0x80070005), ROW(EACCES, 5, 0x80070005),
    ROW(ENOTDIR, 3, 0x80070003), ROW(ENOENT, 2, 0x80070002), ROW(EMFILE, 4, 0x80070004),
    ROW(ENFILE, 4, 0x80070004), ROW(EINVAL, 87, 0x80070057), ROW(ENOTEMPTY, 145, 0x80070091),
    ROW(EPIPE, 233, 0x800700E9), ROW(ECONNRESET, 233, 0x800700E9), ROW(EIO, 21, 0x80070015),
    ROW(ENOMEDIUM, 21, 0x80070015), ROW(ENXIO, 2, 0x80070002), ROW(ENOTTY, 50, 0x80070032),
    ROW(EOPNOTSUPP, 50, 0x80070032), ROW(ENOTSUP, 50, 0x80070032),
    ROW(EFAULT, 998, 0x800703E6), ROW(ESPIPE, 1, 0x80070001), ROW(ELOOP, 1921, 0x80070781),
    ROW(ETIME, 121, 0x80070079),
    ROW(EISDIR, 1, 0x80070001), ROW(ECANCELED, 995, 0x800703E3),
    ROW(ENOMEM, 1450, 0x800705AA), ROW(ETIMEDOUT, 121, 0x80070079),
    ROW(EDQUOT, 1295, 0x8007050F), ROW(EFBIG, 223, 0x800700DF),
    ROW(EOVERFLOW, 87, 0x80070057), ROW(ENOSYS, 50, 0x80070032),
};

START_TEST(errno_maps_to_the_win32_error_and_hresult_of_errors_md_5)
{
    const struct win32_row *r = &win32_rows[_i];
    DWORD win32 = iore_win32_from_errno(r->err);
    ck_assert_msg(win32 == r->win32, "%s: Win32 %u, expected %u", r->name, win32, r->win32);
    ck_assert_msg(HRESULT_FROM_WIN32(win32) == r->hr, "%s: HRESULT 0x%08x, expected 0x%08x",
                  r->name, (unsigned)HRESULT_FROM_WIN32(win32), (unsigned)r->hr);
}
END_TEST

/* ------------------------------------------------------------------ §6 */

struct wsa_row {
    int err;
    const char *name;
    int wsa;
};
#define WROW(e, w) { e, #e, w }

/* errors.md §6 (Wine's wsaErrno, adopted) with the emulator's overrides:
 * ECANCELED -> WSA_OPERATION_ABORTED (995), ENOMEM -> WSAENOBUFS. */
static const struct wsa_row wsa_rows[] = {
    WROW(EBADF, 10009), WROW(EPERM, 10013), WROW(EACCES, 10013),
    WROW(EFAULT, 10014), WROW(EINVAL, 10022), WROW(EMFILE, 10024),
    WROW(EWOULDBLOCK, 10035), WROW(EAGAIN, 10035), WROW(EINPROGRESS, 10036),
    WROW(EALREADY, 10037), WROW(ENOTSOCK, 10038), WROW(EDESTADDRREQ, 10039),
    WROW(EMSGSIZE, 10040), WROW(EPROTOTYPE, 10041), WROW(ENOPROTOOPT, 10042),
    WROW(EPROTONOSUPPORT, 10043), WROW(ESOCKTNOSUPPORT, 10044), WROW(EOPNOTSUPP, 10045),
    WROW(EPFNOSUPPORT, 10046), WROW(EAFNOSUPPORT, 10047), WROW(EADDRINUSE, 10048),
    WROW(EADDRNOTAVAIL, 10049), WROW(ENETDOWN, 10050), WROW(ENETUNREACH, 10051),
    WROW(ENETRESET, 10052), WROW(ECONNABORTED, 10053), WROW(EPIPE, 10054),
    WROW(ECONNRESET, 10054), WROW(ENOBUFS, 10055), WROW(EISCONN, 10056),
    WROW(ENOTCONN, 10057), WROW(ESHUTDOWN, 10058), WROW(ETOOMANYREFS, 10059),
    WROW(ETIMEDOUT, 10060), WROW(ECONNREFUSED, 10061), WROW(ELOOP, 10062),
    WROW(ENAMETOOLONG, 10063), WROW(EHOSTDOWN, 10064), WROW(EHOSTUNREACH, 10065),
    WROW(ENOTEMPTY, 10066), WROW(EUSERS, 10068), WROW(EDQUOT, 10069),
    WROW(ESTALE, 10070), WROW(EREMOTE, 10071),
    WROW(ECANCELED, 995), WROW(ENOMEM, 10055),
};

START_TEST(errno_maps_to_the_winsock_code_of_errors_md_6)
{
    const struct wsa_row *r = &wsa_rows[_i];
    int wsa = iore_wsa_from_errno(r->err);
    ck_assert_msg(wsa == r->wsa, "%s: Winsock %d, expected %d", r->name, wsa, r->wsa);
}
END_TEST

/* ------------------------------------------------------------------ unmapped */

/*
 * Runs fn(arg) in a child process whose stderr is a pipe and returns what it
 * wrote (malloc'd). "Reported once" is per process, so each check needs a
 * process of its own whatever CK_FORK says; arg must be shared memory
 * (shared_alloc) for the child's results to reach the test.
 */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        if (dup2(p[1], STDERR_FILENO) < 0)
            _exit(2);
        fn(arg);
        fflush(stderr);
        _exit(0);
    }
    close(p[1]);
    static char buf[8192];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf - 1 && (n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    close(p[0]);
    buf[len] = '\0';
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    return strdup(buf);
}

static void *shared_alloc(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    memset(p, 0, len);
    return p;
}

static unsigned count_lines(const char *s)
{
    unsigned n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* errors.md §5.1 "anything else" examples, plus errnos §5 never names. */
static const struct { int err; const char *name; } unmapped[] = {
    { EEXIST, "EEXIST" }, { ENOEXEC, "ENOEXEC" }, { ENOTCONN, "ENOTCONN" },
    { ETXTBSY, "ETXTBSY" }, { EDEADLK, "EDEADLK" },
};

struct twice { int err; DWORD first, second; int wsa_first, wsa_second; };

static void win32_twice(void *arg)
{
    struct twice *t = arg;
    t->first = iore_win32_from_errno(t->err);
    t->second = iore_win32_from_errno(t->err);
}

START_TEST(unmapped_errno_gives_error_gen_failure_and_one_stderr_line_when_hit_twice)
{
    struct twice *t = shared_alloc(sizeof *t);
    t->err = unmapped[_i].err;
    char *out = capture_stderr(win32_twice, t);
    ck_assert_uint_eq(t->first, ERROR_GEN_FAILURE);
    ck_assert_uint_eq(t->second, ERROR_GEN_FAILURE);
    ck_assert_msg(count_lines(out) == 1, "stderr: \"%s\"", out);
    ck_assert_msg(strstr(out, unmapped[_i].name), "errno not named: \"%s\"", out);
    ck_assert_msg(strstr(out, "iore_win32_from_errno"), "operation not named: \"%s\"", out);
    free(out);
}
END_TEST

static void wsa_twice(void *arg)
{
    struct twice *t = arg;
    t->wsa_first = iore_wsa_from_errno(t->err);
    t->wsa_second = iore_wsa_from_errno(t->err);
}

START_TEST(unmapped_errno_gives_wsaeopnotsupp_and_one_stderr_line_when_hit_twice)
{
    struct twice *t = shared_alloc(sizeof *t);
    t->err = EEXIST;
    char *out = capture_stderr(wsa_twice, t);
    ck_assert_int_eq(t->wsa_first, WSAEOPNOTSUPP);
    ck_assert_int_eq(t->wsa_second, WSAEOPNOTSUPP);
    ck_assert_msg(count_lines(out) == 1, "stderr: \"%s\"", out);
    ck_assert_msg(strstr(out, "EEXIST"), "errno not named: \"%s\"", out);
    free(out);
}
END_TEST

static void two_values(void *arg)
{
    DWORD *got = arg;
    got[0] = iore_win32_from_errno(EEXIST);
    got[1] = iore_win32_from_errno(ENOEXEC);
    got[2] = iore_win32_from_errno(EEXIST);
}

START_TEST(each_unmapped_errno_value_is_reported_once)
{
    DWORD *got = shared_alloc(3 * sizeof *got);
    char *out = capture_stderr(two_values, got);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(got[i], ERROR_GEN_FAILURE);
    ck_assert_msg(count_lines(out) == 2, "stderr: \"%s\"", out);
    ck_assert_ptr_nonnull(strstr(out, "EEXIST"));
    ck_assert_ptr_nonnull(strstr(out, "ENOEXEC"));
    free(out);
}
END_TEST

/* errors.md §5.2: EINTR is retried and EAGAIN waited on, so neither may reach
 * the Win32 table; if one does, it is reported like any unmapped errno. */
static const struct { int err; const char *name; } never_surface[] = {
    { EINTR, "EINTR" }, { EAGAIN, "EAGAIN" },
};

static void win32_once(void *arg)
{
    struct twice *t = arg;
    t->first = iore_win32_from_errno(t->err);
}

START_TEST(errno_that_never_surfaces_is_reported_when_it_reaches_the_win32_table)
{
    struct twice *t = shared_alloc(sizeof *t);
    t->err = never_surface[_i].err;
    char *out = capture_stderr(win32_once, t);
    ck_assert_uint_eq(t->first, ERROR_GEN_FAILURE);
    ck_assert_msg(strstr(out, never_surface[_i].name), "stderr: \"%s\"", out);
    free(out);
}
END_TEST

static void wsa_once(void *arg)
{
    struct twice *t = arg;
    t->wsa_first = iore_wsa_from_errno(t->err);
}

START_TEST(eintr_is_reported_when_it_reaches_the_winsock_table)
{
    struct twice *t = shared_alloc(sizeof *t);
    t->err = EINTR;
    char *out = capture_stderr(wsa_once, t);
    ck_assert_int_eq(t->wsa_first, WSAEOPNOTSUPP);
    ck_assert_msg(strstr(out, "EINTR"), "stderr: \"%s\"", out);
    free(out);
}
END_TEST

static const int out_of_range[] = { 0, -EIO, 4096, -1 };

START_TEST(errno_outside_the_kernel_range_gives_error_gen_failure)
{
    struct twice *t = shared_alloc(sizeof *t);
    t->err = out_of_range[_i];
    char *out = capture_stderr(win32_once, t);
    ck_assert_uint_eq(t->first, ERROR_GEN_FAILURE);
    ck_assert_msg(count_lines(out) == 1, "stderr: \"%s\"", out);
    free(out);
}
END_TEST

START_TEST(translation_leaves_the_last_error_alone)
{
    SetLastError(12345);
    (void)iore_win32_from_errno(EIO);
    (void)iore_wsa_from_errno(EPIPE);
    ck_assert_uint_eq(GetLastError(), 12345);
}
END_TEST

/* ------------------------------------------------------------------ §1, §3 */

/* errors.md §3: Win32 code -> HRESULT_FROM_WIN32. */
static const struct { DWORD win32; HRESULT hr; } hresult_rows[] = {
    { 0, 0 }, { 1, (HRESULT)0x80070001 }, { 2, (HRESULT)0x80070002 },
    { 3, (HRESULT)0x80070003 }, { 4, (HRESULT)0x80070004 }, { 5, (HRESULT)0x80070005 },
    { 6, (HRESULT)0x80070006 }, { 8, (HRESULT)0x80070008 }, { 14, (HRESULT)0x8007000E },
    { 21, (HRESULT)0x80070015 }, { 31, (HRESULT)0x8007001F }, { 32, (HRESULT)0x80070020 },
    { 38, (HRESULT)0x80070026 }, { 50, (HRESULT)0x80070032 }, { 87, (HRESULT)0x80070057 },
    { 109, (HRESULT)0x8007006D }, { 112, (HRESULT)0x80070070 }, { 121, (HRESULT)0x80070079 },
    { 122, (HRESULT)0x8007007A }, { 145, (HRESULT)0x80070091 }, { 170, (HRESULT)0x800700AA },
    { 223, (HRESULT)0x800700DF }, { 232, (HRESULT)0x800700E8 }, { 233, (HRESULT)0x800700E9 },
    { 234, (HRESULT)0x800700EA }, { 258, (HRESULT)0x80070102 }, { 317, (HRESULT)0x8007013D },
    { 474, (HRESULT)0x800701DA }, { 534, (HRESULT)0x80070216 }, { 995, (HRESULT)0x800703E3 },
    { 996, (HRESULT)0x800703E4 }, { 997, (HRESULT)0x800703E5 }, { 998, (HRESULT)0x800703E6 },
    { 1168, (HRESULT)0x80070490 }, { 1223, (HRESULT)0x800704C7 }, { 1295, (HRESULT)0x8007050F },
    { 1450, (HRESULT)0x800705AA }, { 1453, (HRESULT)0x800705AD }, { 1460, (HRESULT)0x800705B4 },
    { 1784, (HRESULT)0x800706F8 }, { 1921, (HRESULT)0x80070781 },
};

START_TEST(hresult_from_win32_matches_errors_md_3)
{
    DWORD w = hresult_rows[_i].win32;
    HRESULT want = hresult_rows[_i].hr;
    ck_assert_msg(HRESULT_FROM_WIN32(w) == want, "HRESULT_FROM_WIN32(%u) = 0x%08x", w,
                  (unsigned)HRESULT_FROM_WIN32(w));
    ck_assert_msg(__HRESULT_FROM_WIN32(w) == want, "__HRESULT_FROM_WIN32(%u) = 0x%08x", w,
                  (unsigned)__HRESULT_FROM_WIN32(w));
}
END_TEST

START_TEST(hresult_from_win32_passes_zero_and_negative_values_through)
{
    ck_assert_int_eq(HRESULT_FROM_WIN32(0), S_OK);
    ck_assert_int_eq(HRESULT_FROM_WIN32((DWORD)E_FAIL), E_FAIL);
    ck_assert_int_eq(__HRESULT_FROM_WIN32((DWORD)IORING_E_CORRUPT), IORING_E_CORRUPT);
}
END_TEST

START_TEST(hresult_field_macros_follow_errors_md_1)
{
    ck_assert(SUCCEEDED(S_OK));
    ck_assert(SUCCEEDED(S_FALSE));
    ck_assert(FAILED(E_FAIL));
    ck_assert(!FAILED(S_FALSE));
    ck_assert_int_eq(HRESULT_CODE(E_HANDLE), ERROR_INVALID_HANDLE);
    ck_assert_int_eq(HRESULT_FACILITY(E_HANDLE), FACILITY_WIN32);
    ck_assert_int_eq(HRESULT_FACILITY(IORING_E_SUBMISSION_QUEUE_FULL), FACILITY_IORING);
    ck_assert_int_eq(FACILITY_IORING, 70);
    ck_assert_int_eq(HRESULT_SEVERITY(E_INVALIDARG), 1);
    ck_assert_int_eq(HRESULT_SEVERITY(S_FALSE), 0);
    ck_assert_int_eq(E_INVALIDARG, -2147024809);
    ck_assert_int_eq(HRESULT_FROM_NT(0xC0000008u), (HRESULT)0xD0000008u);
}
END_TEST

/* ------------------------------------------------------------------ last error */

START_TEST(getlasterror_returns_what_setlasterror_stored)
{
    SetLastError(ERROR_IO_PENDING);
    ck_assert_uint_eq(GetLastError(), ERROR_IO_PENDING);
    SetLastError(0xFFFFFFFFu);
    ck_assert_uint_eq(GetLastError(), 0xFFFFFFFFu);
}
END_TEST

struct lasterr_thread {
    DWORD at_start, after_set;
};

static void *lasterr_worker(void *arg)
{
    struct lasterr_thread *t = arg;
    t->at_start = GetLastError();
    SetLastError(ERROR_NOT_FOUND);
    t->after_set = GetLastError();
    return NULL;
}

START_TEST(last_error_is_per_thread)
{
    struct lasterr_thread t = { 1, 1 };
    pthread_t th;
    SetLastError(ERROR_ACCESS_DENIED);
    ck_assert_int_eq(pthread_create(&th, NULL, lasterr_worker, &t), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_uint_eq(t.at_start, ERROR_SUCCESS);
    ck_assert_uint_eq(t.after_set, ERROR_NOT_FOUND);
    ck_assert_uint_eq(GetLastError(), ERROR_ACCESS_DENIED);
}
END_TEST

/* ------------------------------------------------------------------ suite */

static Suite *error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("errno_table");
    tcase_add_loop_test(tc, errno_maps_to_the_win32_error_and_hresult_of_errors_md_5, 0,
                        (int)N(win32_rows));
    tcase_add_loop_test(tc, errno_maps_to_the_winsock_code_of_errors_md_6, 0, (int)N(wsa_rows));
    tcase_add_loop_test(tc, unmapped_errno_gives_error_gen_failure_and_one_stderr_line_when_hit_twice,
                        0, (int)N(unmapped));
    tcase_add_test(tc, unmapped_errno_gives_wsaeopnotsupp_and_one_stderr_line_when_hit_twice);
    tcase_add_test(tc, each_unmapped_errno_value_is_reported_once);
    tcase_add_loop_test(tc, errno_that_never_surfaces_is_reported_when_it_reaches_the_win32_table,
                        0, (int)N(never_surface));
    tcase_add_test(tc, eintr_is_reported_when_it_reaches_the_winsock_table);
    tcase_add_loop_test(tc, errno_outside_the_kernel_range_gives_error_gen_failure, 0,
                        (int)N(out_of_range));
    tcase_add_test(tc, translation_leaves_the_last_error_alone);
    suite_add_tcase(s, tc);

    tc = tcase_create("hresult");
    tcase_add_loop_test(tc, hresult_from_win32_matches_errors_md_3, 0, (int)N(hresult_rows));
    tcase_add_test(tc, hresult_from_win32_passes_zero_and_negative_values_through);
    tcase_add_test(tc, hresult_field_macros_follow_errors_md_1);
    suite_add_tcase(s, tc);

    tc = tcase_create("last_error");
    tcase_add_test(tc, getlasterror_returns_what_setlasterror_stored);
    tcase_add_test(tc, last_error_is_per_thread);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(error_suite());
}
