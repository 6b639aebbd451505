package io.daxfs.core;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static io.daxfs.core.FsFixture.readAll;
import static io.daxfs.core.FsFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.Layout;
import io.daxfs.core.fs.DaxFileSystem;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** O_TMPFILE ({@link DaxFileSystem#tmpfile}) and linkat of such a file. Crash atomicity: CrashOps. */
class TmpfileTest {
    private static final byte[] DATA = FsFixture.bytes("unnamed data");

    private static Errno errno(Runnable r) {
        return assertThrows(FsException.class, r::run).errno();
    }

    @Test
    void unnamedFileGetsANameAndSurvivesRemountAndCrash() {
        DaxDevice device = formattedDevice(8 << 20);
        long ino;
        try (DaxFileSystem fs = mount(device)) {
            long d = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
            Attributes a = fs.tmpfile(d, 0640, 7, 8);
            ino = a.ino();
            assertEquals(0, a.nlink());
            assertEquals(FileKind.REGULAR, a.kind());
            assertEquals(0640, a.mode() & 07777);
            assertEquals(0, fs.readdir(d, 0, 10).size(), "no name anywhere");
            assertEquals(1, fs.volume().orphans().usedCount());
            write(fs, ino, 0, DATA);
            assertEquals(1, fs.link(ino, d, "named").nlink());
            assertEquals(0, fs.volume().orphans().usedCount(), "linkat takes it off the orphan list");
            fs.release(ino);
            assertArrayEquals(DATA, readAll(fs, fs.lookup(d, "named")));
            assertTrue(Checker.check(device).errors().isEmpty());
            byte[] crashed = MemoryDevice.snapshot(device);
            try (DaxFileSystem again = mount(MemoryDevice.fromImage(crashed))) {
                assertArrayEquals(DATA, readAll(again, again.lookup(again.lookup(again.rootIno(), "d"), "named")));
            }
        }
        try (DaxFileSystem fs = mount(device)) {
            assertEquals(ino, fs.lookup(fs.lookup(fs.rootIno(), "d"), "named"));
            assertEquals(1, fs.getattr(ino).nlink());
        }
    }

    @Test
    void unnamedFileIsReclaimedAtReleaseUnmountAndAfterACrash() {
        DaxDevice device = formattedDevice(8 << 20);
        try (DaxFileSystem fs = mount(device)) {
            long free = fs.statfs().freeBlocks();
            long freeInodes = fs.statfs().freeInodes();
            long ino = fs.tmpfile(fs.rootIno(), 0600, 0, 0).ino();
            write(fs, ino, 0, new byte[40_000]);
            fs.release(ino);
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr(ino)));
            assertEquals(free, fs.statfs().freeBlocks());
            assertEquals(freeInodes, fs.statfs().freeInodes());

            long open = fs.tmpfile(fs.rootIno(), 0600, 0, 0).ino();
            write(fs, open, 0, new byte[40_000]);
            byte[] crashed = MemoryDevice.snapshot(device);
            DaxDevice rebuilt = MemoryDevice.fromImage(crashed);
            assertTrue(Checker.check(rebuilt).errors().isEmpty(), Checker.check(rebuilt).toString());
            try (DaxFileSystem again = mount(rebuilt)) {
                assertEquals(Errno.ENOENT, errno(() -> again.getattr(open)), "a crash reclaims it");
                assertEquals(free, again.statfs().freeBlocks());
                assertEquals(0, again.volume().orphans().usedCount());
            }
        }
        try (DaxFileSystem fs = mount(device)) { // the unmount above reaped the open one
            assertEquals(0, fs.volume().orphans().usedCount());
            assertTrue(Checker.check(device).errors().isEmpty());
        }
    }

    @Test
    void onlyUnnamedFilesMayBeLinkedFromNoName() {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            long root = fs.rootIno();
            long f = createFile(fs, root, "f");
            fs.open(f);
            fs.unlink(root, "f");
            assertEquals(Errno.ENOENT, errno(() -> fs.link(f, root, "back")), "an unlinked file stays unlinked");
            long t = fs.tmpfile(root, 0600, 0, 0).ino();
            fs.link(t, root, "one");
            assertEquals(2, fs.link(t, root, "two").nlink());
            fs.unlink(root, "one");
            fs.unlink(root, "two");
            assertEquals(Errno.ENOENT, errno(() -> fs.link(t, root, "three")), "named once, it is an ordinary file");
            long dir = fs.mkdir(root, "d", 0755, 0, 0).ino();
            assertEquals(Errno.ENOTDIR, errno(() -> fs.tmpfile(t, 0600, 0, 0)));
            fs.rmdir(root, "d");
            assertEquals(Errno.ENOENT, errno(() -> fs.tmpfile(dir, 0600, 0, 0)));
            fs.release(f);
            fs.release(t);
        }
    }

    @Test
    void fullOrphanListGivesEnospcAndGivesEverythingBack() {
        try (DaxFileSystem fs = mount(formattedDevice(64 << 20))) {
            long freeInodes = fs.statfs().freeInodes();
            long free = fs.statfs().freeBlocks();
            long[] open = new long[Layout.ORPHAN_SLOTS];
            for (int i = 0; i < open.length; i++) {
                open[i] = fs.tmpfile(fs.rootIno(), 0600, 0, 0).ino();
            }
            assertEquals(Errno.ENOSPC, errno(() -> fs.tmpfile(fs.rootIno(), 0600, 0, 0)));
            assertEquals(freeInodes - open.length, fs.statfs().freeInodes(), "the refused one took no inode");
            Arrays.stream(open).forEach(fs::release);
            assertEquals(freeInodes, fs.statfs().freeInodes());
            assertEquals(free, fs.statfs().freeBlocks());
        }
    }
}
