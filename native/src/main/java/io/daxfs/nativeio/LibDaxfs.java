package io.daxfs.nativeio;

/**
 * The JNR-FFI binding of {@code libdaxfs.so} ({@code native/src/main/c/daxfs_native.c}). Only
 * {@link NativePmem} calls it; everyone else goes through that facade, which checks arguments,
 * because these functions take raw addresses and trust them.
 *
 * <p>Pointers are passed as {@code long} ({@code MemorySegment.address()}); {@code size_t} is a
 * {@code long} on the only platform the library is built for (x86-64 Linux).
 */
public interface LibDaxfs {

    /** Non-temporal copy of {@code n} bytes, ending with {@code sfence}: the kernel's memcpy_flushcache. */
    void daxfs_memcpy_nt(long dst, long src, long n);

    /** Non-temporal zeroing of {@code n} bytes, ending with {@code sfence}. */
    void daxfs_zero_nt(long dst, long n);

    /** Writes back the cache lines overlapping the range (clwb, clflushopt or clflush); unordered. */
    void daxfs_flush(long addr, long len);

    /** {@code sfence}. */
    void daxfs_sfence();

    /** The write-back instruction in use: 1 clflush, 2 clflushopt, 3 clwb. */
    int daxfs_flush_kind();

    /** Width in bytes of the streaming stores in use: 64, 32 or 16. */
    int daxfs_copy_width();

    /** Maps a file or device shared; returns the address or a negative error (see daxfs_strerror). */
    long daxfs_mmap(String path, long len, int flags);

    /** Unmaps; 0 or -errno. */
    int daxfs_munmap(long addr, long len);

    /** The text of a negative error returned by daxfs_mmap or daxfs_munmap. */
    String daxfs_strerror(int negativeError);
}
