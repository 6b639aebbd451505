package io.daxfs.core.journal;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.Checksums;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.InodeTable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The undo journal that makes several 8-byte commit stores atomic (NOVA's lite journal, one lane
 * per writer). An operation that touches several inodes (create, link, unlink, rename, compaction)
 * stages its log entries first, then calls {@link #commit} with the commit words (log tails,
 * orphan slots) and their new values. Used by {@code volume.Transaction}, {@code gc.LogCompactor},
 * the repairer, and mount and fsck to roll back.
 *
 * <p>The journal block holds {@link #LANES} lanes of {@link #LANE_SIZE} bytes that commit
 * independently, so operations of different threads do not wait for each other. Lane layout:
 * {@code u64 state} (0 = idle, else {@link #ACTIVE} | the CRC32C of the lane's bytes from 12 to the
 * end of its records), {@code u32} reserved (0), {@code u32 count}, then {@code count} records of
 * {@code u64 device offset, u64 old value}. The records and the state share one fence: a lane whose
 * state reached the media before all its records did fails its checksum (the state names this
 * operation's records, not the lane's earlier ones), and as no commit word was stored before that
 * fence, such a <em>torn</em> lane is simply cleared. Recovery finds every active lane whose records
 * are whole and writes the old values back: those operations never happened. Lanes never name the
 * same word at once (each caller owns the words it journals), so each lane rolls back on its own.
 */
public final class Journal {
    /** The high half of an active lane's state word ("JRN2" as a big-endian int). */
    public static final long ACTIVE = 0x4a524e32_00000000L;
    private static final long CRC_BITS = 0xffffffffL;
    /** Lanes in the journal block: a power of two, at least the cores of a usual machine. */
    public static final int LANES = 8;
    public static final int LANE_SIZE = Layout.BLOCK_SIZE / LANES;
    /** The byte of a lane's u32 reserved word (0), after its u64 state word at byte 0. */
    private static final int RESERVED_OFFSET = 8;
    /** The byte of a lane's u32 record count, where the records' checksum starts. */
    private static final int COUNT_OFFSET = 12;
    /** The byte of a lane's first record. */
    private static final int FIRST_RECORD = 16;
    /** Bytes of a record: u64 device offset, then u64 old value. */
    private static final int RECORD_SIZE = 16;
    /** The byte of a record's old value, after its device offset. */
    private static final int OLD_VALUE = 8;
    /** Records a lane holds: 31, where the largest operation (rename over an open file) needs 5. */
    public static final int MAX_RECORDS = (LANE_SIZE - FIRST_RECORD) / RECORD_SIZE;
    private static final long BASE = Layout.offsetOf(Layout.JOURNAL_BLOCK);
    /**
     * Longs between two lanes' held words, and before the first and after the last: 128 bytes, so
     * no two share a cache line (nor a prefetched pair), and none shares one with the array's header
     * (its length, read by every access) or with the objects next to the array.
     */
    private static final int PAD = 16;

    /**
     * Per thread, where the records are prepared before a lane is taken: only their copy to the
     * device and the commit stores are serial (the preparation was a third of the time held).
     */
    private static final ThreadLocal<MemorySegment> RECORDS =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(LANE_SIZE, 64));

    private final DaxDevice device;
    /**
     * Per lane, 1 while a thread commits in it. Not a {@code ReentrantLock} each: eight of those
     * sit side by side on the heap, and two threads' lanes sharing a cache line cost 10% of two
     * threads' create/unlink samples (JFR: {@code AbstractQueuedSynchronizer.signalNext} in unlock).
     */
    private final AtomicLongArray held = new AtomicLongArray((LANES + 2) * PAD);

    public Journal(DaxDevice device) {
        this.device = device;
    }

    /** The device offset of lane {@code lane}'s state word (its first byte). */
    public static long laneOffset(int lane) {
        if (lane < 0 || lane >= LANES) {
            throw new IllegalArgumentException("lane " + lane + " is not in 0.." + (LANES - 1));
        }
        return BASE + (long) lane * LANE_SIZE;
    }

    /** True if every lane's state word is 0: no operation to roll back. */
    public static boolean idle(DaxDevice device) {
        for (int lane = 0; lane < LANES; lane++) {
            if (device.getLong(laneOffset(lane)) != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Makes the stores {@code offsets[i] := values[i]} all durable together, or none of them.
     * Every entry they publish must already be written and flushed: the fence that makes the lane
     * active makes it durable too. The caller owns the
     * words it names (their inodes' locks, its orphan slots), so their old values are read before
     * a lane is taken, and no other lane names them meanwhile.
     */
    public void commit(long[] offsets, long[] values) {
        int count = offsets.length;
        if (count == 0 || count > MAX_RECORDS || values.length != count) {
            throw new IllegalArgumentException("journal takes 1.." + MAX_RECORDS + " stores, got " + count);
        }
        MemorySegment body = RECORDS.get(); // its first record(count) bytes
        body.set(Layouts.INT, RESERVED_OFFSET, 0);
        body.set(Layouts.INT, COUNT_OFFSET, count);
        for (int i = 0; i < count; i++) {
            body.set(Layouts.LONG, record(i), offsets[i]);
            body.set(Layouts.LONG, record(i) + OLD_VALUE, device.getLong(offsets[i]));
        }
        long state = ACTIVE | (recordsCrc(body, count) & CRC_BITS);
        int lane = take();
        try {
            write(laneOffset(lane), body, count, state, offsets, values);
        } finally {
            held.set(heldWord(lane), 0);
        }
    }

    /**
     * Takes a lane: this thread's own (fixed per thread, so its lane's lines stay in its core's
     * cache), else any free one. Any lane is correct. A lane is held for three fences (a few
     * microseconds), so a thread that finds all eight busy yields and looks again rather than
     * queueing.
     */
    private int take() {
        long id = Thread.currentThread().threadId();
        int home = (int) ((id ^ (id >>> 16)) & (LANES - 1));
        while (true) {
            for (int i = 0; i < LANES; i++) {
                int lane = (home + i) & (LANES - 1);
                if (held.get(heldWord(lane)) == 0 && held.compareAndSet(heldWord(lane), 0, 1)) {
                    return lane;
                }
            }
            Thread.yield();
        }
    }

    /** The byte of record {@code i} in a lane; {@code record(count)} is where a lane's records end. */
    private static long record(int i) {
        return FIRST_RECORD + (long) RECORD_SIZE * i;
    }

    /** The index of lane {@code lane}'s word in {@link #held}. */
    private static int heldWord(int lane) {
        return (lane + 1) * PAD;
    }

    /** The serial part, in one lane: it goes active, the stores are made, it goes idle. */
    private void write(long base, MemorySegment body, int count, long state, long[] offsets, long[] values) {
        // Cached stores, then one write-back of the lines they share with the state word.
        device.write(body, RESERVED_OFFSET, record(count) - RESERVED_OFFSET, base + RESERVED_OFFSET);
        device.storeRelease(base, state);
        device.flush(base, record(count));
        device.fence();
        for (int i = 0; i < count; i++) {
            publish(offsets[i], values[i]);
        }
        device.fence();
        publish(base, 0);
        device.fence();
    }

    /**
     * Rolls back the operations a crash interrupted, in every active lane, and clears every torn
     * one. Checks every lane before it writes anything. Returns the number of stores undone (0 if
     * every lane was idle or torn).
     *
     * @throws CorruptImageException if a lane's state word is damaged or its whole records name
     *     a word that is no commit word (nothing is written then)
     */
    public int recover(Layout layout) {
        for (int lane = 0; lane < LANES; lane++) {
            String damage = damage(device, layout, lane);
            if (damage != null) {
                throw new CorruptImageException(damage + "; run fsck.daxfs");
            }
        }
        int undone = 0;
        for (int lane = 0; lane < LANES; lane++) {
            undone += rollBack(lane);
        }
        return undone;
    }

    /**
     * Rolls back lane {@code lane} alone, or clears it if it is torn (fsck's repair of one
     * finding). Returns the stores undone.
     *
     * @throws CorruptImageException if the lane is damaged
     */
    public int recoverLane(Layout layout, int lane) {
        String damage = damage(device, layout, lane);
        if (damage != null) {
            throw new CorruptImageException(damage + "; run fsck.daxfs");
        }
        return rollBack(lane);
    }

    /** Writes an active lane's old values back (none if it is torn), then makes it idle. */
    private int rollBack(int lane) {
        long base = laneOffset(lane);
        if (device.getLong(base) == 0) {
            return 0;
        }
        int count = torn(device, lane) ? 0 : count(device, lane);
        for (int i = 0; i < count; i++) {
            publish(device.getLong(base + record(i)), device.getLong(base + record(i) + OLD_VALUE));
        }
        device.fence();
        publish(base, 0);
        device.fence();
        return count;
    }

    /** True if {@code state} is the state word of an active lane (torn or whole). */
    public static boolean isActive(long state) {
        return (state & ~CRC_BITS) == ACTIVE;
    }

    /**
     * True if lane {@code lane} is active but its records are not the ones its state names (a bad
     * count, or a checksum that fails): the power failed before the fence that made it active, so
     * its operation stored no commit word yet and there is nothing to roll back.
     */
    public static boolean torn(DaxDevice device, int lane) {
        long base = laneOffset(lane);
        long state = device.getLong(base);
        if (!isActive(state)) {
            return false;
        }
        int count = device.getInt(base + COUNT_OFFSET);
        if (count < 1 || count > MAX_RECORDS) {
            return true;
        }
        MemorySegment body = device.directAccess(base, record(count));
        return (state & CRC_BITS) != (recordsCrc(body, count) & CRC_BITS);
    }

    /**
     * What is wrong with lane {@code lane}, or null if it is idle, torn, or active with intact
     * records that name only commit words and a reserved word of 0 (the checker and
     * {@link #recover} share this reading).
     */
    public static String damage(DaxDevice device, Layout layout, int lane) {
        long base = laneOffset(lane);
        long state = device.getLong(base);
        if (state == 0 || torn(device, lane)) {
            return null;
        }
        if (!isActive(state)) {
            return "journal lane " + lane + " state word is damaged (0x" + Long.toHexString(state) + ")";
        }
        int reserved = device.getInt(base + RESERVED_OFFSET); // outside the records' checksum: every writer stores 0
        if (reserved != 0) {
            return "journal lane " + lane + " reserved word is 0x" + Integer.toHexString(reserved) + ", not 0";
        }
        int count = count(device, lane);
        MemorySegment body = device.directAccess(base, record(count));
        for (int i = 0; i < count; i++) {
            long offset = body.get(Layouts.LONG, record(i));
            if (!isCommitWord(layout, offset)) {
                return "journal lane " + lane + " record " + i + " points at byte " + offset
                        + ", which holds no commit word";
            }
        }
        return null;
    }

    /** The record count lane {@code lane} holds, as written (valid only if the lane is active and not torn). */
    public static int count(DaxDevice device, int lane) {
        return device.getInt(laneOffset(lane) + COUNT_OFFSET);
    }

    /** Lane {@code lane}'s records as (offset, old value) pairs; the lane must be active and not torn. */
    public static long[][] records(DaxDevice device, int lane) {
        long base = laneOffset(lane);
        int count = count(device, lane);
        long[][] records = new long[count][];
        for (int i = 0; i < count; i++) {
            records[i] = new long[] {device.getLong(base + record(i)), device.getLong(base + record(i) + OLD_VALUE)};
        }
        return records;
    }

    /**
     * Journaled stores may only target orphan slots and the two words of an inode record that
     * operations commit (the log tail, and the head that compaction switches with it): never a
     * generation, a checksum or the reserved bytes, which a crafted journal could otherwise rewrite.
     */
    public static boolean isCommitWord(Layout layout, long offset) {
        if ((offset & 7) != 0) {
            return false;
        }
        long orphanStart = Layout.offsetOf(Layout.ORPHAN_START_BLOCK);
        long inodeStart = Layout.offsetOf(Layout.INODE_TABLE_START_BLOCK);
        long inodeEnd = Layout.offsetOf(layout.dataStartBlock());
        if (offset >= orphanStart && offset < inodeStart) {
            return true;
        }
        long inRecord = (offset - inodeStart) % Layout.INODE_SIZE;
        return offset >= inodeStart + Layout.INODE_SIZE && offset < inodeEnd
                && (inRecord == InodeTable.TAIL || inRecord == InodeTable.HEAD);
    }

    private void publish(long offset, long value) {
        device.storeRelease(offset, value);
        device.flush(offset, Long.BYTES);
    }

    private static int recordsCrc(MemorySegment body, int count) {
        return Checksums.crc32c(body, COUNT_OFFSET, record(count) - COUNT_OFFSET);
    }
}
