package io.daxfs.fsck;

import static io.daxfs.fsck.FsckRunner.fsck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.balloc.Extent;
import io.daxfs.core.check.ImageCrafter;
import io.daxfs.core.check.TestImages;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.check.ImageCrafter.Located;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #13: images that lie with every checksum valid, through the command line. {@code -n}
 * reports the lie and exits 4, {@code -fy} repairs it and exits 1 (errors corrected), and a
 * further {@code -f} exits 0. A cleanly unmounted image that lies (free list, orphan slot, link
 * count, duplicate cookie) passes the quick check, as
 * docs/FSCK.md says: only {@code -f} looks.
 */
class CraftedImageFsckTest {
    private static final byte[] IMAGE = TestImages.populated();

    @TempDir
    Path tmp;

    private Path crafted(String name, Consumer<ImageCrafter> craft) throws IOException {
        try (DaxDevice d = MemoryDevice.fromImage(IMAGE)) {
            craft.accept(new ImageCrafter(d));
            Path file = tmp.resolve(name + ".img");
            Files.write(file, MemoryDevice.snapshot(d));
            return file;
        }
    }

    private static long ino(String path) {
        try (DaxDevice d = MemoryDevice.fromImage(IMAGE)) {
            return TestImages.inodeOf(d, path);
        }
    }

    @Test
    void aJournalRecordOnAGenerationIsAnErrorThatRepairExitsOneFor() throws IOException {
        long a = ino("/a.txt");
        Path file = crafted("journal", c -> {
            long word = c.layout().inodeOffset(a) + InodeTable.GENERATION;
            c.markDirty();
            c.setJournal(5, new long[] {word}, new long[] {c.device().getLong(word) + 1});
        });
        FsckRunner check = fsck("-n", file.toString());
        assertEquals(4, check.code(), check.toString());
        assertTrue(check.errorLines().getFirst().contains("journal lane 5 record 0 points at byte"), check.toString());
        FsckRunner repair = fsck("-fy", file.toString());
        assertEquals(1, repair.code(), repair.toString());
        FsckRunner again = fsck("-f", file.toString());
        assertEquals(0, again.code(), again.toString());
    }

    @Test
    void aCleanImageWhoseFreeListLiesPassesOnlyTheQuickCheck() throws IOException {
        long a = ino("/a.txt");
        assertOnlyFullCheckFinds("freelist", "both in use and in the saved free list", c -> {
            WriteEntry w = (WriteEntry) c.first(a, WriteEntry.class).entry();
            c.setFreeList(new ArrayList<>(List.of(new Extent(w.block(), w.count()))));
        });
    }

    @Test
    void aCleanImageWhoseOrphanSlotLiesPassesOnlyTheQuickCheck() throws IOException {
        long a = ino("/a.txt");
        assertOnlyFullCheckFinds("orphan", "orphan slot 3", c -> c.setOrphan(3, a));
    }

    @Test
    void aCleanImageWhoseLinkCountLiesPassesOnlyTheQuickCheck() throws IOException {
        long a = ino("/a.txt");
        assertOnlyFullCheckFinds("nlink", "link count is 7, but it has 2 names", c -> {
            for (Located l : c.all(a, InodeEntry.class)) {
                InodeEntry e = (InodeEntry) l.entry();
                c.replaceEntry(l.offset(), new InodeEntry(e.mode(), e.uid(), e.gid(), e.flags(), 7, e.rdev(),
                        e.size(), e.atime(), e.mtime(), e.ctime(), e.btime(), e.parent(), e.nextCookie()));
            }
        });
    }

    @Test
    void aCleanImageWithADuplicateCookiePassesOnlyTheQuickCheck() throws IOException {
        long dir1 = ino("/dir1");
        assertOnlyFullCheckFinds("cookie", "was added with the cookie of another entry", c -> {
            List<Located> adds = c.all(dir1, DentryAdd.class);
            DentryAdd source = (DentryAdd) adds.getFirst().entry();
            Located victim = adds.get(1);
            DentryAdd e = (DentryAdd) victim.entry();
            c.replaceEntry(victim.offset(), new DentryAdd(e.name(), e.ino(), e.kindBits(), source.cookie(), e.timeNs()));
        });
    }

    /**
     * A clean image that lies passes the quick check (docs/FSCK.md: only {@code -f} looks);
     * {@code -fn} reports the lie ({@code finding}) and exits 4, {@code -fy} repairs it and exits 1
     * (errors corrected), and a further {@code -f} exits 0.
     */
    private void assertOnlyFullCheckFinds(String name, String finding, Consumer<ImageCrafter> craft)
            throws IOException {
        Path file = crafted(name, craft);
        FsckRunner quick = fsck(file.toString());
        assertEquals(0, quick.code(), "the quick check trusts a clean image, as documented: " + quick);
        FsckRunner full = fsck("-fn", file.toString());
        assertEquals(4, full.code(), full.toString());
        assertTrue(full.out().contains(finding), full.toString());
        FsckRunner repair = fsck("-fy", file.toString());
        assertEquals(1, repair.code(), repair.toString());
        assertTrue(repair.out().contains("REPAIRED:"), repair.toString());
        FsckRunner again = fsck("-f", file.toString());
        assertEquals(0, again.code(), again.toString());
    }
}
