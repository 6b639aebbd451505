package io.daxfs.core.inode;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.Checksums;
import io.daxfs.core.format.Layout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;

/**
 * The on-media inode table and the DRAM map of which records are in use. A record is 64 bytes:
 * {@code u64 tail} (the log's commit point; 0 = free), {@code u64 head} (a log page or slot, {@code log.LogSegment}),
 * {@code u64 generation}, reserved, {@code u32 crc32c} of bytes 16..60 at byte 60. The head is
 * outside the checksum because log compaction replaces it with a journaled 8-byte store; a
 * damaged head is caught by the log page it points at.
 */
public final class InodeTable {
    public static final int TAIL = 0;
    public static final int HEAD = 8;
    public static final int GENERATION = 16;
    public static final int CRC = 60;
    /** Records copied per step of {@link #scanUsed} (256 KiB), a multiple of 64. */
    private static final int SCAN_RECORDS = 4096;

    /**
     * Per thread, where a new record is encoded before its copy to the device: native (the copy is
     * a streaming-store downcall) and reused, where an arena per create cost a malloc and a free.
     */
    private static final ThreadLocal<MemorySegment> RECORD_BUFFER =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Layout.INODE_SIZE, 64));

    private final DaxDevice device;
    private final Layout layout;
    private final BitSet used;
    private long nextHint = Layout.ROOT_INO + 1;

    /** Reads which records are in use (tail != 0): cheap, one word per inode. */
    public InodeTable(DaxDevice device, Layout layout) {
        this.device = device;
        this.layout = layout;
        this.used = scanUsed();
    }

    /**
     * Which records are in use (tail not 0; record 0, reserved, counts as used), from copies of
     * the table a chunk at a time: a device read per record costs a view each. A freshly started
     * daemon runs this loop interpreted until the JIT compiles it, so the bits are gathered 64 to a
     * word and the set is made once at the end: a {@code BitSet.set} per record made this about 80
     * ms of a clean mount of 1M inodes (docs/BENCHMARKS.md, the million section).
     */
    private BitSet scanUsed() {
        int wordsPerRecord = Layout.INODE_SIZE / Long.BYTES;
        long count = layout.inodeCount();
        long[] bits = new long[(int) ((count + 63) / 64)];
        long[] words = new long[SCAN_RECORDS * wordsPerRecord];
        MemorySegment table = device.directAccess(layout.inodeOffset(0), count * Layout.INODE_SIZE);
        for (long first = 0; first < count; first += SCAN_RECORDS) {
            int records = (int) Math.min(SCAN_RECORDS, count - first);
            MemorySegment.copy(table, Layouts.LONG, first * Layout.INODE_SIZE, words, 0, records * wordsPerRecord);
            // first and w are multiples of 64: record r is bit r % 64 of word (first + w) / 64
            for (int w = 0; w < records; w += 64) {
                long word = 0;
                for (int r = w, end = Math.min(records, w + 64); r < end; r++) {
                    if (words[r * wordsPerRecord + TAIL / Long.BYTES] != 0) {
                        word |= 1L << r;
                    }
                }
                bits[(int) ((first + w) >>> 6)] = word;
            }
        }
        bits[0] |= 1;
        return BitSet.valueOf(bits);
    }

    public long inodeCount() {
        return layout.inodeCount();
    }

    public synchronized long usedCount() {
        return used.cardinality() - 1;
    }

    public synchronized boolean isUsed(long ino) {
        return ino > 0 && ino < layout.inodeCount() && used.get((int) ino);
    }

    /** A copy of the in-use map. */
    public synchronized BitSet usedSnapshot() {
        return (BitSet) used.clone();
    }

    /** Reserves a free inode number; ENOSPC when the table is full. */
    public synchronized long reserve() {
        int ino = used.nextClearBit((int) nextHint);
        if (ino >= layout.inodeCount()) {
            ino = used.nextClearBit(1);
            if (ino >= layout.inodeCount()) {
                throw new FsException(Errno.ENOSPC, "no free inodes (" + layout.inodeCount() + " in table)");
            }
        }
        used.set(ino);
        nextHint = ino + 1;
        return ino;
    }

    /** Returns an inode number to the free pool (after its deletion committed, or its creation failed). */
    public synchronized void release(long ino) {
        used.clear((int) ino);
        if (ino < nextHint) {
            nextHint = ino;
        }
    }

    /** Device offset of the tail word, the commit point of inode {@code ino}'s log. */
    public long tailOffset(long ino) {
        return layout.inodeOffset(ino) + TAIL;
    }

    public long headOffset(long ino) {
        return layout.inodeOffset(ino) + HEAD;
    }

    /**
     * Writes a fresh record (tail 0, not yet committed) for a new inode, flushed and fenced, so
     * that the journaled tail store alone brings it to life.
     */
    public void writeNewRecord(long ino, long head, long generation) {
        MemorySegment rec = RECORD_BUFFER.get();
        encode(rec, head, generation);
        device.copyIn(rec, layout.inodeOffset(ino));
        device.fence();
    }

    static void encode(MemorySegment rec, long head, long generation) {
        rec.fill((byte) 0);
        rec.set(Layouts.LONG, HEAD, head);
        rec.set(Layouts.LONG, GENERATION, generation);
        rec.set(Layouts.INT, CRC, Checksums.crc32c(rec, GENERATION, CRC - GENERATION));
    }

    /** The record of {@code ino} as it is on the media. */
    public Record read(long ino) {
        MemorySegment rec = device.directAccess(layout.inodeOffset(ino), Layout.INODE_SIZE);
        return new Record(ino, rec.get(Layouts.LONG, TAIL), rec.get(Layouts.LONG, HEAD),
                rec.get(Layouts.LONG, GENERATION),
                rec.get(Layouts.INT, CRC) == Checksums.crc32c(rec, GENERATION, CRC - GENERATION));
    }

    /** One inode record as read from media; {@code crcValid} says whether head and generation can be trusted. */
    public record Record(long ino, long tail, long head, long generation, boolean crcValid) {
        public boolean inUse() {
            return tail != 0;
        }
    }
}
