package io.daxfs.core.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.daxfs.nativeio.NativePmem;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checks {@link SegmentDevice} makes for its persistence operations, which trust the ranges
 * they get (the native ones write and flush raw addresses): a range outside the device or the
 * source, a read-only device and a closed source are refused before any operation runs, on every
 * kind of operations.
 */
class SegmentDeviceTest {
    private static final long SIZE = 1 << 16;

    /** Every kind of operations this machine has, each over a fresh memory device. */
    private static List<SegmentDevice> devices() {
        List<SegmentDevice> devices = new ArrayList<>();
        for (PersistenceOps ops : new PersistenceOps[] {JavaPersistenceOps.none(),
                new JavaPersistenceOps(PersistenceMode.CPU, true)}) {
            devices.add(memoryDevice(ops));
        }
        NativePmem.instance().ifPresent(pmem -> {
            devices.add(memoryDevice(new NativePersistenceOps(pmem, PersistenceMode.CPU)));
            devices.add(memoryDevice(new NativePersistenceOps(pmem, PersistenceMode.NONE)));
        });
        return devices;
    }

    private static SegmentDevice memoryDevice(PersistenceOps ops) {
        Arena arena = Arena.ofShared();
        return new SegmentDevice(arena.allocate(SIZE, 4096), arena, ops, "test memory");
    }

    @Test
    void rangesOutsideTheDeviceOrTheSourceAreRefused() {
        MemorySegment src = Arena.ofAuto().allocate(4096).fill((byte) 7);
        MemorySegment heapSrc = MemorySegment.ofArray(new byte[4096]);
        for (SegmentDevice device : devices()) {
            try (device) {
                String what = device.describe();
                for (MemorySegment s : new MemorySegment[] {src, heapSrc}) {
                    assertThrows(IndexOutOfBoundsException.class, () -> device.copyIn(s, SIZE - 100), what);
                    assertThrows(IndexOutOfBoundsException.class, () -> device.copyIn(s, -8), what);
                    assertThrows(IndexOutOfBoundsException.class, () -> device.copyIn(s, 1, 4096, 0), what);
                    assertThrows(IndexOutOfBoundsException.class, () -> device.copyIn(s, -1, 8, 0), what);
                    assertThrows(IndexOutOfBoundsException.class, () -> device.copyIn(s, 0, -1, 0), what);
                }
                assertThrows(IndexOutOfBoundsException.class, () -> device.zero(SIZE - 8, 9), what);
                assertThrows(IndexOutOfBoundsException.class, () -> device.zero(-4096, 4096), what);
                assertThrows(IndexOutOfBoundsException.class, () -> device.zero(Long.MAX_VALUE, 2), what);
                assertThrows(IndexOutOfBoundsException.class, () -> device.flush(SIZE, 1), what);
                assertThrows(IndexOutOfBoundsException.class, () -> device.flush(-64, 64), what);
                assertThrows(IndexOutOfBoundsException.class, () -> device.flush(0, -1), what);
                assertEquals(-1, device.directAccess(0, SIZE).mismatch(MemorySegment.ofArray(new byte[(int) SIZE])),
                        () -> what + ": a refused call stored nothing");
                // The edges themselves are in range.
                device.copyIn(src, 4000, 96, SIZE - 96);
                device.zero(SIZE - 8, 8);
                device.flush(SIZE - 1, 1);
                device.fence();
                assertEquals(7, device.getLong(SIZE - 96) & 0xff, what);
                assertEquals(0, device.getLong(SIZE - 8), what);
            }
        }
    }

    @Test
    void aPartOfTheSourceLandsWhereAsked() {
        MemorySegment src = Arena.ofAuto().allocate(4096);
        for (int i = 0; i < 4096; i++) {
            src.set(Layouts.BYTE, i, (byte) i);
        }
        for (SegmentDevice device : devices()) {
            try (device) {
                device.copyIn(src, 100, 300, 5000);
                device.copyIn(MemorySegment.ofArray(src.toArray(Layouts.BYTE)), 7, 9, 9001);
                device.fence();
                assertEquals(-1, device.directAccess(5000, 300).mismatch(src.asSlice(100, 300)), device.describe());
                assertEquals(-1, device.directAccess(9001, 9).mismatch(src.asSlice(7, 9)), device.describe());
                assertEquals(0, device.directAccess(4999, 1).get(Layouts.BYTE, 0), device.describe());
                assertEquals(0, device.directAccess(5300, 1).get(Layouts.BYTE, 0), device.describe());
            }
        }
    }

    @Test
    void aClosedSourceIsRefused() {
        Arena arena = Arena.ofShared();
        MemorySegment gone = arena.allocate(64);
        arena.close();
        for (SegmentDevice device : devices()) {
            try (device) {
                assertThrows(IllegalStateException.class, () -> device.copyIn(gone, 0), device.describe());
            }
        }
    }

    @Test
    void aReadOnlyDeviceTakesNoStores() {
        NativePmem pmem = NativePmem.instance().orElse(null);
        List<PersistenceOps> kinds = new ArrayList<>(List.of(JavaPersistenceOps.none()));
        if (pmem != null) {
            kinds.add(new NativePersistenceOps(pmem, PersistenceMode.CPU));
        }
        for (PersistenceOps ops : kinds) {
            Arena arena = Arena.ofShared();
            try (SegmentDevice device = new SegmentDevice(arena.allocate(SIZE, 4096).asReadOnly(), arena, ops, "ro")) {
                assertThrows(IllegalArgumentException.class, () -> device.copyIn(MemorySegment.ofArray(new byte[8]), 0));
                assertThrows(IllegalArgumentException.class, () -> device.zero(0, 8));
                device.flush(0, 64);
                assertEquals(0, device.getLong(0));
            }
        }
    }

    /**
     * The operations get the mapping itself, not an alias made from its address: {@code force()}
     * exists only on a mapped segment, and flush=msync never called msync while they got aliases.
     */
    @Test
    void msyncOperationsGetTheFileMapping() throws IOException {
        Path file = Files.createTempFile(Path.of("/dev/shm"), "daxfs-segdev", ".img");
        try {
            Files.write(file, new byte[(int) SIZE]);
            List<Boolean> mapped = new ArrayList<>();
            PersistenceOps spy = new PersistenceOps() {
                private final PersistenceOps real = new JavaPersistenceOps(PersistenceMode.MSYNC, true);

                @Override
                public PersistenceMode mode() {
                    return real.mode();
                }

                @Override
                public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment mapping, long offset,
                        long length) {
                    mapped.add(mapping.isMapped());
                    real.copyFlushcache(src, srcOffset, mapping, offset, length);
                }

                @Override
                public void flush(MemorySegment mapping, long offset, long length) {
                    mapped.add(mapping.isMapped());
                    real.flush(mapping, offset, length);
                }

                @Override
                public void fence() {
                    real.fence();
                }

                @Override
                public String describe() {
                    return "spy";
                }
            };
            Arena arena = Arena.ofShared();
            MemorySegment segment;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, SIZE, arena);
            }
            try (SegmentDevice device = new SegmentDevice(segment, arena, spy, "file")) {
                device.copyIn(MemorySegment.ofArray(new byte[] {1, 2, 3}), 4097);
                device.zero(8192, 100);
                device.flush(4096, 4096);
                device.fence();
            }
            assertEquals(List.of(true, true, true), mapped);
            assertEquals(3, Files.readAllBytes(file)[4099]);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void wordsReadBackLittleEndianAndOnlyInRange() {
        for (SegmentDevice device : devices()) {
            try (device) {
                device.copyIn(MemorySegment.ofArray(new long[] {0x1122334455667788L}), 13);
                assertEquals(0x1122334455667788L, device.getLong(13));
                assertEquals(0x55667788, device.getInt(13));
                assertThrows(IndexOutOfBoundsException.class, () -> device.getLong(SIZE - 7));
                assertThrows(IndexOutOfBoundsException.class, () -> device.getInt(-1));
            }
        }
    }
}
