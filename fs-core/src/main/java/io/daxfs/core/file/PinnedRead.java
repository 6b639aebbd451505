package io.daxfs.core.file;

import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A file range held for a read reply (zero-copy READ): read-only segments, in file order, that
 * together hold the bytes of the range as of the moment it was pinned: slices of the device
 * mapping for data, slices of a shared zero page area for holes. The device blocks stay pinned
 * until {@link #close}: a truncate, punch or overwrite that races the reply commits without
 * waiting, and the blocks it stops using are reused only after close (deferred free). An in-place
 * store (a shared DAX mapping, {@code writeback=fsync}) may still show through, as a read racing a
 * write may. Made by {@link ReadPinner}; used by a FUSE transport to write the reply with writev.
 */
public final class PinnedRead implements AutoCloseable {
    private final ReadPinner owner;
    private final List<MemorySegment> segments;
    private final long length;
    private final List<long[]> pinnedRuns;
    private final AtomicBoolean open = new AtomicBoolean(true);

    /** Takes over {@code segments} and {@code pinnedRuns}: the caller keeps no reference to them. */
    PinnedRead(ReadPinner owner, List<MemorySegment> segments, long length, List<long[]> pinnedRuns) {
        this.owner = owner;
        this.segments = Collections.unmodifiableList(segments);
        this.length = length;
        this.pinnedRuns = pinnedRuns;
    }

    /** Bytes the segments hold together: the requested length cut at EOF (0 at or past EOF). */
    public long length() {
        return length;
    }

    /** The bytes of the range, in order; valid until {@link #close}. */
    public List<MemorySegment> segments() {
        return segments;
    }

    /** Pinned blocks as (first block, count) pairs: what {@link #close} gives back. */
    List<long[]> pinnedRuns() {
        return pinnedRuns;
    }

    public boolean isOpen() {
        return open.get();
    }

    /** Drops the pins (idempotent); the segments must not be used afterwards. */
    @Override
    public void close() {
        if (open.compareAndSet(true, false)) {
            owner.unpin(this);
        }
    }
}
