package io.daxfs.core.extent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * The DRAM index of one file: which device blocks hold which file pages. An ordered map of
 * non-overlapping runs (file page, device block, page count); pages in no run are holes.
 * Adjacent runs that continue each other on the device are merged, so a sequentially written
 * file is a handful of runs whatever its size. Guarded by the inode lock.
 */
public final class FileExtents {
    /** Pages {@code [pgoff, pgoff+count)} in blocks {@code [block, block+count)}. */
    public record Run(long pgoff, long block, long count) {
        public long end() {
            return pgoff + count;
        }

        /** The device block of file page {@code page}, which this run must cover. */
        public long blockOf(long page) {
            return block + (page - pgoff);
        }
    }

    private final TreeMap<Long, Run> runs = new TreeMap<>();
    private long mappedPages;

    /** Pages that have a block (what {@code st_blocks} counts). */
    public long mappedPages() {
        return mappedPages;
    }

    public int runCount() {
        return runs.size();
    }

    /** One past the last mapped page, 0 when nothing is mapped. */
    public long mappedEnd() {
        Map.Entry<Long, Run> last = runs.lastEntry();
        return last == null ? 0 : last.getValue().end();
    }

    /** The run covering {@code page}, or null for a hole. */
    public Run find(long page) {
        Map.Entry<Long, Run> e = runs.floorEntry(page);
        return e != null && e.getValue().end() > page ? e.getValue() : null;
    }

    /** The first run that starts after {@code page}, or null. */
    public Run nextAfter(long page) {
        Map.Entry<Long, Run> e = runs.higherEntry(page);
        return e == null ? null : e.getValue();
    }

    /**
     * Points pages {@code [pgoff, pgoff+count)} at {@code block..} (or makes them a hole when
     * {@code block} is 0). Each run of blocks that no longer backs a page is passed to
     * {@code replaced} as (block, count).
     */
    public void replace(long pgoff, long count, long block, BiConsumer<Long, Long> replaced) {
        if (block != 0 && replaceInsideOneRun(pgoff, count, block, replaced)) {
            return;
        }
        cut(pgoff, count, replaced);
        if (block == 0) {
            return;
        }
        long start = pgoff;
        long startBlock = block;
        long total = count;
        Map.Entry<Long, Run> before = runs.lowerEntry(pgoff);
        if (before != null && before.getValue().end() == pgoff
                && before.getValue().block() + before.getValue().count() == block) {
            start = before.getKey();
            startBlock = before.getValue().block();
            total += before.getValue().count();
            runs.remove(before.getKey());
        }
        Run after = runs.get(pgoff + count);
        if (after != null && after.block() == block + count) {
            total += after.count();
            runs.remove(after.pgoff());
        }
        runs.put(start, new Run(start, startBlock, total));
        mappedPages += count;
    }

    /**
     * The overwrite fast path: when the pages lie inside one run, split that run around the new
     * blocks with at most three map updates. Returns false when the pages are not inside one run.
     */
    private boolean replaceInsideOneRun(long pgoff, long count, long block, BiConsumer<Long, Long> replaced) {
        Map.Entry<Long, Run> e = runs.floorEntry(pgoff);
        if (e == null || e.getValue().end() < pgoff + count) {
            return false;
        }
        Run run = e.getValue();
        long end = pgoff + count;
        if (run.pgoff() < pgoff) {
            runs.put(run.pgoff(), new Run(run.pgoff(), run.block(), pgoff - run.pgoff()));
        }
        runs.put(pgoff, new Run(pgoff, block, count));
        if (end < run.end()) {
            runs.put(end, new Run(end, run.blockOf(end), run.end() - end));
        }
        replaced.accept(run.blockOf(pgoff), count);
        return true;
    }

    /** Removes the mapping of {@code [pgoff, pgoff+count)}, reporting the freed blocks. */
    private void cut(long pgoff, long count, BiConsumer<Long, Long> replaced) {
        long end = pgoff + count;
        Map.Entry<Long, Run> e = runs.floorEntry(pgoff);
        if (e == null || e.getValue().end() <= pgoff) {
            e = runs.higherEntry(pgoff);
        }
        while (e != null && e.getKey() < end) {
            Run run = e.getValue();
            runs.remove(run.pgoff());
            long cutStart = Math.max(run.pgoff(), pgoff);
            long cutEnd = Math.min(run.end(), end);
            if (run.pgoff() < cutStart) {
                runs.put(run.pgoff(), new Run(run.pgoff(), run.block(), cutStart - run.pgoff()));
            }
            if (cutEnd < run.end()) {
                runs.put(cutEnd, new Run(cutEnd, run.blockOf(cutEnd), run.end() - cutEnd));
            }
            replaced.accept(run.blockOf(cutStart), cutEnd - cutStart);
            mappedPages -= cutEnd - cutStart;
            e = runs.higherEntry(run.pgoff());
        }
    }

    /** All runs in file order (a copy). */
    public List<Run> runs() {
        return new ArrayList<>(runs.values());
    }

    /** Runs overlapping pages {@code [pgoff, pgoff+count)}, in order. */
    public List<Run> runsIn(long pgoff, long count) {
        List<Run> out = new ArrayList<>();
        Map.Entry<Long, Run> first = runs.floorEntry(pgoff);
        Long from = first != null && first.getValue().end() > pgoff ? first.getKey() : Long.valueOf(pgoff);
        for (Run run : runs.subMap(from, true, pgoff + count, false).values()) {
            out.add(run);
        }
        return out;
    }
}
