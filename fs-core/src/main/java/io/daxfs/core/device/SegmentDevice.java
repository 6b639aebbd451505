package io.daxfs.core.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link DaxDevice} over one mapped {@link MemorySegment}, with the persistence primitives of a
 * {@link PersistenceOps}. Every backing (a file, tmpfs, device-dax, plain memory) ends up here;
 * they differ in how the segment was mapped and which operations flush it.
 *
 * <p>The persistence primitives get the mapping with an offset and a length, checked here, and
 * make no slice of it (a slice per flush or copy was a fifth of a file creation's garbage); the
 * native ones hand the library raw addresses, so no downcall acquires the mapping's shared scope
 * either (a compare-and-set on one counter that every copy, zeroing and flush of every thread
 * wrote: on two threads doing 4 KiB writes the cache line bounced between the cores, 13% of the
 * samples). So the device does not keep a close from unmapping memory a copy is writing: its
 * owner closes it only when no operation runs ({@code DaxFileSystem} drains its in-flight
 * operations first; the tools are single-threaded), and an operation after the close fails.
 */
public final class SegmentDevice implements DaxDevice {
    // Aligned on purpose: the var handle of an unaligned layout (Layouts.LONG) supports only plain
    // get/set and throws UnsupportedOperationException for setRelease.
    private static final VarHandle LONG_HANDLE =
            ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment segment;
    /** {@link #segment}, read-only: one slice per {@link #directAccess} instead of two views. */
    private final MemorySegment readOnly;
    private final boolean writable;
    private final Arena arena;
    private final PersistenceOps ops;
    /** False under {@link PersistenceMode#NONE}, whose flush writes nothing back: no call to make. */
    private final boolean writesBack;
    private final String description;
    /** Owners of the views handed out by {@link #mapWritable}, closed before the device. */
    private final Set<Arena> viewOwners = ConcurrentHashMap.newKeySet();

    /**
     * @param segment the whole device mapping
     * @param arena the arena that owns the mapping, closed by {@link #close}
     * @param ops persistence primitives for this mapping
     * @param description the backing, for logs
     */
    public SegmentDevice(MemorySegment segment, Arena arena, PersistenceOps ops, String description) {
        this.segment = Objects.requireNonNull(segment, "segment");
        this.readOnly = segment.asReadOnly();
        this.writable = !segment.isReadOnly();
        this.arena = Objects.requireNonNull(arena, "arena");
        this.ops = Objects.requireNonNull(ops, "ops");
        this.writesBack = ops.mode() != PersistenceMode.NONE;
        this.description = Objects.requireNonNull(description, "description");
    }

    @Override
    public long size() {
        return segment.byteSize();
    }

    @Override
    public PersistenceMode mode() {
        return ops.mode();
    }

    @Override
    public MemorySegment directAccess(long offset, long length) {
        return readOnly.asSlice(offset, length);
    }

    /** Without a slice: a commit reads the words it journals, a lookup its inode record. */
    @Override
    public long getLong(long offset) {
        return readOnly.get(Layouts.LONG, offset);
    }

    @Override
    public int getInt(long offset) {
        return readOnly.get(Layouts.INT, offset);
    }

    @Override
    public synchronized MemorySegment mapWritable(long offset, long length, Arena owner) {
        Objects.requireNonNull(owner, "owner");
        MemorySegment slice = segment.asSlice(offset, length);
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException("device is closed");
        }
        viewOwners.removeIf(a -> !a.scope().isAlive());
        viewOwners.add(owner);
        return slice.reinterpret(owner, null);
    }

    @Override
    public void copyIn(MemorySegment src, long srcOffset, long length, long deviceOffset) {
        Objects.checkFromIndexSize(srcOffset, length, src.byteSize());
        if (!src.scope().isAlive()) {
            throw new IllegalStateException("copy from a closed segment");
        }
        requireWritable(deviceOffset, length);
        ops.copyFlushcache(src, srcOffset, segment, deviceOffset, length);
    }

    @Override
    public void write(MemorySegment src, long srcOffset, long length, long deviceOffset) {
        MemorySegment.copy(src, srcOffset, segment, deviceOffset, length);
    }

    @Override
    public void zero(long deviceOffset, long length) {
        requireWritable(deviceOffset, length);
        ops.zeroFlushcache(segment, deviceOffset, length);
    }

    @Override
    public void storeRelease(long deviceOffset, long value) {
        if ((deviceOffset & 7) != 0) {
            throw new IllegalArgumentException("commit store not 8-byte aligned: " + deviceOffset);
        }
        LONG_HANDLE.setRelease(segment, deviceOffset, value);
    }

    @Override
    public void flush(long deviceOffset, long length) {
        requireOpen(deviceOffset, length);
        if (writesBack) {
            ops.flush(segment, deviceOffset, length);
        }
    }

    /** Checks a range for a store: in the device, the device open and writable. */
    private void requireWritable(long offset, long length) {
        requireOpen(offset, length);
        if (!writable) {
            throw new IllegalArgumentException("device is read-only");
        }
    }

    /**
     * Checks a range for the persistence operations, which trust it: in the device (the native ones
     * would write or flush whatever memory is there) and the device open (the mapping's scope is
     * not held during them; see the class comment).
     */
    private void requireOpen(long offset, long length) {
        Objects.checkFromIndexSize(offset, length, segment.byteSize());
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException("device is closed");
        }
    }

    @Override
    public void fence() {
        ops.fence();
    }

    @Override
    public String describe() {
        return description + ", " + (segment.byteSize() >> 20) + " MiB, flush=" + mode().optionName()
                + " (" + ops.describe() + ")";
    }

    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            for (Arena owner : viewOwners) {
                DaxDevice.closeView(owner);
            }
            viewOwners.clear();
            arena.close();
        }
    }
}
