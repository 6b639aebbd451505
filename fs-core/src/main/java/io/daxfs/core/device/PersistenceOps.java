package io.daxfs.core.device;

import java.lang.foreign.MemorySegment;

/**
 * The machine-level persistence primitives behind a {@link SegmentDevice}: one implementation per
 * {@link PersistenceMode} (and per available native support).
 *
 * <p>Every range is given as the whole device mapping, an offset and a length, so that no call
 * makes a slice object; the caller ({@link SegmentDevice}) has checked that the ranges lie in their
 * segments, that the mapping is open, and, for stores, that it is writable.
 */
public interface PersistenceOps {

    /** The mode these operations implement. */
    PersistenceMode mode();

    /**
     * Copies {@code length} bytes of {@code src} from {@code srcOffset} to {@code mapping} at
     * {@code offset} so that they are durable after {@link #fence}.
     */
    void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment mapping, long offset, long length);

    /**
     * Zeroes a range so that it is durable after {@link #fence}. The default stores and flushes;
     * implementations with streaming stores do better.
     */
    default void zeroFlushcache(MemorySegment mapping, long offset, long length) {
        mapping.asSlice(offset, length).fill((byte) 0);
        flush(mapping, offset, length);
    }

    /** Writes back the cache lines of a range of the mapping. */
    void flush(MemorySegment mapping, long offset, long length);

    /** Orders and drains previous flushes and non-temporal stores. */
    void fence();

    /** One word for logs, e.g. "native clwb" or "java force". */
    String describe();
}
