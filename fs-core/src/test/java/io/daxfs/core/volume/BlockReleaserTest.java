package io.daxfs.core.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.format.Layout;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

/**
 * {@link BlockReleaser}: a released block a pin holds waits until the last pin drops, also when
 * the range crosses the regions its stripes are cut at, and unmount hands back whatever still waits.
 */
class BlockReleaserTest {
    /** Room for two rounds of stripes, so that two regions can share one. */
    private final Layout layout = new Layout(2 * BlockReleaser.STRIPES * BlockReleaser.REGION_BLOCKS + 1024, 64);

    /** Every data block in use: whatever the releaser frees shows up as free. */
    private BlockAllocator allInUse() {
        BitSet used = new BitSet();
        used.set(0, (int) layout.totalBlocks());
        return BlockAllocator.fromUsed(layout, used);
    }

    @Test
    void aRangeAcrossRegionsWaitsForItsLastPinPieceByPiece() {
        BlockAllocator allocator = allInUse();
        BlockReleaser releaser = new BlockReleaser(allocator);
        long boundary = 2 * BlockReleaser.REGION_BLOCKS;
        long start = boundary - 3;
        releaser.pin(start, 10); // 3 blocks in one region, 7 in the next
        releaser.pin(boundary + 2, 4);
        releaser.release(start, 10);
        assertEquals(10, releaser.pinnedBlocks());
        assertEquals(10, releaser.deferredBlocks());
        assertFalse(allocator.isFree(start, 1));

        releaser.unpin(start, 10);
        assertTrue(allocator.isFree(start, 5), "the blocks nothing pins any more are free");
        assertTrue(allocator.isFree(boundary + 6, 1));
        assertFalse(allocator.isFree(boundary + 2, 1), "the second pin still holds its blocks");
        assertEquals(1, releaser.deferredExtents().size());
        assertArrayEquals(new long[] {boundary + 2, 4}, releaser.deferredExtents().get(0));

        releaser.unpin(boundary + 2, 4);
        assertTrue(allocator.isFree(start, 10));
        assertEquals(0, releaser.pinnedBlocks());
        assertEquals(0, releaser.deferredBlocks());
    }

    @Test
    void regionsThatShareAStripeKeepTheirOwnPins() {
        BlockAllocator allocator = allInUse();
        BlockReleaser releaser = new BlockReleaser(allocator);
        long a = BlockReleaser.REGION_BLOCKS + 7;
        long b = a + BlockReleaser.STRIPES * BlockReleaser.REGION_BLOCKS; // the same stripe
        releaser.pin(a, 1);
        releaser.release(b, 1);
        assertTrue(allocator.isFree(b, 1), "an unpinned block of the stripe is freed at once");
        releaser.release(a, 1);
        assertFalse(allocator.isFree(a, 1));
        releaser.unpin(a, 1);
        assertTrue(allocator.isFree(a, 1));
    }

    @Test
    void dropAllPinsFreesWhatWaitsAndLaterUnpinsDoNothing() {
        BlockAllocator allocator = allInUse();
        BlockReleaser releaser = new BlockReleaser(allocator);
        long start = 3 * BlockReleaser.REGION_BLOCKS - 1;
        releaser.pin(start, 2);
        releaser.pin(start, 2);
        releaser.release(start, 2);
        releaser.dropAllPins();
        assertTrue(allocator.isFree(start, 2));
        assertEquals(0, releaser.pinnedBlocks());
        assertEquals(0, releaser.deferredBlocks());
        releaser.unpin(start, 2); // a read reply closed after the unmount
        assertEquals(0, releaser.pinnedBlocks());
    }
}
