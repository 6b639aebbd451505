package io.daxfs.core.log;

import io.daxfs.core.format.Layout;
import java.util.Arrays;

/**
 * DRAM view of one inode's log: its chain of pages in order and its committed tail (a device byte
 * offset just past the last committed entry). Guarded by the owning inode's lock.
 */
public final class InodeLog {
    private long[] pages;
    private int pageCount;
    private long tail;

    /** A log of the given pages with the given committed tail. */
    public InodeLog(long[] pages, int pageCount, long tail) {
        if (pageCount < 1) {
            throw new IllegalArgumentException("a log has at least one page");
        }
        this.pages = pages;
        this.pageCount = pageCount;
        this.tail = tail;
    }

    public long headBlock() {
        return pages[0];
    }

    public long lastBlock() {
        return pages[pageCount - 1];
    }

    public int pageCount() {
        return pageCount;
    }

    public long page(int index) {
        return pages[index];
    }

    public long tail() {
        return tail;
    }

    /** Bytes of log in use: what compaction weighs against the live state. */
    public long usedBytes() {
        return (long) (pageCount - 1) * Layout.BLOCK_SIZE + (tail - Layout.offsetOf(lastBlock()));
    }

    /** Takes in the result of a committed append. */
    void commit(long[] newPages, int newPageCount, long newTail) {
        if (pageCount + newPageCount > pages.length) {
            pages = Arrays.copyOf(pages, Math.max(pages.length * 2, pageCount + newPageCount));
        }
        System.arraycopy(newPages, 0, pages, pageCount, newPageCount);
        pageCount += newPageCount;
        tail = newTail;
    }

    /** A copy of the page blocks, for freeing them. */
    public long[] pagesCopy() {
        return Arrays.copyOf(pages, pageCount);
    }
}
