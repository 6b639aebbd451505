package io.daxfs.core.gc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Attributes;
import io.daxfs.core.FsFixture;
import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.file.FileData;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.InodeLog;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The head trim of {@link LogCompactor}: a file overwritten at random, page by page, keeps a log
 * within its bound by taking segments off the head, not by rewriting the whole log, and every
 * page, the size and the extended attributes read back the same after a remount and pass the
 * checker.
 */
class LogTrimTest {
    private static final int PAGE = 4096;
    private static final int PAGES = 4096;
    private static final int WRITES = 40_000;

    /** What compaction did to a log, seen from outside. */
    private enum Change { NONE, TRIM, THOROUGH }

    @Test
    void randomOverwritesTrimTheHeadAndKeepEveryPage() {
        DaxDevice device = FsFixture.formattedDevice(64L << 20);
        byte[] expected = new byte[PAGES];
        int[] changes = new int[Change.values().length];
        int thoroughInSecondHalf = 0;
        long f;
        Attributes attributes;
        try (DaxFileSystem fs = FsFixture.mount(device); Arena arena = Arena.ofConfined()) {
            litterSlots(fs);
            MemorySegment page = arena.allocate(PAGE);
            f = filledFile(fs, page, expected);
            Random random = new Random(9);
            for (int i = 0; i < WRITES; i++) {
                int p = random.nextInt(PAGES);
                InodeLog before = fs.volume().inode(f).log();
                fs.write(f, (long) p * PAGE, page.fill((byte) (i * 7 + 1)));
                expected[p] = (byte) (i * 7 + 1);
                Inode inode = fs.volume().inode(f);
                Change change = change(before, inode.log());
                changes[change.ordinal()]++;
                if (change == Change.THOROUGH && i >= WRITES / 2) {
                    thoroughInSecondHalf++;
                }
                assertTrue(inode.log().usedBytes() < inode.compactionThreshold() + 2 * PAGE,
                        "log of " + inode.log().usedBytes() + " bytes past its bound " + inode.compactionThreshold());
            }
            assertContent(fs, f, expected);
            attributes = fs.getattr(f);
        }
        assertTrue(changes[Change.TRIM.ordinal()] > 20, "trims: " + Arrays.toString(changes));
        assertEquals(0, thoroughInSecondHalf, "whole-log rewrites once the file is fragmented: " + Arrays.toString(changes));
        assertClean(device);
        try (DaxFileSystem fs = FsFixture.mount(device)) {
            assertContent(fs, f, expected);
            assertEquals(attributes, fs.getattr(f));
        }
    }

    /**
     * Leaves free log slots that still hold other inodes' entries, as deleted small files do: a
     * trim's new head may take one and must not let the stale entries after its own count.
     */
    private static void litterSlots(DaxFileSystem fs) {
        for (int i = 0; i < 64; i++) {
            long s = FsFixture.createFile(fs, fs.rootIno(), "s" + i);
            for (int k = 0; k < 3; k++) {
                fs.chmod(s, 0600 + k);
            }
        }
        for (int i = 0; i < 64; i++) {
            fs.unlink(fs.rootIno(), "s" + i);
        }
    }

    @Test
    void aSegmentWithAnExtendedAttributeEndsTheTrimAndTheThoroughFormTakesOver() {
        DaxDevice device = FsFixture.formattedDevice(64L << 20);
        byte[] expected = new byte[PAGES];
        long f;
        try (DaxFileSystem fs = FsFixture.mount(device); Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(PAGE);
            f = filledFile(fs, page, expected);
            Random random = new Random(10);
            for (int i = 0; i < WRITES / 2; i++) {
                if (i % 5000 == 0) {
                    fs.setxattr(f, "user.round", FsFixture.bytes("round " + i), 0);
                }
                int p = random.nextInt(PAGES);
                fs.write(f, (long) p * PAGE, page.fill((byte) (i * 3 + 2)));
                expected[p] = (byte) (i * 3 + 2);
            }
            assertContent(fs, f, expected);
        }
        assertClean(device);
        try (DaxFileSystem fs = FsFixture.mount(device)) {
            assertContent(fs, f, expected);
            assertArrayEquals(FsFixture.bytes("round 15000"), fs.getxattr(f, "user.round"));
        }
    }

    /** /f, {@link #PAGES} pages in a row, page p filled with byte p (noted in {@code expected}). */
    private static long filledFile(DaxFileSystem fs, MemorySegment page, byte[] expected) {
        long f = FsFixture.createFile(fs, fs.rootIno(), "f");
        for (int p = 0; p < PAGES; p++) {
            fs.write(f, (long) p * PAGE, page.fill((byte) p));
            expected[p] = (byte) p;
        }
        return f;
    }

    /**
     * Holes punched, the file cut short and grown again between the overwrites: a trim moves only
     * what the index still maps, so a page a later entry unmapped stays a hole after a remount.
     */
    @Test
    void punchedAndTruncatedPagesStayHolesAcrossTrims() {
        DaxDevice device = FsFixture.formattedDevice(64L << 20);
        byte[] expected = new byte[PAGES];
        int[] changes = new int[Change.values().length];
        long f;
        try (DaxFileSystem fs = FsFixture.mount(device); Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(PAGE);
            f = filledFile(fs, page, expected);
            Random random = new Random(11);
            for (int i = 0; i < WRITES; i++) {
                int p = random.nextInt(PAGES);
                InodeLog before = fs.volume().inode(f).log();
                if (i % 50 == 0) {
                    fs.fallocate(f, FileData.PUNCH_HOLE | FileData.KEEP_SIZE, (long) p * PAGE, PAGE);
                    expected[p] = 0;
                } else if (i % 3001 == 0) {
                    int keep = PAGES - 64;
                    fs.truncate(f, (long) keep * PAGE);
                    fs.truncate(f, (long) PAGES * PAGE);
                    Arrays.fill(expected, keep, PAGES, (byte) 0);
                } else {
                    fs.write(f, (long) p * PAGE, page.fill((byte) (i * 5 + 3)));
                    expected[p] = (byte) (i * 5 + 3);
                }
                changes[change(before, fs.volume().inode(f).log()).ordinal()]++;
            }
            assertContent(fs, f, expected);
        }
        assertTrue(changes[Change.TRIM.ordinal()] > 20, "trims: " + Arrays.toString(changes));
        assertClean(device);
        try (DaxFileSystem fs = FsFixture.mount(device)) {
            assertContent(fs, f, expected);
        }
    }

    private static Change change(InodeLog before, InodeLog after) {
        if (after == before) {
            return Change.NONE;
        }
        // A trim keeps the old log's later segments behind a new head; the thorough form keeps none.
        for (int i = 0; i < before.segmentCount(); i++) {
            if (after.segmentCount() > 1 && before.segment(i) == after.segment(1)) {
                return Change.TRIM;
            }
        }
        return Change.THOROUGH;
    }

    private static void assertContent(DaxFileSystem fs, long f, byte[] expected) {
        assertEquals((long) PAGES * PAGE, fs.getattr(f).size());
        byte[] all = FsFixture.readAll(fs, f);
        for (int p = 0; p < PAGES; p++) {
            byte[] want = new byte[PAGE];
            Arrays.fill(want, expected[p]);
            assertArrayEquals(want, Arrays.copyOfRange(all, p * PAGE, (p + 1) * PAGE), "page " + p);
        }
    }

    private static void assertClean(DaxDevice device) {
        CheckReport report = Checker.check(device);
        assertTrue(report.errors().isEmpty(), report.toString());
    }
}
