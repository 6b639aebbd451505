package io.daxfs.core.format;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

/** CRC32C over device or buffer ranges: the checksum of every on-media structure. */
public final class Checksums {
    private Checksums() {}

    /** CRC32C of {@code length} bytes of {@code segment} at {@code offset}. */
    public static int crc32c(MemorySegment segment, long offset, long length) {
        CRC32C crc = new CRC32C();
        crc.update(segment.asSlice(offset, length).asByteBuffer());
        return (int) crc.getValue();
    }

    /**
     * CRC32C of a range with a 4-byte field (the checksum's own slot) counted as zero, so a
     * structure can carry its checksum inside the bytes it covers.
     */
    public static int crc32cSkipping(MemorySegment segment, long offset, long length, long fieldOffset) {
        CRC32C crc = new CRC32C();
        crc.update(segment.asSlice(offset, fieldOffset - offset).asByteBuffer());
        crc.update(ZEROS, 0, 4);
        long after = fieldOffset + 4;
        crc.update(segment.asSlice(after, offset + length - after).asByteBuffer());
        return (int) crc.getValue();
    }

    private static final byte[] ZEROS = new byte[4];
}
