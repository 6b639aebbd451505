package io.daxfs.core;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.Layout;
import io.daxfs.core.fs.DaxFileSystem;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The FUSE kernel's lookups ({@link DaxFileSystem#hold} / {@link DaxFileSystem#forget}): an
 * unlinked inode is deleted only once it is closed and forgotten, slots permitting, and a number
 * deleted while looked up is not reused before its FORGET.
 */
class LookupHoldTest {
    @Test
    void anUnlinkedInodeGoesAtItsLastCloseOrForgetWhicheverComesLast() {
        DaxDevice device = formattedDevice(8 << 20);
        try (DaxFileSystem fs = mount(device)) {
            long ino = createFile(fs, fs.rootIno(), "f");
            fs.hold(ino);
            fs.hold(ino);
            fs.open(ino);
            fs.unlink(fs.rootIno(), "f");
            fs.release(ino);
            assertEquals(0, fs.getattr(ino).nlink(), "closed but still looked up: kept");
            assertEquals(1, fs.volume().orphans().usedCount());
            fs.forget(ino, 1);
            assertEquals(0, fs.getattr(ino).nlink(), "one lookup left");
            byte[] crashed = MemoryDevice.snapshot(device);
            fs.forget(ino, 1);
            assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs.getattr(ino)).errno());
            assertEquals(0, fs.volume().orphans().usedCount());
            assertTrue(Checker.check(device).errors().isEmpty());
            try (DaxFileSystem again = mount(MemoryDevice.fromImage(crashed))) {
                assertFalse(again.volume().inodeTable().isUsed(ino), "a crash while it was held reclaims it");
            }
        }
    }

    @Test
    void pastThreeQuartersOfTheSlotsAHeldInodeGoesAtOnceAndItsNumberWaitsForForget() {
        int kept = Layout.ORPHAN_SLOTS - Layout.ORPHAN_SLOTS / 4;
        int files = kept + 20;
        DaxDevice device = FsFixture.formattedDevice(64 << 20);
        try (DaxFileSystem fs = mount(device)) {
            List<Long> held = new ArrayList<>();
            for (int i = 0; i < files; i++) {
                long ino = createFile(fs, fs.rootIno(), "f" + i);
                fs.hold(ino);
                held.add(ino);
            }
            for (int i = 0; i < files; i++) {
                fs.unlink(fs.rootIno(), "f" + i); // never ENOSPC
            }
            assertEquals(kept, fs.volume().orphans().usedCount());
            assertEquals(20, fs.volume().lookups().awaitingForget());
            Set<Long> created = new HashSet<>();
            for (int i = 0; i < 100; i++) {
                created.add(createFile(fs, fs.rootIno(), "g" + i));
            }
            created.retainAll(held);
            assertEquals(Set.of(), created, "no held number is reused");
            fs.open(createFile(fs, fs.rootIno(), "open"));
            fs.unlink(fs.rootIno(), "open"); // an open file still gets one of the spare slots
            for (long ino : held) {
                fs.forget(ino, 1);
            }
            assertEquals(1, fs.volume().orphans().usedCount(), "only the open file is left");
            assertEquals(0, fs.volume().lookups().awaitingForget());
            fs.forget(held.getFirst(), 1); // a second FORGET of a gone number does nothing
            assertTrue(Checker.check(device).errors().isEmpty());
        }
    }

    @Test
    void statfsWaitsForTheForgetOfAFileJustUnlinked() throws Exception {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            long ino = createFile(fs, fs.rootIno(), "f");
            fs.hold(ino);
            long freeBefore = fs.statfs().freeInodes();
            fs.unlink(fs.rootIno(), "f");
            // the kernel's FORGET is served by another thread, later than statfs is asked
            CompletableFuture<StatFs> df = CompletableFuture.supplyAsync(fs::statfs);
            Thread.sleep(200);
            fs.forget(ino, 1);
            assertEquals(freeBefore + 1, df.get(10, TimeUnit.SECONDS).freeInodes(), "statfs after rm shows the inode back");
        }
    }

    @Test
    void statfsGivesUpOnAFileStillLookedUp() {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            long ino = createFile(fs, fs.rootIno(), "f");
            fs.hold(ino);
            fs.unlink(fs.rootIno(), "f");
            long free = fs.statfs().freeInodes(); // the FORGET does not come: gives up after a second
            assertEquals(free, fs.statfs().freeInodes(), "still looked up: not deleted");
            fs.forget(ino, 1);
            assertEquals(free + 1, fs.statfs().freeInodes());
        }
    }
}
