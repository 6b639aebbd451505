/*
 * daxfs native persistence helpers (x86-64 Linux), bound from Java by FFM downcalls in io.daxfs.nativeio.NativePmem.
 *
 * What Java cannot do by itself: non-temporal (streaming) stores, cache-line write-back
 * (clwb/clflushopt/clflush), sfence, and mmap with MAP_SYNC or of a device-dax character device.
 *
 * One binary serves every x86-64 CPU: the wide loops are compiled with per-function target
 * attributes and chosen once, by CPUID, in the library constructor.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

#define EXPORT __attribute__((visibility("default")))
#define LINE 64
#define DEVDAX_ALIGN (2UL << 20)

/* Values shared with NativePmem/MapKind: keep in step. */
enum flush_insn { FLUSH_CLFLUSH = 1, FLUSH_CLFLUSHOPT = 2, FLUSH_CLWB = 3 };
enum map_flags { MAP_FLAG_READONLY = 1, MAP_FLAG_SYNC = 2, MAP_FLAG_DEVDAX = 4 };
/* Returned (negated) when the kernel refused MAP_SYNC for this file, so Java can tell it apart. */
#define DAXFS_ESYNC_REFUSED 100000

static int flush_kind = FLUSH_CLFLUSH;
static int copy_width = 16; /* SSE2 is part of x86-64 */

/* ---------------------------------------------------------------- cache-line write-back */

__attribute__((target("clwb"))) static void flush_clwb(uintptr_t p, uintptr_t end) {
    for (; p < end; p += LINE) _mm_clwb((void *)p);
}

__attribute__((target("clflushopt"))) static void flush_clflushopt(uintptr_t p, uintptr_t end) {
    for (; p < end; p += LINE) _mm_clflushopt((void *)p);
}

static void flush_clflush(uintptr_t p, uintptr_t end) {
    for (; p < end; p += LINE) _mm_clflush((void *)p);
}

/* Writes back every cache line that overlaps [addr, addr+len). Unordered: the caller fences. */
EXPORT void daxfs_flush(const void *addr, size_t len) {
    if (len == 0) return;
    uintptr_t p = (uintptr_t)addr & ~(uintptr_t)(LINE - 1);
    uintptr_t end = (uintptr_t)addr + len;
    switch (flush_kind) {
    case FLUSH_CLWB: flush_clwb(p, end); break;
    case FLUSH_CLFLUSHOPT: flush_clflushopt(p, end); break;
    default: flush_clflush(p, end); break;
    }
}

EXPORT void daxfs_sfence(void) { _mm_sfence(); }

/* ---------------------------------------------------------------- non-temporal copy */

/* Bulk loops: dst is aligned to the vector width, n is a multiple of it, src may be unaligned. */
__attribute__((target("avx512f"))) static void nt_loop_512(char *d, const char *s, size_t n) {
    for (; n; n -= 64, d += 64, s += 64)
        _mm512_stream_si512((void *)d, _mm512_loadu_si512((const void *)s));
}

__attribute__((target("avx2"))) static void nt_loop_256(char *d, const char *s, size_t n) {
    for (; n; n -= 32, d += 32, s += 32)
        _mm256_stream_si256((__m256i *)d, _mm256_loadu_si256((const __m256i *)s));
}

static void nt_loop_128(char *d, const char *s, size_t n) {
    for (; n; n -= 16, d += 16, s += 16)
        _mm_stream_si128((__m128i *)d, _mm_loadu_si128((const __m128i *)s));
}

__attribute__((target("avx512f"))) static void nt_zero_512(char *d, size_t n) {
    __m512i z = _mm512_setzero_si512();
    for (; n; n -= 64, d += 64) _mm512_stream_si512((void *)d, z);
}

__attribute__((target("avx2"))) static void nt_zero_256(char *d, size_t n) {
    __m256i z = _mm256_setzero_si256();
    for (; n; n -= 32, d += 32) _mm256_stream_si256((__m256i *)d, z);
}

static void nt_zero_128(char *d, size_t n) {
    __m128i z = _mm_setzero_si128();
    for (; n; n -= 16, d += 16) _mm_stream_si128((__m128i *)d, z);
}

static void nt_bulk(char *d, const char *s, size_t n) {
    if (copy_width == 64) nt_loop_512(d, s, n);
    else if (copy_width == 32) nt_loop_256(d, s, n);
    else nt_loop_128(d, s, n);
}

static void nt_bulk_zero(char *d, size_t n) {
    if (copy_width == 64) nt_zero_512(d, n);
    else if (copy_width == 32) nt_zero_256(d, n);
    else nt_zero_128(d, n);
}

/* A partial line is written with ordinary stores and then written back, as the kernel's
 * __memcpy_flushcache does for unaligned heads and tails. */
static void cached_then_flush(char *d, const char *s, size_t n) {
    if (s) memcpy(d, s, n);
    else memset(d, 0, n);
    daxfs_flush(d, n);
}

/*
 * memcpy_flushcache: src lands at dst without leaving dirty lines in the CPU cache; like the
 * kernel's, it does not fence: the data is durable after the caller's next sfence, so a caller
 * that copies several pieces before one commit pays for one fence. src == NULL zeroes instead.
 */
static void copy_flushcache(char *d, const char *s, size_t n) {
    /* Head: up to the first 8-byte boundary, cached. */
    size_t head = (size_t)(-(uintptr_t)d & 7);
    if (head > n) head = n;
    if (head) {
        cached_then_flush(d, s, head);
        d += head; if (s) s += head; n -= head;
    }
    /* 8-byte movnti up to the vector alignment, so the wide stores are aligned. */
    while (n >= 8 && ((uintptr_t)d & (copy_width - 1))) {
        long long v = 0;
        if (s) { memcpy(&v, s, 8); s += 8; }
        _mm_stream_si64((long long *)d, v);
        d += 8; n -= 8;
    }
    size_t bulk = n & ~(size_t)(copy_width - 1);
    if (bulk) {
        if (s) { nt_bulk(d, s, bulk); s += bulk; }
        else nt_bulk_zero(d, bulk);
        d += bulk; n -= bulk;
    }
    while (n >= 8) {
        long long v = 0;
        if (s) { memcpy(&v, s, 8); s += 8; }
        _mm_stream_si64((long long *)d, v);
        d += 8; n -= 8;
    }
    if (n) cached_then_flush(d, s, n);
}

EXPORT void daxfs_memcpy_nt(void *dst, const void *src, size_t n) {
    copy_flushcache((char *)dst, (const char *)src, n);
}

EXPORT void daxfs_zero_nt(void *dst, size_t n) {
    copy_flushcache((char *)dst, NULL, n);
}

/* ---------------------------------------------------------------- CPU features */

EXPORT int daxfs_flush_kind(void) { return flush_kind; }

/* Width in bytes of the widest streaming store in use: 64 (AVX-512), 32 (AVX2) or 16 (SSE2). */
EXPORT int daxfs_copy_width(void) { return copy_width; }

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

__attribute__((constructor)) static void detect_cpu(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    int ymm_os = (xcr0 & 0x6) == 0x6;           /* SSE + AVX state saved by the OS */
    int zmm_os = ymm_os && (xcr0 & 0xe0) == 0xe0; /* opmask + ZMM state too */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    if ((b >> 24) & 1) flush_kind = FLUSH_CLWB;
    else if ((b >> 23) & 1) flush_kind = FLUSH_CLFLUSHOPT;
    if (((b >> 16) & 1) && zmm_os) copy_width = 64;
    else if (((b >> 5) & 1) && avx && ymm_os) copy_width = 32;
}

/* ---------------------------------------------------------------- mappings */

/*
 * Maps `len` bytes of `path` shared. Returns the address, or a negative error: -errno, or
 * -DAXFS_ESYNC_REFUSED when MAP_FLAG_SYNC was asked and the kernel does not support MAP_SYNC for
 * this file (not on a DAX filesystem, or a kernel without MAP_SHARED_VALIDATE).
 * MAP_FLAG_DEVDAX places the mapping on a 2 MiB boundary, as device-dax requires for its huge pages.
 */
EXPORT long daxfs_mmap(const char *path, size_t len, int flags) {
    if (path == NULL || len == 0) return -EINVAL;
    int readonly = flags & MAP_FLAG_READONLY;
    int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) return -errno;
    int prot = readonly ? PROT_READ : PROT_READ | PROT_WRITE;
    void *hint = NULL;
    void *reserve = MAP_FAILED;
    size_t reserve_len = 0;
    if (flags & MAP_FLAG_DEVDAX) {
        /* Reserve len + 2 MiB of address space and place the mapping at its first 2 MiB boundary. */
        reserve_len = len + DEVDAX_ALIGN;
        reserve = mmap(NULL, reserve_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (reserve == MAP_FAILED) { int e = errno; close(fd); return -e; }
        hint = (void *)(((uintptr_t)reserve + DEVDAX_ALIGN - 1) & ~(uintptr_t)(DEVDAX_ALIGN - 1));
    }
    int mflags = (flags & MAP_FLAG_SYNC) ? MAP_SHARED_VALIDATE | MAP_SYNC : MAP_SHARED;
    if (hint) mflags |= MAP_FIXED;
    void *addr = mmap(hint, len, prot, mflags, fd, 0);
    int err = addr == MAP_FAILED ? errno : 0;
    close(fd);
    if (reserve != MAP_FAILED) {
        /* Give back the reservation around the mapping (all of it if the mapping failed). */
        uintptr_t r = (uintptr_t)reserve, h = (uintptr_t)hint;
        if (err) {
            munmap(reserve, reserve_len);
        } else {
            if (h > r) munmap(reserve, h - r);
            if (r + reserve_len > h + len) munmap((void *)(h + len), r + reserve_len - (h + len));
        }
    }
    if (err) {
        /* EOPNOTSUPP: MAP_SYNC on a non-DAX file; EINVAL: an old kernel without MAP_SHARED_VALIDATE. */
        if ((flags & MAP_FLAG_SYNC) && (err == EOPNOTSUPP || err == EINVAL)) return -DAXFS_ESYNC_REFUSED;
        return -err;
    }
    return (long)(uintptr_t)addr;
}

EXPORT int daxfs_munmap(void *addr, size_t len) {
    return munmap(addr, len) == 0 ? 0 : -errno;
}

/* The text of an error returned by daxfs_mmap/daxfs_munmap. */
EXPORT const char *daxfs_strerror(int negative_error) {
    if (negative_error == -DAXFS_ESYNC_REFUSED) return "MAP_SYNC refused: not a DAX mapping";
    return strerror(-negative_error);
}
