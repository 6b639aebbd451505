package io.daxfs.core.device;

import io.daxfs.nativeio.NativePmem;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.util.Objects;

/**
 * Persistence on the native library: streaming-store copies of {@link #STREAMING_THRESHOLD} bytes
 * and more and zeroing (durable after the fence without a flush), cached stores for shorter copies,
 * {@code clwb}/{@code clflushopt}/{@code clflush} for ranges written with cached stores under
 * {@link PersistenceMode#CPU}, and {@code sfence} (under {@link PersistenceMode#NONE} only after
 * streaming stores, {@link #fence}). {@link DeviceOpener} picks it for pmem and dax devices and for
 * {@code flush=cpu}, and for {@code flush=none} too: streaming stores copy large ranges faster than
 * cached ones and leave the cache to the rest of the machine, and there flushes cost nothing.
 *
 * <p>The library gets raw addresses ({@link NativePmem#copyNonTemporalAt} and the like): a segment
 * per call was garbage of every store, and a downcall given the mapping would acquire its shared
 * scope, a compare-and-set on one counter that every thread's every store wrote. The mapping's
 * owner ({@link SegmentDevice}) keeps it mapped while operations run.
 */
public final class NativePersistenceOps implements PersistenceOps {
    /**
     * Copies shorter than this are cached stores and a write-back of their lines, as PMDK's
     * {@code pmem_memcpy} below its movnt threshold (256 B): log entries and journal records are
     * tens of bytes, and a fence waits for streaming stores to reach memory, which costs more than
     * writing a line or two back (and, under {@code flush=none}, than nothing).
     */
    static final long STREAMING_THRESHOLD = 256;

    /**
     * Per thread, whether it made streaming stores since its last {@code sfence}: under {@code flush=none}
     * only those need one. Per thread, not per device, since an {@code sfence} orders all of its thread's
     * stores, and a thread's stores are fenced by that thread (each operation stages and commits its own).
     */
    private static final ThreadLocal<boolean[]> STREAMED = ThreadLocal.withInitial(() -> new boolean[1]);

    private final NativePmem pmem;
    private final PersistenceMode mode;

    /** @param mode {@link PersistenceMode#CPU} (flush writes back lines) or {@link PersistenceMode#NONE} */
    public NativePersistenceOps(NativePmem pmem, PersistenceMode mode) {
        this.pmem = Objects.requireNonNull(pmem, "pmem");
        if (mode != PersistenceMode.CPU && mode != PersistenceMode.NONE) {
            throw new IllegalArgumentException("native persistence implements cpu and none, not " + mode);
        }
        this.mode = mode;
    }

    @Override
    public PersistenceMode mode() {
        return mode;
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment mapping, long offset, long length) {
        if (src.isNative() && length >= STREAMING_THRESHOLD) {
            streamed();
            pmem.copyNonTemporalAt(address(mapping, offset), src.address() + srcOffset, length);
            // The source may be an automatic arena's, freed once unreachable: not before the copy ends.
            Reference.reachabilityFence(src);
        } else {
            // A cached copy and a write-back of its lines give the same guarantee (durable after the
            // fence). A heap source has no address to hand to the library; a small one is cheaper so.
            MemorySegment.copy(src, srcOffset, mapping, offset, length);
            flush(mapping, offset, length);
        }
    }

    @Override
    public void zeroFlushcache(MemorySegment mapping, long offset, long length) {
        streamed();
        pmem.zeroNonTemporalAt(address(mapping, offset), length);
    }

    @Override
    public void flush(MemorySegment mapping, long offset, long length) {
        if (mode == PersistenceMode.CPU) {
            pmem.flushAt(address(mapping, offset), length);
        }
    }

    /** The address of byte {@code offset} of the mapping, which must be native memory. */
    private static long address(MemorySegment mapping, long offset) {
        if (!mapping.isNative()) {
            throw new IllegalArgumentException("native persistence needs a native mapping, not a heap segment");
        }
        return mapping.address() + offset;
    }

    /** Notes, under {@code flush=none}, that this thread is about to make streaming stores. */
    private void streamed() {
        if (mode == PersistenceMode.NONE) {
            STREAMED.get()[0] = true;
        }
    }

    /**
     * An {@code sfence} under {@code flush=cpu} (it orders the write-backs), and under {@code flush=none}
     * when this thread made streaming stores since its last fence ({@link #sfenceOwed}). Otherwise x86
     * keeps cached stores in program order and a release fence (which only keeps the compiler from
     * reordering them) is enough. An {@code sfence} behind a cached store that misses waits for its
     * line: 25-35 ns on one thread and 45-60 ns on two on the development VM, and a create makes three
     * fences.
     */
    @Override
    public void fence() {
        boolean[] streamed = streamedFlag(); // read once: a thread-local lookup on every commit
        if (owes(streamed)) {
            pmem.sfence();
            if (streamed != null) {
                streamed[0] = false;
            }
        } else {
            VarHandle.releaseFence();
        }
    }

    /** Whether this thread's next {@link #fence} must be an {@code sfence}. */
    boolean sfenceOwed() {
        return owes(streamedFlag());
    }

    /** This thread's streamed flag under {@code flush=none}; null under {@code flush=cpu}, which always fences. */
    private boolean[] streamedFlag() {
        return mode == PersistenceMode.NONE ? STREAMED.get() : null;
    }

    private static boolean owes(boolean[] streamed) {
        return streamed == null || streamed[0];
    }

    @Override
    public String describe() {
        return mode == PersistenceMode.CPU ? pmem.describe() : pmem.describe() + ", no flush";
    }
}
