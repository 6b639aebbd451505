package io.daxfs.core.volume;

import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.pin.DeferredFrees;
import io.daxfs.core.pin.PinTable;

/**
 * Where blocks go once a durable commit stopped referencing them: back to the allocator, unless a
 * live mapping still pins them, in which case they wait on the deferred list until the last pin
 * drops. So the allocator never hands out a pinned block, and a holder of a stale mapping sees the
 * old bytes, never another file's. Thread-safe.
 */
public final class BlockReleaser {
    private final BlockAllocator allocator;
    private final PinTable pins = new PinTable();
    private final DeferredFrees deferred = new DeferredFrees();

    BlockReleaser(BlockAllocator allocator) {
        this.allocator = allocator;
    }

    public synchronized void release(long block, long count) {
        pins.partition(block, count, deferred::add, allocator::free);
    }

    public synchronized void pin(long block, long count) {
        pins.pin(block, count);
    }

    /** Drops a pin, freeing deferred blocks that nothing pins any more. */
    public synchronized void unpin(long block, long count) {
        pins.unpin(block, count);
        deferred.releaseUnpinned(block, count, pins, allocator::free);
    }

    public synchronized long pinnedBlocks() {
        return pins.pinnedBlocks();
    }

    /** Deferred extents as (start, count) pairs: blocks waiting for a pin to drop. */
    public synchronized java.util.List<long[]> deferredExtents() {
        return deferred.extents();
    }

    public synchronized long deferredBlocks() {
        return deferred.blocks();
    }
}
