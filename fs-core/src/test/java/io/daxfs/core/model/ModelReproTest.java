package io.daxfs.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.FsException;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.device.SegmentDevice;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Minimal reproductions of differences the model-based test found, as fixed operation lists. */
class ModelReproTest {
    private static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /**
     * An operation that fails with ENOSPC must have changed nothing. Here setxattr commits, then
     * log compaction of the same inode (run inside the operation) cannot get pages for the fresh
     * log and its ENOSPC escapes: the caller is told the operation failed, yet the new value is
     * there, and durable.
     *
     * <p>Operations: format 1 MiB; create /f; setxattr f user.b, user.c, user.d (3584 bytes each,
     * so f's live state needs 4 log pages); create /fill and write 4 KiB blocks until ENOSPC;
     * truncate /fill to free 5 blocks; setxattr(f, user.a, 3584 x 0x01); setxattr(f, user.a, 3584 x 0x02).
     */
    @Test
    void enospcFromCompactionAfterACommittedSetxattrLeavesNoChange() {
        SegmentDevice device = MemoryDevice.allocate(1 << 20);
        DaxFileSystem.format(device, FormatOptions.defaults());
        DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults());
        long root = fs.rootIno();
        long f = fs.create(root, "f", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino();
        for (String name : new String[] {"user.b", "user.c", "user.d"}) {
            fs.setxattr(f, name, new byte[3584], 0);
        }
        long fill = fs.create(root, "fill", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino();
        long size = 0;
        try {
            while (true) {
                size += fs.write(fill, size, MemorySegment.ofArray(new byte[4096]));
            }
        } catch (FsException e) {
            assertEquals(Errno.ENOSPC, e.errno());
        }
        fs.truncate(fill, size - 5 * 4096);
        byte[] expected = null;
        for (int value = 1; value <= 6; value++) {
            byte[] v = filled(3584, value);
            try {
                fs.setxattr(f, "user.a", v, 0);
                expected = v;
            } catch (FsException e) {
                assertEquals(Errno.ENOSPC, e.errno());
                byte[] now;
                try {
                    now = fs.getxattr(f, "user.a");
                } catch (FsException absent) {
                    now = null;
                }
                assertArrayEquals(expected, now, "setxattr #" + value + " (value " + value
                        + ") failed with ENOSPC, so user.a must still hold its previous value");
                break;
            }
        }
        fs.close();
        device.close();
    }

    /**
     * symlink(2) with a target of 4096 bytes (PATH_MAX with its NUL) fails with ENAMETOOLONG on
     * Linux whatever the state of the filesystem; fs-core reserves an inode first and so reports
     * ENOSPC when the inode table is full.
     *
     * <p>Operations: format 1 MiB with 64 inodes; create /0 .. /62 until the table is full
     * (ENOSPC); symlink(/, "s", 4096 x 't').
     */
    @Test
    void symlinkWithTooLongTargetIsEnametoolongEvenWhenInodesRunOut() {
        SegmentDevice device = MemoryDevice.allocate(1 << 20);
        DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(64));
        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
            long root = fs.rootIno();
            try {
                for (int i = 0; ; i++) {
                    fs.create(root, Integer.toString(i), FileKind.REGULAR.typeBits() | 0644, 0, 0, 0);
                }
            } catch (FsException e) {
                assertEquals(Errno.ENOSPC, e.errno());
            }
            FsException e = org.junit.jupiter.api.Assertions.assertThrows(FsException.class,
                    () -> fs.symlink(root, "s", "t".repeat(4096), 0, 0));
            assertEquals(Errno.ENAMETOOLONG, e.errno(), e.getMessage());
        } finally {
            device.close();
        }
    }
}
