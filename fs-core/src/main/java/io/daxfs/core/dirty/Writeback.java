package io.daxfs.core.dirty;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.DirtyPages;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.LiveMapping;
import java.util.Collection;

/**
 * Writes back what cached stores left dirty (seed 004): writes under {@code writeback=fsync} and
 * writable mappings mark file pages in the inode's {@link DirtyPages} and device regions in the
 * {@link DeviceDirtyMap}; fsync flushes exactly the inode's dirty pages (plus the ranges of its
 * live writable mappings, whose stores cannot be seen), syncfs the dirty regions. Under
 * {@code writeback=sync} nothing is ever dirty and both only fence.
 */
public final class Writeback {
    private final DaxDevice device;
    private final DeviceDirtyMap regions;

    public Writeback(DaxDevice device) {
        this.device = device;
        this.regions = new DeviceDirtyMap(device.size());
    }

    /** Records that file pages {@code [pgoff, pgoff+count)}, at that device range, hold cached stores. */
    public void dirtied(Inode inode, long pgoff, long count, long deviceOffset, long length) {
        inode.markDirty(pgoff, count);
        regions.mark(deviceOffset, length);
    }

    /** Flushes the dirty pages of {@code inode} and fences. The caller holds the inode lock. */
    public void fsync(Inode inode) {
        if (inode.extents() != null) {
            for (long[] range : inode.drainDirty()) {
                for (FileExtents.Run run : inode.extents().runsIn(range[0], range[1])) {
                    long first = Math.max(run.pgoff(), range[0]);
                    long end = Math.min(run.end(), range[0] + range[1]);
                    device.flush(Layout.offsetOf(run.blockOf(first)), (end - first) * Layout.BLOCK_SIZE);
                }
            }
        }
        flushMappings(inode);
        device.fence();
    }

    /**
     * Flushes every dirty device region and the ranges of live writable mappings, forgets all
     * per-inode dirty pages, fences.
     */
    public void syncfs(Collection<Inode> inodes) {
        for (long[] region : regions.drain()) {
            long length = Math.min(region[1], device.size() - region[0]);
            device.flush(region[0], length);
        }
        for (Inode inode : inodes) {
            inode.drainDirty();
            flushMappings(inode);
        }
        device.fence();
    }

    /** Flushes the ranges of {@code inode}'s live writable mappings, whose stores cannot be seen. */
    private void flushMappings(Inode inode) {
        for (LiveMapping mapping : inode.mappings()) {
            if (mapping.isWritable() && mapping.isOpen()) {
                device.flush(mapping.deviceOffset(), mapping.length());
            }
        }
    }

    /** Bytes waiting for fsync, over {@code inodes}. */
    public static long dirtyBytes(Collection<Inode> inodes) {
        long pages = 0;
        for (Inode inode : inodes) {
            pages += inode.dirtyPages();
        }
        return pages * Layout.BLOCK_SIZE;
    }
}
