package io.daxfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The protocol layer alone: INIT negotiation, replies, and malformed requests fed as raw bytes. */
class DispatcherTest {
    private final Arena arena = Arena.ofConfined();
    private final List<ByteBuffer> replies = new ArrayList<>();
    private final Dispatcher dispatcher =
            new Dispatcher(new NullFileSystem(), new TransportOptions(1 << 20, 1 << 20, 1, 1, 1, false, 0, TransportOptions.Uring.OFF));
    private final Reply reply = new DeviceReply(this::capture, 1 << 20, arena);
    private long unique = 100;

    @AfterEach
    void close() {
        arena.close();
    }

    private void capture(MemorySegment iov, int count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            MemorySegment base = iov.getAtIndex(ValueLayout.ADDRESS, 2L * i);
            long len = iov.getAtIndex(ValueLayout.JAVA_LONG, 2L * i + 1);
            out.writeBytes(base.reinterpret(len).toArray(ValueLayout.JAVA_BYTE));
        }
        replies.add(ByteBuffer.wrap(out.toByteArray()).order(ByteOrder.LITTLE_ENDIAN));
    }

    private ByteBuffer send(int opcode, long node, byte[] body) {
        return send(dispatcher, opcode, node, body);
    }

    private ByteBuffer send(Dispatcher to, int opcode, long node, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(40 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(40 + body.length).putInt(opcode).putLong(++unique).putLong(node).putInt(0).putInt(0).putInt(1)
                .putInt(0).put(body);
        return sendRaw(to, b.array());
    }

    private ByteBuffer sendRaw(byte[] bytes) {
        return sendRaw(dispatcher, bytes);
    }

    private ByteBuffer sendRaw(Dispatcher to, byte[] bytes) {
        int before = replies.size();
        MemorySegment m = arena.allocate(bytes.length);
        MemorySegment.copy(bytes, 0, m, ValueLayout.JAVA_BYTE, 0, bytes.length);
        to.dispatch(m, reply);
        assertTrue(replies.size() - before <= 1, "at most one reply per request");
        return replies.size() > before ? replies.getLast() : null;
    }

    private void init(int minor, long flags) {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(7).putInt(minor).putInt(128 * 1024).putInt((int) flags).putInt((int) (flags >>> 32));
        ByteBuffer r = send(Wire.INIT, 0, b.array());
        assertEquals(0, r.getInt(4), "INIT succeeds");
    }

    private static int error(ByteBuffer reply) {
        return -reply.getInt(4);
    }

    @Test
    void initTakesWhatTheKernelOffersAndWeWant() {
        long offered = Wire.MAX_PAGES | Wire.DO_READDIRPLUS | Wire.EXPORT_SUPPORT | Wire.INIT_EXT
                | Wire.DIRECT_IO_ALLOW_MMAP | Wire.WRITEBACK_CACHE | (1L << 20) /* POSIX_ACL */ | Wire.OVER_IO_URING;
        init(44, offered);
        ByteBuffer r = replies.getLast();
        assertEquals(16 + 64, r.getInt(0));
        assertEquals(7, r.getInt(16));
        assertEquals(39, r.getInt(20), "our minor version");
        long flags = Integer.toUnsignedLong(r.getInt(28)) | (Integer.toUnsignedLong(r.getInt(48)) << 32);
        assertEquals(Wire.MAX_PAGES | Wire.DO_READDIRPLUS | Wire.EXPORT_SUPPORT | Wire.INIT_EXT
                | Wire.DIRECT_IO_ALLOW_MMAP, flags, "no writeback cache, no POSIX ACLs, no io_uring unless offered");
        assertEquals(1 << 20, r.getInt(36), "max_write");
        assertEquals(256, r.getShort(44), "max_pages");
    }

    /**
     * FUSE_OPEN_KILL_SUIDGID cannot reach daxfs's OPEN: the kernel sets it only when the OPEN carries
     * O_TRUNC, and it strips O_TRUNC from OPEN unless FUSE_ATOMIC_O_TRUNC was agreed (fs/fuse/file.c,
     * fuse_send_open). A filesystem that clears set-id bits itself (killpriv v2) gets the truncation
     * of open(O_TRUNC) as a SETATTR of the size with FATTR_KILL_SUIDGID instead.
     */
    @Test
    void atomicOTruncIsNeverAgreedSoNoOpenCarriesTheKillFlag() {
        Dispatcher killpriv = new Dispatcher(new LowLevelFileSystem() {
            @Override
            public boolean handlesKillPriv() {
                return true;
            }
        }, new TransportOptions(1 << 20, 1 << 20, 1, 1, 1, false, 0, TransportOptions.Uring.OFF));
        long atomicOTrunc = 1L << 3;
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        long offered = atomicOTrunc | Wire.HANDLE_KILLPRIV_V2 | Wire.INIT_EXT;
        b.putInt(7).putInt(44).putInt(128 * 1024).putInt((int) offered).putInt((int) (offered >>> 32));
        ByteBuffer r = send(killpriv, Wire.INIT, 0, b.array());
        assertEquals(0, r.getInt(4), "INIT succeeds");
        long flags = Integer.toUnsignedLong(r.getInt(28)) | (Integer.toUnsignedLong(r.getInt(48)) << 32);
        assertEquals(Wire.HANDLE_KILLPRIV_V2 | Wire.INIT_EXT, flags, "killpriv v2 without ATOMIC_O_TRUNC");
    }

    @Test
    void ioUringIsAskedForWhenOfferedAndTheRingsHearTheAgreedFlagsAfterTheReply() {
        long[] heard = {-1};
        int[] repliesWhenHeard = {-1};
        dispatcher.offerUring(f -> {
            heard[0] = f;
            repliesWhenHeard[0] = replies.size();
        });
        init(44, Wire.MAX_PAGES | Wire.INIT_EXT | Wire.OVER_IO_URING);
        ByteBuffer r = replies.getLast();
        long flags = Integer.toUnsignedLong(r.getInt(28)) | (Integer.toUnsignedLong(r.getInt(48)) << 32);
        assertEquals(Wire.MAX_PAGES | Wire.INIT_EXT | Wire.OVER_IO_URING, flags);
        assertEquals(flags, heard[0]);
        assertEquals(1, repliesWhenHeard[0], "the INIT reply was written first");
    }

    @Test
    void aKernelWithoutIoUringIsToldSoByTheFlags() {
        long[] heard = {-1};
        dispatcher.offerUring(f -> heard[0] = f);
        init(44, Wire.MAX_PAGES | Wire.INIT_EXT);
        assertEquals(0, heard[0] & Wire.OVER_IO_URING);
    }

    @Test
    void requestsBeforeInitGetEio() {
        assertEquals(FuseError.EIO, error(send(Wire.GETATTR, 1, new byte[16])));
    }

    @Test
    void lookupAndReadAnswerWithEntryAndData() {
        init(44, Wire.MAX_PAGES);
        ByteBuffer created = send(Wire.CREATE, 1, concat(new byte[16], "f\0".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(0, error(created));
        long node = created.getLong(16);
        ByteBuffer write = ByteBuffer.allocate(40 + 5000).order(ByteOrder.LITTLE_ENDIAN);
        write.putLong(0).putLong(0).putInt(5000);
        assertEquals(5000, send(Wire.WRITE, node, write.array()).getInt(16));
        ByteBuffer lookup = send(Wire.LOOKUP, 1, "f\0".getBytes(StandardCharsets.US_ASCII));
        assertEquals(node, lookup.getLong(16));
        assertEquals(5000, lookup.getLong(16 + 40 + 8), "size in fuse_attr");
        ByteBuffer read = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        read.putLong(0).putLong(4096).putInt(8192);
        assertEquals(16 + 904, send(Wire.READ, node, read.array()).getInt(0));
    }

    @Test
    void malformedRequestsGetErrorRepliesAndTheDispatcherKeepsServing() {
        init(44, 0);
        assertEquals(FuseError.EINVAL, error(send(Wire.LOOKUP, 1, "no-nul".getBytes(StandardCharsets.US_ASCII))));
        assertEquals(FuseError.EINVAL, error(send(Wire.WRITE, 1, new byte[12])), "truncated fuse_write_in");
        ByteBuffer bigWrite = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        bigWrite.putLong(0).putLong(0).putInt(-1);
        assertEquals(FuseError.EINVAL, error(send(Wire.WRITE, 2, bigWrite.array())), "size beyond the request");
        assertEquals(FuseError.ENOSYS, error(send(9999, 1, new byte[0])), "unknown opcode");
        byte[] lying = new byte[48];
        ByteBuffer.wrap(lying).order(ByteOrder.LITTLE_ENDIAN).putInt(4096).putInt(Wire.GETATTR).putLong(7);
        assertEquals(FuseError.EIO, error(sendRaw(lying)), "len field larger than the bytes read");
        byte[] shortHeader = new byte[20];
        ByteBuffer.wrap(shortHeader).order(ByteOrder.LITTLE_ENDIAN).putInt(20).putInt(Wire.GETATTR).putLong(8);
        ByteBuffer r = sendRaw(shortHeader);
        assertEquals(FuseError.EIO, error(r));
        assertEquals(8, r.getLong(8), "answered to the request's unique id");
        assertEquals(null, sendRaw(new byte[10]), "too short to answer: dropped");
        assertEquals(null, send(Wire.FORGET, 1, new byte[3]), "no reply to FORGET, even malformed");
        assertEquals(0, error(send(Wire.STATFS, 1, new byte[0])), "still serving");
    }

    @Test
    void everyOpcodeWithRandomBodiesGetsOneReplyOrNone() {
        init(44, Wire.MAX_PAGES);
        Random random = new Random(10);
        for (int opcode = 1; opcode <= 52; opcode++) {
            for (int round = 0; round < 40; round++) {
                byte[] body = new byte[random.nextInt(round < 20 ? 24 : 200)];
                random.nextBytes(body);
                if (opcode == Wire.INIT || opcode == Wire.DESTROY) {
                    continue;
                }
                ByteBuffer r = send(opcode, 1 + random.nextInt(3), body);
                boolean silent = opcode == Wire.FORGET || opcode == Wire.BATCH_FORGET || opcode == Wire.INTERRUPT;
                assertEquals(silent, r == null, "opcode " + opcode);
                if (r != null) {
                    assertTrue(r.getInt(4) <= 0 && r.getInt(4) > -4096, "errno in range");
                    assertEquals(unique, r.getLong(8));
                }
            }
        }
        assertEquals(0, error(send(Wire.STATFS, 1, new byte[0])), "still serving");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
