/* tchar.h: not yet written. */
