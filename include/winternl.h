/* winternl.h: not yet written. */
