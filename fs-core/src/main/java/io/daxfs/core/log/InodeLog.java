package io.daxfs.core.log;

import java.util.Arrays;

/**
 * DRAM view of one inode's log: its chain of segments in order (see {@link LogSegment}: the first
 * may be a slot, the others are whole pages) and its committed tail (a device byte offset just past
 * the last committed entry). Guarded by the owning inode's lock.
 */
public final class InodeLog {
    /** The first segment, which never changes. */
    private final long head;
    /**
     * The segments after the first, in order; null while there is none (most logs stay in their
     * slot, and a one-element array per inode was an object every created file kept).
     */
    private long[] rest;
    /** Where segment 1 is in {@link #rest}: a head trim shares the array and starts further in. */
    private int restStart;
    private int segmentCount;
    private long tail;
    /** Bytes of every segment but the last, kept so {@link #usedBytes} (asked on every write) is O(1). */
    private long fullBytes;

    /** A log of the given segments with the given committed tail. */
    public InodeLog(long[] segments, int segmentCount, long tail) {
        if (segmentCount < 1) {
            throw new IllegalArgumentException("a log has at least one segment");
        }
        this.head = segments[0];
        this.rest = segmentCount > 1 ? Arrays.copyOfRange(segments, 1, segmentCount) : null;
        this.segmentCount = segmentCount;
        this.tail = tail;
        for (int i = 0; i < segmentCount - 1; i++) {
            fullBytes += LogSegment.size(segments[i]);
        }
    }

    /** A log of one segment, {@code head}, with the given committed tail (a new log). */
    public InodeLog(long head, long tail) {
        this.head = head;
        this.segmentCount = 1;
        this.tail = tail;
    }

    /** The head as the inode record holds it: a page's block, or a slot's address. */
    public long head() {
        return head;
    }

    /** True if the log starts in a slot of a packed page. */
    public boolean startsInSlot() {
        return LogSegment.isSlot(head);
    }

    public long lastSegment() {
        return segment(segmentCount - 1);
    }

    public int segmentCount() {
        return segmentCount;
    }

    public long segment(int index) {
        return index == 0 ? head : rest[restStart + index - 1];
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
        if (newPageCount > 0) {
            int restCount = segmentCount - 1;
            if (rest == null) {
                rest = new long[Math.max(4, newPageCount)];
            } else if (restStart + restCount + newPageCount > rest.length) {
                // Sized by what is in use, not by the array: trims leave a used prefix behind.
                long[] grown = new long[2 * (restCount + newPageCount)];
                System.arraycopy(rest, restStart, grown, 0, restCount);
                rest = grown;
                restStart = 0;
            }
            for (int i = 0; i < newPageCount; i++) {
                fullBytes += LogSegment.size(lastSegment());
                rest[restStart + restCount + i] = newPages[i];
                segmentCount++;
            }
        }
        tail = newTail;
    }

    /**
     * This log with its first {@code dropped} segments replaced by the single segment
     * {@code newHead} (a head trim, see {@code gc.LogCompactor}), same tail. Shares this log's
     * array of pages, so it costs nothing however long the log: only one of the two is used
     * after the trim (this one only to free its first segments), and appends go past both.
     */
    public InodeLog withHead(long newHead, int dropped) {
        if (dropped < 1 || dropped >= segmentCount) {
            throw new IllegalArgumentException("dropping " + dropped + " of " + segmentCount + " segments");
        }
        InodeLog trimmed = new InodeLog(newHead, tail);
        trimmed.rest = rest;
        trimmed.restStart = restStart + dropped - 1;
        trimmed.segmentCount = segmentCount - dropped + 1;
        long droppedBytes = 0;
        for (int i = 0; i < dropped; i++) {
            droppedBytes += LogSegment.size(segment(i));
        }
        trimmed.fullBytes = fullBytes - droppedBytes + LogSegment.size(newHead);
        return trimmed;
    }

    /** A copy of the segment addresses, for freeing them. */
    public long[] segmentsCopy() {
        long[] all = new long[segmentCount];
        all[0] = head;
        if (rest != null) {
            System.arraycopy(rest, restStart, all, 1, segmentCount - 1);
        }
        return all;
    }
}
