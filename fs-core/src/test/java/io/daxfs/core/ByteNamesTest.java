package io.daxfs.core;

import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Names and symlink targets are bytes (issue 13 point 10): 255 bytes of 0xff as a file name, an
 * xattr name and a symlink target survive creation, log compaction, a clean remount and a crash
 * rebuild unchanged, and the checker accepts them.
 */
class ByteNamesTest {
    private static final byte[] FF = filled(255, 0xff);
    private static final Name FF_NAME = Name.of(FF);

    private static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void invalidUtf8NamesSurviveCompactionRemountAndCrash() {
        DaxDevice device = formattedDevice(16 << 20);
        long file;
        long link;
        try (DaxFileSystem fs = mount(device)) {
            file = fs.create(fs.rootIno(), FF_NAME, FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino();
            fs.setxattr(file, FF_NAME, new byte[] {1, 2, 3}, 0);
            link = fs.symlink(fs.rootIno(), Name.of(filled(200, 0xfe)), FF, 0, 0).ino();
            // Enough changes to the root and the file that both logs are compacted several times.
            for (int i = 0; i < 300; i++) {
                fs.setxattr(file, "user.churn", new byte[] {(byte) i}, 0);
                fs.create(fs.rootIno(), "tmp", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0);
                fs.unlink(fs.rootIno(), "tmp");
            }
            assertTrue(fs.volume().inode(file).log().usedBytes() < 4 * 4096, "the file's log was compacted");
            assertTrue(fs.volume().inode(fs.rootIno()).log().usedBytes() < 4 * 4096, "the root's log was compacted");
            assertSame(fs, file, link);
        }
        assertClean(device);
        try (DaxFileSystem fs = mount(device)) {
            assertSame(fs, file, link);
            fs.setxattr(file, "user.after", new byte[] {9}, 0); // the mount is dirty from here on
            byte[] crashed = MemoryDevice.snapshot(device);
            DaxDevice rebuilt = MemoryDevice.fromImage(crashed);
            assertClean(rebuilt);
            try (DaxFileSystem again = mount(rebuilt)) {
                assertSame(again, file, link);
            }
        }
    }

    private static void assertSame(DaxFileSystem fs, long file, long link) {
        assertEquals(file, fs.lookup(fs.rootIno(), FF_NAME));
        List<DirEntry> entries = fs.readdir(fs.rootIno(), 0, 100);
        assertTrue(entries.stream().anyMatch(e -> e.name().equals(FF_NAME) && e.name().length() == 255),
                "readdir lists the 255-byte name as it is: " + entries);
        assertTrue(fs.listxattr(file).contains(FF_NAME));
        assertArrayEquals(new byte[] {1, 2, 3}, fs.getxattr(file, FF_NAME));
        assertArrayEquals(FF, fs.readlink(link));
        assertEquals(255, fs.getattr(link).size());
    }

    private static void assertClean(DaxDevice device) {
        CheckReport report = Checker.check(device);
        assertTrue(report.errors().isEmpty(), report.toString());
    }

    @Test
    void namesAreAnyBytesButSlashAndNul() {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            long root = fs.rootIno();
            fs.mkdir(root, Name.of(new byte[] {(byte) 0x80, '\n', 0x7f}), 0755, 0, 0);
            assertEquals(Errno.EINVAL, errno(() -> fs.mkdir(root, Name.of(new byte[] {'a', '/', 'b'}), 0755, 0, 0)));
            assertEquals(Errno.EINVAL, errno(() -> fs.mkdir(root, Name.of(new byte[] {'a', 0}), 0755, 0, 0)));
            assertEquals(Errno.EINVAL, errno(() -> fs.mkdir(root, Name.of(new byte[0]), 0755, 0, 0)));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.mkdir(root, Name.of(filled(256, 'x')), 0755, 0, 0)));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.lookup(root, Name.of(filled(256, 0xff)))));
            assertEquals(Errno.ERANGE, errno(() -> fs.setxattr(root, Name.of(filled(256, 0xff)), new byte[1], 0)));
            assertEquals(Errno.EINVAL, errno(() -> fs.symlink(root, "l", new String(new char[] {'a', 0}), 0, 0)));
            // Distinct byte strings are distinct names, even where UTF-8 decoding would merge them.
            fs.create(root, Name.of(new byte[] {(byte) 0xff}), FileKind.REGULAR.typeBits() | 0644, 0, 0, 0);
            fs.create(root, Name.of(new byte[] {(byte) 0xfe}), FileKind.REGULAR.typeBits() | 0644, 0, 0, 0);
            assertEquals(3, fs.readdir(root, 0, 10).size());
        }
    }

    private static Errno errno(Runnable r) {
        return assertThrows(FsException.class, r::run).errno();
    }
}
