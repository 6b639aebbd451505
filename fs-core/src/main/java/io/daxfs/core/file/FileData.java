package io.daxfs.core.file;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.Timestamp;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.Extent;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.dirty.Writeback;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.volume.Transaction;
import io.daxfs.core.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * File data (NOVA's {@code dax} and {@code file}): reads copy once from the device into the
 * caller's buffer; writes, zeroing and truncation are copy-on-write: new blocks are filled and
 * made durable, then one commit points the file at them and the old blocks are released. So
 * every change here is atomic, however many blocks it covers. Data is written with flushcache
 * copies and made durable by the fence that staging the commit's entries ends with, one fence for
 * data and entries together. Callers hold the inode lock
 * (read lock for {@link #read}, write lock otherwise).
 */
public final class FileData {
    private static final long PAGE = Layout.BLOCK_SIZE;

    private final Volume volume;
    private final DaxDevice device;
    private final Writeback writeback;

    public FileData(Volume volume, Writeback writeback) {
        this.volume = volume;
        this.device = volume.device();
        this.writeback = writeback;
    }

    /** Copies up to {@code dst.byteSize()} bytes from {@code offset}; returns the count (0 at EOF). */
    public long read(Inode inode, long offset, MemorySegment dst) {
        long size = inode.size();
        if (offset >= size) {
            return 0;
        }
        long length = Math.min(dst.byteSize(), size - offset);
        long end = offset + length;
        FileExtents extents = inode.extents();
        long pos = offset;
        while (pos < end) {
            long page = pos / PAGE;
            FileExtents.Run run = extents.find(page, (end - 1) / PAGE + 1);
            long chunkEnd;
            if (run == null) {
                chunkEnd = holeEnd(extents, page, end);
                dst.asSlice(pos - offset, chunkEnd - pos).fill((byte) 0);
            } else {
                chunkEnd = Math.min(end, run.end() * PAGE);
                long deviceOffset = Layout.offsetOf(run.blockOf(page)) + pos % PAGE;
                MemorySegment.copy(device.directAccess(deviceOffset, chunkEnd - pos), 0, dst, pos - offset,
                        chunkEnd - pos);
            }
            pos = chunkEnd;
        }
        return length;
    }

    /**
     * Writes {@code src} at {@code offset}, extending the file as needed; returns the count.
     * Copy-on-write (atomic) unless {@code cached} ({@code writeback=fsync}) or a live mapping
     * covers part of the range: then pages that have blocks are written in place, as ext4 DAX does,
     * so the mapping sees the data; holes are still filled copy-on-write. {@code dropModeBits}
     * (set-id bits an unprivileged writer clears, or 0) leave the mode in the same commit.
     */
    public long write(Inode inode, long offset, MemorySegment src, long nowNs, boolean cached, int dropModeBits) {
        long length = src.byteSize();
        if (length == 0) {
            return 0;
        }
        checkRange(offset, length);
        long newSize = Math.max(inode.size(), offset + length);
        zeroPastEof(inode, offset);
        long first = offset / PAGE;
        long pages = (offset + length - 1) / PAGE - first + 1;
        if (cached || inode.isMapped(first, pages)) {
            writeInPlace(inode, offset, src, newSize, nowNs, cached, dropModeBits);
        } else {
            commit(inode, rewrite(inode, offset, length, src, newSize, nowNs),
                    dropModeBits == 0 ? List.of() : List.of(sizeEntry(inode, newSize, nowNs, dropModeBits)));
        }
        return length;
    }

    private void writeInPlace(Inode inode, long offset, MemorySegment src, long newSize, long nowNs, boolean cached,
            int dropModeBits) {
        long end = offset + src.byteSize();
        Rewrite holes = Rewrite.EMPTY;
        try {
            long pos = offset;
            while (pos < end) {
                long page = pos / PAGE;
                FileExtents.Run run = inode.extents().find(page, (end - 1) / PAGE + 1);
                long chunkEnd;
                if (run == null) {
                    chunkEnd = holeEnd(inode.extents(), page, end);
                    holes = holes.plus(rewrite(inode, pos, chunkEnd - pos, src.asSlice(pos - offset, chunkEnd - pos),
                            newSize, nowNs));
                } else {
                    chunkEnd = Math.min(end, run.end() * PAGE);
                    long target = Layout.offsetOf(run.blockOf(page)) + pos % PAGE;
                    if (cached) {
                        device.write(src, pos - offset, chunkEnd - pos, target);
                        writeback.dirtied(inode, page, (chunkEnd - 1) / PAGE - page + 1, target, chunkEnd - pos);
                    } else {
                        device.copyIn(src, pos - offset, chunkEnd - pos, target);
                    }
                }
                pos = chunkEnd;
            }
        } catch (RuntimeException e) {
            holes.allocated().forEach(volume.allocator()::free);
            throw e;
        }
        commit(inode, holes, List.of(sizeEntry(inode, newSize, nowNs, dropModeBits)));
    }

    /**
     * Sets the size to {@code after.size()} and the attributes to {@code after}, in one commit (the
     * caller builds {@code after}: set-id bits, owner, times). Shrinking releases the pages past
     * the new end; growing leaves a hole. Neither allocates data blocks: the bytes past the new end
     * in its last page are zeroed in place after the commit (for mappings; a crash may leave them,
     * which growing handles, see {@link #zeroPastEof}).
     */
    public void truncate(Inode inode, InodeEntry after) {
        long newSize = after.size();
        if (newSize < 0) {
            throw new FsException(Errno.EINVAL, "negative size " + newSize);
        }
        if (newSize > Layout.MAX_FILE_SIZE) {
            throw new FsException(Errno.EFBIG, "size " + newSize + " exceeds " + Layout.MAX_FILE_SIZE);
        }
        zeroPastEof(inode, newSize);
        List<LogEntry> holes = new ArrayList<>();
        long firstWhole = (newSize + PAGE - 1) / PAGE;
        long end = mappedEnd(inode);
        if (end > firstWhole) {
            holes.add(new WriteEntry(firstWhole, 0, end - firstWhole, newSize, after.ctime().toNanosSaturated()));
        }
        Transaction tx = newSize < inode.size() ? volume.begin().releasing() : volume.begin();
        commit(tx, inode, Rewrite.EMPTY, concat(holes, after));
        zeroInPlace(inode, newSize, firstWhole * PAGE);
    }

    /**
     * Before the size grows to {@code newSize} (or a write from there makes it grow): zeroes, in place, what the file's blocks hold
     * between the old size and the new one. Only a mapping can have stored there (or a crash after
     * a shrink), and as on Linux such bytes must not become file content. Zeroing in place is safe
     * before the commit: the bytes are past the size the media shows until then.
     */
    private void zeroPastEof(Inode inode, long newSize) {
        long size = inode.size();
        if (newSize > size) {
            zeroInPlace(inode, size, Math.min(newSize, mappedEnd(inode) * PAGE));
        }
    }

    /** Zeroes file bytes {@code [from, to)} in the blocks they have now (holes are zeros already). */
    private void zeroInPlace(Inode inode, long from, long to) {
        if (to <= from) {
            return;
        }
        long first = from / PAGE;
        for (FileExtents.Run run : inode.extents().runsIn(first, (to - 1) / PAGE - first + 1)) {
            long start = Math.max(from, run.pgoff() * PAGE);
            long end = Math.min(to, run.end() * PAGE);
            device.zero(Layout.offsetOf(run.blockOf(start / PAGE)) + start % PAGE, end - start);
        }
    }

    /** fallocate(2) modes. */
    public static final int KEEP_SIZE = 0x01;
    public static final int PUNCH_HOLE = 0x02;
    public static final int ZERO_RANGE = 0x10;

    /** fallocate(2): allocate (zeroed), punch a hole, or zero a range; {@code dropModeBits} as for write. */
    public void fallocate(Inode inode, int mode, long offset, long length, long nowNs, int dropModeBits) {
        if (offset < 0 || length <= 0) {
            throw new FsException(Errno.EINVAL, "fallocate range " + offset + "+" + length);
        }
        if ((mode & ~(KEEP_SIZE | PUNCH_HOLE | ZERO_RANGE)) != 0) {
            throw new FsException(Errno.EOPNOTSUPP, "fallocate mode 0x" + Integer.toHexString(mode));
        }
        checkRange(offset, length);
        boolean keepSize = (mode & KEEP_SIZE) != 0;
        long end = offset + length;
        long newSize = keepSize ? inode.size() : Math.max(inode.size(), end);
        zeroPastEof(inode, newSize);
        if ((mode & PUNCH_HOLE) != 0) {
            if (!keepSize || (mode & ZERO_RANGE) != 0) {
                throw new FsException(Errno.EOPNOTSUPP, "punch-hole needs keep-size and excludes zero-range");
            }
            punch(inode, offset, end, nowNs, dropModeBits);
        } else if ((mode & ZERO_RANGE) != 0) {
            // As write(): in place where a live mapping covers the range, so that it sees the zeros.
            Rewrite zeros = Rewrite.EMPTY;
            if (inode.isMapped(offset / PAGE, (end - 1) / PAGE - offset / PAGE + 1)) {
                zeroInPlace(inode, offset, end);
            } else {
                zeros = rewrite(inode, offset, length, null, newSize, nowNs);
            }
            commit(inode, zeros, List.of(sizeEntry(inode, newSize, nowNs, dropModeBits)));
        } else {
            allocateHoles(inode, offset, end, newSize, nowNs, dropModeBits);
        }
    }

    private void punch(Inode inode, long offset, long end, long nowNs, int dropModeBits) {
        long size = inode.size();
        long firstWhole = (offset + PAGE - 1) / PAGE;
        long endWhole = end / PAGE;
        List<LogEntry> holes = new ArrayList<>();
        Rewrite partial;
        if (firstWhole > endWhole) {
            partial = zeroIfMapped(inode, offset, end - offset, size, nowNs);
        } else {
            Rewrite head = zeroIfMapped(inode, offset, firstWhole * PAGE - offset, size, nowNs);
            try {
                partial = head.plus(zeroIfMapped(inode, endWhole * PAGE, end - endWhole * PAGE, size, nowNs));
            } catch (RuntimeException e) {
                head.allocated().forEach(volume.allocator()::free);
                throw e;
            }
            if (endWhole > firstWhole) {
                holes.add(new WriteEntry(firstWhole, 0, endWhole - firstWhole, size, nowNs));
            }
        }
        commit(volume.begin().releasing(), inode, partial, concat(holes, sizeEntry(inode, size, nowNs, dropModeBits)));
    }

    private Rewrite zeroIfMapped(Inode inode, long offset, long length, long size, long nowNs) {
        if (length <= 0 || inode.extents().blockOf(offset / PAGE) == 0) {
            return Rewrite.EMPTY;
        }
        return rewrite(inode, offset, length, null, size, nowNs);
    }

    private void allocateHoles(Inode inode, long offset, long end, long newSize, long nowNs, int dropModeBits) {
        long first = offset / PAGE;
        long last = (end - 1) / PAGE;
        List<LogEntry> entries = new ArrayList<>();
        List<Extent> allocated = new ArrayList<>();
        try {
            long page = first;
            while (page <= last) {
                FileExtents.Run run = inode.extents().find(page, last + 1);
                if (run != null) {
                    page = run.end();
                    continue;
                }
                long next = inode.extents().nextMapped(page);
                long holeEnd = next < 0 ? last + 1 : Math.min(last + 1, next);
                long pgoff = page;
                for (Extent e : volume.allocator().allocate(holeEnd - page, holeEnd - page >= 512, BlockAllocator.Use.DATA)) {
                    allocated.add(e);
                    device.zero(Layout.offsetOf(e.start()), e.count() * PAGE);
                    entries.add(new WriteEntry(pgoff, e.start(), e.count(), newSize, nowNs));
                    pgoff += e.count();
                }
                page = holeEnd;
            }
            entries.add(sizeEntry(inode, newSize, nowNs, dropModeBits));
            volume.begin().append(inode, entries).commit();
        } catch (RuntimeException e) {
            allocated.forEach(volume.allocator()::free);
            throw e;
        }
    }

    /** New blocks filled for a copy-on-write change, with the entries that will point at them. */
    private record Rewrite(List<Extent> allocated, List<LogEntry> entries) {
        static final Rewrite EMPTY = new Rewrite(List.of(), List.of());

        Rewrite plus(Rewrite other) {
            return new Rewrite(concat(allocated, other.allocated), concat(entries, other.entries));
        }
    }

    /**
     * Fills new blocks for the pages of {@code [offset, offset+length)}: bytes of the range come
     * from {@code src} (zeros when null), the rest of each page from its old block (zeros for a
     * hole). Nothing points at the blocks yet; the fence of the commit that publishes them makes
     * them durable first (see {@link io.daxfs.core.log.LogWriter#stage}).
     */
    private Rewrite rewrite(Inode inode, long offset, long length, MemorySegment src, long newSize, long nowNs) {
        long end = offset + length;
        long first = offset / PAGE;
        long pages = (end - 1) / PAGE - first + 1;
        List<Extent> allocated = volume.allocator().allocate(pages, pages >= 512, BlockAllocator.Use.DATA);
        try {
            if (allocated.size() == 1) { // no list to collect one entry in, and none copied at the commit
                return new Rewrite(allocated, List.of(fill(inode, allocated.getFirst(), first, offset, end, src, newSize, nowNs)));
            }
            List<LogEntry> entries = new ArrayList<>(allocated.size());
            long pgoff = first;
            for (Extent e : allocated) {
                entries.add(fill(inode, e, pgoff, offset, end, src, newSize, nowNs));
                pgoff += e.count();
            }
            return new Rewrite(allocated, entries);
        } catch (RuntimeException e) {
            allocated.forEach(volume.allocator()::free);
            throw e;
        }
    }

    /**
     * Fills new extent {@code e}, which will hold file pages from {@code pgoff}: bytes of
     * {@code [offset, end)} from {@code src} (zeros when null), the rest from the old blocks; returns
     * the entry that will point at it.
     */
    private WriteEntry fill(Inode inode, Extent e, long pgoff, long offset, long end, MemorySegment src, long newSize,
            long nowNs) {
        long fileStart = pgoff * PAGE;
        long fileEnd = fileStart + e.count() * PAGE;
        long base = Layout.offsetOf(e.start());
        long dataStart = Math.max(offset, fileStart);
        long dataEnd = Math.min(end, fileEnd);
        copyOld(inode, fileStart, dataStart, base);
        if (src == null) {
            device.zero(base + dataStart - fileStart, dataEnd - dataStart);
        } else {
            device.copyIn(src, dataStart - offset, dataEnd - dataStart, base + dataStart - fileStart);
        }
        copyOld(inode, dataEnd, fileEnd, base + dataEnd - fileStart);
        return new WriteEntry(pgoff, e.start(), e.count(), newSize, nowNs);
    }

    /** Copies file bytes {@code [from, to)} (within one page) from the current blocks to {@code target}. */
    private void copyOld(Inode inode, long from, long to, long target) {
        if (to <= from) {
            return;
        }
        long block = inode.extents().blockOf(from / PAGE);
        if (block == 0) {
            device.zero(target, to - from);
        } else {
            long source = Layout.offsetOf(block) + from % PAGE;
            device.copyIn(device.directAccess(source, to - from), target);
        }
    }

    private void commit(Inode inode, Rewrite rewrite, List<LogEntry> more) {
        commit(volume.begin(), inode, rewrite, more);
    }

    private void commit(Transaction tx, Inode inode, Rewrite rewrite, List<LogEntry> more) {
        try {
            // No copy when nothing comes after the data's entries (most writes): a list is garbage of every write.
            tx.append(inode, more.isEmpty() ? rewrite.entries() : concat(rewrite.entries(), more)).commit();
        } catch (RuntimeException e) {
            rewrite.allocated().forEach(volume.allocator()::free);
            throw e;
        }
    }

    /** Where the hole at {@code page} ends, in bytes, capped at {@code end}. */
    private static long holeEnd(FileExtents extents, long page, long end) {
        long next = extents.nextMapped(page);
        return next < 0 ? end : Math.min(end, next * PAGE);
    }

    /** The attributes after a data change: new size and times, and the mode without {@code dropModeBits}. */
    private static InodeEntry sizeEntry(Inode inode, long size, long nowNs, int dropModeBits) {
        InodeEntry a = inode.attrs();
        return new InodeEntry(a.mode() & ~dropModeBits, a.uid(), a.gid(), a.flags(), a.nlink(), a.rdev(), size, a.atime(),
                Timestamp.ofNanos(nowNs), Timestamp.ofNanos(nowNs), a.btime(), a.parent(), a.nextCookie());
    }

    /** One past the last mapped page (0 when nothing is mapped). */
    private static long mappedEnd(Inode inode) {
        return inode.extents().mappedEnd();
    }

    /**
     * Checks a byte range that a write, fallocate or mapping would make part of the file: EINVAL
     * for a negative offset, EFBIG when it ends past {@link #MAX_FILE_SIZE} (or overflows).
     */
    public static void checkRange(long offset, long length) {
        if (offset < 0) {
            throw new FsException(Errno.EINVAL, "negative offset " + offset);
        }
        if (offset + length > Layout.MAX_FILE_SIZE || offset + length < 0) {
            throw new FsException(Errno.EFBIG, "range ends beyond the largest file size " + Layout.MAX_FILE_SIZE);
        }
    }

    private static <T> List<T> concat(List<? extends T> a, List<? extends T> b) {
        List<T> out = new ArrayList<>(a.size() + b.size());
        out.addAll(a);
        out.addAll(b);
        return out;
    }

    private static <T> List<T> concat(List<? extends T> a, T b) {
        List<T> out = new ArrayList<>(a.size() + 1);
        out.addAll(a);
        out.add(b);
        return out;
    }
}
