package io.daxfs.core.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The extent map against a page-by-page model under random replaces and punches. */
class FileExtentsTest {
    private static final int PAGES = 300;

    @Test
    void matchesPerPageModel() {
        for (int seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            FileExtents extents = new FileExtents();
            long[] model = new long[PAGES];
            long[] freedCount = new long[1];
            long nextBlock = 1000;
            for (int step = 0; step < 200; step++) {
                long pgoff = random.nextInt(PAGES - 40);
                long count = 1 + random.nextInt(random.nextBoolean() ? 2 : 40);
                boolean hole = random.nextInt(5) == 0;
                long block = hole ? 0 : nextBlock;
                nextBlock += count + random.nextInt(2);
                long expectFreed = 0;
                for (long p = pgoff; p < pgoff + count; p++) {
                    expectFreed += model[(int) p] != 0 ? 1 : 0;
                    model[(int) p] = hole ? 0 : block + (p - pgoff);
                }
                freedCount[0] = 0;
                extents.replace(pgoff, count, block, (b, c) -> freedCount[0] += c);
                assertEquals(expectFreed, freedCount[0], "seed " + seed + " step " + step);
                long mapped = Arrays.stream(model).filter(b -> b != 0).count();
                assertEquals(mapped, extents.mappedPages(), "seed " + seed + " step " + step);
                for (int p = 0; p < PAGES; p++) {
                    FileExtents.Run run = extents.find(p);
                    assertEquals(model[p], run == null ? 0 : run.blockOf(p), "seed " + seed + " page " + p);
                }
            }
        }
    }
}
