package io.daxfs.core.testing.crash;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.device.SegmentDevice;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * One media image of a {@link CrashState}, as yielded by {@link CrashImages}. It is a view of the
 * iteration's reused buffer: valid until the iterator advances, and not to be modified.
 */
public final class CrashImage {
    private final CrashState state;
    private final byte[] buffer;
    private final int[] choices;
    private long number;

    CrashImage(CrashState state, byte[] buffer, int[] choices) {
        this.state = state;
        this.buffer = buffer;
        this.choices = choices;
    }

    void number(long value) {
        number = value;
    }

    /** The crash state this image belongs to. */
    public CrashState state() {
        return state;
    }

    /** Position of this image in its iteration, from 0. */
    public long number() {
        return number;
    }

    /** The whole image; shared with the iteration, so read it, do not keep or change it. */
    public byte[] bytes() {
        return buffer;
    }

    /** A read-only segment over {@link #bytes()}. */
    public MemorySegment segment() {
        return MemorySegment.ofArray(buffer).asReadOnly();
    }

    /** Reads an 8-byte little-endian value, as {@link DaxDevice#getLong} would on this image. */
    public long getLong(long offset) {
        return MemorySegment.ofArray(buffer).get(Layouts.LONG, offset);
    }

    /** A new {@link MemoryDevice} holding a copy of this image, for mounting; the caller closes it. */
    public SegmentDevice toDevice() {
        return MemoryDevice.fromImage(buffer);
    }

    /**
     * Overwrites the whole of {@code target} with this image (plain stores, no flush): lets a test
     * reuse one device for many images instead of allocating one per image.
     *
     * @throws IllegalArgumentException if {@code target} is not the size of the image
     */
    public void copyTo(DaxDevice target) {
        Objects.requireNonNull(target, "target");
        if (target.size() != buffer.length) {
            throw new IllegalArgumentException(
                    "target holds " + target.size() + " bytes, the image " + buffer.length);
        }
        target.write(MemorySegment.ofArray(buffer), 0);
    }

    /**
     * Which content each uncertain line has, for failure messages: offsets of the lines at their
     * latest content ("new"), at an intermediate one ("mid") and at their durable one ("old").
     */
    public String describe() {
        List<CrashState.UncertainLine> lines = state.uncertainLines();
        StringBuilder fresh = new StringBuilder();
        StringBuilder middle = new StringBuilder();
        StringBuilder old = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            CrashState.UncertainLine line = lines.get(i);
            StringBuilder into = choices[i] == line.latest() ? fresh : choices[i] == 0 ? old : middle;
            into.append(into.isEmpty() ? "" : " ").append("0x").append(Long.toHexString(line.offset()));
        }
        return state + ", image " + number + ": new [" + fresh + "] mid [" + middle + "] old [" + old + "]";
    }

    @Override
    public String toString() {
        return describe();
    }
}
