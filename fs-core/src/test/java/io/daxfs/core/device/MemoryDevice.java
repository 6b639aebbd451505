package io.daxfs.core.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Devices in plain process memory: for tests, crash images and benchmarks. Volatile by nature. */
public final class MemoryDevice {
    private MemoryDevice() {}

    /** A zeroed device of {@code size} bytes (a multiple of 4096). */
    public static SegmentDevice allocate(long size) {
        if (size <= 0 || size % 4096 != 0) {
            throw new IllegalArgumentException("device size must be a positive multiple of 4096: " + size);
        }
        Arena arena = Arena.ofShared();
        MemorySegment segment = arena.allocate(size, 4096);
        return new SegmentDevice(segment, arena, JavaPersistenceOps.none(), "memory");
    }

    /** A device holding a copy of {@code image}. */
    public static SegmentDevice fromImage(byte[] image) {
        SegmentDevice device = allocate(image.length);
        device.write(MemorySegment.ofArray(image), 0);
        return device;
    }

    /** A copy of the whole content of {@code device}. */
    public static byte[] snapshot(DaxDevice device) {
        return device.directAccess(0, device.size()).toArray(Layouts.BYTE);
    }
}
