package io.daxfs.core;

/**
 * What {@code statfs} reports; blocks are {@link #blockSize} bytes. Deferred blocks are not free.
 * {@code availableBlocks} leaves out the metadata reserve (as ext4's f_bavail leaves out its
 * reserved blocks): what file data may still take.
 */
public record StatFs(long blockSize, long totalBlocks, long freeBlocks, long availableBlocks, long totalInodes,
        long freeInodes, int maxNameLength) {}
