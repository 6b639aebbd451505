package io.daxfs.mkfs;

import io.daxfs.core.device.DeviceUse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MkfsMainTest {
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = Cli.scratch("mkfs-test");
    }

    @AfterEach
    void tearDown() throws IOException {
        Cli.deleteTree(dir);
    }

    private Cli.Result mkfs(String... args) throws IOException {
        return Cli.mkfs(dir, args);
    }

    private static Superblock superblock(Path image) throws IOException {
        try (DaxDevice d = DaxDevice.open(image, DeviceOptions.defaults().withReadOnly(true))) {
            return Superblock.read(d);
        }
    }

    /** A one-line error on stderr, naming the tool. */
    private static void assertOneLineError(Cli.Result r, int code, String containing) {
        assertEquals(code, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.err().startsWith("mkfs.daxfs: "), r.toString());
        assertTrue(r.err().contains(containing), "expected '" + containing + "' in: " + r);
        assertFalse(r.err().contains("\tat "), "stack trace: " + r);
    }

    @Test
    void createsAFileOfTheGivenSizeAndPrintsASummary() throws Exception {
        Path img = dir.resolve("a.img");
        Cli.Result r = mkfs("-s", "8M", img.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.err());
        assertEquals(8L << 20, Files.size(img));
        for (String field : new String[] {"size:", "8 MiB", "block size:   4096", "inodes:", "data blocks:",
                "label:", "UUID:", "features:", "flush:        none"}) {
            assertTrue(r.out().contains(field), field + " missing in " + r);
        }
        Superblock sb = superblock(img);
        assertEquals(2048, sb.totalBlocks());
        assertEquals(2048, sb.inodeCount(), "one inode per 4 KiB block by default");
        assertEquals(Superblock.State.CLEAN, sb.state());
        assertTrue(r.out().contains(sb.uuid().toString()));
    }

    @Test
    void createsLargeSparseFiles() throws Exception {
        Path img = dir.resolve("sparse.img");
        Cli.Result r = mkfs("-q", "-s", "1T", "-N", "1024", img.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.out(), "-q prints nothing");
        assertEquals(1L << 40, Files.size(img));
        long allocated = (Long) Files.getAttribute(img, "unix:size") > 0
                ? allocatedBytes(img) : 0;
        assertTrue(allocated < 64L << 20, "1 TiB image should be sparse, has " + allocated + " bytes allocated");
        assertEquals(1L << 28, superblock(img).totalBlocks());
    }

    private static long allocatedBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
        String[] f = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().split(" ");
        p.waitFor(10, TimeUnit.SECONDS);
        return Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }

    @Test
    void labelUuidAndInodeCountTakeEffect() throws Exception {
        Path img = dir.resolve("opts.img");
        UUID uuid = UUID.fromString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        Cli.Result r = mkfs("-L", "scratch-ü", "-U", uuid.toString(), "-N", "1000", "-s", "16M", img.toString());
        assertEquals(0, r.code(), r.toString());
        Superblock sb = superblock(img);
        assertEquals("scratch-ü", sb.label());
        assertEquals(uuid, sb.uuid());
        assertEquals(1024, sb.inodeCount(), "-N rounds up to whole inode table blocks");

        assertEquals(0, mkfs("-f", "-U", "time", "-Lx", img.toString()).code());
        assertEquals(1, superblock(img).uuid().version(), "-U time gives a version-1 UUID");
        assertEquals(0, mkfs("-fq", "-U", "random", img.toString()).code());
        assertEquals(4, superblock(img).uuid().version());
        assertEquals("", superblock(img).label());
    }

    @Test
    void growsAnExistingSmallerFileButNeverShrinks() throws Exception {
        Path img = dir.resolve("grow.img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        Cli.Result r = mkfs("-s", "4M", img.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Grew"), r.toString());
        assertEquals(4L << 20, Files.size(img));
        assertOneLineError(mkfs("-f", "-s", "2M", img.toString()), 1, "refusing to shrink");
        assertEquals(4L << 20, Files.size(img));
        assertEquals(0, mkfs("-f", "-s", "4M", img.toString()).code(), "same size is fine");
    }

    @Test
    void existingFileWithoutSizeUsesItsWholeSize() throws Exception {
        Path img = dir.resolve("whole.img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(3L << 20);
        }
        assertEquals(0, mkfs(img.toString()).code());
        assertEquals(768, superblock(img).totalBlocks());
    }

    @Test
    void dryRunWritesNothing() throws Exception {
        Path img = dir.resolve("dry.img");
        Cli.Result create = mkfs("-n", "-s", "8M", img.toString());
        assertEquals(0, create.code(), create.toString());
        assertTrue(create.out().contains("Would create"), create.toString());
        assertTrue(create.out().contains("Nothing written"), create.toString());
        assertFalse(Files.exists(img), "-n must not create the file");

        assertEquals(0, mkfs("-s", "8M", "-L", "before", img.toString()).code());
        String before = Cli.sha256(img);
        Cli.Result again = mkfs("-n", "-f", "-L", "after", "-s", "16M", img.toString());
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("Would grow"), again.toString());
        assertEquals(before, Cli.sha256(img), "-n changed the image");
        assertEquals(8L << 20, Files.size(img));
        assertEquals("before", superblock(img).label());
    }

    @Test
    void refusesToOverwriteDaxfsWithoutForce() throws Exception {
        Path img = dir.resolve("d.img");
        assertEquals(0, mkfs("-s", "8M", "-L", "precious", img.toString()).code());
        UUID old = superblock(img).uuid();
        String before = Cli.sha256(img);
        Cli.Result r = mkfs(img.toString());
        assertOneLineError(r, 2, "contains a daxfs filesystem (label \"precious\", UUID " + old + ")");
        assertTrue(r.err().contains("-f"), r.toString());
        assertEquals(before, Cli.sha256(img));

        Cli.Result forced = mkfs("-f", img.toString());
        assertEquals(0, forced.code(), forced.toString());
        assertTrue(forced.out().contains("Overwriting a daxfs filesystem"), forced.toString());
        assertFalse(old.equals(superblock(img).uuid()));
    }

    @Test
    void recognisesADaxfsByItsBackupSuperblockAlone() throws Exception {
        Path img = dir.resolve("b.img");
        assertEquals(0, mkfs("-s", "8M", img.toString()).code());
        try (FileChannel c = FileChannel.open(img, StandardOpenOption.WRITE)) {
            c.write(java.nio.ByteBuffer.allocate(4096), 0);
        }
        assertOneLineError(mkfs(img.toString()), 2, "backup superblock only");
    }

    @Test
    void refusesOtherFilesystemsWithoutForce() throws Exception {
        Signed[] images = {
            Signed.make(dir, "ext4", 64, "an ext4 filesystem (label \"e4\")", "mkfs.ext4", "-q", "-F", "-L", "e4"),
            Signed.make(dir, "ext2", 64, "an ext2 filesystem", "mkfs.ext2", "-q", "-F"),
            Signed.make(dir, "ext3", 64, "an ext3 filesystem", "mkfs.ext3", "-q", "-F"),
            Signed.make(dir, "xfs", 512, "an xfs filesystem (label \"xf\")", "mkfs.xfs", "-q", "-f", "-L", "xf"),
            Signed.make(dir, "btrfs", 256, "a btrfs filesystem", "mkfs.btrfs", "-q", "-f"),
            Signed.make(dir, "swap", 16, "swap space (label \"sw\")", "mkswap", "-L", "sw"),
        };
        for (Signed s : images) {
            String before = Cli.sha256(s.path());
            Cli.Result r = mkfs(s.path().toString());
            assertOneLineError(r, 2, "contains " + s.expected());
            assertEquals(before, Cli.sha256(s.path()), s.kind() + " image changed by a refused mkfs");
            Cli.Result forced = mkfs("-f", "-q", s.path().toString());
            assertEquals(0, forced.code(), forced.toString());
            assertEquals(Superblock.State.CLEAN, superblock(s.path()).state());
            Cli.Result redo = mkfs(s.path().toString());
            assertTrue(redo.err().contains("a daxfs filesystem"), s.kind() + ": old signature survives: " + redo);
            if (s.realTool()) {
                assertBlkidForgot(s);
            }
        }
    }

    /** After mkfs -f, blkid must no longer report the old filesystem (its signatures were wiped). */
    private static void assertBlkidForgot(Signed s) throws Exception {
        Path blkid = Signed.which("blkid");
        if (blkid == null) {
            System.err.println("WARNING: blkid is not installed; not checking that old signatures are gone");
            return;
        }
        Process p = new ProcessBuilder(blkid.toString(), "-p", "-o", "value", "-s", "TYPE", s.path().toString())
                .redirectErrorStream(true).start();
        String type = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(30, TimeUnit.SECONDS);
        assertEquals("", type, s.kind() + ": blkid still sees " + type);
    }

    @Test
    void refusesAMountedDevice() throws Exception {
        Path img = dir.resolve("m.img");
        assertEquals(0, mkfs("-s", "8M", img.toString()).code());
        Path mounts = dir.resolve("fake-mounts");
        Files.writeString(mounts, "proc /proc proc rw 0 0\n" + img.toAbsolutePath().toString().replace(" ", "\\040")
                + " /mnt/pm fuse.daxfs rw,nosuid,nodev 0 0\n");
        MkfsMain.Env env = new MkfsMain.Env(new DeviceUse.Sources(mounts, dir.resolve("none")), false);
        String before = Cli.sha256(img);
        assertOneLineError(Cli.mkfs(env, "-f", img.toString()), 3, "is mounted on /mnt/pm (fuse.daxfs)");
        assertOneLineError(Cli.mkfs(env, "-f", "-n", img.toString()), 3, "in use");
        assertEquals(before, Cli.sha256(img));
    }

    @Test
    void refusesADeviceThatIsAttachedToALoopDevice() throws Exception {
        Path img = dir.resolve("l.img");
        assertEquals(0, mkfs("-s", "8M", img.toString()).code());
        Path sys = dir.resolve("sys-block");
        Files.createDirectories(sys.resolve("loop7/loop"));
        Files.writeString(sys.resolve("loop7/loop/backing_file"), img.toAbsolutePath() + "\n");
        MkfsMain.Env env = new MkfsMain.Env(new DeviceUse.Sources(dir.resolve("mounts"), sys), false);
        assertOneLineError(Cli.mkfs(env, "-f", img.toString()), 3, "attached to /dev/loop7");
    }

    @Test
    void refusesADeviceLockedByARunningDaxfs() throws Exception {
        Path img = dir.resolve("k.img");
        assertEquals(0, mkfs("-s", "8M", img.toString()).code());
        String before = Cli.sha256(img);
        try (FileChannel c = FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock lock = c.lock()) {
            assertOneLineError(mkfs("-f", img.toString()), 3, "lock");
        }
        assertEquals(before, Cli.sha256(img));
        assertEquals(0, mkfs("-f", "-q", img.toString()).code(), "free again once the lock is gone");
    }

    @Test
    void badOptionsGiveExitOneAndOneLine() throws Exception {
        Path img = dir.resolve("x.img");
        assertOneLineError(mkfs("-x", img.toString()), 1, "unknown option '-x'");
        assertOneLineError(mkfs("--frobnicate", img.toString()), 1, "unknown option '--frobnicate'");
        assertOneLineError(mkfs(), 1, "no DEVICE given");
        assertOneLineError(mkfs("a", "b"), 1, "extra operand 'b'");
        assertOneLineError(mkfs("-s"), 1, "needs an argument");
        assertOneLineError(mkfs("-s", "12Q", img.toString()), 1, "invalid size '12Q'");
        assertOneLineError(mkfs("-s", "8M", "-L", "x".repeat(64), img.toString()), 1, "at most 63 are allowed");
        assertOneLineError(mkfs("-s", "8M", "-U", "not-a-uuid", img.toString()), 1, "invalid UUID");
        assertOneLineError(mkfs("-s", "8M", "-N", "lots", img.toString()), 1, "invalid inode count");
        assertOneLineError(mkfs("-s", "8M", "-N", "1G", img.toString()), 1, "do not fit");
        assertOneLineError(mkfs("-s", "8M", "-o", "flush=sometimes", img.toString()), 1, "flush=sometimes");
        assertOneLineError(mkfs("-s", "8M", "-o", "dax=always", img.toString()), 1, "unknown -o option");
        assertOneLineError(mkfs(img.toString()), 1, "does not exist; give -s SIZE");
        assertOneLineError(mkfs("-s", "100K", img.toString()), 1, "too small");
        assertOneLineError(mkfs("-s", "8M", dir.resolve("no/such/dir/x.img").toString()), 1, "does not exist");
        assertOneLineError(mkfs(dir.toString()), 1, "is a directory");
        assertFalse(Files.exists(img), "failed runs left a file behind");
    }

    @Test
    void helpAndVersion() throws Exception {
        Cli.Result help = mkfs("-h");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: mkfs.daxfs"), help.toString());
        assertTrue(help.out().contains("Exit status:"));
        Cli.Result version = mkfs("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().startsWith("mkfs.daxfs (daxfs) "), version.toString());
    }

    @Test
    void flushModesAreAccepted() throws Exception {
        Path img = dir.resolve("f.img");
        Cli.Result r = mkfs("-s", "8M", "-o", "flush=msync", img.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("flush:        msync"), r.toString());
    }
}
