package io.daxfs.fsck;

import io.daxfs.core.device.DeviceUse;

import static io.daxfs.fsck.FsckRunner.fsck;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.MountOptions;
import io.daxfs.core.check.TestImages;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.volume.Volume;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: options, exit codes, quick check, -p, mounted devices, cancellation. */
class FsckCliTest {
    private static final byte[] IMAGE = TestImages.populated();

    @TempDir
    Path tmp;

    private Path file(String name, byte[] bytes) throws IOException {
        Path f = tmp.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    @Test
    void usageErrorsExit16AndHelpExits0() {
        assertEquals(FsckMain.USAGE, fsck().code());
        assertEquals(FsckMain.USAGE, fsck("-n", "-y", "x").code());
        assertEquals(FsckMain.USAGE, fsck("-py", "x").code());
        assertEquals(FsckMain.USAGE, fsck("-q", "x").code());
        assertEquals(FsckMain.USAGE, fsck("a", "b").code());
        FsckRunner help = fsck("--help");
        assertEquals(FsckMain.OK, help.code());
        assertTrue(help.out().contains("usage: fsck.daxfs [-n] [-y] [-p] [-f] [-v] DEVICE"));
        FsckRunner version = fsck("--version");
        assertEquals(FsckMain.OK, version.code());
        assertTrue(version.out().startsWith("fsck.daxfs (daxfs) "), version.out());
        assertTrue(version.out().contains("format version " + io.daxfs.core.format.Superblock.FORMAT_VERSION),
                version.out());
    }

    @Test
    void missingOrForeignDeviceIsAnOperationalError() throws IOException {
        assertEquals(FsckMain.OPERATIONAL_ERROR, fsck("-n", tmp.resolve("nope").toString()).code());
        FsckRunner zero = fsck("-fn", file("zero.img", new byte[1 << 20]).toString());
        assertEquals(FsckMain.OPERATIONAL_ERROR, zero.code(), zero.toString());
        assertTrue(zero.out().contains("no valid superblock"), zero.toString());
        FsckRunner tiny = fsck("-n", file("tiny.img", new byte[4096]).toString());
        assertEquals(FsckMain.OPERATIONAL_ERROR, tiny.code(), tiny.toString());
    }

    /** An image of the previous format version is refused with one line naming both versions, and left alone. */
    @Test
    void anOlderFormatVersionIsRefused() throws IOException {
        byte[] older;
        try (DaxDevice d = MemoryDevice.fromImage(IMAGE)) {
            Superblock sb = Superblock.read(d);
            new Superblock(Superblock.FORMAT_VERSION - 1, sb.features(), sb.totalBlocks(), sb.inodeCount(), sb.uuid(),
                    sb.label(), sb.state(), sb.createdNs(), sb.lastMountNs(), sb.lastWriteNs(), sb.mountCount(),
                    sb.freeList()).writeBoth(d);
            older = MemoryDevice.snapshot(d);
        }
        Path f = file("older.img", older);
        FsckRunner r = fsck("-fy", f.toString());
        assertEquals(FsckMain.OPERATIONAL_ERROR, r.code(), r.toString());
        assertTrue(r.out().contains("cannot check this filesystem (unsupported format)"), r.toString());
        assertTrue(r.out().contains("format version " + (Superblock.FORMAT_VERSION - 1) + " is not supported"),
                r.toString());
        assertArrayEquals(older, Files.readAllBytes(f), "an image of another version must not be written");
    }

    @Test
    void cleanImageIsQuickUnlessForced() throws IOException {
        Path f = file("clean.img", IMAGE);
        FsckRunner quick = fsck("-n", f.toString());
        assertEquals(FsckMain.OK, quick.code());
        assertTrue(quick.out().contains(": clean, 13/1023 inodes"), quick.toString());
        FsckRunner full = fsck("-fy", f.toString());
        assertEquals(FsckMain.OK, full.code(), full.toString());
        assertTrue(full.out().contains("7 files, 4 directories, 1 symlinks, 1 other"), full.toString());
        assertArrayEquals(IMAGE, Files.readAllBytes(f), "a clean image must not be written");
    }

    @Test
    void withoutModeItChecksOnlyAndSaysSo() throws IOException {
        byte[] bad;
        try (DaxDevice d = MemoryDevice.fromImage(IMAGE)) {
            try (DaxFileSystem fs = DaxFileSystem.mount(d, MountOptions.defaults())) {
                Volume v = fs.volume();
                var root = v.inode(1);
                v.begin().append(root, new DentryAdd(io.daxfs.core.Name.of("ghost"), 77, 0100000, root.directory().nextCookie(), 1)).commit();
            }
            bad = MemoryDevice.snapshot(d);
        }
        Path f = file("ghost.img", bad);
        FsckRunner r = fsck("-f", f.toString());
        assertEquals(FsckMain.UNCORRECTED, r.code(), r.toString());
        assertTrue(r.err().contains("checking only"), r.toString());
        assertTrue(r.out().contains("run fsck.daxfs -y"), r.toString());
        assertArrayEquals(bad, Files.readAllBytes(f));
        // -p may not drop a directory entry: it refuses and changes nothing
        FsckRunner preen = fsck("-fp", f.toString());
        assertEquals(FsckMain.UNCORRECTED, preen.code(), preen.toString());
        assertTrue(preen.out().contains("UNEXPECTED INCONSISTENCY"), preen.toString());
        assertArrayEquals(bad, Files.readAllBytes(f));
    }

    @Test
    void preenRepairsWhatIsSafe() throws IOException {
        byte[] bad;
        try (DaxDevice d = MemoryDevice.fromImage(IMAGE)) {
            Superblock sb = Superblock.read(d);
            d.zero(Layout.offsetOf(sb.totalBlocks() - 1), 512);
            d.fence();
            bad = MemoryDevice.snapshot(d);
        }
        Path f = file("backup.img", bad);
        // the quick check looks at both superblocks, so no -f is needed to notice this
        FsckRunner r = fsck("-p", f.toString());
        assertEquals(FsckMain.CORRECTED, r.code(), r.toString());
        assertEquals(FsckMain.OK, fsck("-fn", f.toString()).code());
    }

    @Test
    void crashedImageIsRecoveredWithoutCountingErrors() throws IOException {
        byte[] crashed;
        try (DaxDevice d = MemoryDevice.fromImage(IMAGE)) {
            DaxFileSystem fs = DaxFileSystem.mount(d, MountOptions.defaults());
            fs.mkdir(1, "new", 0755, 0, 0);
            crashed = MemoryDevice.snapshot(d); // never unmounted: dirty
        }
        Path f = file("crashed.img", crashed);
        FsckRunner check = fsck("-n", f.toString());
        assertEquals(FsckMain.OK, check.code(), check.toString());
        assertTrue(check.out().contains("note: filesystem was not cleanly unmounted"), check.toString());
        FsckRunner repair = fsck("-y", f.toString());
        assertEquals(FsckMain.OK, repair.code(), repair.toString());
        assertTrue(repair.out().contains("recovered after an unclean shutdown"), repair.toString());
        assertTrue(fsck("-n", f.toString()).out().contains("clean,"));
    }

    @Test
    void refusesToRepairALockedDevice() throws IOException {
        Path f = file("locked.img", IMAGE);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock lock = ch.lock()) {
            FsckRunner r = fsck("-fy", f.toString());
            assertEquals(FsckMain.OPERATIONAL_ERROR, r.code(), r.toString());
            assertTrue(r.err().contains("refusing to repair"), r.toString());
            // checking only is allowed
            assertEquals(FsckMain.OK, fsck("-fn", f.toString()).code());
        }
    }

    @Test
    void mountTableIsRead() throws IOException {
        Path dev = file("some image.img", IMAGE);
        String escaped = dev.toString().replace(" ", "\\040");
        List<String> lines = List.of("proc /proc proc rw 0 0", escaped + " /mnt/pm fuse.daxfs rw,nosuid 0 0");
        assertEquals("it is mounted on /mnt/pm (fuse.daxfs)", DeviceUse.mountedIn(dev, lines));
        assertNull(DeviceUse.mountedIn(file("other.img", IMAGE), lines));
    }

    @Test
    void cancelledCheckExits32() throws IOException {
        Path f = file("cancel.img", IMAGE);
        FsckRunner r = fsck(new AtomicBoolean(true), "-fn", f.toString());
        assertEquals(FsckMain.CANCELLED, r.code(), r.toString());
    }
}
