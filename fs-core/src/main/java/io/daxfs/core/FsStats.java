package io.daxfs.core;

/**
 * Counters of the DAX mechanisms, readable through the API and (by the FUSE adapter) from a mount.
 *
 * @param pinnedBytes device bytes pinned by live mappings
 * @param deferredBytes bytes freed while pinned, waiting for the pin to drop (not counted as free)
 * @param dirtyBytes bytes written with cached stores and not yet flushed
 * @param liveMappings DAX mappings not yet closed
 * @param freeBytes bytes the allocator can hand out
 * @param orphans orphan slots taken: unlinked files still open or looked up by the kernel
 * @param numbersAwaitingForget inode numbers of deleted inodes the kernel has not forgotten yet
 */
public record FsStats(long pinnedBytes, long deferredBytes, long dirtyBytes, int liveMappings, long freeBytes,
        int orphans, int numbersAwaitingForget) {}
