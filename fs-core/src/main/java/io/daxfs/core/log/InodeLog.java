package io.daxfs.core.log;

import java.util.Arrays;

/**
 * DRAM view of one inode's log: its chain of segments in order (see {@link LogSegment}: the first
 * may be a slot, the others are whole pages) and its committed tail (a device byte offset just past
 * the last committed entry). Guarded by the owning inode's lock.
 */
public final class InodeLog {
    private long[] segments;
    private int segmentCount;
    private long tail;
    /** Bytes of every segment but the last, kept so {@link #usedBytes} (asked on every write) is O(1). */
    private long fullBytes;

    /** A log of the given segments with the given committed tail. */
    public InodeLog(long[] segments, int segmentCount, long tail) {
        if (segmentCount < 1) {
            throw new IllegalArgumentException("a log has at least one segment");
        }
        this.segments = segments;
        this.segmentCount = segmentCount;
        this.tail = tail;
        for (int i = 0; i < segmentCount - 1; i++) {
            fullBytes += LogSegment.size(segments[i]);
        }
    }

    /** The head as the inode record holds it: a page's block, or a slot's address. */
    public long head() {
        return segments[0];
    }

    /** True if the log starts in a slot of a packed page. */
    public boolean startsInSlot() {
        return LogSegment.isSlot(segments[0]);
    }

    public long lastSegment() {
        return segments[segmentCount - 1];
    }

    public int segmentCount() {
        return segmentCount;
    }

    public long segment(int index) {
        return segments[index];
    }

    /** Whole 4 KiB blocks the log owns alone (every page; a slot shares its block). */
    public int ownedBlocks() {
        return startsInSlot() ? segmentCount - 1 : segmentCount;
    }

    public long tail() {
        return tail;
    }

    /** Bytes of log in use: what compaction weighs against the live state. */
    public long usedBytes() {
        return fullBytes + tail - LogSegment.offset(lastSegment());
    }

    /** Takes in the result of a committed append. */
    void commit(long[] newPages, int newPageCount, long newTail) {
        if (segmentCount + newPageCount > segments.length) {
            segments = Arrays.copyOf(segments, Math.max(segments.length * 2, segmentCount + newPageCount));
        }
        for (int i = 0; i < newPageCount; i++) {
            fullBytes += LogSegment.size(segments[segmentCount - 1]);
            segments[segmentCount++] = newPages[i];
        }
        tail = newTail;
    }

    /** A copy of the segment addresses, for freeing them. */
    public long[] segmentsCopy() {
        return Arrays.copyOf(segments, segmentCount);
    }
}
