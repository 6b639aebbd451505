package io.daxfs.core.dax;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static io.daxfs.core.FsFixture.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.file.FileData;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Seed 002, option 2: blocks that a live mapping pins are never handed out again while it lives,
 * whatever happens to the file, and come back when it closes.
 */
class PinnedBlocksTest {
    private static final int MIB = 1 << 20;
    private static final int MAPPED = 256 * 1024;

    /** Maps a file of secret bytes, lets {@code release} drop its blocks, fills the device, checks. */
    private void checkPinnedBlocksSurvive(BiConsumer<DaxFileSystem, Long> release) {
        DaxDevice device = formattedDevice(8 * MIB);
        try (DaxFileSystem fs = mount(device)) {
            long secret = createFile(fs, fs.rootIno(), "secret");
            byte[] pattern = new byte[MAPPED];
            Arrays.fill(pattern, (byte) 0x77);
            fs.write(secret, 0, MemorySegment.ofArray(pattern));
            DaxMapping mapping = fs.map(secret, 0, MAPPED, DaxMapping.Mode.READ);
            long freeBefore = fs.statfs().freeBlocks();

            release.accept(fs, secret);
            assertEquals(MAPPED, fs.stats().deferredBytes(), "the released blocks wait for the pin");
            assertTrue(fs.statfs().freeBlocks() < freeBefore + MAPPED / 4096, "deferred blocks do not count as free");

            int files = fillDevice(fs);
            assertArrayEquals(pattern, mapping.segment().toArray(Layouts.BYTE), "the mapping still reads the old bytes");
            for (int i = 0; i < files; i++) {
                byte[] content = readAll(fs, fs.lookup(fs.rootIno(), "fill" + i));
                for (byte b : content) {
                    assertTrue(b != 0x77, "another file must never contain the pinned bytes");
                }
            }
            long freeWhileMapped = fs.statfs().freeBlocks();
            mapping.close();
            assertEquals(0, fs.stats().deferredBytes());
            assertEquals(freeWhileMapped + MAPPED / 4096, fs.statfs().freeBlocks(), "the space comes back");
            assertThrows(IllegalStateException.class, () -> mapping.segment().get(Layouts.BYTE, 0));
        }
    }

    private static int fillDevice(DaxFileSystem fs) {
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) 0x11);
        int files = 0;
        try {
            while (true) {
                long f = createFile(fs, fs.rootIno(), "fill" + files++);
                fs.write(f, 0, MemorySegment.ofArray(chunk));
            }
        } catch (FsException e) {
            assertEquals(Errno.ENOSPC, e.errno());
        }
        return files - 1;
    }

    @Test
    void truncate() {
        checkPinnedBlocksSurvive((fs, ino) -> fs.truncate(ino, 0));
    }

    @Test
    void unlinkOfTheLastName() {
        checkPinnedBlocksSurvive((fs, ino) -> fs.unlink(fs.rootIno(), "secret"));
    }

    @Test
    void punchHole() {
        checkPinnedBlocksSurvive((fs, ino) -> fs.fallocate(ino, FileData.PUNCH_HOLE | FileData.KEEP_SIZE, 0, MAPPED));
    }

    /** The partial first page is replaced copy-on-write (zero-range and write() go in place under a mapping). */
    @Test
    void copyOnWriteReplacement() {
        checkPinnedBlocksSurvive((fs, ino) -> fs.fallocate(ino, FileData.PUNCH_HOLE | FileData.KEEP_SIZE, 100,
                MAPPED - 100));
    }

    @Test
    void writeIntoAMappedRangeIsSeenThroughTheMapping() {
        try (DaxFileSystem fs = mount(formattedDevice(8 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            fs.write(f, 0, MemorySegment.ofArray(new byte[3 * 4096]));
            DaxMapping mapping = fs.map(f, 0, 3 * 4096, DaxMapping.Mode.READ_WRITE);
            fs.write(f, 4090, MemorySegment.ofArray("through write()".getBytes()));
            assertEquals('t', (char) mapping.segment().get(Layouts.BYTE, 4090));
            mapping.segment().set(Layouts.BYTE, 100, (byte) 'M');
            mapping.persist(100, 1);
            assertEquals('M', (char) FsFixtureBytes.at(fs, f, 100));
            mapping.close();
        }
    }

    @Test
    void mappingAHoleAndPastEofAllocatesZeros() {
        try (DaxFileSystem fs = mount(formattedDevice(8 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            fs.write(f, 8192, MemorySegment.ofArray("x".getBytes()));
            try (DaxMapping m = fs.map(f, 0, 5 * 4096, DaxMapping.Mode.READ_WRITE)) {
                assertEquals(0, m.segment().get(Layouts.BYTE, 0));
                assertEquals('x', (char) m.segment().get(Layouts.BYTE, 8192));
                assertEquals(0, m.segment().get(Layouts.BYTE, 5 * 4096 - 1));
                assertEquals(8193, fs.getattr(f).size(), "mapping past EOF does not change the size");
                assertEquals(5 * 8, fs.getattr(f).blocks());
            }
            assertEquals(Errno.EINVAL, assertThrows(FsException.class, () -> fs.map(f, 100, 10, DaxMapping.Mode.READ)).errno());
        }
    }

    @Test
    void closingTheFilesystemInvalidatesMappings() {
        DaxFileSystem fs = mount(formattedDevice(8 * MIB));
        long f = createFile(fs, fs.rootIno(), "f");
        fs.write(f, 0, MemorySegment.ofArray(new byte[4096]));
        DaxMapping m = fs.map(f, 0, 4096, DaxMapping.Mode.READ_WRITE);
        assertEquals(1, fs.liveMappings().size());
        assertTrue(fs.liveMappings().getFirst().toString().contains("inode " + f));
        fs.close();
        assertFalse(m.isOpen());
        assertThrows(IllegalStateException.class, () -> m.segment().get(Layouts.BYTE, 0));
    }

    @Test
    void crashWithPinsOutstandingFreesTheBlocksOnRecovery() {
        DaxDevice device = formattedDevice(8 * MIB);
        DaxFileSystem fs = mount(device);
        long f = createFile(fs, fs.rootIno(), "f");
        fs.write(f, 0, MemorySegment.ofArray(new byte[MAPPED]));
        long freeWithFile = fs.statfs().freeBlocks();
        fs.map(f, 0, MAPPED, DaxMapping.Mode.READ);
        fs.truncate(f, 0);
        assertEquals(freeWithFile, fs.statfs().freeBlocks());
        byte[] crashImage = MemoryDevice.snapshot(device);
        try (DaxFileSystem again = mount(MemoryDevice.fromImage(crashImage))) {
            assertEquals(freeWithFile + MAPPED / 4096, again.statfs().freeBlocks(), "pins are gone after restart");
            assertEquals(0, again.stats().deferredBytes());
        }
    }

    @Test
    void statsAndDaxFlagThroughVirtualXattrs() {
        try (DaxFileSystem fs = mount(formattedDevice(8 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            fs.write(f, 0, MemorySegment.ofArray(new byte[MAPPED]));
            try (DaxMapping m = fs.map(f, 0, MAPPED, DaxMapping.Mode.READ)) {
                fs.truncate(f, 0);
                String stats = new String(fs.getxattr(fs.rootIno(), DaxFileSystem.STATS_XATTR));
                assertTrue(stats.contains("pinned_bytes " + MAPPED), stats);
                assertTrue(stats.contains("deferred_bytes " + MAPPED), stats);
                assertTrue(stats.contains("mapping ino=" + f + " offset=0 length=" + MAPPED + " mode=READ age_ms="), stats);
            }
            assertEquals("0", new String(fs.getxattr(f, DaxFileSystem.DAX_XATTR)));
            fs.setxattr(fs.rootIno(), DaxFileSystem.DAX_XATTR, "1".getBytes(), 0);
            long g = createFile(fs, fs.rootIno(), "g");
            assertEquals("1", new String(fs.getxattr(g, DaxFileSystem.DAX_XATTR)), "inherited from the directory");
            assertEquals(io.daxfs.core.Attributes.FLAG_DAX, fs.getattr(g).flags());
            assertEquals(Errno.EINVAL, assertThrows(FsException.class,
                    () -> fs.setxattr(g, DaxFileSystem.DAX_XATTR, "yes".getBytes(), 0)).errno());
            assertFalse(fs.listxattr(g).contains(DaxFileSystem.DAX_XATTR));
        }
    }
}
