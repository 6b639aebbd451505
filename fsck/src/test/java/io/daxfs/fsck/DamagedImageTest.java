package io.daxfs.fsck;

import static io.daxfs.fsck.FsckRunner.fsck;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FileKind;
import io.daxfs.core.MountOptions;
import io.daxfs.core.check.TestImages;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.log.LogPage;
import io.daxfs.core.log.LogSegment;
import io.daxfs.core.volume.Volume;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #6 point 3: for each kind of damage, {@code fsck -n} reports it in one clear line and
 * exits 4 without changing a byte; {@code fsck -y} repairs it and exits 1; a second fsck exits 0;
 * the filesystem then mounts and every object but the damaged one reads back intact.
 */
class DamagedImageTest {
    private static final byte[] IMAGE = TestImages.populated();

    @TempDir
    Path tmp;

    /** Applies {@code damage} to a copy of the populated image, runs the whole fsck sequence. */
    private void damaged(String name, Consumer<DaxDevice> damage, String firstErrorRegex, Set<String> lost)
            throws IOException {
        byte[] bytes;
        try (DaxDevice d = MemoryDevice.fromImage(IMAGE)) {
            damage.accept(d);
            bytes = MemoryDevice.snapshot(d);
        }
        Path file = tmp.resolve(name + ".img");
        Files.write(file, bytes);

        FsckRunner check = fsck("-fn", file.toString());
        assertEquals(FsckMain.UNCORRECTED, check.code(), check.toString());
        List<String> errors = check.errorLines();
        assertFalse(errors.isEmpty(), check.toString());
        assertTrue(Pattern.compile(firstErrorRegex).matcher(errors.getFirst()).find(),
                "first error line should match /" + firstErrorRegex + "/:\n" + check);
        assertArrayEquals(bytes, Files.readAllBytes(file), "fsck -n changed the image");

        FsckRunner repair = fsck("-fy", file.toString());
        assertEquals(FsckMain.CORRECTED, repair.code(), repair.toString());
        assertTrue(repair.out().contains("REPAIRED: "), repair.toString());

        FsckRunner again = fsck("-fn", file.toString());
        assertEquals(FsckMain.OK, again.code(), again.toString());
        assertEquals(List.of(), again.errorLines());
        FsckRunner quick = fsck(file.toString());
        assertEquals(FsckMain.OK, quick.code(), quick.toString());
        assertTrue(quick.out().contains("clean"), quick.toString());

        try (DaxDevice d = MemoryDevice.fromImage(Files.readAllBytes(file))) {
            assertEquals(List.of(), TestImages.verify(d, lost), "objects lost beyond the damaged one");
        }
    }

    private static long ino(DaxDevice d, String path) {
        return TestImages.inodeOf(d, path);
    }

    private static void flipByte(DaxDevice d, long offset) {
        byte b = d.directAccess(offset, 1).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
        d.write(MemorySegment.ofArray(new byte[] {(byte) (b ^ 0x5a)}), offset);
        d.flush(offset, 1);
        d.fence();
    }

    private static void setWord(DaxDevice d, long offset, long value) {
        d.storeRelease(offset, value);
        d.flush(offset, 8);
        d.fence();
    }

    /** Appends entries to an inode's log through the engine's own commit path, then unmounts cleanly. */
    private static void commit(DaxDevice d, String path, java.util.function.Function<Inode, Object> entry) {
        try (DaxFileSystem fs = DaxFileSystem.mount(d, MountOptions.defaults())) {
            Volume v = fs.volume();
            Inode inode = v.inode(resolve(fs, path));
            v.begin().append(inode, (io.daxfs.core.log.LogEntry) entry.apply(inode)).commit();
        }
    }

    private static long resolve(DaxFileSystem fs, String path) {
        long ino = fs.rootIno();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                ino = fs.lookup(ino, part);
            }
        }
        return ino;
    }

    @Test
    void primarySuperblock() throws IOException {
        damaged("primary-sb", d -> flipByte(d, 26), "primary superblock unusable .*checksum", Set.of());
    }

    @Test
    void backupSuperblock() throws IOException {
        damaged("backup-sb", d -> flipByte(d, Layout.offsetOf(Superblock.read(d).totalBlocks() - 1) + 24), // the block count: not a tear
                "backup superblock in block \\d+ unusable", Set.of());
    }

    @Test
    void inodeRecordChecksum() throws IOException {
        damaged("record-crc", d -> flipByte(d, Superblock.read(d).layout().inodeOffset(ino(d, "/dir1/b.bin"))
                + InodeTable.GENERATION + 3), "inode \\d+: record fails its checksum", Set.of());
    }

    @Test
    void inodeRecordHead() throws IOException {
        damaged("record-head", d -> {
            long c = ino(d, "/dir1/sub/c.txt");
            long otherPage = TestImages.logSegments(d, ino(d, "/a.txt"))[0];
            setWord(d, Superblock.read(d).layout().inodeOffset(c) + InodeTable.HEAD, otherPage);
        }, "inode \\d+ is beyond saving: log slot [\\d.]+ belongs to inode", Set.of("/dir1/sub/c.txt"));
    }

    @Test
    void logPageNextPointer() throws IOException {
        damaged("next-pointer", d -> {
            long[] pages = TestImages.logSegments(d, ino(d, "/many"));
            assertTrue(pages.length >= 3);
            setWord(d, LogSegment.offset(pages[1]) + LogPage.NEXT_OFFSET, 3);
        }, "inode \\d+: log page \\d+: next pointer 3 is outside the data area; log will be cut", Set.of("/many"));
    }

    @Test
    void entryChecksum() throws IOException {
        damaged("entry-crc", d -> {
            List<Long> entries = TestImages.entryOffsets(d, ino(d, "/dir1/b.bin"));
            flipByte(d, entries.getLast() + 12);
        }, "inode \\d+: log (page \\d+|slot [\\d.]+): entry at page offset \\d+ fails its checksum", Set.of("/dir1/b.bin"));
    }

    @Test
    void directoryEntryToFreeInode() throws IOException {
        damaged("dentry", d -> commit(d, "/d2", dir -> new DentryAdd(io.daxfs.core.Name.of("ghost"), 200, FileKind.REGULAR.typeBits(),
                dir.directory().nextCookie(), 1)), "directory \\d+: entry 'ghost' points at free inode 200", Set.of());
    }

    @Test
    void linkCount() throws IOException {
        damaged("nlink", d -> commit(d, "/a.txt", f -> {
            InodeEntry e = f.snapshotEntry();
            return new InodeEntry(e.mode(), e.uid(), e.gid(), e.flags(), 7, e.rdev(), e.size(), e.atime(),
                    e.mtime(), e.ctime(), e.btime(), e.parent(), e.nextCookie());
        }), "regular \\d+: link count is 7, but it has 2 names", Set.of());
    }

    @Test
    void blockReferencedTwice() throws IOException {
        damaged("double-ref", d -> {
            long aBlock;
            try (DaxFileSystem fs = DaxFileSystem.mount(d, MountOptions.defaults().withReadOnly(true))) {
                aBlock = fs.volume().inode(resolve(fs, "/a.txt")).extents().find(0).block();
            }
            commit(d, "/dir1/sub/c.txt", f -> new WriteEntry(0, aBlock, 1, f.size(), f.attrs().mtime().toNanosSaturated()));
        }, "inode \\d+: file page 0 uses block \\d+, which is also data of inode \\d+", Set.of("/dir1/sub/c.txt"));
    }

    @Test
    void cycleInLogChain() throws IOException {
        damaged("cycle", d -> {
            long[] pages = TestImages.logSegments(d, ino(d, "/many"));
            assertTrue(pages.length >= 4, "the log of /many should span a slot and three pages");
            setWord(d, LogSegment.offset(pages[2]) + LogPage.NEXT_OFFSET, pages[1]);
        }, "inode \\d+: log page \\d+: next pointer \\d+ loops back into the chain \\(a cycle\\)", Set.of("/many"));
    }

    @Test
    void mountRefusesDamageItCannotHandleAndNamesFsck() {
        try (DaxDevice d = MemoryDevice.fromImage(IMAGE)) {
            List<Long> entries = TestImages.entryOffsets(d, ino(d, "/dir1/b.bin"));
            flipByte(d, entries.getLast() + 12);
            Superblock sb = Superblock.read(d);
            sb.withState(Superblock.State.DIRTY, Superblock.FreeList.NONE, 1, true).writeBoth(d);
            CorruptImageException e = assertThrows(CorruptImageException.class,
                    () -> DaxFileSystem.mount(d, MountOptions.defaults()));
            assertTrue(e.getMessage().contains("fsck.daxfs"), e.getMessage());
        }
        try (DaxDevice d = MemoryDevice.fromImage(IMAGE)) {
            Superblock sb = Superblock.read(d);
            sb.withState(Superblock.State.DIRTY, Superblock.FreeList.NONE, 1, true).writeBoth(d);
            setWord(d, Layout.offsetOf(Layout.JOURNAL_BLOCK), 0x1234);
            CorruptImageException e = assertThrows(CorruptImageException.class,
                    () -> DaxFileSystem.mount(d, MountOptions.defaults()));
            assertTrue(e.getMessage().contains("fsck.daxfs"), e.getMessage());
        }
    }
}
