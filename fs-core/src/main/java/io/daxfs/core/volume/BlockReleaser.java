package io.daxfs.core.volume;

import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.pin.DeferredFrees;
import io.daxfs.core.pin.PinTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where blocks go once a durable commit stopped referencing them: back to the allocator, unless a
 * live mapping or a read reply still pins them, in which case they wait on the deferred list until
 * the last pin drops. So the allocator never hands out a pinned block, and a holder of a stale
 * mapping sees the old bytes, never another file's. Thread-safe.
 *
 * <p>Striped by device region: the blocks of each {@link #REGION_BLOCKS}-block region are pinned,
 * unpinned and released under the lock of one of {@link #STRIPES} stripes, each with its own pin
 * table and deferred list; a range that crosses regions is handled piece by piece. Every 4 KiB
 * READ reply pins and unpins its blocks, so one lock and table for the whole device made two
 * threads serving reads of different files write the same lines twice per request (pinRead + close
 * took 2-4 times as long on two threads as on one; docs/BENCHMARKS.md).
 */
public final class BlockReleaser {
    /** Blocks per region: 2 MiB, so a 1 MiB read touches at most two stripes. */
    static final long REGION_BLOCKS = 512;
    /** Stripes, a power of two: regions {@code STRIPES} apart share one. */
    static final int STRIPES = 64;

    private final BlockAllocator allocator;
    private final Stripe[] stripes = new Stripe[STRIPES];

    BlockReleaser(BlockAllocator allocator) {
        this.allocator = allocator;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    /**
     * Gives blocks back, or defers those a pin holds. While nothing in a stripe is pinned this
     * takes no lock, so copy-on-write overwrites of different files do not meet here: a block is
     * pinned and released only under the lock of the inode that owns it, so a pin of this block
     * cannot be in flight, and the count written inside that lock is seen.
     */
    public void release(long block, long count) {
        for (long b = block, end = block + count; b < end; ) {
            long pieceEnd = pieceEnd(b, end);
            stripe(b).release(allocator, b, pieceEnd - b);
            b = pieceEnd;
        }
    }

    /** Pins blocks of a file; the caller holds the lock of the inode that owns them. */
    public void pin(long block, long count) {
        for (long b = block, end = block + count; b < end; ) {
            long pieceEnd = pieceEnd(b, end);
            stripe(b).pin(b, pieceEnd - b);
            b = pieceEnd;
        }
    }

    /** Drops a pin, freeing deferred blocks that nothing pins any more. */
    public void unpin(long block, long count) {
        for (long b = block, end = block + count; b < end; ) {
            long pieceEnd = pieceEnd(b, end);
            stripe(b).unpin(allocator, b, pieceEnd - b);
            b = pieceEnd;
        }
    }

    /**
     * Unmount, once nothing pins or releases any more: drops every pin still held (a read reply
     * never closed) and frees what waited on them, so the allocator is saved whole. A later unpin
     * does nothing.
     */
    public void dropAllPins() {
        for (Stripe s : stripes) {
            s.dropAll(allocator);
        }
    }

    public long pinnedBlocks() {
        long total = 0;
        for (Stripe s : stripes) {
            total += s.pinnedBlocks();
        }
        return total;
    }

    /** Deferred extents as (start, count) pairs in block order: blocks waiting for a pin to drop. */
    public List<long[]> deferredExtents() {
        List<long[]> out = new ArrayList<>();
        for (Stripe s : stripes) {
            out.addAll(s.deferredExtents());
        }
        out.sort(Comparator.comparingLong(e -> e[0]));
        return out;
    }

    public long deferredBlocks() {
        long total = 0;
        for (Stripe s : stripes) {
            total += s.deferredBlocks();
        }
        return total;
    }

    private Stripe stripe(long block) {
        return stripes[(int) (block / REGION_BLOCKS) & (STRIPES - 1)];
    }

    /** The end of the piece of {@code [block, end)} that lies in {@code block}'s region. */
    private static long pieceEnd(long block, long end) {
        return Math.min(end, (block / REGION_BLOCKS + 1) * REGION_BLOCKS);
    }

    /** One stripe's pins and deferred blocks, guarded by the stripe's monitor. */
    private static final class Stripe {
        private final PinTable pins = new PinTable();
        private final DeferredFrees deferred = new DeferredFrees();
        /** Pins taken and not dropped yet; written under the monitor, read without it by {@link #release}. */
        private volatile long pinCalls;
        /** Set by {@link #dropAll}: nothing is pinned any more, and unpins are ignored. */
        private boolean dropped;
        // Padding, best effort (HotSpot groups the longs after the header): keeps this stripe's
        // count, which every pin writes, off the line of the next stripe's lock word when a GC lays
        // the stripes out side by side.
        @SuppressWarnings("unused")
        private long pad1, pad2, pad3, pad4, pad5, pad6, pad7;

        void release(BlockAllocator allocator, long block, long count) {
            if (pinCalls == 0) {
                allocator.free(block, count);
                return;
            }
            synchronized (this) {
                pins.partition(block, count, deferred::add, allocator::free);
            }
        }

        synchronized void pin(long block, long count) {
            pins.pin(block, count);
            pinCalls++;
        }

        synchronized void unpin(BlockAllocator allocator, long block, long count) {
            if (dropped) {
                return;
            }
            pins.unpin(block, count);
            pinCalls--;
            deferred.releaseUnpinned(block, count, pins, allocator::free);
        }

        synchronized void dropAll(BlockAllocator allocator) {
            dropped = true;
            pins.clear();
            pinCalls = 0;
            deferred.drain(allocator::free);
        }

        synchronized long pinnedBlocks() {
            return pins.pinnedBlocks();
        }

        synchronized List<long[]> deferredExtents() {
            return deferred.extents();
        }

        synchronized long deferredBlocks() {
            return deferred.blocks();
        }
    }
}
