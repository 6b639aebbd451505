package io.daxfs.core.check;

import io.daxfs.core.Attributes;
import io.daxfs.core.DirEntry;
import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.log.LogReader;
import io.daxfs.core.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A small populated image for checker, fsck and fuzz tests: regular files (with data, a hole, an
 * empty one), directories two deep, a hard link, a symlink, a fifo, xattrs, and a file whose log
 * spans several pages. {@link #verify} mounts an image and lists every object that does not read
 * back as built.
 */
public final class TestImages {
    public static final long SIZE = 4L << 20;

    /** What one path should hold. */
    /** The xattrs of /many: their live state does not fit a log slot. */
    private static final Map<String, byte[]> MANY_XATTRS = manyXattrs();

    private static Map<String, byte[]> manyXattrs() {
        Map<String, byte[]> m = new java.util.TreeMap<>();
        for (int i = 0; i < 8; i++) {
            m.put("user.many" + i, pattern(64, i));
        }
        return m;
    }

    public record Obj(String path, FileKind kind, byte[] content, String target, Map<String, byte[]> xattrs, int mode) {}

    private TestImages() {}

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed * 7 + (i >> 8));
        }
        return b;
    }

    /** The objects of {@link #populated()}, by path. */
    public static Map<String, Obj> expected() {
        Map<String, Obj> m = new LinkedHashMap<>();
        byte[] a = pattern(3 * 4096 + 100, 1);
        m.put("/a.txt", new Obj("/a.txt", FileKind.REGULAR, a, null, Map.of("user.test", bytes("hello")), 0644));
        m.put("/dir1", new Obj("/dir1", FileKind.DIRECTORY, null, null, Map.of(), 0755));
        byte[] b = pattern(40_000, 2);
        m.put("/dir1/b.bin", new Obj("/dir1/b.bin", FileKind.REGULAR, b, null, Map.of(), 0600));
        m.put("/dir1/sub", new Obj("/dir1/sub", FileKind.DIRECTORY, null, null, Map.of("user.dir", bytes("d")), 0700));
        m.put("/dir1/sub/c.txt", new Obj("/dir1/sub/c.txt", FileKind.REGULAR, pattern(5000, 3), null, Map.of(), 0644));
        m.put("/dir1/link-to-a", new Obj("/dir1/link-to-a", FileKind.REGULAR, a, null, Map.of("user.test", bytes("hello")),
                0644));
        m.put("/sym", new Obj("/sym", FileKind.SYMLINK, null, "dir1/b.bin", Map.of(), 0777));
        m.put("/fifo", new Obj("/fifo", FileKind.FIFO, null, null, Map.of(), 0600));
        m.put("/empty", new Obj("/empty", FileKind.REGULAR, new byte[0], null, Map.of(), 0644));
        byte[] holey = new byte[9 * 4096 + 10];
        System.arraycopy(pattern(10, 4), 0, holey, 9 * 4096, 10);
        m.put("/holey", new Obj("/holey", FileKind.REGULAR, holey, null, Map.of(), 0644));
        m.put("/many", new Obj("/many", FileKind.REGULAR, bytes("many changes"), null, MANY_XATTRS, 0640));
        m.put("/d2", new Obj("/d2", FileKind.DIRECTORY, null, null, Map.of(), 0755));
        m.put("/d2/e", new Obj("/d2/e", FileKind.REGULAR, pattern(100, 5), null,
                Map.of("user.big", pattern(10_000, 6)), 0644)); // an xattr value stored out of line
        return m;
    }

    /** Builds the image (cleanly unmounted) and returns its bytes. */
    public static byte[] populated() {
        DaxDevice device = MemoryDevice.allocate(SIZE);
        DaxFileSystem.format(device, FormatOptions.defaults().withUuid(new UUID(1, 2)).withLabel("test"));
        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
            long root = fs.rootIno();
            Map<String, Obj> m = expected();
            long a = create(fs, root, "a.txt", 0644);
            write(fs, a, m.get("/a.txt").content());
            fs.setxattr(a, "user.test", bytes("hello"), 0);
            long dir1 = fs.mkdir(root, "dir1", 0755, 0, 0).ino();
            long b = create(fs, dir1, "b.bin", 0600);
            byte[] bContent = m.get("/dir1/b.bin").content();
            fs.write(b, 0, MemorySegment.ofArray(Arrays.copyOf(bContent, 20_000)));
            fs.write(b, 20_000, MemorySegment.ofArray(Arrays.copyOfRange(bContent, 20_000, bContent.length)));
            long sub = fs.mkdir(dir1, "sub", 0700, 0, 0).ino();
            fs.setxattr(sub, "user.dir", bytes("d"), 0);
            long c = create(fs, sub, "c.txt", 0644);
            write(fs, c, m.get("/dir1/sub/c.txt").content());
            fs.link(a, dir1, "link-to-a");
            fs.symlink(root, "sym", "dir1/b.bin", 0, 0);
            fs.create(root, "fifo", FileKind.FIFO.typeBits() | 0600, 0, 0, 0);
            create(fs, root, "empty", 0644);
            long holey = create(fs, root, "holey", 0644);
            fs.write(holey, 9 * 4096, MemorySegment.ofArray(pattern(10, 4)));
            long many = create(fs, root, "many", 0644);
            write(fs, many, bytes("many changes"));
            // more than a slot holds, so its log stays in pages: a slot and three pages after the chmods
            for (Map.Entry<String, byte[]> x : MANY_XATTRS.entrySet()) {
                fs.setxattr(many, x.getKey(), x.getValue(), 0);
            }
            for (int i = 0; i < 100; i++) {
                fs.chmod(many, (i % 2 == 0) ? 0600 : 0640); // ends at 0640
            }
            long d2 = fs.mkdir(root, "d2", 0755, 0, 0).ino();
            long e = create(fs, d2, "e", 0644);
            write(fs, e, m.get("/d2/e").content());
            fs.setxattr(e, "user.big", m.get("/d2/e").xattrs().get("user.big"), 0);
            // a name created and removed, so that directory logs hold deletions too
            create(fs, d2, "gone", 0644);
            fs.unlink(d2, "gone");
        }
        byte[] image = MemoryDevice.snapshot(device);
        device.close();
        return image;
    }

    private static long create(DaxFileSystem fs, long dir, String name, int mode) {
        return fs.create(dir, name, FileKind.REGULAR.typeBits() | mode, 0, 0, 0).ino();
    }

    private static void write(DaxFileSystem fs, long ino, byte[] content) {
        fs.write(ino, 0, MemorySegment.ofArray(content));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The inode number of {@code path} in a (clean) image, by a read-only mount. */
    public static long inodeOf(DaxDevice device, String path) {
        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults().withReadOnly(true))) {
            return resolve(fs, path);
        }
    }

    static long resolve(DaxFileSystem fs, String path) {
        long ino = fs.rootIno();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                ino = fs.lookup(ino, part);
            }
        }
        return ino;
    }

    /** Device offsets of the committed entries of inode {@code ino}'s log, in order. */
    public static List<Long> entryOffsets(DaxDevice device, long ino) {
        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults().withReadOnly(true))) {
            Volume v = fs.volume();
            var record = v.inodeTable().read(ino);
            List<Long> offsets = new ArrayList<>();
            new LogReader(device, v.layout()).read(ino, record.head(), record.tail(), (e, off) -> offsets.add(off));
            return offsets;
        }
    }

    /** The log segments of inode {@code ino}: the first may be a slot ({@code log.LogSegment}). */
    public static long[] logSegments(DaxDevice device, long ino) {
        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults().withReadOnly(true))) {
            return fs.volume().inode(ino).log().segmentsCopy();
        }
    }

    /**
     * Mounts {@code device} (read-write, so a crashed image recovers), reads every expected object
     * and returns the paths that are missing or differ (with why), skipping those in {@code ignore}.
     * Also walks the whole tree (readdir, getattr, read, readlink, xattrs) so nothing is left unread.
     */
    public static List<String> verify(DaxDevice device, Set<String> ignore) {
        List<String> bad = new ArrayList<>();
        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
            for (Obj o : expected().values()) {
                if (ignore.contains(o.path())) {
                    continue;
                }
                String why = compare(fs, o);
                if (why != null) {
                    bad.add(o.path() + ": " + why);
                }
            }
            readEverything(fs);
        }
        return bad;
    }

    private static String compare(DaxFileSystem fs, Obj o) {
        long ino;
        try {
            ino = resolve(fs, o.path());
        } catch (RuntimeException e) {
            return "lookup failed: " + e.getMessage();
        }
        Attributes at = fs.getattr(ino);
        if (at.kind() != o.kind()) {
            return "kind " + at.kind();
        }
        if ((at.mode() & 07777) != o.mode()) {
            return "mode " + Integer.toOctalString(at.mode() & 07777);
        }
        if (o.content() != null) {
            byte[] data = new byte[(int) at.size()];
            fs.read(ino, 0, MemorySegment.ofArray(data));
            if (!Arrays.equals(data, o.content())) {
                return "content differs (size " + at.size() + ")";
            }
        }
        if (o.target() != null && !new String(fs.readlink(ino)).equals(o.target())) {
            return "target " + new String(fs.readlink(ino));
        }
        Map<String, byte[]> xattrs = new TreeMap<>();
        for (io.daxfs.core.Name name : fs.listxattr(ino)) {
            xattrs.put(name.toString(), fs.getxattr(ino, name));
        }
        if (xattrs.size() != o.xattrs().size() || o.xattrs().entrySet().stream()
                .anyMatch(e -> !Arrays.equals(xattrs.get(e.getKey()), e.getValue()))) {
            return "xattrs " + xattrs.keySet();
        }
        int expectedLinks = o.path().equals("/a.txt") || o.path().equals("/dir1/link-to-a") ? 2 : 1;
        if (o.kind() != FileKind.DIRECTORY && at.nlink() != expectedLinks) {
            return "nlink " + at.nlink();
        }
        return null;
    }

    /** Reads every reachable object; returns how many were visited. Throws what the engine throws. */
    public static int readEverything(DaxFileSystem fs) {
        Set<Long> seen = new HashSet<>();
        List<Long> queue = new ArrayList<>(List.of(fs.rootIno()));
        seen.add(fs.rootIno());
        while (!queue.isEmpty() && seen.size() < 100_000) {
            long dir = queue.removeLast();
            fs.getattr(dir);
            fs.listxattr(dir).forEach(n -> fs.getxattr(dir, n));
            long cookie = 0;
            while (true) {
                List<DirEntry> batch = fs.readdir(dir, cookie, 64);
                if (batch.isEmpty()) {
                    break;
                }
                for (DirEntry d : batch) {
                    cookie = d.cookie();
                    if (!seen.add(d.ino())) {
                        continue;
                    }
                    Attributes at = fs.getattr(d.ino());
                    long ino = d.ino();
                    fs.listxattr(ino).forEach(n -> fs.getxattr(ino, n));
                    switch (at.kind()) {
                        case DIRECTORY -> queue.add(ino);
                        case REGULAR -> fs.read(ino, 0, MemorySegment.ofArray(new byte[(int) Math.min(at.size(), 1 << 20)]));
                        case SYMLINK -> fs.readlink(ino);
                        default -> { }
                    }
                }
            }
        }
        return seen.size();
    }
}
