package io.daxfs.core;

import static io.daxfs.core.FsFixture.bytes;
import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static io.daxfs.core.FsFixture.read;
import static io.daxfs.core.FsFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.fs.DaxFileSystem;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 point 2: a device filled with data still lets you delete and shrink, as ext4 does. A
 * reserve of blocks is kept from file data and new inodes; metadata-only changes may use half of
 * it, and changes that free space all of it.
 */
class MetadataReserveTest {
    private static final long MIB = 1 << 20;

    @Test
    void aDeviceFullOfDataStillUnlinksShrinksChmodsAndRemovesDirectories() {
        DaxDevice device = formattedDevice(8 * MIB);
        try (DaxFileSystem fs = mount(device)) {
            long root = fs.rootIno();
            long victim = createFile(fs, root, "victim");
            write(fs, victim, 0, new byte[256 * 1024]);
            long shrink = createFile(fs, root, "shrink");
            write(fs, shrink, 0, pattern(100_000));
            long dir = fs.mkdir(root, "dir", 0755, 0, 0).ino();
            fs.setxattr(shrink, "user.k", bytes("v"), 0);
            fillWithData(fs, createFile(fs, root, "fill"));
            assertEquals(0, fs.statfs().availableBlocks(), "statfs: nothing available to data");
            assertTrue(fs.statfs().freeBlocks() > 0, "the reserve is free, as ext4 counts its reserved blocks");
            long free = fs.statfs().freeBlocks();
            createFile(fs, root, "new");
            assertEquals(free, fs.statfs().freeBlocks(), "a new inode takes a free log slot of a packed page, no block");
            fs.unlink(root, "new");

            fs.chmod(shrink, 0600);
            fs.utimens(shrink, 1, 2, 3, 4);
            exhaustMetadataHalf(fs, fs.lookup(root, "fill"));

            free = fs.statfs().freeBlocks();
            fs.removexattr(shrink, "user.k");
            fs.truncate(shrink, 40_001);
            assertArrayEquals(java.util.Arrays.copyOf(pattern(100_000), 40_001), read(fs, shrink, 0, 100_000));
            fs.rmdir(root, "dir");
            fs.unlink(root, "victim");
            fs.syncfs();
            assertTrue(fs.statfs().freeBlocks() >= free + 64 + 14 - 4,
                    "the space came back: " + free + " then " + fs.statfs().freeBlocks());
            createFile(fs, root, "after");
            fs.chmod(fs.lookup(root, "fill"), 0644);
        }
        CheckReport report = Checker.check(device);
        assertTrue(report.clean(), report.problems().toString());
    }

    /** Writes until ENOSPC, in large pieces and then in single pages. */
    private static void fillWithData(DaxFileSystem fs, long ino) {
        long offset = 0;
        for (int piece : new int[] {256 * 1024, 4096}) {
            try {
                while (true) {
                    offset += write(fs, ino, offset, new byte[piece]);
                }
            } catch (FsException e) {
                assertEquals(Errno.ENOSPC, e.errno());
            }
        }
    }

    /** Metadata-only changes until ENOSPC: they may take half the reserve, never the rest. */
    private static void exhaustMetadataHalf(DaxFileSystem fs, long ino) {
        for (int i = 0; i < 100_000; i++) {
            try {
                fs.setxattr(ino, "user.grow" + i, new byte[200], 0);
            } catch (FsException e) {
                assertEquals(Errno.ENOSPC, e.errno());
                assertTrue(fs.statfs().freeBlocks() >= 8, "half the reserve is left: " + fs.statfs().freeBlocks());
                return;
            }
        }
        throw new AssertionError("metadata changes never ran out of space");
    }

    private static byte[] pattern(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    private static Errno errno(Runnable r) {
        try {
            r.run();
        } catch (FsException e) {
            return e.errno();
        }
        throw new AssertionError("no error");
    }
}
