package io.daxfs.core.device;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A byte-addressable persistent-memory device: the seeds' {@code dax_operations}.
 *
 * <p>The filesystem stores to the device only through this interface (never through a segment it
 * got from {@link #directAccess}), so that the crash tests' recording device sees every store, flush and
 * fence. The device, not the filesystem, knows whether a flush is needed: under
 * {@link PersistenceMode#NONE} {@link #flush} costs nothing, but callers issue it all the same.
 *
 * <p>Durability rule: bytes written by {@link #write} are durable after {@link #flush} of their
 * range and a following {@link #fence}; bytes written by {@link #copyIn} or {@link #zero} need only
 * the {@link #fence}. A commit is an 8-byte {@link #storeRelease} followed by flush and fence.
 */
public interface DaxDevice extends AutoCloseable {

    /** Size of the device in bytes. */
    long size();

    /** The persistence mode in force (never {@link PersistenceMode#AUTO}). */
    PersistenceMode mode();

    /** A read-only, bounds-checked view of {@code length} bytes at {@code offset}. */
    MemorySegment directAccess(long offset, long length);

    /**
     * A writable view for DAX mappings handed to users, scoped to {@code owner}: access fails with
     * {@link IllegalStateException} once {@code owner} is closed, and the device closes every such
     * owner when it closes itself, so a view never outlives the memory under it. Stores through it
     * bypass recording, so the filesystem itself never uses it for its own structures.
     */
    MemorySegment mapWritable(long offset, long length, Arena owner);

    /** The flushcache copy: {@code src} lands at {@code deviceOffset}, durable after {@link #fence}. */
    default void copyIn(MemorySegment src, long deviceOffset) {
        copyIn(src, 0, src.byteSize(), deviceOffset);
    }

    /**
     * The flushcache copy of {@code length} bytes of {@code src} from {@code srcOffset}: what a
     * caller copying part of a staging buffer uses, so that it makes no slice of it. {@code src}'s
     * arena must stay open until the call returns: a closed one is refused at the door, but the
     * native copy reads raw addresses and does not hold the arena, so a shared arena closed by another
     * thread meanwhile is read after it is freed. Holding it would cost a locked instruction per copy,
     * which waits for the streaming stores before it: 10-34% of a 4 KiB write (docs/bench/HISTORY.md,
     * "Holding the source's arena").
     */
    void copyIn(MemorySegment src, long srcOffset, long length, long deviceOffset);

    /** A plain cached store of {@code src}; durable only after {@link #flush} and {@link #fence}. */
    default void write(MemorySegment src, long deviceOffset) {
        write(src, 0, src.byteSize(), deviceOffset);
    }

    /** A plain cached store of {@code length} bytes of {@code src} from {@code srcOffset} (no slice made). */
    void write(MemorySegment src, long srcOffset, long length, long deviceOffset);

    /** Zeroes a range with flushcache semantics: durable after {@link #fence}. */
    void zero(long deviceOffset, long length);

    /** An 8-byte, 8-byte-aligned store with release semantics: the commit point of a change. */
    void storeRelease(long deviceOffset, long value);

    /** Writes back the CPU cache lines of a range, as the persistence mode requires. */
    void flush(long deviceOffset, long length);

    /** Orders and drains: every flushed or non-temporal store before it is durable after it. */
    void fence();

    /** One line for logs: backing, size, mode. */
    String describe();

    /** Unmaps the device; views handed out before fail cleanly afterwards. */
    @Override
    void close();

    /**
     * Closes the owner of views from {@link #mapWritable}; no error when the device (or another
     * thread) closed it first.
     */
    static void closeView(Arena owner) {
        try {
            owner.close();
        } catch (IllegalStateException e) {
            if (owner.scope().isAlive()) {
                throw e;
            }
        }
    }

    /** Reads an 8-byte little-endian value (a convenience over {@link #directAccess}). */
    default long getLong(long offset) {
        return directAccess(offset, Long.BYTES).get(Layouts.LONG, 0);
    }

    /** Reads a 4-byte little-endian value. */
    default int getInt(long offset) {
        return directAccess(offset, Integer.BYTES).get(Layouts.INT, 0);
    }

    /** Opens the device at {@code path}; see {@link DeviceOpener} for what each kind of path means. */
    static DaxDevice open(Path path, DeviceOptions options) throws IOException {
        return DeviceOpener.open(path, options);
    }
}
