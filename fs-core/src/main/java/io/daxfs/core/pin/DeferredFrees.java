package io.daxfs.core.pin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Blocks that a durable commit stopped referencing while they were pinned: they wait here, out of
 * the allocator's reach, until the last pin on them drops. Not thread-safe:
 * {@link io.daxfs.core.volume.BlockReleaser} guards it.
 */
public final class DeferredFrees {
    private final TreeMap<Long, Long> extents = new TreeMap<>();
    private long blocks;

    public void add(long start, long count) {
        Map.Entry<Long, Long> before = extents.floorEntry(start);
        Map.Entry<Long, Long> after = extents.ceilingEntry(start);
        if ((before != null && before.getKey() + before.getValue() > start)
                || (after != null && after.getKey() < start + count)) {
            throw new IllegalStateException("blocks " + start + "+" + count + " released twice");
        }
        extents.put(start, count);
        blocks += count;
    }

    /** The waiting extents as (start, count) pairs, in block order. */
    public List<long[]> extents() {
        List<long[]> out = new ArrayList<>(extents.size());
        extents.forEach((s, c) -> out.add(new long[] {s, c}));
        return out;
    }

    public long blocks() {
        return blocks;
    }

    /** Hands every waiting extent to {@code free} and forgets them all (unmount: nothing pins any more). */
    public void drain(BiConsumer<Long, Long> free) {
        extents.forEach(free);
        extents.clear();
        blocks = 0;
    }

    /**
     * After {@code [start, start+count)} lost a pin, hands every deferred block there that is no
     * longer pinned to {@code free}.
     */
    public void releaseUnpinned(long start, long count, PinTable pins, BiConsumer<Long, Long> free) {
        if (extents.isEmpty()) {
            return;
        }
        long end = start + count;
        Long floor = extents.floorKey(start);
        long from = floor == null ? start : floor;
        // Copies, not the map's own entries: TreeMap reuses entry objects when it removes nodes.
        List<Map.Entry<Long, Long>> overlapping = new ArrayList<>();
        extents.subMap(from, true, end, false).forEach((s, c) -> overlapping.add(Map.entry(s, c)));
        for (Map.Entry<Long, Long> e : overlapping) {
            if (e.getKey() + e.getValue() > start) {
                extents.remove(e.getKey());
                blocks -= e.getValue();
                pins.partition(e.getKey(), e.getValue(), this::add, free);
            }
        }
    }
}
