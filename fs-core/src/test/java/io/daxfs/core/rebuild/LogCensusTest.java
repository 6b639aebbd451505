package io.daxfs.core.rebuild;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.DirEntry;
import io.daxfs.core.FileKind;
import io.daxfs.core.FsFixture;
import io.daxfs.core.check.ImageCrafter;
import io.daxfs.core.check.ImageCrafter.Located;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogReader;
import io.daxfs.core.log.LogSegment;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The census counts each log itself where it can and loads the inode where it cannot; either way
 * it must say exactly what loading every inode says (blocks in use, names per inode, link counts),
 * or the allocator would hand out a block a file uses, or a file with names be deleted.
 */
class LogCensusTest {
    @Test
    void countsWhatLoadingEveryInodeCounts() {
        try (DaxDevice device = FsFixture.formattedDevice(64L << 20)) {
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                churn(fs, new Random(13));
            }
            LogCensus census = assertCensusMatchesLoads(device);
            assertTrue(census.loadedWhole() > 0 && census.loadedWhole() < census.inodes() / 2,
                    "most logs are counted as they are read, the odd ones loaded: " + census.loadedWhole() + " of "
                            + census.inodes());
        }
    }

    @Test
    void aNameAddedTwiceCountsAsTheLoadSaysAndMakesTheLinkCountWrong() {
        try (DaxDevice device = FsFixture.formattedDevice(16L << 20)) {
            long a;
            long b;
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                a = FsFixture.createFile(fs, fs.rootIno(), "a");
                b = FsFixture.createFile(fs, fs.rootIno(), "b");
            }
            ImageCrafter crafter = new ImageCrafter(device);
            Located second = crafter.all(Layout.ROOT_INO, DentryAdd.class).get(1);
            DentryAdd e = (DentryAdd) second.entry();
            crafter.replaceEntry(second.offset(), new DentryAdd(((DentryAdd) crafter.all(Layout.ROOT_INO,
                    DentryAdd.class).getFirst().entry()).name(), e.ino(), e.kindBits(), e.cookie(), e.timeNs()));
            LogCensus census = assertCensusMatchesLoads(device);
            assertEquals(0, census.namesOf(a), "the second 'a' replaced the first");
            assertEquals(1, census.namesOf(b));
            assertTrue(census.wrongLinkCounts().contains(a), "a has a count of 1 and no name");
        }
    }

    /** Files and directories with every kind of entry: overwrites, holes, truncation, xattrs, renames, removals. */
    private static void churn(DaxFileSystem fs, Random random) {
        long root = fs.rootIno();
        long[] dirs = new long[4];
        for (int d = 0; d < dirs.length; d++) {
            dirs[d] = fs.mkdir(root, "d" + d, FileKind.DIRECTORY.typeBits() | 0755, 0, 0).ino();
        }
        Map<String, Long> files = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            long dir = dirs[random.nextInt(dirs.length)];
            String name = "f" + i;
            long ino = FsFixture.createFile(fs, dir, name);
            files.put(dir + "/" + name, ino);
            switch (i % 8) {
                case 0 -> FsFixture.write(fs, ino, 0, new byte[3 * 4096]);
                case 1 -> {
                    FsFixture.write(fs, ino, 0, new byte[4 * 4096]);
                    FsFixture.write(fs, ino, 4096, new byte[4096]); // overwrite: a second write of a page
                }
                case 2 -> {
                    FsFixture.write(fs, ino, 8 * 4096, new byte[100]); // a hole before it
                    fs.truncate(ino, 4096); // a hole write over the mapped page
                }
                case 3 -> fs.setxattr(ino, "user.k", new byte[] {1, 2, 3}, 0);
                case 4 -> fs.link(ino, dirs[(int) (ino % dirs.length)], "link" + i);
                case 5 -> fs.unlink(dir, name);
                case 6 -> fs.rename(dir, name, dirs[0], "moved" + i, 0);
                default -> fs.symlink(dir, "s" + i, "target-" + i, 0, 0);
            }
        }
        fs.mkdir(root, "gone", FileKind.DIRECTORY.typeBits() | 0755, 0, 0);
        fs.rmdir(root, "gone");
    }

    /** Takes a census and compares it with loading every inode in use. */
    private static LogCensus assertCensusMatchesLoads(DaxDevice device) {
        Layout layout = Superblock.read(device).layout();
        InodeTable table = new InodeTable(device, layout);
        LogReader reader = new LogReader(device, layout);
        InodeLoader loader = new InodeLoader(table, reader);
        LogCensus census = LogCensus.take(table, reader, loader, table.usedSnapshot(), 2, () -> false);
        BitSet used = new BitSet();
        Map<Long, Integer> names = new HashMap<>();
        BitSet inUse = table.usedSnapshot();
        for (int ino = inUse.nextSetBit(1); ino >= 0; ino = inUse.nextSetBit(ino + 1)) {
            Inode inode = loader.loadOrThrow(ino);
            for (long segment : inode.log().segmentsCopy()) {
                used.set((int) LogSegment.block(segment));
            }
            if (inode.extents() != null) {
                for (FileExtents.Run run : inode.extents().runs()) {
                    used.set((int) run.block(), (int) (run.block() + run.count()));
                }
            }
            if (inode.isDirectory()) {
                for (DirEntry d : inode.directory().all()) {
                    names.merge(d.ino(), 1, Integer::sum);
                }
            }
        }
        assertEquals(used, census.used(), "blocks in use");
        assertTrue(census.shared().isEmpty(), "no block has two owners");
        assertEquals(inUse.cardinality() - 1, census.inodes(), "every inode in use counted");
        for (int ino = inUse.nextSetBit(1); ino >= 0; ino = inUse.nextSetBit(ino + 1)) {
            assertEquals(names.getOrDefault((long) ino, 0), census.namesOf(ino), "names of inode " + ino);
        }
        return census;
    }
}
