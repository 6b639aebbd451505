package io.daxfs.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The native primitives against their plain-Java meaning; skipped where the build packed no library. */
class NativePmemTest {
    private static NativePmem pmem;

    @BeforeAll
    static void load() {
        boolean packed = NativePmem.class.getResource("/native/linux-x86_64/libdaxfs.so") != null;
        assumeTrue(packed, "no libdaxfs.so packed (no gcc at build time)");
        // Packed on this x86-64 Linux machine: it must load, or the fallback would hide a broken build.
        pmem = NativePmem.instance().orElseThrow(() -> new AssertionError(
                "libdaxfs.so is packed but did not load: " + NativePmem.unavailableReason().orElse("?")));
    }

    @Test
    void flushInstructionMatchesCpuFlags() throws IOException {
        String flags = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("flags")).findFirst().orElseThrow() + " ";
        FlushInstruction expected = flags.contains(" clwb ") ? FlushInstruction.CLWB
                : flags.contains(" clflushopt ") ? FlushInstruction.CLFLUSHOPT : FlushInstruction.CLFLUSH;
        assertEquals(expected, pmem.flushInstruction());
        int expectedBits = flags.contains(" avx512f ") ? 512 : flags.contains(" avx2 ") ? 256 : 128;
        assertEquals(expectedBits, pmem.streamingStoreBits());
    }

    @Test
    void nonTemporalCopyEqualsPlainCopyForEveryHeadAndTail() {
        Random random = new Random(42);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(3 << 20, 4096);
            MemorySegment expected = arena.allocate(3 << 20, 4096);
            MemorySegment actual = arena.allocate(3 << 20, 4096);
            byte[] noise = new byte[3 << 20];
            random.nextBytes(noise);
            MemorySegment.copy(MemorySegment.ofArray(noise), 0, src, 0, noise.length);
            for (int dstOff = 0; dstOff < 130; dstOff++) {
                for (int len = 0; len < 300; len += 1 + (len >> 5)) {
                    check(src, 7 * dstOff % 64, expected, actual, dstOff, len);
                }
            }
            long[] offsets = {0, 1, 63, 64, 4095, 4096, 4097, 8191};
            long[] lengths = {4095, 4096, 4097, 8191, 8192, 1 << 20, (1 << 20) + 13};
            for (long off : offsets) {
                for (long len : lengths) {
                    check(src, off ^ 5, expected, actual, off, len);
                }
            }
        }
    }

    private static void check(MemorySegment src, long srcOff, MemorySegment expected, MemorySegment actual,
            long dstOff, long len) {
        // Both destinations start from the same non-zero pattern so a stray store outside the range shows.
        long window = dstOff + len + 128;
        expected.asSlice(0, window).fill((byte) 0x5a);
        actual.asSlice(0, window).fill((byte) 0x5a);
        MemorySegment.copy(src, srcOff, expected, dstOff, len);
        pmem.copyNonTemporal(src.asSlice(srcOff, len), actual.asSlice(dstOff));
        assertEquals(-1, expected.asSlice(0, window).mismatch(actual.asSlice(0, window)),
                () -> "copy of " + len + " bytes to offset " + dstOff + " from offset " + srcOff);
    }

    @Test
    void nonTemporalZeroTouchesExactlyTheRange() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment expected = arena.allocate(1 << 16, 64);
            MemorySegment actual = arena.allocate(1 << 16, 64);
            for (long off : new long[] {0, 1, 7, 8, 33, 64, 4095}) {
                for (long len : new long[] {0, 1, 7, 8, 15, 63, 64, 65, 200, 4096, 10_001}) {
                    expected.fill((byte) 0x77);
                    actual.fill((byte) 0x77);
                    expected.asSlice(off, len).fill((byte) 0);
                    pmem.zeroNonTemporal(actual.asSlice(off, len));
                    assertEquals(-1, expected.mismatch(actual), "zero " + len + " at " + off);
                }
            }
        }
    }

    @Test
    void flushAndFenceRunOnAnyRange() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(1 << 20, 64);
            segment.set(ValueLayout.JAVA_LONG, 4096, 99);
            pmem.flush(segment.asSlice(4093, 13));
            pmem.flush(segment);
            pmem.flush(segment.asSlice(5, 0));
            pmem.sfence();
            assertEquals(99, segment.get(ValueLayout.JAVA_LONG, 4096));
        }
    }

    /**
     * A segment closed by another thread while a native copy runs into it: the downcall holds the
     * segment, so the close fails (or lands between calls and the next call fails); memory is never
     * unmapped under the library (with raw addresses this was a SIGSEGV).
     */
    @Test
    void closingASegmentDuringANativeCopyNeverUnmapsItUnderTheCopy() throws Exception {
        int size = 64 << 20;
        for (int round = 0; round < 5; round++) {
            Arena shared = Arena.ofShared();
            MemorySegment src = shared.allocate(size, 4096);
            MemorySegment dst = shared.allocate(size, 4096);
            CountDownLatch copying = new CountDownLatch(1);
            AtomicReference<Throwable> copyError = new AtomicReference<>();
            Thread copier = Thread.ofPlatform().start(() -> {
                try {
                    while (true) {
                        copying.countDown();
                        pmem.copyNonTemporal(src, dst);
                        pmem.zeroNonTemporal(dst);
                        pmem.flush(dst);
                    }
                } catch (IllegalStateException closed) {
                    // the segment was closed between two calls: expected
                } catch (Throwable t) {
                    copyError.set(t);
                }
            });
            copying.await();
            Thread.sleep(2);
            while (true) {
                try {
                    shared.close();
                    break;
                } catch (IllegalStateException inUse) {
                    Thread.onSpinWait();
                }
            }
            copier.join();
            assertEquals(null, copyError.get());
        }
    }

    @Test
    void argumentsAreCheckedBeforeTheyReachNativeCode() {
        MemorySegment heap = MemorySegment.ofArray(new byte[64]);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment direct = arena.allocate(64);
            assertThrows(IllegalArgumentException.class, () -> pmem.copyNonTemporal(heap, direct));
            assertThrows(IllegalArgumentException.class, () -> pmem.copyNonTemporal(direct, heap));
            assertThrows(IllegalArgumentException.class, () -> pmem.copyNonTemporal(direct, direct.asReadOnly()));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> pmem.copyNonTemporal(direct, direct.asSlice(0, 32)));
        }
        Arena closed = Arena.ofShared();
        MemorySegment gone = closed.allocate(64);
        closed.close();
        assertThrows(IllegalStateException.class, () -> pmem.flush(gone));
        assertThrows(IllegalStateException.class, () -> pmem.zeroNonTemporal(gone));
    }

    @Test
    void mapSyncIsRefusedForFilesOutsideDax(@TempDir Path diskDir) throws IOException {
        for (Path dir : new Path[] {diskDir, Path.of("/dev/shm")}) {
            Path file = Files.createTempFile(dir, "daxfs-sync", ".img");
            try {
                Files.write(file, new byte[8192]);
                try (Arena arena = Arena.ofShared()) {
                    NativeMapException e = assertThrows(NativeMapException.class,
                            () -> pmem.map(file, 8192, MapKind.SYNC, false, arena));
                    assertTrue(e.mapSyncRefused(), e::getMessage);
                    assertTrue(e.getMessage().contains("MAP_SYNC"), e::getMessage);
                }
            } finally {
                Files.delete(file);
            }
        }
    }

    @Test
    void missingPathReportsErrno(@TempDir Path dir) {
        try (Arena arena = Arena.ofShared()) {
            NativeMapException e = assertThrows(NativeMapException.class,
                    () -> pmem.map(dir.resolve("absent"), 4096, MapKind.DEVICE_DAX, false, arena));
            assertEquals(2, e.error(), "ENOENT");
            assertTrue(e.getMessage().contains("No such file"), e::getMessage);
        }
    }

    @Test
    void deviceDaxMappingIsHugePageAlignedSharedAndUnmappedWithItsArena() throws IOException {
        Path file = Files.createTempFile(Path.of("/dev/shm"), "daxfs-devdax", ".img");
        try {
            byte[] content = new byte[3 << 20];
            new Random(7).nextBytes(content);
            Files.write(file, content);
            Arena arena = Arena.ofShared();
            MemorySegment mapping = pmem.map(file, content.length, MapKind.DEVICE_DAX, false, arena);
            assertEquals(0, mapping.address() % (2 << 20), "2 MiB aligned");
            assertEquals(-1, mapping.mismatch(MemorySegment.ofArray(content)));
            mapping.set(ValueLayout.JAVA_BYTE, 5, (byte) (content[5] + 1));
            MemorySegment view = mapping.asSlice(4096, 4096);
            arena.close();
            assertEquals((byte) (content[5] + 1), Files.readAllBytes(file)[5], "MAP_SHARED stores reach the file");
            assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(IllegalStateException.class, () -> pmem.flush(view));
        } finally {
            Files.delete(file);
        }
    }
}
