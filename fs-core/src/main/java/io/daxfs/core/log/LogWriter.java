package io.daxfs.core.log;

import io.daxfs.core.FsException;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.format.Layout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * Appends entries to inode logs (NOVA's {@code log}). An append happens in two steps:
 * {@link #stage} writes the entries after the committed tail (linking new pages as needed),
 * flushed and fenced but invisible; the caller then makes them visible with one 8-byte tail store,
 * either alone or together with other inodes' tails through the journal (see
 * {@code volume.Transaction}), and finally tells the DRAM log with {@link Staged#publishTo}.
 */
public final class LogWriter {
    private static final ThreadLocal<MemorySegment> PAGE_BUFFER =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Layout.BLOCK_SIZE, 64));

    /**
     * Log pages kept aside for changes that free space (a shrinking truncate, punch-hole, unlink,
     * rmdir): on a full device their append may need a new page while the blocks they free only
     * come back after the commit. Enough for a few such commits at once; refilled as space frees.
     */
    static final int RESERVE_PAGES = 8;

    private final DaxDevice device;
    private final BlockAllocator allocator;
    /** The reserve: pages taken from the allocator, free (referenced by nothing), in DRAM only. */
    private final long[] reserve = new long[RESERVE_PAGES];
    private int reserved;

    public LogWriter(DaxDevice device, BlockAllocator allocator) {
        this.device = device;
        this.allocator = allocator;
    }

    /** Entries written behind a tail, not yet committed. */
    public static final class Staged {
        private final long[] newPages;
        private final int newPageCount;
        private final long newTail;

        Staged(long[] newPages, int newPageCount, long newTail) {
            this.newPages = newPages;
            this.newPageCount = newPageCount;
            this.newTail = newTail;
        }

        /** The tail value that commits these entries. */
        public long newTail() {
            return newTail;
        }

        /** Records the committed append in the DRAM log. */
        public void publishTo(InodeLog log) {
            log.commit(newPages, newPageCount, newTail);
        }
    }

    /**
     * Starts a new log for inode {@code ino}: one page with a fresh header. The returned log's
     * tail (its first entry offset) is not on the media until the creation commits.
     */
    public InodeLog newLog(long ino) {
        long block = allocator.allocateOne();
        writeHeader(block, ino);
        return new InodeLog(new long[] {block, 0, 0, 0}, 1, LogPage.firstEntryOffset(block));
    }

    /** Frees every page of a log that was never committed (a failed creation). */
    public void discard(InodeLog log) {
        for (int i = 0; i < log.pageCount(); i++) {
            allocator.free(log.page(i), 1);
        }
    }

    /** {@link #stage(long, InodeLog, List, boolean)} of a change that frees no space. */
    public Staged stage(long ino, InodeLog log, List<? extends LogEntry> entries) {
        return stage(ino, log, entries, false);
    }

    /**
     * Writes {@code entries} after the committed tail of {@code log} (owned by {@code ino}),
     * flushed and fenced. The fence also makes durable whatever the caller wrote with
     * {@code copyIn}/{@code zero} before (the data the entries point at), so data and entries
     * share one fence before the commit store. On failure (ENOSPC for a new page) nothing visible has changed and
     * pages taken so far are freed. {@code freesSpace}: the change gives blocks back, so when the
     * device is full it may take its new pages from the reserve.
     */
    public Staged stage(long ino, InodeLog log, List<? extends LogEntry> entries, boolean freesSpace) {
        MemorySegment buf = PAGE_BUFFER.get();
        long[] newPages = new long[2];
        int newCount = 0;
        long pos = log.tail();
        long lastPage = log.lastBlock();
        long chunkStart = pos;
        try {
            for (LogEntry entry : entries) {
                int length = EntryCodec.encodedLength(entry);
                long pageEnd = Layout.offsetOf(lastPage) + Layout.BLOCK_SIZE;
                if (pos + length > pageEnd) {
                    if (pos < pageEnd) {
                        EntryCodec.encodePad(buf, pos - Layout.offsetOf(lastPage), (int) (pageEnd - pos));
                        pos = pageEnd;
                    }
                    flushChunk(buf, lastPage, chunkStart, pos);
                    long page = newPage(freesSpace);
                    if (newCount == newPages.length) {
                        newPages = Arrays.copyOf(newPages, newCount * 2);
                    }
                    newPages[newCount++] = page;
                    writeHeader(page, ino);
                    link(lastPage, page);
                    lastPage = page;
                    pos = LogPage.firstEntryOffset(page);
                    chunkStart = pos;
                }
                EntryCodec.encode(entry, buf, pos - Layout.offsetOf(lastPage));
                pos += length;
            }
            flushChunk(buf, lastPage, chunkStart, pos);
            device.fence();
            return new Staged(newPages, newCount, pos);
        } catch (RuntimeException e) {
            for (int i = 0; i < newCount; i++) {
                free(newPages[i]);
            }
            throw e;
        }
    }

    /** Gives back the pages of a staged append that will not be committed. */
    public void unstage(Staged staged) {
        for (int i = 0; i < staged.newPageCount; i++) {
            free(staged.newPages[i]);
        }
    }

    /**
     * A page for a log: first tops the reserve up (a page needs taking anyway, so this costs
     * nothing on the common path), then takes one from the allocator, or, when that fails and the
     * change frees space, from the reserve.
     */
    private long newPage(boolean freesSpace) {
        synchronized (reserve) {
            while (reserved < RESERVE_PAGES) {
                long page = allocator.tryAllocateOne();
                if (page < 0) {
                    break; // the device is (nearly) full: keep what the reserve has
                }
                reserve[reserved++] = page;
            }
        }
        try {
            return allocator.allocateOne();
        } catch (FsException full) {
            synchronized (reserve) {
                if (!freesSpace || reserved == 0) {
                    throw full;
                }
                return reserve[--reserved];
            }
        }
    }

    /** Gives a page of a failed append back: to the reserve while it is short, else to the allocator. */
    private void free(long page) {
        synchronized (reserve) {
            if (reserved < RESERVE_PAGES) {
                reserve[reserved++] = page;
                return;
            }
        }
        allocator.free(page, 1);
    }

    /** Pages held in the reserve: free space that only changes freeing space may take. */
    public int reservedPages() {
        synchronized (reserve) {
            return reserved;
        }
    }

    /** Gives the reserve back to the allocator (before a clean unmount saves it). */
    public void releaseReserve() {
        synchronized (reserve) {
            while (reserved > 0) {
                allocator.free(reserve[--reserved], 1);
            }
        }
    }

    /** Copies the bytes {@code [from, to)} of page {@code block}, encoded in {@code buf}, to the device. */
    private void flushChunk(MemorySegment buf, long block, long from, long to) {
        if (to > from) {
            long base = Layout.offsetOf(block);
            device.copyIn(buf.asSlice(from - base, to - from), from);
        }
    }

    private void writeHeader(long block, long ino) {
        MemorySegment buf = PAGE_BUFFER.get();
        LogPage.encodeHeader(buf, ino);
        device.copyIn(buf.asSlice(0, LogPage.FIRST_ENTRY), Layout.offsetOf(block));
    }

    /** Points page {@code from}'s next field at {@code to}; beyond the tail, so not yet a commit. */
    private void link(long from, long to) {
        long offset = Layout.offsetOf(from) + LogPage.NEXT_OFFSET;
        device.storeRelease(offset, to);
        device.flush(offset, Long.BYTES);
    }
}
