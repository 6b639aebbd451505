package io.daxfs.core.rebuild;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.balloc.SlotSet;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.LogSegment;
import java.util.BitSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data blocks that inodes loaded since mount were using when they were loaded (their log
 * pages, log slots, file data and xattr values). An inode loaded lazily after a clean mount must not use any of them: a
 * crafted or damaged log that points into another file's data, a directory's log or its own log
 * would otherwise be served through two owners, and freed by one while the other still uses it
 * (issue #13 point 1). The first owner loaded keeps the block; the second load fails with EIO. A
 * packed page is shared by the logs that start in its slots, but each slot has one owner, and a
 * packed page is never also a log page or file data.
 *
 * <p>Claims are never given back: an inode that was not loaded still has exactly the blocks it had
 * at mount, and a block freed since can only have gone to an inode created since, which is never
 * loaded from the media. Used by {@link io.daxfs.core.volume.Volume}; thread-safe.
 */
public final class BlockClaims {
    private static final Logger LOG = LoggerFactory.getLogger(BlockClaims.class);

    /** Blocks claimed whole (log pages, file data). */
    private final BitSet claimed;
    private final SlotSet slots = new SlotSet();
    /** The blocks of {@link #slots}. */
    private final BitSet packed = new BitSet();

    /** Claims that start with {@code used} (empty: the mount then claims what it loads itself). */
    public BlockClaims(BitSet used) {
        this.claimed = (BitSet) used.clone();
    }

    /**
     * Claims every block {@code inode} uses, or none of them.
     *
     * @throws FsException EIO if one is claimed already (by another inode, or twice by this one)
     */
    public synchronized void claim(Inode inode) {
        BitSet mine = new BitSet();
        long slot = 0;
        for (long segment : inode.log().segmentsCopy()) {
            if (LogSegment.isSlot(segment)) {
                slot = segment;
                long block = LogSegment.block(segment);
                if (claimed.get((int) block) || slots.contains(LogSegment.offset(segment))) {
                    refuse(inode, LogSegment.describe(segment), block);
                }
            } else {
                take(inode, mine, segment, 1, "log page");
            }
        }
        if (inode.extents() != null) {
            for (FileExtents.Run run : inode.extents().runs()) {
                take(inode, mine, run.block(), run.count(), "file page " + run.pgoff() + "+" + run.count());
            }
        }
        inode.forEachXattrBlock((block, count) -> take(inode, mine, block, count, "an xattr value"));
        if (slot != 0 && mine.get((int) LogSegment.block(slot))) {
            refuse(inode, LogSegment.describe(slot), LogSegment.block(slot));
        }
        claimed.or(mine);
        if (slot != 0) {
            slots.add(LogSegment.offset(slot));
            packed.set((int) LogSegment.block(slot));
        }
    }

    private void take(Inode inode, BitSet mine, long block, long count, String what) {
        int from = (int) block;
        int to = (int) (block + count);
        int clash = claimed.nextSetBit(from);
        if (clash < 0 || clash >= to) {
            clash = mine.nextSetBit(from);
        }
        if (clash < 0 || clash >= to) {
            clash = packed.nextSetBit(from);
        }
        if (clash >= 0 && clash < to) {
            refuse(inode, what, clash);
        }
        mine.set(from, to);
    }

    private static void refuse(Inode inode, String what, long block) {
        String message = "inode " + inode.ino() + ": " + what + " uses block " + block
                + ", which another inode or another part of this one already uses (cross-linked); run fsck.daxfs";
        LOG.error(message);
        throw new FsException(Errno.EIO, message);
    }
}
