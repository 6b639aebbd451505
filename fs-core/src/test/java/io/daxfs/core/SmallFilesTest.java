package io.daxfs.core;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.readAll;
import static io.daxfs.core.FsFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.Layout;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.volume.Volume;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Small files cost one block (issue #11 point 3): every log starts in a 512-byte slot of a packed
 * page, spills into pages when it outgrows it, and log compaction brings it back into a slot.
 */
class SmallFilesTest {
    private static final long MIB = 1 << 20;

    private static byte[] block(int seed) {
        byte[] b = new byte[Layout.BLOCK_SIZE];
        Arrays.fill(b, (byte) seed);
        b[0] = (byte) (seed >> 8);
        return b;
    }

    private static long usedBlocks(DaxFileSystem fs) {
        StatFs s = fs.statfs();
        return s.totalBlocks() - s.freeBlocks();
    }

    /** N files of 4 KiB take N data blocks and N slots (N / 8 packed pages), plus the directories' logs. */
    @Test
    void nFilesOfFourKibUseNBlocksPlusSlots() {
        int files = 4000;
        int dirs = 40;
        try (DaxFileSystem fs = FsFixture.mount(FsFixture.formattedDevice(64 * MIB))) {
            long before = usedBlocks(fs);
            long[] dir = new long[dirs];
            for (int d = 0; d < dirs; d++) {
                dir[d] = fs.mkdir(fs.rootIno(), "d" + d, 0755, 0, 0).ino();
            }
            for (int i = 0; i < files; i++) {
                long f = createFile(fs, dir[i % dirs], "f" + i);
                write(fs, f, 0, block(i));
            }
            long dirPages = 0;
            for (long d : dir) {
                dirPages += fs.volume().inode(d).log().ownedBlocks();
            }
            dirPages += fs.volume().inode(fs.rootIno()).log().ownedBlocks();
            long used = usedBlocks(fs) - before;
            long slotPages = (files + dirs + Layout.SLOTS_PER_BLOCK - 1) / Layout.SLOTS_PER_BLOCK;
            assertEquals(files + dirs + 1, fs.volume().slots().slotsInUse(), "one slot per inode");
            assertTrue(used <= files + slotPages + dirPages,
                    "used " + used + " blocks for " + files + " files: more than N + N/8 + " + dirPages);
            for (long d : dir) {
                assertFalse(fs.volume().inode(d).log().startsInSlot() && fs.volume().inode(d).log().segmentCount() > 3,
                        "a directory of 100 names keeps a short log");
            }
        }
    }

    /**
     * The default table of a 6 GiB device holds a million files in 1000 directories, and its data
     * area their blocks at the cost the test below measures (N + N/8 + a page per directory).
     */
    @Test
    void theDefaultLayoutOfSixGibHasRoomForAMillionFourKibFiles() {
        long files = 1_000_000;
        long dirs = 1000;
        Layout layout = new Layout((6L << 30) / Layout.BLOCK_SIZE, Layout.defaultInodeCount((6L << 30) / Layout.BLOCK_SIZE));
        assertTrue(layout.inodeCount() > files + dirs + 1, layout.inodeCount() + " inodes");
        long blocks = files + (files + dirs + 1 + Layout.SLOTS_PER_BLOCK - 1) / Layout.SLOTS_PER_BLOCK + dirs * 12;
        assertTrue(layout.dataBlocks() > blocks, layout.dataBlocks() + " data blocks for " + blocks);
    }

    /**
     * The scaled form of "a million 4 KiB files fit on a 6 GiB device": the same ratio of device
     * bytes per file (6.29 KiB), 100k files on 600 MiB, in 100 directories, formatted with the
     * default inode count (one per 4 KiB block: one per 16 KiB would run out of inodes first).
     */
    @Test
    void aHundredThousandFilesOfFourKibFitOnSixHundredMib() {
        int files = 100_000;
        long bytes = 600 * MIB;
        try (DaxDevice device = MemoryDevice.allocate(bytes)) {
            DaxFileSystem.format(device, FormatOptions.defaults());
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                long[] dir = new long[100];
                for (int d = 0; d < dir.length; d++) {
                    dir[d] = fs.mkdir(fs.rootIno(), "d" + d, 0755, 0, 0).ino();
                }
                byte[] data = block(7);
                for (int i = 0; i < files; i++) {
                    long f = createFile(fs, dir[i % dir.length], "f" + i);
                    write(fs, f, 0, data);
                }
                assertTrue(fs.statfs().freeBlocks() > 0, "room is left");
            }
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                long d7 = fs.lookup(fs.rootIno(), "d7");
                assertArrayEquals(block(7), readAll(fs, fs.lookup(d7, "f" + (files - 93))));
                assertEquals(files / 100, fs.readdir(d7, 0, files).size());
            }
        }
    }

    /**
     * A log that outgrows its slot spills into a page; compaction puts it back into a slot at once
     * the first time, ever later the next times (up to the usual threshold), and frees what it left.
     */
    @Test
    void aLogThatSpillsIsCompactedBackIntoASlot() {
        try (DaxFileSystem fs = FsFixture.mount(FsFixture.formattedDevice(16 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            write(fs, f, 0, block(1));
            InodeLog log = fs.volume().inode(f).log();
            assertTrue(log.startsInSlot());
            assertEquals(1, log.segmentCount());
            long before = usedBlocks(fs);
            int compactions = 0;
            for (int i = 0; i < 10_000; i++) {
                fs.chmod(f, 0600 + (i & 077));
                InodeLog now = fs.volume().inode(f).log();
                if (now != log) {
                    compactions++;
                    assertEquals(1, now.segmentCount(), "compacted into a lone slot");
                    assertTrue(now.startsInSlot());
                    log = now;
                }
                int most = 1 + (int) (Inode.MIN_COMPACTION_THRESHOLD / Layout.BLOCK_SIZE) + 1;
                assertTrue(log.segmentCount() <= most, "segments after " + i + " chmods: " + log.segmentCount());
            }
            assertTrue(compactions > 10, "compactions: " + compactions);
            assertTrue(log.startsInSlot(), "back in a slot");
            assertTrue(usedBlocks(fs) <= before + Inode.MIN_COMPACTION_THRESHOLD / Layout.BLOCK_SIZE + 1,
                    "at most the spill pages are in use");
            assertEquals(2, fs.volume().slots().slotsInUse(), "root and f");
            assertArrayEquals(block(1), readAll(fs, f));
        }
    }

    /** Unlinking every small file gives back every packed page: the device is as empty as before. */
    @Test
    void unlinkGivesBackSlotsAndPackedPages() {
        DaxDevice device = FsFixture.formattedDevice(16 * MIB);
        long before;
        try (DaxFileSystem fs = FsFixture.mount(device)) {
            before = fs.statfs().freeBlocks();
            long d = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
            for (int i = 0; i < 500; i++) {
                write(fs, createFile(fs, d, "f" + i), 0, block(i));
            }
            for (int i = 0; i < 500; i += 2) {
                fs.unlink(d, "f" + i);
            }
            assertEquals(252, fs.volume().slots().slotsInUse());
        }
        try (DaxFileSystem fs = FsFixture.mount(device)) {
            long d = fs.lookup(fs.rootIno(), "d");
            fs.readdir(d, 0, 1000);
            for (int i = 0; i < 300; i++) {
                write(fs, createFile(fs, d, "g" + i), 0, block(i));
            }
            // d's log may have been compacted into a page by now (550 names do not fit a slot)
            assertEquals(551 + (fs.volume().inode(d).log().startsInSlot() ? 1 : 0), fs.volume().slots().slotsInUse());
            assertTrue(fs.volume().slots().packedPages() <= 552 / 8 + 1,
                    "free slots of packed pages found at mount are reused: " + fs.volume().slots().packedPages());
            for (int i = 1; i < 500; i += 2) {
                fs.unlink(d, "f" + i);
            }
            for (int i = 0; i < 300; i++) {
                fs.unlink(d, "g" + i);
            }
            fs.rmdir(fs.rootIno(), "d");
        }
        CheckReport report = Checker.check(device);
        assertEquals(java.util.List.of(), report.problems());
        try (DaxFileSystem fs = FsFixture.mount(device)) {
            fs.create(fs.rootIno(), "probe", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0);
            fs.unlink(fs.rootIno(), "probe");
            Volume v = fs.volume();
            assertEquals(1, v.slots().slotsInUse(), "only the root's slot");
            assertEquals(before, fs.statfs().freeBlocks(), "every packed page given back");
        }
    }
}
