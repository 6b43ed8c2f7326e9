/*
 * check_module.c - LoadLibrary, GetModuleHandle, GetProcAddress and
 * FreeLibrary for the modules the emulator stands in for: kernelbase.dll,
 * kernel32.dll and the IoRing apisets api-ms-win-core-ioring-l1-1-{0,1,2}.
 */
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Every function the modules export, with its address as the program sees
 * it, and the apiset level that first has it (0: kernel32/kernelbase only;
 * 1, 2, 3: api-ms-win-core-ioring-l1-1-0, -1, -2). */
struct fn {
    const char *name;
    FARPROC addr;
    int level;
};
#define F(name, level) { #name, (FARPROC)(void (*)(void))name, level }
static const struct fn functions[] = {
    F(QueryIoRingCapabilities, 1), F(IsIoRingOpSupported, 1), F(CreateIoRing, 1),
    F(GetIoRingInfo, 1), F(SubmitIoRing, 1), F(CloseIoRing, 1), F(PopIoRingCompletion, 1),
    F(SetIoRingCompletionEvent, 1), F(BuildIoRingCancelRequest, 1), F(BuildIoRingReadFile, 1),
    F(BuildIoRingRegisterFileHandles, 1), F(BuildIoRingRegisterBuffers, 1),
    F(BuildIoRingWriteFile, 2), F(BuildIoRingFlushFile, 2),
    F(BuildIoRingReadFileScatter, 3), F(BuildIoRingWriteFileGather, 3),
    F(GetLastError, 0), F(SetLastError, 0), F(CloseHandle, 0), F(CreateFileA, 0),
    F(CreateFileW, 0), F(ReadFile, 0), F(WriteFile, 0), F(GetFileSizeEx, 0), F(GetFileSize, 0),
    F(SetFilePointerEx, 0), F(SetEndOfFile, 0), F(FlushFileBuffers, 0), F(DeleteFileA, 0),
    F(DeleteFileW, 0), F(GetFileAttributesA, 0), F(GetFileAttributesW, 0), F(FindFirstFileA, 0),
    F(FindFirstFileW, 0), F(FindNextFileA, 0), F(FindNextFileW, 0), F(FindClose, 0),
    F(GetTempPathA, 0), F(GetTempPathW, 0), F(CreateEventA, 0), F(CreateEventW, 0),
    F(SetEvent, 0), F(ResetEvent, 0), F(WaitForSingleObject, 0), F(WaitForMultipleObjects, 0),
    F(Sleep, 0), F(VirtualAlloc, 0), F(VirtualFree, 0), F(VirtualLock, 0), F(VirtualUnlock, 0),
    F(GetSystemInfo, 0), F(GetTickCount64, 0), F(GetTickCount, 0),
    F(QueryPerformanceCounter, 0), F(QueryPerformanceFrequency, 0), F(CreateThread, 0),
    F(GetCurrentThreadId, 0), F(GetCurrentProcessId, 0), F(GetExitCodeThread, 0),
    F(ResumeThread, 0), F(ExitProcess, 0), F(LoadLibraryA, 0), F(LoadLibraryW, 0),
    F(GetModuleHandleA, 0), F(GetModuleHandleW, 0), F(GetProcAddress, 0), F(FreeLibrary, 0),
    F(lstrlenA, 0), F(lstrlenW, 0),
};

/* Module names and what they export (apiset level; 4 = everything). */
static const struct {
    const char *name;
    int level;
} modules[] = {
    { "kernelbase.dll", 4 },
    { "kernel32.dll", 4 },
    { "api-ms-win-core-ioring-l1-1-0.dll", 1 },
    { "api-ms-win-core-ioring-l1-1-1.dll", 2 },
    { "api-ms-win-core-ioring-l1-1-2.dll", 3 },
};

static HMODULE load(const char *name)
{
    HMODULE m = LoadLibraryA(name);
    ck_assert_msg(m != NULL, "LoadLibraryA(%s) failed: %u", name, (unsigned)GetLastError());
    return m;
}

/* ------------------------------------------------------------------ GetProcAddress */

START_TEST(getprocaddress_kernelbase_createioring_is_createioring)
{
    FARPROC p = GetProcAddress(LoadLibraryW(L"kernelbase.dll"), "CreateIoRing");
    ck_assert_ptr_eq((void *)(uintptr_t)p, (void *)(uintptr_t)(void (*)(void))CreateIoRing);
}
END_TEST

/* One loop index per (module, function) pair. */
START_TEST(each_module_exports_exactly_its_functions_at_their_addresses)
{
    size_t mi = (size_t)_i / N(functions), fi = (size_t)_i % N(functions);
    HMODULE m = load(modules[mi].name);
    const struct fn *f = &functions[fi];
    int exported = modules[mi].level == 4 ? 1 : (f->level >= 1 && f->level <= modules[mi].level);
    SetLastError(TU_SENTINEL);
    FARPROC p = GetProcAddress(m, f->name);
    if (exported) {
        ck_assert_msg(p == f->addr, "%s!%s is %p, expected %p", modules[mi].name, f->name,
                      (void *)(uintptr_t)p, (void *)(uintptr_t)f->addr);
    } else {
        ck_assert_msg(p == NULL, "%s exports %s", modules[mi].name, f->name);
        ck_assert_uint_eq(GetLastError(), ERROR_PROC_NOT_FOUND);
    }
    FreeLibrary(m);
}
END_TEST

START_TEST(a_function_called_through_getprocaddress_works)
{
    typedef HRESULT (*query_fn)(IORING_CAPABILITIES *);
    query_fn query = (query_fn)(void (*)(void))GetProcAddress(load("kernelbase.dll"),
                                                              "QueryIoRingCapabilities");
    ck_assert_ptr_nonnull((void *)(uintptr_t)query);
    IORING_CAPABILITIES caps;
    memset(&caps, 0, sizeof caps);
    ck_assert_int_eq(query(&caps), S_OK);
    ck_assert_int_eq(caps.MaxVersion, IORING_VERSION_4);
}
END_TEST

START_TEST(getprocaddress_of_an_unknown_name_fails_with_error_proc_not_found)
{
    static const char *const names[] = { "NoSuchFunction", "createioring", "CreateIoRingX", "",
                                         "iore_build_nop", "malloc" };
    HMODULE m = load("kernel32.dll");
    for (size_t i = 0; i < N(names); i++) {
        SetLastError(TU_SENTINEL);
        ck_assert_msg(GetProcAddress(m, names[i]) == NULL, "found %s", names[i]);
        ck_assert_uint_eq(GetLastError(), ERROR_PROC_NOT_FOUND);
    }
}
END_TEST

START_TEST(getprocaddress_by_ordinal_fails_with_error_proc_not_found)
{
    HMODULE m = load("kernelbase.dll");
    SetLastError(TU_SENTINEL);
    ck_assert(GetProcAddress(m, (LPCSTR)(uintptr_t)1) == NULL);
    ck_assert_uint_eq(GetLastError(), ERROR_PROC_NOT_FOUND);
    SetLastError(TU_SENTINEL);
    ck_assert(GetProcAddress(m, (LPCSTR)(uintptr_t)0xFFFF) == NULL);
    ck_assert_uint_eq(GetLastError(), ERROR_PROC_NOT_FOUND);
}
END_TEST

START_TEST(getprocaddress_on_a_module_not_loaded_fails_with_error_mod_not_found)
{
    static int not_a_module;
    SetLastError(TU_SENTINEL);
    ck_assert(GetProcAddress((HMODULE)&not_a_module, "CreateIoRing") == NULL);
    ck_assert_uint_eq(GetLastError(), ERROR_MOD_NOT_FOUND);
}
END_TEST

START_TEST(getprocaddress_on_the_main_program_does_not_find_library_functions)
{
    /* The .exe does not export CreateIoRing; kernelbase.dll does. */
    SetLastError(TU_SENTINEL);
    ck_assert(GetProcAddress(GetModuleHandleA(NULL), "CreateIoRing") == NULL);
    ck_assert_uint_eq(GetLastError(), ERROR_PROC_NOT_FOUND);
    SetLastError(TU_SENTINEL);
    ck_assert(GetProcAddress(NULL, "malloc") == NULL);
    ck_assert_uint_eq(GetLastError(), ERROR_PROC_NOT_FOUND);
}
END_TEST

/* ------------------------------------------------------------------ names */

static const char *const kernel32_spellings[] = {
    "kernel32.dll", "KERNEL32.DLL", "Kernel32.Dll", "kernel32", "KERNEL32",
    "C:\\Windows\\System32\\kernel32.dll", "c:/windows/system32/KERNEL32.dll",
};

START_TEST(module_names_match_case_insensitively_with_or_without_dll)
{
    HMODULE ref = load("kernel32.dll");
    ck_assert_ptr_eq(LoadLibraryA(kernel32_spellings[_i]), ref);
    ck_assert_ptr_eq(GetModuleHandleA(kernel32_spellings[_i]), ref);
}
END_TEST

START_TEST(apiset_names_match_case_insensitively_with_or_without_dll)
{
    HMODULE ref = load("api-ms-win-core-ioring-l1-1-2.dll");
    ck_assert_ptr_eq(LoadLibraryA("API-MS-WIN-CORE-IORING-L1-1-2"), ref);
    ck_assert_ptr_eq(LoadLibraryW(L"Api-Ms-Win-Core-IoRing-L1-1-2.DLL"), ref);
    ck_assert_ptr_eq(GetModuleHandleW(L"api-ms-win-core-ioring-l1-1-2"), ref);
}
END_TEST

START_TEST(each_module_has_its_own_handle)
{
    for (size_t i = 0; i < N(modules); i++)
        for (size_t j = i + 1; j < N(modules); j++)
            ck_assert_ptr_ne(load(modules[i].name), load(modules[j].name));
    ck_assert_ptr_ne(GetModuleHandleA(NULL), load("kernel32.dll"));
}
END_TEST

static const char *const unknown_modules[] = {
    "nosuch.dll", "ntdll.dll", "kernel33.dll", "kernel32.dl", "kernel32.dll.dll",
    "api-ms-win-core-ioring-l1-1-3.dll", "", "kernel32.exe",
};

START_TEST(loadlibrary_of_an_unknown_module_fails_with_error_mod_not_found)
{
    SetLastError(TU_SENTINEL);
    ck_assert(LoadLibraryA(unknown_modules[_i]) == NULL);
    ck_assert_uint_eq(GetLastError(), ERROR_MOD_NOT_FOUND);
}
END_TEST

START_TEST(getmodulehandle_of_an_unknown_module_fails_with_error_mod_not_found)
{
    SetLastError(TU_SENTINEL);
    ck_assert(GetModuleHandleA(unknown_modules[_i]) == NULL);
    ck_assert_uint_eq(GetLastError(), ERROR_MOD_NOT_FOUND);
}
END_TEST

START_TEST(loadlibraryw_of_an_unknown_module_fails_with_error_mod_not_found)
{
    SetLastError(TU_SENTINEL);
    ck_assert(LoadLibraryW(L"nosuch.dll") == NULL);
    ck_assert_uint_eq(GetLastError(), ERROR_MOD_NOT_FOUND);
    SetLastError(TU_SENTINEL);
    ck_assert(GetModuleHandleW(L"nosuch.dll") == NULL);
    ck_assert_uint_eq(GetLastError(), ERROR_MOD_NOT_FOUND);
}
END_TEST

START_TEST(loadlibrary_of_null_fails_with_error_invalid_parameter)
{
    SetLastError(TU_SENTINEL);
    ck_assert(LoadLibraryA(NULL) == NULL);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(TU_SENTINEL);
    ck_assert(LoadLibraryW(NULL) == NULL);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}
END_TEST

/* ------------------------------------------------------------------ GetModuleHandle / FreeLibrary */

START_TEST(getmodulehandle_finds_the_modules_without_loadlibrary)
{
    for (size_t i = 0; i < N(modules); i++) {
        HMODULE m = GetModuleHandleA(modules[i].name);
        ck_assert_ptr_nonnull(m);
        ck_assert_ptr_eq(m, LoadLibraryA(modules[i].name));
    }
}
END_TEST

START_TEST(getmodulehandle_null_is_the_main_program)
{
    HMODULE m = GetModuleHandleA(NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_eq(GetModuleHandleW(NULL), m);
}
END_TEST

START_TEST(freelibrary_of_a_loaded_module_succeeds_once_per_load_and_keeps_it)
{
    HMODULE a = load("kernelbase.dll");
    HMODULE b = load("kernelbase.dll");
    ck_assert(FreeLibrary(a));
    ck_assert(FreeLibrary(b));
    /* A system module stays loaded; its functions stay callable. */
    ck_assert_ptr_eq(GetModuleHandleA("kernelbase.dll"), a);
    ck_assert(GetProcAddress(a, "CreateIoRing") != NULL);
}
END_TEST

START_TEST(freelibrary_of_null_fails_with_error_invalid_handle)
{
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(FreeLibrary(NULL), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

START_TEST(freelibrary_of_something_else_fails_with_error_mod_not_found)
{
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, NULL);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(FreeLibrary((HMODULE)e), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_MOD_NOT_FOUND);
    CloseHandle(e);
}
END_TEST

START_TEST(closehandle_of_a_module_fails_with_error_invalid_handle)
{
    HMODULE m = load("kernel32.dll");
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(CloseHandle((HANDLE)m), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert(GetProcAddress(m, "CloseHandle") != NULL);
}
END_TEST

/* ------------------------------------------------------------------ suite */

/* 0xD800 is a lone surrogate: no character, in UTF-32 or UTF-16. */
START_TEST(loadlibraryw_and_getmodulehandlew_with_an_unencodable_name_fail_with_error_invalid_name)
{
    const WCHAR name[] = { L'k', (WCHAR)0xD800, L'.', L'd', L'l', L'l', 0 };
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(LoadLibraryW(name));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_NAME);
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(GetModuleHandleW(name));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_NAME);
}
END_TEST

static Suite *module_suite(void)
{
    Suite *s = suite_create("module");
    TCase *tc = tcase_create("getprocaddress");
    tcase_add_test(tc, getprocaddress_kernelbase_createioring_is_createioring);
    tcase_add_loop_test(tc, each_module_exports_exactly_its_functions_at_their_addresses, 0,
                        (int)(N(modules) * N(functions)));
    tcase_add_test(tc, a_function_called_through_getprocaddress_works);
    tcase_add_test(tc, getprocaddress_of_an_unknown_name_fails_with_error_proc_not_found);
    tcase_add_test(tc, getprocaddress_by_ordinal_fails_with_error_proc_not_found);
    tcase_add_test(tc, getprocaddress_on_a_module_not_loaded_fails_with_error_mod_not_found);
    tcase_add_test(tc, getprocaddress_on_the_main_program_does_not_find_library_functions);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_loop_test(tc, module_names_match_case_insensitively_with_or_without_dll, 0,
                        N(kernel32_spellings));
    tcase_add_test(tc, apiset_names_match_case_insensitively_with_or_without_dll);
    tcase_add_test(tc, each_module_has_its_own_handle);
    tcase_add_loop_test(tc, loadlibrary_of_an_unknown_module_fails_with_error_mod_not_found, 0,
                        N(unknown_modules));
    tcase_add_loop_test(tc, getmodulehandle_of_an_unknown_module_fails_with_error_mod_not_found, 0,
                        N(unknown_modules));
    tcase_add_test(tc, loadlibraryw_of_an_unknown_module_fails_with_error_mod_not_found);
    tcase_add_test(tc, loadlibrary_of_null_fails_with_error_invalid_parameter);
    tcase_add_test(tc, loadlibraryw_and_getmodulehandlew_with_an_unencodable_name_fail_with_error_invalid_name);
    suite_add_tcase(s, tc);

    tc = tcase_create("handles");
    tcase_add_test(tc, getmodulehandle_finds_the_modules_without_loadlibrary);
    tcase_add_test(tc, getmodulehandle_null_is_the_main_program);
    tcase_add_test(tc, freelibrary_of_a_loaded_module_succeeds_once_per_load_and_keeps_it);
    tcase_add_test(tc, freelibrary_of_null_fails_with_error_invalid_handle);
    tcase_add_test(tc, freelibrary_of_something_else_fails_with_error_mod_not_found);
    tcase_add_test(tc, closehandle_of_a_module_fails_with_error_invalid_handle);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(module_suite());
}
