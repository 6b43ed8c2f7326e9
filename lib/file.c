/* file.c: not yet written. */
#include "iore.h"
