package io.daxfs.fuse.kernel;

import java.lang.foreign.MemorySegment;

/**
 * How a filesystem answers a READ: either it copies the data into {@link #buffer()} and calls
 * {@link #sendBuffer}, or it hands the segments that hold the data to {@link #sendSegments}, which
 * writes them to the kernel with one writev (the kernel's copy is then the only one) and returns
 * once the kernel has taken the bytes, so the caller may release whatever kept them valid.
 * Exactly one of the two is called per request, unless the request fails with {@link FuseError}.
 */
public interface ReadReply {
    /** A buffer as large as the request asked for. */
    MemorySegment buffer();

    /** Replies with the first {@code bytes} of {@link #buffer()}. */
    void sendBuffer(long bytes);

    /** The most segments {@link #sendSegments} takes at once. */
    int maxSegments();

    /** Replies with the concatenation of {@code segments} (at most the requested size in total). */
    void sendSegments(MemorySegment... segments);
}
