package io.daxfs.core.journal;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.Checksums;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.InodeTable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The undo journal that makes several 8-byte commit stores atomic (NOVA's lite journal). An
 * operation that touches several inodes (create, link, unlink, rename, compaction) stages its log
 * entries first, then calls {@link #commit} with the commit words (log tails, orphan slots) and
 * their new values.
 *
 * <p>Journal block layout: {@code u64 state} (0 = idle, else {@link #ACTIVE} | count),
 * {@code u32 crc32c} of the records, {@code u32 count}, then {@code count} records of
 * {@code u64 device offset, u64 old value}. Recovery finds an active journal and writes the old
 * values back: the operation never happened.
 */
public final class Journal {
    public static final long ACTIVE = 0x4a524e4c_00000000L; // "\0\0\0\0LNRJ"
    public static final int MAX_RECORDS = (Layout.BLOCK_SIZE - 16) / 16;
    private static final long BASE = Layout.offsetOf(Layout.JOURNAL_BLOCK);

    /**
     * Per thread, where the records are prepared before the journal is taken: only their copy to
     * the device and the commit stores are serial (the preparation was a third of the time held).
     */
    private static final ThreadLocal<MemorySegment> RECORDS =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Layout.BLOCK_SIZE, 64));

    private final DaxDevice device;

    public Journal(DaxDevice device) {
        this.device = device;
    }

    /**
     * Makes the stores {@code offsets[i] := values[i]} all durable together, or none of them.
     * Every entry they publish must already be written, flushed and fenced. The caller owns the
     * words it names (their inodes' locks, its orphan slots), so their old values are read before
     * the journal is taken.
     */
    public void commit(long[] offsets, long[] values) {
        int count = offsets.length;
        if (count == 0 || count > MAX_RECORDS || values.length != count) {
            throw new IllegalArgumentException("journal takes 1.." + MAX_RECORDS + " stores, got " + count);
        }
        MemorySegment body = RECORDS.get().asSlice(0, 16 + 16L * count);
        body.set(Layouts.LONG, 0, 0L);
        body.set(Layouts.INT, 12, count);
        for (int i = 0; i < count; i++) {
            body.set(Layouts.LONG, 16 + 16L * i, offsets[i]);
            body.set(Layouts.LONG, 24 + 16L * i, device.getLong(offsets[i]));
        }
        body.set(Layouts.INT, 8, recordsCrc(body, count));
        write(body, count, offsets, values);
    }

    /** The serial part: the one journal block goes active, the stores are made, it goes idle. */
    private synchronized void write(MemorySegment body, int count, long[] offsets, long[] values) {
        device.copyIn(body.asSlice(8), BASE + 8);
        device.fence();
        publish(BASE, ACTIVE | count);
        device.fence();
        for (int i = 0; i < count; i++) {
            publish(offsets[i], values[i]);
        }
        device.fence();
        publish(BASE, 0);
        device.fence();
    }

    /**
     * Rolls back an operation that a crash interrupted. Returns the number of stores undone (0 if
     * the journal was idle).
     *
     * @throws CorruptImageException if the journal is active but its records are damaged
     */
    public int recover(Layout layout) {
        long state = device.getLong(BASE);
        if (state == 0) {
            return 0;
        }
        int count = (int) (state & 0xffffffffL);
        if ((state & ~0xffffffffL) != ACTIVE || count < 1 || count > MAX_RECORDS
                || device.getInt(BASE + 12) != count) {
            throw new CorruptImageException("journal header is damaged (state 0x" + Long.toHexString(state)
                    + "); run fsck.daxfs");
        }
        MemorySegment body = device.directAccess(BASE, 16 + 16L * count);
        if (body.get(Layouts.INT, 8) != recordsCrc(body, count)) {
            throw new CorruptImageException("journal records fail their checksum; run fsck.daxfs");
        }
        for (int i = 0; i < count; i++) {
            long offset = body.get(Layouts.LONG, 16 + 16L * i);
            if (!isCommitWord(layout, offset)) {
                throw new CorruptImageException("journal record points at byte " + offset
                        + ", which holds no commit word; run fsck.daxfs");
            }
        }
        for (int i = 0; i < count; i++) {
            publish(body.get(Layouts.LONG, 16 + 16L * i), body.get(Layouts.LONG, 24 + 16L * i));
        }
        device.fence();
        publish(BASE, 0);
        device.fence();
        return count;
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
        return Checksums.crc32c(body, 12, 4 + 16L * count);
    }
}
