package io.daxfs.core;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static io.daxfs.core.FsFixture.read;
import static io.daxfs.core.FsFixture.readAll;
import static io.daxfs.core.FsFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.daxfs.core.file.FileData;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** lseek SEEK_DATA/SEEK_HOLE, copy_file_range, and set-id bits cleared by unprivileged writers. */
class SeekCopySetIdTest {
    private static final int PAGE = 4096;
    private static final int USER = 1000;

    private static Errno errno(Runnable r) {
        return assertThrows(FsException.class, r::run).errno();
    }

    @Test
    void seekDataAndHole() {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            long f = createFile(fs, fs.rootIno(), "f");
            // data in page 1, hole in pages 2-4, data in pages 5-6, hole until EOF at 10 pages + 100
            write(fs, f, PAGE + 10, new byte[100]);
            write(fs, f, 5 * PAGE, new byte[2 * PAGE]);
            fs.truncate(f, 10 * PAGE + 100);
            assertEquals(PAGE, fs.seekData(f, 0));
            assertEquals(PAGE + 7, fs.seekData(f, PAGE + 7));
            assertEquals(5 * PAGE, fs.seekData(f, 2 * PAGE));
            assertEquals(0, fs.seekHole(f, 0));
            assertEquals(2 * PAGE, fs.seekHole(f, PAGE));
            assertEquals(7 * PAGE, fs.seekHole(f, 5 * PAGE + 1));
            assertEquals(9 * PAGE, fs.seekHole(f, 9 * PAGE));
            assertEquals(Errno.ENXIO, errno(() -> fs.seekData(f, 7 * PAGE)), "only a hole follows");
            assertEquals(Errno.ENXIO, errno(() -> fs.seekData(f, 10 * PAGE + 100)), "at EOF");
            assertEquals(Errno.ENXIO, errno(() -> fs.seekHole(f, 1L << 40)), "past EOF");
            assertEquals(Errno.ENXIO, errno(() -> fs.seekHole(f, -1)));
            // fallocated blocks count as data; data ending at EOF makes EOF the hole
            fs.fallocate(f, 0, 7 * PAGE, 3 * PAGE + 100);
            assertEquals(7 * PAGE, fs.seekData(f, 7 * PAGE));
            assertEquals(10 * PAGE + 100, fs.seekHole(f, 5 * PAGE));
            long d = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
            assertEquals(Errno.EISDIR, errno(() -> fs.seekData(d, 0)));
        }
    }

    @Test
    void copyFileRangeCopiesBytesAndStopsAtEof() {
        try (DaxFileSystem fs = mount(formattedDevice(16 << 20))) {
            long src = createFile(fs, fs.rootIno(), "src");
            long dst = createFile(fs, fs.rootIno(), "dst");
            byte[] data = new byte[3 * (1 << 20) + 777]; // several chunks
            new Random(5).nextBytes(data);
            write(fs, src, 0, data);
            fs.fallocate(src, FileData.PUNCH_HOLE | FileData.KEEP_SIZE, PAGE, 2 * PAGE);
            byte[] expected = readAll(fs, src);
            assertEquals(data.length - 1000, fs.copyFileRange(src, 1000, dst, 50, data.length, USER));
            assertArrayEquals(java.util.Arrays.copyOfRange(expected, 1000, expected.length),
                    read(fs, dst, 50, data.length));
            assertEquals(0, fs.copyFileRange(src, data.length, dst, 0, 10, USER), "at the source's EOF");
            assertEquals(10, fs.copyFileRange(src, 0, src, 100, 10, USER));
            assertArrayEquals(read(fs, src, 0, 10), read(fs, src, 100, 10), "one file, ranges apart");
            assertEquals(Errno.EINVAL, errno(() -> fs.copyFileRange(src, 0, src, 5, 10, USER)), "overlap");
            long d = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
            assertEquals(Errno.EISDIR, errno(() -> fs.copyFileRange(d, 0, dst, 0, 10, USER)));
            assertEquals(Errno.EINVAL, errno(() -> fs.copyFileRange(src, -1, dst, 0, 10, USER)));
        }
    }

    @Test
    void unprivilegedWriteTruncateFallocateAndCopyClearSetIdBits() {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            long root = fs.rootIno();
            long f = createFile(fs, root, "f");
            MemorySegment one = MemorySegment.ofArray(new byte[] {1});
            fs.chmod(f, 06755);
            fs.write(f, 0, one, DaxFileSystem.ROOT_UID);
            assertEquals(06755, mode(fs, f), "root keeps them");
            fs.write(f, 0, one, USER);
            assertEquals(0755, mode(fs, f), "S_ISUID always, S_ISGID with group-exec");
            fs.chmod(f, 06745);
            fs.truncate(f, 10, USER);
            assertEquals(02745, mode(fs, f), "S_ISGID without group-exec stays");
            fs.chmod(f, 04755);
            fs.fallocate(f, 0, 0, PAGE, USER);
            assertEquals(0755, mode(fs, f));
            long src = createFile(fs, root, "src");
            write(fs, src, 0, new byte[] {1, 2, 3});
            fs.chmod(f, 06777);
            fs.copyFileRange(src, 0, f, 0, 3, USER);
            assertEquals(0777, mode(fs, f));
            fs.chmod(f, 06777);
            fs.write(f, 0, MemorySegment.ofArray(new byte[0]), USER);
            assertEquals(06777, mode(fs, f), "an empty write changes nothing");
        }
    }

    private static int mode(DaxFileSystem fs, long ino) {
        return fs.getattr(ino).mode() & 07777;
    }
}
