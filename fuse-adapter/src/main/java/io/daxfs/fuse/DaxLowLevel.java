package io.daxfs.fuse;

import io.daxfs.core.Attributes;
import io.daxfs.core.DirEntry;
import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.FsException;
import io.daxfs.core.MountOptions;
import io.daxfs.core.Name;
import io.daxfs.core.StatFs;
import io.daxfs.core.file.PinnedRead;
import io.daxfs.core.fs.AttrChange;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.fuse.kernel.Attr;
import io.daxfs.fuse.kernel.Context;
import io.daxfs.fuse.kernel.DirectoryListing;
import io.daxfs.fuse.kernel.Entry;
import io.daxfs.fuse.kernel.FuseError;
import io.daxfs.fuse.kernel.IoctlReply;
import io.daxfs.fuse.kernel.LowLevelFileSystem;
import io.daxfs.fuse.kernel.OpenReply;
import io.daxfs.fuse.kernel.ReadReply;
import io.daxfs.fuse.kernel.Requests.SetattrIn;
import io.daxfs.fuse.kernel.StatfsReply;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The daxfs binding of the kernel-protocol transport: FUSE low-level operations on the inode
 * operations of {@link DaxFileSystem}. A node id is the daxfs inode number (the root is inode 1,
 * FUSE's root id) and the entry's generation is the inode's, so a reused number is a new file to
 * the kernel; every name of a hard-linked file is one kernel inode. An open file's handle is its
 * inode number ({@link #DIRECT_HANDLE} added when it was opened for direct I/O under dax=inode),
 * and fs-core keeps an unlinked file alive while it is open, so fstat, fchmod and ftruncate work on it.
 *
 * <p>Lookup counts: every reply that gives the kernel a node id (lookup, mknod, mkdir, symlink,
 * link, create, tmpfile, READDIRPLUS entries other than "." and "..") counts one lookup in fs-core
 * ({@link DaxFileSystem#hold}), and FORGET/BATCH_FORGET drop them ({@link DaxFileSystem#forget}).
 * An unlinked inode is reclaimed only once it is closed and forgotten, as long as an orphan slot
 * can spare; past that (the kernel forgets late, its dentry cache can hold thousands of names)
 * it is reclaimed at once, and its number stays unused until the FORGET, so a node id never
 * names a newer file. Unmount (DESTROY, then fs-core's close) reclaims every unlinked inode.
 *
 * <p>Names, xattr names and symlink targets stay bytes end to end ({@link Name}). FLUSH is not
 * implemented (ENOSYS makes the kernel stop sending it: data is durable when write returns).
 */
final class DaxLowLevel implements LowLevelFileSystem {
    private static final int BLKSIZE = 4096;
    private static final int READDIR_BATCH = 256;
    private static final int W_OK = 2;
    private static final int RENAME_WHITEOUT = 4;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;

    /** Marks the handle of a direct-I/O open under dax=inode; inode numbers stay far below it. */
    static final long DIRECT_HANDLE = 1L << 62;

    private final DaxFileSystem fs;
    private final MountConfig.Dax dax;
    private final DirectOpens directOpens = new DirectOpens();
    private final boolean readOnly;

    DaxLowLevel(DaxFileSystem fs, MountConfig.Dax dax) {
        this.fs = Objects.requireNonNull(fs, "fs");
        this.dax = Objects.requireNonNull(dax, "dax");
        this.readOnly = fs.options().readOnly();
    }

    /**
     * HANDLE_KILLPRIV_V2: daxfs clears set-user-ID (and set-group-ID with group-execute) itself on
     * write, truncate, fallocate and chown, where the kernel says the caller lacks CAP_FSETID; the
     * kernel would otherwise skip it for direct-I/O writes (dax=always, DAX files).
     */
    @Override
    public boolean handlesKillPriv() {
        return true;
    }

    /**
     * The kernel's writeback cache only under {@code writeback=fsync}, where a write is durable at
     * fsync anyway (measured faster there, docs/BENCHMARKS.md); under {@code writeback=sync} a
     * write must be durable when it returns, so it goes straight through. Direct-I/O files
     * (dax=always, DAX files) bypass it either way.
     */
    @Override
    public boolean wantsWritebackCache() {
        return fs.options().writeback() == MountOptions.Writeback.FSYNC;
    }

    /** The connection is up: the clean mount's verification may take the processors now. */
    @Override
    public void init(long flags) {
        fs.startVerification();
    }

    /** The caller uid fs-core clears set-id bits for: any but root when the kernel's kill flag is set. */
    private static int killer(boolean kill) {
        return kill ? DaxFileSystem.UNPRIVILEGED_UID : DaxFileSystem.ROOT_UID;
    }

    @Override
    public int errnoOf(RuntimeException e) {
        return e instanceof FsException fe ? fe.errno().value() : 0;
    }

    // ---- names and attributes ----

    /**
     * With FUSE_EXPORT_SUPPORT the kernel resolves a file handle (open_by_handle_at, NFS) whose
     * inode it no longer caches by looking up "." in the handle's node, whatever its kind, and
     * checks the generation itself; a file with no name left is stale, as on local filesystems.
     */
    @Override
    public Entry lookup(Context c, long parent, byte[] name) {
        if (Arrays.equals(name, DOT)) {
            Attributes a = fs.getattr(parent);
            if (!a.isDirectory() && a.nlink() == 0) {
                throw new FsException(Errno.ESTALE, "inode " + parent + " has no name left");
            }
            return entry(fs.hold(parent));
        }
        return entry(fs.hold(fs.lookup(parent, Name.of(name))));
    }

    @Override
    public void forget(long node, long nlookup) {
        fs.forget(node, nlookup);
        if (!fs.volume().lookups().held(node)) {
            directOpens.forgotten(node);
        }
    }

    @Override
    public Attr getattr(Context c, long node, long fh) {
        return attr(fs.getattr(node));
    }

    @Override
    public Attr setattr(Context c, long node, SetattrIn in) {
        AttrChange change = AttrChange.NONE;
        if (in.has(SetattrIn.MODE)) {
            change = change.withMode(in.mode());
        }
        if (in.has(SetattrIn.UID) || in.has(SetattrIn.GID)) {
            change = change.withOwner(in.has(SetattrIn.UID) ? in.uid() : AttrChange.KEEP,
                    in.has(SetattrIn.GID) ? in.gid() : AttrChange.KEEP);
        }
        if (in.has(SetattrIn.SIZE)) {
            change = change.withSize(in.size());
        }
        if (in.has(SetattrIn.ATIME | SetattrIn.MTIME | SetattrIn.ATIME_NOW | SetattrIn.MTIME_NOW)) {
            long[] a = time(in, SetattrIn.ATIME, SetattrIn.ATIME_NOW, in.atimeSec(), in.atimeNsec());
            long[] m = time(in, SetattrIn.MTIME, SetattrIn.MTIME_NOW, in.mtimeSec(), in.mtimeNsec());
            change = change.withTimes(a[0], a[1], m[0], m[1]);
        }
        // One transaction: the kernel sends a truncate with its mtime (and a chown with its mode) in
        // one request, and a full device must not apply half of it. Set-id bits go with the size
        // change when the kernel's kill flag says the caller lacks CAP_FSETID (killpriv v2).
        return attr(fs.setattr(node, change, killer(in.has(SetattrIn.KILL_SUIDGID))));
    }

    private static long[] time(SetattrIn in, int set, int now, long sec, int nsec) {
        if (in.has(now)) {
            return new long[] {0, DaxFileSystem.UTIME_NOW};
        }
        if (in.has(set)) {
            return new long[] {sec, Integer.toUnsignedLong(nsec)};
        }
        return new long[] {0, DaxFileSystem.UTIME_OMIT};
    }

    @Override
    public byte[] readlink(Context c, long node) {
        return fs.readlink(node);
    }

    // ---- namespace ----

    @Override
    public Entry mknod(Context c, long parent, byte[] name, int mode, int rdev) {
        Owner owner = Owner.of(fs.getattr(parent), c.uid(), c.gid());
        return held(fs.create(parent, Name.of(name), mode, owner.uid(), owner.gid(), Integer.toUnsignedLong(rdev)));
    }

    @Override
    public Entry mkdir(Context c, long parent, byte[] name, int mode) {
        Owner owner = Owner.of(fs.getattr(parent), c.uid(), c.gid());
        return held(fs.mkdir(parent, Name.of(name), mode | owner.inheritedDirBits(), owner.uid(), owner.gid()));
    }

    @Override
    public Entry symlink(Context c, long parent, byte[] name, byte[] target) {
        Owner owner = Owner.of(fs.getattr(parent), c.uid(), c.gid());
        return held(fs.symlink(parent, Name.of(name), target, owner.uid(), owner.gid()));
    }

    @Override
    public Entry link(Context c, long node, long newParent, byte[] newName) {
        return held(fs.link(node, newParent, Name.of(newName)));
    }

    @Override
    public void unlink(Context c, long parent, byte[] name) {
        fs.unlink(parent, Name.of(name));
    }

    @Override
    public void rmdir(Context c, long parent, byte[] name) {
        fs.rmdir(parent, Name.of(name));
    }

    @Override
    public void rename(Context c, long parent, byte[] name, long newParent, byte[] newName, int flags) {
        if ((flags & RENAME_WHITEOUT) != 0) {
            throw new FuseError(FuseError.EINVAL, "RENAME_WHITEOUT is not supported");
        }
        fs.rename(parent, Name.of(name), newParent, Name.of(newName), flags);
    }

    // ---- open files and data ----

    /**
     * No OPEN carries O_TRUNC or FUSE_OPEN_KILL_SUIDGID: without FUSE_ATOMIC_O_TRUNC (not asked
     * for) the kernel truncates with a SETATTR of the size, whose FATTR_KILL_SUIDGID
     * {@link #setattr} honours.
     */
    @Override
    public OpenReply open(Context c, long node, int flags) {
        Attributes a = fs.getattr(node);
        fs.open(node);
        return opened(a);
    }

    @Override
    public Created create(Context c, long parent, byte[] name, int mode, int flags) {
        Owner owner = Owner.of(fs.getattr(parent), c.uid(), c.gid());
        Attributes a = fs.create(parent, Name.of(name), mode, owner.uid(), owner.gid(), 0);
        fs.open(a.ino());
        return new Created(held(a), opened(a));
    }

    /** O_TMPFILE: fs-core counts the file open once; linkat through /proc/self/fd names it. */
    @Override
    public Created tmpfile(Context c, long parent, int mode, int flags) {
        Owner owner = Owner.of(fs.getattr(parent), c.uid(), c.gid());
        Attributes a = fs.tmpfile(parent, mode, owner.uid(), owner.gid());
        return new Created(held(a), opened(a));
    }

    /**
     * Zero-copy: the reply is written from the device mapping itself while fs-core keeps the
     * blocks pinned, so a racing truncate, punch or overwrite neither waits nor lets them be reused
     * before the kernel has copied them. A range in more pieces than one writev takes is copied.
     */
    @Override
    public void read(Context c, long node, long fh, long offset, int size, ReadReply reply) {
        try (PinnedRead pinned = fs.pinRead(ino(fh), offset, size)) {
            List<MemorySegment> segments = pinned.segments();
            if (segments.size() <= reply.maxSegments()) {
                reply.sendSegments(segments.toArray(MemorySegment[]::new));
                return;
            }
            long at = 0;
            for (MemorySegment s : segments) {
                MemorySegment.copy(s, 0, reply.buffer(), at, s.byteSize());
                at += s.byteSize();
            }
            reply.sendBuffer(at);
        }
    }

    @Override
    public long write(Context c, long node, long fh, long offset, MemorySegment data, int writeFlags) {
        return fs.write(ino(fh), offset, data, killer((writeFlags & WRITE_KILL_SUIDGID) != 0));
    }

    @Override
    public void release(Context c, long node, long fh) {
        fs.release(ino(fh));
        if ((fh & DIRECT_HANDLE) != 0) {
            directOpens.released(ino(fh));
        }
    }

    @Override
    public void fsync(Context c, long node, long fh, boolean dataOnly) {
        fs.fsync(node, dataOnly);
    }

    /** The request's uid decides: FALLOCATE carries no kill flag, and root holds CAP_FSETID. */
    @Override
    public void fallocate(Context c, long node, long fh, long offset, long length, int mode) {
        fs.fallocate(node, mode, offset, length, c.uid());
    }

    /** SEEK_DATA (3) and SEEK_HOLE (4); the kernel answers SEEK_SET/CUR/END itself. */
    @Override
    public long lseek(Context c, long node, long fh, long offset, int whence) {
        return switch (whence) {
            case SEEK_DATA -> fs.seekData(node, offset);
            case SEEK_HOLE -> fs.seekHole(node, offset);
            default -> throw new FuseError(FuseError.EINVAL, "lseek whence " + whence);
        };
    }

    @Override
    public long copyFileRange(Context c, long nodeIn, long fhIn, long offIn, long nodeOut, long fhOut, long offOut,
            long len, int flags) {
        if (flags != 0) {
            throw new FuseError(FuseError.EINVAL, "copy_file_range flags " + flags);
        }
        return fs.copyFileRange(nodeIn, offIn, nodeOut, offOut, len, c.uid());
    }

    /**
     * The handle and cache mode of a file just opened. direct_io bypasses the kernel page cache
     * (every read and write reaches the device); with FUSE_DIRECT_IO_ALLOW_MMAP such files can
     * still be mapped MAP_SHARED. The page cache keeps a file's pages across opens (keep_cache)
     * while nothing wrote around it: always under dax=never, where every change passes through
     * it, and under dax=inode unless a direct-I/O handle of a DAX file may have ({@link DirectOpens}).
     */
    private OpenReply opened(Attributes a) {
        long ino = a.ino();
        return switch (dax) {
            case ALWAYS -> new OpenReply(ino, OpenReply.DIRECT_IO);
            case NEVER -> new OpenReply(ino, OpenReply.KEEP_CACHE);
            case INODE -> {
                if ((a.flags() & Attributes.FLAG_DAX) != 0) {
                    directOpens.opened(ino);
                    yield new OpenReply(ino | DIRECT_HANDLE, OpenReply.DIRECT_IO);
                }
                yield new OpenReply(ino, directOpens.cacheStillValid(ino) ? OpenReply.KEEP_CACHE : 0);
            }
        };
    }

    /** The inode number of an open file's handle. */
    private static long ino(long fh) {
        return fh & ~DIRECT_HANDLE;
    }

    // ---- directories ----

    @Override
    public OpenReply opendir(Context c, long node, int flags) {
        if (!fs.getattr(node).isDirectory()) {
            throw new FsException(Errno.ENOTDIR, "not a directory");
        }
        return new OpenReply(fs.listingEnd(node), 0);
    }

    /**
     * "." and ".." take offsets 1 and 2; fs-core's cookies (3 and up) are the offsets of the rest.
     * The handle is where the listing ends ({@link DaxFileSystem#listingEnd} at opendir), so a
     * listing ends even while names are renamed away and back (each gets a higher cookie).
     */
    @Override
    public void readdir(Context c, long node, long fh, long offset, DirectoryListing out) {
        if (offset < 1 && !out.add(DOT, node, FileKind.DIRECTORY.typeBits(), 1, dotEntry(node))) {
            return;
        }
        if (offset < 2) {
            long parent = fs.lookup(node, Name.of(DOTDOT));
            if (!out.add(DOTDOT, parent, FileKind.DIRECTORY.typeBits(), 2, dotEntry(parent))) {
                return;
            }
        }
        long cookie = offset < 3 ? 0 : offset;
        while (true) {
            List<DirEntry> batch = fs.readdir(node, cookie, fh, READDIR_BATCH);
            for (DirEntry e : batch) {
                Entry entry = out.plus() ? plusEntry(e) : null;
                if (!out.add(e.name().toByteArray(), e.ino(), e.kind().typeBits(), e.cookie(),
                        entry)) {
                    if (entry != null && entry.nodeId() != 0) {
                        fs.forget(entry.nodeId(), 1); // not sent: the kernel counts no lookup
                    }
                    return;
                }
                cookie = e.cookie();
            }
            if (batch.size() < READDIR_BATCH) {
                return;
            }
        }
    }

    /** A READDIRPLUS entry; a name removed since the batch was read is listed without attributes. */
    private Entry plusEntry(DirEntry e) {
        try {
            return entry(fs.hold(e.ino()));
        } catch (FsException gone) {
            return dotEntry(e.ino());
        }
    }

    /** Node id 0: the kernel links no inode for it and counts no lookup ("." and ".."). */
    private static Entry dotEntry(long ino) {
        return new Entry(0, 0, new Attr(ino, 0, 0, 0, 0, 0, 0, 0, 0, FileKind.DIRECTORY.typeBits(), 0, 0, 0, 0, 0, 0));
    }

    private static final byte[] DOT = {'.'};
    private static final byte[] DOTDOT = {'.', '.'};

    @Override
    public void fsyncdir(Context c, long node, long fh, boolean dataOnly) {
        fs.fsync(node, dataOnly);
    }

    // ---- filesystem ----

    @Override
    public StatfsReply statfs(Context c, long node) {
        StatFs s = fs.statfs();
        return new StatfsReply(s.totalBlocks(), s.freeBlocks(), s.availableBlocks(), s.totalInodes(), s.freeInodes(),
                (int) s.blockSize(), s.maxNameLength(), (int) s.blockSize());
    }

    /**
     * Without {@code default_permissions} daxfs checks no permissions (as most FUSE filesystems);
     * access then only says whether the file exists and whether a write could succeed at all.
     */
    @Override
    public void access(Context c, long node, int mask) {
        fs.getattr(node);
        if ((mask & W_OK) != 0 && readOnly) {
            throw new FsException(Errno.EROFS, "read-only mount");
        }
    }

    // ---- extended attributes ----

    @Override
    public void setxattr(Context c, long node, byte[] name, MemorySegment value, int flags) {
        Name xattr = Name.of(name);
        DaxFuse.checkXattrNamespace(xattr.toString());
        fs.setxattr(node, xattr, value.toArray(ValueLayout.JAVA_BYTE), flags);
    }

    @Override
    public byte[] getxattr(Context c, long node, byte[] name) {
        return fs.getxattr(node, Name.of(name));
    }

    @Override
    public byte[] listxattr(Context c, long node) {
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        for (Name name : fs.listxattr(node)) {
            names.writeBytes(name.toByteArray());
            names.write(0);
        }
        return names.toByteArray();
    }

    @Override
    public void removexattr(Context c, long node, byte[] name) {
        fs.removexattr(node, Name.of(name));
    }

    /** The per-inode DAX flag through {@code FS_IOC_FS[GS]ETXATTR} and {@code FS_IOC_[GS]ETFLAGS}. */
    @Override
    public IoctlReply ioctl(Context c, long node, long fh, int cmd, MemorySegment in, int outSize) {
        return switch (cmd) {
            case InodeFlagsIoctl.FS_IOC_FSGETXATTR, InodeFlagsIoctl.FS_IOC_GETFLAGS -> {
                byte[] value = InodeFlagsIoctl.get(cmd, fs.getattr(node).flags());
                yield new IoctlReply(0, Arrays.copyOf(value, Math.min(value.length, outSize)));
            }
            case InodeFlagsIoctl.FS_IOC_FSSETXATTR, InodeFlagsIoctl.FS_IOC_SETFLAGS -> {
                fs.setFlags(node, InodeFlagsIoctl.flagsToSet(cmd, in));
                yield new IoctlReply(0, null);
            }
            default -> throw new FuseError(FuseError.ENOTTY, "ioctl 0x" + Integer.toHexString(cmd));
        };
    }

    // ---- conversions ----

    /** The entry of a new inode, counted as one lookup the kernel now holds. */
    private Entry held(Attributes created) {
        return entry(fs.hold(created.ino()));
    }

    private static Entry entry(Attributes a) {
        return new Entry(a.ino(), a.generation(), attr(a));
    }

    private static Attr attr(Attributes a) {
        return new Attr(a.ino(), a.size(), a.blocks(), a.atime().seconds(), a.atime().nanos(), a.mtime().seconds(),
                a.mtime().nanos(), a.ctime().seconds(), a.ctime().nanos(), a.mode(), a.nlink(),
                a.uid(), a.gid(), (int) a.rdev(), BLKSIZE, 0);
    }
}
