package io.daxfs.core.testing.crash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.JavaPersistenceOps;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.device.SegmentDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The recording device against toy commit protocols: it must find the crash images that expose
 * (a) a commit store issued before its data was flushed and (b) a missing flush, and find none when
 * the protocol is right.
 */
class RecordingDeviceTest {
    private static final long COMMIT = 0;
    private static final long DATA = 4096;
    private static final int DATA_LENGTH = 1000; // 16 lines, the last one partly

    private final RecordingDevice device = new RecordingDevice(MemoryDevice.allocate(1 << 20));

    @AfterEach
    void close() {
        device.close();
    }

    private static byte[] payload() {
        byte[] data = new byte[DATA_LENGTH];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        return data;
    }

    /** A crash image that shows the commit but not all the data it commits. */
    private static boolean committedWithoutData(CrashImage image) {
        byte[] expected = payload();
        return image.getLong(COMMIT) == 1
                && !Arrays.equals(image.bytes(), (int) DATA, (int) DATA + DATA_LENGTH, expected, 0, DATA_LENGTH);
    }

    private boolean anyImage(Predicate<CrashImage> property) {
        return device.crashStates().anyMatch(state -> state.images().stream().anyMatch(property));
    }

    @Test
    void commitStoreBeforeDataFlushIsCaught() {
        device.write(MemorySegment.ofArray(payload()), DATA);
        device.storeRelease(COMMIT, 1); // bug: the data is not yet written back
        device.flush(DATA, DATA_LENGTH);
        device.flush(COMMIT, 8);
        device.fence();

        assertTrue(anyImage(RecordingDeviceTest::committedWithoutData));
    }

    @Test
    void commitAfterFlushedAndFencedDataIsNeverTorn() {
        device.write(MemorySegment.ofArray(payload()), DATA);
        device.flush(DATA, DATA_LENGTH);
        device.fence();
        device.storeRelease(COMMIT, 1);
        device.flush(COMMIT, 8);
        device.fence();

        assertFalse(anyImage(RecordingDeviceTest::committedWithoutData));
        // The protocol does commit: the last state has the commit in every image.
        CrashState last = device.crashState(device.fenceCount());
        assertTrue(last.images().stream().allMatch(image -> image.getLong(COMMIT) == 1));
    }

    @Test
    void flushWithoutFenceBeforeCommitIsCaught() {
        device.write(MemorySegment.ofArray(payload()), DATA);
        device.flush(DATA, DATA_LENGTH); // bug: no fence orders the write-back before the commit
        device.storeRelease(COMMIT, 1);
        device.flush(COMMIT, 8);
        device.fence();

        assertTrue(anyImage(RecordingDeviceTest::committedWithoutData));
    }

    @Test
    void missingFlushIsCaught() {
        device.write(MemorySegment.ofArray(payload()), DATA); // bug: never flushed
        device.fence();
        device.storeRelease(COMMIT, 1);
        device.flush(COMMIT, 8);
        device.fence();

        CrashState afterAll = device.crashState(device.fenceCount());
        assertTrue(afterAll.images().stream().anyMatch(RecordingDeviceTest::committedWithoutData));
        assertEquals(16, afterAll.uncertainLineCount());
    }

    @Test
    void flushedDataIsInEveryImageAfterTheFence() {
        device.write(MemorySegment.ofArray(payload()), DATA);
        device.flush(DATA, DATA_LENGTH);
        device.fence();

        CrashState afterFence = device.crashState(1);
        assertEquals(0, afterFence.uncertainLineCount());
        assertTrue(afterFence.images().stream().allMatch(image ->
                Arrays.equals(image.bytes(), (int) DATA, (int) DATA + DATA_LENGTH, payload(), 0, DATA_LENGTH)));
    }

    @Test
    void copyInIsDurableAfterAFenceWithoutFlush() {
        device.copyIn(MemorySegment.ofArray(payload()), DATA);
        CrashState beforeFence = device.crashState(0);
        device.fence();
        CrashState afterFence = device.crashState(1);

        assertEquals(16, beforeFence.uncertainLineCount());
        assertEquals(0, afterFence.uncertainLineCount());
        assertArrayEquals(payload(), Arrays.copyOfRange(afterFence.durableImage(), (int) DATA, (int) DATA + DATA_LENGTH));
    }

    @Test
    void zeroIsDurableAfterAFenceWithoutFlush() {
        device.copyIn(MemorySegment.ofArray(payload()), DATA);
        device.fence();
        device.zero(DATA, 128);
        device.fence();

        CrashState end = device.crashState(2);
        assertEquals(0, end.uncertainLineCount());
        byte[] image = end.durableImage();
        assertArrayEquals(new byte[128], Arrays.copyOfRange(image, (int) DATA, (int) DATA + 128));
        assertEquals(payload()[128], image[(int) DATA + 128]);
    }

    @Test
    void newestImageAtTheEndIsTheDeviceContent() {
        device.write(MemorySegment.ofArray(payload()), DATA);
        device.flush(DATA, 100);
        device.fence();
        device.copyIn(MemorySegment.ofArray(payload()), DATA + 8000);
        device.storeRelease(COMMIT, 42);

        CrashState end = device.crashState(device.fenceCount());
        assertTrue(end.isEnd());
        assertArrayEquals(MemoryDevice.snapshot(device), end.newestImage());
    }

    @Test
    void storesThroughMapWritableAreSeenWhenFlushed() {
        MemorySegment mapping = device.mapWritable(DATA, 4096, Arena.ofShared());
        mapping.set(Layouts.LONG, 64, 0x1122334455667788L);
        device.fence(); // not flushed: the store cannot be durable
        device.flush(DATA, 4096);
        device.fence();

        assertEquals(0, device.crashState(0).uncertainLineCount());
        assertEquals(0L, MemorySegment.ofArray(device.crashState(1).durableImage()).get(Layouts.LONG, DATA + 64));
        assertEquals(0x1122334455667788L,
                MemorySegment.ofArray(device.crashState(2).durableImage()).get(Layouts.LONG, DATA + 64));
    }

    @Test
    void marksTellWhichOperationsCompletedBeforeACrashPoint() {
        device.storeRelease(COMMIT, 1);
        device.flush(COMMIT, 8);
        device.fence();
        device.mark("first");
        device.storeRelease(COMMIT, 2);
        device.flush(COMMIT, 8);
        device.fence();
        device.mark("second");

        List<CrashState> states = device.crashStates().toList();
        assertEquals(3, states.size());
        assertEquals(List.of(), states.get(0).marks());
        assertNull(states.get(0).lastMark());
        assertEquals(List.of("first"), states.get(1).marks());
        assertEquals(List.of("first", "second"), states.get(2).marks());
        assertEquals("second", states.get(2).lastMark());
    }

    @Test
    void checkpointMakesTheSetupTheBaseImage() {
        device.write(MemorySegment.ofArray(payload()), DATA); // setup, deliberately left unflushed
        device.fence();
        device.mark("setup");
        device.checkpoint();

        assertEquals(0, device.fenceCount());
        assertEquals(0, device.eventCount());
        CrashState start = device.crashState(0);
        assertEquals(0, start.uncertainLineCount());
        assertEquals(List.of(), start.marks());
        assertArrayEquals(MemoryDevice.snapshot(device), start.durableImage());
    }

    @Test
    void crashStateByIndexMatchesTheStream() {
        for (int i = 0; i < 5; i++) {
            device.write(MemorySegment.ofArray(payload()), DATA + i * 64L);
            device.flush(DATA + i * 64L, 64);
            device.fence();
        }
        List<CrashState> all = device.crashStates().toList();
        assertEquals(device.crashPointCount(), all.size());
        for (int i = 0; i < all.size(); i++) {
            CrashState one = device.crashState(i);
            assertEquals(i, one.point());
            assertArrayEquals(all.get(i).durableImage(), one.durableImage());
            assertArrayEquals(all.get(i).uncertainLineOffsets(), one.uncertainLineOffsets());
        }
    }

    @Test
    void traceKeepsOnlyWhatWasStored() {
        for (int i = 0; i < 5000; i++) {
            device.storeRelease(8L * (i % 1000), i);
            device.write(MemorySegment.ofArray(new byte[100]), DATA + 128L * (i % 1000));
        }
        assertEquals(5000L * (8 + 100), device.recordedBytes());
        assertEquals(10_000, device.eventCount());
    }

    @Test
    void rejectedCallsAreNotRecorded() {
        assertThrows(IllegalArgumentException.class, () -> device.storeRelease(4, 1));
        assertThrows(IndexOutOfBoundsException.class,
                () -> device.write(MemorySegment.ofArray(new byte[8]), device.size() - 4));
        assertThrows(NullPointerException.class, () -> device.mark(null));
        assertThrows(IndexOutOfBoundsException.class, () -> device.crashState(1));
        assertThrows(IndexOutOfBoundsException.class, () -> device.crashState(-1));
        assertEquals(0, device.eventCount());
    }

    @Test
    void refusesDevicesItCannotImage() {
        DaxDevice odd = new SegmentDevice(MemorySegment.ofArray(new byte[100]), java.lang.foreign.Arena.ofConfined(),
                JavaPersistenceOps.none(), "odd");
        assertThrows(IllegalArgumentException.class, () -> new RecordingDevice(odd));
        assertThrows(NullPointerException.class, () -> new RecordingDevice(null));
    }
}
