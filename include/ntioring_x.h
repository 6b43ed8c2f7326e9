/*
 * ntioring_x.h - IoRing enumerations and structures (Windows x64 layout).
 * Every enumerator has an explicit value: the SDK leaves READ_SCATTER and
 * WRITE_GATHER implicit after an NTDDI-guarded block, which makes them
 * collide with WRITE and FLUSH under an older NTDDI_VERSION.
 */
#ifndef NTIORING_X_H
#define NTIORING_X_H

#include <minwindef.h>
#include <winnt.h>

typedef enum IORING_VERSION {
    IORING_VERSION_INVALID = 0,
    IORING_VERSION_1 = 1,
    IORING_VERSION_2 = 2,
    IORING_VERSION_3 = 300,
    IORING_VERSION_4 = 400
} IORING_VERSION;

typedef enum IORING_FEATURE_FLAGS {
    IORING_FEATURE_FLAGS_NONE = 0,
    IORING_FEATURE_UM_EMULATION = 0x00000001,
    IORING_FEATURE_SET_COMPLETION_EVENT = 0x00000002
} IORING_FEATURE_FLAGS;
DEFINE_ENUM_FLAG_OPERATORS(IORING_FEATURE_FLAGS)

typedef enum IORING_OP_CODE {
    IORING_OP_NOP = 0,
    IORING_OP_READ = 1,
    IORING_OP_REGISTER_FILES = 2,
    IORING_OP_REGISTER_BUFFERS = 3,
    IORING_OP_CANCEL = 4,
    IORING_OP_WRITE = 5,
    IORING_OP_FLUSH = 6,
    IORING_OP_READ_SCATTER = 7,
    IORING_OP_WRITE_GATHER = 8
} IORING_OP_CODE;

typedef struct IORING_BUFFER_INFO {
    void *Address;
    UINT32 Length;
} IORING_BUFFER_INFO;

typedef struct IORING_REGISTERED_BUFFER {
    UINT32 BufferIndex;
    UINT32 Offset;
} IORING_REGISTERED_BUFFER;

#define IORING_SUBMIT_WAIT_ALL MAXUINT32

#endif
