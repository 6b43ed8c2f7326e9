/* path.c: not yet written. */
#include "iore.h"
