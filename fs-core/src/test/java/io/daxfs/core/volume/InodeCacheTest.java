package io.daxfs.core.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Attributes;
import io.daxfs.core.DirEntry;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.dax.DaxMapping;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.Inode;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bound on DRAM inodes (issue 11 point 4, {@link InodeCache}): a large tree walked twice with a
 * small {@code index_cache} gives the same names, sizes, contents, xattrs and readdir cookies while
 * every inode is dropped and loaded again from its log, and the heap it keeps stays bounded; an
 * inode whose state is not in its log (open, orphan) is never dropped.
 *
 * <p>Scale: {@code daxfs.bigtree.files} files (default 100,000; the issue asks 1M, which needs a
 * 5 GiB device) in directories of 1000.
 */
class InodeCacheTest {
    private static final int FILES = Integer.getInteger("daxfs.bigtree.files", 100_000);
    private static final int PER_DIR = 1000;
    private static final long BOUND = 1 << 20;
    private static final int BATCH = 100;

    @Test
    void aLargeTreeWalkedTwiceWithASmallBoundGivesTheSameResults() throws Exception {
        int dirs = (FILES + PER_DIR - 1) / PER_DIR;
        long size = (long) FILES * 4096 * 5 / 4 + (long) dirs * 64 * 4096 + (64L << 20);
        try (DaxDevice device = MemoryDevice.allocate(size)) {
            DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(FILES + dirs + 4096L));
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
                populate(fs, dirs);
            }
            MountOptions bounded = MountOptions.defaults().withIndexCacheBytes(BOUND)
                    .withAtime(MountOptions.Atime.NOATIME);
            try (DaxFileSystem fs = DaxFileSystem.mount(device, bounded)) {
                long before = heapUsed();
                Walk first = walk(fs, dirs);
                long afterFirst = heapUsed();
                long firstLoads = fs.volume().inodeLoads();
                Walk second = walk(fs, dirs);
                long afterSecond = heapUsed();
                long loads = fs.volume().inodeLoads();

                assertEquals(FILES, first.files, "files seen");
                assertEquals(first.digest, second.digest, "the second walk sees the same tree");
                assertEquals(first.cookies, second.cookies, "readdir cookies are stable across reloads");
                assertTrue(firstLoads >= FILES, "every inode was loaded: " + firstLoads + " loads");
                assertTrue(loads - firstLoads >= FILES * 9L / 10, "all but what the bound holds were dropped and "
                        + "loaded again: " + (loads - firstLoads) + " loads in the second walk");
                long retained = Math.max(afterFirst, afterSecond) - before;
                System.out.printf("bounded walk of %d files: %d inode loads, heap kept %.1f MiB (%.0f B/file), "
                        + "cache holds %d KiB%n", FILES, loads, retained / 1048576.0, retained / (double) FILES,
                        fs.volume().indexCacheBytes() >> 10);
                assertTrue(retained < 16L << 20, "heap kept after walking " + FILES + " files with a bound of "
                        + BOUND + " bytes: " + retained + " bytes");
                assertTrue(fs.volume().indexCacheBytes() <= BOUND, "the cache holds " + fs.volume().indexCacheBytes());

                resumedListingsSeeTheSameNames(fs, first);
            }
        }
    }

    /** telldir/seekdir: a listing resumed at a cookie from the first walk, after its directory was reloaded. */
    private static void resumedListingsSeeTheSameNames(DaxFileSystem fs, Walk first) {
        System.gc();
        long dir = fs.lookup(fs.rootIno(), "d0");
        long cookie = first.cookies.get(PER_DIR / 2 - 1);
        List<DirEntry> rest = fs.readdir(dir, cookie, Integer.MAX_VALUE);
        assertEquals(first.cookies.subList(PER_DIR / 2, Math.min(PER_DIR, FILES)),
                rest.stream().map(DirEntry::cookie).toList());
    }

    @Test
    void anOpenUnlinkedFileStaysInDramAndIsDeletedAtItsLastClose() {
        try (DaxDevice device = MemoryDevice.allocate(8L << 20)) {
            DaxFileSystem.format(device, FormatOptions.defaults());
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults().withIndexCacheBytes(0))) {
                long freeInodes = fs.statfs().freeInodes();
                long f = fs.create(fs.rootIno(), "f", 0100644, 0, 0, 0).ino();
                fs.write(f, 0, MemorySegment.ofArray("kept".getBytes(StandardCharsets.UTF_8)));
                fs.open(f);
                fs.unlink(fs.rootIno(), "f");
                System.gc();
                byte[] back = new byte[4];
                assertEquals(4, fs.read(f, 0, MemorySegment.ofArray(back)), "an open orphan is readable");
                assertArrayEquals("kept".getBytes(StandardCharsets.UTF_8), back);
                assertEquals(1, fs.volume().residentInodes().size(), "the open orphan is held resident");
                fs.release(f);
                assertEquals(0, fs.volume().residentInodes().size());
                assertEquals(freeInodes, fs.statfs().freeInodes(), "the orphan was deleted at its last close");
            }
        }
    }

    /** Dirty pages (writeback=fsync, or a closed writable mapping) hold an inode until fsync or syncfs. */
    @Test
    void dirtyInodesStayInDramUntilTheyAreFlushed() {
        try (DaxDevice device = MemoryDevice.allocate(8L << 20)) {
            DaxFileSystem.format(device, FormatOptions.defaults());
            MountOptions options = MountOptions.defaults().withIndexCacheBytes(0)
                    .withWriteback(MountOptions.Writeback.FSYNC);
            try (DaxFileSystem fs = DaxFileSystem.mount(device, options)) {
                long f = fs.create(fs.rootIno(), "f", 0100644, 0, 0, 0).ino();
                long g = fs.create(fs.rootIno(), "g", 0100644, 0, 0, 0).ino();
                fs.write(f, 0, MemorySegment.ofArray(new byte[8192]));
                fs.write(f, 0, MemorySegment.ofArray(new byte[8192])); // in place: cached stores, dirty
                try (DaxMapping m = fs.map(g, 0, 4096, DaxMapping.Mode.READ_WRITE)) {
                    m.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 7);
                }
                System.gc();
                assertEquals(java.util.Set.of(f, g),
                        fs.volume().residentInodes().stream().map(Inode::ino).collect(java.util.stream.Collectors.toSet()),
                        "dirty inodes are held");
                assertEquals(3 * 4096, fs.stats().dirtyBytes(), "their dirty pages are still known");
                fs.fsync(f, false);
                assertEquals(List.of(g), fs.volume().residentInodes().stream().map(Inode::ino).toList());
                fs.syncfs();
                assertEquals(List.of(), fs.volume().residentInodes(), "syncfs lets go of what it flushed");
            }
        }
    }

    @Test
    void anInodeSomeoneHoldsIsTheOnlyCopyEvenWithNoBound() {
        try (DaxDevice device = MemoryDevice.allocate(8L << 20)) {
            DaxFileSystem.format(device, FormatOptions.defaults());
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults().withIndexCacheBytes(0))) {
                long f = fs.create(fs.rootIno(), "f", 0100644, 0, 0, 0).ino();
                Inode held = fs.volume().inode(f);
                System.gc();
                fs.write(f, 0, MemorySegment.ofArray(new byte[100]));
                assertSame(held, fs.volume().inode(f), "a held inode is never loaded a second time");
                assertEquals(100, held.size(), "the write went to the held copy");
                long loads = fs.volume().inodeLoads();
                held = null;
                System.gc();
                assertEquals(100, fs.getattr(f).size());
                assertEquals(loads + 1, fs.volume().inodeLoads(), "dropped once nobody held it, then loaded again");
            }
        }
    }

    // ---- the tree ----

    private static void populate(DaxFileSystem fs, int dirs) {
        for (int d = 0; d < dirs; d++) {
            long dir = fs.mkdir(fs.rootIno(), "d" + d, 0755, 0, 0).ino();
            for (int i = d * PER_DIR; i < Math.min(FILES, (d + 1) * PER_DIR); i++) {
                long f = fs.create(dir, "f" + i, 0100644, i % 7, 0, 0).ino();
                if (i % 4 == 0) {
                    fs.write(f, 0, MemorySegment.ofArray(("content of file " + i).getBytes(StandardCharsets.UTF_8)));
                } else {
                    fs.truncate(f, i % 5000);
                }
                if (i % 10 == 0) {
                    fs.setxattr(f, "user.n", Integer.toString(i).getBytes(StandardCharsets.UTF_8), 0);
                }
                if (i % 100 == 0 && i > d * PER_DIR) {
                    fs.unlink(dir, "f" + (i - 1)); // a hole in the cookies
                    fs.create(dir, "f" + (i - 1), 0100600, 0, 0, 0);
                }
            }
        }
    }

    /** What a walk saw: a digest over every name, attribute, content and xattr, and d0's cookies. */
    private record Walk(String digest, List<Long> cookies, long files) {}

    private static Walk walk(DaxFileSystem fs, int dirs) throws Exception {
        MessageDigest all = MessageDigest.getInstance("SHA-256");
        List<Long> cookies = new ArrayList<>();
        long files = 0;
        byte[] buffer = new byte[8192];
        for (int d = 0; d < dirs; d++) {
            long dir = fs.lookup(fs.rootIno(), "d" + d);
            long after = 0;
            for (List<DirEntry> batch; !(batch = fs.readdir(dir, after, BATCH)).isEmpty(); ) {
                for (DirEntry e : batch) {
                    after = e.cookie();
                    if (d == 0) {
                        cookies.add(e.cookie());
                    }
                    assertEquals(e.ino(), fs.lookup(dir, e.name()));
                    Attributes a = fs.getattr(e.ino());
                    long n = fs.read(e.ino(), 0, MemorySegment.ofArray(buffer));
                    byte[] xattr = fs.listxattr(e.ino()).isEmpty() ? new byte[0] : fs.getxattr(e.ino(), "user.n");
                    all.update((e.name() + " " + e.ino() + " " + e.cookie() + " " + a.mode() + " " + a.uid() + " "
                            + a.size() + " " + a.blocks() + " " + a.nlink() + " " + a.mtime() + " "
                            + HexFormat.of().formatHex(xattr) + "\n").getBytes(StandardCharsets.UTF_8));
                    all.update(buffer, 0, (int) n);
                    files++;
                }
            }
        }
        return new Walk(HexFormat.of().formatHex(all.digest()), cookies, files);
    }

    private static long heapUsed() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
