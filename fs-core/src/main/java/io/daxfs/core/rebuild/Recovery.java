package io.daxfs.core.rebuild;

import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.LogCorruptException;
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

    /** The result of a scan: the inodes it loaded and the data blocks in use. */
    public record Scan(List<Inode> inodes, BitSet usedBlocks) {}

    private Recovery() {}

    public static Scan scan(Layout layout, InodeTable table, InodeLoader loader) {
        long started = System.nanoTime();
        List<Marker> markers = ParallelInodeScan.run(table.usedSnapshot(), layout.inodeCount(),
                Runtime.getRuntime().availableProcessors(), () -> new Marker(layout, loader));
        BitSet used = new BitSet((int) layout.totalBlocks());
        List<Inode> inodes = new ArrayList<>();
        for (Marker m : markers) {
            if (used.intersects(m.used)) {
                BitSet both = (BitSet) used.clone();
                both.and(m.used);
                throw new CorruptImageException("block " + both.nextSetBit(0) + " is referenced twice; run fsck.daxfs");
            }
            used.or(m.used);
            inodes.addAll(m.inodes);
        }
        LOG.info("recovery scan: {} inodes, {} blocks in use, {} threads, {} ms", inodes.size(), used.cardinality(),
                markers.size(), (System.nanoTime() - started) / 1_000_000);
        return new Scan(inodes, used);
    }

    /** One scanning thread's share: the inodes it loaded and the blocks they reference. */
    private static final class Marker implements ParallelInodeScan.Visitor {
        private final Layout layout;
        private final InodeLoader loader;
        private final BitSet used;
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
                throw new CorruptImageException(e.getMessage() + "; run fsck.daxfs");
            }
            for (long page : inode.log().pagesCopy()) {
                mark(used, page, 1, ino);
            }
            if (inode.extents() != null) {
                for (var run : inode.extents().runs()) {
                    if (!layout.isDataBlock(run.block()) || !layout.isDataBlock(run.block() + run.count() - 1)) {
                        throw new CorruptImageException("inode " + ino + " points at blocks outside the data area; run fsck.daxfs");
                    }
                    mark(used, run.block(), run.count(), ino);
                }
            }
            inodes.add(inode);
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
