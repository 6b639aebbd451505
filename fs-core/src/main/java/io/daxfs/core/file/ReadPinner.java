package io.daxfs.core.file;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.volume.BlockReleaser;
import io.daxfs.core.volume.Volume;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes {@link PinnedRead}s: walks the file index over the range once, pins every block it
 * covers (the {@code pin} package through {@link BlockReleaser}) and slices the device for them.
 * Holes are served from one shared, read-only zero area, so a hole costs no allocation. Callers
 * hold the inode's read lock for {@link #pin}; {@link PinnedRead#close} needs no lock.
 */
public final class ReadPinner {
    /** The zero area: as large as the largest FUSE read (1 MiB); longer holes take several slices. */
    static final long ZERO_BYTES = 1 << 20;
    private static final MemorySegment ZEROS = Arena.global().allocate(ZERO_BYTES, 4096).asReadOnly();
    private static final long PAGE = Layout.BLOCK_SIZE;

    private final Volume volume;
    private final Set<PinnedRead> live = ConcurrentHashMap.newKeySet();

    public ReadPinner(Volume volume) {
        this.volume = volume;
    }

    /** Pins {@code [offset, offset+length)} of regular file {@code inode}, cut at EOF. */
    public PinnedRead pin(Inode inode, long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new FsException(Errno.EINVAL, "read range " + offset + "+" + length);
        }
        long end = offset + Math.min(length, Math.max(0, inode.size() - offset));
        List<MemorySegment> segments = new ArrayList<>();
        List<long[]> runs = new ArrayList<>();
        BlockReleaser releaser = volume.releaser();
        try {
            for (long pos = offset; pos < end; ) {
                long page = pos / PAGE;
                FileExtents.Run run = inode.extents().find(page, (end - 1) / PAGE + 1);
                long chunkEnd;
                if (run == null) {
                    long next = inode.extents().nextMapped(page);
                    chunkEnd = Math.min(pos + ZERO_BYTES, next < 0 ? end : Math.min(end, next * PAGE));
                    segments.add(ZEROS.asSlice(0, chunkEnd - pos));
                } else {
                    chunkEnd = Math.min(end, run.end() * PAGE);
                    long first = run.blockOf(page);
                    long count = (chunkEnd - 1) / PAGE - page + 1;
                    releaser.pin(first, count);
                    runs.add(new long[] {first, count});
                    segments.add(volume.device().directAccess(Layout.offsetOf(first) + pos % PAGE, chunkEnd - pos)
                            .asReadOnly());
                }
                pos = chunkEnd;
            }
        } catch (RuntimeException e) {
            runs.forEach(r -> releaser.unpin(r[0], r[1]));
            throw e;
        }
        PinnedRead read = new PinnedRead(this, segments, Math.max(0, end - offset), runs);
        live.add(read);
        return read;
    }

    void unpin(PinnedRead read) {
        if (live.remove(read)) {
            read.pinnedRuns().forEach(r -> volume.releaser().unpin(r[0], r[1]));
        }
    }

    /** Reads not yet closed. */
    public int liveCount() {
        return live.size();
    }

    /** Drops every pin still held (unmount), so the blocks they hold are free before the allocator is saved. */
    public void closeAll() {
        List.copyOf(live).forEach(PinnedRead::close);
    }
}
