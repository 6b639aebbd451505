package io.daxfs.core.rebuild;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.SlotAllocator;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.LogCorruptException;
import io.daxfs.core.log.LogReader;
import java.util.BitSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a clean mount trusts without reading, verified in the background (issue #13): a
 * {@link LogCensus} of every log, on every processor, learns the blocks in use and the names of
 * every inode. Until it is done the allocator hands nothing out and operations on names wait
 * ({@link #await}); reads, lookups and writes into blocks a file already has go on meanwhile, so
 * mount stays as fast as before. Then blocks the saved free list wrongly calls free are withheld,
 * blocks used by two owners are never given out again, the log slots in use are handed to the
 * {@link SlotAllocator} (nothing on the media lists them), and an inode whose link count disagrees
 * with its names is never deleted. If a log cannot be read, nothing is handed out and names do not
 * change: the volume is read-only.
 *
 * <p>The census is prepared at mount and starts with {@link #begin}: a FUSE daemon calls it when the
 * kernel's INIT arrives, and every operation does (a no-op once started). An unmount {@link #stop}s
 * it instead of waiting for it.
 *
 * <p>After a crash the recovery scan has taken the census already, so {@link #of} checks the link
 * counts at once. Used by {@link io.daxfs.core.volume.Volume}; thread-safe.
 */
public final class MountVerification {
    private static final Logger LOG = LoggerFactory.getLogger(MountVerification.class);

    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Set<Long> wrongLinkCounts = Set.of();
    private volatile String failure;
    private volatile boolean stopped;
    /** Read on every operation's path ({@link #begin}): true once there is nothing left to start. */
    private volatile boolean begun;
    /** The census thread of a clean mount (null: nothing to verify); see {@link #begin}. */
    private Thread censusThread;

    private MountVerification() {}

    /** Nothing to verify (a new filesystem, or a read-only mount: nothing is allocated or deleted). */
    public static MountVerification none() {
        MountVerification v = new MountVerification();
        v.done.countDown();
        return v;
    }

    /** After the recovery scan: its census covers every inode, so the link counts are checked now. */
    public static MountVerification of(LogCensus census) {
        MountVerification v = none();
        v.wrongLinkCounts = census.wrongLinkCounts();
        v.report(v.wrongLinkCounts);
        return v;
    }

    /**
     * Prepares the verification of the inodes in use at a clean mount; it runs from {@link #begin}
     * on, and {@code allocator} and {@code slots} wait for its result.
     */
    public static MountVerification prepare(InodeTable table, LogReader reader, BlockAllocator allocator,
            SlotAllocator slots) {
        MountVerification v = new MountVerification();
        BitSet inUse = table.usedSnapshot();
        InodeLoader loader = new InodeLoader(table, reader);
        v.censusThread = Thread.ofPlatform().daemon().name("daxfs-mount-verify").unstarted(() -> v.run(table, reader,
                loader, inUse, allocator, slots));
        return v;
    }

    /**
     * Starts the census if it is prepared and not started or stopped yet. A FUSE daemon calls this
     * when the kernel's INIT arrives, so that the census does not take the processors from the
     * mount itself; no request can come before INIT.
     */
    public void begin() {
        if (begun) {
            return;
        }
        synchronized (this) {
            if (!begun && !stopped && censusThread != null) {
                censusThread.start();
            }
            begun = true;
        }
    }

    /**
     * Unmount: a census still running stops after the inodes it is reading, and one not started never
     * starts. The allocator then saves its loaded list unverified (the next mount verifies it again),
     * so unmounting a large volume just after mounting it does not wait for every log to be read.
     */
    public void stop() {
        synchronized (this) {
            stopped = true;
            if (!begun || censusThread == null) {
                begun = true;
                done.countDown();
                return;
            }
        }
        awaitDone();
    }

    private void run(InodeTable table, LogReader reader, InodeLoader loader, BitSet inUse, BlockAllocator allocator,
            SlotAllocator slots) {
        long started = System.nanoTime();
        try {
            int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 8));
            LogCensus census = LogCensus.take(table, reader, loader, inUse, threads, () -> stopped);
            if (stopped) {
                LOG.info("clean mount verification stopped by unmount after {} ms; the next mount verifies again",
                        (System.nanoTime() - started) / 1_000_000);
                return;
            }
            long withheld = allocator.verified(census.used(), census.shared());
            slots.adopt(census.slots(), census.shared(), census.used());
            wrongLinkCounts = census.wrongLinkCounts();
            LOG.info("clean mount verified: {} inodes ({} loaded whole), {} blocks in use, {} ms", census.inodes(),
                    census.loadedWhole(), census.used().cardinality(), (System.nanoTime() - started) / 1_000_000);
            if (withheld > 0) {
                LOG.error("the saved free list called {} blocks free that are in use; they are kept out of use "
                        + "(run fsck.daxfs)", withheld);
            }
            if (!census.shared().isEmpty()) {
                LOG.error("{} blocks are used by two inodes (cross-linked, first: block {}); the second inode to be "
                        + "read gets EIO and the blocks are never reused (run fsck.daxfs)",
                        census.shared().cardinality(), census.shared().nextSetBit(0));
            }
            report(wrongLinkCounts);
        } catch (LogCorruptException | FsException e) {
            fail(allocator, slots, e.getMessage() + "; the filesystem is read-only until fsck.daxfs repairs it");
        } catch (RuntimeException | Error e) {
            fail(allocator, slots, "verification failed (" + e + "); the filesystem is read-only");
            throw e;
        } finally {
            done.countDown();
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
        begin();
        awaitDone();
        if (failure != null) {
            throw new FsException(Errno.EROFS, failure);
        }
    }

    private void awaitDone() {
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

    /**
     * Clean unmount, with nothing in flight and the census {@link #stop}ped or done: the blocks the
     * allocator {@link BlockAllocator#held held} (frees it could not confirm) are checked against a
     * census of every log taken now, and those no log uses are freed, so that the saved list neither
     * leaks them nor, for those still used, calls them free. Takes a census only when something is
     * held: after frees made during the mount's census, or of cross-linked blocks. If a log cannot be
     * read, they stay out of use (fsck.daxfs gives them back).
     */
    public static void releaseHeld(InodeTable table, LogReader reader, BlockAllocator allocator) {
        long held = allocator.held().cardinality();
        if (held == 0) {
            return;
        }
        long started = System.nanoTime();
        try {
            int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 8));
            LogCensus census = LogCensus.take(table, reader, new InodeLoader(table, reader), table.usedSnapshot(),
                    threads, () -> false);
            long freed = allocator.releaseHeld(census.used());
            LOG.info("unmount: {} held blocks (frees the verification could not confirm) checked against every log: "
                    + "{} freed, the others still in use ({} ms)", held, freed, (System.nanoTime() - started) / 1_000_000);
        } catch (LogCorruptException | FsException e) {
            LOG.error("unmount: {} held blocks stay out of use: {} (run fsck.daxfs)", held, e.getMessage());
        }
    }

    /** True if inode {@code ino}'s link count matched its names at mount (after {@link #await}). */
    public boolean linkCountTrusted(long ino) {
        return !wrongLinkCounts.contains(ino);
    }
}
