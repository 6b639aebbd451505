package io.daxfs.core.dax;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.format.Layout;
import io.daxfs.core.fs.DaxFileSystem;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 point 1: map() checks its range as write, truncate and fallocate do, and never commits
 * anything for a range it refuses.
 */
class MapRangeTest {
    private static final int MIB = 1 << 20;

    private static Errno mapErrno(DaxFileSystem fs, long ino, long offset, long length) {
        return assertThrows(FsException.class, () -> fs.map(ino, offset, length, DaxMapping.Mode.READ_WRITE)).errno();
    }

    @Test
    void rangesPastTheLargestFileSizeAreRefusedWithAnErrnoAndLeaveNoTrace() {
        DaxDevice device = formattedDevice(8 * MIB);
        try (DaxFileSystem fs = mount(device)) {
            long f = createFile(fs, fs.rootIno(), "f");
            long logBefore = fs.volume().inode(f).log().tail();
            long freeBefore = fs.statfs().freeBlocks();

            assertEquals(Errno.EFBIG, mapErrno(fs, f, Layout.MAX_FILE_SIZE, 4096));
            assertEquals(Errno.EFBIG, mapErrno(fs, f, Layout.MAX_FILE_SIZE - 4096, 8192));
            assertEquals(Errno.EFBIG, mapErrno(fs, f, 0, Long.MAX_VALUE));
            assertEquals(Errno.EFBIG, mapErrno(fs, f, 4096, Long.MAX_VALUE - 100));
            assertEquals(Errno.EINVAL, mapErrno(fs, f, -4096, 4096));
            assertEquals(Errno.EINVAL, mapErrno(fs, f, 0, 0));

            assertEquals(logBefore, fs.volume().inode(f).log().tail(), "nothing was committed");
            assertEquals(freeBefore, fs.statfs().freeBlocks(), "nothing was allocated");
            try (DaxMapping last = fs.map(f, Layout.MAX_FILE_SIZE - 4096, 4096, DaxMapping.Mode.READ_WRITE)) {
                assertEquals(Layout.MAX_FILE_SIZE - 4096, last.fileOffset(), "the last page is still mappable");
            }
        }
        assertTrue(Checker.check(device).errors().isEmpty(), Checker.check(device).toString());
        try (DaxFileSystem again = mount(device)) {
            long f = again.lookup(again.rootIno(), "f");
            assertEquals(0, again.getattr(f).size());
            assertEquals(0, again.read(f, 0, java.lang.foreign.MemorySegment.ofArray(new byte[16])));
        }
    }
}
