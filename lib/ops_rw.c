/* ops_rw.c: not yet written. */
#include "iore.h"
