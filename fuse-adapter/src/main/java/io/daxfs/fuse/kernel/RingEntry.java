package io.daxfs.fuse.kernel;

import io.daxfs.fuse.kernel.sys.IoUring;
import io.daxfs.fuse.kernel.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One entry of a FUSE-over-io_uring queue ({@code include/uapi/linux/fuse.h},
 * {@code fs/fuse/dev_uring.c}): the two buffers registered with the kernel, and the uring command
 * SQEs that register and commit it. {@link #header} is {@code struct fuse_uring_req_header}:
 * {@code in_out} (the request's {@code fuse_in_header}, then the reply's {@code fuse_out_header}),
 * {@code op_in} (the request's first argument, its fixed struct) and {@code ring_ent_in_out}
 * (commit id, payload size). {@link #payload} takes the request's other arguments, then the
 * reply's body: a reply overwrites its request, so it is written once the request is read.
 *
 * <p>The payload lies {@link #SLACK} bytes into a larger buffer, so that {@link #request} can copy
 * the header and the fixed struct right before it and hand the {@link Dispatcher} one contiguous
 * request, as read(2) of {@code /dev/fuse} gives it. Sizes the kernel wrote are checked, never
 * trusted: an inconsistent entry is a {@link FuseError} EIO, answered like any failed request.
 */
final class RingEntry {
    static final int HEADER_SIZE = 288;
    static final int OP_IN = 128;
    static final int OP_IN_SIZE = 128;
    static final int COMMIT_ID = 264;
    static final int PAYLOAD_SZ = 272;
    /** Room before the payload for the in header and the largest fixed struct, rounded to a cache line. */
    static final int SLACK = 256;
    static final byte IORING_OP_URING_CMD = 46;
    static final int CMD_REGISTER = 1;
    static final int CMD_COMMIT_AND_FETCH = 2;

    private final MemorySegment header;
    private final MemorySegment slab;
    private final MemorySegment payload;
    /** The two iovecs of REGISTER: the header, then the payload. */
    private final MemorySegment iov;

    RingEntry(int payloadSize, Arena arena) {
        if (payloadSize < 8192) {
            throw new IllegalArgumentException("payload of " + payloadSize + " bytes: the kernel wants 8192 at least");
        }
        this.header = arena.allocate(HEADER_SIZE, 64);
        this.slab = arena.allocate(SLACK + (long) payloadSize, 4096);
        this.payload = slab.asSlice(SLACK, payloadSize);
        this.iov = arena.allocate(Syscalls.IOVEC, 2);
        iov.setAtIndex(ValueLayout.ADDRESS, 0, header);
        iov.setAtIndex(ValueLayout.JAVA_LONG, 1, HEADER_SIZE);
        iov.setAtIndex(ValueLayout.ADDRESS, 2, payload);
        iov.setAtIndex(ValueLayout.JAVA_LONG, 3, payloadSize);
    }

    MemorySegment header() {
        return header;
    }

    MemorySegment payload() {
        return payload;
    }

    /** The {@code unique} of the request in the entry (to answer it even when the rest is garbage). */
    long unique() {
        return header.get(Wire.U64, 8);
    }

    /**
     * The request the kernel put in this entry, laid out as read(2) would have given it: in header,
     * fixed struct ({@code len - 40 - payload_sz} bytes of {@code op_in}), payload.
     *
     * @throws FuseError EIO when the sizes contradict each other or the buffers
     */
    MemorySegment request() {
        long len = Integer.toUnsignedLong(header.get(Wire.U32, 0));
        long payloadSize = Integer.toUnsignedLong(header.get(Wire.U32, PAYLOAD_SZ));
        if (payloadSize > payload.byteSize()) {
            throw new FuseError(FuseError.EIO, "ring entry with a payload of " + payloadSize + " bytes in a buffer of "
                    + payload.byteSize());
        }
        long fixed = len - Wire.IN_HEADER - payloadSize;
        if (fixed < 0 || fixed > OP_IN_SIZE) {
            throw new FuseError(FuseError.EIO, "ring entry of " + len + " bytes with a payload of " + payloadSize
                    + ": " + fixed + " bytes of fixed struct");
        }
        long start = SLACK - Wire.IN_HEADER - fixed;
        MemorySegment.copy(header, 0, slab, start, Wire.IN_HEADER);
        MemorySegment.copy(header, OP_IN, slab, start + Wire.IN_HEADER, fixed);
        return slab.asSlice(start, len);
    }

    /** Writes the reply's out header and payload size: {@code error} is 0 or -errno. */
    void answer(long unique, int error, long payloadLength) {
        if (payloadLength < 0 || payloadLength > payload.byteSize()) {
            throw new IllegalArgumentException("reply of " + payloadLength + " bytes, payload of " + payload.byteSize());
        }
        header.set(Wire.U32, 0, Math.toIntExact(Wire.OUT_HEADER + payloadLength));
        header.set(Wire.U32, 4, error);
        header.set(Wire.U64, 8, unique);
        header.set(Wire.U32, PAYLOAD_SZ, (int) payloadLength);
    }

    /** FUSE_IO_URING_CMD_REGISTER of this entry on queue {@code qid} of the connection of {@code fuseFd}. */
    void register(MemorySegment sqe, int fuseFd, int qid) {
        command(sqe, fuseFd, CMD_REGISTER, qid, 0);
        sqe.set(ValueLayout.JAVA_LONG, 16, iov.address());
        sqe.set(ValueLayout.JAVA_INT, 24, 2);
    }

    /** FUSE_IO_URING_CMD_COMMIT_AND_FETCH: hands back the reply written by {@link #answer}, asks for the next request. */
    void commit(MemorySegment sqe, int fuseFd, int qid) {
        command(sqe, fuseFd, CMD_COMMIT_AND_FETCH, qid, header.get(Wire.U64, COMMIT_ID));
    }

    /** A uring command SQE; {@code user_data} is the queue's id. */
    private static void command(MemorySegment sqe, int fuseFd, int cmd, int qid, long commitId) {
        if (sqe.byteSize() != IoUring.SQE_SIZE) {
            throw new IllegalArgumentException("a FUSE uring command needs a 128-byte SQE, not " + sqe.byteSize());
        }
        sqe.set(ValueLayout.JAVA_BYTE, 0, IORING_OP_URING_CMD);
        sqe.set(ValueLayout.JAVA_INT, 4, fuseFd);
        sqe.set(ValueLayout.JAVA_INT, 8, cmd);
        sqe.set(ValueLayout.JAVA_LONG, 32, qid);
        // struct fuse_uring_cmd_req in the command area: flags, commit_id, qid
        sqe.set(ValueLayout.JAVA_LONG, IoUring.SQE_CMD, 0);
        sqe.set(ValueLayout.JAVA_LONG, IoUring.SQE_CMD + 8, commitId);
        sqe.set(ValueLayout.JAVA_SHORT, IoUring.SQE_CMD + 16, (short) qid);
    }
}
