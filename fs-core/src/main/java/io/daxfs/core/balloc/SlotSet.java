package io.daxfs.core.balloc;

import io.daxfs.core.format.Layout;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * A set of log slots (512-byte first log segments packed eight to a block, docs/FORMAT.md), held
 * as one bit mask per packed page. The mount scans, the background verification, the block claims
 * of lazily loaded inodes and the checker collect the slots logs start in with it; the
 * {@link SlotAllocator} keeps the slots in use in one. Not thread-safe.
 */
public final class SlotSet {
    private final Map<Long, Integer> masks = new HashMap<>();

    /** Adds the slot at device offset {@code slotOffset}; false if it was in the set already. */
    public boolean add(long slotOffset) {
        long block = blockOf(slotOffset);
        int bit = 1 << indexOf(slotOffset);
        int mask = masks.getOrDefault(block, 0);
        if ((mask & bit) != 0) {
            return false;
        }
        masks.put(block, mask | bit);
        return true;
    }

    /** Removes the slot; returns the slots left in its page (0: the page holds none now). */
    public int remove(long slotOffset) {
        long block = blockOf(slotOffset);
        int mask = masks.getOrDefault(block, 0) & ~(1 << indexOf(slotOffset));
        if (mask == 0) {
            masks.remove(block);
        } else {
            masks.put(block, mask);
        }
        return mask;
    }

    public boolean contains(long slotOffset) {
        return (mask(blockOf(slotOffset)) & (1 << indexOf(slotOffset))) != 0;
    }

    /** The slots in use in {@code block}, bit i for slot i; 0 if none. */
    public int mask(long block) {
        return masks.getOrDefault(block, 0);
    }

    /** True if some slot of {@code block} is in the set: the block is a packed page. */
    public boolean isPacked(long block) {
        return masks.containsKey(block);
    }

    /** Slots in the set. */
    public long size() {
        long n = 0;
        for (int mask : masks.values()) {
            n += Integer.bitCount(mask);
        }
        return n;
    }

    /** The packed pages, as a set of block numbers. */
    public BitSet pages() {
        BitSet pages = new BitSet();
        masks.keySet().forEach(block -> pages.set((int) (long) block));
        return pages;
    }

    /** Calls {@code visitor} with every packed page and its mask. */
    public void forEachPage(PageVisitor visitor) {
        masks.forEach((block, mask) -> visitor.page(block, mask));
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
        other.masks.forEach((block, mask) -> {
            int mine = masks.getOrDefault(block, 0);
            if ((mine & mask) != 0) {
                clashes.set((int) (long) block);
            }
            masks.put(block, mine | mask);
        });
    }

    /** Drops every slot of the pages set in {@code blocks}. */
    public void removePages(BitSet blocks) {
        masks.keySet().removeIf(block -> blocks.get((int) (long) block));
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
}
