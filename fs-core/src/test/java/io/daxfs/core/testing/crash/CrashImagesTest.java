package io.daxfs.core.testing.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.device.Layouts;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.device.SegmentDevice;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The enumeration of crash images: counts, exhaustiveness, sampling, and the cache-line rules. */
class CrashImagesTest {
    private static final int LINE = RecordingDevice.LINE;

    private final RecordingDevice device = new RecordingDevice(MemoryDevice.allocate(1 << 20));

    @AfterEach
    void close() {
        device.close();
    }

    /** Cached stores of a distinct 8-byte value into the first word of {@code lines} lines, unflushed. */
    private void dirtyLines(int lines) {
        for (int i = 0; i < lines; i++) {
            device.storeRelease((long) i * LINE, 1000 + i);
        }
    }

    private static Set<ByteBuffer> distinctImages(CrashImages images) {
        Set<ByteBuffer> seen = new HashSet<>();
        for (CrashImage image : images) {
            seen.add(ByteBuffer.wrap(image.bytes().clone()));
        }
        return seen;
    }

    private static long word(CrashImage image, long offset) {
        return image.getLong(offset);
    }

    @Test
    void smallSetsAreEnumeratedExhaustively() {
        dirtyLines(6);
        CrashState end = device.crashState(0);
        CrashImages images = end.images();

        assertEquals(6, end.uncertainLineCount());
        assertTrue(images.isExhaustive());
        assertEquals(64, images.count());
        assertEquals(64, distinctImages(images).size());
    }

    @Test
    void largeSetsAreSampledReproduciblyBySeed() {
        dirtyLines(40);
        CrashState end = device.crashState(0);
        CrashImages.Policy policy = new CrashImages.Policy(1024, 50, 7);

        assertFalse(end.images(policy).isExhaustive());
        assertEquals(52, end.images(policy).count());
        List<ByteBuffer> first = new ArrayList<>();
        end.images(policy).forEach(image -> first.add(ByteBuffer.wrap(image.bytes().clone())));
        List<ByteBuffer> again = new ArrayList<>();
        end.images(policy).forEach(image -> again.add(ByteBuffer.wrap(image.bytes().clone())));
        List<ByteBuffer> otherSeed = new ArrayList<>();
        end.images(policy.withSeed(8)).forEach(image -> otherSeed.add(ByteBuffer.wrap(image.bytes().clone())));

        assertEquals(52, first.size());
        assertEquals(first, again);
        assertNotEquals(first, otherSeed);
        assertEquals(ByteBuffer.wrap(end.durableImage()), first.get(0));
        assertEquals(ByteBuffer.wrap(end.newestImage()), first.get(1));
    }

    @Test
    void fencedLinesArePresentInEveryImage() {
        device.storeRelease(4096, 77);
        device.flush(4096, 8);
        device.fence();
        dirtyLines(8);

        CrashState end = device.crashState(1);
        assertEquals(256, end.images().count());
        assertTrue(end.images().stream().allMatch(image -> word(image, 4096) == 77));
    }

    @Test
    void aStoreAfterTheFlushKeepsTheLineUncertain() {
        device.storeRelease(0, 1);
        device.flush(0, 8);
        device.storeRelease(0, 2); // after the write-back, before the fence
        device.fence();

        CrashState end = device.crashState(1);
        assertEquals(1, end.uncertainLineCount());
        assertEquals(1L, MemorySegment.ofArray(end.durableImage()).get(Layouts.LONG, 0));
        Set<Long> seen = new HashSet<>();
        end.images().forEach(image -> seen.add(word(image, 0)));
        assertEquals(Set.of(1L, 2L), seen);
    }

    @Test
    void storesToOneLineReachTheMediaInProgramOrder() {
        device.storeRelease(0, 1);
        device.storeRelease(8, 2);
        device.storeRelease(16, 3);

        CrashState end = device.crashState(0);
        assertEquals(4, end.possibleImageCount());
        Set<List<Long>> seen = new HashSet<>();
        end.images().forEach(image -> seen.add(List.of(word(image, 0), word(image, 8), word(image, 16))));
        // Only prefixes of the store order: never the third store without the first two.
        assertEquals(Set.of(List.of(0L, 0L, 0L), List.of(1L, 0L, 0L), List.of(1L, 2L, 0L), List.of(1L, 2L, 3L)), seen);
    }

    @Test
    void anAlignedEightByteStoreNeverTears() {
        device.storeRelease(64, -1L);
        device.fence();
        device.storeRelease(64, 0x0102030405060708L);

        Set<Long> seen = new HashSet<>();
        device.crashStates().forEach(state -> state.images().forEach(image -> seen.add(word(image, 64))));
        assertEquals(Set.of(0L, -1L, 0x0102030405060708L), seen);
    }

    @Test
    void aLineMayHoldAnyContentItHadSinceItWasDurable() {
        device.storeRelease(0, 5);
        device.storeRelease(0, 0); // back to its durable content, but 5 may have been evicted
        device.storeRelease(64, 5);
        device.storeRelease(64, 6);
        device.storeRelease(64, 5);
        device.storeRelease(128, 0); // the content it already had: nothing new can reach the media

        CrashState end = device.crashState(0);
        assertEquals(2, end.uncertainLineCount());
        assertEquals(List.of(0L, 64L), Arrays.stream(end.uncertainLineOffsets()).boxed().toList());
        assertEquals(2 * 3, end.possibleImageCount()); // {0, 5} x {0, 5, 6}
        MemorySegment newest = MemorySegment.ofArray(end.newestImage());
        assertEquals(0L, newest.get(Layouts.LONG, 0));
        assertEquals(5L, newest.get(Layouts.LONG, 64));
        assertEquals(6, distinctImages(end.images()).size());
    }

    @Test
    void aPartialNonTemporalLineKeepsTheRestOfItsContent() {
        device.storeRelease(0, 9);
        device.flush(0, 8);
        device.fence();
        device.copyIn(MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), 8);
        device.fence();

        CrashState end = device.crashState(2);
        assertEquals(0, end.uncertainLineCount());
        MemorySegment image = MemorySegment.ofArray(end.durableImage());
        assertEquals(9L, image.get(Layouts.LONG, 0));
        assertEquals(0x0807060504030201L, image.get(Layouts.LONG, 8));
    }

    @Test
    void imagesBecomeDevices() {
        dirtyLines(2);
        for (CrashImage image : device.crashState(0).images()) {
            try (SegmentDevice copy = image.toDevice()) {
                assertEquals(word(image, 0), copy.getLong(0));
                assertEquals(word(image, 64), copy.getLong(64));
            }
        }
    }

    @Test
    void imagesCanBeCopiedOntoOneReusedDevice() {
        dirtyLines(3);
        try (SegmentDevice target = MemoryDevice.allocate(device.size())) {
            for (CrashImage image : device.crashState(0).images()) {
                image.copyTo(target);
                assertTrue(Arrays.equals(image.bytes(), MemoryDevice.snapshot(target)));
            }
            try (SegmentDevice small = MemoryDevice.allocate(4096)) {
                CrashImage any = device.crashState(0).images().iterator().next();
                assertThrows(IllegalArgumentException.class, () -> any.copyTo(small));
            }
        }
    }

    @Test
    void describeNamesTheLinesAtEachContent() {
        dirtyLines(2);
        var images = device.crashState(0).images().iterator();
        images.next();
        String second = images.next().describe(); // first line new, second old
        assertTrue(second.contains("new [0x0]"), second);
        assertTrue(second.contains("old [0x40]"), second);
    }

    @Test
    void policyArgumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new CrashImages.Policy(0, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> new CrashImages.Policy(10, -1, 1));
        assertThrows(NullPointerException.class, () -> device.crashState(0).images(null));
    }
}
