/* windef.h - kept for code that includes it directly. */
#ifndef _WINDEF_
#define _WINDEF_
#include <minwindef.h>
#endif
