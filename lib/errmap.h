/*
 * errmap.h - the one host errno -> Windows error table, as an X-macro.
 *
 * Data only: define IORE_ERRNO(errno, win32, wsa) before including this file
 * and it expands once per row. lib/error.c builds its lookups from it and
 * tests/check_error.c restates the expected values from the spec
 * (/work/shared/spec/errors.md) rather than reading this file.
 *
 *   win32  the Win32 error of errors.md §5.1 (Wine's errno_to_status(), through
 *          RtlNtStatusToDosError) with the emulator's §5.2 changes applied;
 *          HRESULT_FROM_WIN32 of it is what IoRing CQEs carry.
 *   wsa    the Winsock code of errors.md §6 (Wine's wsaErrno()) with the
 *          emulator's §6 overrides for asynchronous RIO requests applied.
 *
 * A column holding 0 means "no mapping in this column": the lookup treats
 * the errno exactly like one without a row (ERROR_GEN_FAILURE or
 * WSAEOPNOTSUPP, reported once on stderr). That is used on purpose for:
 *   - EINTR (both columns): every iore__sys_* wrapper retries it, so reaching
 *     the table means a wrapper was bypassed; the report says where.
 *   - EAGAIN/EWOULDBLOCK (Win32 column): file I/O waits for readiness and
 *     retries (§5.2). Its Winsock column keeps WSAEWOULDBLOCK because a
 *     synchronous call on a non-blocking socket does report it (§6 rules out
 *     only completions).
 *   - socket-only errnos of §6 (Win32 column): §5 gives them no row, and its
 *     rule is "no row -> ERROR_GEN_FAILURE, reported".
 *   - file-only errnos of §5 (Winsock column): likewise for §6.
 *
 * Each errno appears in one row only, so aliases that Linux folds together
 * (EWOULDBLOCK == EAGAIN, ENOTSUP == EOPNOTSUPP, EDEADLOCK == EDEADLK) are
 * spelled once; error.c's switch would reject a duplicate at compile time.
 */

/*          errno            Win32                          Winsock */
/* errors.md §5.1 (Wine), with the §6 column where §6 has the errno too. */
IORE_ERRNO(EBADF,           ERROR_INVALID_HANDLE,          WSAEBADF)
IORE_ERRNO(EBUSY,           ERROR_BUSY,                    0)
IORE_ERRNO(ENOSPC,          ERROR_DISK_FULL,               0)
IORE_ERRNO(EPERM,           ERROR_ACCESS_DENIED,           WSAEACCES)
IORE_ERRNO(EROFS,           ERROR_ACCESS_DENIED,           0)
IORE_ERRNO(EACCES,          ERROR_ACCESS_DENIED,           WSAEACCES)
IORE_ERRNO(ENOTDIR,         ERROR_PATH_NOT_FOUND,          0)
IORE_ERRNO(ENOENT,          ERROR_FILE_NOT_FOUND,          0)
IORE_ERRNO(EMFILE,          ERROR_TOO_MANY_OPEN_FILES,     WSAEMFILE)
IORE_ERRNO(ENFILE,          ERROR_TOO_MANY_OPEN_FILES,     0)
IORE_ERRNO(EINVAL,          ERROR_INVALID_PARAMETER,       WSAEINVAL)
IORE_ERRNO(ENOTEMPTY,       ERROR_DIR_NOT_EMPTY,           WSAENOTEMPTY)
IORE_ERRNO(EPIPE,           ERROR_PIPE_NOT_CONNECTED,      WSAECONNRESET)
IORE_ERRNO(ECONNRESET,      ERROR_PIPE_NOT_CONNECTED,      WSAECONNRESET)
IORE_ERRNO(EIO,             ERROR_NOT_READY,               0)
IORE_ERRNO(ENOMEDIUM,       ERROR_NOT_READY,               0)
IORE_ERRNO(ENXIO,           ERROR_FILE_NOT_FOUND,          0)
IORE_ERRNO(ENOTTY,          ERROR_NOT_SUPPORTED,           0)
IORE_ERRNO(EOPNOTSUPP,      ERROR_NOT_SUPPORTED,           WSAEOPNOTSUPP)
IORE_ERRNO(EFAULT,          ERROR_NOACCESS,                WSAEFAULT)
IORE_ERRNO(ESPIPE,          ERROR_INVALID_FUNCTION,        0)
IORE_ERRNO(ELOOP,           ERROR_CANT_RESOLVE_FILENAME,   WSAELOOP)
IORE_ERRNO(ETIME,           ERROR_SEM_TIMEOUT,             0)

/* errors.md §5.2 (emulator decisions) and §6 overrides. */
IORE_ERRNO(EINTR,           0,                             0)
IORE_ERRNO(EAGAIN,          0,                             WSAEWOULDBLOCK)
IORE_ERRNO(EISDIR,          ERROR_INVALID_FUNCTION,        0)
IORE_ERRNO(ECANCELED,       ERROR_OPERATION_ABORTED,       ERROR_OPERATION_ABORTED /* WSA_OPERATION_ABORTED */)
IORE_ERRNO(ENOMEM,          ERROR_NO_SYSTEM_RESOURCES,     WSAENOBUFS)
IORE_ERRNO(ETIMEDOUT,       ERROR_SEM_TIMEOUT,             WSAETIMEDOUT)
IORE_ERRNO(EDQUOT,          ERROR_DISK_QUOTA_EXCEEDED,     WSAEDQUOT)
IORE_ERRNO(EFBIG,           ERROR_FILE_TOO_LARGE,          0)
IORE_ERRNO(EOVERFLOW,       ERROR_INVALID_PARAMETER,       0)
IORE_ERRNO(ENOSYS,          ERROR_NOT_SUPPORTED,           0)

/* errors.md §6 only (sockets). */
IORE_ERRNO(EINPROGRESS,     0,                             WSAEINPROGRESS)
IORE_ERRNO(EALREADY,        0,                             WSAEALREADY)
IORE_ERRNO(ENOTSOCK,        0,                             WSAENOTSOCK)
IORE_ERRNO(EDESTADDRREQ,    0,                             WSAEDESTADDRREQ)
IORE_ERRNO(EMSGSIZE,        0,                             WSAEMSGSIZE)
IORE_ERRNO(EPROTOTYPE,      0,                             WSAEPROTOTYPE)
IORE_ERRNO(ENOPROTOOPT,     0,                             WSAENOPROTOOPT)
IORE_ERRNO(EPROTONOSUPPORT, 0,                             WSAEPROTONOSUPPORT)
IORE_ERRNO(ESOCKTNOSUPPORT, 0,                             WSAESOCKTNOSUPPORT)
IORE_ERRNO(EPFNOSUPPORT,    0,                             WSAEPFNOSUPPORT)
IORE_ERRNO(EAFNOSUPPORT,    0,                             WSAEAFNOSUPPORT)
IORE_ERRNO(EADDRINUSE,      0,                             WSAEADDRINUSE)
IORE_ERRNO(EADDRNOTAVAIL,   0,                             WSAEADDRNOTAVAIL)
IORE_ERRNO(ENETDOWN,        0,                             WSAENETDOWN)
IORE_ERRNO(ENETUNREACH,     0,                             WSAENETUNREACH)
IORE_ERRNO(ENETRESET,       0,                             WSAENETRESET)
IORE_ERRNO(ECONNABORTED,    0,                             WSAECONNABORTED)
IORE_ERRNO(ENOBUFS,         0,                             WSAENOBUFS)
IORE_ERRNO(EISCONN,         0,                             WSAEISCONN)
IORE_ERRNO(ENOTCONN,        0,                             WSAENOTCONN)
IORE_ERRNO(ESHUTDOWN,       0,                             WSAESHUTDOWN)
IORE_ERRNO(ETOOMANYREFS,    0,                             WSAETOOMANYREFS)
IORE_ERRNO(ECONNREFUSED,    0,                             WSAECONNREFUSED)
IORE_ERRNO(ENAMETOOLONG,    0,                             WSAENAMETOOLONG)
IORE_ERRNO(EHOSTDOWN,       0,                             WSAEHOSTDOWN)
IORE_ERRNO(EHOSTUNREACH,    0,                             WSAEHOSTUNREACH)
IORE_ERRNO(EUSERS,          0,                             WSAEUSERS)
IORE_ERRNO(ESTALE,          0,                             WSAESTALE)
IORE_ERRNO(EREMOTE,         0,                             WSAEREMOTE)
