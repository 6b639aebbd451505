package io.daxfs.core.inode;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.format.Layout;
import java.util.BitSet;

/**
 * The orphan list: slots of 8 bytes holding the numbers of inodes that have no name left but are
 * still open. Mount after a crash deletes every inode listed here. A slot is set in the same
 * journaled commit as the unlink that orphans the inode, and cleared with the deletion.
 */
public final class OrphanTable {
    private final DaxDevice device;
    private final BitSet used = new BitSet(Layout.ORPHAN_SLOTS);

    public OrphanTable(DaxDevice device) {
        this.device = device;
        for (int slot = 0; slot < Layout.ORPHAN_SLOTS; slot++) {
            if (device.getLong(slotOffset(slot)) != 0) {
                used.set(slot);
            }
        }
    }

    public static long slotOffset(int slot) {
        return Layout.offsetOf(Layout.ORPHAN_START_BLOCK) + (long) slot * Long.BYTES;
    }

    /** The inode number in {@code slot} as on the media (0 = empty). */
    public long inodeAt(int slot) {
        return device.getLong(slotOffset(slot));
    }

    /** Reserves an empty slot; ENOSPC (reported as the unlink's error) when all are taken. */
    public synchronized int reserve() {
        int slot = used.nextClearBit(0);
        if (slot >= Layout.ORPHAN_SLOTS) {
            throw new FsException(Errno.ENOSPC, "orphan list full: " + Layout.ORPHAN_SLOTS
                    + " unlinked files are still open");
        }
        used.set(slot);
        return slot;
    }

    /**
     * Reserves a slot for an unlinked file that only the kernel's lookups keep (no open file), or
     * returns -1 when that would leave a quarter of the slots or fewer free: those stay for open
     * files and O_TMPFILE, whose unlink or creation must not fail for want of a slot the kernel
     * holds for a name it may forget late.
     */
    public synchronized int reserveSpare() {
        if (Layout.ORPHAN_SLOTS - used.cardinality() <= Layout.ORPHAN_SLOTS / 4) {
            return -1;
        }
        return reserve();
    }

    public synchronized void release(int slot) {
        used.clear(slot);
    }

    public synchronized int usedCount() {
        return used.cardinality();
    }
}
