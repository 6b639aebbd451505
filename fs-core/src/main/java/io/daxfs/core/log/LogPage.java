package io.daxfs.core.log;

import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.Layout;
import java.lang.foreign.MemorySegment;

/**
 * The header of a 4 KiB log page, and of a log slot ({@link LogSegment}): {@code u64 magic,
 * u64 next block (0 = last), u64 owner inode, u64 reserved}; entries follow from byte
 * {@link #FIRST_ENTRY}.
 */
public final class LogPage {
    /** "DXLOGPG1" read as a little-endian long. */
    public static final long MAGIC = 0x31475047_4f4c5844L;
    public static final int NEXT_OFFSET = 8;
    public static final int OWNER_OFFSET = 16;
    public static final int FIRST_ENTRY = 32;
    /** Room for entries in one page. */
    public static final int CAPACITY = Layout.BLOCK_SIZE - FIRST_ENTRY;

    private LogPage() {}

    /** Writes a fresh header (next = 0) with {@code magic} into {@code buf} at 0. */
    static void encodeHeader(MemorySegment buf, long magic, long ownerIno) {
        buf.set(Layouts.LONG, 0, magic);
        buf.set(Layouts.LONG, NEXT_OFFSET, 0L);
        buf.set(Layouts.LONG, OWNER_OFFSET, ownerIno);
        buf.set(Layouts.LONG, OWNER_OFFSET + 8, 0L); // reserved
    }

    /** Device offset of the first entry of log page {@code block}. */
    public static long firstEntryOffset(long block) {
        return Layout.offsetOf(block) + FIRST_ENTRY;
    }
}
