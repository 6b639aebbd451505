package io.daxfs.core;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.testing.crash.RecordingDevice;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 point 8: file times cover ext4's range, 1901-12-13T20:45:52Z to 2446-05-10T22:38:55Z,
 * with their nanoseconds, through a remount and a crash; times outside are clamped as ext4 clamps
 * (to the bound, nanoseconds zero).
 */
class TimesTest {
    private static final long MIB = 1 << 20;
    /** 1901-12-13T20:45:52Z, ext4's first second. */
    private static final long FIRST = -2_147_483_648L;
    /** 2446-05-10T22:38:55Z, ext4's last second. */
    private static final long LAST = 15_032_385_535L;
    private static final long YEAR_1900 = -2_208_988_800L;
    private static final long YEAR_2500 = 16_725_225_600L;

    @Test
    void theBoundsAreExt4s() {
        assertEquals(FIRST, Timestamp.MIN_SECONDS);
        assertEquals(LAST, Timestamp.MAX_SECONDS);
        assertEquals("1901-12-13T20:45:52Z", new Timestamp(FIRST, 0).toString());
        assertEquals("2446-05-10T22:38:55Z", new Timestamp(LAST, 0).toString());
    }

    @Test
    void timesInsideTheRangeKeepTheirNanoseconds() {
        try (DaxFileSystem fs = mount(formattedDevice(4 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            Attributes a = fs.utimens(f, FIRST + 1, 123_456_789, LAST - 1, 999_999_999);
            assertEquals(new Timestamp(FIRST + 1, 123_456_789), a.atime());
            assertEquals(new Timestamp(LAST - 1, 999_999_999), a.mtime());
            a = fs.utimens(f, -1, 1, 1L << 33, 7);
            assertEquals(new Timestamp(-1, 1), a.atime(), "1969-12-31T23:59:59.000000001Z");
            assertEquals(new Timestamp(1L << 33, 7), a.mtime(), "2242, beyond a long of nanoseconds");
        }
    }

    @Test
    void timesOutsideTheRangeAreClampedAsExt4Does() {
        try (DaxFileSystem fs = mount(formattedDevice(4 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            Attributes a = fs.utimens(f, YEAR_1900, 5, YEAR_2500, 7);
            assertEquals(new Timestamp(FIRST, 0), a.atime(), "1900 clamps to the first second");
            assertEquals(new Timestamp(LAST, 0), a.mtime(), "2500 clamps to the last second");
            a = fs.utimens(f, FIRST - 1, 5, LAST + 1, 7);
            assertEquals(new Timestamp(FIRST, 0), a.atime(), "one second before");
            assertEquals(new Timestamp(LAST, 0), a.mtime(), "one second after");
            a = fs.utimens(f, FIRST, 999_999_999, LAST, 999_999_999);
            assertEquals(new Timestamp(FIRST, 0), a.atime(), "the bound itself has no nanoseconds, as in ext4");
            assertEquals(new Timestamp(LAST, 0), a.mtime());
            a = fs.utimens(f, Long.MIN_VALUE, 0, Long.MAX_VALUE, 0);
            assertEquals(new Timestamp(FIRST, 0), a.atime());
            assertEquals(new Timestamp(LAST, 0), a.mtime());
            assertEquals(Errno.EINVAL, errno(() -> fs.utimens(f, 0, 1_000_000_000L, 0, 0)));
            assertEquals(Errno.EINVAL, errno(() -> fs.utimens(f, 0, 0, 0, -1)));
        }
    }

    @Test
    void timesSurviveARemount() {
        DaxDevice device = formattedDevice(4 * MIB);
        try (DaxFileSystem fs = mount(device)) {
            setEdgeTimes(fs, createFile(fs, fs.rootIno(), "f"));
        }
        try (DaxFileSystem fs = mount(device)) {
            assertEdgeTimes(fs.getattr(fs.lookup(fs.rootIno(), "f")));
        }
    }

    @Test
    void timesSurviveACrashAndLogCompaction() {
        RecordingDevice recorder = new RecordingDevice(MemoryDevice.allocate(4 * MIB));
        DaxFileSystem.format(recorder, FormatOptions.defaults());
        DaxFileSystem fs = mount(recorder);
        long f = createFile(fs, fs.rootIno(), "f");
        setEdgeTimes(fs, f);
        for (int i = 0; i < 1000; i++) { // enough log entries to compact the log at least once
            fs.setxattr(f, "user.n", new byte[] {(byte) i}, 0);
        }
        assertEdgeTimes(fs.getattr(f));
        byte[] crashed = recorder.crashState(recorder.crashPointCount() - 1).durableImage();
        try (DaxFileSystem again = mount(MemoryDevice.fromImage(crashed))) {
            assertEdgeTimes(again.getattr(again.lookup(again.rootIno(), "f")));
        }
    }

    private static void setEdgeTimes(DaxFileSystem fs, long f) {
        fs.utimens(f, FIRST + 1, 1, LAST - 1, 999_999_999);
    }

    private static void assertEdgeTimes(Attributes a) {
        assertEquals(new Timestamp(FIRST + 1, 1), a.atime());
        assertEquals(new Timestamp(LAST - 1, 999_999_999), a.mtime());
    }

    private static Errno errno(Runnable r) {
        try {
            r.run();
        } catch (FsException e) {
            return e.errno();
        }
        throw new AssertionError("no error");
    }
}
