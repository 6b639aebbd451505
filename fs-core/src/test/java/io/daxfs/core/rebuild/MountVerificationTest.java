package io.daxfs.core.rebuild;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.FsFixture;
import io.daxfs.core.MountOptions;
import io.daxfs.core.Name;
import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import org.junit.jupiter.api.Test;

/**
 * {@link MountVerification} of a clean mount: a daemon's idle mount reads no log until it starts
 * the census (or an operation comes), and an unmount never waits for a census to finish: it saves
 * the loaded free list with the frees made meanwhile, which the next mount verifies again.
 */
class MountVerificationTest {
    private static final int FILES = 30_000;
    private static final byte[] BIG = pattern(4 << 20);

    /** A clean image of many small files (so the census takes a while) and /big (4 MiB). */
    private static DaxDevice image() {
        DaxDevice device = MemoryDevice.allocate(160L << 20);
        DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(32_768));
        try (DaxFileSystem fs = FsFixture.mount(device)) {
            long dir = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
            for (int i = 0; i < FILES; i++) {
                FsFixture.createFile(fs, dir, "f" + i);
            }
            FsFixture.write(fs, FsFixture.createFile(fs, fs.rootIno(), "big"), 0, BIG);
        }
        return device;
    }

    @Test
    void anIdleMountReadsNoLogAndItsUnmountKeepsTheSavedList() {
        try (DaxDevice device = image()) {
            Superblock.FreeList before = Superblock.read(device).freeList();
            DaxFileSystem fs = DaxFileSystem.mountIdle(device, MountOptions.defaults(), DaxFileSystem.Clock.SYSTEM);
            assertFalse(censusThreadAlive(), "the census started before startVerification");
            fs.close();
            Superblock.FreeList after = Superblock.read(device).freeList();
            assertTrue(after.present(), "an unmount before the verification saved no free list");
            assertEquals(before, after, "the same list, unverified, is saved again");
            assertClean(device);
        }
    }

    @Test
    void anUnmountDuringTheCensusStopsItAndSavesTheList() {
        try (DaxDevice device = image()) {
            for (int round = 0; round < 5; round++) {
                FsFixture.mount(device).close(); // the census of 30,000 logs has just begun
                assertTrue(Superblock.read(device).freeList().present(), "round " + round + ": no free list saved");
                assertClean(device);
            }
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                long big = fs.lookup(fs.rootIno(), Name.of("big"));
                assertArrayEquals(BIG, FsFixture.readAll(fs, big));
                fs.truncate(big, 0);
                FsFixture.write(fs, big, 0, BIG);
                assertArrayEquals(BIG, FsFixture.readAll(fs, big));
            }
            assertClean(device);
        }
    }

    private static byte[] pattern(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + i / 4096);
        }
        return b;
    }

    private static boolean censusThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("daxfs-mount-verify"));
    }

    private static void assertClean(DaxDevice device) {
        CheckReport report = Checker.check(device);
        assertTrue(report.errors().isEmpty(), report.toString());
    }
}
