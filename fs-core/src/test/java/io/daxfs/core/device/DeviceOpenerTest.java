package io.daxfs.core.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.daxfs.nativeio.MapKind;
import io.daxfs.nativeio.NativePmem;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Opening devices by path: the choice of persistence mode, the refusals, and life after close. */
class DeviceOpenerTest {
    private static final Path SHM = Path.of("/dev/shm");
    /** A disk-backed directory: /tmp is ext4 here, but on machines where it is tmpfs /var/tmp is not. */
    private static final Path DISK = Path.of(System.getProperty("java.io.tmpdir"));

    private final List<Path> files = new ArrayList<>();

    @AfterEach
    void deleteFiles() throws IOException {
        for (Path file : files) {
            Files.deleteIfExists(file);
        }
    }

    private Path newPath(Path dir) {
        Path file = dir.resolve("daxfs-test-" + UUID.randomUUID() + ".img");
        files.add(file);
        return file;
    }

    private static Path diskDir() throws IOException {
        String type = Files.getFileStore(DISK).type();
        return type.equals("tmpfs") ? Path.of("/var/tmp") : DISK;
    }

    @Test
    void autoPicksNoneForAFileInDevShm() throws IOException {
        try (DaxDevice device = DaxDevice.open(newPath(SHM), DeviceOptions.defaults().withCreateSize(1 << 20))) {
            assertEquals(PersistenceMode.NONE, device.mode());
            assertEquals(1 << 20, device.size());
        }
    }

    @Test
    void autoPicksMsyncForAFileOnADisk() throws IOException {
        Path dir = diskDir();
        assumeTrue(!Files.getFileStore(dir).type().equals("tmpfs"), "no disk-backed temp directory");
        try (DaxDevice device = DaxDevice.open(newPath(dir), DeviceOptions.defaults().withCreateSize(1 << 20))) {
            assertEquals(PersistenceMode.MSYNC, device.mode());
            device.write(MemorySegment.ofArray(new byte[] {1, 2, 3}), 4000);
            device.flush(4000, 3);
            device.fence();
            assertEquals(0x030201, device.getInt(4000) & 0xffffff);
        }
    }

    @Test
    void explicitCpuOnAPlainFileUsesTheNativeLibraryWhenLoaded() throws IOException {
        try (DaxDevice device = DaxDevice.open(newPath(diskDir()),
                DeviceOptions.defaults().withCreateSize(1 << 20).withMode(PersistenceMode.CPU))) {
            assertEquals(PersistenceMode.CPU, device.mode());
            String expected = NativePmem.instance().isPresent() ? "native" : "java force";
            assertTrue(device.describe().contains(expected), device::describe);
        }
    }

    @Test
    void flushAndFenceWorkInEveryMode() throws IOException {
        byte[] data = new byte[10_000];
        java.util.Arrays.fill(data, (byte) 9);
        for (PersistenceMode mode : new PersistenceMode[] {PersistenceMode.NONE, PersistenceMode.MSYNC,
                PersistenceMode.CPU, PersistenceMode.AUTO}) {
            for (Path dir : new Path[] {SHM, diskDir()}) {
                try (DaxDevice device = DaxDevice.open(newPath(dir),
                        DeviceOptions.defaults().withCreateSize(1 << 20).withMode(mode))) {
                    device.write(MemorySegment.ofArray(data), 123);
                    device.flush(123, data.length);
                    device.flush(0, 0);
                    device.copyIn(MemorySegment.ofArray(data), 70_001);
                    device.zero(200_000, 5000);
                    device.storeRelease(8, 77);
                    device.flush(8, 8);
                    device.fence();
                    assertEquals(77, device.getLong(8), mode + " " + dir);
                    assertEquals(-1, device.directAccess(123, data.length).mismatch(MemorySegment.ofArray(data)));
                    assertEquals(-1, device.directAccess(70_001, data.length).mismatch(MemorySegment.ofArray(data)));
                }
            }
        }
    }

    @Test
    void javaFallbackOpsFlushInEveryMode() throws IOException {
        Path file = newPath(DISK);
        try (DaxDevice shape = DaxDevice.open(file, DeviceOptions.defaults().withCreateSize(1 << 16))) {
            MemorySegment range = shape.mapWritable(0, 1 << 16, Arena.ofShared());
            for (PersistenceMode mode : new PersistenceMode[] {PersistenceMode.NONE, PersistenceMode.MSYNC,
                    PersistenceMode.CPU}) {
                JavaPersistenceOps ops = new JavaPersistenceOps(mode, mode != PersistenceMode.NONE);
                ops.copyFlushcache(MemorySegment.ofArray(new byte[] {4, 5, 6}), 1, range, 100, 2);
                ops.zeroFlushcache(range, 100, 1);
                ops.flush(range, 4090, 10);
                ops.fence();
                assertEquals(6, range.get(ValueLayout.JAVA_BYTE, 101));
                assertEquals(0, range.get(ValueLayout.JAVA_BYTE, 100));
            }
        }
    }

    @Test
    void missingDeviceDaxAndPmemSayWhatIsMissing() {
        NoSuchFileException dax = assertThrows(NoSuchFileException.class,
                () -> DaxDevice.open(Path.of("/dev/dax9.7"), DeviceOptions.defaults().withCreateSize(1 << 20)));
        assertTrue(dax.getMessage().contains("no such device-dax device"), dax::getMessage);
        assertTrue(dax.getMessage().contains("devdax"), dax::getMessage);
        NoSuchFileException pmem = assertThrows(NoSuchFileException.class,
                () -> DaxDevice.open(Path.of("/dev/pmem9"), DeviceOptions.defaults()));
        assertTrue(pmem.getMessage().contains("no such pmem device"), pmem::getMessage);
        assertTrue(Files.notExists(Path.of("/dev/dax9.7")), "a device path is never created as a file");
    }

    @Test
    void aCharacterDeviceThatIsNotDeviceDaxIsRefused() {
        IOException e = assertThrows(IOException.class, () -> DaxDevice.open(Path.of("/dev/null"), DeviceOptions.defaults()));
        assertTrue(e.getMessage().contains("/dev/null: character device 1:3 is not a device-dax device"), e::getMessage);
    }

    @Test
    void missingFileWithoutSizeAndEmptyFileAreRefused() throws IOException {
        Path missing = newPath(SHM);
        IOException absent = assertThrows(NoSuchFileException.class, () -> DaxDevice.open(missing, DeviceOptions.defaults()));
        assertTrue(absent.getMessage().contains("give a size"), absent::getMessage);
        Path tiny = newPath(SHM);
        Files.write(tiny, new byte[100]);
        IOException empty = assertThrows(IOException.class, () -> DaxDevice.open(tiny, DeviceOptions.defaults()));
        assertTrue(empty.getMessage().contains("device is empty"), empty::getMessage);
    }

    @Test
    void viewsOfAClosedFileDeviceFailCleanly() throws IOException {
        DaxDevice device = DaxDevice.open(newPath(SHM), DeviceOptions.defaults().withCreateSize(1 << 20)
                .withMode(PersistenceMode.CPU));
        MemorySegment view = device.directAccess(4096, 4096);
        MemorySegment writable = device.mapWritable(0, 4096, Arena.ofShared());
        device.close();
        device.close();
        assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> writable.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
        assertThrows(IllegalStateException.class, () -> device.getLong(0));
        assertThrows(IllegalStateException.class, () -> device.copyIn(MemorySegment.ofArray(new byte[64]), 0));
        assertThrows(IllegalStateException.class, () -> device.flush(0, 64));
    }

    @Test
    void viewsOfAClosedNativeMappingFailCleanly() throws IOException {
        NativePmem pmem = NativePmem.instance().orElse(null);
        assumeTrue(pmem != null, "native library not loaded");
        Path file = newPath(SHM);
        Files.write(file, new byte[2 << 20]);
        // The device-dax mapping code path, over a file since this machine has no /dev/dax.
        Arena arena = Arena.ofShared();
        MemorySegment mapping = pmem.map(file, 2 << 20, MapKind.DEVICE_DAX, false, arena);
        DaxDevice device = new SegmentDevice(mapping, arena, new NativePersistenceOps(pmem, PersistenceMode.CPU), "test mapping");
        device.copyIn(arena.allocate(8192).fill((byte) 3), 4096);
        assertEquals(3, device.directAccess(8191, 1).get(ValueLayout.JAVA_BYTE, 0));
        MemorySegment view = device.directAccess(0, 1 << 20);
        device.close();
        assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_LONG, 4096));
        assertThrows(IllegalStateException.class, () -> device.copyIn(MemorySegment.ofArray(new byte[64]), 0));
        assertThrows(IllegalStateException.class, () -> device.zero(0, 64));
        assertThrows(IllegalStateException.class, () -> device.flush(0, 64));
        assertEquals(3, Files.readAllBytes(file)[8191], "the stores reached the file before the unmap");
    }

    @Test
    void aSparseDeviceLargerThan2GiBMapsToItsLastPage() throws IOException {
        long size = 3L << 30;
        Path file = newPath(SHM);
        try (DaxDevice device = DaxDevice.open(file, DeviceOptions.defaults().withCreateSize(size))) {
            assertEquals(size, device.size());
            long last = size - 4096;
            device.copyIn(MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), last);
            device.storeRelease(size - 8, 0x1122334455667788L);
            device.fence();
            assertEquals(0x0807060504030201L, device.getLong(last));
            assertEquals(0x1122334455667788L, device.getLong(size - 8));
        }
        assertEquals(size, Files.size(file));
    }
}
