package io.daxfs.core;

/** What {@code statfs} reports; blocks are {@link #blockSize} bytes. Deferred blocks are not free. */
public record StatFs(long blockSize, long totalBlocks, long freeBlocks, long totalInodes, long freeInodes,
        int maxNameLength) {}
