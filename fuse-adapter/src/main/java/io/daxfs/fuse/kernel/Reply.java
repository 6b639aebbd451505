package io.daxfs.fuse.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Where the {@link Dispatcher} writes the answer to one request, whichever transport carried it: a
 * payload area, then exactly one of {@link #ok}, {@link #error} or {@link #segments}. Each serving
 * thread owns one and reuses it for every request it serves.
 * {@link DeviceReply} writes to {@code /dev/fuse}; {@link RingReply} fills a FUSE-over-io_uring
 * entry that its queue then commits.
 */
abstract sealed class Reply permits DeviceReply, RingReply {
    /** UIO_MAXIOV: the most iovecs one writev takes, and so the most segments of one reply. */
    static final int MAX_IOV = 1024;

    /** Where the payload of an {@link #ok} reply is written. */
    abstract MemorySegment payload();

    abstract void error(long unique, int errno);

    /**
     * Replies with the first {@code length} bytes of {@link #payload()}; false when the kernel
     * did not take it (the request was abandoned), so a reply that counted lookups can give
     * them back.
     */
    abstract boolean ok(long unique, long length);

    /** Replies with the concatenation of {@code segments} (at most {@link #MAX_IOV} - 1 of them). */
    abstract void segments(long unique, MemorySegment[] segments);
}
