/* intrin.h: not yet written. */
