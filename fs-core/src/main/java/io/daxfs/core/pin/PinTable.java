package io.daxfs.core.pin;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Device blocks that something outside the inode lock still uses (a DAX mapping), as disjoint
 * runs with reference counts: an in-memory interval tree (seed 002, option 2). Nothing of this is
 * on the media. Not thread-safe: {@link io.daxfs.core.volume.BlockReleaser} guards it.
 */
public final class PinTable {
    /** start block → {end block, references}. */
    private final TreeMap<Long, long[]> runs = new TreeMap<>();

    /** Adds one reference to every block of {@code [start, start+count)}. */
    public void pin(long start, long count) {
        long end = checkedEnd(start, count);
        splitAt(start);
        splitAt(end);
        long pos = start;
        for (Map.Entry<Long, long[]> e : new TreeMap<>(runs.subMap(start, true, end, false)).entrySet()) {
            if (e.getKey() > pos) {
                runs.put(pos, new long[] {e.getKey(), 1});
            }
            e.getValue()[1]++;
            pos = e.getValue()[0];
        }
        if (pos < end) {
            runs.put(pos, new long[] {end, 1});
        }
    }

    /** Drops one reference from every block of {@code [start, start+count)}. */
    public void unpin(long start, long count) {
        long end = checkedEnd(start, count);
        splitAt(start);
        splitAt(end);
        long pos = start;
        for (Map.Entry<Long, long[]> e : new TreeMap<>(runs.subMap(start, true, end, false)).entrySet()) {
            if (e.getKey() != pos) {
                throw new IllegalStateException("unpin of blocks " + pos + ".." + e.getKey() + " that are not pinned");
            }
            if (--e.getValue()[1] == 0) {
                runs.remove(e.getKey());
            }
            pos = e.getValue()[0];
        }
        if (pos != end) {
            throw new IllegalStateException("unpin of blocks " + pos + ".." + end + " that are not pinned");
        }
    }

    /** Calls {@code pinned} or {@code free} for each maximal part of {@code [start, start+count)}. */
    public void partition(long start, long count, BiConsumer<Long, Long> pinned, BiConsumer<Long, Long> free) {
        long end = checkedEnd(start, count);
        long pos = start;
        Map.Entry<Long, long[]> e = runs.floorEntry(start);
        if (e == null || e.getValue()[0] <= start) {
            e = runs.higherEntry(start);
        }
        while (pos < end) {
            if (e == null || e.getKey() >= end) {
                free.accept(pos, end - pos);
                return;
            }
            long runStart = Math.max(e.getKey(), pos);
            if (runStart > pos) {
                free.accept(pos, runStart - pos);
            }
            long runEnd = Math.min(e.getValue()[0], end);
            pinned.accept(runStart, runEnd - runStart);
            pos = runEnd;
            e = runs.higherEntry(e.getKey());
        }
    }

    /** Blocks with at least one reference. */
    public long pinnedBlocks() {
        long total = 0;
        for (Map.Entry<Long, long[]> e : runs.entrySet()) {
            total += e.getValue()[0] - e.getKey();
        }
        return total;
    }

    private void splitAt(long block) {
        Map.Entry<Long, long[]> e = runs.lowerEntry(block);
        if (e != null && e.getValue()[0] > block) {
            long[] tail = {e.getValue()[0], e.getValue()[1]};
            e.getValue()[0] = block;
            runs.put(block, tail);
        }
    }

    private static long checkedEnd(long start, long count) {
        if (start <= 0 || count <= 0) {
            throw new IllegalArgumentException("invalid block range " + start + "+" + count);
        }
        return start + count;
    }
}
