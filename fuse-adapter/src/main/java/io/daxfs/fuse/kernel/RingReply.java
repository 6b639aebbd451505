package io.daxfs.fuse.kernel;

import java.lang.foreign.MemorySegment;

/**
 * A reply written into a FUSE-over-io_uring {@link RingEntry}; its {@link RingQueue} commits it
 * after the dispatch. Segments (a zero-copy READ) are copied into the entry's payload: the ring
 * takes the reply from there alone. {@link #ok} cannot know whether the kernel takes the reply (the
 * commit's completion says, later), so it answers true; a ring request is not abandoned by an
 * interrupt, only with the whole connection.
 */
final class RingReply extends Reply {
    private final RingEntry entry;
    private boolean answered;

    RingReply(RingEntry entry) {
        this.entry = entry;
    }

    /** Forgets the previous request's reply. */
    void clear() {
        answered = false;
    }

    /** Whether the request in the entry has been answered since {@link #clear}. */
    boolean answered() {
        return answered;
    }

    @Override
    MemorySegment payload() {
        return entry.payload();
    }

    @Override
    void error(long unique, int errno) {
        entry.answer(unique, -errno, 0);
        answered = true;
    }

    @Override
    boolean ok(long unique, long length) {
        entry.answer(unique, 0, length);
        answered = true;
        return true;
    }

    @Override
    void segments(long unique, MemorySegment[] segments) {
        MemorySegment payload = entry.payload();
        long at = 0;
        for (MemorySegment s : segments) {
            if (s.byteSize() > payload.byteSize() - at) {
                throw new FuseError(FuseError.EIO, "reply larger than the ring's payload of " + payload.byteSize());
            }
            MemorySegment.copy(s, 0, payload, at, s.byteSize());
            at += s.byteSize();
        }
        ok(unique, at);
    }
}
