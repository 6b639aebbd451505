package io.daxfs.core.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The page index against a model (a sorted map page → block) under random replaces and punches,
 * over ranges that cross leaves, fill whole leaves (the contiguous form) and lie far apart (tree
 * growth): every query must answer as the model does.
 */
class FileExtentsTest {
    private static final long LEAF = 512;

    /** The memory count (what the inode cache weighs) follows leaves and nodes as they change form. */
    @Test
    void memoryIsCountedAsTheTreeChanges() {
        FileExtents e = new FileExtents();
        assertEquals(0, e.memoryBytes());
        e.replace(0, 1, 100, (b, c) -> { });
        assertEquals(16 + 8, e.memoryBytes(), "a one-page leaf array");
        e.replace(0, LEAF, 1000, (b, c) -> { });
        assertEquals(16, e.memoryBytes(), "a whole contiguous leaf");
        e.replace(LEAF, 1, 5000, (b, c) -> { });
        assertEquals(16 + 4 * 64 + 16 + 16 + 8, e.memoryBytes(), "a node over two leaves");
        e.replace(3, 1, 7000, (b, c) -> { });
        assertEquals(16 + 4 * 64 + 16 + 8 * LEAF + 16 + 8, e.memoryBytes(), "the contiguous leaf became an array");
        e.replace(0, 2 * LEAF, 0, (b, c) -> { });
        assertEquals(0, e.memoryBytes(), "punched empty");
    }

    @Test
    void matchesModelInSmallFiles() {
        for (int seed = 0; seed < 20; seed++) {
            run(seed, 300, 40, 200);
        }
    }

    @Test
    void matchesModelAcrossLeaves() {
        for (int seed = 0; seed < 10; seed++) {
            run(seed, 4 * LEAF, 2 * LEAF, 150);
        }
    }

    @Test
    void matchesModelInSparseHugeFiles() {
        for (int seed = 0; seed < 8; seed++) {
            run(seed, 1L << 32, 3 * LEAF, 120);
        }
    }

    private static void run(int seed, long pages, long maxCount, int steps) {
        Random random = new Random(seed);
        FileExtents extents = new FileExtents();
        TreeMap<Long, Long> model = new TreeMap<>();
        long nextBlock = 1000;
        List<Long> anchors = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            String where = "seed " + seed + " step " + step;
            long pgoff = pickPage(random, pages, maxCount, anchors);
            long count = 1 + (random.nextBoolean() ? random.nextInt(3) : random.nextLong(maxCount));
            if (random.nextInt(6) == 0) {
                pgoff = pgoff / LEAF * LEAF;
                count = LEAF * (1 + random.nextInt(2));
            }
            boolean hole = random.nextInt(5) == 0;
            long block = hole ? 0 : nextBlock;
            nextBlock += count + random.nextInt(2);
            List<Long> expectFreed = new ArrayList<>();
            for (Map.Entry<Long, Long> e : model.subMap(pgoff, pgoff + count).entrySet()) {
                expectFreed.add(e.getValue());
            }
            if (hole) {
                model.subMap(pgoff, pgoff + count).clear();
            } else {
                for (long p = pgoff; p < pgoff + count; p++) {
                    model.put(p, block + (p - pgoff));
                }
            }
            List<Long> freed = new ArrayList<>();
            extents.replace(pgoff, count, block, (b, c) -> {
                for (long k = 0; k < c; k++) {
                    freed.add(b + k);
                }
            });
            freed.sort(null);
            expectFreed.sort(null);
            assertEquals(expectFreed, freed, where + " freed");
            assertEquals(model.size(), extents.mappedPages(), where + " mapped pages");
            assertEquals(model.isEmpty() ? 0 : model.lastKey() + 1, extents.mappedEnd(), where + " mapped end");
            checkQueries(extents, model, random, pages, maxCount, anchors, where);
            if (step % 20 == 0 || step == steps - 1) {
                assertEquals(modelRuns(model, 0, Long.MAX_VALUE), extents.runs(), where + " runs");
            }
        }
    }

    private static long pickPage(Random random, long pages, long maxCount, List<Long> anchors) {
        if (!anchors.isEmpty() && random.nextBoolean()) {
            long a = anchors.get(random.nextInt(anchors.size()));
            return Math.max(0, Math.min(pages - maxCount - 1, a + random.nextLong(2 * maxCount) - maxCount));
        }
        long page = random.nextLong(pages - maxCount);
        anchors.add(page);
        return page;
    }

    private static void checkQueries(FileExtents extents, TreeMap<Long, Long> model, Random random, long pages,
            long maxCount, List<Long> anchors, String where) {
        List<Long> probes = new ArrayList<>();
        for (int i = 0; i < 40 && !model.isEmpty(); i++) {
            Map.Entry<Long, Long> e = model.ceilingEntry(random.nextLong(model.lastKey() + 1));
            probes.add(e.getKey());
            probes.add(e.getKey() + 1);
            probes.add(Math.max(0, e.getKey() - 1));
        }
        for (int i = 0; i < 50; i++) {
            probes.add(pickPage(random, pages, maxCount, new ArrayList<>(anchors)));
        }
        for (long p : probes) {
            long expect = model.getOrDefault(p, 0L);
            assertEquals(expect, extents.blockOf(p), where + " block of " + p);
            Long next = model.higherKey(p);
            assertEquals(next == null ? -1 : next, extents.nextMapped(p), where + " next after " + p);
            long limit = p + 1 + random.nextLong(3 * LEAF);
            FileExtents.Run run = extents.find(p, limit);
            if (expect == 0) {
                assertNull(run, where + " hole at " + p);
                continue;
            }
            long end = p + 1;
            while (end < limit && model.getOrDefault(end, 0L) == expect + (end - p)) {
                end++;
            }
            assertEquals(new FileExtents.Run(p, expect, end - p), run, where + " run at " + p);
            long count = 1 + random.nextLong(2 * LEAF);
            assertEquals(modelRuns(model, p, p + count), extents.runsIn(p, count), where + " runs in " + p);
        }
        assertTrue(extents.memoryBytes() >= 0);
    }

    /** Maximal runs of the model's pages in {@code [from, to)}. */
    private static List<FileExtents.Run> modelRuns(TreeMap<Long, Long> model, long from, long to) {
        List<FileExtents.Run> out = new ArrayList<>();
        long start = -1;
        long first = 0;
        long count = 0;
        for (Map.Entry<Long, Long> e : model.subMap(from, to).entrySet()) {
            if (count > 0 && e.getKey() == start + count && e.getValue() == first + count) {
                count++;
                continue;
            }
            if (count > 0) {
                out.add(new FileExtents.Run(start, first, count));
            }
            start = e.getKey();
            first = e.getValue();
            count = 1;
        }
        if (count > 0) {
            out.add(new FileExtents.Run(start, first, count));
        }
        return out;
    }
}
