/* module.c: not yet written. */
#include "iore.h"
