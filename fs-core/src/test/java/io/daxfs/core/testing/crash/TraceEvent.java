package io.daxfs.core.testing.crash;

/**
 * One entry of a {@link RecordingDevice}'s trace, in the order the device saw it. Read back by
 * {@link CacheLineModel} to rebuild the media state at every crash point.
 */
sealed interface TraceEvent {

    /**
     * Bytes stored at {@code offset}: cached ({@code write}, {@code storeRelease}) or non-temporal
     * ({@code copyIn}). {@code data} is a private copy and never changes.
     */
    record Store(long offset, byte[] data, boolean nonTemporal) implements TraceEvent {}

    /** A non-temporal zeroing of a range; kept apart from {@link Store} so it costs no bytes. */
    record Zero(long offset, long length) implements TraceEvent {}

    /** A cache write-back of a range. */
    record Flush(long offset, long length) implements TraceEvent {}

    /** A fence: every write-back and non-temporal store before it is durable after it. */
    record Fence() implements TraceEvent {}

    /** A test's label for "the operation so named has completed". */
    record Mark(String label) implements TraceEvent {}
}
