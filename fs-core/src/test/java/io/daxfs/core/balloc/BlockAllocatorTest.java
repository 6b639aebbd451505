package io.daxfs.core.balloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.Layout;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The allocator against a block bitmap under random allocations and frees of all sizes, with one
 * region and with several (requests that span regions, contiguous runs across their boundaries),
 * and from several threads at once.
 */
class BlockAllocatorTest {
    private final Layout layout = new Layout(4096, 64);
    private final Layout regioned = new Layout(4 * 8192 + 600, 64);

    /** Data leaves the whole metadata reserve free, metadata half of it, changes that free space none. */
    @Test
    void theReserveIsKeptFromDataThenFromMetadata() {
        BlockAllocator allocator = BlockAllocator.allFree(layout);
        long reserve = allocator.reserveBlocks();
        assertEquals(16, reserve, "the smallest reserve, for a data area of " + layout.dataBlocks() + " blocks");
        long free = allocator.freeBlocks();
        assertEquals(free - reserve, allocator.availableBlocks());
        assertEquals(Errno.ENOSPC, assertThrows(FsException.class,
                () -> allocator.allocate(free - reserve + 1, false, BlockAllocator.Use.DATA)).errno());
        assertThrows(FsException.class, () -> allocator.allocateContiguous(free - reserve + 1));
        assertEquals(free, allocator.freeBlocks(), "a refused allocation takes nothing");
        allocator.allocate(free - reserve, false, BlockAllocator.Use.DATA);
        assertEquals(0, allocator.availableBlocks());
        assertThrows(FsException.class, () -> allocator.allocateOne(BlockAllocator.Use.DATA));
        for (long i = 0; i < reserve / 2; i++) {
            allocator.allocateOne(BlockAllocator.Use.METADATA);
        }
        assertThrows(FsException.class, () -> allocator.allocateOne(BlockAllocator.Use.METADATA));
        for (long i = 0; i < reserve / 2; i++) {
            allocator.allocateOne(BlockAllocator.Use.RELEASE);
        }
        assertEquals(0, allocator.freeBlocks());
        assertThrows(FsException.class, () -> allocator.allocateOne(BlockAllocator.Use.RELEASE));
    }

    /**
     * An unmount before the verification of a loaded list: the list is saved with the frees made
     * meanwhile (the next mount verifies it again); a refused list is not saved at all.
     */
    @Test
    void aListSavedBeforeItsVerificationKeepsTheFreesMadeMeanwhile() {
        try (DaxDevice device = MemoryDevice.allocate(layout.totalBlocks() * Layout.BLOCK_SIZE)) {
            BlockAllocator first = BlockAllocator.allFree(layout);
            List<Extent> taken = first.allocate(100, false, BlockAllocator.Use.DATA);
            BlockAllocator loaded = BlockAllocator.load(layout, device, first.save(device));
            long free = loaded.freeBlocks();
            taken.forEach(loaded::free);
            assertEquals(free, loaded.freeBlocks(), "frees wait for the verification");
            BlockAllocator reloaded = BlockAllocator.load(layout, device, loaded.save(device));
            reloaded.verified(new BitSet(), new BitSet());
            assertEquals(free + 100, reloaded.freeBlocks());

            reloaded = BlockAllocator.load(layout, device, reloaded.save(device));
            reloaded.refuse("the saved list lies");
            assertFalse(reloaded.save(device).present(), "a refused list was saved");
        }
    }

    /**
     * Frees made during the census: a block the census saw in use may still be another inode's (a
     * cross-link the census read after the free), so it is held, not handed out; so are frees of
     * quarantined blocks. At unmount a census of every log says which held blocks nobody uses: those
     * are freed and saved, the others stay out.
     */
    @Test
    void freesTheCensusCannotConfirmAreHeldUntilTheUnmountChecksThem() {
        try (DaxDevice device = MemoryDevice.allocate(layout.totalBlocks() * Layout.BLOCK_SIZE)) {
            BlockAllocator first = BlockAllocator.allFree(layout);
            long a = first.allocateOne(BlockAllocator.Use.DATA);
            long b = first.allocateOne(BlockAllocator.Use.DATA);
            long c = first.allocateOne(BlockAllocator.Use.DATA);
            long s = first.allocateOne(BlockAllocator.Use.DATA);
            BlockAllocator loaded = BlockAllocator.load(layout, device, first.save(device));
            long free = loaded.freeBlocks();
            loaded.free(a, 1); // nobody's by the census's time: free
            loaded.free(b, 1); // the census saw it in use: its freer's, or a cross-linked owner's
            BitSet used = bits(b, c, s);
            loaded.verified(used, bits(s));
            assertTrue(loaded.isFree(a, 1));
            assertFalse(loaded.isFree(b, 1), "a block the census saw in use was handed out");
            loaded.free(s, 1); // one owner of a cross-linked block lets go of it
            assertFalse(loaded.isFree(s, 1), "a quarantined block was handed out");
            assertEquals(bits(b, s), loaded.held());
            assertEquals(free + 1, loaded.freeBlocks());

            assertEquals(1, loaded.releaseHeld(bits(c, s)), "the unmount's census: only s is still used");
            assertTrue(loaded.isFree(b, 1));
            assertFalse(loaded.isFree(s, 1));
            assertTrue(loaded.held().isEmpty());
            BlockAllocator next = BlockAllocator.load(layout, device, loaded.save(device));
            next.verified(bits(c, s), new BitSet());
            assertEquals(free + 2, next.freeBlocks(), "the next mount has a and b, not s");
        }
    }

    private static BitSet bits(long... blocks) {
        BitSet b = new BitSet();
        for (long block : blocks) {
            b.set((int) block);
        }
        return b;
    }

    @Test
    void neverHandsOutABlockTwiceAndCountsRight() {
        checkAgainstBitmap(layout, BlockAllocator.allFree(layout), 1);
    }

    @Test
    void regionsNeverHandOutABlockTwiceAndCountRight() {
        BlockAllocator allocator = BlockAllocator.allFree(regioned, 4);
        assertEquals(4, allocator.regionCount());
        checkAgainstBitmap(regioned, allocator, 4000);
    }

    @Test
    void threadsInTheirOwnRegionsShareNothingTwice() throws Exception {
        BlockAllocator allocator = BlockAllocator.allFree(regioned, 4);
        BitSet owned = new BitSet();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < 4; t++) {
            int seed = t;
            Thread thread = new Thread(() -> {
                try {
                    Random random = new Random(seed);
                    List<Extent> held = new ArrayList<>();
                    for (int step = 0; step < 20_000; step++) {
                        if (held.isEmpty() || random.nextInt(2) == 0) {
                            long want = random.nextInt(10) == 0 ? 1 + random.nextInt(3000) : 1;
                            List<Extent> got;
                            try {
                                got = step % 50 == 0 ? List.of(allocator.allocateContiguous(want))
                                        : allocator.allocate(want, want >= 512, BlockAllocator.Use.RELEASE);
                            } catch (FsException full) {
                                assertEquals(Errno.ENOSPC, full.errno());
                                continue;
                            }
                            synchronized (owned) {
                                for (Extent e : got) {
                                    for (long b = e.start(); b < e.end(); b++) {
                                        assertFalse(owned.get((int) b), "block " + b + " handed out twice");
                                        owned.set((int) b);
                                    }
                                }
                            }
                            held.addAll(got);
                        } else {
                            Extent e = held.remove(random.nextInt(held.size()));
                            synchronized (owned) {
                                owned.clear((int) e.start(), (int) e.end());
                            }
                            allocator.free(e);
                        }
                    }
                    for (Extent e : held) {
                        synchronized (owned) {
                            owned.clear((int) e.start(), (int) e.end());
                        }
                        allocator.free(e);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertTrue(failures.isEmpty(), () -> "worker failed: " + failures);
        assertEquals(regioned.dataBlocks(), allocator.freeBlocks());
        assertEquals(List.of(new Extent(regioned.dataStartBlock(), regioned.dataBlocks())), allocator.freeExtents());
    }

    private static void checkAgainstBitmap(Layout layout, BlockAllocator allocator, int maxRequest) {
        Random random = new Random(5);
        BitSet owned = new BitSet();
        List<Extent> held = new ArrayList<>();
        for (int step = 0; step < 50_000; step++) {
            if (held.isEmpty() || random.nextInt(3) > 0) {
                long want = random.nextInt(4) == 0 ? 1 + random.nextInt(600 + maxRequest) : 1;
                if (want > allocator.freeBlocks()) {
                    continue;
                }
                List<Extent> got;
                try {
                    got = step % 7 == 0 && want <= 8 ? List.of(allocator.allocateContiguous(want))
                            : allocator.allocate(want, want >= 512, BlockAllocator.Use.RELEASE);
                } catch (FsException fragmented) {
                    assertEquals(Errno.ENOSPC, fragmented.errno(), "only a contiguous request may fail");
                    continue;
                }
                long total = 0;
                for (Extent e : got) {
                    for (long b = e.start(); b < e.end(); b++) {
                        assertTrue(layout.isDataBlock(b));
                        assertFalse(owned.get((int) b), "block " + b + " handed out twice");
                        owned.set((int) b);
                    }
                    total += e.count();
                    held.add(e);
                }
                assertEquals(want, total);
            } else {
                Extent e = held.remove(random.nextInt(held.size()));
                owned.clear((int) e.start(), (int) e.end());
                allocator.free(e);
            }
            assertEquals(layout.dataBlocks() - owned.cardinality(), allocator.freeBlocks(), "step " + step);
        }
        assertEquals(mergedFree(layout, owned), allocator.freeExtents());
        Extent some = held.getFirst();
        allocator.free(some.start(), 1);
        assertThrows(IllegalStateException.class, () -> allocator.free(some.start(), 1), "double free is caught");
        assertTrue(allocator.isFree(some.start(), 1));
    }

    /** The free extents a bitmap of owned blocks implies. */
    private static List<Extent> mergedFree(Layout layout, BitSet owned) {
        List<Extent> out = new ArrayList<>();
        long b = layout.dataStartBlock();
        while (b < layout.dataEndBlock()) {
            long start = owned.nextClearBit((int) b);
            if (start >= layout.dataEndBlock()) {
                break;
            }
            long stop = owned.nextSetBit((int) start);
            stop = stop < 0 ? layout.dataEndBlock() : Math.min(stop, layout.dataEndBlock());
            out.add(new Extent(start, stop - start));
            b = stop;
        }
        return out;
    }
}
