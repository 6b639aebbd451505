package io.daxfs.core.log;

import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.SlotAllocator;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.format.Layout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * Appends entries to inode logs (NOVA's {@code log}). An append happens in two steps:
 * {@link #stage} writes the entries after the committed tail (linking new pages as needed),
 * flushed but invisible; the caller then makes them visible with one 8-byte tail store, either
 * alone or together with other inodes' tails through the journal (see {@code volume.Transaction}),
 * and finally tells the DRAM log with {@link Staged#publishTo}. The commit fences before its store,
 * so one fence covers every log a change stages (and the data they point at).
 */
public final class LogWriter {
    private static final ThreadLocal<MemorySegment> PAGE_BUFFER =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Layout.BLOCK_SIZE, 64));

    private final DaxDevice device;
    private final BlockAllocator allocator;
    private final SlotAllocator slots;

    public LogWriter(DaxDevice device, BlockAllocator allocator, SlotAllocator slots) {
        this.device = device;
        this.allocator = allocator;
        this.slots = slots;
    }

    /** Entries written behind a tail, not yet committed. */
    public static final class Staged {
        /** Null when the entries fit behind the tail (the usual case). */
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
     * Starts a new log for inode {@code ino} in a slot of a packed page: what every new inode
     * gets, so a small file costs an eighth of a block of log. The returned log's tail (its first
     * entry offset) is not on the media until the creation commits.
     */
    public InodeLog newLog(long ino, BlockAllocator.Use use) {
        return newLog(ino, 0, use);
    }

    /**
     * Starts a new log for inode {@code ino} whose first entries take {@code firstBytes} (see
     * {@link #encodedLength}): in a slot if they fit one, else in a whole page (log compaction).
     * A new block (a page, or a packed page for the slot) is taken as {@code use} allows.
     */
    public InodeLog newLog(long ino, long firstBytes, BlockAllocator.Use use) {
        long segment = firstBytes <= LogSegment.SLOT_CAPACITY ? LogSegment.ofSlot(slots.allocate(use))
                : allocator.allocateOne(use);
        writeHeader(segment, ino);
        return new InodeLog(segment, LogSegment.firstEntryOffset(segment));
    }

    /** Bytes {@code entries} take in a log (in one page, without padding). */
    public static long encodedLength(List<LogEntry> entries) {
        long bytes = 0;
        for (LogEntry entry : entries) {
            bytes += EntryCodec.encodedLength(entry);
        }
        return bytes;
    }

    /**
     * Frees every segment of a log that was never committed (a failed creation or compaction), or
     * that a durable commit stopped using (a deletion, a compaction). Log pages are never pinned
     * by mappings, so they go straight back.
     */
    public void discard(InodeLog log) {
        for (int i = 0; i < log.segmentCount(); i++) {
            freeSegment(log.segment(i));
        }
    }

    private void freeSegment(long segment) {
        if (LogSegment.isSlot(segment)) {
            slots.free(LogSegment.offset(segment));
        } else {
            allocator.free(segment, 1);
        }
    }

    /**
     * Writes {@code entries} after the committed tail of {@code log} (owned by {@code ino}),
     * flushed, not fenced: the commit store that makes them visible must follow a fence, which
     * also makes durable whatever else the change wrote before (the data the entries point at,
     * the other logs it stages), so they all share one. On failure (ENOSPC for a new page)
     * nothing visible has changed and pages taken so far are freed.
     */
    public Staged stage(long ino, InodeLog log, List<LogEntry> entries, BlockAllocator.Use use) {
        MemorySegment buf = PAGE_BUFFER.get();
        long[] newPages = null; // made at the first new page: most appends fit behind the tail
        int newCount = 0;
        long pos = log.tail();
        long last = log.lastSegment();
        long chunkStart = pos;
        try {
            for (int i = 0; i < entries.size(); i++) { // indexed: an iterator was garbage of every append
                LogEntry entry = entries.get(i);
                int length = EntryCodec.encodedLength(entry);
                long segmentEnd = LogSegment.offset(last) + LogSegment.size(last);
                if (pos + length > segmentEnd) {
                    if (pos < segmentEnd) {
                        EntryCodec.encodePad(buf, pos - LogSegment.offset(last), (int) (segmentEnd - pos));
                        pos = segmentEnd;
                    }
                    flushChunk(buf, last, chunkStart, pos);
                    long page = allocator.allocateOne(use);
                    if (newPages == null) {
                        newPages = new long[2];
                    } else if (newCount == newPages.length) {
                        newPages = Arrays.copyOf(newPages, newCount * 2);
                    }
                    newPages[newCount++] = page;
                    writeHeader(page, ino);
                    link(last, page);
                    last = page;
                    pos = LogPage.firstEntryOffset(page);
                    chunkStart = pos;
                }
                EntryCodec.encode(entry, buf, pos - LogSegment.offset(last));
                pos += length;
            }
            flushChunk(buf, last, chunkStart, pos);
            return new Staged(newPages, newCount, pos);
        } catch (RuntimeException e) {
            for (int i = 0; i < newCount; i++) {
                allocator.free(newPages[i], 1);
            }
            throw e;
        }
    }

    /**
     * Writes a new first segment (a slot) holding {@code attributes}, padded to its end and linked
     * to segment {@code dropped} of {@code log}, and returns that log without its first
     * {@code dropped} segments, behind the new one. Flushed, not fenced, not visible: it takes
     * effect when the inode record's head is committed to its {@link InodeLog#head}; then
     * {@link #discardFirst} frees the segments it left out. On failure nothing is taken.
     */
    public InodeLog withNewHead(long ino, InodeLog log, int dropped, LogEntry.InodeEntry attributes,
            BlockAllocator.Use use) {
        if (dropped < 1 || dropped >= log.segmentCount()) {
            throw new IllegalArgumentException("dropping " + dropped + " of " + log.segmentCount() + " segments");
        }
        List<LogEntry> first = List.of(attributes);
        InodeLog head = newLog(ino, encodedLength(first), use);
        try {
            stage(ino, head, first, use).publishTo(head);
        } catch (RuntimeException e) {
            discard(head);
            throw e;
        }
        padToEnd(head);
        link(head.lastSegment(), log.segment(dropped));
        return log.withHead(head.head(), dropped);
    }

    /** Fills the rest of {@code log}'s last segment with a PAD entry, as a segment that is not a log's last must be. */
    private void padToEnd(InodeLog log) {
        long last = log.lastSegment();
        long base = LogSegment.offset(last);
        long end = base + LogSegment.size(last);
        long pos = log.tail();
        if (pos < end) {
            MemorySegment buf = PAGE_BUFFER.get();
            EntryCodec.encodePad(buf, pos - base, (int) (end - pos));
            flushChunk(buf, last, pos, end);
        }
    }

    /** Frees the first {@code count} segments of {@code log}, which a committed new head left out. */
    public void discardFirst(InodeLog log, int count) {
        for (int i = 0; i < count; i++) {
            freeSegment(log.segment(i));
        }
    }

    /** Gives back the pages of a staged append that will not be committed. */
    public void unstage(Staged staged) {
        for (int i = 0; i < staged.newPageCount; i++) {
            allocator.free(staged.newPages[i], 1);
        }
    }

    /** Copies the bytes {@code [from, to)} of segment {@code segment}, encoded in {@code buf}, to the device. */
    private void flushChunk(MemorySegment buf, long segment, long from, long to) {
        if (to > from) {
            long base = LogSegment.offset(segment);
            device.copyIn(buf, from - base, to - from, from);
        }
    }

    private void writeHeader(long segment, long ino) {
        MemorySegment buf = PAGE_BUFFER.get();
        LogPage.encodeHeader(buf, LogSegment.magic(segment), ino);
        device.copyIn(buf, 0, LogPage.FIRST_ENTRY, LogSegment.offset(segment));
    }

    /** Points segment {@code from}'s next field at page {@code to}; beyond the tail, so not yet a commit. */
    private void link(long from, long to) {
        long offset = LogSegment.offset(from) + LogPage.NEXT_OFFSET;
        device.storeRelease(offset, to);
        device.flush(offset, Long.BYTES);
    }
}
