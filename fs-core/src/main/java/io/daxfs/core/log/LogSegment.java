package io.daxfs.core.log;

import io.daxfs.core.format.Layout;

/**
 * The address of one segment of an inode's log, as the inode record's head and the DRAM log hold
 * it (docs/FORMAT.md, "Log pages and slots"). A segment is either a whole 4 KiB log page, named by
 * its block number, or a 512-byte slot of a packed page, named by {@link #SLOT_FLAG} with the
 * slot's device offset. Only the first segment of a log may be a slot, so a small file's log costs
 * an eighth of a block; both kinds start with the same 32-byte header ({@link LogPage}), told apart
 * by their magic.
 */
public final class LogSegment {
    /** Set in a segment address that names a slot; the other bits are the slot's device offset. */
    public static final long SLOT_FLAG = 1L << 62;
    /** "DXLOGSL1" read as a little-endian long: the magic of a slot header. */
    public static final long SLOT_MAGIC = 0x314c5347_4f4c5844L;
    /** Room for entries in one slot. */
    public static final int SLOT_CAPACITY = Layout.SLOT_SIZE - LogPage.FIRST_ENTRY;

    private LogSegment() {}

    /** The address of the slot at device offset {@code slotOffset}. */
    public static long ofSlot(long slotOffset) {
        if (slotOffset <= 0 || slotOffset % Layout.SLOT_SIZE != 0 || (slotOffset & SLOT_FLAG) != 0) {
            throw new IllegalArgumentException("not a slot offset: " + slotOffset);
        }
        return SLOT_FLAG | slotOffset;
    }

    public static boolean isSlot(long segment) {
        return (segment & SLOT_FLAG) != 0;
    }

    /** Device offset of the segment's header. */
    public static long offset(long segment) {
        return isSlot(segment) ? segment & ~SLOT_FLAG : Layout.offsetOf(segment);
    }

    /** The block that holds the segment (the packed page, for a slot). */
    public static long block(long segment) {
        return offset(segment) / Layout.BLOCK_SIZE;
    }

    /** The slot's index in its packed page (0 for a whole page). */
    public static int slotIndex(long segment) {
        return (int) (offset(segment) % Layout.BLOCK_SIZE / Layout.SLOT_SIZE);
    }

    /** Bytes in the segment, header included. */
    public static int size(long segment) {
        return isSlot(segment) ? Layout.SLOT_SIZE : Layout.BLOCK_SIZE;
    }

    /** The magic the segment's header must carry. */
    public static long magic(long segment) {
        return isSlot(segment) ? SLOT_MAGIC : LogPage.MAGIC;
    }

    /** Device offset of the segment's first entry. */
    public static long firstEntryOffset(long segment) {
        return offset(segment) + LogPage.FIRST_ENTRY;
    }

    /**
     * True if {@code segment} names a whole slot or page inside the data area of {@code layout}:
     * what a head or next pointer read from the media must satisfy before it is followed.
     */
    public static boolean isValid(long segment, Layout layout) {
        if (isSlot(segment)) {
            long offset = segment & ~SLOT_FLAG;
            return offset % Layout.SLOT_SIZE == 0 && offset / Layout.BLOCK_SIZE < Layout.MAX_BLOCKS
                    && layout.isDataBlock(offset / Layout.BLOCK_SIZE);
        }
        return layout.isDataBlock(segment);
    }

    /** How a segment is named in messages. */
    public static String describe(long segment) {
        return isSlot(segment) ? "log slot " + block(segment) + "." + slotIndex(segment) : "log page " + segment;
    }
}
