package io.daxfs.fuse;

/**
 * What {@code fi.fh} holds for an open directory: its inode number (below 2^31) in the low 32 bits
 * and, above, where its listing ends ({@link io.daxfs.core.fs.DaxFileSystem#listingEnd}, taken at
 * opendir), so that readdir on that descriptor ends even while names are renamed away and back. An
 * end that does not fit (over 2^32 names ever added to the directory) is stored as 0: no end. Files
 * keep their bare inode number, so {@link #ino} reads both.
 */
final class DirHandle {
    private static final long LOW = 0xFFFF_FFFFL;

    private DirHandle() {}

    static long pack(long ino, long listingEnd) {
        if (ino < 0 || ino > LOW) {
            throw new IllegalArgumentException("inode number " + ino + " does not fit a directory handle");
        }
        return (listingEnd > 0 && listingEnd <= LOW ? listingEnd << 32 : 0) | ino;
    }

    /** The inode of a directory handle, or of a file handle (a bare inode number). */
    static long ino(long fh) {
        return fh & LOW;
    }

    /** Where the listing of this handle ends: a cookie, or {@link Long#MAX_VALUE} for no end. */
    static long listingEnd(long fh) {
        long end = fh >>> 32;
        return end == 0 ? Long.MAX_VALUE : end;
    }
}
