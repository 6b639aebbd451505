package io.daxfs.core.check;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FileKind;
import io.daxfs.core.MountOptions;
import io.daxfs.core.check.Problem.Kind;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.OrphanTable;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogPage;
import io.daxfs.core.log.LogSegment;
import io.daxfs.core.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CheckerTest {
    private static byte[] image;

    @BeforeAll
    static void build() {
        image = TestImages.populated();
    }

    private static DaxDevice device() {
        return MemoryDevice.fromImage(image);
    }

    @Test
    void populatedImageIsCleanWithRightStatistics() {
        try (DaxDevice d = device()) {
            CheckReport r = Checker.check(d);
            assertEquals(List.of(), r.problems());
            CheckReport.Stats s = r.stats();
            assertEquals(7, s.files(), s.toString()); // a.txt b.bin c.txt empty holey many e
            assertEquals(4, s.directories());
            assertEquals(1, s.symlinks());
            assertEquals(1, s.other());
            // 13 logs in slots of 2 packed pages; /many's continues in 3 pages
            assertEquals(5, s.logBlocks(), s.toString());
            assertEquals(s.totalDataBlocks(), s.usedBlocks() + s.freeBlocks());
            assertArrayEquals(image, MemoryDevice.snapshot(d), "the checker wrote to the device");
        }
    }

    @Test
    void freshlyFormattedImageIsClean() {
        try (DaxDevice d = io.daxfs.core.FsFixture.formattedDevice(1 << 20)) {
            CheckReport r = Checker.check(d);
            assertEquals(List.of(), r.problems());
            assertEquals(1, r.stats().directories());
        }
    }

    @Test
    void zeroedDeviceIsFatal() {
        try (DaxDevice d = MemoryDevice.allocate(1 << 20)) {
            CheckReport r = Checker.check(d);
            assertTrue(r.fatal());
            assertTrue(r.has(Kind.SUPERBLOCK_UNUSABLE));
        }
    }

    @Test
    void danglingDentryIsDroppedAndImageRepairs() {
        try (DaxDevice d = device()) {
            try (DaxFileSystem fs = DaxFileSystem.mount(d, MountOptions.defaults())) {
                Volume v = fs.volume();
                var root = v.inode(1);
                v.begin().append(root, new DentryAdd(io.daxfs.core.Name.of("ghost"), 99, FileKind.REGULAR.typeBits(),
                        root.directory().nextCookie(), 1)).commit();
            }
            CheckReport r = Checker.check(d);
            assertEquals(1, r.errors().size(), r.toString());
            assertTrue(r.has(Kind.DENTRY_TO_FREE_INODE));
            Repairer.Result res = Repairer.repair(d);
            assertTrue(res.errorsCorrected(), res.toString());
            assertEquals(List.of(), Checker.check(d).problems());
            assertEquals(List.of(), TestImages.verify(d, Set.of()));
        }
    }

    @Test
    void crashImageWithOrphanAndActiveJournalIsOnlyNoticed() {
        try (DaxDevice d = device()) {
            long a = TestImages.inodeOf(d, "/empty");
            try (DaxFileSystem fs = DaxFileSystem.mount(d, MountOptions.defaults())) {
                fs.open(a);
                fs.unlink(1, "empty");
                // "crash": take the image while the orphan is open
                byte[] crashed = MemoryDevice.snapshot(d);
                try (DaxDevice c = MemoryDevice.fromImage(crashed)) {
                    CheckReport r = Checker.check(c);
                    assertTrue(r.clean(), r.toString());
                    assertTrue(r.has(Kind.ORPHAN_PENDING), r.toString());
                    assertTrue(r.has(Kind.NOT_CLEAN), r.toString());
                    Repairer.Result res = Repairer.repair(c);
                    assertTrue(res.modified());
                    assertEquals(List.of(), res.after().problems());
                    assertEquals(List.of(), TestImages.verify(c, Set.of("/empty")));
                }
                fs.release(a);
            }
        }
    }

    @Test
    void orphanSlotOnCleanImageIsAnError() {
        try (DaxDevice d = device()) {
            long many = TestImages.inodeOf(d, "/many");
            d.storeRelease(OrphanTable.slotOffset(7), many);
            CheckReport r = Checker.check(d);
            assertTrue(r.has(Kind.ORPHAN_SLOT_BAD), r.toString());
            Repairer.repair(d);
            assertEquals(List.of(), Checker.check(d).problems());
            assertEquals(List.of(), TestImages.verify(d, Set.of()));
        }
    }

    @Test
    void cycleInLogIsCutAndRootLossIsRebuilt() {
        try (DaxDevice d = device()) {
            long many = TestImages.inodeOf(d, "/many");
            long[] pages = TestImages.logSegments(d, many);
            assertTrue(pages.length >= 3);
            d.storeRelease(LogSegment.offset(pages[2]) + LogPage.NEXT_OFFSET, pages[1]);
            CheckReport r = Checker.check(d);
            assertTrue(r.has(Kind.LOG_DAMAGED), r.toString());
            Repairer.repair(d);
            assertEquals(List.of(), Checker.check(d).problems());
            assertEquals(List.of(), TestImages.verify(d, Set.of("/many")));
        }
        try (DaxDevice d = device()) {
            // destroy the root's head page: everything ends up in /lost+found
            long[] pages = TestImages.logSegments(d, 1);
            d.zero(LogSegment.offset(pages[0]), 8);
            d.fence();
            Repairer.Result res = Repairer.repair(d);
            assertTrue(res.before().has(Kind.INODE_LOST), res.before().toString());
            assertEquals(List.of(), res.after().problems(), res.actions().toString());
            try (DaxFileSystem fs = DaxFileSystem.mount(d, MountOptions.defaults())) {
                long lf = fs.lookup(1, "lost+found");
                assertTrue(fs.readdir(lf, 0, 100).size() >= 5);
                TestImages.readEverything(fs);
            }
        }
    }

    @Test
    void wrongLinkCountIsFixed() {
        try (DaxDevice d = device()) {
            try (DaxFileSystem fs = DaxFileSystem.mount(d, MountOptions.defaults())) {
                Volume v = fs.volume();
                var a = v.inode(TestImages.resolve(fs, "/a.txt"));
                InodeEntry e = a.snapshotEntry();
                v.begin().append(a, new InodeEntry(e.mode(), e.uid(), e.gid(), e.flags(), 5, e.rdev(), e.size(),
                        e.atime(), e.mtime(), e.ctime(), e.btime(), e.parent(), e.nextCookie())).commit();
            }
            CheckReport r = Checker.check(d);
            assertEquals(1, r.errors().size(), r.toString());
            assertTrue(r.has(Kind.LINK_COUNT));
            Repairer.repair(d);
            assertEquals(List.of(), Checker.check(d).problems());
            assertEquals(List.of(), TestImages.verify(d, Set.of()));
        }
    }

    @Test
    void backupSuperblockIsRestored() {
        try (DaxDevice d = device()) {
            Superblock sb = Superblock.read(d);
            long backup = Layout.offsetOf(sb.totalBlocks() - 1);
            d.write(MemorySegment.ofArray(new byte[] {1, 2, 3}), backup + 24); // the block count: damage, not a tear
            d.flush(backup, 64);
            d.fence();
            CheckReport r = Checker.check(d);
            assertTrue(r.has(Kind.SUPERBLOCK_BACKUP_BAD), r.toString());
            Repairer.Result res = Repairer.repair(d, Repairer.Mode.PREEN, Checker.Listener.NONE, l -> { });
            assertTrue(res.errorsCorrected());
            assertEquals(List.of(), Checker.check(d).problems());
        }
    }

    @Test
    void superblockCopyTornByACrashIsANoticeThatMountAndRepairRewrite() {
        try (DaxDevice d = device()) {
            Superblock sb = Superblock.read(d);
            long backup = Layout.offsetOf(sb.totalBlocks() - 1);
            try (DaxDevice newer = MemoryDevice.allocate(d.size())) {
                sb.withState(Superblock.State.DIRTY, Superblock.FreeList.NONE, 99, true).writeBoth(newer);
                // one cache line of the update reached the media, the others did not
                d.copyIn(newer.directAccess(backup + 128, 64), backup + 128);
                d.fence();
            }
            CheckReport r = Checker.check(d);
            assertTrue(r.has(Kind.SUPERBLOCK_TORN), r.toString());
            assertTrue(r.clean(), "a torn copy is a crash leftover, not an error: " + r);
            DaxFileSystem.mount(d, MountOptions.defaults()).close();
            assertEquals(List.of(), Checker.check(d).problems(), "mount rewrote the torn copy");
        }
    }

    @Test
    void invalidUtf8LabelWithGoodChecksumIsDamageNotACrash() {
        try (DaxDevice d = device()) {
            byte[] sb = d.directAccess(0, 512).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            java.util.Arrays.fill(sb, 56, 56 + 63, (byte) 0xff);
            MemorySegment seg = MemorySegment.ofArray(sb);
            int crc = io.daxfs.core.format.Checksums.crc32c(seg, 0, 508);
            seg.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 508, crc);
            d.write(seg, 0);
            d.flush(0, 512);
            d.fence();
            CheckReport r = Checker.check(d);
            assertTrue(r.has(Kind.SUPERBLOCK_PRIMARY_BAD), r.toString());
            DaxFileSystem.mount(d, MountOptions.defaults().withReadOnly(true)).close(); // falls back to the backup
            Repairer.repair(d);
            assertEquals(List.of(), Checker.check(d).problems());
        }
    }
}
