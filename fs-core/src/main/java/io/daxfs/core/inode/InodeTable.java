package io.daxfs.core.inode;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.Checksums;
import io.daxfs.core.format.Layout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;

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

    /**
     * Numbers a thread hands out from before it takes the next chunk (see {@link #reserve}): 64
     * words of the in-use bits, so two threads' numbers share no word of this set, nor of the
     * volume's sets by inode number, and at most one cache line of each at the chunks' edges; and
     * 256 KiB of table. {@code volume.InodeCache} stripes by it too.
     */
    public static final int CHUNK = 4096;
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private final DaxDevice device;
    private final Layout layout;
    /** Bit {@code ino} set while record {@code ino} is in use or reserved; atomic word updates, no lock. */
    private final long[] used;
    /** The chunk the next thread that needs one takes (modulo the chunks in the table). */
    private final AtomicLong nextChunk = new AtomicLong();
    /** Per thread, {@code {next, end}}: where its next number is looked for, in its chunk. */
    private final ThreadLocal<long[]> cursor = ThreadLocal.withInitial(() -> new long[2]);

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
    private long[] scanUsed() {
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
        return bits;
    }

    public long inodeCount() {
        return layout.inodeCount();
    }

    public long usedCount() {
        long count = 0;
        for (int w = 0; w < used.length; w++) {
            count += Long.bitCount(word(w));
        }
        return count - 1;
    }

    public boolean isUsed(long ino) {
        return ino > 0 && ino < layout.inodeCount() && (word((int) (ino >>> 6)) & 1L << ino) != 0;
    }

    /** A copy of the in-use map (each word read atomically; numbers reserved meanwhile may or may not be in it). */
    public BitSet usedSnapshot() {
        long[] copy = new long[used.length];
        for (int w = 0; w < used.length; w++) {
            copy[w] = word(w);
        }
        return BitSet.valueOf(copy);
    }

    /**
     * Reserves a free inode number; ENOSPC when the table is full. Each thread takes numbers from
     * a chunk of {@link #CHUNK} of its own, in order, and takes the next chunk (round the table)
     * when its chunk has no free number left: threads creating at once neither take a lock nor
     * write the same words here, and the numbers they get lie apart in every set and table kept
     * by inode number. Numbers freed are found again when a chunk is taken again. Any thread may
     * claim any free number (a compare-and-set of its bit), so chunks need not be exclusive.
     */
    public long reserve() {
        long[] mine = cursor.get();
        long ino = claim(mine[0], mine[1]);
        if (ino < 0) {
            ino = claimInNextChunks(mine);
        }
        mine[0] = ino + 1;
        return ino;
    }

    /** Returns an inode number to the free pool (after its deletion committed, or its creation failed). */
    public void release(long ino) {
        if (ino <= 0 || ino >= layout.inodeCount()) {
            throw new IllegalArgumentException("inode number " + ino + " outside [1, " + layout.inodeCount() + ")");
        }
        WORD.getAndBitwiseAnd(used, (int) (ino >>> 6), ~(1L << ino));
    }

    /** Takes chunks round the table until one has a free number, which it claims; each chunk once at most. */
    private long claimInNextChunks(long[] mine) {
        long count = layout.inodeCount();
        long chunks = (count + CHUNK - 1) / CHUNK;
        for (long tried = 0; tried < chunks; tried++) {
            long start = Math.floorMod(nextChunk.getAndIncrement(), chunks) * CHUNK;
            long end = Math.min(start + CHUNK, count);
            mine[1] = end;
            long ino = claim(start, end);
            if (ino >= 0) {
                return ino;
            }
        }
        throw new FsException(Errno.ENOSPC, "no free inodes (" + count + " in table)");
    }

    /** Claims the lowest free number in {@code [from, to)}, or returns -1 if there is none. */
    private long claim(long from, long to) {
        for (long first = from & -64L; first < to; first += 64) {
            int w = (int) (first >>> 6);
            long range = bitsBelow(to - first) & -1L << Math.max(0, from - first);
            long word = word(w);
            long free;
            while ((free = ~word & range) != 0) {
                long bit = Long.lowestOneBit(free);
                long seen = (long) WORD.compareAndExchange(used, w, word, word | bit);
                if (seen == word) {
                    return first + Long.numberOfTrailingZeros(bit);
                }
                word = seen;
            }
        }
        return -1;
    }

    /** The low {@code n} bits of a word ({@code n} may exceed 64). */
    private static long bitsBelow(long n) {
        return n >= 64 ? -1L : (1L << n) - 1;
    }

    private long word(int w) {
        return (long) WORD.getVolatile(used, w);
    }

    /** Device offset of the tail word, the commit point of inode {@code ino}'s log. */
    public long tailOffset(long ino) {
        return layout.inodeOffset(ino) + TAIL;
    }

    public long headOffset(long ino) {
        return layout.inodeOffset(ino) + HEAD;
    }

    /**
     * Writes a fresh record (tail 0, not yet committed) for a new inode, flushed, not fenced: the
     * commit of its first tail, which alone brings the inode to life, fences before its store.
     */
    public void writeNewRecord(long ino, long head, long generation) {
        MemorySegment rec = RECORD_BUFFER.get();
        encode(rec, head, generation);
        device.copyIn(rec, layout.inodeOffset(ino));
    }

    static void encode(MemorySegment rec, long head, long generation) {
        rec.fill((byte) 0);
        rec.set(Layouts.LONG, HEAD, head);
        rec.set(Layouts.LONG, GENERATION, generation);
        rec.set(Layouts.INT, CRC, Checksums.crc32c(rec, GENERATION, CRC - GENERATION));
    }

    /** The generation of {@code ino}'s record as it is on the media, trusted or not (without the {@link Record} of {@link #read}). */
    public long generation(long ino) {
        return device.getLong(layout.inodeOffset(ino) + GENERATION);
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
