/*
 * module.c - LoadLibraryA/W, GetModuleHandleA/W, GetProcAddress,
 * FreeLibrary for the modules the emulator stands in for.
 *
 * Modules. kernelbase.dll and kernel32.dll export every IoRing function
 * and every Win32 function of winbase.h; the apisets
 * api-ms-win-core-ioring-l1-1-0/-1/-2.dll export only the IoRing functions
 * of their version (ioring.md 2 and 5): l1-1-0 the twelve of IoRing v1,
 * l1-1-1 adds BuildIoRingWriteFile and BuildIoRingFlushFile, l1-1-2 adds
 * BuildIoRingReadFileScatter and BuildIoRingWriteFileGather. Names match
 * with or without ".dll", ASCII case-insensitively, after any directory
 * part (so "C:\Windows\System32\kernel32.dll" is kernel32). Any other name
 * is ERROR_MOD_NOT_FOUND: the emulator loads no Windows DLLs. Exported
 * names match case-sensitively, as on Windows; an ordinal (a "name" below
 * 0x10000) is never found.
 *
 * HMODULE values are the addresses of the entries of the static module
 * table below, not handle-table values: like kernel32 in every Windows
 * process these modules are always loaded, GetModuleHandle finds them
 * without LoadLibrary, and CloseHandle refuses an HMODULE (Windows too).
 * LoadLibrary adds a reference and FreeLibrary drops one; as with Windows'
 * pinned system DLLs, FreeLibrary of a module nobody loaded still succeeds
 * and nothing is ever unloaded.
 *
 * GetModuleHandle(NULL) (and GetProcAddress(NULL, ...)) is the main program:
 * lookups use dlsym and accept only symbols defined in the executable itself,
 * as Windows finds only the .exe's own exports. The executable exports
 * symbols only when linked with -rdynamic (or --export-dynamic).
 *
 * Global state: the module table (constant) and its reference counts
 * (atomic, relaxed: they order nothing). Fork: the child inherits the counts,
 * which is right since nothing is ever unloaded.
 */
#define _GNU_SOURCE
#include "config.h"
#include "iore.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

/* What a module exports: the main program (dlsym), an IoRing apiset of a
 * given version, or kernel32/kernelbase (everything). Ordered: an apiset
 * exports every function whose level is at most its own. */
enum level {
    MAIN_PROGRAM = 0,
    APISET_1_0,
    APISET_1_1,
    APISET_1_2,
    WIN32_ONLY, /* export level of winbase.h functions */
    KERNEL = WIN32_ONLY
};

struct export {
    const char *name;
    void (*fn)(void);
    enum level level;
};

/* Function pointers are stored as void (*)(void), the type every function
 * pointer converts to and from without loss, and handed out as FARPROC. */
#define EXPORT(f, lvl) { #f, (void (*)(void))f, lvl }
static const struct export exports[] = {
    /* ioringapi.h, by the apiset that introduced each function */
    EXPORT(QueryIoRingCapabilities,        APISET_1_0),
    EXPORT(IsIoRingOpSupported,            APISET_1_0),
    EXPORT(CreateIoRing,                   APISET_1_0),
    EXPORT(GetIoRingInfo,                  APISET_1_0),
    EXPORT(SubmitIoRing,                   APISET_1_0),
    EXPORT(CloseIoRing,                    APISET_1_0),
    EXPORT(PopIoRingCompletion,            APISET_1_0),
    EXPORT(SetIoRingCompletionEvent,       APISET_1_0),
    EXPORT(BuildIoRingCancelRequest,       APISET_1_0),
    EXPORT(BuildIoRingReadFile,            APISET_1_0),
    EXPORT(BuildIoRingRegisterFileHandles, APISET_1_0),
    EXPORT(BuildIoRingRegisterBuffers,     APISET_1_0),
    EXPORT(BuildIoRingWriteFile, APISET_1_1),
    EXPORT(BuildIoRingFlushFile, APISET_1_1),
    EXPORT(BuildIoRingReadFileScatter, APISET_1_2),
    EXPORT(BuildIoRingWriteFileGather, APISET_1_2),
    /* winbase.h: kernel32.dll and kernelbase.dll only */
    EXPORT(CloseHandle,               WIN32_ONLY),
    EXPORT(CreateEventA,              WIN32_ONLY),
    EXPORT(CreateEventW,              WIN32_ONLY),
    EXPORT(CreateFileA,               WIN32_ONLY),
    EXPORT(CreateFileW,               WIN32_ONLY),
    EXPORT(CreateThread,              WIN32_ONLY),
    EXPORT(DeleteFileA,               WIN32_ONLY),
    EXPORT(DeleteFileW,               WIN32_ONLY),
    EXPORT(ExitProcess,               WIN32_ONLY),
    EXPORT(FindClose,                 WIN32_ONLY),
    EXPORT(FindFirstFileA,            WIN32_ONLY),
    EXPORT(FindFirstFileW,            WIN32_ONLY),
    EXPORT(FindNextFileA,             WIN32_ONLY),
    EXPORT(FindNextFileW,             WIN32_ONLY),
    EXPORT(FlushFileBuffers,          WIN32_ONLY),
    EXPORT(FreeLibrary,               WIN32_ONLY),
    EXPORT(GetCurrentProcessId,       WIN32_ONLY),
    EXPORT(GetCurrentThreadId,        WIN32_ONLY),
    EXPORT(GetExitCodeThread,         WIN32_ONLY),
    EXPORT(GetFileAttributesA,        WIN32_ONLY),
    EXPORT(GetFileAttributesW,        WIN32_ONLY),
    EXPORT(GetFileSize,               WIN32_ONLY),
    EXPORT(GetFileSizeEx,             WIN32_ONLY),
    EXPORT(GetLastError,              WIN32_ONLY),
    EXPORT(GetModuleHandleA,          WIN32_ONLY),
    EXPORT(GetModuleHandleW,          WIN32_ONLY),
    EXPORT(GetProcAddress,            WIN32_ONLY),
    EXPORT(GetSystemInfo,             WIN32_ONLY),
    EXPORT(GetTempPathA,              WIN32_ONLY),
    EXPORT(GetTempPathW,              WIN32_ONLY),
    EXPORT(GetTickCount,              WIN32_ONLY),
    EXPORT(GetTickCount64,            WIN32_ONLY),
    EXPORT(LoadLibraryA,              WIN32_ONLY),
    EXPORT(LoadLibraryW,              WIN32_ONLY),
    EXPORT(lstrlenA,                  WIN32_ONLY),
    EXPORT(lstrlenW,                  WIN32_ONLY),
    EXPORT(QueryPerformanceCounter,   WIN32_ONLY),
    EXPORT(QueryPerformanceFrequency, WIN32_ONLY),
    EXPORT(ReadFile,                  WIN32_ONLY),
    EXPORT(ResetEvent,                WIN32_ONLY),
    EXPORT(ResumeThread,              WIN32_ONLY),
    EXPORT(SetEndOfFile,              WIN32_ONLY),
    EXPORT(SetEvent,                  WIN32_ONLY),
    EXPORT(SetFilePointerEx,          WIN32_ONLY),
    EXPORT(SetLastError,              WIN32_ONLY),
    EXPORT(Sleep,                     WIN32_ONLY),
    EXPORT(VirtualAlloc,              WIN32_ONLY),
    EXPORT(VirtualFree,               WIN32_ONLY),
    EXPORT(VirtualLock,               WIN32_ONLY),
    EXPORT(VirtualUnlock,             WIN32_ONLY),
    EXPORT(WaitForMultipleObjects,    WIN32_ONLY),
    EXPORT(WaitForSingleObject,       WIN32_ONLY),
    EXPORT(WriteFile,                 WIN32_ONLY),
};
#undef EXPORT

struct module {
    const char *name;              /* without ".dll"; NULL for the main program */
    enum level level;
};

static const struct module modules[] = {
    { NULL, MAIN_PROGRAM },
    { "kernelbase", KERNEL },
    { "kernel32", KERNEL },
    { "api-ms-win-core-ioring-l1-1-0", APISET_1_0 },
    { "api-ms-win-core-ioring-l1-1-1", APISET_1_1 },
    { "api-ms-win-core-ioring-l1-1-2", APISET_1_2 },
};
#define NMODULES (sizeof modules / sizeof modules[0])

/* LoadLibrary references per module; informational (nothing unloads). */
static atomic_uint loads[NMODULES];

/* ------------------------------------------------------------------ names */

static int ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

/* Compares the first n bytes of a with b (NUL-terminated) ignoring ASCII case. */
static int prefix_equal(const char *a, size_t n, const char *b)
{
    for (size_t i = 0; i < n; i++)
        if (!b[i] || ascii_lower((unsigned char)a[i]) != b[i])
            return 0;
    return b[n] == '\0';
}

/* The module called name (a path, "x" or "x.dll"), or NULL. */
static const struct module *module_named(const char *name)
{
    const char *base = name;
    for (const char *p = name; *p; p++)
        if (*p == '\\' || *p == '/')
            base = p + 1;
    size_t len = strlen(base);
    if (len > 4 && prefix_equal(base + len - 4, 4, ".dll"))
        len -= 4;
    for (size_t i = 0; i < NMODULES; i++)
        if (modules[i].name && prefix_equal(base, len, modules[i].name))
            return &modules[i];
    return NULL;
}

/* The module h names, or NULL; compares addresses without forming pointers
 * from arbitrary values. */
static const struct module *module_of(HMODULE h)
{
    for (size_t i = 0; i < NMODULES; i++)
        if ((uintptr_t)h == (uintptr_t)&modules[i])
            return &modules[i];
    return NULL;
}

static HMODULE handle_of(const struct module *m)
{
    return (HMODULE)(uintptr_t)m;
}

/* ------------------------------------------------------------------ lookups */

/* A symbol of the executable itself (not of a library it loaded). */
static FARPROC main_symbol(const char *name)
{
    void *self = dlopen(NULL, RTLD_LAZY);
    struct link_map *main_map = NULL, *sym_map = NULL;
    void *sym = self ? dlsym(self, name) : NULL;
    Dl_info info;
    if (sym && dlinfo(self, RTLD_DI_LINKMAP, &main_map) == 0 &&
        dladdr1(sym, &info, (void **)&sym_map, RTLD_DL_LINKMAP) && sym_map != main_map)
        sym = NULL;
    if (self)
        dlclose(self);
    return (FARPROC)(uintptr_t)sym;
}

static FARPROC export_of(const struct module *m, const char *name)
{
    for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++)
        if (exports[i].level <= m->level && strcmp(exports[i].name, name) == 0)
            return (FARPROC)exports[i].fn;
    return NULL;
}

/* ------------------------------------------------------------------ API */

static HMODULE load(const char *name)
{
    const struct module *m = module_named(name);
    if (!m) {
        iore__fail(ERROR_MOD_NOT_FOUND);
        return NULL;
    }
    iore__fetch_add_relaxed(&loads[m - modules], 1);
    return handle_of(m);
}

IORE_API HMODULE WINAPI LoadLibraryA(LPCSTR lpLibFileName)
{
    if (!lpLibFileName) {
        iore__fail(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    return load(lpLibFileName);
}

IORE_API HMODULE WINAPI LoadLibraryW(LPCWSTR lpLibFileName)
{
    if (!lpLibFileName) {
        iore__fail(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    char *name = iore__utf8_from_w(lpLibFileName);
    if (!name) {
        iore__fail_name(errno, "LoadLibraryW");
        return NULL;
    }
    HMODULE h = load(name);
    free(name);
    return h;
}

static HMODULE find_loaded(const char *name)
{
    const struct module *m = name ? module_named(name) : &modules[0];
    if (!m) {
        iore__fail(ERROR_MOD_NOT_FOUND);
        return NULL;
    }
    return handle_of(m);
}

IORE_API HMODULE WINAPI GetModuleHandleA(LPCSTR lpModuleName)
{
    return find_loaded(lpModuleName);
}

IORE_API HMODULE WINAPI GetModuleHandleW(LPCWSTR lpModuleName)
{
    if (!lpModuleName)
        return find_loaded(NULL);
    char *name = iore__utf8_from_w(lpModuleName);
    if (!name) {
        iore__fail_name(errno, "GetModuleHandleW");
        return NULL;
    }
    HMODULE h = find_loaded(name);
    free(name);
    return h;
}

IORE_API FARPROC WINAPI GetProcAddress(HMODULE hModule, LPCSTR lpProcName)
{
    const struct module *m = hModule ? module_of(hModule) : &modules[0];
    if (!m) {
        iore__fail(ERROR_MOD_NOT_FOUND);
        return NULL;
    }
    /* A value below 0x10000 is an ordinal; these modules export by name. */
    if ((uintptr_t)lpProcName < 0x10000) {
        iore__fail(ERROR_PROC_NOT_FOUND);
        return NULL;
    }
    FARPROC fn = m->level == MAIN_PROGRAM ? main_symbol(lpProcName) : export_of(m, lpProcName);
    if (!fn)
        iore__fail(ERROR_PROC_NOT_FOUND);
    return fn;
}

IORE_API BOOL WINAPI FreeLibrary(HMODULE hLibModule)
{
    if (!hLibModule)
        return iore__fail(ERROR_INVALID_HANDLE);
    const struct module *m = module_of(hLibModule);
    if (!m)
        return iore__fail(ERROR_MOD_NOT_FOUND);
    /* Drop one LoadLibrary reference if there is one; never below zero. */
    atomic_uint *count = &loads[m - modules];
    unsigned n = iore__load_relaxed(count);
    while (n && !atomic_compare_exchange_weak_explicit(count, &n, n - 1, memory_order_relaxed,
                                                       memory_order_relaxed))
        ;
    return TRUE;
}
