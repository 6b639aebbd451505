package io.daxfs.core.log;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.Layout;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Walks an inode's log on the media from its head page to its committed tail, checking every
 * page header and entry as it goes (used by mount, recovery and the checker). It never follows a
 * pointer out of the data area nor visits a page twice, so damaged
 * media cannot make it loop or read outside the device. A page that links back into its own
 * chain is reported as soon as it is reached: a cycle costs one pass over its pages, not a walk
 * the length of the device (issue #13 point 6).
 */
public final class LogReader {
    /** Chains up to this long are checked for cycles by a linear scan, longer ones with a set. */
    private static final int SHORT_CHAIN = 16;
    /** Pages of the largest file. */
    private static final long MAX_PAGES = Layout.MAX_FILE_SIZE / Layout.BLOCK_SIZE;

    private final DaxDevice device;
    private final Layout layout;

    public LogReader(DaxDevice device, Layout layout) {
        this.device = device;
        this.layout = layout;
    }

    public Layout layout() {
        return layout;
    }

    /** Receives each committed entry of a log with its device offset. */
    @FunctionalInterface
    public interface Visitor {
        void entry(LogEntry entry, long deviceOffset);
    }

    /**
     * Visits the committed entries of the log of {@code ino} from {@code head} (a segment
     * address, {@link LogSegment}) to {@code tail}; returns the log's segments.
     *
     * @throws LogCorruptException naming what is wrong and where
     */
    public InodeLog read(long ino, long head, long tail, Visitor visitor) {
        long[] pages = new long[4];
        int count = 0;
        Set<Long> visited = null;
        long block = head;
        while (true) {
            checkSegment(ino, block, count == 0);
            if (count == SHORT_CHAIN) {
                visited = new HashSet<>();
                for (int i = 0; i < count; i++) {
                    visited.add(pages[i]);
                }
            }
            if (visited != null ? !visited.add(block) : contains(pages, count, block)) {
                throw new LogCorruptException("inode " + ino + ": " + LogSegment.describe(pages[count - 1])
                        + " links back to page " + block + " of the same chain (a cycle)");
            }
            if (count == pages.length) {
                pages = Arrays.copyOf(pages, count * 2);
            }
            pages[count++] = block;
            long base = LogSegment.offset(block);
            int size = LogSegment.size(block);
            MemorySegment page = device.directAccess(base, size);
            long pos = LogPage.FIRST_ENTRY;
            boolean tailHere = tail > base && tail <= base + size;
            long end = tailHere ? tail - base : size;
            if (tailHere && (end < LogPage.FIRST_ENTRY || end % 8 != 0)) {
                throw new LogCorruptException("inode " + ino + ": tail " + tail + " is not at an entry boundary");
            }
            while (pos < end) {
                LogEntry entry;
                try {
                    entry = EntryCodec.decode(page, pos, size - pos);
                } catch (LogCorruptException e) {
                    throw new LogCorruptException("inode " + ino + ": " + LogSegment.describe(block) + ": "
                            + e.getMessage());
                }
                if (entry != null) {
                    visitor.entry(entry, base + pos);
                }
                pos += EntryCodec.lengthAt(page, pos);
            }
            if (tailHere) {
                if (pos != end) {
                    throw new LogCorruptException("inode " + ino + ": tail " + tail + " falls inside an entry");
                }
                return new InodeLog(pages, count, tail);
            }
            block = page.get(Layouts.LONG, LogPage.NEXT_OFFSET);
            if (block == 0) {
                throw new LogCorruptException("inode " + ino + ": log ends at " + LogSegment.describe(pages[count - 1])
                        + " before reaching its tail " + tail);
            }
        }
    }

    /** Receives the page mappings of a segment's write entries (see {@link #scanWrites}). */
    @FunctionalInterface
    public interface WriteVisitor {
        void write(long pgoff, long block, long count);
    }

    /**
     * Passes the page mappings of the write entries in {@code segment}, a segment of a loaded log
     * that is not its last, to {@code visitor}, in order; false (after passing those before it)
     * at the first entry that is neither attributes, a write nor a PAD, or whose length or count
     * is impossible. Neither decodes nor checks checksums: log compaction scans old segments
     * this way and keeps a mapping only if the file's index still holds it.
     */
    public boolean scanWrites(long segment, WriteVisitor visitor) {
        long base = LogSegment.offset(segment);
        int size = LogSegment.size(segment);
        MemorySegment page = device.directAccess(base, size);
        for (long pos = LogPage.FIRST_ENTRY; pos < size; ) {
            int length = EntryCodec.lengthAt(page, pos);
            if (length < EntryCodec.HEADER || length % 8 != 0 || pos + length > size) {
                return false;
            }
            switch (EntryCodec.typeAt(page, pos)) {
                case EntryCodec.TYPE_WRITE -> {
                    long pgoff = page.get(Layouts.LONG, pos + EntryCodec.HEADER);
                    long count = page.get(Layouts.LONG, pos + EntryCodec.HEADER + 16);
                    if (length < EntryCodec.HEADER + 24 || pgoff < 0 || count <= 0 || count > MAX_PAGES - pgoff) {
                        return false;
                    }
                    visitor.write(pgoff, page.get(Layouts.LONG, pos + EntryCodec.HEADER + 8), count);
                }
                case EntryCodec.TYPE_INODE, EntryCodec.TYPE_PAD -> { }
                default -> {
                    return false;
                }
            }
            pos += length;
        }
        return true;
    }

    private static boolean contains(long[] pages, int count, long block) {
        for (int i = 0; i < count; i++) {
            if (pages[i] == block) {
                return true;
            }
        }
        return false;
    }

    /** A segment must lie in the data area and carry its kind's magic and its owner; only a head may be a slot. */
    private void checkSegment(long ino, long segment, boolean isHead) {
        if (!LogSegment.isValid(segment, layout) || (!isHead && LogSegment.isSlot(segment))) {
            throw new LogCorruptException("inode " + ino + ": log " + (isHead ? "head " : "page pointer ") + segment
                    + " is outside the data area" + (isHead ? "" : " or names a slot"));
        }
        MemorySegment header = device.directAccess(LogSegment.offset(segment), LogPage.FIRST_ENTRY);
        if (header.get(Layouts.LONG, 0) != LogSegment.magic(segment)) {
            throw new LogCorruptException("inode " + ino + ": block " + LogSegment.block(segment)
                    + (LogSegment.isSlot(segment) ? " is not a packed page with a log slot " + LogSegment.slotIndex(segment)
                    : " is not a log page") + " (bad magic)");
        }
        long owner = header.get(Layouts.LONG, LogPage.OWNER_OFFSET);
        if (owner != ino) {
            throw new LogCorruptException("inode " + ino + ": " + LogSegment.describe(segment) + " belongs to inode "
                    + owner);
        }
    }
}
