package io.daxfs.core.balloc;

import io.daxfs.core.FsException;
import io.daxfs.core.format.Layout;
import java.util.BitSet;
import java.util.TreeSet;

/**
 * Hands out log slots (docs/FORMAT.md, "Log pages and slots"): 512-byte first segments of small
 * logs, packed eight to a block. A packed page is taken from the {@link BlockAllocator} when no
 * packed page has a free slot, and given back when its last slot is freed. Nothing about slots is
 * stored: which slots are in use is learnt from the logs' heads by the scan that follows a crash
 * ({@link #of}), or by the background verification of a clean mount ({@link #adopt}); until then
 * nothing is handed out and frees wait, as the block allocator does. Used by the log writer and
 * {@code volume.Volume}; thread-safe.
 */
public final class SlotAllocator {
    private static final int FULL = (1 << Layout.SLOTS_PER_BLOCK) - 1;

    private final BlockAllocator blocks;
    private final SlotSet used = new SlotSet();
    /**
     * Packed pages with at least one free slot. A sorted set, not a {@code BitSet}: clearing a
     * BitSet's highest bit scans down to the next set word, thousands of words when the one
     * partial page lies far into the device (5% of a create's CPU, under this object's lock).
     */
    private final TreeSet<Integer> partial = new TreeSet<>();
    /** Packed pages found claimed twice: their slots are never handed out, nor the page freed. */
    private final BitSet quarantined = new BitSet();
    /** Shut until {@link #adopt} when the slots in use are not known yet (a clean mount). */
    private final VerificationGate<Long> gate;
    private int cursor;

    private SlotAllocator(BlockAllocator blocks, VerificationGate<Long> gate) {
        this.blocks = blocks;
        this.gate = gate;
    }

    /** No slot in use (a new filesystem, or the checker's repairs, which only add logs). */
    public static SlotAllocator empty(BlockAllocator blocks) {
        return new SlotAllocator(blocks, VerificationGate.opened());
    }

    /** The slots in {@code inUse} are taken (the scan after a crash read every log). */
    public static SlotAllocator of(BlockAllocator blocks, SlotSet inUse) {
        SlotAllocator slots = new SlotAllocator(blocks, VerificationGate.opened());
        slots.take(inUse);
        return slots;
    }

    /** Slots in use unknown until {@link #adopt} (a clean mount: the verification reads the logs). */
    public static SlotAllocator pending(BlockAllocator blocks) {
        return new SlotAllocator(blocks, VerificationGate.shut());
    }

    /**
     * A free slot, as its device offset; its page is a packed page with a free slot, or a new
     * block taken as {@code use} allows (the metadata reserve).
     *
     * @throws FsException ENOSPC when a new page is needed and none is free; EROFS if the slots
     *     in use could not be learnt
     */
    public long allocate(BlockAllocator.Use use) {
        gate.awaitOpen(); // not under this object's lock: adopt needs it to open the gate
        synchronized (this) {
            Integer next = partial.ceiling(cursor);
            if (next == null && !partial.isEmpty()) {
                next = partial.first();
            }
            int block;
            if (next == null) {
                block = (int) blocks.allocateOne(use);
                partial.add(block);
            } else {
                block = next;
            }
            cursor = block;
            int mask = used.mask(block);
            int index = Integer.numberOfTrailingZeros(~mask);
            long offset = SlotSet.slotOffset(block, index);
            used.add(offset);
            if ((mask | 1 << index) == FULL) {
                partial.remove(block);
            }
            return offset;
        }
    }

    /** Gives back the slot at {@code slotOffset}; its page too if it was the page's last slot in use. */
    public synchronized void free(long slotOffset) {
        if (gate.deferIfShut(slotOffset)) {
            return;
        }
        long block = SlotSet.blockOf(slotOffset);
        if (!used.contains(slotOffset)) {
            throw new IllegalStateException("freeing slot " + slotOffset + ", which is not in use");
        }
        int left = used.remove(slotOffset);
        if (quarantined.get((int) block)) {
            return;
        }
        if (left == 0) {
            partial.remove((int) block);
            blocks.free(block, 1);
        } else {
            partial.add((int) block);
        }
    }

    /**
     * The verification of a clean mount is done: {@code inUse} are the slots the logs start in,
     * {@code keep} the blocks a slot's page must not be freed for (used otherwise, or by two
     * owners). Slots in pages of {@code shared} are never handed out. The frees made meanwhile are
     * applied, and allocation starts.
     */
    public synchronized void adopt(SlotSet inUse, BitSet shared, BitSet keep) {
        BitSet sharedPages = (BitSet) shared.clone();
        sharedPages.and(inUse.pages());
        quarantined.or(sharedPages);
        take(inUse);
        gate.open(frees -> {
            BitSet freedPages = new BitSet();
            for (long slot : frees) {
                int block = (int) SlotSet.blockOf(slot);
                if (used.contains(slot)) {
                    free(slot);
                } else if (!used.isPacked(block) && !keep.get(block) && !quarantined.get(block)
                        && !freedPages.get(block)) {
                    // the last slots of a page whose owners were deleted before the verification read them
                    freedPages.set(block);
                    blocks.free(block, 1);
                }
            }
            return null;
        });
    }

    /** The slots in use could not be learnt: nothing is handed out, ever (the volume is read-only). */
    public void refuse(String why) {
        gate.refuse(why);
    }

    /** Slots in use. */
    public synchronized long slotsInUse() {
        return used.size();
    }

    /** Blocks holding slots in use. */
    public synchronized long packedPages() {
        return used.pages().cardinality();
    }

    private void take(SlotSet inUse) {
        inUse.forEachPage((block, mask) -> {
            for (int i = 0; i < Layout.SLOTS_PER_BLOCK; i++) {
                if ((mask & 1 << i) != 0) {
                    used.add(SlotSet.slotOffset(block, i));
                }
            }
            if (used.mask(block) != FULL && !quarantined.get((int) block)) {
                partial.add((int) block);
            }
        });
    }
}
