package io.daxfs.core.balloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.format.Layout;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The allocator against a block bitmap under random allocations and frees of all sizes. */
class BlockAllocatorTest {
    private final Layout layout = new Layout(4096, 64);

    @Test
    void neverHandsOutABlockTwiceAndCountsRight() {
        Random random = new Random(5);
        BlockAllocator allocator = BlockAllocator.allFree(layout);
        BitSet owned = new BitSet();
        List<Extent> held = new ArrayList<>();
        for (int step = 0; step < 50_000; step++) {
            if (held.isEmpty() || random.nextInt(3) > 0) {
                long want = random.nextInt(4) == 0 ? 1 + random.nextInt(600) : 1;
                if (want > allocator.freeBlocks()) {
                    continue;
                }
                List<Extent> got;
                try {
                    got = step % 7 == 0 && want <= 8 ? List.of(allocator.allocateContiguous(want))
                            : allocator.allocate(want, want >= 512);
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
        Extent some = held.getFirst();
        allocator.free(some.start(), 1);
        assertThrows(IllegalStateException.class, () -> allocator.free(some.start(), 1), "double free is caught");
        assertTrue(allocator.isFree(some.start(), 1));
    }
}
