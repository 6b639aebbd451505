package io.daxfs.core.balloc;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One slice of the data area with its own free-extent tree and lock (NOVA's per-CPU free list):
 * {@link BlockAllocator} gives each thread a home region, so threads that write different files
 * allocate and free without meeting. The tree holds only blocks of {@code [start, end)}; the
 * cache of recently freed single blocks may hold any region's blocks (a thread frees into its own
 * region's cache whichever region the block came from). Not thread-safe by itself: callers hold
 * {@link #lock}.
 */
final class FreeRegion {
    /** How many recently freed single blocks are kept out of the tree. */
    private static final int SINGLES = 64;

    final ReentrantLock lock = new ReentrantLock();
    final long start;
    final long end;
    private final TreeMap<Long, Long> free = new TreeMap<>();
    /**
     * Recently freed single blocks, not in any tree: random 4 KiB copy-on-write frees one block and
     * allocates one per write, and in a tree fragmented by exactly that each insert costs a walk of
     * cache misses. Handing them straight back makes that pair O(1).
     */
    private final long[] singles = new long[SINGLES];
    private int singleCount;
    private long treeBlocks;
    /** Blocks this region can hand out (tree and cache); read without the lock for estimates. */
    private volatile long available;

    FreeRegion(long start, long end) {
        this.start = start;
        this.end = end;
    }

    boolean owns(long block) {
        return block >= start && block < end;
    }

    long available() {
        return available;
    }

    long treeBlocks() {
        return treeBlocks;
    }

    /** A cached single block, or -1 when the cache is empty. */
    long takeSingle() {
        if (singleCount == 0) {
            return -1;
        }
        available--;
        return singles[--singleCount];
    }

    /** Caches a freed single block; false when the cache is full. */
    boolean cacheSingle(long block) {
        if (singleCount == SINGLES) {
            return false;
        }
        for (int i = 0; i < singleCount; i++) {
            if (singles[i] == block) {
                throw new IllegalStateException("double free of blocks " + block + "+1");
            }
        }
        if (owns(block) && inTree(block)) {
            throw new IllegalStateException("double free of blocks " + block + "+1");
        }
        singles[singleCount++] = block;
        available++;
        return true;
    }

    /** Empties the single-block cache, returning what it held (to be inserted by their owners). */
    long[] drainSingles() {
        long[] out = java.util.Arrays.copyOf(singles, singleCount);
        available -= singleCount;
        singleCount = 0;
        return out;
    }

    /**
     * Takes {@code count} blocks from the tree into {@code out} (2 MiB-aligned runs first when
     * {@code huge}); the tree must hold that many. Lowest address first, so blocks just freed are
     * used again before untouched ones: on memory that is only backed on first touch (an
     * emulated device on tmpfs) a moving cursor made every pass through new space pay a page
     * fault per 4 KiB, and the image's resident size grew to the whole device.
     */
    void allocate(long count, boolean huge, List<Extent> out) {
        if (count > treeBlocks) {
            throw new IllegalStateException("region holds " + treeBlocks + " blocks, " + count + " asked");
        }
        long remaining = count;
        if (huge && count >= BlockAllocator.HUGE_PAGE_BLOCKS) {
            remaining = takeAligned(remaining, out);
        }
        while (remaining > 0) {
            Map.Entry<Long, Long> e = free.firstEntry();
            long take = Math.min(remaining, e.getValue());
            take(e.getKey(), e.getValue(), e.getKey(), take);
            out.add(new Extent(e.getKey(), take));
            remaining -= take;
        }
    }

    /** Takes 2 MiB-aligned runs of at least 512 blocks while they last; returns what is still needed. */
    private long takeAligned(long remaining, List<Extent> out) {
        long huge = BlockAllocator.HUGE_PAGE_BLOCKS;
        Long key = free.isEmpty() ? null : free.firstKey();
        while (key != null && remaining >= huge) {
            long length = free.get(key);
            long aligned = (key + huge - 1) / huge * huge;
            long usable = key + length - aligned;
            if (usable >= huge) {
                long take = Math.min(remaining, usable);
                take(key, length, aligned, take);
                out.add(new Extent(aligned, take));
                remaining -= take;
                key = free.higherKey(aligned);
            } else {
                key = free.higherKey(key);
            }
        }
        return remaining;
    }

    /** Removes {@code [from, from+count)}, which must lie inside one free extent of the tree. */
    void takeRange(long from, long count) {
        Map.Entry<Long, Long> e = free.floorEntry(from);
        if (e == null || e.getKey() + e.getValue() < from + count) {
            throw new IllegalStateException("blocks " + from + "+" + count + " are not free");
        }
        take(e.getKey(), e.getValue(), from, count);
    }

    /** Removes {@code [from, from+count)} from the free extent {@code [key, key+length)}. */
    private void take(long key, long length, long from, long count) {
        free.remove(key);
        if (from > key) {
            free.put(key, from - key);
        }
        long stop = from + count;
        if (stop < key + length) {
            free.put(stop, key + length - stop);
        }
        treeBlocks -= count;
        available -= count;
    }

    /** Puts {@code [from, from+count)} (blocks of this region) back into the tree, merging with neighbours. */
    void insert(long from, long count) {
        if (count == 0) {
            return;
        }
        if (!owns(from) || !owns(from + count - 1)) {
            throw new IllegalArgumentException("blocks " + from + "+" + count + " are not in region " + start + ".." + end);
        }
        Map.Entry<Long, Long> before = free.floorEntry(from);
        Map.Entry<Long, Long> after = free.ceilingEntry(from);
        if ((before != null && before.getKey() + before.getValue() > from)
                || (after != null && after.getKey() < from + count)) {
            throw new IllegalStateException("double free of blocks " + from + "+" + count);
        }
        long newStart = from;
        long newCount = count;
        if (before != null && before.getKey() + before.getValue() == from) {
            newStart = before.getKey();
            newCount += before.getValue();
            free.remove(before.getKey());
        }
        if (after != null && after.getKey() == from + count) {
            newCount += after.getValue();
            free.remove(after.getKey());
        }
        free.put(newStart, newCount);
        treeBlocks += count;
        available += count;
    }

    /**
     * Takes out of the tree the blocks of {@code used} it holds (a loaded free list that called
     * them free); returns how many.
     */
    long withhold(BitSet used) {
        long withheld = 0;
        for (Extent e : extents()) {
            long end = e.end();
            int clash = used.nextSetBit((int) e.start());
            if (clash < 0 || clash >= end) {
                continue;
            }
            take(e.start(), e.count(), e.start(), e.count());
            for (long pos = e.start(); pos < end; ) {
                long u = used.nextSetBit((int) pos);
                long stop = u < 0 || u >= end ? end : u;
                if (stop > pos) {
                    insert(pos, stop - pos);
                }
                if (stop >= end) {
                    break;
                }
                pos = Math.min(end, used.nextClearBit((int) stop));
                withheld += pos - stop;
            }
        }
        return withheld;
    }

    /** Inserts the blocks of {@code [from, from+count)} that are neither free already nor in {@code shared}. */
    void insertMissing(long from, long count, BitSet shared) {
        long end = from + count;
        long pos = from;
        while (pos < end) {
            Map.Entry<Long, Long> inside = free.floorEntry(pos);
            if (inside != null && inside.getKey() + inside.getValue() > pos) {
                pos = inside.getKey() + inside.getValue();
                continue;
            }
            Long next = free.higherKey(pos);
            long stop = next == null ? end : Math.min(end, next);
            for (long b = pos; b < stop; ) {
                long clash = shared.nextSetBit((int) b);
                long upTo = clash < 0 || clash >= stop ? stop : clash;
                if (upTo > b) {
                    insert(b, upTo - b);
                }
                b = upTo >= stop ? stop : shared.nextClearBit((int) upTo);
            }
            pos = stop;
        }
    }

    private boolean inTree(long block) {
        Map.Entry<Long, Long> e = free.floorEntry(block);
        return e != null && e.getKey() + e.getValue() > block;
    }

    /** The tree's extents in block order (the cache must have been drained for a whole view). */
    List<Extent> extents() {
        List<Extent> out = new ArrayList<>(free.size());
        free.forEach((s, c) -> out.add(new Extent(s, c)));
        return out;
    }
}
