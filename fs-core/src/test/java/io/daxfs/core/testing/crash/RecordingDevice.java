package io.daxfs.core.testing.crash;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.ForwardingDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.device.MemoryDevice;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A {@link DaxDevice} for crash tests: it forwards every call to the device it wraps and keeps a
 * trace of every store, flush and fence, from which {@link #crashState(int)} rebuilds what the media
 * could hold if power failed at a given point (see {@link CacheLineModel} for the rules and
 * docs/CRASH-TESTING.md for how tests use it).
 *
 * <p>The trace starts from a base image: the wrapped device's content when the recorder was made,
 * or at the last {@link #checkpoint()}. Stores are kept as offset plus a copy of the stored bytes,
 * so a trace costs about as much memory as the workload wrote.
 *
 * <p>Stores through {@link #mapWritable} bypass the device; the recorder picks them up when their
 * range is flushed (as cached stores made just before that flush). Such stores that are never
 * flushed do not appear in any crash image.
 *
 * <p>Thread-safe: calls are serialized, so the trace order is the order in which the wrapped device
 * saw the stores.
 */
public final class RecordingDevice extends ForwardingDevice {

    /** Size of a CPU cache line: the unit in which stores reach the media. */
    public static final int LINE = 64;

    private final Object lock = new Object();
    /** What the recorded stores have put in the device, to find stores made around the recorder. */
    private byte[] shadow;
    private byte[] base;
    private List<TraceEvent> events = new ArrayList<>();
    private int fences;
    private long recordedBytes;

    /**
     * Wraps {@code device}, whose current content becomes the base image.
     *
     * @throws IllegalArgumentException if the device is not a whole number of cache lines or is too
     *     large to be imaged in a byte array
     */
    public RecordingDevice(DaxDevice device) {
        super(device);
        long size = delegate.size();
        if (size % LINE != 0 || size > Integer.MAX_VALUE - LINE) {
            throw new IllegalArgumentException(
                    "recording needs a device of whole cache lines below 2 GiB: " + size);
        }
        this.base = MemoryDevice.snapshot(delegate);
        this.shadow = base.clone();
    }

    /**
     * Makes the device's current content the new base image and forgets the trace so far: crash
     * points then only cover what follows (the workload, not its setup). Whatever was not yet
     * durable is taken as durable.
     */
    public void checkpoint() {
        synchronized (lock) {
            base = MemoryDevice.snapshot(delegate);
            shadow = base.clone();
            events = new ArrayList<>();
            fences = 0;
            recordedBytes = 0;
        }
    }

    /**
     * Records that the operation named {@code label} has completed (returned to its caller); crash
     * states list the labels recorded before them, so a test knows what must have survived.
     */
    public void mark(String label) {
        Objects.requireNonNull(label, "label");
        synchronized (lock) {
            events.add(new TraceEvent.Mark(label));
        }
    }

    /** Fences recorded since the base image. */
    public int fenceCount() {
        synchronized (lock) {
            return fences;
        }
    }

    /**
     * Crash points of the trace so far: one just before each fence, and one at the end of the trace,
     * i.e. {@link #fenceCount()} + 1. Between two fences the set of possible media states only grows,
     * so these points cover every instant.
     */
    public int crashPointCount() {
        return fenceCount() + 1;
    }

    /** Events in the trace (stores, zeroings, flushes, fences, marks). */
    public int eventCount() {
        synchronized (lock) {
            return events.size();
        }
    }

    /** Bytes of store data the trace holds: its memory cost beyond the two device-sized images. */
    public long recordedBytes() {
        synchronized (lock) {
            return recordedBytes;
        }
    }

    /**
     * The crash state at {@code point}: just before fence {@code point} when it is below
     * {@link #fenceCount()}, the end of the trace when equal. Replays the trace up to there.
     */
    public CrashState crashState(int point) {
        CacheLineModel model = model();
        if (point < 0 || point > model.fenceCount()) {
            throw new IndexOutOfBoundsException(
                    "crash point " + point + " not in [0, " + model.fenceCount() + "]");
        }
        return model.crashState(point);
    }

    /**
     * Every crash state of the trace so far, in order, made lazily by one replay; each holds its own
     * durable image, so a consumer keeps only the one it is looking at.
     */
    public Stream<CrashState> crashStates() {
        return model().crashStates();
    }

    private CacheLineModel model() {
        synchronized (lock) {
            return new CacheLineModel(base, List.copyOf(events), fences);
        }
    }

    @Override
    public void copyIn(MemorySegment src, long srcOffset, long length, long deviceOffset) {
        Objects.requireNonNull(src, "src");
        synchronized (lock) {
            delegate.copyIn(src, srcOffset, length, deviceOffset);
            recordStore(src.asSlice(srcOffset, length), deviceOffset, true);
        }
    }

    @Override
    public void write(MemorySegment src, long srcOffset, long length, long deviceOffset) {
        Objects.requireNonNull(src, "src");
        synchronized (lock) {
            delegate.write(src, srcOffset, length, deviceOffset);
            recordStore(src.asSlice(srcOffset, length), deviceOffset, false);
        }
    }

    @Override
    public void zero(long deviceOffset, long length) {
        synchronized (lock) {
            delegate.zero(deviceOffset, length);
            Arrays.fill(shadow, (int) deviceOffset, (int) (deviceOffset + length), (byte) 0);
            events.add(new TraceEvent.Zero(deviceOffset, length));
        }
    }

    @Override
    public void storeRelease(long deviceOffset, long value) {
        synchronized (lock) {
            delegate.storeRelease(deviceOffset, value);
            MemorySegment bytes = MemorySegment.ofArray(new byte[Long.BYTES]);
            bytes.set(Layouts.LONG, 0, value);
            recordStore(bytes, deviceOffset, false);
        }
    }

    @Override
    public void flush(long deviceOffset, long length) {
        synchronized (lock) {
            delegate.flush(deviceOffset, length);
            recordUnseenStores(deviceOffset, length);
            events.add(new TraceEvent.Flush(deviceOffset, length));
        }
    }

    @Override
    public void fence() {
        synchronized (lock) {
            delegate.fence();
            events.add(new TraceEvent.Fence());
            fences++;
        }
    }

    @Override
    public String describe() {
        return "recording of " + delegate.describe();
    }

    /** Called after the wrapped device accepted the store, so its bounds are already checked. */
    private void recordStore(MemorySegment src, long deviceOffset, boolean nonTemporal) {
        byte[] data = src.toArray(Layouts.BYTE);
        System.arraycopy(data, 0, shadow, (int) deviceOffset, data.length);
        events.add(new TraceEvent.Store(deviceOffset, data, nonTemporal));
        recordedBytes += data.length;
    }

    /**
     * Records, as cached stores, the lines of a flushed range whose content differs from what the
     * recorded stores put there: stores made through {@link #mapWritable}.
     */
    private void recordUnseenStores(long deviceOffset, long length) {
        long start = deviceOffset & -LINE;
        long end = Math.min(shadow.length, (deviceOffset + length + LINE - 1) & -LINE);
        MemorySegment actual = delegate.directAccess(start, end - start);
        MemorySegment expected = MemorySegment.ofArray(shadow).asSlice(start, end - start);
        long at = actual.mismatch(expected);
        while (at >= 0) {
            long line = (start + at) & -LINE;
            recordStore(actual.asSlice(line - start, LINE), line, false);
            long next = line + LINE - start;
            if (next >= end - start) {
                break;
            }
            long rest = actual.asSlice(next).mismatch(expected.asSlice(next));
            at = rest < 0 ? -1 : next + rest;
        }
    }
}
