package io.daxfs.core.inode;

import io.daxfs.core.Attributes;
import io.daxfs.core.DirEntry;
import io.daxfs.core.FileKind;
import io.daxfs.core.Name;
import io.daxfs.core.Timestamp;
import io.daxfs.core.dir.DirectoryIndex;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.DentryDel;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.log.LogEntry.XattrDel;
import io.daxfs.core.log.LogEntry.XattrRef;
import io.daxfs.core.log.LogEntry.XattrSet;
import io.daxfs.core.log.LogEntry.XattrValue;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * The DRAM state of one inode, rebuilt from its log: attributes, the file index or directory
 * index, xattrs, and the log itself. Every change, at replay and live, goes through
 * {@link #apply}, so the state after a remount is the state before it.
 *
 * <p>Locking: {@link #lock} guards everything here. Readers of data and attributes take the read
 * lock; anything that appends to the log takes the write lock.
 */
public final class Inode {
    private final long ino;
    private final long generation;
    private final FileKind kind;
    private final InodeLock lock = new InodeLock();
    /**
     * The page index of a file; null for a directory, and for a file until it is first used (an
     * empty file never needs one, and each created file kept an empty one through the young
     * collections). Set once by a compare-and-set: readers under the shared lock may race to it.
     */
    private volatile FileExtents extents;
    private final DirectoryIndex directory;
    /** Null until the first xattr is set: most inodes never have one, and every DRAM inode paid an empty map. */
    private TreeMap<Name, XattrValue> xattrs;
    private InodeLog log;
    private InodeEntry attrs;
    private int openCount;
    private int orphanSlot = -1;
    private boolean linkable;
    private boolean deleted;
    private long compactionThreshold;
    /**
     * Pages written with cached stores and not yet flushed; null until the first (most inodes
     * never have one, and every DRAM inode paid an object, and a stat a cache miss in
     * {@link #needsResidence}). Set once by a compare-and-set, read without a lock.
     */
    private volatile DirtyPages dirty;
    /**
     * Live mappings; null until the first (most files are never mapped, and an empty list cost
     * every DRAM inode two objects). Set once by a compare-and-set, read without a lock.
     */
    private volatile List<LiveMapping> mappings;
    /** Whether the volume holds this inode resident (see {@link #needsResidence}); set by the volume. */
    private volatile boolean resident;
    /** Whether the volume's bounded cache holds this inode now; set by the volume. */
    private volatile boolean cached;
    /** Uses since mount, counted without synchronization: the cache records every eighth. */
    private int uses;
    /** DRAM of the xattrs, counted as they change. */
    private long xattrBytes;
    /** Device blocks of out-of-line xattr values, counted as they change (stat's st_blocks has them). */
    private long xattrBlocks;
    /** What the inode cache last weighed this inode at. */
    private long weighedBytes;

    /**
     * DRAM of an inode besides its indexes: this object, its lock, attributes, log, dirty map,
     * mapping list and xattr map, and the volume's map entries for it (estimated; what
     * {@code bin/bench million} measures per empty file is close to it).
     */
    private static final long BASE_BYTES = 640;
    /**
     * The stripes of the inode cache ({@code volume.InodeCache}) at most: it puts the numbers of
     * this many neighbouring {@link InodeTable#CHUNK chunks} in different stripes, which
     * {@link #hashCode} is made for. Threads creating at once take neighbouring chunks, so eight
     * keep up to eight such threads apart (two threads on two cores measured, issue 11.1).
     */
    public static final int CACHE_STRIPES = 8;
    private static final int CHUNK_SHIFT = Integer.numberOfTrailingZeros(InodeTable.CHUNK);
    private static final int STRIPE_FOLD_SHIFT = CHUNK_SHIFT + Integer.numberOfTrailingZeros(CACHE_STRIPES);
    private static final VarHandle MAPPINGS;
    private static final VarHandle DIRTY;
    private static final VarHandle EXTENTS;

    static {
        try {
            MAPPINGS = MethodHandles.lookup().findVarHandle(Inode.class, "mappings", List.class);
            DIRTY = MethodHandles.lookup().findVarHandle(Inode.class, "dirty", DirtyPages.class);
            EXTENTS = MethodHandles.lookup().findVarHandle(Inode.class, "extents", FileExtents.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** DRAM of one xattr besides its name and value bytes. */
    private static final long XATTR_BYTES = 96;

    /** Logs smaller than this are never compacted, unless they spilled out of a slot. */
    public static final long MIN_COMPACTION_THRESHOLD = 4 * Layout.BLOCK_SIZE;
    /**
     * A log that starts in a slot is worth a look as soon as it spills into a page: its live state
     * may fit a slot again (a file's attributes changed a few times, a directory that shrank).
     */
    private static final long SPILL_THRESHOLD = Layout.SLOT_SIZE + 1;

    /** An inode whose first entry (its attribute snapshot) is {@code first}. */
    public Inode(long ino, long generation, InodeEntry first, InodeLog log) {
        this.ino = ino;
        this.generation = generation;
        this.kind = FileKind.fromMode(first.mode());
        this.attrs = first;
        this.log = log;
        this.compactionThreshold = initialThreshold(log);
        this.directory = kind == FileKind.DIRECTORY ? new DirectoryIndex() : null;
    }

    public long ino() {
        return ino;
    }

    /**
     * The inode number's hash; equality stays identity (two copies of one number are different
     * inodes). The inode cache keys its bound by the inode itself: inodes numbered in a row then
     * land in neighbouring buckets, as boxed numbers did, instead of at random identity hashes.
     * One stripe of the cache holds every {@link #CACHE_STRIPES}th chunk, whose numbers are alike
     * in the chunk number's low bits, so the chunk number over the stripes is XORed into them:
     * else a stripe's hash table put all its chunks in the buckets of one (3-4 inodes a bucket
     * with 100k files; a put in the cache 16-20% dearer at one thread). With fewer stripes, or one, the
     * chunks still fall in different buckets (the fold is one to one).
     */
    @Override
    public int hashCode() {
        return Long.hashCode(ino ^ ((ino >>> STRIPE_FOLD_SHIFT) << CHUNK_SHIFT));
    }

    public long generation() {
        return generation;
    }

    public FileKind kind() {
        return kind;
    }

    public boolean isDirectory() {
        return kind == FileKind.DIRECTORY;
    }

    public InodeLock lock() {
        return lock;
    }

    public InodeLog log() {
        return log;
    }

    /** Swaps in a compacted log; the caller sets the next compaction threshold. */
    public void replaceLog(InodeLog compacted) {
        this.log = compacted;
    }

    /**
     * The log was compacted back into a slot: the next spill is looked at only once the log is
     * twice as long as this time, so a log that keeps spilling (a file appended to in small
     * steps) is compacted ever less often, up to the usual threshold.
     */
    public void compactedIntoSlot() {
        compactionThreshold = Math.min(MIN_COMPACTION_THRESHOLD, 2 * compactionThreshold);
    }

    private static long initialThreshold(InodeLog log) {
        return log.startsInSlot() ? SPILL_THRESHOLD : MIN_COMPACTION_THRESHOLD;
    }


    /** The latest attribute snapshot (size, times, mode… as entries left them). */
    public InodeEntry attrs() {
        return attrs;
    }

    public long size() {
        return attrs.size();
    }

    /** The file index; only for non-directories. */
    public FileExtents extents() {
        FileExtents index = extents;
        if (index == null && kind != FileKind.DIRECTORY) {
            EXTENTS.compareAndSet(this, null, new FileExtents());
            index = extents;
        }
        return index;
    }

    /**
     * The file index if it was ever used, else null; unlike {@link #extents} it never makes one
     * (a deleted empty file's pages are looked for, not created).
     */
    public FileExtents extentsIfUsed() {
        return extents;
    }

    /** The name index; only for directories. */
    public DirectoryIndex directory() {
        return directory;
    }

    /** The extended attributes: values in their entries, or references to their blocks. */
    public Map<Name, XattrValue> xattrs() {
        return xattrs == null ? Collections.emptyMap() : xattrs;
    }

    /** Blocks that hold xattr values, as (block, 1) each. */
    public void forEachXattrBlock(BiConsumer<Long, Long> action) {
        for (XattrValue v : xattrs().values()) {
            if (v instanceof XattrRef ref) {
                for (long block : ref.blocks()) {
                    action.accept(block, 1L);
                }
            }
        }
    }

    /** Link count: stored for files, derived from subdirectories for directories. */
    public int nlink() {
        return isDirectory() ? 2 + directory.subdirectories() : attrs.nlink();
    }

    /** Marks file pages {@code [pgoff, pgoff+count)} dirty (written with cached stores); any thread. */
    public void markDirty(long pgoff, long count) {
        DirtyPages pages = dirty;
        if (pages == null) {
            DIRTY.compareAndSet(this, null, new DirtyPages());
            pages = dirty;
        }
        pages.mark(pgoff, count);
    }

    /** Takes every dirty range as (first page, count) and forgets them (see {@link DirtyPages#drain}). */
    public List<long[]> drainDirty() {
        DirtyPages pages = dirty;
        return pages == null ? new ArrayList<>() : pages.drain();
    }

    /** Pages written with cached stores and not yet flushed. */
    public long dirtyPages() {
        DirtyPages pages = dirty;
        return pages == null ? 0 : pages.pages();
    }

    /**
     * True while this inode holds state that is not in its log, so its DRAM copy must not be
     * dropped: open handles, orphan or O_TMPFILE status, dirty pages awaiting fsync, live mappings.
     */
    public boolean needsResidence() {
        DirtyPages pages = dirty;
        return openCount > 0 || orphanSlot >= 0 || linkable || (pages != null && !pages.isClean())
                || !mappings().isEmpty();
    }

    public boolean isResident() {
        return resident;
    }

    public void setResident(boolean resident) {
        this.resident = resident;
    }

    public boolean isCached() {
        return cached;
    }

    public void setCached(boolean cached) {
        this.cached = cached;
    }

    /**
     * Counts a use; true for every eighth, which the cache records (recording each one would
     * cost a hash lookup on every operation; the policy needs the pattern, not every count).
     */
    public boolean countUse() {
        return (++uses & 7) == 0;
    }

    /**
     * DRAM this inode's state takes, estimated: what the inode cache weighs it by. Constant time,
     * and safe without the lock (it then reads a slightly stale estimate).
     */
    public long memoryBytes() {
        long bytes = BASE_BYTES + 8L * log.segmentCount();
        FileExtents index = extents;
        if (index != null) {
            bytes += index.memoryBytes();
        }
        if (directory != null) {
            bytes += directory.memoryBytes();
        }
        return bytes + xattrBytes;
    }

    /**
     * Records that the inode cache weighed this inode now; returns the weight (its
     * {@link #memoryBytes}).
     */
    public long weigh() {
        weighedBytes = memoryBytes();
        return weighedBytes;
    }

    /** True if this inode's size moved by more than an eighth since it was last weighed. */
    public boolean outgrewWeight() {
        long now = memoryBytes();
        return Math.abs(now - weighedBytes) > weighedBytes / 8;
    }

    /** Live DAX mappings of this file (a snapshot to iterate: mappings come and go meanwhile). */
    public List<LiveMapping> mappings() {
        List<LiveMapping> list = mappings;
        return list == null ? List.of() : list;
    }

    /** Adds a live mapping; any thread. */
    public void addMapping(LiveMapping mapping) {
        List<LiveMapping> list = mappings;
        if (list == null) {
            MAPPINGS.compareAndSet(this, null, new CopyOnWriteArrayList<LiveMapping>());
            list = mappings;
        }
        list.add(mapping);
    }

    /** Removes a live mapping; any thread. */
    public void removeMapping(LiveMapping mapping) {
        List<LiveMapping> list = mappings;
        if (list != null) {
            list.remove(mapping);
        }
    }

    /** True if a live mapping covers any of file pages {@code [first, first+count)}. */
    public boolean isMapped(long first, long count) {
        for (LiveMapping m : mappings()) {
            if (m.overlaps(first, count)) {
                return true;
            }
        }
        return false;
    }

    /** Log size (bytes) above which compaction is worth a look. */
    public long compactionThreshold() {
        return compactionThreshold;
    }

    public void setCompactionThreshold(long bytes) {
        compactionThreshold = Math.max(MIN_COMPACTION_THRESHOLD, bytes);
    }

    public int openCount() {
        return openCount;
    }

    public void opened() {
        openCount++;
    }

    public void closed() {
        openCount--;
    }

    public int orphanSlot() {
        return orphanSlot;
    }

    public void setOrphanSlot(int slot) {
        this.orphanSlot = slot;
    }

    /**
     * True for an unnamed file made by O_TMPFILE until it gets a name: linkat may name it although
     * its link count is 0 (the kernel's {@code I_LINKABLE}). Not on the media: after a crash such a
     * file is an orphan like any other.
     */
    public boolean isLinkable() {
        return linkable;
    }

    public void setLinkable(boolean linkable) {
        this.linkable = linkable;
    }

    public boolean isDeleted() {
        return deleted;
    }

    public void markDeleted() {
        deleted = true;
    }

    /**
     * Applies one committed entry. Blocks that stop backing file pages are passed to
     * {@code freed} as (block, count); the caller decides when they may be reused.
     */
    public void apply(LogEntry entry, BiConsumer<Long, Long> freed) {
        switch (entry) {
            case InodeEntry e -> {
                attrs = e;
                if (directory != null) {
                    directory.advanceCookie(e.nextCookie());
                }
            }
            case WriteEntry e -> {
                extents().replace(e.pgoff(), e.count(), e.block(), freed);
                attrs = withSizeAndTime(e.size(), e.timeNs());
            }
            case DentryAdd e -> {
                directory.add(new DirEntry(e.name(), e.ino(), FileKind.fromMode(e.kindBits()), e.cookie()));
                attrs = withSizeAndTime(attrs.size(), e.timeNs());
            }
            case DentryDel e -> {
                directory.remove(e.name());
                attrs = withSizeAndTime(attrs.size(), e.timeNs());
            }
            case XattrSet e -> setXattr(e, e.timeNs(), freed);
            case XattrRef e -> setXattr(e, e.timeNs(), freed);
            case XattrDel e -> {
                XattrValue old = xattrs == null ? null : xattrs.remove(e.name());
                if (old != null) {
                    xattrBytes -= XATTR_BYTES + e.name().length() + dramBytes(old);
                    xattrBlocks -= deviceBlocks(old);
                    releaseBlocks(old, freed);
                }
                attrs = withSizeAndTimes(attrs.size(), attrs.mtime(), Timestamp.ofNanos(e.timeNs()));
            }
        }
    }

    private void setXattr(XattrValue value, long timeNs, BiConsumer<Long, Long> freed) {
        if (xattrs == null) {
            xattrs = new TreeMap<>();
        }
        XattrValue old = xattrs.put(value.name(), value);
        xattrBytes += dramBytes(value) - (old == null ? -XATTR_BYTES - value.name().length() : dramBytes(old));
        xattrBlocks += deviceBlocks(value) - (old == null ? 0 : deviceBlocks(old));
        if (old != null) {
            releaseBlocks(old, freed);
        }
        attrs = withSizeAndTimes(attrs.size(), attrs.mtime(), Timestamp.ofNanos(timeNs));
    }

    private static long deviceBlocks(XattrValue value) {
        return value instanceof XattrRef r ? r.blocks().length : 0;
    }

    private static long dramBytes(XattrValue value) {
        return switch (value) {
            case XattrSet s -> s.value().length;
            case XattrRef r -> 8L * r.blocks().length;
        };
    }

    /** A replaced or removed value stored out of line gives its blocks back. */
    private static void releaseBlocks(XattrValue old, BiConsumer<Long, Long> freed) {
        if (old instanceof XattrRef ref) {
            for (long block : ref.blocks()) {
                freed.accept(block, 1L);
            }
        }
    }

    /** The attributes with {@code size}, and mtime and ctime both {@code timeNs}: one timestamp for the two. */
    private InodeEntry withSizeAndTime(long size, long timeNs) {
        Timestamp time = Timestamp.ofNanos(timeNs);
        return withSizeAndTimes(size, time, time);
    }

    private InodeEntry withSizeAndTimes(long size, Timestamp mtime, Timestamp ctime) {
        InodeEntry a = attrs;
        return new InodeEntry(a.mode(), a.uid(), a.gid(), a.flags(), a.nlink(), a.rdev(), size, a.atime(),
                mtime, ctime, a.btime(), a.parent(), a.nextCookie());
    }

    /** The current attributes as an entry, with the directory's next cookie filled in. */
    public InodeEntry snapshotEntry() {
        InodeEntry a = attrs;
        long cookie = directory != null ? directory.nextCookie() : 0;
        return new InodeEntry(a.mode(), a.uid(), a.gid(), a.flags(), a.nlink(), a.rdev(), a.size(), a.atime(),
                a.mtime(), a.ctime(), a.btime(), a.parent(), cookie);
    }

    /**
     * Entries that recreate this inode's whole state: what log compaction writes in place of
     * the old log.
     */
    public List<LogEntry> stateAsEntries() {
        List<LogEntry> out = new ArrayList<>();
        out.add(snapshotEntry());
        long time = attrs.mtime().toNanosSaturated(); // the closing snapshot restores the exact times
        FileExtents index = extents;
        if (index != null) {
            for (FileExtents.Run run : index.runs()) {
                out.add(new WriteEntry(run.pgoff(), run.block(), run.count(), attrs.size(), time));
            }
        }
        if (directory != null) {
            for (DirEntry d : directory.all()) {
                out.add(new DentryAdd(d.name(), d.ino(), d.kind().typeBits(), d.cookie(), time));
            }
        }
        for (XattrValue x : xattrs().values()) {
            out.add(switch (x) {
                case XattrSet s -> new XattrSet(s.name(), s.value(), time);
                case XattrRef r -> new XattrRef(r.name(), r.length(), r.blocks(), time);
            });
        }
        if (out.size() > 1) {
            out.add(snapshotEntry());
        }
        return out;
    }

    /** What stat shows. */
    public Attributes attributes() {
        InodeEntry a = attrs;
        FileExtents index = extents;
        long pages = (isDirectory() ? 1 : index == null ? 0 : index.mappedPages()) + xattrBlocks;
        long blocks = pages * (Layout.BLOCK_SIZE / 512);
        return new Attributes(ino, generation, a.mode(), nlink(), a.uid(), a.gid(), a.rdev(), a.size(), blocks,
                a.atime(), a.mtime(), a.ctime(), a.btime(), a.flags());
    }
}
