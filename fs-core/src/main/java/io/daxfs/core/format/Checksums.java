package io.daxfs.core.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/**
 * CRC32C over device or buffer ranges: the checksum of every on-media structure. The bytes are
 * copied through a small per-thread buffer into the CRC: a checksum over a ByteBuffer view of a
 * shared mapping would take and release the mapping's session (an atomic update of one shared
 * word) on every call, which two threads scanning logs side by side contend on.
 */
public final class Checksums {
    /** One thread's CRC state and staging buffer. */
    private static final class Scratch {
        final CRC32C crc = new CRC32C();
        final byte[] buf = new byte[4096];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private static final byte[] ZEROS = new byte[4];

    private Checksums() {}

    /** CRC32C of {@code length} bytes of {@code segment} at {@code offset}. */
    public static int crc32c(MemorySegment segment, long offset, long length) {
        Scratch s = SCRATCH.get();
        s.crc.reset();
        update(s, segment, offset, length);
        return (int) s.crc.getValue();
    }

    /**
     * CRC32C of a range with a 4-byte field (the checksum's own slot) counted as zero, so a
     * structure can carry its checksum inside the bytes it covers.
     */
    public static int crc32cSkipping(MemorySegment segment, long offset, long length, long fieldOffset) {
        if (fieldOffset < offset || fieldOffset + 4 > offset + length) {
            throw new IndexOutOfBoundsException("field at " + fieldOffset + " outside " + offset + "+" + length);
        }
        Scratch s = SCRATCH.get();
        s.crc.reset();
        update(s, segment, offset, fieldOffset - offset);
        s.crc.update(ZEROS, 0, 4);
        long after = fieldOffset + 4;
        update(s, segment, after, offset + length - after);
        return (int) s.crc.getValue();
    }

    private static void update(Scratch s, MemorySegment segment, long offset, long length) {
        if (length < 0) {
            throw new IndexOutOfBoundsException("negative length " + length);
        }
        while (length > 0) {
            int n = (int) Math.min(length, s.buf.length);
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, s.buf, 0, n);
            s.crc.update(s.buf, 0, n);
            offset += n;
            length -= n;
        }
    }
}
