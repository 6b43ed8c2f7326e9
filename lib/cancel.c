/* cancel.c: not yet written. */
#include "iore.h"
