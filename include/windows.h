/*
 * windows.h - the entry point Windows code includes. Pulls in the Win32 base
 * ioringemu implements and the IoRing API.
 */
#ifndef _WINDOWS_
#define _WINDOWS_
#include <sdkddkver.h>
#include <minwindef.h>
#include <winnt.h>
#include <winerror.h>
#include <winbase.h>
#include <ioringapi.h>
#endif
