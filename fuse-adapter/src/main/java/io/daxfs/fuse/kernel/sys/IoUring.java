package io.daxfs.fuse.kernel.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance as FUSE over io_uring needs it ({@code include/uapi/linux/io_uring.h}):
 * 128-byte submission entries (IORING_SETUP_SQE128: a uring command's 80-byte area), one issuer
 * and deferred task work (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN: completions are
 * run by the owner while it waits in io_uring_enter, not by interrupting it). So the thread that
 * {@link #create creates} it is the only one that may use it, and {@link #close} it. The ring
 * heads and tails shared with the kernel are read with acquire and written with release order.
 */
public final class IoUring implements AutoCloseable {
    /** Bytes of one submission entry with SQE128. */
    public static final int SQE_SIZE = 128;
    /** The head of the command area of a uring command SQE ({@code sqe->cmd}). */
    public static final int SQE_CMD = 48;
    public static final int SETUP_SQE128 = 1 << 10;
    public static final int SETUP_SINGLE_ISSUER = 1 << 12;
    public static final int SETUP_DEFER_TASKRUN = 1 << 13;
    private static final int ENTER_GETEVENTS = 1;
    private static final int FEAT_SINGLE_MMAP = 1;
    private static final long OFF_SQ_RING = 0;
    private static final long OFF_CQ_RING = 0x8000000L;
    private static final long OFF_SQES = 0x10000000L;
    /** {@code struct io_uring_params}; the offsets of {@code sq_off} and {@code cq_off} in it. */
    private static final int PARAMS_SIZE = 120;
    private static final int SQ_OFF = 40;
    private static final int CQ_OFF = 80;
    private static final int CQE_SIZE = 16;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final VarHandle SHARED_INT = INT.varHandle();

    private final int fd;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final long sqTailAt;
    private final long sqHeadAt;
    private final int sqMask;
    private final int sqEntries;
    private final long cqHeadAt;
    private final long cqTailAt;
    private final long cqesAt;
    private final int cqMask;
    /** SQEs written by {@link #nextSqe} and not yet handed to the kernel. */
    private int unsubmitted;

    private IoUring(int fd, MemorySegment params, MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes) {
        this.fd = fd;
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        this.sqEntries = params.get(INT, 0);
        this.sqHeadAt = Integer.toUnsignedLong(params.get(INT, SQ_OFF));
        this.sqTailAt = Integer.toUnsignedLong(params.get(INT, SQ_OFF + 4));
        this.sqMask = sqRing.get(INT, Integer.toUnsignedLong(params.get(INT, SQ_OFF + 8)));
        this.cqHeadAt = Integer.toUnsignedLong(params.get(INT, CQ_OFF));
        this.cqTailAt = Integer.toUnsignedLong(params.get(INT, CQ_OFF + 4));
        this.cqMask = cqRing.get(INT, Integer.toUnsignedLong(params.get(INT, CQ_OFF + 8)));
        this.cqesAt = Integer.toUnsignedLong(params.get(INT, CQ_OFF + 20));
        long array = Integer.toUnsignedLong(params.get(INT, SQ_OFF + 24));
        for (int i = 0; i < sqEntries; i++) { // SQE i is always slot i: the indirection array is the identity
            sqRing.setAtIndex(INT, array / 4 + i, i);
        }
    }

    /** A ring of at least {@code entries} submission entries (a power of two), set up with {@code flags}. */
    public static IoUring create(int entries, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(PARAMS_SIZE, 8);
            params.set(INT, 8, flags);
            int fd = Syscalls.ioUringSetup(entries, params);
            MemorySegment sq = null;
            MemorySegment cq = null;
            try {
                long sqSize = Integer.toUnsignedLong(params.get(INT, SQ_OFF + 24)) + 4L * params.get(INT, 0);
                long cqSize = Integer.toUnsignedLong(params.get(INT, CQ_OFF + 20)) + (long) CQE_SIZE * params.get(INT, 4);
                if ((params.get(INT, 20) & FEAT_SINGLE_MMAP) != 0) {
                    sq = Syscalls.mapShared(fd, Math.max(sqSize, cqSize), OFF_SQ_RING);
                    cq = sq;
                } else {
                    sq = Syscalls.mapShared(fd, sqSize, OFF_SQ_RING);
                    cq = Syscalls.mapShared(fd, cqSize, OFF_CQ_RING);
                }
                MemorySegment sqes = Syscalls.mapShared(fd, (long) SQE_SIZE * params.get(INT, 0), OFF_SQES);
                return new IoUring(fd, params, sq, cq, sqes);
            } catch (ErrnoException e) {
                if (cq != null && cq != sq) {
                    Syscalls.unmap(cq);
                }
                if (sq != null) {
                    Syscalls.unmap(sq);
                }
                Syscalls.close(fd);
                throw e;
            }
        }
    }

    /** The next free submission entry, zeroed; it goes to the kernel with the next {@link #submitAndWait}. */
    public MemorySegment nextSqe() {
        int head = (int) SHARED_INT.getAcquire(sqRing, sqHeadAt);
        int tail = sqRing.get(INT, sqTailAt) + unsubmitted;
        if (tail - head >= sqEntries) {
            throw new IllegalStateException("submission queue full: " + sqEntries + " entries");
        }
        MemorySegment sqe = sqes.asSlice((long) (tail & sqMask) * SQE_SIZE, SQE_SIZE);
        sqe.fill((byte) 0);
        unsubmitted++;
        return sqe;
    }

    /**
     * Hands the entries written since the last call to the kernel and waits for one completion,
     * which it consumes: its result (-errno on failure). Retried across signals. The ring's owner
     * serves one entry, so the completion's {@code user_data} is not needed (and no object is made
     * per request).
     */
    public int submitAndWait() throws ErrnoException {
        int toSubmit = publish();
        while (true) {
            if (toSubmit == 0) {
                int head = cqRing.get(INT, cqHeadAt);
                int tail = (int) SHARED_INT.getAcquire(cqRing, cqTailAt);
                if (head != tail) {
                    int result = cqRing.get(INT, cqesAt + (long) (head & cqMask) * CQE_SIZE + 8);
                    SHARED_INT.setRelease(cqRing, cqHeadAt, head + 1);
                    return result;
                }
            }
            try {
                toSubmit -= Syscalls.ioUringEnter(fd, toSubmit, 1, ENTER_GETEVENTS);
            } catch (ErrnoException e) {
                if (e.errno() != Syscalls.EINTR) {
                    throw e;
                }
            }
        }
    }

    /** Makes the entries written by {@link #nextSqe} visible to the kernel; how many they are. */
    private int publish() {
        int n = unsubmitted;
        if (n > 0) {
            SHARED_INT.setRelease(sqRing, sqTailAt, sqRing.get(INT, sqTailAt) + n);
        }
        unsubmitted = 0;
        return n;
    }

    @Override
    public void close() {
        Syscalls.unmap(sqes);
        if (cqRing != sqRing) {
            Syscalls.unmap(cqRing);
        }
        Syscalls.unmap(sqRing);
        Syscalls.close(fd);
    }
}
