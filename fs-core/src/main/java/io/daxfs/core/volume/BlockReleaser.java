package io.daxfs.core.volume;

import io.daxfs.core.balloc.BlockAllocator;

/**
 * Where blocks go once a durable commit stopped referencing them: back to the allocator.
 */
public final class BlockReleaser {
    private final BlockAllocator allocator;

    BlockReleaser(BlockAllocator allocator) {
        this.allocator = allocator;
    }

    public void release(long block, long count) {
        allocator.free(block, count);
    }
}
