package io.daxfs.core.pin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The pin table and deferred list against a per-block reference model, under random operations. */
class PinTableTest {
    private static final int BLOCKS = 200;

    @Test
    void matchesPerBlockModel() {
        for (int seed = 0; seed < 200; seed++) {
            Random random = new Random(seed);
            PinTable pins = new PinTable();
            DeferredFrees deferred = new DeferredFrees();
            int[] refs = new int[BLOCKS];
            boolean[] isDeferred = new boolean[BLOCKS];
            boolean[] freed = new boolean[BLOCKS];
            List<int[]> held = new ArrayList<>();
            for (int step = 0; step < 300; step++) {
                int op = random.nextInt(3);
                if (op == 0 || held.isEmpty()) {
                    int start = 1 + random.nextInt(BLOCKS - 20);
                    int count = 1 + random.nextInt(19);
                    pins.pin(start, count);
                    held.add(new int[] {start, count});
                    for (int b = start; b < start + count; b++) {
                        refs[b]++;
                    }
                } else if (op == 1) {
                    int[] h = held.remove(random.nextInt(held.size()));
                    pins.unpin(h[0], h[1]);
                    for (int b = h[0]; b < h[0] + h[1]; b++) {
                        refs[b]--;
                    }
                    deferred.releaseUnpinned(h[0], h[1], pins, (s, c) -> markFreed(freed, isDeferred, s, c));
                } else {
                    int start = 1 + random.nextInt(BLOCKS - 20);
                    int count = 1 + random.nextInt(19);
                    boolean clash = false;
                    for (int b = start; b < start + count; b++) {
                        clash |= isDeferred[b];
                    }
                    if (clash) {
                        continue;
                    }
                    pins.partition(start, count, (s, c) -> {
                        deferred.add(s, c);
                        for (long b = s; b < s + c; b++) {
                            isDeferred[(int) b] = true;
                        }
                    }, (s, c) -> { });
                }
                for (int b = 1; b < BLOCKS; b++) {
                    if (isDeferred[b] && refs[b] == 0) {
                        throw new AssertionError("seed " + seed + " step " + step + ": block " + b
                                + " is deferred but unpinned");
                    }
                }
                long pinned = 0;
                for (int r : refs) {
                    pinned += r > 0 ? 1 : 0;
                }
                assertEquals(pinned, pins.pinnedBlocks(), "seed " + seed + " step " + step);
            }
            assertArrayEquals(new boolean[0], new boolean[0]);
        }
    }

    private static void markFreed(boolean[] freed, boolean[] isDeferred, long start, long count) {
        for (long b = start; b < start + count; b++) {
            if (!isDeferred[(int) b]) {
                throw new AssertionError("block " + b + " freed but was not deferred");
            }
            isDeferred[(int) b] = false;
            freed[(int) b] = true;
        }
    }
}
