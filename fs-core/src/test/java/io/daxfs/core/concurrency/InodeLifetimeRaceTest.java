package io.daxfs.core.concurrency;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.FsException;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.journal.Journal;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;

/**
 * Deterministic reproductions of races between an inode's creation or deletion and operations
 * that reach the same inode by number, found by {@link ConcurrencyTest}. A {@link PausingDevice}
 * stops the creating or deleting thread right after its journal commit (the journal's final
 * "idle" store), inside the window where the DRAM inode map and the media disagree.
 */
class InodeLifetimeRaceTest {
    /** A lane's state word: which lane the thread commits in is not fixed. */
    private static final LongPredicate JOURNAL_STATE = offset -> {
        for (int lane = 0; lane < Journal.LANES; lane++) {
            if (offset == Journal.laneOffset(lane)) {
                return true;
            }
        }
        return false;
    };

    private static PausingDevice device() {
        PausingDevice device = new PausingDevice(MemoryDevice.allocate(16 << 20));
        DaxFileSystem.format(device, FormatOptions.defaults());
        return device;
    }

    /**
     * create(root, "f") has committed (journal idle again) but not yet registered its DRAM inode.
     * Another thread that reaches the new inode number by guessing it must not load a second DRAM
     * copy from the log (a write through it would be lost when create registers its own): until
     * create returns, the number does not name an inode yet (ENOENT); afterwards writes stick.
     */
    @Test
    void writeToAnInodeBeingCreatedIsNotLost() throws Exception {
        PausingDevice device = device();
        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
            long ino = 2; // the first inode number a fresh filesystem hands out
            AtomicReference<Object> created = new AtomicReference<>();
            Thread creator = new Thread(() -> created.set(
                    fs.create(fs.rootIno(), "f", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino()));
            device.pauseAfterStore(creator, JOURNAL_STATE, 0);
            creator.start();
            assertTrue(device.paused.await(10, TimeUnit.SECONDS), "create reached its commit");
            assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs.getattr(ino)).errno(),
                    "an inode whose creation has not returned is not reachable by number");
            device.resume.countDown();
            creator.join(10_000);
            assertEquals(ino, created.get());
            assertEquals(5, fs.write(ino, 0, MemorySegment.ofArray("hello".getBytes())));
            byte[] back = new byte[5];
            long n = fs.read(ino, 0, MemorySegment.ofArray(back));
            assertAll(
                    () -> assertEquals(5, fs.getattr(ino).size(), "size after a write that returned 5"),
                    () -> assertEquals(5, n, "bytes read back"),
                    () -> assertEquals("hello", new String(back), "content read back"));
        }
    }

    /**
     * unlink(root, "f") has committed the deletion (tail word 0) and still holds f's lock; chmod(f)
     * by number already holds the DRAM inode and waits for the lock. When it gets the lock the
     * inode is deleted, its log pages freed and its number free, yet chmod appends to that log and
     * publishes a tail into the free inode record: it returns success and the inode comes back
     * to life, nameless, after a crash.
     */
    @Test
    void operationWaitingForADeletedInodeFailsWithEnoent() throws Exception {
        PausingDevice device = device();
        DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults());
        long f = fs.create(fs.rootIno(), "f", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino();
        Thread unlinker = new Thread(() -> fs.unlink(fs.rootIno(), "f"));
        device.pauseAfterStore(unlinker, JOURNAL_STATE, 0);
        unlinker.start();
        assertTrue(device.paused.await(10, TimeUnit.SECONDS), "unlink reached its commit");
        var dramInode = fs.volume().inode(f); // still in the map: forget() has not run yet
        AtomicReference<Object> chmodResult = new AtomicReference<>();
        Thread chmod = new Thread(() -> {
            try {
                fs.chmod(f, 0600);
                chmodResult.set("success");
            } catch (FsException e) {
                chmodResult.set(e.errno());
            }
        });
        chmod.start();
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!dramInode.lock().hasQueuedThreads() && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        assertTrue(dramInode.lock().hasQueuedThreads(), "chmod waits for the inode lock");
        device.resume.countDown();
        unlinker.join(10_000);
        chmod.join(10_000);
        long usedLive = fs.statfs().totalInodes() - fs.statfs().freeInodes();
        byte[] crash = MemoryDevice.snapshot(device);
        AtomicReference<Object> afterCrash = new AtomicReference<>();
        try (var crashed = MemoryDevice.fromImage(crash);
                DaxFileSystem again = DaxFileSystem.mount(crashed, MountOptions.defaults())) {
            afterCrash.set(again.statfs().totalInodes() - again.statfs().freeInodes());
        } catch (RuntimeException e) {
            afterCrash.set(e.toString());
        }
        assertAll(
                () -> assertEquals(io.daxfs.core.Errno.ENOENT, chmodResult.get(), "chmod of an inode deleted meanwhile"),
                () -> assertEquals(1L, usedLive, "inodes in use after the unlink (root only)"),
                () -> assertEquals(1L, afterCrash.get(), "inodes in use after a crash remount (root only)"));
        fs.close();
    }
}
