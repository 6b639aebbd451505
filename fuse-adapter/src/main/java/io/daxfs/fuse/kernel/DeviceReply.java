package io.daxfs.fuse.kernel;

import io.daxfs.fuse.kernel.sys.ErrnoException;
import io.daxfs.fuse.kernel.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reply written to the FUSE device with one writev: {@code struct fuse_out_header} and a payload
 * area, plus an iovec array so that a reply can also point at other memory (zero-copy READ). A reply
 * the kernel no longer waits for (ENOENT: the request was interrupted and abandoned) is dropped quietly.
 */
final class DeviceReply extends Reply {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceReply.class);

    private final ReplyChannel channel;
    private final MemorySegment out;
    private final MemorySegment iov;

    DeviceReply(ReplyChannel channel, int payloadSize, Arena arena) {
        this.channel = channel;
        this.out = arena.allocate(Wire.OUT_HEADER + payloadSize, 8);
        this.iov = arena.allocate(Syscalls.IOVEC, MAX_IOV);
    }

    @Override
    MemorySegment payload() {
        return out.asSlice(Wire.OUT_HEADER);
    }

    @Override
    void error(long unique, int errno) {
        header(unique, -errno, Wire.OUT_HEADER);
        send(1, Wire.OUT_HEADER);
    }

    @Override
    boolean ok(long unique, long length) {
        header(unique, 0, Wire.OUT_HEADER + length);
        return send(1, Wire.OUT_HEADER + length);
    }

    /** The header and then {@code segments}, as one writev. */
    @Override
    void segments(long unique, MemorySegment[] segments) {
        if (segments.length + 1 > MAX_IOV) {
            throw new FuseError(FuseError.EIO, "too many segments in one reply: " + segments.length);
        }
        long total = Wire.OUT_HEADER;
        for (int i = 0; i < segments.length; i++) {
            iov.setAtIndex(ValueLayout.ADDRESS, 2L * (i + 1), segments[i]);
            iov.setAtIndex(ValueLayout.JAVA_LONG, 2L * (i + 1) + 1, segments[i].byteSize());
            total += segments[i].byteSize();
        }
        header(unique, 0, total);
        send(segments.length + 1, Wire.OUT_HEADER);
    }

    private void header(long unique, int error, long length) {
        out.set(Wire.U32, 0, Math.toIntExact(length));
        out.set(Wire.U32, 4, error);
        out.set(Wire.U64, 8, unique);
    }

    /** iovec 0 is the first {@code firstLength} bytes of the out buffer; the rest are set by the caller. */
    private boolean send(int count, long firstLength) {
        iov.setAtIndex(ValueLayout.ADDRESS, 0, out);
        iov.setAtIndex(ValueLayout.JAVA_LONG, 1, firstLength);
        try {
            channel.writev(iov, count);
            return true;
        } catch (ErrnoException e) {
            if (e.errno() != Syscalls.ENOENT) {
                LOG.warn("reply to request {} not taken by the kernel: {}", out.get(Wire.U64, 8), e.getMessage());
            }
            return false;
        }
    }
}
