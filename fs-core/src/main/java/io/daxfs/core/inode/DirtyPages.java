package io.daxfs.core.inode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The dirty file pages of one inode (seed 004's per-file radix-tree tags): an ordered map of
 * disjoint page ranges, so fsync flushes exactly what was dirtied, at a cost that follows the
 * dirty bytes and not the file size. Thread-safe: mappings mark pages without the inode lock.
 */
public final class DirtyPages {
    /** first page → one past the last page; null until a page is first marked (most inodes never are). */
    private TreeMap<Long, Long> ranges;
    /** Written under the monitor; volatile so that {@link #isClean} needs none. */
    private volatile long pages;

    /** Marks pages {@code [pgoff, pgoff+count)} dirty. */
    public synchronized void mark(long pgoff, long count) {
        if (count <= 0) {
            return;
        }
        if (ranges == null) {
            ranges = new TreeMap<>();
        }
        long start = pgoff;
        long end = pgoff + count;
        Map.Entry<Long, Long> before = ranges.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
        }
        // Copies, not the map's own entries: TreeMap reuses entry objects when it removes nodes.
        List<long[]> covered = new ArrayList<>();
        ranges.subMap(start, true, end, true).forEach((s, e) -> covered.add(new long[] {s, e}));
        for (long[] range : covered) {
            end = Math.max(end, range[1]);
            pages -= range[1] - range[0];
            ranges.remove(range[0]);
        }
        ranges.put(start, end);
        pages += end - start;
    }

    /**
     * Takes every dirty range and clears the map, before the caller flushes them: a page dirtied
     * again while the flush runs is marked again and stays dirty for the next fsync.
     */
    public synchronized List<long[]> drain() {
        if (ranges == null) {
            return new ArrayList<>();
        }
        List<long[]> out = new ArrayList<>(ranges.size());
        ranges.forEach((s, e) -> out.add(new long[] {s, e - s}));
        ranges.clear();
        pages = 0;
        return out;
    }

    public synchronized long pages() {
        return pages;
    }

    /** True when no page is dirty (without the monitor: a snapshot). */
    public boolean isClean() {
        return pages == 0;
    }
}
