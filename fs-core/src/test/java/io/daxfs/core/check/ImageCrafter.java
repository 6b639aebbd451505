package io.daxfs.core.check;

import io.daxfs.core.balloc.Extent;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.Checksums;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.inode.OrphanTable;
import io.daxfs.core.journal.Journal;
import io.daxfs.core.log.EntryCodec;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogPage;
import io.daxfs.core.log.LogSegment;
import io.daxfs.core.log.LogReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites the structures of an unmounted image the way a hostile author would (issue #13): every
 * change keeps the checksums that cover it valid, so only the engine's own verification stands
 * between the image and the damage. Used by the hostile-image tests and the fuzzer's crafted mode.
 */
public final class ImageCrafter {
    private final DaxDevice device;
    private final Layout layout;

    public ImageCrafter(DaxDevice device) {
        this.device = device;
        this.layout = Superblock.read(device).layout();
    }

    /** One committed log entry and its device offset. */
    public record Located(long offset, LogEntry entry) {}

    public Layout layout() {
        return layout;
    }

    public DaxDevice device() {
        return device;
    }

    public Superblock superblock() {
        return Superblock.read(device);
    }

    /** Writes {@code sb} to both copies (its checksum is computed on the way). */
    public void writeSuperblock(Superblock sb) {
        sb.writeBoth(device);
    }

    /** The committed entries of inode {@code ino}'s log, in order. */
    public List<Located> entries(long ino) {
        InodeTable.Record rec = new InodeTable(device, layout).read(ino);
        List<Located> out = new ArrayList<>();
        new LogReader(device, layout).read(ino, rec.head(), rec.tail(), (e, at) -> out.add(new Located(at, e)));
        return out;
    }

    /** The log segments of inode {@code ino} in chain order: the first may be a slot ({@link LogSegment}). */
    public long[] logSegments(long ino) {
        InodeTable.Record rec = new InodeTable(device, layout).read(ino);
        InodeLog log = new LogReader(device, layout).read(ino, rec.head(), rec.tail(), (e, at) -> { });
        return log.segmentsCopy();
    }

    /** The blocks holding inode {@code ino}'s log segments (a slot's packed page first, if it starts in one). */
    public long[] logBlocks(long ino) {
        return java.util.Arrays.stream(logSegments(ino)).map(LogSegment::block).toArray();
    }

    /** The first committed entry of {@code ino} of the given type. */
    public <T extends LogEntry> Located first(long ino, Class<T> type) {
        return entries(ino).stream().filter(l -> type.isInstance(l.entry())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("inode " + ino + " has no " + type.getSimpleName()));
    }

    /** Every committed entry of {@code ino} of the given type. */
    public <T extends LogEntry> List<Located> all(long ino, Class<T> type) {
        return entries(ino).stream().filter(l -> type.isInstance(l.entry())).toList();
    }

    /**
     * Replaces the entry at {@code offset} by {@code entry}, which must encode to the same length
     * (so the log's layout and tail stay valid); its checksum is computed by the codec.
     */
    public void replaceEntry(long offset, LogEntry entry) {
        int oldLength = Short.toUnsignedInt(device.directAccess(offset + 2, 2).get(Layouts.SHORT, 0));
        int length = EntryCodec.encodedLength(entry);
        if (length != oldLength) {
            throw new IllegalArgumentException("entry at " + offset + " is " + oldLength + " bytes, the new one "
                    + length);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(length, 8);
            EntryCodec.encode(entry, buf, 0);
            device.copyIn(buf, offset);
            device.fence();
        }
    }

    /**
     * Overwrites {@code width} (4 or 8) bytes at byte {@code at} of the entry at {@code offset} with
     * {@code value} and recomputes the entry's checksum: a field no encoder would write.
     */
    public void patchEntry(long offset, int at, long value, int width) {
        int length = Short.toUnsignedInt(device.directAccess(offset + 2, 2).get(Layouts.SHORT, 0));
        if (at < EntryCodec.HEADER || at + width > length || (width != 4 && width != 8)) {
            throw new IllegalArgumentException("bytes " + at + "+" + width + " of a " + length + "-byte entry");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(length, 8);
            MemorySegment.copy(device.directAccess(offset, length), 0, buf, 0, length);
            if (width == 8) {
                buf.set(Layouts.LONG, at, value);
            } else {
                buf.set(Layouts.INT, at, (int) value);
            }
            buf.set(Layouts.INT, 4, 0);
            buf.set(Layouts.INT, 4, Checksums.crc32c(buf, 0, length));
            device.copyIn(buf, offset);
            device.fence();
        }
    }

    /** Stores a raw 8-byte word (fields no checksum covers: tails, heads, orphan slots, page links). */
    public void setWord(long offset, long value) {
        device.storeRelease(offset, value);
        device.flush(offset, Long.BYTES);
        device.fence();
    }

    public void setOrphan(int slot, long ino) {
        setWord(OrphanTable.slotOffset(slot), ino);
    }

    /** Points log segment {@code segment}'s next link at {@code next}. */
    public void setNext(long segment, long next) {
        setWord(LogSegment.offset(segment) + LogPage.NEXT_OFFSET, next);
    }

    /**
     * Moves the slot inode {@code ino}'s log starts in to slot {@code index} of {@code block}
     * (another log's slot, a free slot, a slot inside a data block or a log page): its 512 bytes
     * are copied there, its head and (if the tail lies in the slot) its tail follow, so header,
     * owner and entry checksums stay valid.
     *
     * @throws IllegalArgumentException if the log does not start in a slot
     */
    public void moveSlot(long ino, long block, int index) {
        InodeTable.Record rec = new InodeTable(device, layout).read(ino);
        if (!LogSegment.isSlot(rec.head())) {
            throw new IllegalArgumentException("inode " + ino + "'s log starts in a page");
        }
        if (!LogSegment.isValid(rec.head(), layout)) {
            throw new IllegalArgumentException("inode " + ino + "'s head " + rec.head() + " is no slot of the data area");
        }
        long from = LogSegment.offset(rec.head());
        long to = Layout.offsetOf(block) + (long) index * Layout.SLOT_SIZE;
        byte[] bytes = new byte[Layout.SLOT_SIZE];
        MemorySegment.copy(device.directAccess(from, Layout.SLOT_SIZE), java.lang.foreign.ValueLayout.JAVA_BYTE, 0,
                bytes, 0, bytes.length);
        device.copyIn(MemorySegment.ofArray(bytes), to);
        device.fence();
        setWord(layout.inodeOffset(ino) + InodeTable.HEAD, LogSegment.ofSlot(to));
        if (rec.tail() > from && rec.tail() <= from + Layout.SLOT_SIZE) {
            setWord(layout.inodeOffset(ino) + InodeTable.TAIL, rec.tail() - from + to);
        }
    }

    /** Rewrites inode {@code ino}'s record with {@code head} and {@code generation}, checksum recomputed. */
    public void rewriteRecord(long ino, long tail, long head, long generation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rec = arena.allocate(Layout.INODE_SIZE, 8);
            rec.set(Layouts.LONG, InodeTable.TAIL, tail);
            rec.set(Layouts.LONG, InodeTable.HEAD, head);
            rec.set(Layouts.LONG, InodeTable.GENERATION, generation);
            rec.set(Layouts.INT, InodeTable.CRC, Checksums.crc32c(rec, InodeTable.GENERATION,
                    InodeTable.CRC - InodeTable.GENERATION));
            device.copyIn(rec, layout.inodeOffset(ino));
            device.fence();
        }
    }

    /** Makes journal lane {@code lane} active with records (offset, old value), its checksum valid. */
    public void setJournal(int lane, long[] offsets, long[] oldValues) {
        int count = offsets.length;
        long base = Journal.laneOffset(lane);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment body = arena.allocate(16 + 16L * count, 8);
            body.set(Layouts.INT, 12, count);
            for (int i = 0; i < count; i++) {
                body.set(Layouts.LONG, 16 + 16L * i, offsets[i]);
                body.set(Layouts.LONG, 24 + 16L * i, oldValues[i]);
            }
            body.set(Layouts.LONG, 0, Journal.ACTIVE | Integer.toUnsignedLong(Checksums.crc32c(body, 12, 4 + 16L * count)));
            device.copyIn(body, base);
            device.fence();
        }
    }

    /**
     * Replaces the saved free list by {@code extents}, written where the current list is, with
     * both superblocks pointing at it and its checksum valid.
     */
    public void setFreeList(List<Extent> extents) {
        Superblock sb = superblock();
        long block = sb.freeList().present() ? sb.freeList().block() : layout.dataEndBlock() - 1;
        long bytes = 16L * extents.size();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment list = arena.allocate(Math.max(16, bytes), 8);
            for (int i = 0; i < extents.size(); i++) {
                list.set(Layouts.LONG, 16L * i, extents.get(i).start());
                list.set(Layouts.LONG, 16L * i + 8, extents.get(i).count());
            }
            device.copyIn(list.asSlice(0, bytes), Layout.offsetOf(block));
            device.fence();
            Superblock.FreeList saved = new Superblock.FreeList(block, extents.size(),
                    Checksums.crc32c(list, 0, bytes));
            writeSuperblock(new Superblock(sb.formatVersion(), sb.features(), sb.totalBlocks(), sb.inodeCount(),
                    sb.uuid(), sb.label(), sb.state(), sb.createdNs(), sb.lastMountNs(), sb.lastWriteNs(),
                    sb.mountCount(), saved));
        }
    }

    /** Marks the image as not cleanly unmounted (mount then rolls the journal back and scans). */
    public void markDirty() {
        Superblock sb = superblock();
        writeSuperblock(sb.withState(Superblock.State.DIRTY, Superblock.FreeList.NONE, sb.lastWriteNs(), false));
    }
}
