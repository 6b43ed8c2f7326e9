/* pin.c: not yet written. */
#include "iore.h"
