/*
 * intrin.h - the MSVC intrinsics Windows code uses most, mapped to GCC/Clang
 * builtins. Signatures keep MSVC's widths: MSVC's `long` is 32-bit, so what
 * it declares `long` is int32_t here (the same type as LONG, ioring.md §1.1),
 * and `unsigned long *Index` is uint32_t * (DWORD *).
 *
 * Two parts. Part 1, the Interlocked family and the compiler barriers, is
 * what winnt.h needs for InterlockedIncrement & co.; winnt.h includes this
 * file with IORE_INTRIN_INTERLOCKED_ONLY defined, which skips part 2 and the
 * <x86intrin.h> it pulls in (about a third of a second per translation unit,
 * too much to pay in every file that includes <windows.h>). Code that
 * includes <intrin.h> gets both parts, as MSVC's intrin.h also brings every
 * _mm_* intrinsic.
 *
 * All Interlocked operations are sequentially consistent read-modify-writes:
 * MSVC documents them as full barriers on every architecture.
 */

/* ------------------------------------------------------------- part 1 */
#ifndef IORE_INTRIN_INTERLOCKED
#define IORE_INTRIN_INTERLOCKED

#include <stdint.h>

#define IORE_SEQ __ATOMIC_SEQ_CST

static inline int32_t _InterlockedIncrement(int32_t volatile *Addend)
{ return __atomic_add_fetch(Addend, 1, IORE_SEQ); }
static inline int32_t _InterlockedDecrement(int32_t volatile *Addend)
{ return __atomic_sub_fetch(Addend, 1, IORE_SEQ); }
static inline int32_t _InterlockedExchange(int32_t volatile *Target, int32_t Value)
{ return __atomic_exchange_n(Target, Value, IORE_SEQ); }
static inline int32_t _InterlockedExchangeAdd(int32_t volatile *Addend, int32_t Value)
{ return __atomic_fetch_add(Addend, Value, IORE_SEQ); }
static inline int32_t _InterlockedAnd(int32_t volatile *Destination, int32_t Value)
{ return __atomic_fetch_and(Destination, Value, IORE_SEQ); }
static inline int32_t _InterlockedOr(int32_t volatile *Destination, int32_t Value)
{ return __atomic_fetch_or(Destination, Value, IORE_SEQ); }
static inline int32_t _InterlockedXor(int32_t volatile *Destination, int32_t Value)
{ return __atomic_fetch_xor(Destination, Value, IORE_SEQ); }
/* Returns the initial value of *Destination, whether or not it was swapped:
 * on failure the builtin stores the value it found into Comparand. */
static inline int32_t _InterlockedCompareExchange(int32_t volatile *Destination,
                                                  int32_t Exchange, int32_t Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, IORE_SEQ, IORE_SEQ);
    return Comparand;
}

static inline int16_t _InterlockedIncrement16(int16_t volatile *Addend)
{ return __atomic_add_fetch(Addend, 1, IORE_SEQ); }
static inline int16_t _InterlockedDecrement16(int16_t volatile *Addend)
{ return __atomic_sub_fetch(Addend, 1, IORE_SEQ); }
static inline int16_t _InterlockedCompareExchange16(int16_t volatile *Destination,
                                                    int16_t Exchange, int16_t Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, IORE_SEQ, IORE_SEQ);
    return Comparand;
}

static inline int64_t _InterlockedIncrement64(int64_t volatile *Addend)
{ return __atomic_add_fetch(Addend, 1, IORE_SEQ); }
static inline int64_t _InterlockedDecrement64(int64_t volatile *Addend)
{ return __atomic_sub_fetch(Addend, 1, IORE_SEQ); }
static inline int64_t _InterlockedExchange64(int64_t volatile *Target, int64_t Value)
{ return __atomic_exchange_n(Target, Value, IORE_SEQ); }
static inline int64_t _InterlockedExchangeAdd64(int64_t volatile *Addend, int64_t Value)
{ return __atomic_fetch_add(Addend, Value, IORE_SEQ); }
static inline int64_t _InterlockedAnd64(int64_t volatile *Destination, int64_t Value)
{ return __atomic_fetch_and(Destination, Value, IORE_SEQ); }
static inline int64_t _InterlockedOr64(int64_t volatile *Destination, int64_t Value)
{ return __atomic_fetch_or(Destination, Value, IORE_SEQ); }
static inline int64_t _InterlockedXor64(int64_t volatile *Destination, int64_t Value)
{ return __atomic_fetch_xor(Destination, Value, IORE_SEQ); }
static inline int64_t _InterlockedCompareExchange64(int64_t volatile *Destination,
                                                    int64_t Exchange, int64_t Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, IORE_SEQ, IORE_SEQ);
    return Comparand;
}

static inline void *_InterlockedExchangePointer(void *volatile *Target, void *Value)
{ return __atomic_exchange_n(Target, Value, IORE_SEQ); }
static inline void *_InterlockedCompareExchangePointer(void *volatile *Destination,
                                                       void *Exchange, void *Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, IORE_SEQ, IORE_SEQ);
    return Comparand;
}

/* Compiler-only barriers: they stop the compiler from moving memory accesses
 * across them and emit no instruction, exactly as on MSVC. */
static inline void _ReadWriteBarrier(void) { __atomic_signal_fence(IORE_SEQ); }
static inline void _ReadBarrier(void) { __atomic_signal_fence(IORE_SEQ); }
static inline void _WriteBarrier(void) { __atomic_signal_fence(IORE_SEQ); }
/* A full hardware fence (MSVC's x64 store fence orders everything).
 * ThreadSanitizer does not model fences (GCC rejects them under -Werror);
 * there a sequentially consistent read-modify-write of one shared word
 * stands in: every fence then synchronises with the previous one, and x86
 * executes it as a locked, fully fencing instruction anyway. */
#if defined(__SANITIZE_THREAD__)
#define IORE_INTRIN_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define IORE_INTRIN_TSAN 1
#endif
#endif
static inline void __faststorefence(void)
{
#ifdef IORE_INTRIN_TSAN
    static int fence_word;
    __atomic_fetch_add(&fence_word, 0, IORE_SEQ);
#else
    __atomic_thread_fence(IORE_SEQ);
#endif
}

#undef IORE_SEQ
#endif /* IORE_INTRIN_INTERLOCKED */

/* ------------------------------------------------------------- part 2 */
#if !defined(IORE_INTRIN_INTERLOCKED_ONLY) && !defined(IORE_INTRIN_H)
#define IORE_INTRIN_H

#if defined(__x86_64__) || defined(__i386__)
/* _mm_pause, __rdtsc, _rotl/_rotr and every SSE/AVX intrinsic, under the
 * names MSVC uses; taken from the compiler so that code which also includes
 * <immintrin.h> sees one definition. */
#include <x86intrin.h>
#else
static inline void _mm_pause(void)
{
#if defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}
static inline uint32_t _rotl(uint32_t value, int shift)
{ shift &= 31; return shift ? (value << shift) | (value >> (32 - shift)) : value; }
static inline uint32_t _rotr(uint32_t value, int shift)
{ shift &= 31; return shift ? (value >> shift) | (value << (32 - shift)) : value; }
#endif

static inline uint64_t _rotl64(uint64_t value, int shift)
{ shift &= 63; return shift ? (value << shift) | (value >> (64 - shift)) : value; }
static inline uint64_t _rotr64(uint64_t value, int shift)
{ shift &= 63; return shift ? (value >> shift) | (value << (64 - shift)) : value; }

/* A breakpoint a debugger can continue from (SIGTRAP without one). */
static inline void __debugbreak(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("int3");
#else
    __builtin_trap();
#endif
}

/* Return 0 for a zero Mask and leave *Index untouched (MSVC calls it
 * undefined; untouched is what its code generation does). */
static inline unsigned char _BitScanForward(uint32_t *Index, uint32_t Mask)
{
    if (Mask == 0)
        return 0;
    *Index = (uint32_t)__builtin_ctz(Mask);
    return 1;
}
static inline unsigned char _BitScanReverse(uint32_t *Index, uint32_t Mask)
{
    if (Mask == 0)
        return 0;
    *Index = 31u - (uint32_t)__builtin_clz(Mask);
    return 1;
}
static inline unsigned char _BitScanForward64(uint32_t *Index, uint64_t Mask)
{
    if (Mask == 0)
        return 0;
    *Index = (uint32_t)__builtin_ctzll(Mask);
    return 1;
}
static inline unsigned char _BitScanReverse64(uint32_t *Index, uint64_t Mask)
{
    if (Mask == 0)
        return 0;
    *Index = 63u - (uint32_t)__builtin_clzll(Mask);
    return 1;
}

static inline uint16_t __popcnt16(uint16_t value) { return (uint16_t)__builtin_popcount(value); }
static inline uint32_t __popcnt(uint32_t value) { return (uint32_t)__builtin_popcount(value); }
static inline uint64_t __popcnt64(uint64_t value) { return (uint64_t)__builtin_popcountll(value); }

static inline uint16_t _byteswap_ushort(uint16_t value) { return __builtin_bswap16(value); }
static inline uint32_t _byteswap_ulong(uint32_t value) { return __builtin_bswap32(value); }
static inline uint64_t _byteswap_uint64(uint64_t value) { return __builtin_bswap64(value); }

/* 64x64 -> 128-bit products. __extension__ keeps -pedantic quiet about
 * __int128, which ISO C and C++ do not have. */
static inline uint64_t __umulh(uint64_t a, uint64_t b)
{
    __extension__ unsigned __int128 p = (unsigned __int128)a * b;
    return (uint64_t)(p >> 64);
}
static inline uint64_t _umul128(uint64_t a, uint64_t b, uint64_t *HighProduct)
{
    __extension__ unsigned __int128 p = (unsigned __int128)a * b;
    *HighProduct = (uint64_t)(p >> 64);
    return (uint64_t)p;
}

#define _ReturnAddress() __builtin_return_address(0)

#endif /* part 2 */
