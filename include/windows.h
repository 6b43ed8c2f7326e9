/*
 * windows.h - the entry point Windows code includes: the Win32 base that
 * ioringemu implements, and (unlike the SDK's windows.h, which leaves it to
 * an explicit #include) the IoRing API.
 */
#ifndef _WINDOWS_
#define _WINDOWS_
#include <sdkddkver.h>
#include <minwindef.h>
#include <winnt.h>
#include <windef.h>
#include <winerror.h>
#include <winbase.h>
#include <ioringapi.h>
#endif /* _WINDOWS_ */
