package io.daxfs.core.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.nativeio.NativePmem;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link NativePersistenceOps} copies short ranges with cached stores and long ones with streaming
 * stores ({@link NativePersistenceOps#STREAMING_THRESHOLD}): either way every byte lands where it
 * should and none beside it changes, from native and heap sources, at any alignment, in both modes.
 * And a fence is an {@code sfence} exactly when one is owed: always under {@code flush=cpu}, under
 * {@code flush=none} only after this thread's streaming stores.
 */
class NativePersistenceOpsTest {
    private static final int SIZE = 1 << 16;
    private static final byte BACKGROUND = 0x5a;

    @Test
    void copiesOnEitherSideOfTheThresholdLandExactly() {
        NativePmem pmem = pmem();
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

    @Test
    void flushNoneOwesAnSfenceOnlyAfterThisThreadsStreamingStores() throws Exception {
        NativePersistenceOps ops = new NativePersistenceOps(pmem(), PersistenceMode.NONE);
        long streaming = NativePersistenceOps.STREAMING_THRESHOLD;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment nativeSource = arena.allocate(8192, 64);
            MemorySegment heapSource = MemorySegment.ofArray(new byte[8192]);
            MemorySegment mapping = arena.allocate(SIZE, 4096);
            ops.fence();
            assertFalse(ops.sfenceOwed(), "after a fence");
            ops.copyFlushcache(nativeSource, 0, mapping, 0, streaming - 1);
            assertFalse(ops.sfenceOwed(), "after a cached copy");
            ops.copyFlushcache(heapSource, 0, mapping, 0, 4096);
            assertFalse(ops.sfenceOwed(), "after a long copy from the heap, which is cached");
            ops.copyFlushcache(nativeSource, 0, mapping, 0, streaming);
            assertTrue(ops.sfenceOwed(), "after a streaming copy");
            assertFalse(CompletableFuture.supplyAsync(ops::sfenceOwed).get(), "on another thread");
            ops.copyFlushcache(nativeSource, 0, mapping, 4096, 8);
            assertTrue(ops.sfenceOwed(), "a cached copy after a streaming one");
            ops.fence();
            assertFalse(ops.sfenceOwed(), "after the fence that paid it");
            ops.zeroFlushcache(mapping, 0, 64);
            assertTrue(ops.sfenceOwed(), "after streaming zeroes");
            ops.fence();
            assertFalse(ops.sfenceOwed(), "after the fence that paid it");
        }
    }

    @Test
    void flushCpuAlwaysOwesAnSfence() {
        NativePersistenceOps ops = new NativePersistenceOps(pmem(), PersistenceMode.CPU);
        ops.fence();
        assertTrue(ops.sfenceOwed(), "write-backs are ordered by an sfence, streaming stores or not");
    }

    private static NativePmem pmem() {
        return NativePmem.instance().orElseThrow(() -> new AssertionError(
                "the native library is needed here and is unavailable: " + NativePmem.unavailableReason().orElse("?")));
    }
}
