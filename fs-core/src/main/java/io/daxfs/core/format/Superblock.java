package io.daxfs.core.format;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;

/**
 * The superblock: geometry, identity and state of a filesystem (docs/FORMAT.md, "Superblock").
 * Two copies, block 0 and the last block, each covered by a CRC32C; {@link #writeBoth} never puts
 * both at risk, so at least one copy is whole after any sequence of crashes.
 */
public record Superblock(int formatVersion, int features, long totalBlocks, long inodeCount, UUID uuid,
        String label, State state, long createdNs, long lastMountNs, long lastWriteNs, int mountCount,
        FreeList freeList) {

    /** "DAXFSPMM" read as a little-endian long. */
    public static final long MAGIC = 0x4d4d5053_46584144L;
    public static final int FORMAT_VERSION = 6;
    /** Feature bits this code understands; an image with others is refused. */
    public static final int KNOWN_FEATURES = 0;
    public static final int MAX_LABEL_BYTES = 63;
    static final int SIZE = 512;
    private static final int CRC_OFFSET = SIZE - 4;

    /** Clean: unmounted properly, allocator saved. Dirty: mounted or crashed. */
    public enum State {
        CLEAN(1), DIRTY(2);
        final int code;

        State(int code) {
            this.code = code;
        }

        static State of(int code) {
            for (State s : values()) {
                if (s.code == code) {
                    return s;
                }
            }
            return null;
        }
    }

    /**
     * Where a clean unmount saved the allocator's free extents: {@code extents} pairs of 8-byte
     * (start, length) from {@code block}, with their CRC32C. {@link #NONE} when nothing was saved.
     */
    public record FreeList(long block, long extents, int crc) {
        public static final FreeList NONE = new FreeList(0, 0, 0);

        public boolean present() {
            return block != 0;
        }
    }

    public Superblock {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(freeList, "freeList");
        if (label.getBytes(StandardCharsets.UTF_8).length > MAX_LABEL_BYTES) {
            throw new IllegalArgumentException("label longer than " + MAX_LABEL_BYTES + " bytes: " + label);
        }
    }

    public Layout layout() {
        return new Layout(totalBlocks, inodeCount);
    }

    public Superblock withState(State newState, FreeList newFreeList, long nowNs, boolean mounting) {
        return new Superblock(formatVersion, features, totalBlocks, inodeCount, uuid, label, newState, createdNs,
                mounting ? nowNs : lastMountNs, nowNs, mounting ? mountCount + 1 : mountCount, newFreeList);
    }

    public Superblock withLabel(String newLabel) {
        return new Superblock(formatVersion, features, totalBlocks, inodeCount, uuid, newLabel, state, createdNs,
                lastMountNs, lastWriteNs, mountCount, freeList);
    }

    /**
     * Writes both copies, each made durable before the other is touched, so a crash tears at most
     * one. The first written is a copy that is not intact when there is one (a crash tore it): the
     * intact twin is then never at risk, even across a second crash. Otherwise the primary first.
     */
    public void writeBoth(DaxDevice device) {
        long primary = 0;
        long backup = Layout.offsetOf(layout().backupSuperblockBlock());
        boolean backupFirst = isIntact(device, primary) && !isIntact(device, backup);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = encode(arena);
            device.copyIn(buf, backupFirst ? backup : primary);
            device.fence();
            device.copyIn(buf, backupFirst ? primary : backup);
            device.fence();
        }
    }

    /** True if the copy at {@code offset} decodes (magic, checksum, version, geometry). */
    public static boolean isIntact(DaxDevice device, long offset) {
        try {
            decode(device, offset);
            return true;
        } catch (CorruptImageException e) {
            return false;
        }
    }

    /**
     * True if the copy at {@code offset} fails its checksum but holds this filesystem's magic,
     * version, block size, geometry and UUID: a copy torn by a crash during its update (those fields
     * are the same before and after any update), which the next mount rewrites from this twin.
     */
    public boolean isTornTwinAt(DaxDevice device, long offset) {
        if (offset < 0 || offset + SIZE > device.size()) {
            return false;
        }
        MemorySegment b = device.directAccess(offset, SIZE);
        return b.get(Layouts.INT, CRC_OFFSET) != Checksums.crc32c(b, 0, CRC_OFFSET) && b.get(Layouts.LONG, 0) == MAGIC && b.get(Layouts.INT, 8) == formatVersion
                && b.get(Layouts.INT, 12) == features && b.get(Layouts.INT, 16) == Layout.BLOCK_SIZE
                && b.get(Layouts.LONG, 24) == totalBlocks && b.get(Layouts.LONG, 32) == inodeCount
                && b.get(Layouts.LONG, 40) == uuid.getMostSignificantBits()
                && b.get(Layouts.LONG, 48) == uuid.getLeastSignificantBits();
    }

    private MemorySegment encode(Arena arena) {
        MemorySegment b = arena.allocate(SIZE, 8);
        b.set(Layouts.LONG, 0, MAGIC);
        b.set(Layouts.INT, 8, formatVersion);
        b.set(Layouts.INT, 12, features);
        b.set(Layouts.INT, 16, Layout.BLOCK_SIZE);
        b.set(Layouts.INT, 20, state.code);
        b.set(Layouts.LONG, 24, totalBlocks);
        b.set(Layouts.LONG, 32, inodeCount);
        b.set(Layouts.LONG, 40, uuid.getMostSignificantBits());
        b.set(Layouts.LONG, 48, uuid.getLeastSignificantBits());
        byte[] labelBytes = label.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(labelBytes, 0, b, Layouts.BYTE, 56, labelBytes.length);
        b.set(Layouts.LONG, 120, createdNs);
        b.set(Layouts.LONG, 128, lastMountNs);
        b.set(Layouts.LONG, 136, lastWriteNs);
        b.set(Layouts.INT, 144, mountCount);
        b.set(Layouts.LONG, 152, freeList.block());
        b.set(Layouts.LONG, 160, freeList.extents());
        b.set(Layouts.INT, 168, freeList.crc());
        b.set(Layouts.INT, CRC_OFFSET, Checksums.crc32c(b, 0, CRC_OFFSET));
        return b;
    }

    /**
     * Decodes the copy at {@code offset}, or throws {@link CorruptImageException} saying exactly
     * what is wrong with it.
     */
    public static Superblock decode(DaxDevice device, long offset) {
        if (offset + SIZE > device.size()) {
            throw new CorruptImageException("superblock at " + offset + " lies beyond the device");
        }
        MemorySegment b = device.directAccess(offset, SIZE);
        if (b.get(Layouts.LONG, 0) != MAGIC) {
            throw new CorruptImageException("no daxfs superblock at byte " + offset + " (bad magic)");
        }
        int stored = b.get(Layouts.INT, CRC_OFFSET);
        if (stored != Checksums.crc32c(b, 0, CRC_OFFSET)) {
            throw new CorruptImageException("superblock at byte " + offset + " fails its checksum");
        }
        int version = b.get(Layouts.INT, 8);
        if (version != FORMAT_VERSION) {
            throw new CorruptImageException("format version " + version + " is not supported: this daxfs reads only"
                    + " version " + FORMAT_VERSION + " (copy the files out with the daxfs that made it)", true);
        }
        int features = b.get(Layouts.INT, 12);
        if ((features & ~KNOWN_FEATURES) != 0) {
            throw new CorruptImageException("unknown feature flags 0x" + Integer.toHexString(features), true);
        }
        if (b.get(Layouts.INT, 16) != Layout.BLOCK_SIZE) {
            throw new CorruptImageException("block size " + b.get(Layouts.INT, 16) + " is not " + Layout.BLOCK_SIZE);
        }
        State state = State.of(b.get(Layouts.INT, 20));
        if (state == null) {
            throw new CorruptImageException("invalid state " + b.get(Layouts.INT, 20));
        }
        long totalBlocks = b.get(Layouts.LONG, 24);
        long inodeCount = b.get(Layouts.LONG, 32);
        if (totalBlocks < Layout.MIN_BLOCKS || totalBlocks > Layout.MAX_BLOCKS
                || totalBlocks > device.size() / Layout.BLOCK_SIZE) {
            throw new CorruptImageException("block count " + totalBlocks + " does not fit the device of "
                    + device.size() / Layout.BLOCK_SIZE + " blocks");
        }
        if (inodeCount < 2 || inodeCount > Layout.MAX_INODES || inodeCount % Layout.INODES_PER_BLOCK != 0
                || Layout.INODE_TABLE_START_BLOCK + inodeCount / Layout.INODES_PER_BLOCK >= totalBlocks - 1) {
            throw new CorruptImageException("inode count " + inodeCount + " does not fit " + totalBlocks + " blocks");
        }
        byte[] labelBytes = b.asSlice(56, MAX_LABEL_BYTES + 1).toArray(Layouts.BYTE);
        int labelLength = 0;
        while (labelLength < MAX_LABEL_BYTES && labelBytes[labelLength] != 0) {
            labelLength++;
        }
        String label = new String(Arrays.copyOf(labelBytes, labelLength), StandardCharsets.UTF_8);
        FreeList freeList = new FreeList(b.get(Layouts.LONG, 152), b.get(Layouts.LONG, 160), b.get(Layouts.INT, 168));
        if (label.getBytes(StandardCharsets.UTF_8).length > MAX_LABEL_BYTES) {
            // invalid UTF-8 decodes to replacement characters, which can outgrow the field
            throw new CorruptImageException("superblock at byte " + offset + " has a label that is not valid UTF-8");
        }
        return new Superblock(version, features, totalBlocks, inodeCount,
                new UUID(b.get(Layouts.LONG, 40), b.get(Layouts.LONG, 48)), label, state,
                b.get(Layouts.LONG, 120), b.get(Layouts.LONG, 128), b.get(Layouts.LONG, 136),
                b.get(Layouts.INT, 144), freeList);
    }

    /** Byte offset of the backup copy on a device of {@code deviceSize} bytes formatted to its full size. */
    public static long backupOffsetFor(long totalBlocks) {
        return Layout.offsetOf(totalBlocks - 1);
    }

    /**
     * Where the backup may be: at the block count the damaged primary still records (if it is
     * plausible), and at the end of the device as mkfs leaves it.
     */
    private static long[] backupCandidates(DaxDevice device) {
        long deviceBlocks = Math.min(device.size() / Layout.BLOCK_SIZE, Layout.MAX_BLOCKS);
        long recorded = device.getLong(24);
        if (recorded >= Layout.MIN_BLOCKS && recorded < deviceBlocks) {
            return new long[] {recorded, deviceBlocks};
        }
        return new long[] {deviceBlocks};
    }

    /**
     * Reads the primary copy, falling back to the backup that the primary's own (damaged) block
     * count, or failing that the device size, points at.
     */
    public static Superblock read(DaxDevice device) {
        try {
            return decode(device, 0);
        } catch (CorruptImageException primaryError) {
            if (primaryError.unsupported()) {
                throw primaryError;
            }
            CorruptImageException backupError = null;
            for (long blocks : backupCandidates(device)) {
                try {
                    return decode(device, backupOffsetFor(blocks));
                } catch (CorruptImageException e) {
                    if (e.unsupported()) {
                        throw e;
                    }
                    backupError = e;
                }
            }
            throw new CorruptImageException("both superblocks are unusable: primary: " + primaryError.getMessage()
                    + "; backup: " + backupError.getMessage());
        }
    }
}
