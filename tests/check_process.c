/*
 * check_process.c - threads, process and system information, and time as
 * Windows code sees them: CreateThread, ResumeThread, GetExitCodeThread,
 * GetCurrentThreadId, GetCurrentProcessId, ExitProcess, GetSystemInfo,
 * GetTickCount(64), QueryPerformanceCounter/Frequency.
 */
#define _GNU_SOURCE
#include <windows.h>
#include <ioringemu.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define MUST_MS 10000
#define NEGATIVE_MS 200

/* A thread routine's view of the world, filled in by the thread. */
struct probe {
    HANDLE gate;     /* waited for before returning, if not NULL */
    HANDLE ran;      /* set on entry, if not NULL */
    HANDLE done;     /* set after the gate, if not NULL */
    DWORD id;        /* GetCurrentThreadId() inside */
    DWORD code;      /* returned */
};

static DWORD WINAPI probe_main(LPVOID p)
{
    struct probe *pr = p;
    pr->id = GetCurrentThreadId();
    if (pr->ran)
        SetEvent(pr->ran);
    if (pr->gate)
        WaitForSingleObject(pr->gate, INFINITE);
    if (pr->done)
        SetEvent(pr->done);
    return pr->code;
}

static void join(HANDLE t)
{
    ck_assert_uint_eq(WaitForSingleObject(t, MUST_MS), WAIT_OBJECT_0);
}

/* ------------------------------------------------------------------ CreateThread */

START_TEST(createthread_reports_the_id_the_thread_sees_as_its_own)
{
    struct probe pr = { .code = 0 };
    DWORD id = TU_SENTINEL;
    HANDLE t = CreateThread(NULL, 0, probe_main, &pr, 0, &id);
    ck_assert_ptr_nonnull(t);
    join(t);
    ck_assert_uint_eq(id, pr.id);
    ck_assert_uint_ne(id, GetCurrentThreadId());
    CloseHandle(t);
}
END_TEST

START_TEST(createthread_without_an_id_pointer_succeeds)
{
    struct probe pr = { .code = 0 };
    HANDLE t = CreateThread(NULL, 0, probe_main, &pr, 0, NULL);
    ck_assert_ptr_nonnull(t);
    join(t);
    CloseHandle(t);
}
END_TEST

START_TEST(createthread_with_a_stack_size_runs_the_thread)
{
    struct probe pr = { .code = 7 };
    HANDLE t = CreateThread(NULL, 256 * 1024, probe_main, &pr, 0, NULL);
    ck_assert_ptr_nonnull(t);
    join(t);
    DWORD code = TU_SENTINEL;
    ck_assert(GetExitCodeThread(t, &code));
    ck_assert_uint_eq(code, 7);
    CloseHandle(t);
}
END_TEST

START_TEST(createthread_with_a_tiny_stack_size_rounds_it_up)
{
    struct probe pr = { .code = 3 };
    HANDLE t = CreateThread(NULL, 1, probe_main, &pr, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    ck_assert_ptr_nonnull(t);
    join(t);
    CloseHandle(t);
}
END_TEST

START_TEST(createthread_without_a_start_routine_fails_with_error_invalid_parameter)
{
    DWORD id = TU_SENTINEL;
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(CreateThread(NULL, 0, NULL, NULL, 0, &id));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert_uint_eq(id, TU_SENTINEL);
}
END_TEST

START_TEST(createthread_with_unknown_flags_fails_with_error_invalid_parameter)
{
    struct probe pr = { .code = 0 };
    DWORD id = TU_SENTINEL;
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(CreateThread(NULL, 0, probe_main, &pr, 0x1, &id));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert_uint_eq(id, TU_SENTINEL);
}
END_TEST

START_TEST(closing_a_running_threads_handle_does_not_stop_it)
{
    /* Static: the thread outlives this function's frame. */
    static struct probe pr;
    pr.gate = tu_event(TRUE, FALSE);
    pr.done = tu_event(TRUE, FALSE);
    HANDLE t = CreateThread(NULL, 0, probe_main, &pr, 0, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert(CloseHandle(t));
    /* The thread runs on though its handle is gone: released from the
     * gate, it gets to the end. */
    ck_assert(SetEvent(pr.gate));
    ck_assert_uint_eq(WaitForSingleObject(pr.done, MUST_MS), WAIT_OBJECT_0);
}
END_TEST

/* ------------------------------------------------------------------ suspended start */

START_TEST(suspended_thread_does_not_run_until_resumed)
{
    struct probe pr = { .ran = tu_event(TRUE, FALSE) };
    HANDLE t = CreateThread(NULL, 0, probe_main, &pr, CREATE_SUSPENDED, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(WaitForSingleObject(pr.ran, NEGATIVE_MS), WAIT_TIMEOUT);
    DWORD code = TU_SENTINEL;
    ck_assert(GetExitCodeThread(t, &code));
    ck_assert_uint_eq(code, STILL_ACTIVE);
    ck_assert_uint_eq(ResumeThread(t), 1);
    ck_assert_uint_eq(WaitForSingleObject(pr.ran, MUST_MS), WAIT_OBJECT_0);
    join(t);
    CloseHandle(t);
    CloseHandle(pr.ran);
}
END_TEST

START_TEST(suspended_thread_reports_its_id_before_it_runs)
{
    struct probe pr = { .code = 0 };
    DWORD id = 0;
    HANDLE t = CreateThread(NULL, 0, probe_main, &pr, CREATE_SUSPENDED, &id);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_ne(id, 0);
    ResumeThread(t);
    join(t);
    ck_assert_uint_eq(id, pr.id);
    CloseHandle(t);
}
END_TEST

START_TEST(resumethread_on_a_running_thread_returns_zero)
{
    struct probe pr = { .gate = tu_event(TRUE, FALSE) };
    HANDLE t = CreateThread(NULL, 0, probe_main, &pr, 0, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ResumeThread(t), 0);
    SetEvent(pr.gate);
    join(t);
    CloseHandle(t);
    CloseHandle(pr.gate);
}
END_TEST

START_TEST(resumethread_twice_returns_one_then_zero)
{
    struct probe pr = { .code = 0 };
    HANDLE t = CreateThread(NULL, 0, probe_main, &pr, CREATE_SUSPENDED, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ResumeThread(t), 1);
    ck_assert_uint_eq(ResumeThread(t), 0);
    join(t);
    CloseHandle(t);
}
END_TEST

START_TEST(resumethread_on_a_closed_thread_handle_fails_with_error_invalid_handle)
{
    struct probe pr = { .code = 0 };
    HANDLE t = CreateThread(NULL, 0, probe_main, &pr, 0, NULL);
    ck_assert_ptr_nonnull(t);
    join(t);
    ck_assert(CloseHandle(t));
    SetLastError(TU_SENTINEL);
    ck_assert_uint_eq(ResumeThread(t), (DWORD)-1);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

static HANDLE not_a_thread(int i)
{
    switch (i) {
    case 0: return NULL;
    case 1: return INVALID_HANDLE_VALUE;
    default: {
        static HANDLE e;
        if (!e)
            e = tu_event(TRUE, FALSE);
        return e;
    }
    }
}
#define NOT_A_THREAD_CASES 3

START_TEST(resumethread_on_a_handle_that_is_not_a_thread_fails_with_error_invalid_handle)
{
    SetLastError(TU_SENTINEL);
    ck_assert_uint_eq(ResumeThread(not_a_thread(_i)), (DWORD)-1);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

/* ------------------------------------------------------------------ GetExitCodeThread */

START_TEST(getexitcodethread_is_still_active_while_running_then_the_return_value)
{
    struct probe pr = { .gate = tu_event(TRUE, FALSE), .code = 42 };
    HANDLE t = CreateThread(NULL, 0, probe_main, &pr, 0, NULL);
    ck_assert_ptr_nonnull(t);
    DWORD code = TU_SENTINEL;
    ck_assert(GetExitCodeThread(t, &code));
    ck_assert_uint_eq(code, STILL_ACTIVE);
    SetEvent(pr.gate);
    join(t);
    ck_assert(GetExitCodeThread(t, &code));
    ck_assert_uint_eq(code, 42);
    CloseHandle(t);
    CloseHandle(pr.gate);
}
END_TEST

START_TEST(getexitcodethread_on_a_handle_that_is_not_a_thread_fails_and_leaves_the_output)
{
    DWORD code = TU_SENTINEL;
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(GetExitCodeThread(not_a_thread(_i), &code), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_uint_eq(code, TU_SENTINEL);
}
END_TEST

START_TEST(getexitcodethread_with_null_output_fails_with_error_noaccess)
{
    struct probe pr = { .code = 0 };
    HANDLE t = CreateThread(NULL, 0, probe_main, &pr, 0, NULL);
    ck_assert_ptr_nonnull(t);
    join(t);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(GetExitCodeThread(t, NULL), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOACCESS);
    CloseHandle(t);
}
END_TEST

/* Many short threads whose handles are closed at once or after they end:
 * every thread object must be reaped (valgrind, ASan's leak check). */
START_TEST(threads_closed_before_or_after_they_end_are_all_reaped)
{
    static struct probe pr[64]; /* threads may outlive this frame */
    HANDLE last = NULL;
    for (int i = 0; i < 64; i++) {
        HANDLE t = CreateThread(NULL, 0, probe_main, &pr[i], 0, NULL);
        ck_assert_ptr_nonnull(t);
        if (i % 2)
            join(t);
        if (i == 63)
            last = t;
        else
            CloseHandle(t);
    }
    join(last);
    CloseHandle(last);
}
END_TEST

/* ------------------------------------------------------------------ fork */

/* In the child (tu_run_in_child): 0 if the inherited handle is invalid. */
static int child_waits_for_thread(void *t)
{
    DWORD r = WaitForSingleObject(t, 0);
    return r == WAIT_FAILED && GetLastError() == ERROR_INVALID_HANDLE ? 0 : 1;
}

START_TEST(thread_handles_of_the_parent_are_invalid_in_a_fork_child)
{
    struct probe pr = { .gate = tu_event(TRUE, FALSE) };
    HANDLE t = CreateThread(NULL, 0, probe_main, &pr, 0, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(tu_run_in_child(child_waits_for_thread, t), 0);
    SetEvent(pr.gate);
    join(t);
    CloseHandle(t);
    CloseHandle(pr.gate);
}
END_TEST

/* ------------------------------------------------------------------ ids, ExitProcess */

START_TEST(getcurrentprocessid_is_the_process_id)
{
    ck_assert_uint_eq(GetCurrentProcessId(), (DWORD)getpid());
}
END_TEST

START_TEST(getcurrentthreadid_of_the_main_thread_is_the_process_id)
{
    /* Linux: the main thread's id is the process id. */
    ck_assert_uint_eq(GetCurrentThreadId(), GetCurrentProcessId());
}
END_TEST

START_TEST(exitprocess_flushes_stdio_and_exits_with_the_code)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        setvbuf(stdout, NULL, _IOFBF, 4096);
        fputs("buffered", stdout);
        ExitProcess(7);
    }
    close(fds[1]);
    char buf[64] = { 0 };
    ssize_t n, got = 0;
    while ((n = read(fds[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
        got += n;
    close(fds[0]);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 7);
    ck_assert_str_eq(buf, "buffered");
}
END_TEST

/* ------------------------------------------------------------------ GetSystemInfo */

START_TEST(getsysteminfo_reports_the_host_page_size_and_processors)
{
    SYSTEM_INFO si;
    memset(&si, 0xA5, sizeof si);
    GetSystemInfo(&si);
    ck_assert_uint_eq(si.dwPageSize, (DWORD)sysconf(_SC_PAGESIZE));
    ck_assert_uint_eq(si.dwNumberOfProcessors, (DWORD)sysconf(_SC_NPROCESSORS_ONLN));
    ck_assert_uint_eq((DWORD)__builtin_popcountll(si.dwActiveProcessorMask),
                      si.dwNumberOfProcessors < 64 ? si.dwNumberOfProcessors : 64);
}
END_TEST

START_TEST(getsysteminfo_reports_windows_allocation_granularity_and_address_range)
{
    SYSTEM_INFO si;
    memset(&si, 0xA5, sizeof si);
    GetSystemInfo(&si);
    ck_assert_uint_eq(si.dwAllocationGranularity, 65536);
    ck_assert_ptr_eq(si.lpMinimumApplicationAddress, (LPVOID)(uintptr_t)0x10000);
    ck_assert((uintptr_t)si.lpMaximumApplicationAddress > (uintptr_t)si.lpMinimumApplicationAddress);
    /* Memory the process really uses lies in the range. */
    uintptr_t here = (uintptr_t)&si;
    ck_assert(here >= (uintptr_t)si.lpMinimumApplicationAddress);
    ck_assert(here <= (uintptr_t)si.lpMaximumApplicationAddress);
}
END_TEST

START_TEST(getsysteminfo_reports_the_host_architecture)
{
    SYSTEM_INFO si;
    memset(&si, 0xA5, sizeof si);
    GetSystemInfo(&si);
#if defined(__x86_64__)
    ck_assert_uint_eq(si.wProcessorArchitecture, PROCESSOR_ARCHITECTURE_AMD64);
    ck_assert_uint_eq(si.dwProcessorType, 8664);
    ck_assert_uint_ne(si.wProcessorLevel, 0);
#elif defined(__aarch64__)
    ck_assert_uint_eq(si.wProcessorArchitecture, PROCESSOR_ARCHITECTURE_ARM64);
#elif defined(__i386__)
    ck_assert_uint_eq(si.wProcessorArchitecture, PROCESSOR_ARCHITECTURE_INTEL);
#else
    ck_assert_uint_eq(si.wProcessorArchitecture, PROCESSOR_ARCHITECTURE_UNKNOWN);
#endif
}
END_TEST

START_TEST(getsysteminfo_with_null_returns)
{
    GetSystemInfo(NULL);
}
END_TEST

/* ------------------------------------------------------------------ time */

START_TEST(gettickcount64_advances_by_at_least_a_sleep)
{
    ULONGLONG t0 = GetTickCount64();
    Sleep(20);
    ULONGLONG t1 = GetTickCount64();
    ck_assert_uint_ge(t1 - t0, 20);
    ck_assert_uint_lt(t1 - t0, 20 + MUST_MS);
}
END_TEST

START_TEST(gettickcount_is_the_low_32_bits_of_gettickcount64)
{
    ULONGLONG t64 = GetTickCount64();
    DWORD t32 = GetTickCount();
    ck_assert_uint_lt((DWORD)(t32 - (DWORD)t64), 1000);
}
END_TEST

START_TEST(queryperformancefrequency_is_10_mhz)
{
    LARGE_INTEGER f;
    f.QuadPart = -1;
    ck_assert(QueryPerformanceFrequency(&f));
    ck_assert_int_eq(f.QuadPart, 10000000);
}
END_TEST

START_TEST(queryperformancecounter_counts_100ns_units)
{
    LARGE_INTEGER c0, c1;
    ULONGLONG t0 = GetTickCount64();
    ck_assert(QueryPerformanceCounter(&c0));
    Sleep(20);
    ck_assert(QueryPerformanceCounter(&c1));
    ULONGLONG ms = GetTickCount64() - t0;
    ck_assert_int_ge(c1.QuadPart - c0.QuadPart, 20 * 10000);
    ck_assert_int_le(c1.QuadPart - c0.QuadPart, (LONGLONG)(ms + 1) * 10000);
}
END_TEST

START_TEST(queryperformancecounter_with_null_fails_with_error_noaccess)
{
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(QueryPerformanceCounter(NULL), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOACCESS);
}
END_TEST

START_TEST(queryperformancefrequency_with_null_fails_with_error_noaccess)
{
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(QueryPerformanceFrequency(NULL), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOACCESS);
}
END_TEST

/* ------------------------------------------------------------------ suite */

static Suite *process_suite(void)
{
    Suite *s = suite_create("process");
    TCase *tc = tcase_create("createthread");
    tcase_add_test(tc, createthread_reports_the_id_the_thread_sees_as_its_own);
    tcase_add_test(tc, createthread_without_an_id_pointer_succeeds);
    tcase_add_test(tc, createthread_with_a_stack_size_runs_the_thread);
    tcase_add_test(tc, createthread_with_a_tiny_stack_size_rounds_it_up);
    tcase_add_test(tc, createthread_without_a_start_routine_fails_with_error_invalid_parameter);
    tcase_add_test(tc, createthread_with_unknown_flags_fails_with_error_invalid_parameter);
    tcase_add_test(tc, closing_a_running_threads_handle_does_not_stop_it);
    tcase_add_test(tc, threads_closed_before_or_after_they_end_are_all_reaped);
    tcase_add_test(tc, thread_handles_of_the_parent_are_invalid_in_a_fork_child);
    suite_add_tcase(s, tc);

    tc = tcase_create("suspend");
    tcase_add_test(tc, suspended_thread_does_not_run_until_resumed);
    tcase_add_test(tc, suspended_thread_reports_its_id_before_it_runs);
    tcase_add_test(tc, resumethread_on_a_running_thread_returns_zero);
    tcase_add_test(tc, resumethread_twice_returns_one_then_zero);
    tcase_add_test(tc, resumethread_on_a_closed_thread_handle_fails_with_error_invalid_handle);
    tcase_add_loop_test(tc, resumethread_on_a_handle_that_is_not_a_thread_fails_with_error_invalid_handle,
                        0, NOT_A_THREAD_CASES);
    suite_add_tcase(s, tc);

    tc = tcase_create("exitcode");
    tcase_add_test(tc, getexitcodethread_is_still_active_while_running_then_the_return_value);
    tcase_add_loop_test(tc, getexitcodethread_on_a_handle_that_is_not_a_thread_fails_and_leaves_the_output,
                        0, NOT_A_THREAD_CASES);
    tcase_add_test(tc, getexitcodethread_with_null_output_fails_with_error_noaccess);
    suite_add_tcase(s, tc);

    tc = tcase_create("process");
    tcase_add_test(tc, getcurrentprocessid_is_the_process_id);
    tcase_add_test(tc, getcurrentthreadid_of_the_main_thread_is_the_process_id);
    tcase_add_test(tc, exitprocess_flushes_stdio_and_exits_with_the_code);
    suite_add_tcase(s, tc);

    tc = tcase_create("systeminfo");
    tcase_add_test(tc, getsysteminfo_reports_the_host_page_size_and_processors);
    tcase_add_test(tc, getsysteminfo_reports_windows_allocation_granularity_and_address_range);
    tcase_add_test(tc, getsysteminfo_reports_the_host_architecture);
    tcase_add_test(tc, getsysteminfo_with_null_returns);
    suite_add_tcase(s, tc);

    tc = tcase_create("time");
    tcase_add_test(tc, gettickcount64_advances_by_at_least_a_sleep);
    tcase_add_test(tc, gettickcount_is_the_low_32_bits_of_gettickcount64);
    tcase_add_test(tc, queryperformancefrequency_is_10_mhz);
    tcase_add_test(tc, queryperformancecounter_counts_100ns_units);
    tcase_add_test(tc, queryperformancecounter_with_null_fails_with_error_noaccess);
    tcase_add_test(tc, queryperformancefrequency_with_null_fails_with_error_noaccess);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(process_suite());
}
