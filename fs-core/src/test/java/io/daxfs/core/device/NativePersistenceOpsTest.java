package io.daxfs.core.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.daxfs.nativeio.NativePmem;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * {@link NativePersistenceOps} copies short ranges with cached stores and long ones with streaming
 * stores ({@link NativePersistenceOps#STREAMING_THRESHOLD}): either way every byte lands where it
 * should and none beside it changes, from native and heap sources, at any alignment, in both modes.
 */
class NativePersistenceOpsTest {
    private static final int SIZE = 1 << 16;
    private static final byte BACKGROUND = 0x5a;

    @Test
    void copiesOnEitherSideOfTheThresholdLandExactly() {
        NativePmem pmem = NativePmem.instance().orElseThrow(() -> new AssertionError(
                "the native library is needed here and is unavailable: " + NativePmem.unavailableReason().orElse("?")));
        long threshold = NativePersistenceOps.STREAMING_THRESHOLD;
        long[] lengths = {1, 7, 63, 64, threshold - 1, threshold, threshold + 1, 1000, 4099};
        long[] deviceOffsets = {0, 5, 64, 4093};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeSource = arena.allocate(8192, 64);
            MemorySegment heapSource = MemorySegment.ofArray(new byte[8192]);
            for (int i = 0; i < 8192; i++) {
                nativeSource.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 1));
                heapSource.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 17 + 3));
            }
            MemorySegment mapping = arena.allocate(SIZE, 4096);
            for (PersistenceMode mode : new PersistenceMode[] {PersistenceMode.CPU, PersistenceMode.NONE}) {
                NativePersistenceOps ops = new NativePersistenceOps(pmem, mode);
                for (MemorySegment src : new MemorySegment[] {nativeSource, heapSource}) {
                    for (long length : lengths) {
                        for (long at : deviceOffsets) {
                            for (long from : new long[] {0, 3}) {
                                mapping.fill(BACKGROUND);
                                ops.copyFlushcache(src, from, mapping, at, length);
                                ops.fence();
                                String what = mode + (src.isNative() ? " native" : " heap") + " length " + length
                                        + " at " + at + " from " + from;
                                assertEquals(-1, mapping.asSlice(at, length).mismatch(src.asSlice(from, length)), what);
                                if (at > 0) {
                                    assertEquals(BACKGROUND, mapping.get(ValueLayout.JAVA_BYTE, at - 1), what);
                                }
                                assertEquals(BACKGROUND, mapping.get(ValueLayout.JAVA_BYTE, at + length), what);
                            }
                        }
                    }
                }
            }
        }
    }
}
