package io.daxfs.core.balloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.format.Layout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * Log slots handed out by threads of different stripes: distinct, freed by any thread, pages given
 * back with their last slot, and no new page taken while another stripe has a spare free slot.
 */
class SlotAllocatorTest {
    private final Layout layout = new Layout(4096, 64);

    /** Runs {@code task} on a thread of its own (a new thread id, so most likely another stripe). */
    private static <T> T onNewThread(Callable<T> task) throws Exception {
        ExecutorService one = Executors.newSingleThreadExecutor();
        try {
            return one.submit(task).get();
        } finally {
            one.shutdown();
        }
    }

    @Test
    void slotsFromManyThreadsAreDistinctAndAllComeBack() throws Exception {
        BlockAllocator blocks = BlockAllocator.allFree(layout);
        long free = blocks.freeBlocks();
        SlotAllocator slots = SlotAllocator.empty(blocks);
        List<Long> all = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<List<Long>>> tasks = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                tasks.add(() -> {
                    List<Long> mine = new ArrayList<>();
                    for (int i = 0; i < 1000; i++) {
                        mine.add(slots.allocate(BlockAllocator.Use.DATA));
                    }
                    return mine;
                });
            }
            for (var f : pool.invokeAll(tasks)) {
                all.addAll(f.get());
            }
        } finally {
            pool.shutdown();
        }
        Set<Long> distinct = new HashSet<>(all);
        assertEquals(4000, distinct.size(), "no slot handed out twice");
        assertEquals(4000, slots.slotsInUse());
        assertTrue(slots.packedPages() <= 4000 / Layout.SLOTS_PER_BLOCK + 16, "pages " + slots.packedPages());
        // freed by a thread that allocated none of them, every page goes back
        onNewThread(() -> {
            all.forEach(slots::free);
            return null;
        });
        assertEquals(0, slots.slotsInUse());
        assertEquals(0, slots.packedPages());
        assertEquals(free, blocks.freeBlocks());
        assertThrows(IllegalStateException.class, () -> slots.free(all.getFirst()), "a slot freed twice");
    }

    @Test
    void aSpareFreeSlotOfAnotherStripeIsUsedBeforeANewPage() throws Exception {
        BlockAllocator blocks = BlockAllocator.allFree(layout);
        SlotAllocator slots = SlotAllocator.empty(blocks);
        // this thread fills four pages and frees one slot in each of the first three: three partial pages
        List<Long> mine = new ArrayList<>();
        for (int i = 0; i < 4 * Layout.SLOTS_PER_BLOCK; i++) {
            mine.add(slots.allocate(BlockAllocator.Use.DATA));
        }
        for (int p = 0; p < 3; p++) {
            slots.free(mine.get(p * Layout.SLOTS_PER_BLOCK));
        }
        long pages = slots.packedPages();
        long freeBefore = blocks.freeBlocks();
        // other threads take slots: two of the spare ones at least come without a new page
        List<Long> theirs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            theirs.add(onNewThread(() -> slots.allocate(BlockAllocator.Use.DATA)));
        }
        assertEquals(pages, slots.packedPages(), "no new page while spare slots are free");
        assertEquals(freeBefore, blocks.freeBlocks());
        for (long s : theirs) {
            assertTrue(mine.contains(s), "slot " + s + " is one of the freed ones");
        }
    }
}
