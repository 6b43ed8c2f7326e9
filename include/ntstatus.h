/* ntstatus.h: not yet written. */
