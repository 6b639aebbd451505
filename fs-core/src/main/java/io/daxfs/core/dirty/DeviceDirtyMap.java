package io.daxfs.core.dirty;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The coarse, device-level dirty map for syncfs (seed 004's "1/N of capacity" extents): one bit
 * per region of the device. syncfs flushes the marked regions whole, so its cost follows the
 * number of regions written since the last sync, not the number of files. Thread-safe.
 */
public final class DeviceDirtyMap {
    public static final int REGIONS = 1024;

    private final long regionBytes;
    private final BitSet dirty = new BitSet(REGIONS);

    public DeviceDirtyMap(long deviceBytes) {
        long region = (deviceBytes + REGIONS - 1) / REGIONS;
        this.regionBytes = Math.max(4096, (region + 4095) & ~4095L);
    }

    public long regionBytes() {
        return regionBytes;
    }

    public synchronized void mark(long deviceOffset, long length) {
        if (length <= 0) {
            return;
        }
        int first = (int) (deviceOffset / regionBytes);
        int last = (int) ((deviceOffset + length - 1) / regionBytes);
        dirty.set(first, last + 1);
    }

    /** Takes the dirty regions as (offset, length) byte ranges and clears the map. */
    public synchronized List<long[]> drain() {
        List<long[]> out = new ArrayList<>();
        for (int r = dirty.nextSetBit(0); r >= 0; r = dirty.nextSetBit(r + 1)) {
            out.add(new long[] {r * regionBytes, regionBytes});
        }
        dirty.clear();
        return out;
    }
}
