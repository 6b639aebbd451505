package io.daxfs.core.device;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * Pure-Java persistence primitives: {@code MemorySegment.copy} for the copy, {@code force} for
 * {@link PersistenceMode#MSYNC} (and as the fallback of {@link PersistenceMode#CPU} when the native
 * library cannot load), nothing at all for {@link PersistenceMode#NONE}.
 */
public final class JavaPersistenceOps implements PersistenceOps {
    private final PersistenceMode mode;
    private final boolean force;

    /** Operations for {@code mode}; {@code force} says whether flush calls {@code force()}. */
    public JavaPersistenceOps(PersistenceMode mode, boolean force) {
        if (mode == PersistenceMode.AUTO) {
            throw new IllegalArgumentException("AUTO must be resolved before choosing operations");
        }
        this.mode = mode;
        this.force = force;
    }

    /** No flushing, only ordering: volatile memory or eADR. */
    public static JavaPersistenceOps none() {
        return new JavaPersistenceOps(PersistenceMode.NONE, false);
    }

    @Override
    public PersistenceMode mode() {
        return mode;
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment mapping, long offset, long length) {
        MemorySegment.copy(src, srcOffset, mapping, offset, length);
        flush(mapping, offset, length);
    }

    @Override
    public void flush(MemorySegment mapping, long offset, long length) {
        // force() needs the mapping itself: an alias made from its address is not "mapped" and has
        // nothing to force (flush=msync then never called msync).
        if (force && mapping.isMapped()) {
            mapping.asSlice(offset, length).force();
        }
    }

    @Override
    public void fence() {
        VarHandle.fullFence();
    }

    @Override
    public String describe() {
        return force ? "java force" : "java, no flush";
    }
}
