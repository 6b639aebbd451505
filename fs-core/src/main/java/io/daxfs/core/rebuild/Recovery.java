package io.daxfs.core.rebuild;

import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.LogCorruptException;
import io.daxfs.core.log.LogReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scan that follows a crash: a {@link LogCensus} of every live inode on every processor, so
 * the allocator can be rebuilt from the blocks the committed logs reference. A block referenced
 * twice, or damage in any log, makes the image unmountable until fsck repairs it. No inode stays
 * loaded: each is loaded from its log on first use, as after a clean mount.
 */
public final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private Recovery() {}

    /**
     * Counts every inode in use.
     *
     * @throws CorruptImageException if a log is damaged or a block has two owners
     */
    public static LogCensus scan(InodeTable table, LogReader reader, InodeLoader loader) {
        long started = System.nanoTime();
        int threads = Runtime.getRuntime().availableProcessors();
        LogCensus census;
        try {
            census = LogCensus.take(table, reader, loader, table.usedSnapshot(), threads, () -> false);
        } catch (LogCorruptException e) {
            throw new CorruptImageException(e.getMessage() + "; run fsck.daxfs");
        }
        if (!census.shared().isEmpty()) {
            throw new CorruptImageException("block " + census.shared().nextSetBit(0)
                    + " is referenced twice; run fsck.daxfs");
        }
        LOG.info("recovery scan: {} inodes ({} loaded whole), {} blocks in use, {} threads, {} ms", census.inodes(),
                census.loadedWhole(), census.used().cardinality(), threads, (System.nanoTime() - started) / 1_000_000);
        return census;
    }
}
