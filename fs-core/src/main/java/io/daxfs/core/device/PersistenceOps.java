package io.daxfs.core.device;

import java.lang.foreign.MemorySegment;

/**
 * The machine-level persistence primitives behind a {@link SegmentDevice}: one implementation per
 * {@link PersistenceMode} (and per available native support).
 */
public interface PersistenceOps {

    /** The mode these operations implement. */
    PersistenceMode mode();

    /** Copies {@code src} to {@code dst} so that it is durable after {@link #fence}. */
    void copyFlushcache(MemorySegment src, MemorySegment dst);

    /**
     * Zeroes {@code range} so that it is durable after {@link #fence}. The default stores and
     * flushes; implementations with streaming stores do better.
     */
    default void zeroFlushcache(MemorySegment range) {
        range.fill((byte) 0);
        flush(range);
    }

    /** Writes back the cache lines of {@code range} (a slice of the device mapping). */
    void flush(MemorySegment range);

    /** Orders and drains previous flushes and non-temporal stores. */
    void fence();

    /** One word for logs, e.g. "native clwb" or "java force". */
    String describe();
}
