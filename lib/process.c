/* process.c: not yet written. */
#include "iore.h"
