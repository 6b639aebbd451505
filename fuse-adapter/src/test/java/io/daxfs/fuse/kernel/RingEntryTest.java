package io.daxfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.daxfs.fuse.kernel.sys.IoUring;
import io.daxfs.fuse.kernel.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * FUSE-over-io_uring entries without a kernel: the request an entry is turned into, entries whose
 * sizes contradict each other (answered EIO through the dispatcher), the reply's header and the
 * REGISTER and COMMIT_AND_FETCH submission entries, byte by byte as include/uapi/linux/fuse.h and
 * io_uring.h lay them out.
 */
class RingEntryTest {
    private static final int PAYLOAD = 1 << 20;
    private final Arena arena = Arena.ofConfined();
    private final RingEntry entry = new RingEntry(PAYLOAD, arena);
    private final RingReply reply = new RingReply(entry);
    private final Dispatcher dispatcher =
            new Dispatcher(new NullFileSystem(), new TransportOptions(1 << 20, 1 << 20, 1, 1, 1, false, 0, TransportOptions.Uring.ON));

    @AfterEach
    void close() {
        arena.close();
    }

    /** What the kernel writes: in header (len covers all), {@code fixed} into op_in, {@code payload}. */
    private void fill(int opcode, long unique, long node, byte[] fixed, byte[] payload) {
        fillSizes(opcode, unique, node, 40 + fixed.length + payload.length, payload.length);
        MemorySegment.copy(fixed, 0, entry.header(), ValueLayout.JAVA_BYTE, RingEntry.OP_IN, fixed.length);
        MemorySegment.copy(payload, 0, entry.payload(), ValueLayout.JAVA_BYTE, 0, payload.length);
        entry.header().set(Wire.U64, RingEntry.COMMIT_ID, unique);
    }

    private void fillSizes(int opcode, long unique, long node, long len, long payloadSize) {
        MemorySegment h = entry.header();
        h.set(Wire.U32, 0, (int) len);
        h.set(Wire.U32, 4, opcode);
        h.set(Wire.U64, 8, unique);
        h.set(Wire.U64, 16, node);
        h.set(Wire.U32, 24, 0);
        h.set(Wire.U32, 28, 0);
        h.set(Wire.U32, 32, 1);
        h.set(Wire.U32, 36, 0);
        h.set(Wire.U32, RingEntry.PAYLOAD_SZ, (int) payloadSize);
    }

    private int replyError() {
        return -entry.header().get(Wire.U32, 4);
    }

    private long replyPayloadSize() {
        return Integer.toUnsignedLong(entry.header().get(Wire.U32, RingEntry.PAYLOAD_SZ));
    }

    private void init() {
        byte[] in = new byte[64];
        MemorySegment s = MemorySegment.ofArray(in);
        s.set(Wire.U32, 0, 7);
        s.set(Wire.U32, 4, 44);
        s.set(Wire.U32, 12, (int) (Wire.INIT_EXT | Wire.MAX_PAGES));
        s.set(Wire.U32, 16, (int) (Wire.OVER_IO_URING >>> 32));
        fill(Wire.INIT, 1, 0, in, new byte[0]);
        RingQueue.serveOne(dispatcher, entry, reply);
        assertEquals(0, replyError(), "INIT");
    }

    @Test
    void theRequestIsLaidOutAsReadWouldGiveIt() {
        byte[] fixed = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        byte[] payload = "name\0".getBytes(StandardCharsets.US_ASCII);
        fill(Wire.MKDIR, 77, 1, fixed, payload);
        MemorySegment request = entry.request();
        assertEquals(40 + 16 + 5, request.byteSize());
        assertEquals(40 + 16 + 5, request.get(Wire.U32, 0));
        assertEquals(Wire.MKDIR, request.get(Wire.U32, 4));
        assertEquals(77, request.get(Wire.U64, 8));
        assertArrayEquals(fixed, request.asSlice(40, 16).toArray(ValueLayout.JAVA_BYTE));
        assertArrayEquals(payload, request.asSlice(56, 5).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(entry.payload().address(), request.address() + 56, "the payload is not copied");
    }

    @Test
    void sizesThatContradictEachOtherAreEio() {
        fillSizes(Wire.GETATTR, 5, 1, 40 + 16, PAYLOAD + 1L); // payload larger than the buffer
        assertEquals(FuseError.EIO, assertThrows(FuseError.class, entry::request).errno());
        fillSizes(Wire.GETATTR, 5, 1, 40 + 8, 16); // len shorter than header and payload
        assertEquals(FuseError.EIO, assertThrows(FuseError.class, entry::request).errno());
        fillSizes(Wire.GETATTR, 5, 1, 40 + 129, 0); // a fixed struct larger than op_in
        assertEquals(FuseError.EIO, assertThrows(FuseError.class, entry::request).errno());
        fillSizes(Wire.GETATTR, 5, 1, 0xffff_ffffL, PAYLOAD);
        assertEquals(FuseError.EIO, assertThrows(FuseError.class, entry::request).errno());
        fillSizes(Wire.GETATTR, 5, 1, 12, 0); // shorter than the in header
        assertEquals(FuseError.EIO, assertThrows(FuseError.class, entry::request).errno());
    }

    @Test
    void malformedEntriesGetErrorRepliesAndTheNextOneIsServed() {
        init();
        long[][] bad = {{40 + 8, 16}, {40 + 200, 0}, {3, 0}, {40, PAYLOAD + 8L}, {0xffff_ffffL, 0}};
        for (long[] sizes : bad) {
            fillSizes(Wire.GETATTR, 9, 1, sizes[0], sizes[1]);
            RingQueue.serveOne(dispatcher, entry, reply);
            assertEquals(FuseError.EIO, replyError(), "len " + sizes[0] + ", payload " + sizes[1]);
            assertEquals(9, entry.header().get(Wire.U64, 8), "answered with the request's unique");
            assertEquals(0, replyPayloadSize());
        }
        fill(Wire.GETATTR, 10, 1, new byte[16], new byte[0]);
        RingQueue.serveOne(dispatcher, entry, reply);
        assertEquals(0, replyError());
        assertEquals(10, entry.header().get(Wire.U64, 8));
        assertEquals(16 + Attr.SIZE, replyPayloadSize());
        assertEquals(040755, entry.payload().get(Wire.U32, 16 + 60), "the root's mode in fuse_attr_out");
    }

    @Test
    void aRequestThatGetsNoReplyIsAnsweredEio() {
        init();
        byte[] forget = new byte[8];
        forget[0] = 1;
        fill(Wire.FORGET, 11, 1, forget, new byte[0]); // the kernel sends FORGET through /dev/fuse; never unanswered here
        RingQueue.serveOne(dispatcher, entry, reply);
        assertEquals(FuseError.EIO, replyError());
        assertEquals(11, entry.header().get(Wire.U64, 8));
    }

    @Test
    void readSegmentsAreCopiedIntoThePayload() {
        MemorySegment a = arena.allocateFrom("abc", StandardCharsets.US_ASCII).asSlice(0, 3);
        MemorySegment b = arena.allocateFrom("defg", StandardCharsets.US_ASCII).asSlice(0, 4);
        reply.clear();
        reply.segments(21, new MemorySegment[] {a, b});
        assertEquals("abcdefg", new String(entry.payload().asSlice(0, 7).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.US_ASCII));
        assertEquals(7, replyPayloadSize());
        assertEquals(16 + 7, entry.header().get(Wire.U32, 0));
        assertEquals(0, entry.header().get(Wire.U32, 4));
        assertEquals(21, entry.header().get(Wire.U64, 8));
        MemorySegment tooBig = arena.allocate(PAYLOAD);
        assertEquals(FuseError.EIO, assertThrows(FuseError.class,
                () -> reply.segments(22, new MemorySegment[] {a, tooBig})).errno());
    }

    @Test
    void registerAndCommitSubmissionEntries() {
        MemorySegment sqe = arena.allocate(IoUring.SQE_SIZE, 8);
        entry.register(sqe, 17, 3);
        assertEquals(46, sqe.get(ValueLayout.JAVA_BYTE, 0), "IORING_OP_URING_CMD");
        assertEquals(17, sqe.get(ValueLayout.JAVA_INT, 4), "the /dev/fuse descriptor");
        assertEquals(RingEntry.CMD_REGISTER, sqe.get(ValueLayout.JAVA_INT, 8), "cmd_op");
        assertEquals(2, sqe.get(ValueLayout.JAVA_INT, 24), "two iovecs");
        MemorySegment iov = MemorySegment.ofAddress(sqe.get(ValueLayout.JAVA_LONG, 16)).reinterpret(2 * 16);
        assertEquals(entry.header().address(), iov.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(RingEntry.HEADER_SIZE, iov.get(ValueLayout.JAVA_LONG, 8));
        assertEquals(entry.payload().address(), iov.get(ValueLayout.JAVA_LONG, 16));
        assertEquals(PAYLOAD, iov.get(ValueLayout.JAVA_LONG, 24));
        assertEquals(3, sqe.get(ValueLayout.JAVA_SHORT, 64), "fuse_uring_cmd_req.qid");
        assertEquals(0, sqe.get(ValueLayout.JAVA_LONG, 56), "no commit id");

        entry.header().set(Wire.U64, RingEntry.COMMIT_ID, 0x1234_5678_9abcL);
        sqe.fill((byte) 0);
        entry.commit(sqe, 17, 3);
        assertEquals(46, sqe.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(RingEntry.CMD_COMMIT_AND_FETCH, sqe.get(ValueLayout.JAVA_INT, 8));
        assertEquals(0x1234_5678_9abcL, sqe.get(ValueLayout.JAVA_LONG, 56), "fuse_uring_cmd_req.commit_id");
        assertEquals(3, sqe.get(ValueLayout.JAVA_SHORT, 64));
        assertEquals(3, sqe.get(ValueLayout.JAVA_LONG, 32), "user_data: the queue");
        assertThrows(IllegalArgumentException.class, () -> entry.commit(arena.allocate(64), 17, 3));
    }

    @Test
    void theReplyHeaderIsAFuseOutHeader() {
        entry.answer(99, -FuseError.ENOENT, 0);
        assertEquals(16, entry.header().get(Wire.U32, 0));
        assertEquals(-FuseError.ENOENT, entry.header().get(Wire.U32, 4));
        assertEquals(99, entry.header().get(Wire.U64, 8));
        assertThrows(IllegalArgumentException.class, () -> entry.answer(99, 0, PAYLOAD + 1L));
        assertThrows(IllegalArgumentException.class, () -> new RingEntry(4096, arena));
        assertEquals(Syscalls.IOVEC.byteSize(), 16);
    }

    @Test
    void possibleCpusAreCountedFromTheKernelsList() {
        assertEquals(1, RingQueue.countCpus("0\n"));
        assertEquals(2, RingQueue.countCpus("0-1\n"));
        assertEquals(7, RingQueue.countCpus("0-3,8,10-11"));
        assertThrows(IllegalArgumentException.class, () -> RingQueue.countCpus("3-1"));
        assertThrows(IllegalArgumentException.class, () -> RingQueue.countCpus("zero"));
    }
}
