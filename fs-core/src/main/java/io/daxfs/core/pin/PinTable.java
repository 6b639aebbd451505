package io.daxfs.core.pin;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Device blocks that something outside the inode lock still uses (a DAX mapping, a read reply
 * being written), as disjoint
 * runs with reference counts: an in-memory interval tree (seed 002, option 2). Nothing of this is
 * on the media. Not thread-safe: each stripe of {@link io.daxfs.core.volume.BlockReleaser} guards its own.
 */
public final class PinTable {
    /** start block → {end block, references}. */
    private final TreeMap<Long, long[]> runs = new TreeMap<>();

    /** Adds one reference to every block of {@code [start, start+count)}. */
    public void pin(long start, long count) {
        long end = checkedEnd(start, count);
        if (isUnpinned(start, end)) { // the common case: a fresh run, nothing to split or count up
            runs.put(start, new long[] {end, 1});
            return;
        }
        splitAt(start);
        splitAt(end);
        long pos = start;
        for (Map.Entry<Long, long[]> e = runs.ceilingEntry(start); e != null && e.getKey() < end;
                e = runs.higherEntry(e.getKey())) {
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
        long[] exact = runs.get(start);
        if (exact != null && exact[0] == end && exact[1] == 1) { // the common case: the run one pin made
            runs.remove(start);
            return;
        }
        splitAt(start);
        splitAt(end);
        long pos = start;
        for (Map.Entry<Long, long[]> e = runs.ceilingEntry(start); e != null && e.getKey() < end;
                e = runs.higherEntry(e.getKey())) {
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

    /** Drops every reference (unmount). */
    public void clear() {
        runs.clear();
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

    /** True when no block of {@code [start, end)} has a reference. */
    private boolean isUnpinned(long start, long end) {
        Map.Entry<Long, long[]> before = runs.floorEntry(start);
        if (before != null && before.getValue()[0] > start) {
            return false;
        }
        Long after = runs.higherKey(start);
        return after == null || after >= end;
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
