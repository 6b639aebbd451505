package io.daxfs.core.balloc;

import io.daxfs.core.FsException;
import io.daxfs.core.format.Layout;
import java.util.BitSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

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
    /** Stripes: a power of two, eight per core (as {@code volume.StripedCount}), so threads rarely share one. */
    private static final int STRIPES = Integer.highestOneBit(Runtime.getRuntime().availableProcessors() * 8 - 1);

    private final BlockAllocator blocks;
    /**
     * Each thread allocates in a stripe of its own (packed pages, lock and cursor), so threads
     * creating at once neither wait for one monitor nor write one another's lines: with one
     * monitor and one cursor, two threads' slots shared pages and every allocation moved the lock,
     * the cursor and the page's bits between cores (issue 11.1: a create's slot step cost 1.8
     * times as much CPU at two threads as at one).
     */
    private final Stripe[] stripes = new Stripe[STRIPES];
    /** The stripe whose pages each packed page is among (set when the page is taken, or adopted). */
    private final ConcurrentHashMap<Integer, Stripe> owners = new ConcurrentHashMap<>();
    /** Packed pages found claimed twice: never handed out nor freed; written by {@link #adopt} under every stripe's lock. */
    private final BitSet quarantined = new BitSet();
    /** Shut until {@link #adopt} when the slots in use are not known yet (a clean mount). */
    private final VerificationGate<Long> gate;

    /** One stripe's packed pages; guarded by its own monitor. */
    private static final class Stripe {
        /** Keeps two stripes' monitors and fields off one cache line (and a prefetched pair). */
        @SuppressWarnings("unused")
        private long p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15;
        final SlotSet used = new SlotSet();
        /**
         * Packed pages with at least one free slot. A sorted set, not a {@code BitSet}: clearing a
         * BitSet's highest bit scans down to the next set word, thousands of words when the one
         * partial page lies far into the device (5% of a create's CPU, under the lock).
         */
        final TreeSet<Integer> partial = new TreeSet<>();
        /** Partial pages, read without the lock by threads of other stripes looking for a spare one. */
        volatile int partialCount;
        int cursor = -1;
    }

    private SlotAllocator(BlockAllocator blocks, VerificationGate<Long> gate) {
        this.blocks = blocks;
        this.gate = gate;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
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
     * A free slot, as its device offset: in a partial page of this thread's stripe, else in a
     * partial page of another stripe (any but the one that stripe is filling), else in a new
     * block taken as {@code use} allows (the metadata reserve); so a new block is taken only when
     * no stripe has a spare free slot.
     *
     * @throws FsException ENOSPC when a new page is needed and none is free; EROFS if the slots
     *     in use could not be learnt
     */
    public long allocate(BlockAllocator.Use use) {
        gate.awaitOpen(); // not under a stripe's lock: adopt needs them to open the gate
        Stripe own = stripes[stripe()];
        synchronized (own) {
            if (!own.partial.isEmpty()) {
                return take(own);
            }
        }
        for (Stripe other : stripes) {
            if (other != own && other.partialCount > 0) {
                synchronized (other) {
                    Integer spare = spare(other);
                    if (spare != null) {
                        return takeIn(other, spare);
                    }
                }
            }
        }
        synchronized (own) {
            if (own.partial.isEmpty()) {
                int block = (int) blocks.allocateOne(use);
                owners.put(block, own);
                addPartial(own, block);
            }
            return take(own);
        }
    }

    /** A free slot of one of {@code s}'s partial pages (at least one); the caller holds its lock. */
    private long take(Stripe s) {
        Integer next = s.partial.ceiling(s.cursor);
        int block = next != null ? next : s.partial.first();
        s.cursor = block;
        return takeIn(s, block);
    }

    /** A partial page of {@code s} other than the one its threads are filling (its cursor's), or null; under its lock. */
    private static Integer spare(Stripe s) {
        if (s.partial.isEmpty()) {
            return null;
        }
        int first = s.partial.first();
        return first != s.cursor ? Integer.valueOf(first) : s.partial.higher(first);
    }

    /** A free slot of {@code s}'s partial page {@code block}; the caller holds its lock. */
    private long takeIn(Stripe s, int block) {
        int mask = s.used.mask(block);
        int index = Integer.numberOfTrailingZeros(~mask);
        long offset = SlotSet.slotOffset(block, index);
        s.used.add(offset);
        if ((mask | 1 << index) == FULL) {
            removePartial(s, block);
        }
        return offset;
    }

    /** Gives back the slot at {@code slotOffset}; its page too if it was the page's last slot in use. */
    public void free(long slotOffset) {
        if (gate.deferIfShut(slotOffset, Long::valueOf)) {
            return;
        }
        int block = (int) SlotSet.blockOf(slotOffset);
        Stripe s = owners.get(block);
        if (s == null) {
            throw new IllegalStateException("freeing slot " + slotOffset + ", which is not in use");
        }
        synchronized (s) {
            if (!s.used.contains(slotOffset)) {
                throw new IllegalStateException("freeing slot " + slotOffset + ", which is not in use");
            }
            int left = s.used.remove(slotOffset);
            if (quarantined.get(block)) {
                return;
            }
            if (left == 0) {
                removePartial(s, block);
                owners.remove(block);
                blocks.free(block, 1);
            } else {
                addPartial(s, block);
            }
        }
    }

    private static void addPartial(Stripe s, int block) {
        if (s.partial.add(block)) {
            s.partialCount = s.partial.size();
        }
    }

    private static void removePartial(Stripe s, int block) {
        if (s.partial.remove(block)) {
            s.partialCount = s.partial.size();
        }
    }

    /**
     * The verification of a clean mount is done: {@code inUse} are the slots the logs start in,
     * {@code keep} the blocks a slot's page must not be freed for (used otherwise, or by two
     * owners). Slots in pages of {@code shared} are never handed out. The frees made meanwhile are
     * applied, and allocation starts.
     */
    public void adopt(SlotSet inUse, BitSet shared, BitSet keep) {
        lockAll(0, () -> {
            BitSet sharedPages = (BitSet) shared.clone();
            sharedPages.and(inUse.pages());
            quarantined.or(sharedPages);
            take(inUse);
        });
        gate.open(frees -> {
            BitSet freedPages = new BitSet();
            for (long slot : frees) {
                int block = (int) SlotSet.blockOf(slot);
                Stripe s = owners.get(block);
                if (s != null && isUsed(s, slot)) {
                    free(slot);
                } else if (s == null && !keep.get(block) && !quarantined.get(block) && !freedPages.get(block)) {
                    // the last slots of a page whose owners were deleted before the verification read them
                    freedPages.set(block);
                    blocks.free(block, 1);
                }
            }
            return null;
        });
    }

    private static boolean isUsed(Stripe s, long slot) {
        synchronized (s) {
            return s.used.contains(slot);
        }
    }

    /** Runs {@code body} holding the locks of stripes {@code from} onwards, taken in order. */
    private void lockAll(int from, Runnable body) {
        if (from == STRIPES) {
            body.run();
            return;
        }
        synchronized (stripes[from]) {
            lockAll(from + 1, body);
        }
    }

    /** The slots in use could not be learnt: nothing is handed out, ever (the volume is read-only). */
    public void refuse(String why) {
        gate.refuse(why);
    }

    /** Slots in use. */
    public long slotsInUse() {
        long sum = 0;
        for (Stripe s : stripes) {
            synchronized (s) {
                sum += s.used.size();
            }
        }
        return sum;
    }

    /** Blocks holding slots in use. */
    public long packedPages() {
        long sum = 0;
        for (Stripe s : stripes) {
            synchronized (s) {
                sum += s.used.pages().cardinality();
            }
        }
        return sum;
    }

    /** Adds the slots of {@code inUse} to the stripes, a page's slots all to one (by page number); callers hold every lock or own the object alone. */
    private void take(SlotSet inUse) {
        inUse.forEachPage((block, mask) -> {
            Stripe s = stripes[(int) (block & (STRIPES - 1))];
            owners.put((int) block, s);
            for (int i = 0; i < Layout.SLOTS_PER_BLOCK; i++) {
                if ((mask & 1 << i) != 0) {
                    s.used.add(SlotSet.slotOffset(block, i));
                }
            }
            if (s.used.mask(block) != FULL && !quarantined.get((int) block)) {
                addPartial(s, (int) block);
            }
        });
    }

    /** This thread's stripe: the same for its every call. */
    private static int stripe() {
        long id = Thread.currentThread().threadId();
        return (int) ((id ^ (id >>> 16)) & (STRIPES - 1));
    }
}
