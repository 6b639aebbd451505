package io.daxfs.core.balloc;

import io.daxfs.core.format.Layout;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A set of log slots (512-byte first log segments packed eight to a block, docs/FORMAT.md), held
 * as one byte of slot bits per block, in chunks of {@value #CHUNK} blocks allocated as slots land
 * in them: no boxing, and a set that holds a few packed pages costs a few chunks. The mount scans,
 * the background verification, the block claims of lazily loaded inodes and the checker collect
 * the slots logs start in with it; the {@link SlotAllocator} keeps the slots in use in one. Not
 * thread-safe.
 */
public final class SlotSet {
    private static final int CHUNK_BITS = 12;
    private static final int CHUNK = 1 << CHUNK_BITS;

    static {
        if (Layout.SLOTS_PER_BLOCK > Byte.SIZE) {
            throw new ExceptionInInitializerError("a block's slots must fit in a byte: " + Layout.SLOTS_PER_BLOCK);
        }
    }

    /** Chunk i holds the slot bits of blocks [i * CHUNK, (i + 1) * CHUNK); null if none has a slot. */
    private byte[][] chunks = new byte[0][];
    private long size;

    /** Adds the slot at device offset {@code slotOffset}; false if it was in the set already. */
    public boolean add(long slotOffset) {
        int block = blockIndex(slotOffset);
        byte[] chunk = chunkFor(block);
        int bit = 1 << indexOf(slotOffset);
        int at = block & (CHUNK - 1);
        if ((chunk[at] & bit) != 0) {
            return false;
        }
        chunk[at] |= (byte) bit;
        size++;
        return true;
    }

    /** Removes the slot; returns the slots left in its page (0: the page holds none now). */
    public int remove(long slotOffset) {
        int block = blockIndex(slotOffset);
        int mask = mask(block);
        int bit = 1 << indexOf(slotOffset);
        if ((mask & bit) == 0) {
            return mask;
        }
        mask &= ~bit;
        chunks[block >>> CHUNK_BITS][block & (CHUNK - 1)] = (byte) mask;
        size--;
        return mask;
    }

    public boolean contains(long slotOffset) {
        return (mask(blockOf(slotOffset)) & (1 << indexOf(slotOffset))) != 0;
    }

    /** The slots in use in {@code block}, bit i for slot i; 0 if none. */
    public int mask(long block) {
        long chunk = block >>> CHUNK_BITS;
        if (block < 0 || chunk >= chunks.length || chunks[(int) chunk] == null) {
            return 0;
        }
        return chunks[(int) chunk][(int) block & (CHUNK - 1)] & 0xFF;
    }

    /** True if some slot of {@code block} is in the set: the block is a packed page. */
    public boolean isPacked(long block) {
        return mask(block) != 0;
    }

    /** Slots in the set. */
    public long size() {
        return size;
    }

    /** The packed pages, as a set of block numbers. */
    public BitSet pages() {
        BitSet pages = new BitSet();
        forEachPage((block, mask) -> pages.set((int) block));
        return pages;
    }

    /** Calls {@code visitor} with every packed page and its mask, in block order. */
    public void forEachPage(PageVisitor visitor) {
        for (int c = 0; c < chunks.length; c++) {
            byte[] chunk = chunks[c];
            if (chunk != null) {
                for (int i = 0; i < CHUNK; i++) {
                    if (chunk[i] != 0) {
                        visitor.page(((long) c << CHUNK_BITS) + i, chunk[i] & 0xFF);
                    }
                }
            }
        }
    }

    /** Receives a packed page and the mask of its slots in the set. */
    @FunctionalInterface
    public interface PageVisitor {
        void page(long block, int mask);
    }

    /**
     * Takes in every slot of {@code other}; the blocks of slots both sets held go into
     * {@code clashes} (a slot claimed by two logs).
     */
    public void addAll(SlotSet other, BitSet clashes) {
        for (int c = 0; c < other.chunks.length; c++) {
            byte[] theirs = other.chunks[c];
            if (theirs == null) {
                continue;
            }
            byte[] mine = chunkFor(c << CHUNK_BITS);
            for (int i = 0; i < CHUNK; i++) {
                int both = mine[i] & theirs[i];
                if (both != 0) {
                    clashes.set((c << CHUNK_BITS) + i);
                }
                size += Integer.bitCount((theirs[i] & 0xFF) & ~both);
                mine[i] |= theirs[i];
            }
        }
    }

    /** The block of the slot at device offset {@code slotOffset}. */
    public static long blockOf(long slotOffset) {
        return slotOffset / Layout.BLOCK_SIZE;
    }

    /** The index of the slot at {@code slotOffset} in its packed page. */
    public static int indexOf(long slotOffset) {
        return (int) (slotOffset % Layout.BLOCK_SIZE / Layout.SLOT_SIZE);
    }

    /** Device offset of slot {@code index} of packed page {@code block}. */
    public static long slotOffset(long block, int index) {
        return Layout.offsetOf(block) + (long) index * Layout.SLOT_SIZE;
    }

    /** The block of {@code slotOffset} as an index; block numbers are ints everywhere (bit sets). */
    private static int blockIndex(long slotOffset) {
        long block = blockOf(slotOffset);
        if (slotOffset < 0 || block > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("no slot at device offset " + slotOffset);
        }
        return (int) block;
    }

    /** The chunk holding {@code block}, allocated (and the chunk table grown) if need be. */
    private byte[] chunkFor(int block) {
        int c = block >>> CHUNK_BITS;
        if (c >= chunks.length) {
            chunks = Arrays.copyOf(chunks, Math.max(c + 1, chunks.length * 2));
        }
        byte[] chunk = chunks[c];
        if (chunk == null) {
            chunk = new byte[CHUNK];
            chunks[c] = chunk;
        }
        return chunk;
    }
}
