package io.daxfs.core.rebuild;

import io.daxfs.core.balloc.SlotSet;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.LogCorruptException;
import io.daxfs.core.log.LogSegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scan that follows a crash: replays every live inode's log and marks every block a committed
 * log references (its pages and its file data), so the allocator can be rebuilt from what is
 * left. A block referenced twice, or damage in any log, makes the image unmountable until fsck
 * repairs it.
 */
public final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    /**
     * The result of a scan: the inodes it loaded, the data blocks in use (packed pages included)
     * and the log slots in use.
     */
    public record Scan(List<Inode> inodes, BitSet usedBlocks, SlotSet slots) {}

    private Recovery() {}

    public static Scan scan(Layout layout, InodeTable table, InodeLoader loader) {
        long started = System.nanoTime();
        List<Marker> markers = ParallelInodeScan.run(table.usedSnapshot(), layout.inodeCount(),
                Runtime.getRuntime().availableProcessors(), () -> new Marker(layout, loader));
        BitSet used = new BitSet((int) layout.totalBlocks());
        SlotSet slots = new SlotSet();
        List<Inode> inodes = new ArrayList<>();
        for (Marker m : markers) {
            BitSet both = (BitSet) used.clone();
            both.and(m.used);
            BitSet pages = slots.pages();
            pages.and(m.used);
            both.or(pages);
            pages = m.slots.pages();
            pages.and(used);
            both.or(pages);
            slots.addAll(m.slots, both);
            if (!both.isEmpty()) {
                throw new CorruptImageException("block " + both.nextSetBit(0) + " is referenced twice; run fsck.daxfs");
            }
            used.or(m.used);
            inodes.addAll(m.inodes);
        }
        used.or(slots.pages());
        LOG.info("recovery scan: {} inodes, {} blocks in use, {} threads, {} ms", inodes.size(), used.cardinality(),
                markers.size(), (System.nanoTime() - started) / 1_000_000);
        return new Scan(inodes, used, slots);
    }

    /** One scanning thread's share: the inodes it loaded and the blocks and slots they reference. */
    private static final class Marker implements ParallelInodeScan.Visitor {
        private final Layout layout;
        private final InodeLoader loader;
        /** Blocks used whole: log pages and file data. */
        private final BitSet used;
        private final SlotSet slots = new SlotSet();
        /** The blocks of {@link #slots}. */
        private final BitSet packed = new BitSet();
        private final List<Inode> inodes = new ArrayList<>();

        Marker(Layout layout, InodeLoader loader) {
            this.layout = layout;
            this.loader = loader;
            this.used = new BitSet((int) layout.totalBlocks());
        }

        @Override
        public void visit(long ino) {
            Inode inode;
            try {
                inode = loader.loadOrThrow(ino);
            } catch (LogCorruptException e) {
                String what = ino == Layout.ROOT_INO ? "the root directory is unusable (" + e.getMessage() + ")"
                        : e.getMessage();
                throw new CorruptImageException(what + "; run fsck.daxfs");
            }
            for (long segment : inode.log().segmentsCopy()) {
                if (LogSegment.isSlot(segment)) {
                    markSlot(segment, ino);
                } else {
                    markWhole(segment, 1, ino);
                }
            }
            if (inode.extents() != null) {
                for (var run : inode.extents().runs()) {
                    if (!layout.isDataBlock(run.block()) || !layout.isDataBlock(run.block() + run.count() - 1)) {
                        throw new CorruptImageException("inode " + ino + " points at blocks outside the data area; run fsck.daxfs");
                    }
                    markWhole(run.block(), run.count(), ino);
                }
            }
            inodes.add(inode);
        }

        private void markWhole(long block, long count, long ino) {
            int clash = packed.nextSetBit((int) block);
            if (clash >= 0 && clash < block + count) {
                throw new CorruptImageException("block " + clash + " is a packed log page and also used whole (by inode "
                        + ino + "); run fsck.daxfs");
            }
            mark(used, block, count, ino);
        }

        private void markSlot(long segment, long ino) {
            long block = LogSegment.block(segment);
            if (used.get((int) block) || !slots.add(LogSegment.offset(segment))) {
                throw new CorruptImageException(LogSegment.describe(segment) + " is referenced twice (again by inode "
                        + ino + "); run fsck.daxfs");
            }
            packed.set((int) block);
        }
    }

    private static void mark(BitSet used, long block, long count, long ino) {
        int from = (int) block;
        int to = (int) (block + count);
        int clash = used.nextSetBit(from);
        if (clash >= 0 && clash < to) {
            throw new CorruptImageException("block " + clash + " is referenced twice (again by inode " + ino
                    + "); run fsck.daxfs");
        }
        used.set(from, to);
    }
}
