package io.daxfs.core.balloc;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.Checksums;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock.FreeList;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The free-extent tree of the data area (NOVA's {@code balloc}). DRAM only: a clean unmount saves
 * it ({@link #save}); otherwise mount rebuilds it from the blocks the logs reference
 * ({@link #fromUsed}). Blocks that are pinned or waiting for a deferred free are simply not in
 * the tree, so they are never handed out. Thread-safe.
 */
public final class BlockAllocator {
    /** Blocks in a 2 MiB huge page: large allocations try to start on such a boundary. */
    public static final long HUGE_PAGE_BLOCKS = 512;

    /** How many recently freed single blocks are kept out of the tree. */
    private static final int SINGLES = 64;

    private final Layout layout;
    private final TreeMap<Long, Long> free = new TreeMap<>();
    /**
     * Recently freed single blocks, not in the tree: random 4 KiB copy-on-write frees one block and
     * allocates one per write, and in a tree fragmented by exactly that each insert costs a walk of
     * cache misses. Handing them straight back makes that pair O(1).
     */
    private final long[] singles = new long[SINGLES];
    private int singleCount;
    /** Free blocks, in the tree and in {@link #singles}. */
    private long freeBlocks;
    private long cursor;
    /**
     * Frees made while a loaded list is not verified yet ({@link #load}); null once it is. Until
     * then nothing is handed out, and frees wait here, because the tree may still hold blocks a
     * crafted list calls free while a file uses them (issue #13 point 2).
     */
    private List<Extent> unverifiedFrees;
    /** Why the list could not be verified; then nothing is ever handed out. */
    private String refused;
    /** Blocks found used by two owners: never handed out, even when one owner frees them. */
    private BitSet quarantined = new BitSet();
    /** Allocations left before an injected ENOSPC (0: none injected); see {@link #failAllocation}. */
    private long failCountdown;

    private BlockAllocator(Layout layout) {
        this.layout = layout;
        this.cursor = layout.dataStartBlock();
    }

    /** An allocator with the whole data area free (a new filesystem). */
    public static BlockAllocator allFree(Layout layout) {
        BlockAllocator allocator = new BlockAllocator(layout);
        allocator.insert(layout.dataStartBlock(), layout.dataBlocks());
        return allocator;
    }

    /** An allocator whose free blocks are the data blocks not set in {@code used}. */
    public static BlockAllocator fromUsed(Layout layout, BitSet used) {
        BlockAllocator allocator = new BlockAllocator(layout);
        long block = layout.dataStartBlock();
        long end = layout.dataEndBlock();
        while (block < end) {
            long start = used.nextClearBit((int) block);
            if (start >= end) {
                break;
            }
            long stop = Math.min(end, used.nextSetBit((int) start) < 0 ? end : used.nextSetBit((int) start));
            allocator.insert(start, stop - start);
            block = stop;
        }
        return allocator;
    }

    public synchronized long freeBlocks() {
        return freeBlocks;
    }

    /** One block, for a log page. */
    public long allocateOne() {
        return allocate(1, false).getFirst().start();
    }

    /**
     * Allocates {@code count} blocks as one or more extents, all or nothing.
     *
     * @param huge try to start on 2 MiB boundaries (large file writes, so DAX mappings can use
     *     huge pages)
     * @throws FsException ENOSPC when fewer than {@code count} blocks are free
     */
    public synchronized List<Extent> allocate(long count, boolean huge) {
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive: " + count);
        }
        awaitVerified();
        countDownInjectedFailure();
        if (count > freeBlocks) {
            throw new FsException(Errno.ENOSPC, "need " + count + " blocks, " + freeBlocks + " free");
        }
        if (count == 1 && singleCount > 0) {
            freeBlocks--;
            return List.of(new Extent(singles[--singleCount], 1));
        }
        if (count > freeBlocks - singleCount) {
            drainSingles();
        }
        List<Extent> out = new ArrayList<>();
        long remaining = count;
        if (huge && count >= HUGE_PAGE_BLOCKS) {
            remaining = takeAligned(remaining, out);
        }
        while (remaining > 0) {
            Map.Entry<Long, Long> e = free.ceilingEntry(cursor);
            if (e == null) {
                e = free.firstEntry();
            }
            long take = Math.min(remaining, e.getValue());
            take(e.getKey(), e.getValue(), e.getKey(), take);
            out.add(new Extent(e.getKey(), take));
            cursor = e.getKey() + take;
            remaining -= take;
        }
        return out;
    }

    /**
     * Allocates {@code count} blocks as one run (for a DAX mapping), 2 MiB-aligned when the
     * request is that large and such a run is free.
     *
     * @throws FsException ENOSPC when no free run is long enough
     */
    public synchronized Extent allocateContiguous(long count) {
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive: " + count);
        }
        awaitVerified();
        countDownInjectedFailure();
        drainSingles();
        // Keys and lengths are copied out: TreeMap reuses an entry object when it removes a node,
        // so a live entry held across take() may turn into its successor.
        long fitStart = -1;
        long fitLength = 0;
        for (Map.Entry<Long, Long> e : free.entrySet()) {
            long start = e.getKey();
            long length = e.getValue();
            long aligned = (start + HUGE_PAGE_BLOCKS - 1) / HUGE_PAGE_BLOCKS * HUGE_PAGE_BLOCKS;
            if (count >= HUGE_PAGE_BLOCKS && start + length - aligned >= count) {
                take(start, length, aligned, count);
                return new Extent(aligned, count);
            }
            if (fitStart < 0 && length >= count) {
                fitStart = start;
                fitLength = length;
            }
        }
        if (fitStart < 0) {
            throw new FsException(Errno.ENOSPC, "no free run of " + count + " blocks");
        }
        take(fitStart, fitLength, fitStart, count);
        return new Extent(fitStart, count);
    }

    /**
     * Fault injection for the error-path tests: the {@code k}-th allocation from now fails with
     * ENOSPC as if the device were full; 0 cancels. Every error path must give back what it took.
     */
    public synchronized void failAllocation(long k) {
        if (k < 0) {
            throw new IllegalArgumentException("negative allocation index " + k);
        }
        failCountdown = k;
    }

    /** True while a failure injected by {@link #failAllocation} has not happened yet. */
    public synchronized boolean failurePending() {
        return failCountdown > 0;
    }

    private void countDownInjectedFailure() {
        if (failCountdown > 0 && --failCountdown == 0) {
            throw new FsException(Errno.ENOSPC, "injected allocation failure");
        }
    }

    /** Takes 2 MiB-aligned runs of at least 512 blocks while they last; returns what is still needed. */
    private long takeAligned(long remaining, List<Extent> out) {
        Long key = free.firstKey();
        while (key != null && remaining >= HUGE_PAGE_BLOCKS) {
            long length = free.get(key);
            long aligned = (key + HUGE_PAGE_BLOCKS - 1) / HUGE_PAGE_BLOCKS * HUGE_PAGE_BLOCKS;
            long usable = key + length - aligned;
            if (usable >= HUGE_PAGE_BLOCKS) {
                long take = Math.min(remaining, usable);
                take(key, length, aligned, take);
                out.add(new Extent(aligned, take));
                remaining -= take;
                cursor = aligned + take;
                key = free.higherKey(aligned);
            } else {
                key = free.higherKey(key);
            }
        }
        return remaining;
    }

    /** Removes {@code [start, start+count)} from the free extent {@code [key, key+length)}. */
    private void take(long key, long length, long start, long count) {
        free.remove(key);
        if (start > key) {
            free.put(key, start - key);
        }
        long end = start + count;
        if (end < key + length) {
            free.put(end, key + length - end);
        }
        freeBlocks -= count;
    }

    /** Gives {@code extent} back. */
    public void free(Extent extent) {
        free(extent.start(), extent.count());
    }

    /** Gives {@code [start, start+count)} back, merging with its neighbours. */
    public synchronized void free(long start, long count) {
        if (!layout.isDataBlock(start) || !layout.isDataBlock(start + count - 1)) {
            throw new IllegalArgumentException("freeing blocks outside the data area: " + start + "+" + count);
        }
        if (unverifiedFrees != null) {
            unverifiedFrees.add(new Extent(start, count));
            return;
        }
        int shared = quarantined.nextSetBit((int) start);
        if (shared >= 0 && shared < start + count) {
            freeAround(start, count);
            return;
        }
        if (count == 1 && singleCount < SINGLES) {
            if (inTree(start) || inSingles(start)) {
                throw new IllegalStateException("double free of blocks " + start + "+1");
            }
            singles[singleCount++] = start;
            freeBlocks++;
            return;
        }
        insert(start, count);
    }

    /** Frees the parts of {@code [start, start+count)} that are not quarantined. */
    private void freeAround(long start, long count) {
        long end = start + count;
        long pos = start;
        while (pos < end) {
            long shared = quarantined.nextSetBit((int) pos);
            long stop = shared < 0 || shared >= end ? end : shared;
            if (stop > pos) {
                insert(pos, stop - pos);
            }
            pos = stop >= end ? end : quarantined.nextClearBit((int) stop);
        }
    }

    // ---- a loaded list is verified before anything from it is handed out (issue #13) ----

    private void awaitVerified() {
        boolean interrupted = false;
        while (unverifiedFrees != null && refused == null) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (refused != null) {
            throw new FsException(Errno.EROFS, refused);
        }
    }

    /**
     * The verification of a loaded list is done: {@code used} are the blocks the logs used at
     * mount, {@code shared} those used by two owners. Blocks the list called free but that are in
     * use are withheld (leaked until fsck.daxfs rebuilds the list), shared blocks are never given
     * out again, the frees made meanwhile are applied, and allocation starts. Returns the number
     * of blocks withheld.
     */
    public synchronized long verified(BitSet used, BitSet shared) {
        drainSingles();
        long withheld = 0;
        List<Extent> extents = new ArrayList<>(free.size());
        free.forEach((s, c) -> extents.add(new Extent(s, c)));
        for (Extent e : extents) {
            long end = e.start() + e.count();
            int clash = used.nextSetBit((int) e.start());
            if (clash < 0 || clash >= end) {
                continue;
            }
            take(e.start(), e.count(), e.start(), e.count());
            for (long pos = e.start(); pos < end; ) {
                long u = used.nextSetBit((int) pos);
                long stop = u < 0 || u >= end ? end : u;
                if (stop > pos) {
                    insert(pos, stop - pos);
                }
                if (stop >= end) {
                    break;
                }
                pos = Math.min(end, used.nextClearBit((int) stop));
                withheld += pos - stop;
            }
        }
        quarantined = (BitSet) shared.clone();
        List<Extent> frees = unverifiedFrees;
        unverifiedFrees = null;
        for (Extent e : frees) {
            freeMissing(e.start(), e.count());
        }
        notifyAll();
        return withheld;
    }

    /** Frees what of {@code [start, start+count)} is not free already (a crafted list may have called it free). */
    private void freeMissing(long start, long count) {
        long end = start + count;
        long pos = start;
        while (pos < end) {
            Map.Entry<Long, Long> inside = free.floorEntry(pos);
            if (inside != null && inside.getKey() + inside.getValue() > pos) {
                pos = inside.getKey() + inside.getValue();
                continue;
            }
            Long next = free.higherKey(pos);
            long stop = next == null ? end : Math.min(end, next);
            free(pos, stop - pos);
            pos = stop;
        }
    }

    /** The loaded list could not be verified: nothing is handed out, ever (the volume is read-only). */
    public synchronized void refuse(String why) {
        refused = why;
        notifyAll();
    }

    /** Moves the cached single blocks into the tree (before anything that looks at the tree as a whole). */
    private void drainSingles() {
        int n = singleCount;
        singleCount = 0;
        freeBlocks -= n;
        for (int i = 0; i < n; i++) {
            insert(singles[i], 1);
        }
    }

    private boolean inTree(long block) {
        Map.Entry<Long, Long> e = free.floorEntry(block);
        return e != null && e.getKey() + e.getValue() > block;
    }

    private boolean inSingles(long block) {
        for (int i = 0; i < singleCount; i++) {
            if (singles[i] == block) {
                return true;
            }
        }
        return false;
    }

    private void insert(long start, long count) {
        if (count == 0) {
            return;
        }
        Map.Entry<Long, Long> before = free.floorEntry(start);
        Map.Entry<Long, Long> after = free.ceilingEntry(start);
        if ((before != null && before.getKey() + before.getValue() > start)
                || (after != null && after.getKey() < start + count)) {
            throw new IllegalStateException("double free of blocks " + start + "+" + count);
        }
        long newStart = start;
        long newCount = count;
        if (before != null && before.getKey() + before.getValue() == start) {
            newStart = before.getKey();
            newCount += before.getValue();
            free.remove(before.getKey());
        }
        if (after != null && after.getKey() == start + count) {
            newCount += after.getValue();
            free.remove(after.getKey());
        }
        free.put(newStart, newCount);
        freeBlocks += count;
    }

    /** True if every block of {@code [start, start+count)} is free. */
    public synchronized boolean isFree(long start, long count) {
        drainSingles();
        Map.Entry<Long, Long> e = free.floorEntry(start);
        return e != null && e.getKey() + e.getValue() >= start + count;
    }

    /** A copy of the free extents, in block order. */
    public synchronized List<Extent> freeExtents() {
        drainSingles();
        List<Extent> out = new ArrayList<>(free.size());
        free.forEach((s, c) -> out.add(new Extent(s, c)));
        return out;
    }

    /**
     * Saves the free extents into the largest free extent itself (it is free, so writing there
     * harms nothing) for a clean unmount. Returns {@link FreeList#NONE} if it does not fit, or if
     * a loaded list was never verified (the next mount then scans the logs).
     */
    public synchronized FreeList save(DaxDevice device) {
        if (refused != null || unverifiedFrees != null) {
            return FreeList.NONE;
        }
        drainSingles();
        int extents = free.size();
        long bytes = (long) extents * 16;
        long needBlocks = Math.max(1, (bytes + Layout.BLOCK_SIZE - 1) / Layout.BLOCK_SIZE);
        Map.Entry<Long, Long> largest = null;
        for (Map.Entry<Long, Long> e : free.entrySet()) {
            if (largest == null || e.getValue() > largest.getValue()) {
                largest = e;
            }
        }
        if (largest == null || largest.getValue() < needBlocks || bytes > Integer.MAX_VALUE) {
            return FreeList.NONE;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(bytes, 16), 8);
            long at = 0;
            for (Map.Entry<Long, Long> e : free.entrySet()) {
                buf.set(Layouts.LONG, at, e.getKey());
                buf.set(Layouts.LONG, at + 8, e.getValue());
                at += 16;
            }
            MemorySegment list = buf.asSlice(0, bytes);
            device.copyIn(list, Layout.offsetOf(largest.getKey()));
            device.fence();
            return new FreeList(largest.getKey(), extents, Checksums.crc32c(list, 0, bytes));
        }
    }

    /**
     * Loads a list written by {@link #save}. The list is not trusted: nothing is handed out until
     * {@link #verified} (or {@link #refuse}) is called. Throws {@link IllegalStateException} if it is damaged
     * or inconsistent, so that mount falls back to a scan.
     */
    public static BlockAllocator load(Layout layout, DaxDevice device, FreeList list) {
        if (list.extents() < 0 || list.extents() > layout.dataBlocks()) {
            throw new IllegalStateException("saved free list claims " + list.extents() + " extents");
        }
        long bytes = list.extents() * 16;
        if (!layout.isDataBlock(list.block()) || list.extents() < 0
                || !layout.isDataBlock(list.block() + Math.max(0, (bytes - 1) / Layout.BLOCK_SIZE))) {
            throw new IllegalStateException("saved free list lies outside the data area");
        }
        MemorySegment saved = device.directAccess(Layout.offsetOf(list.block()), bytes);
        if (Checksums.crc32c(saved, 0, bytes) != list.crc()) {
            throw new IllegalStateException("saved free list fails its checksum");
        }
        BlockAllocator allocator = new BlockAllocator(layout);
        for (long at = 0; at < bytes; at += 16) {
            long start = saved.get(Layouts.LONG, at);
            long count = saved.get(Layouts.LONG, at + 8);
            if (count <= 0 || !layout.isDataBlock(start) || !layout.isDataBlock(start + count - 1)) {
                throw new IllegalStateException("saved free extent " + start + "+" + count + " is invalid");
            }
            allocator.insert(start, count);
        }
        allocator.unverifiedFrees = new ArrayList<>();
        return allocator;
    }
}
