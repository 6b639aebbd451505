package io.daxfs.core;

import static io.daxfs.core.FsFixture.bytes;
import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static io.daxfs.core.FsFixture.read;
import static io.daxfs.core.FsFixture.readAll;
import static io.daxfs.core.FsFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.file.FileData;
import io.daxfs.core.format.Layout;
import io.daxfs.core.fs.DaxFileSystem;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DaxFileSystemTest {
    private static final long MIB = 1 << 20;

    private static Errno errno(Runnable r) {
        return assertThrows(FsException.class, r::run).errno();
    }

    @Test
    void writeReadAcrossCleanRemount() {
        DaxDevice device = formattedDevice(16 * MIB);
        byte[] data = new byte[3 * 4096 + 123];
        new Random(1).nextBytes(data);
        long ino;
        try (DaxFileSystem fs = mount(device)) {
            ino = createFile(fs, fs.rootIno(), "a");
            assertEquals(data.length, write(fs, ino, 0, data));
            assertArrayEquals(data, readAll(fs, ino));
        }
        try (DaxFileSystem fs = mount(device)) {
            assertEquals(ino, fs.lookup(fs.rootIno(), "a"));
            assertArrayEquals(data, readAll(fs, ino));
        }
    }

    @Test
    void stateSurvivesCrashWithoutUnmount() {
        DaxDevice device = formattedDevice(16 * MIB);
        DaxFileSystem fs = mount(device);
        long dir = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
        long f = createFile(fs, dir, "f");
        write(fs, f, 5000, bytes("hello"));
        fs.rename(dir, "f", fs.rootIno(), "g", 0);
        byte[] image = MemoryDevice.snapshot(device);
        try (DaxFileSystem again = mount(MemoryDevice.fromImage(image))) {
            assertEquals(f, again.lookup(again.rootIno(), "g"));
            assertEquals(5005, again.getattr(f).size());
            byte[] content = readAll(again, f);
            assertEquals(0, content[0]);
            assertArrayEquals(bytes("hello"), java.util.Arrays.copyOfRange(content, 5000, 5005));
            assertEquals(Errno.ENOENT, errno(() -> again.lookup(dir, "f")));
        }
    }

    @Test
    void overwriteInMiddleKeepsNeighbours() {
        try (DaxFileSystem fs = mount(formattedDevice(16 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            byte[] base = new byte[10000];
            java.util.Arrays.fill(base, (byte) 'a');
            write(fs, f, 0, base);
            write(fs, f, 4090, bytes("XYZXYZXYZXYZ"));
            byte[] got = readAll(fs, f);
            assertEquals(10000, got.length);
            assertEquals('a', got[4089]);
            assertEquals('X', got[4090]);
            assertEquals('Z', got[4101]);
            assertEquals('a', got[4102]);
        }
    }

    @Test
    void truncateShrinkThenGrowReadsZeros() {
        try (DaxFileSystem fs = mount(formattedDevice(16 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            byte[] ones = new byte[9000];
            java.util.Arrays.fill(ones, (byte) 1);
            write(fs, f, 0, ones);
            fs.truncate(f, 100);
            fs.truncate(f, 9000);
            byte[] got = readAll(fs, f);
            for (int i = 0; i < 9000; i++) {
                assertEquals(i < 100 ? 1 : 0, got[i], "byte " + i);
            }
        }
    }

    @Test
    void punchHoleAndZeroRange() {
        try (DaxFileSystem fs = mount(formattedDevice(16 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            byte[] ones = new byte[5 * 4096];
            java.util.Arrays.fill(ones, (byte) 7);
            write(fs, f, 0, ones);
            fs.fallocate(f, FileData.PUNCH_HOLE | FileData.KEEP_SIZE, 100, 3 * 4096);
            fs.fallocate(f, FileData.ZERO_RANGE, 4 * 4096 + 10, 20);
            byte[] got = readAll(fs, f);
            assertEquals(5 * 4096, got.length);
            for (int i = 0; i < got.length; i++) {
                boolean zero = (i >= 100 && i < 100 + 3 * 4096) || (i >= 4 * 4096 + 10 && i < 4 * 4096 + 30);
                assertEquals(zero ? 0 : 7, got[i], "byte " + i);
            }
            assertTrue(fs.getattr(f).blocks() < 5 * 8, "punched pages are released");
        }
    }

    @Test
    void namespaceErrors() {
        try (DaxFileSystem fs = mount(formattedDevice(16 * MIB))) {
            long root = fs.rootIno();
            long d = fs.mkdir(root, "d", 0755, 0, 0).ino();
            createFile(fs, d, "x");
            assertEquals(Errno.EEXIST, errno(() -> createFile(fs, root, "d")));
            assertEquals(Errno.ENOTEMPTY, errno(() -> fs.rmdir(root, "d")));
            assertEquals(Errno.EISDIR, errno(() -> fs.unlink(root, "d")));
            assertEquals(Errno.ENOTDIR, errno(() -> fs.rmdir(d, "x")));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> createFile(fs, root, "n".repeat(256))));
            createFile(fs, root, "n".repeat(255));
            assertEquals(Errno.EINVAL, errno(() -> fs.rename(root, "d", d, "sub", 0)));
            assertEquals(Errno.ENOENT, errno(() -> fs.lookup(root, "missing")));
            assertEquals(3, fs.getattr(root).nlink());
        }
    }

    @Test
    void renameReplaceExchangeNoreplace() {
        try (DaxFileSystem fs = mount(formattedDevice(16 * MIB))) {
            long root = fs.rootIno();
            long a = createFile(fs, root, "a");
            long b = createFile(fs, root, "b");
            assertEquals(Errno.EEXIST, errno(() -> fs.rename(root, "a", root, "b", 1)));
            fs.rename(root, "a", root, "b", 2);
            assertEquals(b, fs.lookup(root, "a"));
            assertEquals(a, fs.lookup(root, "b"));
            fs.rename(root, "a", root, "b", 0);
            assertEquals(b, fs.lookup(root, "b"));
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr(a)));
            assertEquals(List.of(Name.of("b")), fs.readdir(root, 0, 100).stream().map(DirEntry::name).toList());
        }
    }

    @Test
    void hardLinksCountAndOrphans() {
        DaxDevice device = formattedDevice(16 * MIB);
        try (DaxFileSystem fs = mount(device)) {
            long root = fs.rootIno();
            long f = createFile(fs, root, "f");
            fs.link(f, root, "g");
            assertEquals(2, fs.getattr(f).nlink());
            fs.unlink(root, "f");
            fs.open(f);
            fs.unlink(root, "g");
            write(fs, f, 0, bytes("still here"));
            assertArrayEquals(bytes("still here"), read(fs, f, 0, 100));
            long free = fs.statfs().freeBlocks();
            fs.release(f);
            assertTrue(fs.statfs().freeBlocks() > free);
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr(f)));
        }
    }

    @Test
    void openUnlinkedFileIsReclaimedAfterCrash() {
        DaxDevice device = formattedDevice(16 * MIB);
        DaxFileSystem fs = mount(device);
        long f = createFile(fs, fs.rootIno(), "f");
        write(fs, f, 0, new byte[100_000]);
        fs.open(f);
        fs.unlink(fs.rootIno(), "f");
        long usedInodes = fs.volume().inodeTable().usedCount();
        byte[] image = MemoryDevice.snapshot(device);
        try (DaxFileSystem again = mount(MemoryDevice.fromImage(image))) {
            assertEquals(usedInodes - 1, again.volume().inodeTable().usedCount());
            assertEquals(Errno.ENOENT, errno(() -> again.getattr(f)));
        }
    }

    @Test
    void xattrsAndSymlinks() {
        DaxDevice device = formattedDevice(16 * MIB);
        long f;
        long s;
        try (DaxFileSystem fs = mount(device)) {
            f = createFile(fs, fs.rootIno(), "f");
            fs.setxattr(f, "user.k", bytes("v"), DaxFileSystem.XATTR_CREATE);
            assertEquals(Errno.EEXIST, errno(() -> fs.setxattr(f, "user.k", bytes("w"), DaxFileSystem.XATTR_CREATE)));
            assertEquals(Errno.ENODATA, errno(() -> fs.setxattr(f, "user.x", bytes("w"), DaxFileSystem.XATTR_REPLACE)));
            s = fs.symlink(fs.rootIno(), "s", "target/path", 0, 0).ino();
        }
        try (DaxFileSystem fs = mount(device)) {
            assertArrayEquals(bytes("v"), fs.getxattr(f, "user.k"));
            assertArrayEquals(bytes("target/path"), fs.readlink(s));
            fs.removexattr(f, "user.k");
            assertEquals(Errno.ENODATA, errno(() -> fs.getxattr(f, "user.k")));
        }
    }

    @Test
    void sparseTerabyteFile() {
        try (DaxFileSystem fs = mount(formattedDevice(16 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "big");
            long tib = 1L << 40;
            write(fs, f, tib, bytes("end"));
            assertEquals(tib + 3, fs.getattr(f).size());
            assertArrayEquals(new byte[10], read(fs, f, tib / 2, 10));
            assertArrayEquals(bytes("end"), read(fs, f, tib, 3));
            assertEquals(Errno.EFBIG, errno(() -> write(fs, f, Layout.MAX_FILE_SIZE, bytes("x"))));
        }
    }

    @Test
    void fullDeviceGivesEnospcAndKeepsData() {
        DaxDevice device = formattedDevice(4 * MIB);
        try (DaxFileSystem fs = mount(device)) {
            long keep = createFile(fs, fs.rootIno(), "keep");
            write(fs, keep, 0, bytes("durable"));
            long f = createFile(fs, fs.rootIno(), "fill");
            byte[] chunk = new byte[256 * 1024];
            long offset = 0;
            try {
                while (true) {
                    offset += write(fs, f, offset, chunk);
                }
            } catch (FsException e) {
                assertEquals(Errno.ENOSPC, e.errno());
            }
            assertArrayEquals(bytes("durable"), readAll(fs, keep));
            fs.unlink(fs.rootIno(), "fill");
            assertTrue(fs.statfs().freeBlocks() > 512);
        }
        try (DaxFileSystem fs = mount(device)) {
            assertArrayEquals(bytes("durable"), readAll(fs, fs.lookup(fs.rootIno(), "keep")));
        }
    }

    @Test
    void logStaysBoundedUnderOverwritesAndCreateUnlinkCycles() {
        try (DaxFileSystem fs = mount(formattedDevice(32 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            for (int i = 0; i < 1_000_000; i++) {
                write(fs, f, 0, bytes("x" + i));
            }
            assertTrue(fs.volume().inode(f).log().segmentCount() <= 8,
                    "file log segments: " + fs.volume().inode(f).log().segmentCount());
            long d = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
            for (int i = 0; i < 1_000_000; i++) {
                createFile(fs, d, "n" + i);
                fs.unlink(d, "n" + i);
            }
            assertTrue(fs.volume().inode(d).log().segmentCount() <= 8,
                    "dir log segments: " + fs.volume().inode(d).log().segmentCount());
        }
    }

    @Test
    void readsOnAFullDeviceSucceedEvenWhenAtimeCannotBeLogged() {
        DaxDevice device = formattedDevice(4 * MIB);
        long[] now = {1L << 60};
        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults(), () -> now[0] += 2 * 86_400_000_000_000L)) {
            long f = createFile(fs, fs.rootIno(), "f");
            write(fs, f, 0, bytes("data"));
            long filler = createFile(fs, fs.rootIno(), "filler");
            long offset = 0;
            try {
                while (true) {
                    offset += write(fs, filler, offset, new byte[4096]);
                }
            } catch (FsException e) {
                assertEquals(Errno.ENOSPC, e.errno());
            }
            Timestamp atimeBefore = fs.getattr(f).atime();
            for (int i = 0; i < 500; i++) {
                assertArrayEquals(bytes("data"), read(fs, f, 0, 4), "read " + i + " on a full device");
            }
            assertTrue(fs.getattr(f).atime().compareTo(atimeBefore) > 0, "atime moved while the log had room");
        }
    }

    @Test
    void listingADirectoryMovesItsAtimeUnlessNodiratime() {
        for (boolean dirAtime : new boolean[] {true, false}) {
            long[] now = {1_000_000_000L};
            try (DaxFileSystem fs = DaxFileSystem.mount(formattedDevice(4 * MIB),
                    MountOptions.defaults().withDirAtime(dirAtime), () -> now[0] += 1_000_000_000L)) {
                long d = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
                createFile(fs, d, "f");
                Timestamp before = fs.getattr(d).atime();
                assertEquals(1, fs.readdir(d, 0, 100).size());
                assertEquals(dirAtime, fs.getattr(d).atime().compareTo(before) > 0, "diratime " + dirAtime);
            }
        }
    }

    /**
     * relatime: an atime later than the mtime and ctime moves on a read once the clock's second is
     * a day past the atime's second, whatever their nanoseconds (Linux compares {@code tv_sec}).
     */
    @Test
    void relatimeMovesAnAtimeNewerThanTheChangesADayOfSecondsLater() {
        assertEquals(1, new Timestamp(-2, 999_999_999).secondsUntil(-1), "seconds floored before 1970");
        long[] now = {1_000_000_000_000_000_000L};
        try (DaxFileSystem fs = DaxFileSystem.mount(formattedDevice(4 * MIB), MountOptions.defaults(), () -> now[0])) {
            long f = createFile(fs, fs.rootIno(), "f");
            write(fs, f, 0, bytes("data"));
            long second = now[0] / 1_000_000_000L + 1; // after the ctime that utimens sets
            fs.utimens(f, second, 500_000_000, second - 10, 0);
            now[0] = (second + 86_400) * 1_000_000_000L - 1;
            read(fs, f, 0, 4);
            assertEquals(new Timestamp(second, 500_000_000), fs.getattr(f).atime(), "86,399 s after its second");
            now[0]++; // 86,399.5 s after the atime itself
            read(fs, f, 0, 4);
            assertEquals(Timestamp.ofNanos(now[0]), fs.getattr(f).atime(), "86,400 s after its second");
        }
    }

    @Test
    void anXattrNameThatIsOnlyANamespacePrefixIsInvalid() {
        try (DaxFileSystem fs = mount(formattedDevice(4 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            for (String prefix : new String[] {"user.", "trusted.", "security.", "system."}) {
                assertEquals(Errno.EINVAL, errno(() -> fs.setxattr(f, prefix, bytes("v"), 0)), prefix);
                assertEquals(Errno.EINVAL, errno(() -> fs.getxattr(f, prefix)), prefix);
                assertEquals(Errno.EINVAL, errno(() -> fs.removexattr(f, prefix)), prefix);
            }
            fs.setxattr(f, "user.x", bytes("v"), 0);
            assertEquals(1, fs.listxattr(f).size(), "nothing was stored for the prefixes");
        }
    }
}
