package io.daxfs.core.fs;

import io.daxfs.core.Attributes;
import io.daxfs.core.DirEntry;
import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.FsException;
import io.daxfs.core.FsStats;
import io.daxfs.core.MountOptions;
import io.daxfs.core.Name;
import io.daxfs.core.StatFs;
import io.daxfs.core.Timestamp;
import io.daxfs.core.dax.DaxMapping;
import io.daxfs.core.dax.Mapper;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.dirty.Writeback;
import io.daxfs.core.file.FileData;
import io.daxfs.core.file.PinnedRead;
import io.daxfs.core.file.ReadPinner;
import io.daxfs.core.file.XattrValues;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.gc.LogCompactor;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.XattrDel;
import io.daxfs.core.log.LogEntry.XattrValue;
import io.daxfs.core.namei.Names;
import io.daxfs.core.namei.Namespace;
import io.daxfs.core.volume.Mounter;
import io.daxfs.core.volume.OrphanReaper;
import io.daxfs.core.volume.NamespaceLock;
import io.daxfs.core.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A mounted daxfs: the inode-based operations the FUSE adapter (and tests, benchmarks, fsck)
 * call. Checks arguments and permissions of the operation itself, takes the locks, and hands the
 * work to the mechanism that owns it ({@link Namespace}, {@link FileData}, {@link LogCompactor}).
 * Errors are {@link FsException}s carrying an errno. Thread-safe.
 */
public final class DaxFileSystem implements AutoCloseable {
    /** {@code utimensat} special values. */
    public static final long UTIME_NOW = (1L << 30) - 1;
    public static final long UTIME_OMIT = (1L << 30) - 2;
    public static final int XATTR_CREATE = 1;
    public static final int XATTR_REPLACE = 2;
    public static final int MAX_XATTR_NAME = 255;
    /** XATTR_SIZE_MAX: E2BIG above. */
    public static final int MAX_XATTR_VALUE = XattrValues.MAX_VALUE;
    private static final long DAY_SECONDS = 86_400;
    /** The caller that keeps set-id bits on write, truncate and fallocate (it has CAP_FSETID). */
    public static final int ROOT_UID = 0;
    /** A caller without CAP_FSETID whatever its uid (FUSE's kill-suid/sgid flags): set-id bits go. */
    public static final int UNPRIVILEGED_UID = -1;
    private static final long COPY_CHUNK = 1 << 20;
    private static final long RECLAIM_WAIT_NS = 1_000_000_000L;
    private static final long PAGE = Layout.BLOCK_SIZE;
    private static final int S_ISUID = 04000;
    private static final int S_ISGID = 02000;
    private static final int S_IXGRP = 00010;
    private static final Name DOT = Name.of(".");
    private static final Name DOT_DOT = Name.of("..");

    private final Volume volume;
    private final MountOptions options;
    private final Namespace namespace;
    private final FileData data;
    private final XattrValues xattrValues;
    private final LogCompactor compactor;
    private final OrphanReaper reaper;
    private final Writeback writeback;
    private final Mapper mapper;
    private final ReadPinner readPinner;
    private final Clock clock;
    private volatile boolean closed;
    /** Every operation runs inside it; {@link #close} shuts it and waits for those in flight. */
    private final InFlight inFlight = new InFlight();
    /** Makes a second {@link #close} wait until the first has finished. */
    private final Object closing = new Object();

    /** Where time comes from: nanoseconds since the epoch (tests may fix it). */
    @FunctionalInterface
    public interface Clock {
        long nowNs();

        Clock SYSTEM = () -> {
            java.time.Instant now = java.time.Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
    }

    private DaxFileSystem(Volume volume, MountOptions options, Clock clock) {
        this.volume = volume;
        this.options = options;
        this.clock = clock;
        this.namespace = new Namespace(volume);
        this.writeback = new Writeback(volume.device());
        this.data = new FileData(volume, writeback);
        this.xattrValues = new XattrValues(volume);
        this.mapper = new Mapper(volume, writeback);
        this.readPinner = new ReadPinner(volume);
        this.compactor = new LogCompactor(volume);
        this.reaper = new OrphanReaper(volume);
    }

    /** Writes a new, empty filesystem over the whole device. */
    public static void format(DaxDevice device, FormatOptions options) {
        Mounter.format(device, options, Clock.SYSTEM.nowNs());
    }

    /**
     * Mounts the filesystem on {@code device} (recovering it after a crash); the background
     * verification of a clean mount starts at once.
     */
    public static DaxFileSystem mount(DaxDevice device, MountOptions options) {
        return mount(device, options, Clock.SYSTEM);
    }

    public static DaxFileSystem mount(DaxDevice device, MountOptions options, Clock clock) {
        DaxFileSystem fs = mountIdle(device, options, clock);
        fs.startVerification();
        return fs;
    }

    /**
     * Mounts as {@link #mount}, but the verification of a clean mount waits for
     * {@link #startVerification}, or for the first operation: a FUSE daemon starts it when the
     * kernel's INIT arrives, so that reading every log does not take the processors from the mount.
     */
    public static DaxFileSystem mountIdle(DaxDevice device, MountOptions options, Clock clock) {
        Objects.requireNonNull(options, "options");
        Volume volume = Mounter.mount(device, options.readOnly(), options.indexCacheBytes(), clock.nowNs());
        return new DaxFileSystem(volume, options, clock);
    }

    /** Starts the background verification of a clean mount, if it has not started yet. */
    public void startVerification() {
        volume.verification().begin();
    }

    public long rootIno() {
        return Layout.ROOT_INO;
    }

    public MountOptions options() {
        return options;
    }

    /** The mounted volume, for the mechanisms built on top (mappings, checker) and statistics. */
    public Volume volume() {
        return volume;
    }

    // ---- lookups and attributes ----

    /** The inode named {@code name} in directory {@code dirIno} ("." and ".." included). */
    public long lookup(long dirIno, Name name) {
        Inode dir = inode(dirIno);
        return lockedLong(dir, false, () -> {
            requireDirectory(dir);
            if (name.equals(DOT)) {
                return dir.ino();
            }
            if (name.equals(DOT_DOT)) {
                return dir.attrs().parent();
            }
            Names.checkLength(name);
            DirEntry entry = dir.directory().lookup(name);
            if (entry == null) {
                throw new FsException(Errno.ENOENT, "'" + name + "' not found");
            }
            return entry.ino();
        });
    }

    /** {@link #lookup(long, Name)} of {@code name} encoded as UTF-8. */
    public long lookup(long dirIno, String name) {
        return lookup(dirIno, Name.of(name));
    }

    public Attributes getattr(long ino) {
        Inode inode = inode(ino);
        return read(inode, inode::attributes);
    }

    /**
     * The inode a file handle names (export support: open_by_handle_at, NFS): its attributes if
     * inode {@code ino} is in use, has generation {@code generation} (see {@link Attributes#generation})
     * and still has a name (or is a directory); ESTALE if it was freed, reused or unlinked. The parent
     * of a directory, for a handle's "..", is {@code lookup(dirIno, "..")} (the root's is the root).
     */
    public Attributes getattrByHandle(long ino, long generation) {
        Inode inode;
        try {
            inode = inode(ino);
        } catch (FsException e) {
            throw e.errno() == Errno.ENOENT ? stale(ino, generation) : e;
        }
        inode.lock().lockShared();
        try {
            if (inode.isDeleted() || inode.generation() != generation || (!inode.isDirectory() && inode.nlink() == 0)) {
                throw stale(ino, generation);
            }
            return inode.attributes();
        } finally {
            inode.lock().unlockShared();
        }
    }

    private static FsException stale(long ino, long generation) {
        return new FsException(Errno.ESTALE, "no inode " + ino + " of generation " + generation);
    }

    /**
     * Up to {@code max} entries after {@code afterCookie} (0 = from the start), without "." and "..",
     * with no end: for callers that do not change the directory while they list it. A listing
     * that must end whatever happens meanwhile (readdir on an open directory) uses
     * {@link #readdir(long, long, long, int)} with {@link #listingEnd}.
     */
    public List<DirEntry> readdir(long dirIno, long afterCookie, int max) {
        return readdir(dirIno, afterCookie, Long.MAX_VALUE, max);
    }

    /**
     * Up to {@code max} entries with cookies above {@code afterCookie} (0 = from the start) and below
     * {@code endCookie}, without "." and "..". Moves the directory's atime as a read moves a file's,
     * unless the mount says {@code nodiratime}.
     */
    public List<DirEntry> readdir(long dirIno, long afterCookie, long endCookie, int max) {
        Inode dir = inode(dirIno);
        List<DirEntry> entries = read(dir, () -> {
            requireDirectory(dir);
            return dir.directory().list(afterCookie, endCookie, max);
        });
        if (options.dirAtime()) {
            touchAtime(dir);
        }
        return entries;
    }

    /**
     * Where a listing of {@code dirIno} started now ends: every name in the directory now has a
     * lower cookie, and a name added or renamed into it later a higher one. Entries are never
     * renumbered, so a listing bounded by this ends however the directory changes, shows each name
     * left alone exactly once, and may or may not show names added or removed meanwhile (POSIX).
     */
    public long listingEnd(long dirIno) {
        Inode dir = inode(dirIno);
        return read(dir, () -> {
            requireDirectory(dir);
            return dir.directory().nextCookie();
        });
    }

    // ---- namespace ----

    /** mknod/creat: a new inode of the kind in {@code mode}'s type bits. */
    public Attributes create(long dirIno, Name name, int mode, int uid, int gid, long rdev) {
        FileKind kind = FileKind.fromMode(mode);
        if (kind == FileKind.DIRECTORY || kind == FileKind.SYMLINK) {
            throw new FsException(Errno.EINVAL, "use mkdir or symlink for " + kind);
        }
        return createInode(dirIno, name, mode, uid, gid, rdev, null);
    }

    /** {@link #create(long, Name, int, int, int, long)} of {@code name} encoded as UTF-8. */
    public Attributes create(long dirIno, String name, int mode, int uid, int gid, long rdev) {
        return create(dirIno, Name.of(name), mode, uid, gid, rdev);
    }

    public Attributes mkdir(long dirIno, Name name, int mode, int uid, int gid) {
        return createInode(dirIno, name, FileKind.DIRECTORY.typeBits() | (mode & 07777), uid, gid, 0, null);
    }

    /** {@link #mkdir(long, Name, int, int, int)} of {@code name} encoded as UTF-8. */
    public Attributes mkdir(long dirIno, String name, int mode, int uid, int gid) {
        return mkdir(dirIno, Name.of(name), mode, uid, gid);
    }

    /**
     * open(O_TMPFILE): a regular file with no name in directory {@code dirIno}, counted as open
     * once (the caller releases it with {@link #release}). It lives on the orphan list, so a crash
     * or its last release without a name deletes it; {@link #link} gives it a name (linkat), taking
     * it off the list in the same commit. ENOSPC when the orphan list (2048 slots) is full.
     */
    public Attributes tmpfile(long dirIno, int mode, int uid, int gid) {
        requireWritable();
        return namespaceOp(() -> {
            Inode dir = inode(dirIno);
            return write(dir, () -> {
                Inode created = namespace.createUnnamed(dir, FileKind.REGULAR.typeBits() | (mode & 07777), uid, gid,
                        clock.nowNs());
                created.opened();
                return created.attributes();
            });
        });
    }

    /** A symlink to {@code target}: any bytes but NUL, 1 to 4095 of them, stored as they are. */
    public Attributes symlink(long dirIno, Name name, byte[] target, int uid, int gid) {
        Objects.requireNonNull(target, "target");
        return createInode(dirIno, name, FileKind.SYMLINK.typeBits() | 0777, uid, gid, 0, target);
    }

    /** {@link #symlink(long, Name, byte[], int, int)} with name and target encoded as UTF-8. */
    public Attributes symlink(long dirIno, String name, String target, int uid, int gid) {
        Objects.requireNonNull(target, "target");
        return symlink(dirIno, Name.of(name), target.getBytes(StandardCharsets.UTF_8), uid, gid);
    }

    private Attributes createInode(long dirIno, Name name, int mode, int uid, int gid, long rdev, byte[] target) {
        requireWritable();
        return namespaceOp(() -> {
            Inode dir = inode(dirIno);
            return write(dir, () -> {
                Inode created = namespace.create(dir, name, mode, uid, gid, rdev, target, clock.nowNs());
                compactor.maybeCompact(dir);
                return created.attributes();
            });
        });
    }

    /** The target of symlink {@code ino}, as the bytes it was created with. */
    public byte[] readlink(long ino) {
        Inode inode = inode(ino);
        return read(inode, () -> {
            if (inode.kind() != FileKind.SYMLINK) {
                throw new FsException(Errno.EINVAL, "inode " + ino + " is not a symlink");
            }
            byte[] bytes = new byte[(int) inode.size()];
            data.read(inode, 0, MemorySegment.ofArray(bytes));
            return bytes;
        });
    }

    public Attributes link(long ino, long newDirIno, Name newName) {
        requireWritable();
        return namespaceOp(() -> {
            Inode inode = inode(ino);
            Inode dir = inode(newDirIno);
            return writeAll(List.of(dir, inode), () -> {
                namespace.link(inode, dir, newName, clock.nowNs());
                compactor.maybeCompact(dir);
                return inode.attributes();
            });
        });
    }

    /** {@link #link(long, long, Name)} of {@code newName} encoded as UTF-8. */
    public Attributes link(long ino, long newDirIno, String newName) {
        return link(ino, newDirIno, Name.of(newName));
    }

    public void unlink(long dirIno, Name name) {
        removeName(dirIno, name, false);
    }

    /** {@link #unlink(long, Name)} of {@code name} encoded as UTF-8. */
    public void unlink(long dirIno, String name) {
        unlink(dirIno, Name.of(name));
    }

    public void rmdir(long dirIno, Name name) {
        removeName(dirIno, name, true);
    }

    /** {@link #rmdir(long, Name)} of {@code name} encoded as UTF-8. */
    public void rmdir(long dirIno, String name) {
        rmdir(dirIno, Name.of(name));
    }

    private void removeName(long dirIno, Name name, boolean directory) {
        requireWritable();
        Names.check(name);
        namespaceOp(() -> {
            Inode dir = inode(dirIno);
            Inode victim = inode(lookup(dirIno, name));
            return writeAll(List.of(dir, victim), () -> {
                requireStillNamed(dir, name, victim);
                if (directory) {
                    namespace.rmdir(dir, name, victim, clock.nowNs());
                } else {
                    namespace.unlink(dir, name, victim, clock.nowNs());
                }
                compactor.maybeCompact(dir);
                return null;
            });
        });
    }

    /** rename(2)/renameat2(2) with {@code RENAME_NOREPLACE} / {@code RENAME_EXCHANGE} flags. */
    public void rename(long srcDirIno, Name srcName, long dstDirIno, Name dstName, int flags) {
        requireWritable();
        Names.check(srcName);
        Names.check(dstName);
        exclusiveNamespaceOp(() -> {
            Inode srcDir = inode(srcDirIno);
            Inode dstDir = inode(dstDirIno);
            Inode moved = inode(lookup(srcDirIno, srcName));
            Inode replaced = lookupOrNull(dstDir, dstName);
            List<Inode> locked = new ArrayList<>(List.of(srcDir, dstDir, moved));
            if (replaced != null) {
                locked.add(replaced);
            }
            return writeAll(locked, () -> {
                namespace.rename(srcDir, srcName, moved, dstDir, dstName, replaced, flags, clock.nowNs());
                compactor.maybeCompact(srcDir);
                if (dstDir != srcDir) {
                    compactor.maybeCompact(dstDir);
                }
                return null;
            });
        });
    }

    /** {@link #rename(long, Name, long, Name, int)} of names encoded as UTF-8. */
    public void rename(long srcDirIno, String srcName, long dstDirIno, String dstName, int flags) {
        rename(srcDirIno, Name.of(srcName), dstDirIno, Name.of(dstName), flags);
    }

    /**
     * Checks, under the directory's lock, that {@code name} still names {@code victim}: it was
     * looked up before the locks were taken, and another operation in the same directory may have
     * removed it (and created another file under that name) meanwhile. That operation comes first:
     * the name was gone for a moment, so ENOENT.
     */
    private static void requireStillNamed(Inode dir, Name name, Inode victim) {
        DirEntry e = dir.directory().lookup(name);
        if (e == null || e.ino() != victim.ino()) {
            throw new FsException(Errno.ENOENT, "'" + name + "' was removed meanwhile");
        }
    }

    private Inode lookupOrNull(Inode dir, Name name) {
        return read(dir, () -> {
            requireDirectory(dir);
            DirEntry e = dir.directory().lookup(name);
            return e == null ? null : inode(e.ino());
        });
    }

    // ---- open files ----

    /** Counts an open file handle; an unlinked file lives until its last handle is released. */
    public void open(long ino) {
        Inode inode = inode(ino);
        write(inode, () -> {
            inode.opened();
            return null;
        });
    }

    public void release(long ino) {
        volume.pendingReclaims().beginServing();
        try {
            Inode inode = inode(ino);
            write(inode, () -> {
                inode.closed();
                reapIfUnused(inode);
                return null;
            });
        } finally {
            volume.pendingReclaims().endServing(ino, false);
        }
    }

    /**
     * Counts one lookup the FUSE kernel now holds on inode {@code ino} (a reply that gave it a
     * node id: lookup, create and the like) and returns its attributes for that reply. While the
     * kernel holds lookups, an unlinked inode is kept like an open one as long as an orphan slot
     * can spare; one deleted meanwhile keeps its number until {@link #forget} (so a node id never
     * names a newer file).
     */
    public Attributes hold(long ino) {
        Inode inode = inode(ino);
        return write(inode, () -> {
            volume.addLookup(ino);
            return inode.attributes();
        });
    }

    /**
     * The kernel's FORGET: drops {@code count} of the lookups {@link #hold} counted on {@code ino};
     * at the last one an unlinked inode that is not open is deleted. A number the kernel never
     * held is ignored (FORGET has no reply to fail).
     */
    public void forget(long ino, long count) {
        volume.pendingReclaims().beginServing();
        try {
            guarded(() -> {
                if (volume.forgetLookups(ino, count)) {
                    reapIfUnused(ino);
                }
                return null;
            });
        } finally {
            volume.pendingReclaims().endServing(ino, !volume.lookups().held(ino));
        }
    }

    private void reapIfUnused(long ino) {
        Inode inode;
        try {
            inode = volume.inode(ino);
        } catch (FsException gone) {
            return;
        }
        inode.lock().lockExclusive();
        try {
            reapIfUnused(inode);
        } finally {
            inode.lock().unlockExclusive();
        }
    }

    /**
     * Deletes an unlinked inode once it is neither open nor looked up (one still looked up is due
     * at the kernel's FORGET); the caller holds its lock.
     */
    private void reapIfUnused(Inode inode) {
        if (inode.openCount() != 0 || inode.nlink() != 0 || inode.isDeleted() || options.readOnly()) {
            return;
        }
        if (volume.lookups().held(inode.ino())) {
            volume.pendingReclaims().due(inode.ino());
        } else {
            reaper.reap(inode);
        }
    }

    // ---- data ----

    /** Reads into {@code dst}; returns the bytes read (0 at or past EOF). */
    public long read(long ino, long offset, MemorySegment dst) {
        Inode inode = inode(ino);
        long n = lockedLong(inode, false, () -> {
            requireRegular(inode);
            if (offset < 0) {
                throw new FsException(Errno.EINVAL, "negative offset");
            }
            return data.read(inode, offset, dst);
        });
        touchAtime(inode);
        return n;
    }

    /**
     * Zero-copy read: the bytes of {@code [offset, offset+length)} (cut at EOF) as device slices
     * and zero slices for holes, with their blocks pinned until the returned handle is closed (see
     * {@link PinnedRead}). Changes atime as {@link #read} does. The caller must close it.
     */
    public PinnedRead pinRead(long ino, long offset, long length) {
        Inode inode = inode(ino);
        PinnedRead pinned = read(inode, () -> {
            requireRegular(inode);
            return readPinner.pin(inode, offset, length);
        });
        touchAtime(inode);
        return pinned;
    }

    /** {@link #write(long, long, MemorySegment, int)} by a privileged caller (set-id bits stay). */
    public long write(long ino, long offset, MemorySegment src) {
        return write(ino, offset, src, ROOT_UID);
    }

    /**
     * Writes {@code src} at {@code offset}; returns the count. A caller other than root
     * ({@code callerUid}) clears the file's set-user-ID bit, and its set-group-ID bit if group-execute
     * is set, as local filesystems do when a writer lacks CAP_FSETID (owner or not).
     */
    public long write(long ino, long offset, MemorySegment src, int callerUid) {
        requireWritable();
        Inode inode = inode(ino);
        return lockedLong(inode, true, () -> {
            requireRegular(inode);
            long n = data.write(inode, offset, src, clock.nowNs(),
                    options.writeback() == MountOptions.Writeback.FSYNC, setIdBitsToDrop(inode, callerUid));
            compactor.maybeCompact(inode);
            return n;
        });
    }

    /** {@link #truncate(long, long, int)} by a privileged caller (set-id bits stay). */
    public void truncate(long ino, long size) {
        truncate(ino, size, ROOT_UID);
    }

    /** Sets the size; a caller other than root clears set-id bits as {@link #write(long, long, MemorySegment, int)}. */
    public void truncate(long ino, long size, int callerUid) {
        setattr(ino, AttrChange.NONE.withSize(size), callerUid);
    }

    /** {@link #fallocate(long, int, long, long, int)} by a privileged caller (set-id bits stay). */
    public void fallocate(long ino, int mode, long offset, long length) {
        fallocate(ino, mode, offset, length, ROOT_UID);
    }

    /**
     * fallocate(2); {@code mode} uses {@link FileData#KEEP_SIZE}, {@link FileData#PUNCH_HOLE},
     * {@link FileData#ZERO_RANGE}. A caller other than root clears set-id bits as
     * {@link #write(long, long, MemorySegment, int)}.
     */
    public void fallocate(long ino, int mode, long offset, long length, int callerUid) {
        requireWritable();
        Inode inode = inode(ino);
        write(inode, () -> {
            requireRegular(inode);
            data.fallocate(inode, mode, offset, length, clock.nowNs(), setIdBitsToDrop(inode, callerUid));
            compactor.maybeCompact(inode);
            return null;
        });
    }

    /**
     * copy_file_range(2) within this filesystem: copies up to {@code length} bytes from
     * {@code srcIno} at {@code srcOffset} to {@code dstIno} at {@code dstOffset} (bytes are copied,
     * blocks are not shared); returns the count, short or 0 at the source's EOF. Each chunk is
     * atomic, the whole is not (as with read and write). EINVAL for overlapping ranges of one file;
     * set-id bits of the destination as {@link #write(long, long, MemorySegment, int)}.
     */
    public long copyFileRange(long srcIno, long srcOffset, long dstIno, long dstOffset, long length, int callerUid) {
        requireWritable();
        if (srcOffset < 0 || dstOffset < 0 || length < 0) {
            throw new FsException(Errno.EINVAL, "copy range " + srcOffset + " -> " + dstOffset + " +" + length);
        }
        Inode src = inode(srcIno);
        Inode dst = inode(dstIno);
        long available = read(src, () -> {
            requireRegular(src);
            return Math.max(0, Math.min(length, src.size() - srcOffset));
        });
        read(dst, () -> {
            requireRegular(dst);
            return null;
        });
        if (src == dst && srcOffset < dstOffset + available && dstOffset < srcOffset + available) {
            throw new FsException(Errno.EINVAL, "copy_file_range within one file with overlapping ranges");
        }
        MemorySegment buffer = MemorySegment.ofArray(new byte[(int) Math.min(available, COPY_CHUNK)]);
        long copied = 0;
        while (copied < available) {
            MemorySegment chunk = buffer.asSlice(0, Math.min(buffer.byteSize(), available - copied));
            long at = srcOffset + copied;
            long n = read(src, () -> data.read(src, at, chunk));
            if (n == 0) {
                break; // the source shrank meanwhile
            }
            write(dstIno, dstOffset + copied, chunk.asSlice(0, n), callerUid);
            copied += n;
        }
        if (copied > 0) {
            touchAtime(src);
        }
        return copied;
    }

    /**
     * lseek SEEK_DATA: the first offset at or after {@code offset} that holds data (a page with a
     * block, including fallocated ones); ENXIO at or past EOF or when only a hole follows.
     */
    public long seekData(long ino, long offset) {
        Inode inode = inode(ino);
        return read(inode, () -> {
            requireRegular(inode);
            long size = inode.size();
            requireBeforeEof(offset, size);
            long page = offset / PAGE;
            if (inode.extents().blockOf(page) != 0) {
                return offset;
            }
            long next = inode.extents().nextMapped(page);
            if (next < 0 || next * PAGE >= size) {
                throw new FsException(Errno.ENXIO, "no data after offset " + offset);
            }
            return next * PAGE;
        });
    }

    private static void requireBeforeEof(long offset, long size) {
        if (offset < 0 || offset >= size) {
            throw new FsException(Errno.ENXIO, "offset " + offset + " is not before EOF " + size);
        }
    }

    /**
     * lseek SEEK_HOLE: the first offset at or after {@code offset} in a hole, EOF counting as
     * one; ENXIO at or past EOF.
     */
    public long seekHole(long ino, long offset) {
        Inode inode = inode(ino);
        return read(inode, () -> {
            requireRegular(inode);
            long size = inode.size();
            requireBeforeEof(offset, size);
            long pos = offset;
            long endPage = (size - 1) / PAGE + 1;
            for (FileExtents.Run run = inode.extents().find(pos / PAGE, endPage); run != null && pos < size;
                    run = inode.extents().find(pos / PAGE, endPage)) {
                pos = run.end() * PAGE;
            }
            return Math.min(pos, size);
        });
    }

    /**
     * fsync/fdatasync/msync: everything written to the file before, and everything stored through
     * its writable mappings, is durable when this returns. Metadata is always durable already, so
     * both flush exactly the dirty pages.
     */
    public void fsync(long ino, boolean dataOnly) {
        Inode inode = inode(ino);
        read(inode, () -> {
            writeback.fsync(inode);
            return null;
        });
    }

    /**
     * syncfs: everything written before, in any file, is durable when this returns. Inodes held
     * in DRAM only for their dirty pages may be dropped again afterwards.
     */
    public void syncfs() {
        guarded(() -> {
            writeback.syncfs(volume.residentInodes());
            for (Inode inode : volume.residentInodes()) {
                inode.lock().lockShared();
                try {
                    volume.settle(inode, false);
                } finally {
                    inode.lock().unlockShared();
                }
            }
            return null;
        });
    }

    // ---- DAX mappings ----

    /**
     * Maps {@code length} bytes of a regular file from page-aligned {@code offset} straight onto
     * its device blocks (see {@link Mapper} for holes, EOF and contiguity).
     */
    public DaxMapping map(long ino, long offset, long length, DaxMapping.Mode mode) {
        if (mode == DaxMapping.Mode.READ_WRITE) {
            requireWritable();
        }
        Inode inode = inode(ino);
        return write(inode, () -> {
            requireRegular(inode);
            return mapper.map(inode, offset, length, mode, options.readOnly(), clock.nowNs());
        });
    }

    /** Live mappings, oldest first, each with its file and age: what holds pins. */
    public List<DaxMapping> liveMappings() {
        return mapper.liveMappings();
    }

    private String statsText() {
        FsStats stats = stats();
        StringBuilder text = new StringBuilder()
                .append("pinned_bytes ").append(stats.pinnedBytes()).append('\n')
                .append("deferred_bytes ").append(stats.deferredBytes()).append('\n')
                .append("dirty_bytes ").append(stats.dirtyBytes()).append('\n')
                .append("free_bytes ").append(stats.freeBytes()).append('\n')
                .append("live_mappings ").append(stats.liveMappings()).append('\n')
                .append("orphans ").append(stats.orphans()).append('\n')
                .append("numbers_awaiting_forget ").append(stats.numbersAwaitingForget()).append('\n')
                .append("dax_mode ").append(options.daxMode()).append('\n');
        for (DaxMapping m : mapper.liveMappings()) {
            text.append("mapping ino=").append(m.ino()).append(" offset=").append(m.fileOffset())
                    .append(" length=").append(m.length()).append(" mode=").append(m.mode())
                    .append(" age_ms=").append(m.ageNs() / 1_000_000).append('\n');
        }
        return text.toString();
    }

    /** Pinned, deferred and dirty bytes, and live mappings. */
    public FsStats stats() {
        long block = Layout.BLOCK_SIZE;
        return new FsStats(volume.releaser().pinnedBlocks() * block, volume.releaser().deferredBlocks() * block,
                Writeback.dirtyBytes(volume.residentInodes()), mapper.liveMappings().size(),
                volume.allocator().freeBlocks() * block, volume.orphans().usedCount(), volume.lookups().awaitingForget());
    }

    // ---- attributes ----

    /** chmod: the permission bits of {@code mode} (the file type stays). */
    public Attributes chmod(long ino, int mode) {
        return setattr(ino, AttrChange.NONE.withMode(mode), ROOT_UID);
    }

    /** chown; -1 leaves the uid or gid as it is. Clears set-uid/set-gid on non-directories as Linux does. */
    public Attributes chown(long ino, int uid, int gid) {
        return setattr(ino, AttrChange.NONE.withOwner(uid, gid), ROOT_UID);
    }

    /**
     * utimensat: seconds and nanoseconds, or {@link #UTIME_NOW} / {@link #UTIME_OMIT} in the
     * nanosecond field. A time outside the format's range is clamped as ext4 clamps
     * ({@link Timestamp#clamped}).
     */
    public Attributes utimens(long ino, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) {
        return setattr(ino, AttrChange.NONE.withTimes(atimeSec, atimeNsec, mtimeSec, mtimeNsec), ROOT_UID);
    }

    /**
     * Applies {@code change} (mode, owner, size, times) as ONE transaction: a crash leaves all of it
     * or none, and a full device fails it whole. The parts apply in the order chmod, chown,
     * truncate, utimensat, each with its own rules: a new owner clears set-uid (and set-gid when
     * group-execute is set) of a non-directory; a size change by a caller other than root
     * ({@code callerUid}) clears set-id bits as {@link #write(long, long, MemorySegment, int)} and
     * sets mtime to now (unless the change gives mtime); ctime becomes now.
     */
    public Attributes setattr(long ino, AttrChange change, int callerUid) {
        Objects.requireNonNull(change, "change");
        requireWritable();
        Inode inode = inode(ino);
        return write(inode, () -> {
            if (change.changesSize()) {
                requireRegular(inode);
            }
            Timestamp now = now();
            InodeEntry a = inode.snapshotEntry();
            int mode = change.changesMode() ? (a.mode() & FileKind.S_IFMT) | change.mode() : a.mode();
            if (change.changesOwner() && FileKind.fromMode(mode) != FileKind.DIRECTORY) {
                mode &= ~((mode & S_IXGRP) != 0 ? S_ISUID | S_ISGID : S_ISUID);
            }
            if (change.changesSize()) {
                mode &= ~setIdBitsToDrop(mode, callerUid);
            }
            Timestamp mtime = change.changesSize() ? now : a.mtime();
            InodeEntry after = new InodeEntry(mode, change.uid() == AttrChange.KEEP ? a.uid() : change.uid(),
                    change.gid() == AttrChange.KEEP ? a.gid() : change.gid(), a.flags(), a.nlink(), a.rdev(),
                    change.changesSize() ? change.size() : a.size(), pick(change.atimeSec(), change.atimeNsec(),
                    a.atime(), now), pick(change.mtimeSec(), change.mtimeNsec(), mtime, now), now, a.btime(),
                    a.parent(), a.nextCookie());
            if (change.changesSize()) {
                data.truncate(inode, after);
            } else {
                volume.begin().append(inode, after).commit();
            }
            compactor.maybeCompact(inode);
            return inode.attributes();
        });
    }

    private static Timestamp pick(long sec, long nsec, Timestamp old, Timestamp now) {
        if (nsec == UTIME_OMIT) {
            return old;
        }
        if (nsec == UTIME_NOW) {
            return now;
        }
        if (nsec < 0 || nsec >= 1_000_000_000L) {
            throw new FsException(Errno.EINVAL, "nanoseconds out of range: " + nsec);
        }
        return Timestamp.clamped(sec, nsec);
    }

    private Timestamp now() {
        return Timestamp.ofNanos(clock.nowNs());
    }

    /** Sets the inode flags ({@link Attributes#FLAG_DAX}). */
    public Attributes setFlags(long ino, int flags) {
        if ((flags & ~Attributes.FLAG_DAX) != 0) {
            throw new FsException(Errno.EOPNOTSUPP, "unsupported inode flags 0x" + Integer.toHexString(flags));
        }
        return changeAttrs(ino, a -> new InodeEntry(a.mode(), a.uid(), a.gid(), flags, a.nlink(), a.rdev(), a.size(),
                a.atime(), a.mtime(), now(), a.btime(), a.parent(), a.nextCookie()));
    }

    /**
     * The set-id bits a write, truncate or fallocate by {@code callerUid} clears, in the same
     * commit as the change: for a caller other than root (no CAP_FSETID), set-user-ID, and
     * set-group-ID when group-execute is set (without it, set-group-ID marks mandatory locking and
     * stays), as local filesystems do.
     */
    private static int setIdBitsToDrop(Inode inode, int callerUid) {
        return setIdBitsToDrop(inode.attrs().mode(), callerUid);
    }

    private static int setIdBitsToDrop(int mode, int callerUid) {
        return callerUid == ROOT_UID ? 0 : mode & (S_ISUID | ((mode & S_IXGRP) != 0 ? S_ISGID : 0));
    }

    private Attributes changeAttrs(long ino, java.util.function.UnaryOperator<InodeEntry> change) {
        requireWritable();
        Inode inode = inode(ino);
        return write(inode, () -> {
            volume.begin().append(inode, change.apply(inode.snapshotEntry())).commit();
            compactor.maybeCompact(inode);
            return inode.attributes();
        });
    }

    /**
     * relatime/strictatime: a read moves atime forward when the policy asks for it. Best effort, as
     * in Linux: a read that succeeded never fails because its atime could not be logged (a full
     * device, an inode deleted meanwhile).
     */
    private void touchAtime(Inode inode) {
        if (options.readOnly() || options.atime() == MountOptions.Atime.NOATIME) {
            return;
        }
        long nowNs = clock.nowNs(); // a Timestamp only when due: most reads change nothing
        if (!atimeDue(inode.attrs(), nowNs)) {
            return;
        }
        Timestamp now = Timestamp.ofNanos(nowNs);
        try {
            write(inode, () -> {
                InodeEntry a = inode.snapshotEntry();
                if (atimeDue(a, nowNs)) {
                    volume.begin().append(inode, new InodeEntry(a.mode(), a.uid(), a.gid(), a.flags(), a.nlink(),
                            a.rdev(), a.size(), now, a.mtime(), a.ctime(), a.btime(), a.parent(),
                            a.nextCookie())).commit();
                    compactor.maybeCompact(inode);
                }
                return null;
            });
        } catch (FsException skipped) {
            // the atime stays as it was
        }
    }

    private boolean atimeDue(InodeEntry a, long nowNs) {
        if (options.atime() == MountOptions.Atime.STRICTATIME) {
            return a.atime().toNanosSaturated() != nowNs;
        }
        return a.atime().compareTo(a.mtime()) <= 0 || a.atime().compareTo(a.ctime()) <= 0
                || a.atime().secondsUntil(nowNs) >= DAY_SECONDS;
    }

    // ---- xattrs ----

    /**
     * Virtual xattr, on every inode: the per-file DAX flag, "1" or "0" (as {@code chattr +x}).
     * Not stored as an xattr and not listed.
     */
    public static final Name DAX_XATTR = Name.of("user.daxfs.dax");
    /**
     * Virtual xattr, read-only, on the root directory: pinned, deferred, dirty and free bytes and
     * one line per live DAX mapping (file, range, age), so a forgotten mapping can be traced.
     */
    public static final Name STATS_XATTR = Name.of("user.daxfs.stats");
    /** The same as {@link #STATS_XATTR}, as one JSON object ({@link StatsJson}). */
    public static final Name STATS_JSON_XATTR = Name.of("user.daxfs.stats.json");

    public void setxattr(long ino, Name name, byte[] value, int flags) {
        requireWritable();
        checkXattrName(name);
        if (name.equals(DAX_XATTR)) {
            String text = new String(value, StandardCharsets.UTF_8).trim();
            if (!text.equals("0") && !text.equals("1")) {
                throw new FsException(Errno.EINVAL, DAX_XATTR + " takes 0 or 1");
            }
            int current = getattr(ino).flags();
            setFlags(ino, text.equals("1") ? current | Attributes.FLAG_DAX : current & ~Attributes.FLAG_DAX);
            return;
        }
        if (name.equals(STATS_XATTR) || name.equals(STATS_JSON_XATTR)) {
            throw new FsException(Errno.EPERM, name + " is read-only");
        }
        if (value.length > MAX_XATTR_VALUE) {
            throw new FsException(Errno.E2BIG, "xattr value of " + value.length + " bytes (at most "
                    + MAX_XATTR_VALUE + ")");
        }
        Inode inode = inode(ino);
        write(inode, () -> {
            boolean exists = inode.xattrs().containsKey(name);
            if ((flags & XATTR_CREATE) != 0 && exists) {
                throw new FsException(Errno.EEXIST, "xattr " + name + " exists");
            }
            if ((flags & XATTR_REPLACE) != 0 && !exists) {
                throw new FsException(Errno.ENODATA, "no xattr " + name);
            }
            xattrValues.set(inode, name, value, clock.nowNs());
            compactor.maybeCompact(inode);
            return null;
        });
    }

    /** {@link #setxattr(long, Name, byte[], int)} of {@code name} encoded as UTF-8. */
    public void setxattr(long ino, String name, byte[] value, int flags) {
        setxattr(ino, Name.of(name), value, flags);
    }

    public byte[] getxattr(long ino, Name name) {
        checkXattrName(name);
        if (name.equals(DAX_XATTR)) {
            return ((getattr(ino).flags() & Attributes.FLAG_DAX) != 0 ? "1" : "0").getBytes(StandardCharsets.UTF_8);
        }
        if (name.equals(STATS_XATTR) && ino == Layout.ROOT_INO) {
            return statsText().getBytes(StandardCharsets.UTF_8);
        }
        if (name.equals(STATS_JSON_XATTR) && ino == Layout.ROOT_INO) {
            return StatsJson.of(statsText()).getBytes(StandardCharsets.UTF_8);
        }
        Inode inode = inode(ino);
        return read(inode, () -> {
            XattrValue value = inode.xattrs().get(name);
            if (value == null) {
                throw new FsException(Errno.ENODATA, "no xattr " + name);
            }
            return xattrValues.read(value);
        });
    }

    /** {@link #getxattr(long, Name)} of {@code name} encoded as UTF-8. */
    public byte[] getxattr(long ino, String name) {
        return getxattr(ino, Name.of(name));
    }

    /** The names of the stored xattrs, in byte order. */
    public List<Name> listxattr(long ino) {
        Inode inode = inode(ino);
        return read(inode, () -> new ArrayList<>(inode.xattrs().keySet()));
    }

    public void removexattr(long ino, Name name) {
        requireWritable();
        checkXattrName(name);
        if (name.equals(DAX_XATTR) || name.equals(STATS_XATTR) || name.equals(STATS_JSON_XATTR)) {
            throw new FsException(Errno.EPERM, name + " cannot be removed");
        }
        Inode inode = inode(ino);
        write(inode, () -> {
            if (!inode.xattrs().containsKey(name)) {
                throw new FsException(Errno.ENODATA, "no xattr " + name);
            }
            volume.begin().releasing().append(inode, new XattrDel(name, clock.nowNs())).commit();
            compactor.maybeCompact(inode);
            return null;
        });
    }

    /** {@link #removexattr(long, Name)} of {@code name} encoded as UTF-8. */
    public void removexattr(long ino, String name) {
        removexattr(ino, Name.of(name));
    }

    /** A name that is only a namespace prefix names no attribute: EINVAL, as the VFS answers. */
    private static final Set<Name> XATTR_PREFIXES =
            Set.of(Name.of("user."), Name.of("trusted."), Name.of("security."), Name.of("system."));

    private static void checkXattrName(Name name) {
        int length = name.length();
        if (length == 0 || length > MAX_XATTR_NAME) {
            throw new FsException(Errno.ERANGE, "xattr name of " + length + " bytes");
        }
        if (XATTR_PREFIXES.contains(name)) {
            throw new FsException(Errno.EINVAL, "xattr name '" + name + "' is only a namespace prefix");
        }
    }

    // ---- filesystem ----

    /**
     * Block and inode counts. Waits (up to a second) for deletions the kernel has just set off, so
     * that {@code rm; df} shows the space back (see {@link io.daxfs.core.volume.PendingReclaims}).
     */
    public StatFs statfs() {
        volume.pendingReclaims().awaitSettled(RECLAIM_WAIT_NS);
        Layout layout = volume.layout();
        long totalInodes = layout.inodeCount() - 1;
        return new StatFs(Layout.BLOCK_SIZE, layout.dataBlocks(), volume.allocator().freeBlocks(),
                volume.allocator().availableBlocks(), totalInodes, totalInodes - volume.inodeTable().usedCount(),
                Names.MAX_NAME_BYTES);
    }

    /**
     * Clean unmount: waits for operations in flight, closes every mapping and pinned read, makes
     * what they and cached writes stored durable, deletes open orphans, saves the allocator and
     * marks the superblock clean. Later calls fail with EIO; a second close does nothing.
     */
    @Override
    public void close() {
        synchronized (closing) {
            if (closed) {
                return;
            }
            inFlight.shutAndDrain();
            closed = true;
            mapper.closeAll();
            volume.releaser().dropAllPins(); // the mappings are closed: any pin left is a read reply never closed
            if (!options.readOnly()) {
                writeback.syncfs(volume.residentInodes());
                reapOrphansAndUnmount();
            }
        }
    }

    private void reapOrphansAndUnmount() {
        volume.namespaceLock().lockExclusive();
        try {
            for (Inode inode : volume.residentInodes()) {
                if (!inode.isDeleted() && !inode.isDirectory() && inode.nlink() == 0) {
                    inode.lock().lockExclusive();
                    try {
                        reaper.reap(inode);
                    } finally {
                        inode.lock().unlockExclusive();
                    }
                }
            }
            Mounter.unmount(volume, clock.nowNs());
        } finally {
            volume.namespaceLock().unlockExclusive();
        }
    }

    // ---- helpers ----

    private Inode inode(long ino) {
        if (closed) {
            throw new FsException(Errno.EIO, "filesystem is unmounted");
        }
        return volume.inode(ino);
    }

    private void requireWritable() {
        if (options.readOnly()) {
            throw new FsException(Errno.EROFS, "mounted read-only");
        }
    }

    private static void requireLive(Inode inode) {
        if (inode.isDeleted()) {
            throw new FsException(Errno.ENOENT, "inode " + inode.ino() + " was deleted");
        }
    }

    private static void requireDirectory(Inode inode) {
        if (!inode.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, "inode " + inode.ino() + " is not a directory");
        }
    }

    private static void requireRegular(Inode inode) {
        if (inode.isDirectory()) {
            throw new FsException(Errno.EISDIR, "inode " + inode.ino() + " is a directory");
        }
        if (inode.kind() != FileKind.REGULAR) {
            throw new FsException(Errno.EINVAL, "inode " + inode.ino() + " is not a regular file");
        }
    }

    /** Runs {@code op} as an operation of the mounted filesystem: EIO once it is closed. */
    private <T> T guarded(Supplier<T> op) {
        enter();
        try {
            return op.get();
        } finally {
            inFlight.exit();
        }
    }

    /** The start of {@link #guarded}: counts the operation in; the caller exits in a finally. */
    private void enter() {
        if (!inFlight.enter()) {
            throw new FsException(Errno.EIO, "filesystem is unmounted");
        }
        try {
            volume.verification().begin(); // an allocation would wait for it (see mountIdle)
        } catch (RuntimeException | Error e) {
            inFlight.exit();
            throw e;
        }
    }

    /**
     * Runs a namespace operation that changes names in one directory only: such operations run in
     * parallel (see {@link #writeAllLocked} for their lock order); rename excludes them all.
     */
    private <T> T namespaceOp(Supplier<T> op) {
        return underNamespaceLock(false, op);
    }

    /** Runs rename alone: it may move a subtree, and checks ancestry over several directories. */
    private <T> T exclusiveNamespaceOp(Supplier<T> op) {
        return underNamespaceLock(true, op);
    }

    private <T> T underNamespaceLock(boolean alone, Supplier<T> op) {
        volume.verification().await();
        NamespaceLock lock = volume.namespaceLock();
        enter(); // guarded's steps, not guarded: its lambda was garbage of every create and unlink
        try {
            if (alone) {
                lock.lockExclusive();
            } else {
                lock.lockShared();
            }
            try {
                return op.get();
            } finally {
                if (alone) {
                    lock.unlockExclusive();
                } else {
                    lock.unlockShared();
                }
            }
        } finally {
            inFlight.exit();
        }
    }

    private <T> T read(Inode inode, Supplier<T> op) {
        return locked(inode, false, op);
    }

    private <T> T write(Inode inode, Supplier<T> op) {
        return locked(inode, true, op);
    }

    /** Write-locks several distinct inodes (see {@link #writeAllLocked}). */
    private <T> T writeAll(List<Inode> inodes, Supplier<T> op) {
        return guarded(() -> writeAllLocked(inodes, op));
    }

    /**
     * Write-locks several inodes in inode-number order: namespace operations run in parallel, and
     * one global order keeps them from deadlocking whatever shape the tree has (even a damaged
     * one whose entries loop). Before letting go, tells the volume which must stay in DRAM.
     */
    private <T> T writeAllLocked(List<Inode> inodes, Supplier<T> op) {
        // One array, sorted by insertion (two to four inodes), its first `taken` slots the distinct
        // inodes locked so far: two lists, a copy and a comparator were garbage of every unlink.
        Inode[] ordered = new Inode[inodes.size()];
        for (int i = 0; i < ordered.length; i++) {
            Inode inode = inodes.get(i);
            int j = i;
            for (; j > 0 && ordered[j - 1].ino() > inode.ino(); j--) {
                ordered[j] = ordered[j - 1];
            }
            ordered[j] = inode;
        }
        int taken = 0;
        try {
            for (int i = 0; i < ordered.length; i++) {
                Inode inode = ordered[i];
                if (!isAmong(inode, ordered, taken)) {
                    inode.lock().lockExclusive();
                    ordered[taken++] = inode; // i >= taken: only a slot already visited is overwritten
                }
                requireLive(inode);
            }
            return op.get();
        } finally {
            for (int i = taken - 1; i >= 0; i--) {
                volume.settle(ordered[i], true);
                ordered[i].lock().unlockExclusive();
            }
        }
    }

    /** Whether {@code inode} itself (identity) is one of {@code inodes[0, count)}. */
    private static boolean isAmong(Inode inode, Inode[] inodes, int count) {
        for (int i = 0; i < count; i++) {
            if (inodes[i] == inode) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs {@code op} under {@code lock} (the write lock if {@code writing}); an inode deleted while
     * this thread waited for the lock is gone (ENOENT), so nothing is ever appended to a log whose
     * pages were released. Before letting go, tells the volume whether the inode must stay in DRAM.
     */
    private <T> T locked(Inode inode, boolean writing, Supplier<T> op) {
        enter(); // guarded's steps, not guarded: its lambda was garbage of every stat and create
        try {
            lock(inode, writing);
            try {
                requireLive(inode);
                return op.get();
            } finally {
                settleAndUnlock(inode, writing);
            }
        } finally {
            inFlight.exit();
        }
    }

    /** {@link #locked} of a number: no box per call (every lookup, data read and write returned one). */
    private long lockedLong(Inode inode, boolean writing, LongSupplier op) {
        enter();
        try {
            lock(inode, writing);
            try {
                requireLive(inode);
                return op.getAsLong();
            } finally {
                settleAndUnlock(inode, writing);
            }
        } finally {
            inFlight.exit();
        }
    }

    /** Takes {@code inode}'s lock, the write lock if {@code writing}. */
    private static void lock(Inode inode, boolean writing) {
        if (writing) {
            inode.lock().lockExclusive();
        } else {
            inode.lock().lockShared();
        }
    }

    /** Tells the volume whether {@code inode} must stay in DRAM, then lets its lock go. */
    private void settleAndUnlock(Inode inode, boolean writing) {
        volume.settle(inode, writing);
        if (writing) {
            inode.lock().unlockExclusive();
        } else {
            inode.lock().unlockShared();
        }
    }
}
