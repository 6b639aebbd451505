package io.daxfs.core.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.daxfs.nativeio.NativePmem;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The native persistence path and the pure-Java fallback must leave the same bytes on the device,
 * whatever the alignment of the head and tail; both run against /dev/shm file mappings.
 */
class PersistenceOpsEquivalenceTest {
    private static final long SIZE = 4 << 20;
    private Path nativeFile;
    private Path javaFile;
    private DaxDevice nativeDevice;
    private DaxDevice javaDevice;

    @BeforeEach
    void open() throws IOException {
        assumeTrue(NativePmem.instance().isPresent(), "native library not loaded");
        nativeFile = Files.createTempFile(Path.of("/dev/shm"), "daxfs-native", ".img");
        javaFile = Files.createTempFile(Path.of("/dev/shm"), "daxfs-java", ".img");
        Files.delete(nativeFile);
        Files.delete(javaFile);
        DeviceOptions create = DeviceOptions.defaults().withCreateSize(SIZE);
        nativeDevice = DaxDevice.open(nativeFile, create.withMode(PersistenceMode.CPU));
        javaDevice = DaxDevice.open(javaFile, create.withMode(PersistenceMode.NONE));
        assertTrue(nativeDevice.describe().contains("native"), nativeDevice::describe);
        assertTrue(javaDevice.describe().contains("java"), javaDevice::describe);
    }

    @AfterEach
    void close() throws IOException {
        for (DaxDevice device : new DaxDevice[] {nativeDevice, javaDevice}) {
            if (device != null) {
                device.close();
            }
        }
        for (Path file : new Path[] {nativeFile, javaFile}) {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
    }

    @Test
    void copyInIsByteForByteTheSame() {
        Random random = new Random(1);
        byte[] bytes = new byte[(1 << 20) + 8192];
        random.nextBytes(bytes);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeSrc = arena.allocate(bytes.length, 4096);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, nativeSrc, 0, bytes.length);
            MemorySegment heapSrc = MemorySegment.ofArray(bytes);
            long deviceOffset = 0;
            for (int off = 0; off <= 8192; off += off < 130 ? 1 : 509) {
                for (int len = 0; len <= 8192; len += len < 200 ? 1 : 613) {
                    // Native and heap sources take different native paths (nt copy vs copy + clwb).
                    MemorySegment src = (off + len) % 2 == 0 ? nativeSrc : heapSrc;
                    long at = (deviceOffset + off) % (SIZE - 16384);
                    nativeDevice.copyIn(src.asSlice(off, len), at);
                    javaDevice.copyIn(src.asSlice(off, len), at);
                    deviceOffset += 4099;
                }
            }
            for (long at : new long[] {0, 1, 63, 4097}) {
                nativeDevice.copyIn(nativeSrc.asSlice(3, 1 << 20), at + (1 << 21));
                javaDevice.copyIn(nativeSrc.asSlice(3, 1 << 20), at + (1 << 21));
            }
        }
        nativeDevice.fence();
        javaDevice.fence();
        assertSameContent();
    }

    @Test
    void zeroIsByteForByteTheSame() {
        byte[] ones = new byte[(int) SIZE];
        java.util.Arrays.fill(ones, (byte) 0xff);
        nativeDevice.write(MemorySegment.ofArray(ones), 0);
        javaDevice.write(MemorySegment.ofArray(ones), 0);
        long at = 0;
        for (int len = 0; len < 5000; len += 1 + len / 3) {
            at += len + 97;
            nativeDevice.zero(at, len);
            javaDevice.zero(at, len);
        }
        nativeDevice.zero(1 << 21, 1 << 20);
        javaDevice.zero(1 << 21, 1 << 20);
        assertSameContent();
    }

    private void assertSameContent() {
        assertEquals(-1, nativeDevice.directAccess(0, SIZE).mismatch(javaDevice.directAccess(0, SIZE)));
    }
}
