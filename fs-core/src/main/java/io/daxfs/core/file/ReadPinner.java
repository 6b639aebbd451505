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

/**
 * Makes {@link PinnedRead}s: walks the file index over the range once, pins every block it
 * covers (the {@code pin} package through {@link BlockReleaser}) and slices the device for them.
 * Holes are served from one shared, read-only zero area, so a hole costs no allocation. Callers
 * hold the inode's read lock for {@link #pin}; {@link PinnedRead#close} needs no lock. Reads are
 * not tracked here (a shared set would be written by every reply of every thread): at unmount
 * {@link BlockReleaser#dropAllPins} drops the pins of any left open.
 */
public final class ReadPinner {
    /** The zero area: as large as the largest FUSE read (1 MiB); longer holes take several slices. */
    static final long ZERO_BYTES = 1 << 20;
    private static final MemorySegment ZEROS = Arena.global().allocate(ZERO_BYTES, 4096).asReadOnly();
    private static final long PAGE = Layout.BLOCK_SIZE;

    private final Volume volume;

    public ReadPinner(Volume volume) {
        this.volume = volume;
    }

    /** Pins {@code [offset, offset+length)} of regular file {@code inode}, cut at EOF. */
    public PinnedRead pin(Inode inode, long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new FsException(Errno.EINVAL, "read range " + offset + "+" + length);
        }
        long end = offset + Math.min(length, Math.max(0, inode.size() - offset));
        List<MemorySegment> segments = new ArrayList<>(1);
        List<long[]> runs = new ArrayList<>(1);
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
        return new PinnedRead(this, segments, Math.max(0, end - offset), runs);
    }

    void unpin(PinnedRead read) {
        BlockReleaser releaser = volume.releaser();
        for (long[] r : read.pinnedRuns()) {
            releaser.unpin(r[0], r[1]);
        }
    }
}
