package io.daxfs.core.rebuild;

import io.daxfs.core.DirEntry;
import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.SlotAllocator;
import io.daxfs.core.balloc.SlotSet;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.LogSegment;
import io.daxfs.core.log.LogCorruptException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a clean mount trusts without reading, verified in the background (issue #13): every log is
 * read once, on every processor, to learn the blocks in use and the names of every inode. Until it is done the
 * allocator hands nothing out and operations on names wait ({@link #await}); reads, lookups and
 * writes into blocks a file already has go on meanwhile, so mount stays as fast as before. Then
 * blocks the saved free list wrongly calls free are withheld, blocks used by two owners are never
 * given out again, the log slots in use are handed to the {@link SlotAllocator} (nothing on the
 * media lists them), and an inode whose link count disagrees with its names is never deleted. If a
 * log cannot be read, nothing is handed out and names do not change: the volume is read-only.
 *
 * <p>After a crash the recovery scan has read everything already, so {@link #of} checks the link
 * counts at once. Used by {@link io.daxfs.core.volume.Volume}; thread-safe.
 */
public final class MountVerification {
    private static final Logger LOG = LoggerFactory.getLogger(MountVerification.class);
    /** Inode numbers a verifying thread takes at a time. */
    private static final int BATCH = 4096;

    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Set<Long> wrongLinkCounts = Set.of();
    private volatile String failure;

    private MountVerification() {}

    /** Nothing to verify (a new filesystem, or a read-only mount: nothing is allocated or deleted). */
    public static MountVerification none() {
        MountVerification v = new MountVerification();
        v.done.countDown();
        return v;
    }

    /** After the recovery scan: its inodes are every inode, so the link counts are checked now. */
    public static MountVerification of(Iterable<Inode> everyInode) {
        Tally tally = new Tally();
        everyInode.forEach(tally::add);
        MountVerification v = none();
        v.wrongLinkCounts = tally.wrongLinkCounts();
        v.report(v.wrongLinkCounts);
        return v;
    }

    /**
     * Starts verifying the inodes in use at a clean mount; {@code allocator} and {@code slots}
     * wait for the result.
     */
    public static MountVerification start(InodeTable table, InodeLoader loader, BlockAllocator allocator,
            SlotAllocator slots) {
        MountVerification v = new MountVerification();
        BitSet inUse = table.usedSnapshot();
        Thread.ofPlatform().daemon().name("daxfs-mount-verify").start(() -> v.run(inUse, loader, allocator, slots));
        return v;
    }

    private void run(BitSet inUse, InodeLoader loader, BlockAllocator allocator, SlotAllocator slots) {
        long started = System.nanoTime();
        try {
            Tally tally = tallyInParallel(inUse, loader);
            BitSet everyUsed = (BitSet) tally.used.clone();
            everyUsed.or(tally.packed);
            long withheld = allocator.verified(everyUsed, tally.shared);
            slots.adopt(tally.slots, tally.shared, tally.used);
            wrongLinkCounts = tally.wrongLinkCounts();
            LOG.info("clean mount verified: {} inodes, {} blocks in use, {} ms", tally.inodes,
                    everyUsed.cardinality(), (System.nanoTime() - started) / 1_000_000);
            if (withheld > 0) {
                LOG.error("the saved free list called {} blocks free that are in use; they are kept out of use "
                        + "(run fsck.daxfs)", withheld);
            }
            if (!tally.shared.isEmpty()) {
                LOG.error("{} blocks are used by two inodes (cross-linked, first: block {}); the second inode to be "
                        + "read gets EIO and the blocks are never reused (run fsck.daxfs)", tally.shared.cardinality(),
                        tally.shared.nextSetBit(0));
            }
            report(wrongLinkCounts);
        } catch (LogCorruptException | FsException e) {
            fail(allocator, slots, e.getMessage() + "; the filesystem is read-only until fsck.daxfs repairs it");
        } catch (InterruptedException e) {
            fail(allocator, slots, "verification interrupted; the filesystem is read-only");
        } catch (RuntimeException | Error e) {
            fail(allocator, slots, "verification failed (" + e + "); the filesystem is read-only");
            throw e;
        } finally {
            done.countDown();
        }
    }

    /**
     * Reads every inode in {@code inUse}, on as many threads as there are processors (each takes
     * batches of inode numbers and keeps its own tally), and merges the tallies.
     */
    private static Tally tallyInParallel(BitSet inUse, InodeLoader loader) throws InterruptedException {
        int workers = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 8));
        AtomicInteger cursor = new AtomicInteger(1);
        Tally[] tallies = new Tally[workers];
        RuntimeException[] failures = new RuntimeException[workers];
        Thread[] threads = new Thread[workers];
        for (int w = 0; w < workers; w++) {
            int me = w;
            tallies[me] = new Tally();
            threads[me] = Thread.ofPlatform().daemon().name("daxfs-mount-verify-" + me).start(() -> {
                try {
                    tallyBatches(inUse, loader, cursor, tallies[me]);
                } catch (RuntimeException e) {
                    failures[me] = e;
                    cursor.set(Integer.MAX_VALUE);
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        for (RuntimeException e : failures) {
            if (e != null) {
                throw e;
            }
        }
        Tally all = tallies[0];
        for (int w = 1; w < workers; w++) {
            all.merge(tallies[w]);
        }
        return all;
    }

    private static void tallyBatches(BitSet inUse, InodeLoader loader, AtomicInteger cursor, Tally tally) {
        while (true) {
            int from = cursor.getAndAdd(BATCH);
            if (from < 0 || from >= inUse.length()) {
                return;
            }
            for (int ino = inUse.nextSetBit(from); ino >= 0 && ino < from + BATCH; ino = inUse.nextSetBit(ino + 1)) {
                try {
                    tally.add(loader.loadOrThrow(ino));
                } catch (FsException e) {
                    if (e.errno() != Errno.ENOENT) {
                        throw e;
                    }
                    // deleted since mount: its blocks wait in the allocator's queue
                }
            }
        }
    }

    private void fail(BlockAllocator allocator, SlotAllocator slots, String why) {
        failure = why;
        allocator.refuse(why);
        slots.refuse(why);
        LOG.error("clean mount verification: {}", why);
    }

    private void report(Set<Long> wrong) {
        if (!wrong.isEmpty()) {
            LOG.error("{} inodes have a link count that does not match their names (first: inode {}); they will not "
                    + "be deleted (run fsck.daxfs)", wrong.size(), wrong.stream().min(Long::compare).orElseThrow());
        }
    }

    /**
     * Waits until the verification is done.
     *
     * @throws FsException EROFS if it failed: names must not change on a volume whose logs could
     *     not all be read
     */
    public void await() {
        awaitDone();
        if (failure != null) {
            throw new FsException(Errno.EROFS, failure);
        }
    }

    /** Waits until the verification is done, whatever its outcome (unmount). */
    public void awaitDone() {
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** True if inode {@code ino}'s link count matched its names at mount (after {@link #await}). */
    public boolean linkCountTrusted(long ino) {
        return !wrongLinkCounts.contains(ino);
    }

    /** Blocks, slots and names counted over every inode. */
    private static final class Tally {
        /** Blocks used whole: log pages and file data. */
        final BitSet used = new BitSet();
        final SlotSet slots = new SlotSet();
        /** The blocks of {@link #slots}: packed pages. */
        final BitSet packed = new BitSet();
        /** Blocks with two owners (a slot claimed twice makes its packed page one). */
        final BitSet shared = new BitSet();
        long inodes;
        /** Inode numbers named by directory entries (one per name). */
        private long[] names = new long[1024];
        private int nameCount;
        /** Per inode: its number and the names it should have (link count, or 1 for a directory). */
        private long[] expected = new long[1024];
        private int expectedCount;

        void add(Inode inode) {
            inodes++;
            for (long segment : inode.log().segmentsCopy()) {
                if (LogSegment.isSlot(segment)) {
                    markSlot(segment);
                } else {
                    mark(segment, 1);
                }
            }
            if (inode.extents() != null) {
                for (FileExtents.Run run : inode.extents().runs()) {
                    mark(run.block(), run.count());
                }
            }
            if (inode.isDirectory()) {
                for (DirEntry d : inode.directory().all()) {
                    if (nameCount == names.length) {
                        names = Arrays.copyOf(names, nameCount * 2);
                    }
                    names[nameCount++] = d.ino();
                }
            }
            long links = inode.isDirectory() ? (inode.ino() == Layout.ROOT_INO ? 0 : 1)
                    : Integer.toUnsignedLong(inode.attrs().nlink());
            if (expectedCount + 2 > expected.length) {
                expected = Arrays.copyOf(expected, expected.length * 2);
            }
            expected[expectedCount++] = inode.ino();
            expected[expectedCount++] = links;
        }

        /** Takes in {@code other}'s counts; a block both used is shared. */
        void merge(Tally other) {
            BitSet both = (BitSet) used.clone();
            both.and(other.used);
            shared.or(both);
            both = (BitSet) used.clone();
            both.and(other.packed);
            shared.or(both);
            both = (BitSet) packed.clone();
            both.and(other.used);
            shared.or(both);
            slots.addAll(other.slots, shared);
            shared.or(other.shared);
            used.or(other.used);
            packed.or(other.packed);
            inodes += other.inodes;
            names = Arrays.copyOf(names, nameCount + other.nameCount);
            System.arraycopy(other.names, 0, names, nameCount, other.nameCount);
            nameCount += other.nameCount;
            expected = Arrays.copyOf(expected, expectedCount + other.expectedCount);
            System.arraycopy(other.expected, 0, expected, expectedCount, other.expectedCount);
            expectedCount += other.expectedCount;
        }

        private void mark(long block, long count) {
            int from = (int) block;
            int to = (int) (block + count);
            for (int b = used.nextSetBit(from); b >= 0 && b < to; b = used.nextSetBit(b + 1)) {
                shared.set(b);
            }
            for (int b = packed.nextSetBit(from); b >= 0 && b < to; b = packed.nextSetBit(b + 1)) {
                shared.set(b);
            }
            used.set(from, to);
        }

        private void markSlot(long segment) {
            int block = (int) LogSegment.block(segment);
            if (!slots.add(LogSegment.offset(segment)) || used.get(block)) {
                shared.set(block);
            }
            packed.set(block);
        }

        /**
         * Inodes whose names do not match the count they carry. Orphans (no name, count 0) match;
         * a file with a count of 0 and a name, or 1 and 3,000 names, does not.
         */
        Set<Long> wrongLinkCounts() {
            long[] sorted = Arrays.copyOf(names, nameCount);
            Arrays.sort(sorted);
            Set<Long> wrong = new HashSet<>();
            for (int i = 0; i < expectedCount; i += 2) {
                long ino = expected[i];
                int first = lowerBound(sorted, ino);
                int count = lowerBound(sorted, ino + 1) - first;
                if (count != expected[i + 1]) {
                    wrong.add(ino);
                }
            }
            return wrong;
        }

        private static int lowerBound(long[] sorted, long key) {
            int lo = 0;
            int hi = sorted.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (sorted[mid] < key) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }
}
