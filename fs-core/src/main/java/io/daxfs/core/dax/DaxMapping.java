package io.daxfs.core.dax;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.LiveMapping;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A live DAX mapping of part of a file: a {@link MemorySegment} over the file's own device
 * blocks, with no copy in between. While it lives its blocks are pinned, so truncate, punch-hole,
 * unlink or a copy-on-write never hand them to anyone else, and {@code write()} to its range goes
 * in place so the mapping sees it. Stores through a writable mapping are durable after
 * {@link #persist} (or fsync of the file). {@link #close} drops the pin; afterwards, and after the
 * filesystem is closed, the segment throws {@link IllegalStateException} on access.
 */
public final class DaxMapping implements LiveMapping, AutoCloseable {
    /** What a mapping may do. */
    public enum Mode {
        READ, READ_WRITE
    }

    private final Mapper owner;
    private final Inode inode;
    private final long pgoff;
    private final long pages;
    private final long block;
    private final Mode mode;
    private final long createdNs;
    private final Arena arena;
    private final MemorySegment segment;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** @param view the device's view of the blocks, scoped to {@code arena} (see DaxDevice#mapWritable) */
    DaxMapping(Mapper owner, Inode inode, long pgoff, long pages, long block, Mode mode, Arena arena,
            MemorySegment view) {
        this.owner = owner;
        this.inode = inode;
        this.pgoff = pgoff;
        this.pages = pages;
        this.block = block;
        this.mode = mode;
        this.createdNs = System.nanoTime();
        this.arena = arena;
        this.segment = mode == Mode.READ ? view.asReadOnly() : view;
    }

    /** The mapped bytes; access fails once the mapping or the filesystem is closed. */
    public MemorySegment segment() {
        return segment;
    }

    public long ino() {
        return inode.ino();
    }

    Inode inode() {
        return inode;
    }

    /** File offset of the first mapped byte. */
    public long fileOffset() {
        return pgoff * Layout.BLOCK_SIZE;
    }

    @Override
    public long length() {
        return segment.byteSize();
    }

    public Mode mode() {
        return mode;
    }

    /** How long this mapping has lived: for tracing a pin held by a forgotten mapping. */
    public long ageNs() {
        return System.nanoTime() - createdNs;
    }

    @Override
    public boolean isWritable() {
        return mode == Mode.READ_WRITE;
    }

    @Override
    public boolean isOpen() {
        return arena.scope().isAlive();
    }

    long firstPage() {
        return pgoff;
    }

    long pages() {
        return pages;
    }

    long firstBlock() {
        return block;
    }

    @Override
    public boolean overlaps(long first, long count) {
        return first < pgoff + pages && pgoff < first + count;
    }

    @Override
    public long deviceOffset() {
        return Layout.offsetOf(block);
    }

    /** Makes bytes {@code [offset, offset+length)} of the mapping durable now (msync). */
    public void persist(long offset, long length) {
        if (!isOpen()) {
            throw new FsException(Errno.EBADF, "mapping is closed");
        }
        if (offset < 0 || length < 0 || offset + length > length()) {
            throw new FsException(Errno.EINVAL, "persist range " + offset + "+" + length + " outside the mapping");
        }
        owner.persist(this, offset, length);
    }

    /**
     * Unmaps: later access fails; the pinned blocks may be reused once nothing else pins them.
     * Idempotent and thread-safe: of several closers one unmaps, the others return.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            // The segment dies before the pin drops, so no store can reach a block handed out again.
            DaxDevice.closeView(arena);
            owner.unmap(this);
        }
    }

    @Override
    public String toString() {
        return "mapping of inode " + inode.ino() + " bytes " + fileOffset() + "+" + length() + " " + mode + ", age "
                + ageNs() / 1_000_000 + " ms";
    }
}
