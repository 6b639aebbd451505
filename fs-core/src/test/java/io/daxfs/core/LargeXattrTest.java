package io.daxfs.core;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.testing.crash.RecordingDevice;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 point 10: xattr values up to 64 KiB (XATTR_SIZE_MAX), many per file, stored out of line
 * beyond 3584 bytes: they survive remount, crash and compaction, give their blocks back when
 * replaced, removed or their file deleted, and the checker accounts for them.
 */
class LargeXattrTest {
    private static final long MIB = 1 << 20;

    private static byte[] value(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void valuesUpTo64KiBAndE2BigAbove() {
        DaxDevice device = formattedDevice(16 * MIB);
        try (DaxFileSystem fs = mount(device)) {
            long f = createFile(fs, fs.rootIno(), "f");
            for (int length : new int[] {3584, 3585, 4096, 4097, 65535, 65536}) {
                fs.setxattr(f, "user.v" + length, value(length, length), 0);
            }
            FsException big = assertThrows(FsException.class, () -> fs.setxattr(f, "user.big", new byte[65537], 0));
            assertEquals(Errno.E2BIG, big.errno());
            for (int length : new int[] {3584, 3585, 4096, 4097, 65535, 65536}) {
                assertArrayEquals(value(length, length), fs.getxattr(f, "user.v" + length), "length " + length);
            }
        }
        try (DaxFileSystem fs = mount(device)) {
            long f = fs.lookup(fs.rootIno(), "f");
            assertArrayEquals(value(65536, 65536), fs.getxattr(f, "user.v65536"), "after a remount");
            assertEquals(6, fs.listxattr(f).size());
        }
        assertClean(device);
    }

    @Test
    void manyLargeValuesPerFileAndTheirBlocksComeBack() {
        DaxDevice device = formattedDevice(32 * MIB);
        try (DaxFileSystem fs = mount(device)) {
            long f = createFile(fs, fs.rootIno(), "f");
            long free = fs.statfs().freeBlocks();
            for (int i = 0; i < 100; i++) {
                fs.setxattr(f, "user.x" + i, value(65536, i), 0);
            }
            for (int i = 0; i < 300; i++) {
                fs.setxattr(f, "user.small" + i, value(200, i), 0);
            }
            assertTrue(free - fs.statfs().freeBlocks() >= 1600, "100 values of 16 blocks each");
            assertEquals(1600 * 8, fs.getattr(f).blocks(), "st_blocks (512-byte units) counts the value blocks");
            for (int i = 0; i < 100; i++) { // replacing: copy-on-write, the old blocks come back
                fs.setxattr(f, "user.x" + i, value(5000, -i), DaxFileSystem.XATTR_REPLACE);
            }
            fs.syncfs();
            long afterReplace = fs.statfs().freeBlocks();
            assertTrue(free - afterReplace < 300, "replaced values gave their blocks back: " + (free - afterReplace));
            for (int i = 0; i < 100; i += 2) {
                fs.removexattr(f, "user.x" + i);
            }
            fs.syncfs();
            assertTrue(fs.statfs().freeBlocks() >= afterReplace + 100, "removed values gave their blocks back");
            for (int i = 1; i < 100; i += 2) {
                assertArrayEquals(value(5000, -i), fs.getxattr(f, "user.x" + i), "x" + i);
            }
            assertEquals(50 + 300, fs.listxattr(f).size());
            assertEquals(50 * 2 * 8, fs.getattr(f).blocks(), "50 values of 5000 bytes, 2 blocks each");
        }
        assertClean(device);
        try (DaxFileSystem fs = mount(device)) {
            long f = fs.lookup(fs.rootIno(), "f");
            assertArrayEquals(value(5000, -99), fs.getxattr(f, "user.x99"));
            assertEquals(50 * 2 * 8, fs.getattr(f).blocks(), "after a remount");
            long before = fs.statfs().freeBlocks();
            fs.unlink(fs.rootIno(), "f");
            fs.syncfs();
            assertTrue(fs.statfs().freeBlocks() >= before + 100, "unlink gave the value blocks back");
        }
        assertClean(device);
    }

    @Test
    void largeValuesSurviveACrashAndCompaction() {
        RecordingDevice recorder = new RecordingDevice(MemoryDevice.allocate(16 * MIB));
        DaxFileSystem.format(recorder, FormatOptions.defaults());
        DaxFileSystem fs = mount(recorder);
        long f = createFile(fs, fs.rootIno(), "f");
        fs.setxattr(f, "user.big", value(40_000, 1), 0);
        for (int i = 0; i < 600; i++) { // the log is compacted several times; the value's blocks stay
            fs.setxattr(f, "user.churn", value(8000, i), 0);
        }
        byte[] crashed = recorder.crashState(recorder.crashPointCount() - 1).durableImage();
        try (DaxDevice device = MemoryDevice.fromImage(crashed)) {
            try (DaxFileSystem again = mount(device)) {
                long g = again.lookup(again.rootIno(), "f");
                assertArrayEquals(value(40_000, 1), again.getxattr(g, "user.big"));
                assertArrayEquals(value(8000, 599), again.getxattr(g, "user.churn"));
            }
            assertClean(device);
        }
    }

    private static void assertClean(DaxDevice device) {
        CheckReport report = Checker.check(device);
        assertTrue(report.clean() && report.problems().isEmpty(), report.problems().toString());
    }
}
