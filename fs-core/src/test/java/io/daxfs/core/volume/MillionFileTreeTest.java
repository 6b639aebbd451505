package io.daxfs.core.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Attributes;
import io.daxfs.core.DirEntry;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.StatFs;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A million files walked twice with a small {@code index_cache} bound (issue 11 point 4,
 * {@link InodeCache}): 1,000,000 files in 1000 directories, cleanly unmounted, mounted again with
 * a 1 MiB bound and walked twice (readdir, lookup, stat, the first bytes, xattrs of every file).
 * Both walks must see exactly the tree that was made (names, modes, owners, sizes, contents,
 * xattrs, from the generator that made it) and the same inode numbers, readdir cookies, link counts
 * and times; the bound must have been effective: the cache never weighs more than the bound, it let
 * go of nearly every inode in each walk, and after a garbage collection the second walk loaded
 * nearly every inode again from its log. A listing resumed at a cookie of the first walk (telldir)
 * sees the same names.
 *
 * <p>Engine level ({@link DaxFileSystem} on an in-memory device, no FUSE): a million creates
 * through FUSE would take far longer than the point needs. Most files are empty or sparse (a
 * size, no blocks: the log starts in a 512-byte slot), one in 16 holds a few bytes (one data
 * block), so the device is about 1 GiB. About a minute or two on two cores.
 * {@code -Ddaxfs.milliontree.files=N} runs it on fewer files (directories of 1000).
 */
class MillionFileTreeTest {
    private static final int FILES = Integer.getInteger("daxfs.milliontree.files", 1_000_000);
    private static final int PER_DIR = 1000;
    private static final int DIRS = (FILES + PER_DIR - 1) / PER_DIR;
    private static final long BOUND = 1 << 20;
    private static final int BATCH = 256;
    private static final int HEAD = 64;

    @Test
    void aMillionFileTreeWalkedTwiceWithASmallBoundGivesTheSameResults() throws Exception {
        long size = (long) FILES * 1024 + (long) DIRS * 64 * 4096 + (128L << 20);
        MountOptions bounded = MountOptions.defaults().withIndexCacheBytes(BOUND)
                .withAtime(MountOptions.Atime.NOATIME);
        try (DaxDevice device = MemoryDevice.allocate(size)) {
            DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(FILES + DIRS + 4096L));
            long start = System.nanoTime();
            try (DaxFileSystem fs = DaxFileSystem.mount(device, bounded)) {
                populate(fs);
                StatFs statfs = fs.statfs();
                System.out.printf("%d files made in %.1f s, %d of %d blocks used%n", FILES,
                        (System.nanoTime() - start) / 1e9, statfs.totalBlocks() - statfs.freeBlocks(),
                        statfs.totalBlocks());
            }
            try (DaxFileSystem fs = DaxFileSystem.mount(device, bounded)) {
                Volume volume = fs.volume();
                start = System.nanoTime();
                Walk first = walk(fs);
                long firstNanos = System.nanoTime() - start;
                // the most inodes the bound can hold: each weighs at least what an empty file does
                long held = BOUND / volume.inode(fs.lookup(fs.lookup(fs.rootIno(), "d0"), "f50")).memoryBytes() + 1;
                long firstLoads = volume.inodeLoads();
                long firstEvictions = volume.inodeEvictions();
                assertTrue(volume.indexCacheBytes() <= BOUND, "the cache weighs " + volume.indexCacheBytes());
                System.gc(); // a full collection: every inode the bound let go of and nobody holds is dropped
                start = System.nanoTime();
                Walk second = walk(fs);
                long secondNanos = System.nanoTime() - start;
                long reloads = volume.inodeLoads() - firstLoads;
                long evictions = volume.inodeEvictions() - firstEvictions;

                assertEquals(first.digest, second.digest, "the second walk sees the same tree");
                assertTrue(firstLoads >= FILES, "every inode was loaded: " + firstLoads + " loads");
                assertTrue(firstEvictions >= FILES - held, "the bound let go of " + firstEvictions
                        + " inodes in the first walk (it holds at most " + held + ")");
                assertTrue(evictions >= FILES - held, "and of " + evictions + " in the second");
                assertTrue(reloads >= FILES - held, "all but what the bound holds were loaded again from their "
                        + "logs: " + reloads + " loads in the second walk");
                assertTrue(volume.indexCacheBytes() <= BOUND, "the cache weighs " + volume.indexCacheBytes());
                System.out.printf("walked twice with index_cache=%d in %.1f s and %.1f s: %d inode loads, %d evictions%n",
                        BOUND, firstNanos / 1e9, secondNanos / 1e9, volume.inodeLoads(), volume.inodeEvictions());

                System.gc();
                long dir = fs.lookup(fs.rootIno(), "d0");
                List<DirEntry> rest = fs.readdir(dir, first.cookies[PER_DIR / 2 - 1], Integer.MAX_VALUE);
                assertArrayEquals(Arrays.copyOfRange(first.cookies, PER_DIR / 2, Math.min(PER_DIR, FILES)),
                        rest.stream().mapToLong(DirEntry::cookie).toArray(),
                        "a listing resumed at a cookie of the first walk, after its directory was reloaded");
            }
        }
    }

    // ---- the tree: file i is "f<i>" in directory "d<i / 1000>" ----

    /** Makes the directories and files on two threads, each its own directories. */
    private static void populate(DaxFileSystem fs) throws Exception {
        long[] dirs = new long[DIRS];
        for (int d = 0; d < DIRS; d++) {
            dirs[d] = fs.mkdir(fs.rootIno(), "d" + d, 0755, 0, 0).ino();
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> parts = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int part = t;
                parts.add(pool.submit(() -> {
                    for (int d = part; d < DIRS; d += 2) {
                        populate(fs, dirs[d], d);
                    }
                }));
            }
            for (Future<?> f : parts) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void populate(DaxFileSystem fs, long dir, int d) {
        for (int i = d * PER_DIR; i < Math.min(FILES, (d + 1) * PER_DIR); i++) {
            long f = fs.create(dir, "f" + i, 0100644, i % 7, 0, 0).ino();
            byte[] content = content(i);
            if (content.length > 0) {
                fs.write(f, 0, MemorySegment.ofArray(content));
            } else {
                fs.truncate(f, i % 5000);
            }
            if (i % 10 == 0) {
                fs.setxattr(f, "user.n", xattr(i), 0);
            }
            if (i % 100 == 50) {
                fs.unlink(dir, "f" + i); // a hole in the cookies, and a number freed and reused
                fs.create(dir, "f" + i, 0100600, 0, 0, 0);
            }
        }
    }

    private static boolean recreated(int i) {
        return i % 100 == 50;
    }

    private static byte[] content(int i) {
        return i % 16 == 0 ? ("content of file " + i).getBytes(StandardCharsets.UTF_8) : new byte[0];
    }

    private static byte[] xattr(int i) {
        return Integer.toString(i).getBytes(StandardCharsets.UTF_8);
    }

    /** What the generator made of file {@code i}: mode, owner, size, first bytes and xattr. */
    private static void assertIsFile(int i, Attributes a, byte[] head, int headLength, byte[] xattr) {
        String f = "f" + i;
        int mode = recreated(i) ? 0100600 : 0100644;
        assertEquals(mode, a.mode(), f);
        assertEquals(recreated(i) ? 0 : i % 7, a.uid(), f);
        byte[] content = recreated(i) ? new byte[0] : content(i);
        long size = recreated(i) ? 0 : content.length > 0 ? content.length : i % 5000;
        assertEquals(size, a.size(), f);
        assertEquals(1, a.nlink(), f);
        byte[] expected = Arrays.copyOf(content, (int) Math.min(size, HEAD));
        assertArrayEquals(expected, Arrays.copyOf(head, headLength), f + ": its first bytes");
        assertArrayEquals(i % 10 == 0 && !recreated(i) ? xattr(i) : new byte[0], xattr, f + ": its xattr");
    }

    /** What a walk saw: a digest over every name, number, cookie, attribute, time, content and xattr, and d0's cookies in listing order. */
    private record Walk(String digest, long[] cookies) {}

    /** Lists every directory and looks up, stats, reads and lists the xattrs of every file in it. */
    private static Walk walk(DaxFileSystem fs) throws Exception {
        MessageDigest all = MessageDigest.getInstance("SHA-256");
        long[] cookies = new long[Math.min(PER_DIR, FILES)];
        byte[] head = new byte[HEAD];
        for (int d = 0; d < DIRS; d++) {
            long dir = fs.lookup(fs.rootIno(), "d" + d);
            BitSet seen = new BitSet();
            long after = 0;
            int listed = 0;
            for (List<DirEntry> batch; !(batch = fs.readdir(dir, after, BATCH)).isEmpty(); ) {
                for (DirEntry e : batch) {
                    after = e.cookie();
                    int i = Integer.parseInt(e.name().toString().substring(1));
                    assertTrue(i / PER_DIR == d && !seen.get(i - d * PER_DIR), e.name() + " listed in d" + d);
                    seen.set(i - d * PER_DIR);
                    if (d == 0) {
                        cookies[listed++] = e.cookie();
                    }
                    assertEquals(e.ino(), fs.lookup(dir, e.name()));
                    Attributes a = fs.getattr(e.ino());
                    Arrays.fill(head, (byte) 0);
                    int n = (int) fs.read(e.ino(), 0, MemorySegment.ofArray(head));
                    byte[] xattr = fs.listxattr(e.ino()).isEmpty() ? new byte[0] : fs.getxattr(e.ino(), "user.n");
                    assertIsFile(i, a, head, n, xattr);
                    all.update((e.name() + " " + e.ino() + " " + e.cookie() + " " + a.mode() + " " + a.uid() + " "
                            + a.size() + " " + a.blocks() + " " + a.nlink() + " " + a.mtime() + " " + a.ctime()
                            + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
            assertEquals(Math.min(PER_DIR, FILES - d * PER_DIR), seen.cardinality(), "files listed in d" + d);
        }
        return new Walk(HexFormat.of().formatHex(all.digest()), cookies);
    }
}
