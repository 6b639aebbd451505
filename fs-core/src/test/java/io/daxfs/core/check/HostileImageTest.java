package io.daxfs.core.check;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.DirEntry;
import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.FsException;
import io.daxfs.core.FsFixture;
import io.daxfs.core.MountOptions;
import io.daxfs.core.Name;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.Extent;
import io.daxfs.core.check.ImageCrafter.Located;
import io.daxfs.core.check.Problem.Kind;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.journal.Journal;
import io.daxfs.core.log.LogCorruptException;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.log.LogEntry.XattrRef;
import io.daxfs.core.log.LogReader;
import io.daxfs.core.log.LogSegment;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue #13: images crafted with every checksum valid. Each test builds a small clean image,
 * rewrites one structure with {@link ImageCrafter} and shows that mount, the engine and the checker
 * neither trust it nor lose or expose anything nobody touched.
 */
class HostileImageTest {
    private static final long SIZE = 8L << 20;
    private static final byte[] CONTENT = TestImages.pattern(3 * 4096 + 17, 9);

    /** A clean image: /f (CONTENT), /d/x (a name inside a directory), /many (its log compacted). */
    private static DaxDevice image(long size) {
        DaxDevice device = MemoryDevice.allocate(size);
        DaxFileSystem.format(device, FormatOptions.defaults());
        try (DaxFileSystem fs = FsFixture.mount(device)) {
            long f = FsFixture.createFile(fs, fs.rootIno(), "f");
            FsFixture.write(fs, f, 0, CONTENT);
            long d = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
            FsFixture.write(fs, FsFixture.createFile(fs, d, "x"), 0, FsFixture.bytes("x"));
            long many = FsFixture.createFile(fs, fs.rootIno(), "many");
            for (int i = 0; i < 200; i++) {
                fs.chmod(many, i % 2 == 0 ? 0600 : 0644);
            }
        }
        return device;
    }

    private static long ino(DaxDevice device, String path) {
        return TestImages.inodeOf(device, path);
    }

    // ---- point 7: journal records ----

    @Test
    void journalRecordsMayNameOnlyTailsHeadsAndOrphanSlots() {
        Layout layout = new Layout(4096, 1024);
        long record = layout.inodeOffset(5);
        assertTrue(Journal.isCommitWord(layout, record + InodeTable.TAIL));
        assertTrue(Journal.isCommitWord(layout, record + InodeTable.HEAD));
        assertFalse(Journal.isCommitWord(layout, record + InodeTable.GENERATION));
        assertFalse(Journal.isCommitWord(layout, record + 56));
        assertFalse(Journal.isCommitWord(layout, layout.inodeOffset(0)), "inode 0 is never used");
        assertTrue(Journal.isCommitWord(layout, Layout.offsetOf(Layout.ORPHAN_START_BLOCK) + 8));
    }

    @Test
    void journalRewritingAGenerationIsDamageNotACrash() {
        try (DaxDevice device = image(SIZE)) {
            long f = ino(device, "/f");
            long generationWord = new ImageCrafter(device).layout().inodeOffset(f) + InodeTable.GENERATION;
            long generation = device.getLong(generationWord);
            ImageCrafter crafter = new ImageCrafter(device);
            crafter.markDirty();
            crafter.setJournal(0, new long[] {generationWord}, new long[] {generation + 7});
            CheckReport report = Checker.check(device);
            assertTrue(report.has(Kind.JOURNAL_DAMAGED), report.problems().toString());
            CorruptImageException refused = assertThrows(CorruptImageException.class,
                    () -> DaxFileSystem.mount(device, MountOptions.defaults()));
            assertTrue(refused.getMessage().contains("journal"), refused.getMessage());
            assertEquals(generation, device.getLong(generationWord), "mount rewrote the generation");
            Repairer.Result repaired = Repairer.repair(device);
            assertTrue(repaired.after().clean(), repaired.after().problems().toString());
            assertEquals(generation, device.getLong(generationWord), "repair rewrote the generation");
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, fs.lookup(fs.rootIno(), "f")));
            }
        }
    }

    @Test
    void aJournalLaneWithItsReservedWordSetIsDamage() {
        try (DaxDevice device = image(SIZE)) {
            long f = ino(device, "/f");
            ImageCrafter crafter = new ImageCrafter(device);
            long tailWord = crafter.layout().inodeOffset(f) + InodeTable.TAIL;
            crafter.markDirty();
            crafter.setJournal(0, new long[] {tailWord}, new long[] {device.getLong(tailWord)});
            // The records and their checksum stay whole: only the u32 before the count changes.
            crafter.setWord(Journal.laneOffset(0) + 8, (1L << 32) | 0x5a5a);
            CheckReport report = Checker.check(device);
            assertTrue(report.has(Kind.JOURNAL_DAMAGED), report.problems().toString());
            CorruptImageException refused = assertThrows(CorruptImageException.class,
                    () -> DaxFileSystem.mount(device, MountOptions.defaults()));
            assertTrue(refused.getMessage().contains("reserved word is 0x5a5a"), refused.getMessage());
            Repairer.Result repaired = Repairer.repair(device);
            assertTrue(repaired.after().clean(), repaired.after().problems().toString());
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, fs.lookup(fs.rootIno(), "f")));
            }
        }
    }

    // ---- point 6: log cycles ----

    @Test
    void aLogCycleOnALargeDeviceIsFoundInOnePass() {
        try (DaxDevice device = image(256L << 20)) {
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                long big = fs.mkdir(fs.rootIno(), "big", 0755, 0, 0).ino();
                for (int i = 0; i < 250; i++) {
                    FsFixture.createFile(fs, big, "name-" + i);
                }
            }
            long many = ino(device, "/big");
            ImageCrafter crafter = new ImageCrafter(device);
            long[] pages = crafter.logSegments(many);
            assertTrue(pages.length >= 4, "segments " + pages.length);
            crafter.setNext(pages[2], pages[1]);
            InodeTable.Record rec = new InodeTable(device, crafter.layout()).read(many);
            AtomicLong visited = new AtomicLong();
            LogCorruptException e = assertThrows(LogCorruptException.class, () -> new LogReader(device,
                    crafter.layout()).read(many, rec.head(), rec.tail(), (entry, at) -> visited.incrementAndGet()));
            assertTrue(e.getMessage().contains("cycle"), e.getMessage());
            assertTrue(visited.get() <= 2 * Layout.BLOCK_SIZE / 8, "entries visited: " + visited.get());
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                long ino = fs.lookup(fs.rootIno(), "big");
                FsException eio = assertThrows(FsException.class, () -> fs.getattr(ino));
                assertEquals(Errno.EIO, eio.errno());
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, fs.lookup(fs.rootIno(), "f")));
            }
            crafter.markDirty();
            CorruptImageException refused = assertThrows(CorruptImageException.class,
                    () -> DaxFileSystem.mount(device, MountOptions.defaults()));
            assertTrue(refused.getMessage().contains("cycle"), refused.getMessage());
        }
    }

    // ---- issue 12 point 8: times ----

    /** Byte offsets in an INODE entry (docs/FORMAT.md): atime's seconds and nanoseconds. */
    private static final int ATIME_SECONDS_AT = 8 + 40;
    private static final int ATIME_NANOS_AT = 8 + 72;

    @Test
    void anInodeTimeOutsideTheFormatIsDamageNotACrash() {
        long[][] bad = {{ATIME_NANOS_AT, 1_000_000_000L, 4}, {ATIME_NANOS_AT, -1, 4},
            {ATIME_SECONDS_AT, Long.MAX_VALUE, 8}, {ATIME_SECONDS_AT, -(1L << 31) - 1, 8}};
        for (long[] field : bad) {
            try (DaxDevice device = image(SIZE)) {
                long many = ino(device, "/many");
                try (DaxFileSystem fs = FsFixture.mount(device)) {
                    fs.chmod(many, 0640); // may compact the log back into a slot with one INODE entry
                    fs.chmod(many, 0640); // an INODE entry after the first
                }
                ImageCrafter crafter = new ImageCrafter(device);
                List<Located> inodes = crafter.all(many, InodeEntry.class);
                assertTrue(inodes.size() >= 2, "INODE entries of /many: " + inodes.size());
                crafter.patchEntry(inodes.getLast().offset(), (int) field[0], field[1], (int) field[2]);
                CheckReport report = Checker.check(device);
                assertTrue(report.has(Kind.LOG_DAMAGED), report.problems().toString());
                try (DaxFileSystem fs = FsFixture.mount(device)) {
                    long ino = fs.lookup(fs.rootIno(), "many");
                    assertEquals(Errno.EIO, assertThrows(FsException.class, () -> fs.getattr(ino)).errno());
                    assertArrayEquals(CONTENT, FsFixture.readAll(fs, fs.lookup(fs.rootIno(), "f")));
                }
                Repairer.Result repaired = Repairer.repair(device);
                assertTrue(repaired.after().clean(), repaired.after().problems().toString());
                try (DaxFileSystem fs = FsFixture.mount(device)) {
                    assertEquals(FileKind.REGULAR, fs.getattr(fs.lookup(fs.rootIno(), "many")).kind(),
                            "the log was cut before the damaged entry and reads again");
                }
            }
        }
    }

    /**
     * A name added at a time before 1901 (the replay of the log refuses it): the census that
     * counts logs without replaying them must not take that log as whole, or a crash mount would
     * accept what the load of the directory then refuses; the checker, which counts the same way,
     * must find it.
     */
    @Test
    void aNameAddedBefore1901IsDamageToTheCensusTheLoadAndTheChecker() {
        try (DaxDevice device = image(SIZE)) {
            long d = ino(device, "/d");
            ImageCrafter crafter = new ImageCrafter(device);
            Located add = crafter.first(d, DentryAdd.class);
            DentryAdd e = (DentryAdd) add.entry();
            crafter.replaceEntry(add.offset(), new DentryAdd(e.name(), e.ino(), e.kindBits(), e.cookie(), Long.MIN_VALUE));
            CheckReport report = Checker.check(device);
            assertTrue(report.has(Kind.LOG_DAMAGED), report.problems().toString());
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                long dir = fs.lookup(fs.rootIno(), "d");
                assertEquals(Errno.EIO, assertThrows(FsException.class, () -> fs.lookup(dir, "x")).errno());
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, fs.lookup(fs.rootIno(), "f")));
            }
            crafter.markDirty();
            CorruptImageException refused = assertThrows(CorruptImageException.class,
                    () -> DaxFileSystem.mount(device, MountOptions.defaults()).close());
            assertTrue(refused.getMessage().contains("inode " + d) && refused.getMessage().contains("fsck.daxfs"),
                    refused.getMessage());
        }
    }

    // ---- point 5: an unusable root ----

    @Test
    void aRootThatIsNotADirectoryIsRefusedAtMount() {
        try (DaxDevice device = image(SIZE)) {
            ImageCrafter crafter = new ImageCrafter(device);
            Located first = crafter.first(Layout.ROOT_INO, InodeEntry.class);
            InodeEntry e = (InodeEntry) first.entry();
            crafter.replaceEntry(first.offset(), new InodeEntry(FileKind.REGULAR.typeBits() | 0644, e.uid(), e.gid(),
                    e.flags(), 1, e.rdev(), 0, e.atime(), e.mtime(), e.ctime(), e.btime(), e.parent(),
                    e.nextCookie()));
            for (Located l : crafter.all(Layout.ROOT_INO, InodeEntry.class)) {
                InodeEntry later = (InodeEntry) l.entry();
                crafter.replaceEntry(l.offset(), new InodeEntry(FileKind.REGULAR.typeBits() | 0644, later.uid(),
                        later.gid(), later.flags(), 1, later.rdev(), 0, later.atime(), later.mtime(),
                        later.ctime(), later.btime(), later.parent(), later.nextCookie()));
            }
            assertRootRefused(device);
        }
    }

    /**
     * The root's log (of an empty filesystem) is whole and counted, then found to be no directory:
     * the checker treats its blocks as not in use (the repair clears it), so on a clean image its
     * packed page is neither used nor in the saved free list.
     */
    @Test
    void aRootThatIsNotADirectoryKeepsNoBlocksInTheCheck() {
        try (DaxDevice device = MemoryDevice.allocate(SIZE)) {
            DaxFileSystem.format(device, FormatOptions.defaults());
            ImageCrafter crafter = new ImageCrafter(device);
            for (Located l : crafter.all(Layout.ROOT_INO, InodeEntry.class)) {
                InodeEntry e = (InodeEntry) l.entry();
                crafter.replaceEntry(l.offset(), new InodeEntry(FileKind.REGULAR.typeBits() | 0644, e.uid(), e.gid(),
                        e.flags(), 1, e.rdev(), 0, e.atime(), e.mtime(), e.ctime(), e.btime(), e.parent(),
                        e.nextCookie()));
            }
            CheckReport report = Checker.check(device);
            assertTrue(report.has(Kind.ROOT_MISSING), report.problems().toString());
            assertTrue(report.has(Kind.BLOCKS_LEAKED), report.problems().toString());
        }
    }

    @Test
    void aRootWhoseLogIsDamagedIsRefusedAtMount() {
        try (DaxDevice device = image(SIZE)) {
            ImageCrafter crafter = new ImageCrafter(device);
            InodeTable.Record root = new InodeTable(device, crafter.layout()).read(Layout.ROOT_INO);
            long notALogPage = crafter.layout().dataEndBlock() - 2;
            crafter.rewriteRecord(Layout.ROOT_INO, root.tail(), notALogPage, root.generation());
            assertRootRefused(device);
        }
    }

    @Test
    void anInodeTableGrownOverTheLogsIsRefusedAtMount() {
        try (DaxDevice device = image(SIZE)) {
            ImageCrafter crafter = new ImageCrafter(device);
            Superblock sb = crafter.superblock();
            crafter.writeSuperblock(new Superblock(sb.formatVersion(), sb.features(), sb.totalBlocks(),
                    sb.inodeCount() + 8 * Layout.INODES_PER_BLOCK, sb.uuid(), sb.label(), sb.state(), sb.createdNs(),
                    sb.lastMountNs(), sb.lastWriteNs(), sb.mountCount(), sb.freeList()));
            assertRootRefused(device);
        }
    }

    private static void assertRootRefused(DaxDevice device) {
        for (boolean readOnly : new boolean[] {true, false}) {
            CorruptImageException e = assertThrows(CorruptImageException.class,
                    () -> DaxFileSystem.mount(device, MountOptions.defaults().withReadOnly(readOnly)).close());
            assertTrue(e.getMessage().contains("root") && e.getMessage().contains("fsck.daxfs"), e.getMessage());
        }
    }

    // ---- point 4: orphan slots ----

    @Test
    void orphanSlotsNamingLiveInodesDeleteNothing() {
        for (boolean crashed : new boolean[] {false, true}) {
            try (DaxDevice device = image(SIZE)) {
                long f = ino(device, "/f");
                long d = ino(device, "/d");
                ImageCrafter crafter = new ImageCrafter(device);
                crafter.setOrphan(0, f);
                crafter.setOrphan(1, d);
                crafter.setOrphan(2, Layout.ROOT_INO);
                if (crashed) {
                    crafter.markDirty();
                }
                FsFixture.mount(device).close();
                try (DaxFileSystem fs = FsFixture.mount(device)) {
                    assertArrayEquals(CONTENT, FsFixture.readAll(fs, fs.lookup(fs.rootIno(), "f")), "crashed " + crashed);
                    long dir = fs.lookup(fs.rootIno(), "d");
                    assertEquals(1, fs.readdir(dir, 0, 10).size(), "crashed " + crashed);
                }
                assertTrue(Checker.check(device).clean(), Checker.check(device).problems().toString());
            }
        }
    }

    // ---- point 3: link counts ----

    @Test
    void aNamedFileWithALinkCountOfZeroIsNotDeletedAtClose() {
        try (DaxDevice device = image(SIZE)) {
            long f = ino(device, "/f");
            setLinks(device, f, 0);
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertEquals(f, fs.lookup(fs.rootIno(), "f"));
                FsException e = assertThrows(FsException.class, () -> {
                    fs.open(f);
                    fs.release(f);
                });
                assertEquals(Errno.EIO, e.errno());
            }
            assertTrue(new InodeTable(device, new ImageCrafter(device).layout()).isUsed(f), "the file was deleted");
            CheckReport report = Checker.check(device);
            assertTrue(report.has(Kind.LINK_COUNT), report.problems().toString());
        }
    }

    @Test
    void aLinkCountAtTheTopOfItsRangeGivesEmlinkNotAWrap() {
        try (DaxDevice device = image(SIZE)) {
            long f = ino(device, "/f");
            setLinks(device, f, -1);
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                FsException e = assertThrows(FsException.class, () -> fs.link(f, fs.rootIno(), "g"));
                assertEquals(Errno.EMLINK, e.errno());
                fs.unlink(fs.rootIno(), "f");
                assertEquals(0xfffffffeL, Integer.toUnsignedLong(fs.getattr(f).nlink()), "unlink must not delete it");
            }
        }
    }

    /** Rewrites every INODE entry of {@code ino} with link count {@code links}. */
    private static void setLinks(DaxDevice device, long ino, int links) {
        ImageCrafter crafter = new ImageCrafter(device);
        for (Located l : crafter.all(ino, InodeEntry.class)) {
            InodeEntry e = (InodeEntry) l.entry();
            crafter.replaceEntry(l.offset(), new InodeEntry(e.mode(), e.uid(), e.gid(), e.flags(), links, e.rdev(),
                    e.size(), e.atime(), e.mtime(), e.ctime(), e.btime(), e.parent(), e.nextCookie()));
        }
    }

    // ---- point 1: cross-linked blocks ----

    /** Points /g's first WRITE at {@code block}. /g is created here: one page of 'g'. */
    private static long crossLink(DaxDevice device, java.util.function.ToLongBiFunction<ImageCrafter, Long> target) {
        long g;
        try (DaxFileSystem fs = FsFixture.mount(device)) {
            g = FsFixture.createFile(fs, fs.rootIno(), "g");
            FsFixture.write(fs, g, 0, TestImages.pattern(4096, 77));
        }
        ImageCrafter crafter = new ImageCrafter(device);
        Located write = crafter.first(g, WriteEntry.class);
        WriteEntry w = (WriteEntry) write.entry();
        crafter.replaceEntry(write.offset(), new WriteEntry(w.pgoff(), target.applyAsLong(crafter, g), w.count(),
                w.size(), w.timeNs()));
        return g;
    }

    private static long firstDataBlock(ImageCrafter crafter, long ino) {
        return ((WriteEntry) crafter.first(ino, WriteEntry.class).entry()).block();
    }

    @Test
    void aBlockOfOneFileNamedByAnotherIsNeverServedThroughBoth() {
        try (DaxDevice device = image(SIZE)) {
            long f = ino(device, "/f");
            long shared = firstDataBlock(new ImageCrafter(device), f);
            long g = crossLink(device, (c, self) -> shared);
            byte[] newContent = TestImages.pattern(CONTENT.length, 33);
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, f));
                assertEio(() -> FsFixture.readAll(fs, g));
                FsFixture.write(fs, f, 0, newContent); // copy-on-write: f lets go of the shared block
                fillUp(fs);
            }
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertArrayEquals(java.util.Arrays.copyOf(CONTENT, 4096), FsFixture.readAll(fs, g),
                        "the block g still uses was handed out again");
                assertArrayEquals(newContent, FsFixture.readAll(fs, f));
            }
            try (DaxDevice again = MemoryDevice.fromImage(MemoryDevice.snapshot(device))) {
                ImageCrafter crafter = new ImageCrafter(again);
                long now = ((WriteEntry) crafter.all(f, WriteEntry.class).getLast().entry()).block();
                crafter.replaceEntry(crafter.first(g, WriteEntry.class).offset(), new WriteEntry(0, now, 1, 4096, 1));
                try (DaxFileSystem fs = FsFixture.mount(again)) {
                    assertEquals(4096, FsFixture.readAll(fs, g).length, "the first owner read is served");
                    assertEio(() -> FsFixture.readAll(fs, f));
                }
            }
        }
    }

    /**
     * A cross-linked block freed by its loaded owner while the clean mount's census runs, before the
     * census reads that owner (its inode number is high, the census goes in inode order): the census
     * then sees the block used once, by the other owner, and the free must not hand it out. After a
     * clean unmount the image is consistent (the block neither leaked nor listed free while the other
     * file uses it) and that file still reads its bytes; so it does after a crash at the same point.
     */
    @Test
    void aCrossLinkedBlockFreedDuringTheCensusIsNotHandedOut() {
        try (DaxDevice device = MemoryDevice.allocate(96L << 20)) {
            DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(32_768));
            long f;
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                long d = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
                for (int i = 0; i < 20_000; i++) {
                    FsFixture.createFile(fs, d, "n" + i);
                }
                f = FsFixture.createFile(fs, fs.rootIno(), "f");
                FsFixture.write(fs, f, 0, CONTENT);
            }
            long shared = firstDataBlock(new ImageCrafter(device), f);
            long[] own = new long[1];
            long g = crossLink(device, (c, self) -> {
                own[0] = firstDataBlock(c, self);
                return shared;
            });
            byte[] crashed;
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                fs.truncate(f, 0);
                fillUp(fs);
                crashed = MemoryDevice.snapshot(device);
            }
            assertOnlyTheCraftedLeak(Checker.check(device), own[0]);
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertArrayEquals(java.util.Arrays.copyOf(CONTENT, 4096), FsFixture.readAll(fs, g),
                        "the block g still uses was handed out again");
            }
            try (DaxDevice again = MemoryDevice.fromImage(crashed)) {
                try (DaxFileSystem fs = FsFixture.mount(again)) {
                    assertArrayEquals(java.util.Arrays.copyOf(CONTENT, 4096), FsFixture.readAll(fs, g),
                            "after a crash: the block g still uses was handed out again");
                }
                CheckReport afterCrash = Checker.check(again);
                assertTrue(afterCrash.errors().isEmpty(), afterCrash.toString());
            }
        }
    }

    /**
     * Nothing wrong but the block the crafting left behind (g's own page, which its WRITE no longer
     * names: a leak the mount does not look for, fsck.daxfs gives it back).
     */
    private static void assertOnlyTheCraftedLeak(CheckReport report, long crafted) {
        assertEquals(1, report.errors().size(), report.toString());
        Problem leak = report.errors().getFirst();
        assertEquals(Kind.BLOCKS_LEAKED, leak.kind(), report.toString());
        assertEquals(crafted, leak.block(), report.toString());
        assertTrue(leak.message().startsWith("1 blocks"), report.toString());
    }

    /**
     * Issue 12 point 10: an xattr value stored out of line whose block is another file's data is
     * never served or freed through both: the later inode to load gets EIO, fsck removes the xattr,
     * and a replaced value's blocks (all its own) come back.
     */
    @Test
    void anXattrValueNamingAnotherFilesBlockIsNeverServedThroughBoth() {
        try (DaxDevice device = image(SIZE)) {
            long f = ino(device, "/f");
            long g;
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                g = FsFixture.createFile(fs, fs.rootIno(), "g");
                fs.setxattr(g, "user.big", TestImages.pattern(9000, 5), 0);
            }
            ImageCrafter crafter = new ImageCrafter(device);
            long shared = firstDataBlock(crafter, f);
            Located ref = crafter.first(g, XattrRef.class);
            XattrRef r = (XattrRef) ref.entry();
            long[] blocks = r.blocks().clone();
            blocks[1] = shared;
            crafter.replaceEntry(ref.offset(), new XattrRef(r.name(), r.length(), blocks, r.timeNs()));
            CheckReport report = Checker.check(device);
            assertTrue(report.has(Kind.XATTR_BLOCK_DOUBLE_REF), report.problems().toString());
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, f));
                long gi = fs.lookup(fs.rootIno(), "g");
                assertEio(() -> fs.getxattr(gi, "user.big"));
            }
            Repairer.Result repaired = Repairer.repair(device);
            assertTrue(repaired.after().clean(), repaired.after().problems().toString());
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, f));
                long gi = fs.lookup(fs.rootIno(), "g");
                assertEquals(Errno.ENODATA, assertThrows(FsException.class, () -> fs.getxattr(gi, "user.big")).errno());
            }
        }
    }

    @Test
    void anXattrValueOutsideTheDataAreaIsDamage() {
        try (DaxDevice device = image(SIZE)) {
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                fs.setxattr(fs.lookup(fs.rootIno(), "f"), "user.big", TestImages.pattern(5000, 5), 0);
            }
            ImageCrafter crafter = new ImageCrafter(device);
            long f = ino(device, "/f");
            Located ref = crafter.first(f, XattrRef.class);
            XattrRef r = (XattrRef) ref.entry();
            crafter.replaceEntry(ref.offset(), new XattrRef(r.name(), r.length(), new long[] {r.blocks()[0], 1},
                    r.timeNs()));
            assertTrue(Checker.check(device).has(Kind.LOG_DAMAGED));
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertEio(() -> fs.getattr(fs.lookup(fs.rootIno(), "f")));
            }
            assertTrue(Repairer.repair(device).after().clean());
        }
    }

    @Test
    void aFileNamingALogPageIsRefused() {
        try (DaxDevice device = image(SIZE)) {
            long g = crossLink(device, (c, self) -> c.logBlocks(Layout.ROOT_INO)[0]);
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertEio(() -> FsFixture.readAll(fs, g));
                assertEquals(4, fs.readdir(fs.rootIno(), 0, 100).size(), "root lists f, d, many, g");
            }
        }
        try (DaxDevice device = image(SIZE)) {
            long g = crossLink(device, (c, self) -> c.logBlocks(self)[0]);
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertEio(() -> FsFixture.readAll(fs, g));
            }
        }
    }

    /**
     * Writes new files until the device is full, then takes the metadata reserve too and scribbles
     * over it before giving it back, so that every block the allocator has is handed out and written.
     */
    private static void fillUp(DaxFileSystem fs) {
        long file = FsFixture.createFile(fs, fs.rootIno(), "fill");
        long end = 0;
        for (int size : new int[] {1 << 20, 1 << 16, 1 << 12}) {
            while (true) {
                try {
                    end += FsFixture.write(fs, file, end, TestImages.pattern(size, (int) end));
                } catch (FsException e) {
                    assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
                    break;
                }
            }
        }
        assertEquals(0, fs.statfs().availableBlocks(), "the device is full");
        BlockAllocator allocator = fs.volume().allocator();
        List<Extent> reserve = allocator.allocate(allocator.freeBlocks(), false, BlockAllocator.Use.RELEASE);
        for (Extent e : reserve) {
            for (long b = e.start(); b < e.end(); b++) {
                fs.volume().device().copyIn(MemorySegment.ofArray(TestImages.pattern(Layout.BLOCK_SIZE, (int) b)),
                        Layout.offsetOf(b));
            }
        }
        fs.volume().device().fence();
        assertEquals(0, fs.statfs().freeBlocks(), "the device is full");
        reserve.forEach(allocator::free);
    }

    // ---- issue #11 point 3: log slots ----

    @Test
    void aSlotClaimedByTwoLogsIsNeverServedToBoth() {
        try (DaxDevice device = image(SIZE)) {
            long f = ino(device, "/f");
            long x = ino(device, "/d/x");
            ImageCrafter crafter = new ImageCrafter(device);
            long xSlot = crafter.logSegments(x)[0];
            assertTrue(LogSegment.isSlot(xSlot));
            crafter.moveSlot(f, LogSegment.block(xSlot), LogSegment.slotIndex(xSlot));
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, f));
                long d = fs.lookup(fs.rootIno(), "d");
                assertEio(() -> FsFixture.readAll(fs, fs.lookup(d, "x")));
            }
            CheckReport r = Checker.check(device);
            assertTrue(r.has(Kind.INODE_LOST), r.toString());
            Repairer.repair(device);
            assertEquals(List.of(), Checker.check(device).problems());
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, f));
            }
        }
    }

    @Test
    void aSlotInsideAnotherFilesDataIsRefused() {
        try (DaxDevice device = image(SIZE)) {
            long f = ino(device, "/f");
            long x = ino(device, "/d/x");
            ImageCrafter crafter = new ImageCrafter(device);
            long dataOfF = ((WriteEntry) crafter.first(f, WriteEntry.class).entry()).block();
            crafter.moveSlot(x, dataOfF, 3);
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertEquals(CONTENT.length, FsFixture.readAll(fs, f).length, "the first owner read is served");
                long d = fs.lookup(fs.rootIno(), "d");
                assertEio(() -> FsFixture.readAll(fs, fs.lookup(d, "x")));
            }
            try (DaxDevice crashed = MemoryDevice.fromImage(MemoryDevice.snapshot(device))) {
                new ImageCrafter(crashed).markDirty();
                CorruptImageException e = assertThrows(CorruptImageException.class, () -> FsFixture.mount(crashed));
                assertTrue(e.getMessage().contains("run fsck.daxfs") && !e.getMessage().contains("\n"),
                        e.getMessage());
            }
            CheckReport r = Checker.check(device);
            assertTrue(r.has(Kind.BLOCK_DOUBLE_REF), r.toString());
            Repairer.repair(device);
            assertEquals(List.of(), Checker.check(device).problems());
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                long d = fs.lookup(fs.rootIno(), "d");
                assertArrayEquals(FsFixture.bytes("x"), FsFixture.readAll(fs, fs.lookup(d, "x")));
                assertEquals(CONTENT.length, FsFixture.readAll(fs, f).length);
            }
        }
    }

    private static void assertEio(org.junit.jupiter.api.function.Executable op) {
        FsException e = assertThrows(FsException.class, op);
        assertEquals(Errno.EIO, e.errno(), e.getMessage());
    }

    // ---- point 2: the saved free list ----

    @Test
    void aFreeListThatListsUsedBlocksHandsNoneOfThemOut() {
        try (DaxDevice device = image(SIZE)) {
            long f = ino(device, "/f");
            ImageCrafter crafter = new ImageCrafter(device);
            List<Extent> lie = crafter.all(f, WriteEntry.class).stream().map(l -> (WriteEntry) l.entry())
                    .map(w -> new Extent(w.block(), w.count())).toList();
            crafter.setFreeList(lie);
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                for (int i = 0; i < 4; i++) {
                    try {
                        FsFixture.write(fs, FsFixture.createFile(fs, fs.rootIno(), "new" + i), 0,
                                TestImages.pattern(CONTENT.length, 50 + i));
                    } catch (FsException e) {
                        assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
                    }
                }
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, f));
            }
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, f));
            }
        }
    }

    // ---- point 3: link counts against names ----

    @Test
    void aLinkCountBelowTheNamesNeverDeletesTheFile() {
        for (boolean crashed : new boolean[] {false, true}) {
            try (DaxDevice device = image(SIZE)) {
                long f = ino(device, "/f");
                try (DaxFileSystem fs = FsFixture.mount(device)) {
                    fs.link(f, fs.rootIno(), "f2");
                    fs.link(f, fs.lookup(fs.rootIno(), "d"), "f3");
                }
                setLinks(device, f, 1);
                if (crashed) {
                    new ImageCrafter(device).markDirty();
                }
                try (DaxFileSystem fs = FsFixture.mount(device)) {
                    assertEio(() -> fs.unlink(fs.rootIno(), "f"));
                    assertArrayEquals(CONTENT, FsFixture.readAll(fs, fs.lookup(fs.rootIno(), "f2")), "crashed " + crashed);
                }
                try (DaxFileSystem fs = FsFixture.mount(device)) {
                    assertArrayEquals(CONTENT, FsFixture.readAll(fs, fs.lookup(fs.lookup(fs.rootIno(), "d"), "f3")));
                }
            }
        }
    }

    // ---- point 8: duplicate directory cookies ----

    @Test
    void aDuplicateCookieHidesNoNameAndDeletesNothing() {
        try (DaxDevice device = image(SIZE)) {
            long f = ino(device, "/f");
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                fs.link(f, fs.rootIno(), "h");
            }
            ImageCrafter crafter = new ImageCrafter(device);
            List<Located> adds = crafter.all(Layout.ROOT_INO, DentryAdd.class);
            DentryAdd first = (DentryAdd) adds.stream().filter(l -> ((DentryAdd) l.entry()).name().toString().equals("f"))
                    .findFirst().orElseThrow().entry();
            Located h = adds.stream().filter(l -> ((DentryAdd) l.entry()).name().toString().equals("h")).findFirst().orElseThrow();
            DentryAdd e = (DentryAdd) h.entry();
            crafter.replaceEntry(h.offset(), new DentryAdd(Name.of("h"), e.ino(), e.kindBits(), first.cookie(), e.timeNs()));
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                List<String> names = fs.readdir(fs.rootIno(), 0, 100).stream().map(d -> d.name().toString()).toList();
                assertTrue(names.contains("f") && names.contains("h"), names.toString());
            }
            CheckReport report = Checker.check(device);
            assertTrue(report.has(Kind.DENTRY_COOKIE_DUP), report.problems().toString());
            assertFalse(report.has(Kind.LINK_COUNT), report.problems().toString());
            Repairer.Result repaired = Repairer.repair(device);
            assertTrue(repaired.after().clean(), repaired.after().problems().toString());
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                fs.unlink(fs.rootIno(), "f");
                assertArrayEquals(CONTENT, FsFixture.readAll(fs, fs.lookup(fs.rootIno(), "h")));
            }
            assertTrue(Checker.check(device).clean(), Checker.check(device).problems().toString());
        }
    }

    // ---- point 9: one bad name ----

    @Test
    void oneBadNameHidesOnlyThatEntry() {
        try (DaxDevice device = MemoryDevice.allocate(SIZE)) {
            DaxFileSystem.format(device, FormatOptions.defaults());
            long dir;
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                dir = fs.mkdir(fs.rootIno(), "dir", 0755, 0, 0).ino();
                for (String name : List.of("aa", "bb", "cc", "dd")) {
                    FsFixture.createFile(fs, dir, name);
                }
            }
            ImageCrafter crafter = new ImageCrafter(device);
            for (Located l : crafter.all(dir, DentryAdd.class)) {
                DentryAdd e = (DentryAdd) l.entry();
                String bad = switch (e.name().toString()) {
                    case "bb" -> "b/";
                    case "cc" -> "";
                    default -> e.name().toString();
                };
                crafter.replaceEntry(l.offset(), new DentryAdd(Name.of(bad), e.ino(), e.kindBits(), e.cookie(), e.timeNs()));
            }
            try (DaxFileSystem fs = FsFixture.mount(device)) {
                List<String> names = fs.readdir(dir, 0, 100).stream().map(d -> d.name().toString()).toList();
                assertEquals(List.of("aa", "dd"), names);
                assertEquals(List.of("dd"), fs.readdir(dir, fs.readdir(dir, 0, 1).getFirst().cookie(), 100).stream()
                        .map(d -> d.name().toString()).toList());
            }
            CheckReport report = Checker.check(device);
            assertEquals(2, report.problems().stream().filter(p -> p.kind() == Kind.DENTRY_BAD_NAME).count(),
                    report.problems().toString());
        }
    }
}
