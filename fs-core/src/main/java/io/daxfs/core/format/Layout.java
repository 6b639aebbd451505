package io.daxfs.core.format;

/**
 * Where each structure sits on the device (docs/FORMAT.md, "Layout"). Derived from the block
 * count and inode count alone, so mkfs, mount and fsck agree on it.
 *
 * <pre>
 * block 0                    primary superblock
 * block 1                    journal
 * blocks 2 .. 2+O-1          orphan table (O = {@link #ORPHAN_BLOCKS})
 * blocks I .. I+T-1          inode table (T = inodes * 64 / 4096)
 * blocks D .. total-2        data area: log pages and file data
 * block total-1              backup superblock
 * </pre>
 */
public record Layout(long totalBlocks, long inodeCount) {
    public static final int BLOCK_SIZE = 4096;
    public static final int BLOCK_SHIFT = 12;
    public static final int INODE_SIZE = 64;
    public static final int INODES_PER_BLOCK = BLOCK_SIZE / INODE_SIZE;
    public static final long JOURNAL_BLOCK = 1;
    public static final long ORPHAN_START_BLOCK = 2;
    public static final int ORPHAN_BLOCKS = 4;
    public static final int ORPHAN_SLOTS = ORPHAN_BLOCKS * BLOCK_SIZE / Long.BYTES;
    public static final long INODE_TABLE_START_BLOCK = ORPHAN_START_BLOCK + ORPHAN_BLOCKS;
    /** Inode 0 is never used, so that 0 can mean "none" everywhere. */
    public static final long ROOT_INO = 1;
    /** Smallest device that leaves room for a few files. */
    public static final long MIN_BLOCKS = 64;
    /** Largest device: DRAM block and inode maps are indexed by int (8 TiB of 4 KiB blocks). */
    public static final long MAX_BLOCKS = Integer.MAX_VALUE;
    /** Largest file size: 16 TiB, as ext4 with 4 KiB blocks. */
    public static final long MAX_FILE_SIZE = 1L << 44;
    public static final long MAX_INODES = Integer.MAX_VALUE / INODES_PER_BLOCK * INODES_PER_BLOCK;
    /** A log slot: the small first segment of a log, packed {@link #SLOTS_PER_BLOCK} to a block. */
    public static final int SLOT_SIZE = 512;
    public static final int SLOTS_PER_BLOCK = BLOCK_SIZE / SLOT_SIZE;

    public Layout {
        if (totalBlocks < MIN_BLOCKS) {
            throw new IllegalArgumentException("device too small: " + totalBlocks + " blocks, need " + MIN_BLOCKS);
        }
        if (totalBlocks > MAX_BLOCKS) {
            throw new IllegalArgumentException("device too large: " + totalBlocks + " blocks, at most " + MAX_BLOCKS);
        }
        if (inodeCount < 2 || inodeCount > MAX_INODES || inodeCount % INODES_PER_BLOCK != 0) {
            throw new IllegalArgumentException("inode count must be a positive multiple of "
                    + INODES_PER_BLOCK + ": " + inodeCount);
        }
    }

    /**
     * The default inode count for a device: one inode per 4 KiB block, rounded to whole table
     * blocks. A small file costs one data block and an eighth of a packed page, so a device full of
     * 4 KiB files needs about one inode per block (a million of them on 6 GiB); the table then takes
     * 1/64 of the device.
     */
    public static long defaultInodeCount(long totalBlocks) {
        long inodes = Math.max(INODES_PER_BLOCK, totalBlocks);
        return Math.min(roundUpInodes(inodes), MAX_INODES);
    }

    /** Rounds an inode count up to whole inode table blocks. */
    public static long roundUpInodes(long inodes) {
        return (inodes + INODES_PER_BLOCK - 1) / INODES_PER_BLOCK * INODES_PER_BLOCK;
    }

    public long inodeTableBlocks() {
        return inodeCount / INODES_PER_BLOCK;
    }

    public long dataStartBlock() {
        return INODE_TABLE_START_BLOCK + inodeTableBlocks();
    }

    /** One past the last data block: the backup superblock's block. */
    public long dataEndBlock() {
        return totalBlocks - 1;
    }

    public long backupSuperblockBlock() {
        return totalBlocks - 1;
    }

    public long dataBlocks() {
        return dataEndBlock() - dataStartBlock();
    }

    /** Byte offset of inode {@code ino}'s record. */
    public long inodeOffset(long ino) {
        return INODE_TABLE_START_BLOCK * BLOCK_SIZE + ino * INODE_SIZE;
    }

    public boolean isDataBlock(long block) {
        return block >= dataStartBlock() && block < dataEndBlock();
    }

    public static long offsetOf(long block) {
        return block << BLOCK_SHIFT;
    }
}
