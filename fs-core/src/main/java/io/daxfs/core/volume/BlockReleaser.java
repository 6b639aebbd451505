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
    /** Pins taken and not dropped yet; written under this object's lock, read without it by {@link #release}. */
    private volatile long pinCalls;

    BlockReleaser(BlockAllocator allocator) {
        this.allocator = allocator;
    }

    /**
     * Gives blocks back, or defers those a pin holds. While nothing is pinned this takes no lock,
     * so copy-on-write overwrites of different files do not meet here: a block is pinned and
     * released only under the lock of the inode that owns it, so a pin of this block cannot be
     * in flight, and the count written inside that lock is seen.
     */
    public void release(long block, long count) {
        if (pinCalls == 0) {
            allocator.free(block, count);
            return;
        }
        synchronized (this) {
            pins.partition(block, count, deferred::add, allocator::free);
        }
    }

    /** Pins blocks of a file; the caller holds the lock of the inode that owns them. */
    public synchronized void pin(long block, long count) {
        pins.pin(block, count);
        pinCalls++;
    }

    /** Drops a pin, freeing deferred blocks that nothing pins any more. */
    public synchronized void unpin(long block, long count) {
        pins.unpin(block, count);
        pinCalls--;
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
