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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The free blocks of the data area (NOVA's {@code balloc}), split into {@link FreeRegion}s (NOVA's
 * per-CPU free lists): each thread has a home region and allocates from it, and frees single
 * blocks into its cache, so threads writing different files do not contend. A request its home
 * region cannot serve goes to the other regions, then to a slow path that locks every region (in
 * order) and may span them; whole-area views (contiguous runs, save) take that path too. DRAM
 * only: a clean unmount saves it ({@link #save}); otherwise mount rebuilds it from the blocks the
 * logs reference ({@link #fromUsed}). Blocks that are pinned or waiting for a deferred free are
 * simply not free, so they are never handed out. Thread-safe.
 */
public final class BlockAllocator {
    /** Blocks in a 2 MiB huge page: large allocations try to start on such a boundary. */
    public static final long HUGE_PAGE_BLOCKS = 512;
    /** The smallest region: smaller data areas are cut into fewer regions. */
    private static final long MIN_REGION_BLOCKS = 8192;
    /** The metadata reserve: 1/256 of the data area (16 MiB of 4 GiB), at least 16 and at most 1024 blocks. */
    private static final long MIN_RESERVE = 16;
    private static final long MAX_RESERVE = 1024;

    /**
     * What an allocation is for, which says how far into the metadata reserve it may go. The
     * reserve keeps a full device usable: data can no longer grow, but the log appends that give
     * space back (unlink, rmdir, a shrinking truncate) always find a page, as ext4 never fails
     * an unlink for space.
     */
    public enum Use {
        /** File data, symlink targets and new inodes: leaves the whole reserve free. */
        DATA,
        /** Log pages of metadata-only changes and of log compaction: may use half the reserve. */
        METADATA,
        /** Log pages of changes that free space, and offline repair: may use all of it. */
        RELEASE
    }

    private final Layout layout;
    private final long reserve;
    private final FreeRegion[] regions;
    private final AtomicInteger nextHome = new AtomicInteger();
    private final ThreadLocal<FreeRegion> home;
    /** Allocations left before an injected ENOSPC (0: none injected); see {@link #failAllocation}. */
    private final AtomicLong failCountdown = new AtomicLong();
    /**
     * Shut from {@link #load} until {@link #verified}: the trees may still hold blocks a crafted
     * list calls free while a file uses them (issue #13 point 2).
     */
    private final VerificationGate<Extent> gate;
    /** Blocks found used by two owners: held when one owner frees them (null: none). */
    private volatile BitSet quarantined;
    /**
     * Blocks freed since the verification that it could not confirm nobody else uses: frees of
     * quarantined blocks, and frees made during the census of blocks the census saw in use. Held
     * out of use until {@link #releaseHeld} at unmount; guarded by itself.
     */
    private final BitSet held = new BitSet();

    private BlockAllocator(Layout layout, int regionCount, VerificationGate<Extent> gate) {
        this.layout = layout;
        this.gate = gate;
        long first = layout.dataStartBlock();
        long blocks = layout.dataBlocks();
        this.reserve = Math.min(MAX_RESERVE, Math.max(MIN_RESERVE, blocks / 256));
        int n = (int) Math.max(1, Math.min(regionCount, blocks / MIN_REGION_BLOCKS));
        this.regions = new FreeRegion[n];
        for (int i = 0; i < n; i++) {
            regions[i] = new FreeRegion(first + blocks * i / n, first + blocks * (i + 1) / n);
        }
        this.home = ThreadLocal.withInitial(() -> regions[Math.floorMod(nextHome.getAndIncrement(), regions.length)]);
    }

    private BlockAllocator(Layout layout, VerificationGate<Extent> gate) {
        this(layout, Runtime.getRuntime().availableProcessors(), gate);
    }

    /** An allocator with the whole data area free (a new filesystem). */
    public static BlockAllocator allFree(Layout layout) {
        BlockAllocator allocator = new BlockAllocator(layout, VerificationGate.opened());
        allocator.insert(layout.dataStartBlock(), layout.dataBlocks());
        return allocator;
    }

    /** As {@link #allFree(Layout)} with up to {@code regions} regions (tests). */
    static BlockAllocator allFree(Layout layout, int regions) {
        BlockAllocator allocator = new BlockAllocator(layout, regions, VerificationGate.opened());
        allocator.insert(layout.dataStartBlock(), layout.dataBlocks());
        return allocator;
    }

    /** An allocator whose free blocks are the data blocks not set in {@code used}. */
    public static BlockAllocator fromUsed(Layout layout, BitSet used) {
        BlockAllocator allocator = new BlockAllocator(layout, VerificationGate.opened());
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

    /** Regions the data area is cut into. */
    public int regionCount() {
        return regions.length;
    }

    public long freeBlocks() {
        long sum = 0;
        for (FreeRegion r : regions) {
            sum += r.available();
        }
        return sum;
    }

    /** Blocks held back for the log appends of metadata changes and of changes that free space ({@link Use}). */
    public long reserveBlocks() {
        return reserve;
    }

    /** Free blocks that file data may still take: what statfs reports as available. */
    public long availableBlocks() {
        return Math.max(0, freeBlocks() - reserve);
    }

    /**
     * One block (a log page, a 4 KiB copy-on-write): from the calling thread's cache of freed
     * single blocks when it has one, with no list or extent made for it (random 4 KiB writes
     * allocate one block each).
     */
    public long allocateOne(Use use) {
        FreeRegion mine = admit(1, use);
        long block = takeCached(mine);
        return block >= 0 ? block : allocateAdmitted(1, false, mine).getFirst().start();
    }

    /**
     * Allocates {@code count} blocks as one or more extents, all or nothing; one block comes as
     * {@link #allocateOne} takes it.
     *
     * @param huge try to start on 2 MiB boundaries (large file writes, so DAX mappings can use
     *     huge pages)
     * @param use what the blocks are for: how much of the reserve must stay free
     * @throws FsException ENOSPC when fewer than {@code count} blocks are free for {@code use}
     */
    public List<Extent> allocate(long count, boolean huge, Use use) {
        if (count == 1) {
            return List.of(new Extent(allocateOne(use), 1));
        }
        return allocateAdmitted(count, huge, admit(count, use));
    }

    /** A block from {@code region}'s cache of freed single blocks, or -1 when it has none. */
    private static long takeCached(FreeRegion region) {
        if (region.available() == 0) {
            return -1;
        }
        region.lock.lock();
        try {
            return region.takeSingle();
        } finally {
            region.lock.unlock();
        }
    }

    /**
     * What every allocation passes first: the verification gate, an injected failure, the reserve;
     * returns the calling thread's home region.
     */
    private FreeRegion admit(long count, Use use) {
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive: " + count);
        }
        gate.awaitOpen();
        countDownInjectedFailure();
        FreeRegion mine = home.get();
        checkReserve(count, use, mine);
        return mine;
    }

    /** {@link #allocate} once {@link #admit} let it through. */
    private List<Extent> allocateAdmitted(long count, boolean huge, FreeRegion mine) {
        List<Extent> out = new ArrayList<>(1);
        if (tryAllocate(mine, count, huge, out)) {
            return out;
        }
        for (FreeRegion r : regions) {
            if (r != mine && tryAllocate(r, count, huge, out)) {
                return out;
            }
        }
        return allLocked(() -> {
            drainAllSingles();
            long free = freeBlocks();
            if (count > free) {
                throw new FsException(Errno.ENOSPC, "need " + count + " blocks, " + free + " free");
            }
            long remaining = count;
            for (int k = 0; k < regions.length && remaining > 0; k++) {
                FreeRegion r = regions[(indexOf(mine) + k) % regions.length];
                long take = Math.min(remaining, r.treeBlocks());
                if (take > 0) {
                    r.allocate(take, huge, out);
                    remaining -= take;
                }
            }
            return out;
        });
    }

    /** Serves the whole request from the tree of region {@code r} if it can. */
    private static boolean tryAllocate(FreeRegion r, long count, boolean huge, List<Extent> out) {
        if (r.available() < count) { // an estimate without the lock: the tree holds at most this
            return false;
        }
        r.lock.lock();
        try {
            if (r.treeBlocks() < count) {
                return false;
            }
            r.allocate(count, huge, out);
            return true;
        } finally {
            r.lock.unlock();
        }
    }

    /**
     * Allocates {@code count} blocks as one run (for a DAX mapping), 2 MiB-aligned when the
     * request is that large and such a run is free.
     *
     * @throws FsException ENOSPC when no free run is long enough, or it would take the reserve
     */
    public Extent allocateContiguous(long count) {
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive: " + count);
        }
        gate.awaitOpen();
        countDownInjectedFailure();
        checkReserve(count, Use.DATA, home.get());
        return allLocked(() -> {
            drainAllSingles();
            long fitStart = -1;
            for (Extent e : mergedExtents()) {
                long aligned = (e.start() + HUGE_PAGE_BLOCKS - 1) / HUGE_PAGE_BLOCKS * HUGE_PAGE_BLOCKS;
                if (count >= HUGE_PAGE_BLOCKS && e.end() - aligned >= count) {
                    takeRange(aligned, count);
                    return new Extent(aligned, count);
                }
                if (fitStart < 0 && e.count() >= count) {
                    fitStart = e.start();
                }
            }
            if (fitStart < 0) {
                throw new FsException(Errno.ENOSPC, "no free run of " + count + " blocks");
            }
            takeRange(fitStart, count);
            return new Extent(fitStart, count);
        });
    }

    /**
     * Fault injection for the error-path tests: the {@code k}-th allocation from now fails with
     * ENOSPC as if the device were full; 0 cancels. Every error path must give back what it took.
     */
    public void failAllocation(long k) {
        if (k < 0) {
            throw new IllegalArgumentException("negative allocation index " + k);
        }
        failCountdown.set(k);
    }

    /** True while a failure injected by {@link #failAllocation} has not happened yet. */
    public boolean failurePending() {
        return failCountdown.get() > 0;
    }

    /**
     * ENOSPC when taking {@code count} blocks would leave less free than {@code use} must leave.
     * Concurrent allocations may each pass and overshoot by what they take: the reserve is a
     * margin, not an exact count. When the home region alone leaves enough, the other regions'
     * counts (written by their threads all the time) are not read.
     */
    private void checkReserve(long count, Use use, FreeRegion mine) {
        long keep = switch (use) {
            case DATA -> reserve;
            case METADATA -> reserve / 2;
            case RELEASE -> 0;
        };
        if (keep > 0 && mine.available() - count < keep) {
            long free = freeBlocks();
            if (free - count < keep) {
                throw new FsException(Errno.ENOSPC, "need " + count + " blocks, " + free + " free, of which " + keep
                        + " are kept for metadata changes");
            }
        }
    }

    /** A plain read when nothing is injected, so the allocation path stays free of shared writes. */
    private void countDownInjectedFailure() {
        for (long k = failCountdown.get(); k > 0; k = failCountdown.get()) {
            if (failCountdown.compareAndSet(k, k - 1)) {
                if (k == 1) {
                    throw new FsException(Errno.ENOSPC, "injected allocation failure");
                }
                return;
            }
        }
    }

    /** Gives {@code extent} back. */
    public void free(Extent extent) {
        free(extent.start(), extent.count());
    }

    /**
     * Gives {@code [start, start+count)} back: a single block into the calling thread's region
     * cache, anything else into the trees of the regions it lies in, merging with neighbours.
     */
    public void free(long start, long count) {
        if (count <= 0 || !layout.isDataBlock(start) || !layout.isDataBlock(start + count - 1)) {
            throw new IllegalArgumentException("freeing blocks outside the data area: " + start + "+" + count);
        }
        if (gate.deferIfShut(start, count, Extent::new)) {
            return;
        }
        BitSet shared = quarantined;
        if (shared != null) {
            int clash = shared.nextSetBit((int) start);
            if (clash >= 0 && clash < start + count) {
                freeAround(shared, start, count);
                return;
            }
        }
        freeNow(start, count);
    }

    /** Frees the parts of {@code [start, start+count)} that are not quarantined; holds the others. */
    private void freeAround(BitSet shared, long start, long count) {
        long end = start + count;
        long pos = start;
        while (pos < end) {
            long clash = shared.nextSetBit((int) pos);
            long stop = clash < 0 || clash >= end ? end : clash;
            if (stop > pos) {
                freeNow(pos, stop - pos);
            }
            if (stop >= end) {
                break;
            }
            pos = Math.min(end, shared.nextClearBit((int) stop));
            hold(stop, pos);
        }
    }

    private void hold(long from, long to) {
        synchronized (held) {
            held.set((int) from, (int) to);
        }
    }

    private void freeNow(long start, long count) {
        if (count == 1) {
            FreeRegion mine = home.get();
            mine.lock.lock();
            try {
                if (mine.cacheSingle(start)) {
                    return;
                }
            } finally {
                mine.lock.unlock();
            }
        }
        forEachPart(start, count, (r, from, blocks) -> {
            r.lock.lock();
            try {
                r.insert(from, blocks);
            } finally {
                r.lock.unlock();
            }
        });
    }

    /** Inserts {@code [start, start+count)} into the trees of the regions it spans (caller holds their locks or owns the allocator alone). */
    private void insert(long start, long count) {
        forEachPart(start, count, FreeRegion::insert);
    }

    /** Removes {@code [start, start+count)}, free in the merged view, from the regions it spans. */
    private void takeRange(long start, long count) {
        forEachPart(start, count, FreeRegion::takeRange);
    }

    /** What is done to the part {@code [from, from+blocks)} of a range that lies in region {@code r}. */
    @FunctionalInterface
    private interface RegionPart {
        void apply(FreeRegion r, long from, long blocks);
    }

    /** Applies {@code action} to each region's part of {@code [start, start+count)}, in region order. */
    private void forEachPart(long start, long count, RegionPart action) {
        for (FreeRegion r : regions) {
            long from = Math.max(start, r.start);
            long to = Math.min(start + count, r.end);
            if (from < to) {
                action.apply(r, from, to - from);
            }
        }
    }

    /** Moves every cached single block into its owner's tree; every region lock is held. */
    private void drainAllSingles() {
        for (FreeRegion r : regions) {
            for (long block : r.drainSingles()) {
                ownerOf(block).insert(block, 1);
            }
        }
    }

    private FreeRegion ownerOf(long block) {
        for (FreeRegion r : regions) {
            if (r.owns(block)) {
                return r;
            }
        }
        throw new IllegalArgumentException("block " + block + " is outside the data area");
    }

    private int indexOf(FreeRegion region) {
        for (int i = 0; i < regions.length; i++) {
            if (regions[i] == region) {
                return i;
            }
        }
        throw new IllegalStateException("unknown region");
    }

    /** The free extents of all regions in block order, merged across region boundaries; every lock is held, caches drained. */
    private List<Extent> mergedExtents() {
        List<Extent> out = new ArrayList<>();
        for (FreeRegion r : regions) {
            for (Extent e : r.extents()) {
                Extent last = out.isEmpty() ? null : out.getLast();
                if (last != null && last.end() == e.start()) {
                    out.set(out.size() - 1, new Extent(last.start(), last.count() + e.count()));
                } else {
                    out.add(e);
                }
            }
        }
        return out;
    }

    /** Runs {@code op} with every region locked, in region order. */
    private <T> T allLocked(Supplier<T> op) {
        int taken = 0;
        try {
            for (FreeRegion r : regions) {
                r.lock.lock();
                taken++;
            }
            return op.get();
        } finally {
            for (int i = taken - 1; i >= 0; i--) {
                regions[i].lock.unlock();
            }
        }
    }

    // ---- a loaded list is verified before anything from it is handed out (issue #13) ----

    /**
     * The verification of a loaded list is done: {@code used} are the blocks the census saw in use,
     * {@code shared} those used by two owners. Blocks the list called free but that are in use are
     * withheld (they come back when their owner frees them), shared blocks are held when an owner
     * frees them, and allocation starts. Of the frees made meanwhile, those of blocks the census saw in
     * use are held ({@link #releaseHeld}): the census may have read the freeing inode before the
     * free (the free is then its own) or after it (then another inode, cross-linked, still uses the
     * block), and nothing tells which. Returns the number of blocks withheld.
     */
    public long verified(BitSet used, BitSet shared) {
        return gate.open(frees -> allLocked(() -> {
            drainAllSingles();
            long n = 0;
            for (FreeRegion r : regions) {
                n += r.withhold(used);
            }
            quarantined = shared.isEmpty() ? null : (BitSet) shared.clone();
            BitSet inUse = (BitSet) used.clone();
            inUse.or(shared);
            BitSet unconfirmed = new BitSet();
            frees.forEach(e -> unconfirmed.set((int) e.start(), (int) e.end()));
            unconfirmed.and(inUse);
            synchronized (held) {
                held.or(unconfirmed);
            }
            insertFrees(frees, inUse);
            return n;
        }));
    }

    /** Blocks held by {@link #verified} or by frees of quarantined blocks (a copy). */
    public BitSet held() {
        synchronized (held) {
            return (BitSet) held.clone();
        }
    }

    /**
     * Unmount, with nothing in flight: frees the held blocks that {@code usedNow}, a census of every
     * log taken now, does not show in use, so that neither the saved list nor the next mount loses
     * them; the rest stay out of use. Returns the number freed.
     */
    public long releaseHeld(BitSet usedNow) {
        BitSet release;
        synchronized (held) {
            release = (BitSet) held.clone();
            held.clear();
        }
        release.andNot(usedNow);
        if (release.isEmpty()) {
            return 0;
        }
        List<Extent> frees = new ArrayList<>();
        for (int b = release.nextSetBit(0); b >= 0; b = release.nextSetBit(b)) {
            int end = release.nextClearBit(b);
            frees.add(new Extent(b, end - b));
            b = end;
        }
        return allLocked(() -> {
            drainAllSingles();
            insertFrees(frees, new BitSet());
            return (long) release.cardinality();
        });
    }

    /** Frees deferred while the gate was shut; the blocks of {@code leftOut} are left out. Locks held. */
    private void insertFrees(List<Extent> frees, BitSet leftOut) {
        for (Extent e : frees) {
            for (FreeRegion r : regions) {
                long from = Math.max(e.start(), r.start);
                long to = Math.min(e.end(), r.end);
                if (from < to) {
                    r.insertMissing(from, to - from, leftOut);
                }
            }
        }
    }

    /** The loaded list could not be verified: nothing is handed out, ever (the volume is read-only). */
    public void refuse(String why) {
        gate.refuse(why);
    }

    /** True if every block of {@code [start, start+count)} is free. */
    public boolean isFree(long start, long count) {
        return allLocked(() -> {
            drainAllSingles();
            for (Extent e : mergedExtents()) {
                if (e.start() <= start && e.end() >= start + count) {
                    return true;
                }
            }
            return false;
        });
    }

    /** A copy of the free extents, in block order. */
    public List<Extent> freeExtents() {
        return allLocked(() -> {
            drainAllSingles();
            return mergedExtents();
        });
    }

    /**
     * Saves the free extents into the largest free extent itself (it is free, so writing there
     * harms nothing) for a clean unmount. An unmount before the verification of a loaded list was
     * done saves that list with the frees made since (the next mount verifies what it loads).
     * Returns {@link FreeList#NONE} if it does not fit, or if the verification was refused (the next
     * mount then scans the logs).
     */
    public FreeList save(DaxDevice device) {
        if (!gate.drainDeferred(frees -> allLocked(() -> {
            insertFrees(frees, new BitSet());
            return null;
        }))) {
            return FreeList.NONE;
        }
        return allLocked(() -> {
            drainAllSingles();
            List<Extent> extents = mergedExtents();
            long bytes = (long) extents.size() * 16;
            long needBlocks = Math.max(1, (bytes + Layout.BLOCK_SIZE - 1) / Layout.BLOCK_SIZE);
            Extent largest = null;
            for (Extent e : extents) {
                if (largest == null || e.count() > largest.count()) {
                    largest = e;
                }
            }
            if (largest == null || largest.count() < needBlocks || bytes > Integer.MAX_VALUE) {
                return FreeList.NONE;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(Math.max(bytes, 16), 8);
                long at = 0;
                for (Extent e : extents) {
                    buf.set(Layouts.LONG, at, e.start());
                    buf.set(Layouts.LONG, at + 8, e.count());
                    at += 16;
                }
                MemorySegment list = buf.asSlice(0, bytes);
                device.copyIn(list, Layout.offsetOf(largest.start()));
                device.fence();
                return new FreeList(largest.start(), extents.size(), Checksums.crc32c(list, 0, bytes));
            }
        });
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
        BlockAllocator allocator = new BlockAllocator(layout, VerificationGate.shut());
        for (long at = 0; at < bytes; at += 16) {
            long start = saved.get(Layouts.LONG, at);
            long count = saved.get(Layouts.LONG, at + 8);
            if (count <= 0 || !layout.isDataBlock(start) || !layout.isDataBlock(start + count - 1)) {
                throw new IllegalStateException("saved free extent " + start + "+" + count + " is invalid");
            }
            allocator.insert(start, count);
        }
        return allocator;
    }
}
