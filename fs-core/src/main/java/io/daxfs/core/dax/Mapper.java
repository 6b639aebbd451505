package io.daxfs.core.dax;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.balloc.Extent;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.dirty.Writeback;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.file.FileData;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.volume.Volume;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes DAX mappings (NOVA's {@code dax} mmap path): finds or makes the file range one contiguous
 * run of blocks, pins it and hands out a segment over it. A range that is not contiguous (or has
 * holes) is first rewritten into one newly allocated run, zero-filled where it was a hole, in one
 * commit: so a mapping of a hole or past EOF allocates zeroed blocks, and a read-only mapping of a
 * hole maps zeros. The file size does not change. It never moves blocks that another live mapping
 * uses (EBUSY instead), so all mappings of a range, read() and write() see the same bytes. Callers hold the inode's write lock for
 * {@link #map}.
 */
public final class Mapper {
    private final Volume volume;
    private final Writeback writeback;
    private final Set<DaxMapping> live = ConcurrentHashMap.newKeySet();

    public Mapper(Volume volume, Writeback writeback) {
        this.volume = volume;
        this.writeback = writeback;
    }

    /** Maps {@code length} bytes of {@code inode} from {@code offset} (page-aligned). */
    public DaxMapping map(Inode inode, long offset, long length, DaxMapping.Mode mode, boolean readOnlyMount,
            long nowNs) {
        if (offset < 0 || offset % Layout.BLOCK_SIZE != 0 || length <= 0) {
            throw new FsException(Errno.EINVAL, "mapping needs a page-aligned offset and a positive length");
        }
        FileData.checkRange(offset, length);
        long pgoff = offset / Layout.BLOCK_SIZE;
        long pages = (length + Layout.BLOCK_SIZE - 1) / Layout.BLOCK_SIZE;
        FileExtents.Run run = inode.extents().find(pgoff, pgoff + pages);
        long block;
        if (run != null && run.end() >= pgoff + pages) {
            block = run.blockOf(pgoff);
        } else if (readOnlyMount) {
            throw new FsException(Errno.EROFS, "mapping this range needs allocation on a read-only mount");
        } else if (inode.isMapped(pgoff, pages)) {
            // Relocating would move the blocks under the live mapping, which would silently stop
            // being the file: refuse instead, as coherence matters more than this mapping's shape.
            throw new FsException(Errno.EBUSY, "mapping bytes " + offset + "+" + length
                    + " would move blocks that a live mapping of the file uses; map within its range or close it");
        } else {
            block = relocate(inode, pgoff, pages, nowNs);
        }
        Arena arena = Arena.ofShared();
        MemorySegment view;
        try {
            view = volume.device().mapWritable(Layout.offsetOf(block), length, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        volume.releaser().pin(block, pages);
        DaxMapping mapping = new DaxMapping(this, inode, pgoff, pages, block, mode, arena, view);
        inode.addMapping(mapping);
        live.add(mapping);
        if (mode == DaxMapping.Mode.READ_WRITE) {
            writeback.dirtied(inode, pgoff, pages, Layout.offsetOf(block), pages * Layout.BLOCK_SIZE);
        }
        return mapping;
    }

    /** Copies pages {@code [pgoff, pgoff+pages)} into one new run (zeros for holes) and commits it. */
    private long relocate(Inode inode, long pgoff, long pages, long nowNs) {
        Extent target = volume.allocator().allocateContiguous(pages);
        DaxDevice device = volume.device();
        try {
            for (long page = pgoff; page < pgoff + pages; page++) {
                long to = Layout.offsetOf(target.start() + page - pgoff);
                long old = inode.extents().blockOf(page);
                if (old == 0) {
                    device.zero(to, Layout.BLOCK_SIZE);
                } else {
                    device.copyIn(device.directAccess(Layout.offsetOf(old), Layout.BLOCK_SIZE), to);
                }
            }
            volume.begin().append(inode, new WriteEntry(pgoff, target.start(), pages, inode.size(), nowNs)).commit();
            return target.start();
        } catch (RuntimeException e) {
            volume.allocator().free(target);
            throw e;
        }
    }

    void persist(DaxMapping mapping, long offset, long length) {
        DaxDevice device = volume.device();
        device.flush(mapping.deviceOffset() + offset, length);
        device.fence();
    }

    /**
     * Drops the mapping's pin. A writable mapping's range stays dirty, so the next fsync, syncfs or
     * unmount flushes what was stored through it since the last one.
     */
    void unmap(DaxMapping mapping) {
        if (live.remove(mapping)) {
            // Dirty first: an fsync running meanwhile sees the range either as a mapping or as dirty.
            if (mapping.mode() == DaxMapping.Mode.READ_WRITE) {
                writeback.dirtied(mapping.inode(), mapping.firstPage(), mapping.pages(), mapping.deviceOffset(),
                        mapping.pages() * Layout.BLOCK_SIZE);
            }
            mapping.inode().removeMapping(mapping);
            volume.holdIfNeeded(mapping.inode()); // its dirty range is in DRAM only until fsync
            volume.releaser().unpin(mapping.firstBlock(), mapping.pages());
        }
    }

    /** Live mappings, oldest first: what holds pins. */
    public List<DaxMapping> liveMappings() {
        List<DaxMapping> out = new ArrayList<>(live);
        out.sort((a, b) -> Long.compare(b.ageNs(), a.ageNs()));
        return out;
    }

    /** Closes every live mapping (filesystem unmount): their segments fail from now on. */
    public void closeAll() {
        for (DaxMapping mapping : List.copyOf(live)) {
            mapping.close();
        }
    }
}
