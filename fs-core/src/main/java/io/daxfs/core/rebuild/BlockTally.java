package io.daxfs.core.rebuild;

import io.daxfs.core.balloc.SlotSet;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogSegment;
import java.util.BitSet;

/**
 * The blocks a set of inodes uses, and those two owners claim: log pages, file data and xattr
 * values used whole, log slots in packed pages. A block marked twice, a slot claimed twice, or a
 * packed page also used whole is shared. One per scanning thread, merged at the end; the log
 * census ({@link LogCensus}) and the checker count with it.
 */
public final class BlockTally {
    /** Blocks used whole: log pages, file data, xattr values. */
    private final BitSet used;
    private final SlotSet slots = new SlotSet();
    /** The blocks of {@link #slots}. */
    private final BitSet packed = new BitSet();
    private final BitSet shared = new BitSet();

    /** An empty tally for a device of {@code totalBlocks} blocks. */
    public BlockTally(long totalBlocks) {
        this.used = new BitSet((int) totalBlocks);
    }

    /** Marks the segments of {@code log}: its pages whole, its slot in its packed page. */
    public void markLog(InodeLog log) {
        for (int i = 0; i < log.segmentCount(); i++) {
            long segment = log.segment(i);
            if (LogSegment.isSlot(segment)) {
                int block = (int) LogSegment.block(segment);
                if (!slots.add(LogSegment.offset(segment)) || used.get(block)) {
                    shared.set(block);
                }
                packed.set(block);
            } else {
                mark(segment, 1);
            }
        }
    }

    /** Marks every block {@code inode} uses: its log, its file data and its xattr values. */
    public void markInode(Inode inode) {
        markLog(inode.log());
        if (inode.extents() != null) {
            for (FileExtents.Run run : inode.extents().runs()) {
                mark(run.block(), run.count());
            }
        }
        inode.forEachXattrBlock(this::mark);
    }

    /** Marks blocks used whole; one already used, or a packed page, is shared. */
    public void mark(long block, long count) {
        if (count == 1) {
            if (used.get((int) block) || packed.get((int) block)) {
                shared.set((int) block);
            } else {
                used.set((int) block);
            }
            return;
        }
        int from = (int) block;
        int to = (int) (block + count);
        for (int b = used.nextSetBit(from); b >= 0 && b < to; b = used.nextSetBit(b + 1)) {
            shared.set(b);
        }
        for (int b = packed.nextSetBit(from); b >= 0 && b < to; b = packed.nextSetBit(b + 1)) {
            shared.set(b);
        }
        used.set(from, to);
    }

    /** Takes in {@code other}'s marks; a block both used is shared. */
    public void merge(BlockTally other) {
        BitSet both = (BitSet) used.clone();
        both.and(other.used);
        shared.or(both);
        both = (BitSet) used.clone();
        both.and(other.packed);
        shared.or(both);
        both = (BitSet) packed.clone();
        both.and(other.used);
        shared.or(both);
        slots.addAll(other.slots, shared);
        shared.or(other.shared);
        used.or(other.used);
        packed.or(other.packed);
    }

    /** Every block in use: used whole or holding a slot in use (a new set). */
    public BitSet used() {
        BitSet all = (BitSet) used.clone();
        all.or(packed);
        return all;
    }

    /** The log slots in use. */
    public SlotSet slots() {
        return slots;
    }

    /** Blocks two owners claim (or one twice); empty on a consistent image. */
    public BitSet shared() {
        return shared;
    }
}
