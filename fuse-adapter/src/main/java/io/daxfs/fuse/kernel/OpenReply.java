package io.daxfs.fuse.kernel;

/**
 * {@code struct fuse_open_out}: the handle the kernel hands back in later requests on this open
 * file, and the FOPEN_* flags.
 */
public record OpenReply(long fh, int openFlags) {
    public static final int DIRECT_IO = 1;
    public static final int KEEP_CACHE = 1 << 1;
    public static final int CACHE_DIR = 1 << 3;
    /** Writes to one direct-I/O file may run in parallel (the filesystem orders them itself). */
    public static final int PARALLEL_DIRECT_WRITES = 1 << 6;
}
