package io.daxfs.core;

/**
 * What {@code statfs} reports; blocks are {@link #blockSize} bytes. Deferred blocks are not free.
 * {@code freeBlocks} counts every block no file uses; {@code availableBlocks} leaves out the log
 * pages kept for changes that free space (statvfs {@code f_bfree} and {@code f_bavail}).
 */
public record StatFs(long blockSize, long totalBlocks, long freeBlocks, long availableBlocks, long totalInodes,
        long freeInodes, int maxNameLength) {}
