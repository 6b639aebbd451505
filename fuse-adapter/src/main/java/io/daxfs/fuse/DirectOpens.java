package io.daxfs.fuse;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Under {@code dax=inode}: which files may have had their data changed around the kernel's page
 * cache, so that opening a page-cache (non-DAX) file keeps its cached pages ({@code FOPEN_KEEP_CACHE},
 * as local filesystems keep theirs) exactly when they are still the file's data. Every change to a
 * page-cache file passes through the page cache (the kernel also drops the pages that truncate,
 * hole punching and copy_file_range change) except writes through a direct-I/O handle, opened
 * while the file had the DAX flag: kernels since 6.6 (FUSE_DIRECT_IO_ALLOW_MMAP) drop the cached
 * pages such a write overwrites, older ones do not. So a file whose direct-I/O handle is open, or
 * was opened since the file's last page-cache open, loses its cached pages at that next open. Entries live while
 * such a handle is open or until that open or the kernel's FORGET. Used by {@link DaxLowLevel};
 * thread-safe.
 */
final class DirectOpens {
    /** Direct-I/O handles open on a file, which has had one since its last page-cache open. */
    private record Handles(int open) {}

    private final ConcurrentHashMap<Long, Handles> files = new ConcurrentHashMap<>();

    void opened(long ino) {
        files.merge(ino, new Handles(1), (a, b) -> new Handles(a.open() + 1));
    }

    void released(long ino) {
        files.computeIfPresent(ino, (k, h) -> new Handles(Math.max(0, h.open() - 1)));
    }

    /** At a page-cache open: whether the kernel's cached pages of {@code ino} are still its data. */
    boolean cacheStillValid(long ino) {
        boolean[] bypassed = {false};
        files.computeIfPresent(ino, (k, h) -> {
            bypassed[0] = true;
            return h.open() > 0 ? h : null; // an open handle may still write around the cache
        });
        return !bypassed[0];
    }

    /** The kernel forgot {@code ino}: its page cache went with its inode. */
    void forgotten(long ino) {
        files.computeIfPresent(ino, (k, h) -> h.open() > 0 ? h : null);
    }
}
