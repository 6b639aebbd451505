package io.daxfs.core.concurrency;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.daxfs.core.DirEntry;
import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.FsException;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.file.FileData;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Concurrency of fs-core (issue 3, point 6): many threads on different files and on the same
 * file, on shared directories, truncating under readers, and removing inodes that others are
 * using. Every test runs its threads under a deadline with a thread dump on timeout, then checks
 * the whole tree, and again after a clean remount and after a crash remount of the final image.
 */
class ConcurrencyTest {
    private static final long MIB = 1 << 20;
    private static final int THREADS = 8;
    private static final Duration RUN = Duration.ofMillis(Long.getLong("daxfs.concurrency.millis", 2500));
    private static final Duration LIMIT = RUN.plusSeconds(30);

    private DaxDevice device;
    private DaxFileSystem fs;

    @BeforeEach
    void mount() {
        device = MemoryDevice.allocate(64 * MIB);
        DaxFileSystem.format(device, FormatOptions.defaults());
        fs = DaxFileSystem.mount(device, MountOptions.defaults());
    }

    @AfterEach
    void unmount() {
        if (fs != null) {
            try {
                fs.close();
            } catch (RuntimeException ignored) {
                // already reported
            }
        }
        device.close();
    }

    private static long file(DaxFileSystem fs, long dir, String name) {
        return fs.create(dir, name, FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino();
    }

    private static void write(DaxFileSystem fs, long ino, long offset, byte[] b) {
        assertEquals(b.length, fs.write(ino, offset, MemorySegment.ofArray(b)));
    }

    private static byte[] read(DaxFileSystem fs, long ino, long offset, int length) {
        byte[] buf = new byte[length];
        long n = fs.read(ino, offset, MemorySegment.ofArray(buf));
        return Arrays.copyOf(buf, (int) n);
    }

    private static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /**
     * The tree is consistent now, after a clean remount, and after a crash remount of the image
     * as it is now; all three show the same tree, and the allocator agrees with the recovery scan.
     */
    private Map<String, String> verifyAndRemount() {
        Map<String, String> live = TreeCheck.verify(fs);
        long free = fs.statfs().freeBlocks();
        byte[] crashImage = MemoryDevice.snapshot(device);
        fs.close();
        fs = DaxFileSystem.mount(device, MountOptions.defaults());
        assertEquals(free, fs.statfs().freeBlocks(), "free blocks after a clean remount");
        assertEquals(live, TreeCheck.verify(fs), "tree after a clean remount");
        try (DaxDevice crashed = MemoryDevice.fromImage(crashImage);
                DaxFileSystem recovered = DaxFileSystem.mount(crashed, MountOptions.defaults())) {
            assertEquals(free, recovered.statfs().freeBlocks(),
                    "free blocks after crash recovery (the scan disagrees with the live allocator)");
            assertEquals(live, TreeCheck.verify(recovered), "tree after a crash remount");
        }
        return live;
    }

    /**
     * Each thread owns a region of one shared file (regions share pages, so every write is a
     * read-modify-write of pages other threads write too) and a private file. Nothing may be lost.
     */
    @Test
    void disjointRegionsOfASharedFileAndPrivateFiles() {
        long root = fs.rootIno();
        long shared = file(fs, root, "shared");
        int region = 2 * 4096 + 1000;
        long[] privates = new long[THREADS];
        for (int t = 0; t < THREADS; t++) {
            privates[t] = file(fs, root, "private" + t);
        }
        int[] last = new int[THREADS];
        byte[][] mirrors = new byte[THREADS][];
        AtomicLong writes = new AtomicLong();
        Workers.run("regions", THREADS, RUN, LIMIT, (t, deadline, stop) -> {
            Random rnd = new Random(t);
            byte[] mirror = new byte[0];
            int gen = 0;
            long base = (long) t * region;
            while (System.nanoTime() < deadline && !stop.get()) {
                gen++;
                int value = (gen * THREADS + t) % 255 + 1;
                if (rnd.nextBoolean()) {
                    write(fs, shared, base, filled(region, value));
                } else {
                    int cut = 1 + rnd.nextInt(region - 1);
                    write(fs, shared, base + cut, filled(region - cut, value));
                    write(fs, shared, base, filled(cut, value));
                }
                byte[] back = read(fs, shared, base, region);
                assertArrayEquals(filled(region, value), back, "own region of thread " + t + " at generation " + gen);
                last[t] = value;
                int off = rnd.nextInt(60_000);
                byte[] chunk = new byte[1 + rnd.nextInt(9000)];
                rnd.nextBytes(chunk);
                write(fs, privates[t], off, chunk);
                if (mirror.length < off + chunk.length) {
                    mirror = Arrays.copyOf(mirror, off + chunk.length);
                }
                System.arraycopy(chunk, 0, mirror, off, chunk.length);
                if (rnd.nextInt(10) == 0) {
                    int size = rnd.nextInt(mirror.length + 1);
                    fs.truncate(privates[t], size);
                    mirror = Arrays.copyOf(mirror, size);
                }
                if (rnd.nextInt(5) == 0) {
                    assertArrayEquals(mirror, read(fs, privates[t], 0, mirror.length + 10), "private file " + t);
                }
                writes.incrementAndGet();
            }
            mirrors[t] = mirror;
        });
        System.out.println("disjoint regions: " + writes.get() + " write rounds by " + THREADS + " threads");
        verifyContent(shared, region, last, privates, mirrors);
        verifyAndRemount();
        verifyContent(shared, region, last, privates, mirrors);
    }

    private void verifyContent(long shared, int region, int[] last, long[] privates, byte[][] mirrors) {
        assertEquals((long) THREADS * region, fs.getattr(shared).size(), "shared file size");
        for (int t = 0; t < THREADS; t++) {
            assertArrayEquals(filled(region, last[t]), read(fs, shared, (long) t * region, region),
                    "last value of region " + t);
            assertArrayEquals(mirrors[t], read(fs, privates[t], 0, mirrors[t].length + 10), "private file " + t);
        }
    }

    /**
     * Writers write whole records (every byte the same generation value, records spanning several
     * pages that neighbouring records share) while readers check that no read sees a mix, and a
     * truncater moves the end of the file behind the records.
     */
    @Test
    void readsNeverSeeATornRecord() {
        long f = file(fs, fs.rootIno(), "records");
        int records = 6;
        int size = 3 * 4096 + 512;
        for (int i = 0; i < records; i++) {
            write(fs, f, (long) i * size, filled(size, 1));
        }
        AtomicInteger generation = new AtomicInteger(1);
        AtomicLongArray lastWritten = new AtomicLongArray(records);
        AtomicLong reads = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        long end = (long) records * size;
        Workers.run("records", THREADS, RUN, LIMIT, (t, deadline, stop) -> {
            Random rnd = new Random(100 + t);
            while (System.nanoTime() < deadline && !stop.get()) {
                int i = rnd.nextInt(records);
                if (t < 3) {
                    int value = generation.incrementAndGet() % 255 + 1;
                    write(fs, f, (long) i * size, filled(size, value));
                    writes.incrementAndGet();
                } else if (t == 3) {
                    fs.truncate(f, end + rnd.nextInt(3 * 4096));
                    if (rnd.nextBoolean()) {
                        write(fs, f, end + rnd.nextInt(8192), filled(1 + rnd.nextInt(5000), 0x55));
                    }
                    if (rnd.nextInt(8) == 0) {
                        fs.fsync(f, rnd.nextBoolean());
                    }
                } else if (t == 4) {
                    // two records in one read: each half must be whole
                    int j = rnd.nextInt(records - 1);
                    byte[] b = read(fs, f, (long) j * size, 2 * size);
                    assertEquals(2 * size, b.length);
                    checkUniform(b, 0, size, "record " + j);
                    checkUniform(b, size, 2 * size, "record " + (j + 1));
                    reads.incrementAndGet();
                } else {
                    byte[] b = read(fs, f, (long) i * size, size);
                    assertEquals(size, b.length, "record length");
                    checkUniform(b, 0, size, "record " + i);
                    lastWritten.set(i, b[0]);
                    reads.incrementAndGet();
                }
            }
        });
        System.out.println("torn reads: " + writes.get() + " record writes, " + reads.get() + " checked reads");
        for (int i = 0; i < records; i++) {
            checkUniform(read(fs, f, (long) i * size, size), 0, size, "final record " + i);
        }
        verifyAndRemount();
        for (int i = 0; i < records; i++) {
            checkUniform(read(fs, f, (long) i * size, size), 0, size, "record " + i + " after remount");
        }
    }

    private static void checkUniform(byte[] b, int from, int to, String what) {
        for (int k = from; k < to; k++) {
            if (b[k] != b[from]) {
                fail(what + " is torn: byte " + (k - from) + " is " + b[k] + " but byte 0 is " + b[from]);
            }
        }
        if (b[from] == 0) {
            fail(what + " reads as zeros");
        }
    }

    /** pattern(o) is never 0 and never 0xFF (what the other files hold). */
    private static byte pattern(long offset) {
        return (byte) ((offset * 7 + 13) % 251 + 1);
    }

    private static byte[] patternAt(long offset, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = pattern(offset + i);
        }
        return b;
    }

    /**
     * Truncation, hole punching and zeroing under readers: a read sees old data, rewritten data
     * (the same pattern) or zeros, never bytes of another file (the blocks cycle through 0xFF
     * files written meanwhile) and never more than the file's largest size.
     */
    @Test
    void truncateAndPunchUnderReadersNeverShowGarbage() {
        long root = fs.rootIno();
        long f = file(fs, root, "victim");
        int full = 256 * 1024;
        write(fs, f, 0, patternAt(0, full));
        long[] others = {file(fs, root, "o1"), file(fs, root, "o2")};
        AtomicLong reads = new AtomicLong();
        Workers.run("truncate", THREADS, RUN, LIMIT, (t, deadline, stop) -> {
            Random rnd = new Random(200 + t);
            while (System.nanoTime() < deadline && !stop.get()) {
                if (t == 0) {
                    long cut = rnd.nextInt(full);
                    fs.truncate(f, cut);
                    if (rnd.nextBoolean()) {
                        fs.truncate(f, cut + rnd.nextInt(full - (int) cut + 1));
                    }
                    int from = (int) (cut - cut % 4096 - (rnd.nextBoolean() ? 0 : rnd.nextInt(3000)));
                    from = Math.max(0, from);
                    write(fs, f, from, patternAt(from, full - from));
                } else if (t == 1) {
                    long off = rnd.nextInt(full);
                    long len = 1 + rnd.nextInt(40_000);
                    int mode = rnd.nextBoolean() ? FileData.PUNCH_HOLE | FileData.KEEP_SIZE
                            : rnd.nextBoolean() ? FileData.ZERO_RANGE | FileData.KEEP_SIZE : FileData.ZERO_RANGE;
                    fs.fallocate(f, mode, off, len);
                    int back = (int) Math.min(len, full - off);
                    if (back > 0 && rnd.nextBoolean()) {
                        write(fs, f, off, patternAt(off, back));
                    }
                } else if (t == 2) {
                    long o = others[rnd.nextInt(2)];
                    write(fs, o, rnd.nextInt(200_000), filled(1 + rnd.nextInt(60_000), 0xFF));
                    if (rnd.nextInt(3) == 0) {
                        fs.truncate(o, rnd.nextInt(100_000));
                    }
                } else {
                    long off = rnd.nextInt(full + 4096);
                    int len = 1 + rnd.nextInt(t == 3 ? full : 20_000);
                    byte[] b = read(fs, f, off, len);
                    if (off + b.length > full + 40_000) {
                        fail("read past any size the file ever had: " + off + "+" + b.length);
                    }
                    for (int k = 0; k < b.length; k++) {
                        if (b[k] != 0 && b[k] != pattern(off + k)) {
                            fail("garbage at offset " + (off + k) + ": " + b[k] + " (expected " + pattern(off + k)
                                    + " or 0)");
                        }
                    }
                    reads.incrementAndGet();
                }
            }
        });
        System.out.println("truncate vs read: " + reads.get() + " checked reads");
        verifyAndRemount();
    }

    private static final Set<Errno> NAMESPACE_RACES = EnumSet.of(Errno.ENOENT, Errno.EEXIST, Errno.ENOTEMPTY,
            Errno.EINVAL, Errno.ENOTDIR, Errno.EISDIR, Errno.EPERM);

    /**
     * Create, mkdir, link, symlink, unlink, rmdir and rename in every variant on shared
     * directories from 8 threads, while others read directories, write files and open and
     * release them. Only the errnos that races explain are allowed; afterwards the tree must be
     * consistent: every listed name resolves, nlink matches, no inode leaks.
     */
    /**
     * Namespace operations in separate directories run in parallel (they share the namespace lock;
     * only rename holds it alone): each thread works in its own directory, so every operation must
     * succeed, and the directory must end exactly as the thread's own model of it says.
     */
    @Test
    void namespaceOperationsInSeparateDirectories() {
        long root = fs.rootIno();
        long[] dirs = new long[THREADS];
        for (int t = 0; t < THREADS; t++) {
            dirs[t] = fs.mkdir(root, "own" + t, 0755, 0, 0).ino();
        }
        List<Map<String, Long>> models = new CopyOnWriteArrayList<>();
        Workers.run("separate-dirs", THREADS, RUN, LIMIT, (t, deadline, stop) -> {
            Random rnd = new Random(900 + t);
            long dir = dirs[t];
            Map<String, Long> model = new java.util.TreeMap<>();
            while (System.nanoTime() < deadline && !stop.get()) {
                String name = "n" + rnd.nextInt(30);
                String other = "n" + rnd.nextInt(30);
                Long ino = model.get(name);
                switch (rnd.nextInt(6)) {
                    case 0, 1 -> {
                        if (ino == null) {
                            model.put(name, file(fs, dir, name));
                        } else {
                            assertEquals(ino, fs.lookup(dir, name));
                            assertEquals(FileKind.REGULAR, fs.getattr(ino).kind());
                        }
                    }
                    case 2 -> {
                        if (ino != null) {
                            fs.unlink(dir, name);
                            model.remove(name);
                        }
                    }
                    case 3 -> {
                        if (ino != null && !model.containsKey(other)) {
                            fs.link(ino, dir, other);
                            model.put(other, ino);
                        }
                    }
                    case 4 -> {
                        if (ino != null && !name.equals(other)) {
                            fs.rename(dir, name, dir, other, 0);
                            if (!ino.equals(model.get(other))) { // two links of one inode: rename does nothing
                                model.remove(name);
                                model.put(other, ino);
                            }
                        }
                    }
                    default -> {
                        if (ino != null) {
                            write(fs, ino, rnd.nextInt(8192), filled(1 + rnd.nextInt(100), t));
                        }
                    }
                }
            }
            models.add(model);
            Map<String, Long> listed = new java.util.TreeMap<>();
            for (DirEntry e : fs.readdir(dir, 0, 1000)) {
                String n = e.name().toString();
                if (!n.equals(".") && !n.equals("..")) {
                    listed.put(n, e.ino());
                }
            }
            assertEquals(model, listed, "directory own" + t);
            for (Long ino : model.values()) {
                long names = model.values().stream().filter(ino::equals).count();
                assertEquals(names, fs.getattr(ino).nlink(), "links of inode " + ino);
            }
        });
        assertEquals(THREADS, models.size());
        verifyAndRemount();
    }

    @Test
    void namespaceChurnOnSharedDirectories() {
        long root = fs.rootIno();
        List<Long> dirs = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 4; i++) {
            dirs.add(fs.mkdir(root, "d" + i, 0755, 0, 0).ino());
        }
        String[] names = {"a", "b", "c", "d", "e", "f"};
        AtomicLong done = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        Map<Errno, AtomicLong> errnos = new ConcurrentHashMap<>();
        Workers.run("namespace", THREADS, RUN, LIMIT, (t, deadline, stop) -> {
            Random rnd = new Random(300 + t);
            List<Long> mine = new ArrayList<>();
            while (System.nanoTime() < deadline && !stop.get()) {
                long dir = dirs.get(rnd.nextInt(dirs.size()));
                long dir2 = dirs.get(rnd.nextInt(dirs.size()));
                String name = names[rnd.nextInt(names.length)];
                String name2 = names[rnd.nextInt(names.length)];
                try {
                    switch (rnd.nextInt(16)) {
                        case 0, 1 -> file(fs, dir, name);
                        case 2 -> {
                            long d = fs.mkdir(dir, name, 0755, 0, 0).ino();
                            if (dirs.size() < 40) {
                                dirs.add(d);
                            }
                        }
                        case 3 -> fs.symlink(dir, name, "t" + t, 0, 0);
                        case 4 -> fs.link(fs.lookup(dir, name), dir2, name2);
                        case 5, 6 -> fs.unlink(dir, name);
                        case 7 -> fs.rmdir(dir, name);
                        case 8, 9 -> fs.rename(dir, name, dir2, name2, 0);
                        case 10 -> fs.rename(dir, name, dir2, name2, rnd.nextBoolean() ? 1 : 2);
                        case 11 -> {
                            long ino = fs.lookup(dir, name);
                            fs.write(ino, rnd.nextInt(20_000), MemorySegment.ofArray(filled(1 + rnd.nextInt(6000), t)));
                        }
                        case 12 -> {
                            long ino = fs.lookup(dir, name);
                            var before = fs.getattr(ino);
                            if (before.kind() != FileKind.REGULAR) {
                                break;
                            }
                            fs.open(ino);
                            if (fs.getattr(ino).generation() != before.generation()) {
                                fs.release(ino); // the number was reused in between: not our file
                                break;
                            }
                            mine.add(ino);
                            if (rnd.nextBoolean()) {
                                fs.unlink(dir, name);
                            }
                        }
                        case 13 -> {
                            if (!mine.isEmpty()) {
                                long ino = mine.remove(rnd.nextInt(mine.size()));
                                if (fs.getattr(ino).kind() == FileKind.REGULAR) {
                                    fs.write(ino, 0, MemorySegment.ofArray(filled(100, 9)));
                                }
                                fs.release(ino);
                            }
                        }
                        case 14 -> {
                            for (DirEntry e : fs.readdir(dir, 0, 1000)) {
                                try {
                                    fs.getattr(e.ino());
                                } catch (FsException ex) {
                                    if (ex.errno() != Errno.ENOENT) {
                                        throw ex;
                                    }
                                }
                            }
                        }
                        default -> fs.setxattr(fs.lookup(dir, name), "user.t" + t, filled(10, t), 0);
                    }
                    done.incrementAndGet();
                } catch (FsException e) {
                    if (!NAMESPACE_RACES.contains(e.errno())) {
                        throw e;
                    }
                    errnos.computeIfAbsent(e.errno(), k -> new AtomicLong()).incrementAndGet();
                    refused.incrementAndGet();
                }
            }
            for (long ino : mine) {
                fs.release(ino);
            }
            mine.clear();
        });
        System.out.println("namespace churn: " + done.get() + " operations done, " + refused.get()
                + " refused by races " + errnos);
        verifyAndRemount();
    }

    /**
     * Inodes used by number (as the FUSE adapter does) while other threads remove them: every
     * operation on an inode that is being deleted must either work or fail with ENOENT, and must
     * not touch a deleted inode (or one that reused its number).
     */
    @Test
    void operationsRacingWithTheDeletionOfTheirInode() {
        long root = fs.rootIno();
        long dir = fs.mkdir(root, "churn", 0755, 0, 0).ino();
        AtomicLongArray slots = new AtomicLongArray(16);
        AtomicLong done = new AtomicLong();
        AtomicLong gone = new AtomicLong();
        Workers.run("deletion", THREADS, RUN, LIMIT, (t, deadline, stop) -> {
            Random rnd = new Random(400 + t);
            while (System.nanoTime() < deadline && !stop.get()) {
                int s = rnd.nextInt(16);
                try {
                    if (t < 2) {
                        String name = "f" + s;
                        if (rnd.nextBoolean()) {
                            slots.set(s, file(fs, dir, name));
                        } else {
                            fs.unlink(dir, name);
                        }
                    } else {
                        long ino = slots.get(s);
                        if (ino == 0) {
                            continue;
                        }
                        switch (rnd.nextInt(7)) {
                            case 0 -> fs.write(ino, rnd.nextInt(10_000), MemorySegment.ofArray(filled(3000, 7)));
                            case 1 -> fs.truncate(ino, rnd.nextInt(10_000));
                            case 2 -> fs.chmod(ino, 0600);
                            case 3 -> fs.setxattr(ino, "user.x", filled(20, 1), 0);
                            case 4 -> fs.fallocate(ino, 0, 0, 8192);
                            case 5 -> {
                                fs.open(ino);
                                try {
                                    fs.write(ino, 0, MemorySegment.ofArray(filled(100, 3)));
                                } finally {
                                    fs.release(ino);
                                }
                            }
                            default -> fs.getattr(ino);
                        }
                    }
                    done.incrementAndGet();
                } catch (FsException e) {
                    if (e.errno() != Errno.ENOENT && e.errno() != Errno.EEXIST) {
                        throw e;
                    }
                    gone.incrementAndGet();
                }
            }
        });
        System.out.println("deletion races: " + done.get() + " operations done, " + gone.get() + " ENOENT/EEXIST");
        verifyAndRemount();
    }

    /**
     * Directory renames in opposite directions, exchanges of directories, and moves of
     * directories into each other's subtrees, with writers and attribute changes on the same
     * inodes: the fixed lock order must not deadlock, and no directory may become its own
     * ancestor.
     */
    @Test
    void crossDirectoryRenamesDoNotDeadlock() {
        long root = fs.rootIno();
        long a = fs.mkdir(root, "A", 0755, 0, 0).ino();
        long b = fs.mkdir(root, "B", 0755, 0, 0).ino();
        List<Long> dirs = new CopyOnWriteArrayList<>(List.of(root, a, b));
        for (int i = 0; i < 4; i++) {
            dirs.add(fs.mkdir(i % 2 == 0 ? a : b, "s" + i, 0755, 0, 0).ino());
            file(fs, i % 2 == 0 ? b : a, "f" + i);
        }
        String[] names = {"A", "B", "s0", "s1", "s2", "s3", "f0", "f1", "f2", "f3"};
        AtomicLong done = new AtomicLong();
        Workers.run("renames", THREADS, RUN, LIMIT, (t, deadline, stop) -> {
            Random rnd = new Random(500 + t);
            while (System.nanoTime() < deadline && !stop.get()) {
                long from = dirs.get(rnd.nextInt(dirs.size()));
                long to = dirs.get(rnd.nextInt(dirs.size()));
                String n1 = names[rnd.nextInt(names.length)];
                String n2 = names[rnd.nextInt(names.length)];
                try {
                    switch (rnd.nextInt(6)) {
                        case 0, 1 -> fs.rename(from, n1, to, n1, 0);
                        case 2, 3 -> fs.rename(from, n1, to, n2, 2);
                        case 4 -> {
                            long ino = fs.lookup(from, n1);
                            if (fs.getattr(ino).kind() == FileKind.REGULAR) {
                                fs.write(ino, 0, MemorySegment.ofArray(filled(5000, t + 1)));
                            } else {
                                fs.chmod(ino, 0700 | t);
                            }
                        }
                        default -> fs.readdir(from, 0, 100);
                    }
                    done.incrementAndGet();
                } catch (FsException e) {
                    if (!NAMESPACE_RACES.contains(e.errno())) {
                        throw e;
                    }
                }
            }
        });
        System.out.println("cross renames: " + done.get() + " operations done");
        Map<String, String> tree = verifyAndRemount();
        long dirCount = tree.values().stream().filter("dir"::equals).count();
        assertEquals(6, dirCount, "every directory is still reachable from the root: " + tree.keySet());
        assertTrue(tree.values().stream().filter(v -> v.startsWith("REGULAR")).count() == 4, "files: " + tree);
    }
}
