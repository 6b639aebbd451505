package io.daxfs.fuse;

import io.daxfs.core.Attributes;
import io.daxfs.core.DirEntry;
import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.FsException;
import io.daxfs.core.StatFs;
import io.daxfs.core.Timestamp;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The jnr-fuse binding: every libfuse2 high-level operation mapped onto the inode operations of
 * {@link DaxFileSystem}. Paths become inodes through a {@link PathResolver}; open files carry their
 * inode number in {@code fi.fh}, so data operations never resolve a path (and keep working on a
 * file that was unlinked while open). fs-core's errno values go back to the kernel unchanged; an
 * unexpected exception is logged and reported as EIO, never let into libfuse's native frames.
 *
 * <p>{@code flush} is deliberately not implemented: data is in the device when write returns, so close
 * has nothing to push, and libfuse's ENOSYS answer makes the kernel stop sending FLUSH altogether,
 * which saves one round trip on every close(2).
 *
 * <p>Locks ({@code lock}/{@code flock}) are deliberately not implemented: libfuse then does not ask
 * the kernel for remote locking, and the kernel keeps POSIX and BSD locks locally, which is exact
 * for a filesystem that only this host serves.
 */
final class DaxFuse extends FuseStubFS {
    private static final Logger LOG = LoggerFactory.getLogger(DaxFuse.class);
    /** One DEBUG line per request; the {@code -d} flag turns it on. */
    static final Logger REQUESTS = LoggerFactory.getLogger("io.daxfs.fuse.requests");

    private static final int ENOTTY = 25;
    private static final long PATH_CACHE_ENTRIES = 65_536;
    /** libfuse2's {@code struct fuse_file_info}: the bit-field word after flags, fh_old, writepage. */
    private static final long FILE_INFO_BITS_OFFSET = 20;
    private static final int DIRECT_IO = 1;
    private static final int KEEP_CACHE = 1 << 1;
    /** {@code struct fuse_operations} flag bits: null paths for unlinked open files, UTIME_NOW/OMIT as is. */
    private static final int FLAG_NULLPATH_OK = 1;
    private static final int FLAG_UTIME_OMIT_OK = 1 << 2;
    private static final int W_OK = 2;
    /** libfuse2's {@code struct fuse_conn_info}: six unsigned ints before {@code want}. */
    private static final long CONN_CAPABLE_OFFSET = 20;
    private static final long CONN_WANT_OFFSET = 24;
    private static final int FUSE_CAP_IOCTL_DIR = 1 << 11;
    private static final int READDIR_BATCH = 256;

    private final DaxFileSystem fs;
    private final PathResolver paths;
    private final MountConfig.Dax dax;
    private final boolean readOnly;
    private final ThreadLocal<FileStat> direntStat;
    private final Runnable onInit;

    /** @param onInit run when libfuse has mounted and the kernel's INIT arrives */
    DaxFuse(DaxFileSystem fs, MountConfig.Dax dax, Runnable onInit) {
        this.fs = Objects.requireNonNull(fs, "fs");
        this.dax = Objects.requireNonNull(dax, "dax");
        this.onInit = Objects.requireNonNull(onInit, "onInit");
        this.readOnly = fs.options().readOnly();
        this.paths = new PathResolver(fs.rootIno(), fs::lookup, PATH_CACHE_ENTRIES);
        Runtime runtime = Runtime.getSystemRuntime();
        int statSize = Struct.size(new FileStat(runtime));
        this.direntStat = ThreadLocal.withInitial(() -> FileStat.of(runtime.getMemoryManager().allocateDirect(statSize)));
        Pointer ops = Struct.getMemory(fuseOperations);
        long flagsOffset = MemberOffset.of(fuseOperations.flag_nullpath_ok);
        ops.putInt(flagsOffset, ops.getInt(flagsOffset) | FLAG_NULLPATH_OK | FLAG_UTIME_OMIT_OK);
    }

    /**
     * Tells jnr-fuse that the mount is gone (libfuse's loop returned), so that its own shutdown
     * hook does not run fusermount on a path that may by then be mounted by someone else.
     */
    void forgetMount() {
        mounted.set(false);
    }

    /** The body of one request: returns 0 or a byte count, throws {@link FsException} for an errno. */
    @FunctionalInterface
    private interface Request {
        int run();
    }

    /**
     * libfuse2 answers ioctls on directories with ENOTTY unless the filesystem wants
     * FUSE_CAP_IOCTL_DIR, which the DAX flag of a directory (inherited by new files) needs. INIT is
     * also the first sign that libfuse's mount is in place, and the time to start the clean mount's
     * verification.
     */
    @Override
    public Pointer init(Pointer conn) {
        int capable = conn.getInt(CONN_CAPABLE_OFFSET);
        conn.putInt(CONN_WANT_OFFSET, conn.getInt(CONN_WANT_OFFSET) | (capable & FUSE_CAP_IOCTL_DIR));
        onInit.run();
        fs.startVerification();
        return null;
    }

    // ---- attributes and directories ----

    @Override
    public int getattr(String path, FileStat stat) {
        return serve("getattr", path, () -> fill(stat, fs.getattr(ino(path))));
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return serve("fgetattr", path, () -> fill(stat, fs.getattr(DirHandle.ino(fi.fh.get()))));
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        return serve("opendir", path, () -> {
            long ino = ino(path);
            if (!fs.getattr(ino).isDirectory()) {
                throw new FsException(Errno.ENOTDIR, path);
            }
            fi.fh.set(DirHandle.pack(ino, fs.listingEnd(ino)));
            return 0;
        });
    }

    /**
     * "." and ".." take offsets 1 and 2; fs-core's cookies (3 and up) are the offsets of the rest.
     * The listing stops at the end taken at opendir, so it ends however the directory changes.
     */
    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
        return serve("readdir", path, () -> {
            long dir = DirHandle.ino(fi.fh.get());
            long end = DirHandle.listingEnd(fi.fh.get());
            FileStat stat = direntStat.get();
            if (offset < 1 && full(filler, buf, ".", dir, FileKind.DIRECTORY, 1, stat)) {
                return 0;
            }
            if (offset < 2 && full(filler, buf, "..", fs.lookup(dir, ".."), FileKind.DIRECTORY, 2, stat)) {
                return 0;
            }
            long cookie = offset < 3 ? 0 : offset;
            while (true) {
                List<DirEntry> batch = fs.readdir(dir, cookie, end, READDIR_BATCH);
                for (DirEntry e : batch) {
                    if (full(filler, buf, e.name().toString(), e.ino(), e.kind(), e.cookie(), stat)) {
                        return 0;
                    }
                    cookie = e.cookie();
                }
                if (batch.size() < READDIR_BATCH) {
                    return 0;
                }
            }
        });
    }

    /**
     * jnr-fuse 0.5.8 declares this callback without libfuse's {@code int datasync} argument, so
     * {@code fi} is really that int (0 or 1) read as a pointer: reading it gave fh 0 (ENOENT for
     * fsync of a directory) or a SIGSEGV of the daemon (fdatasync). Never touch {@code fi}; the
     * path names the directory.
     */
    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        return serve("fsyncdir", path, () -> {
            fs.fsync(ino(path), false);
            return 0;
        });
    }

    @Override
    public int statfs(String path, Statvfs st) {
        return serve("statfs", path, () -> {
            StatFs s = fs.statfs();
            st.f_bsize.set(s.blockSize());
            st.f_frsize.set(s.blockSize());
            st.f_blocks.set(s.totalBlocks());
            st.f_bfree.set(s.freeBlocks());
            st.f_bavail.set(s.availableBlocks());
            st.f_files.set(s.totalInodes());
            st.f_ffree.set(s.freeInodes());
            st.f_favail.set(s.freeInodes());
            st.f_namemax.set(s.maxNameLength());
            return 0;
        });
    }

    /**
     * Without {@code default_permissions} daxfs checks no permissions (as most FUSE filesystems);
     * access then only says whether the name exists and whether a write could succeed at all.
     */
    @Override
    public int access(String path, int mask) {
        return serve("access", path, () -> {
            fs.getattr(ino(path));
            return (mask & W_OK) != 0 && readOnly ? -Errno.EROFS.value() : 0;
        });
    }

    // ---- namespace ----

    @Override
    public int mknod(String path, long mode, long rdev) {
        return serve("mknod", path, () -> {
            Name n = name(path);
            Owner owner = owner(n.dir());
            Attributes a = fs.create(n.dir(), n.name(), (int) mode, owner.uid(), owner.gid(), rdev);
            paths.added(path, a.ino());
            return 0;
        });
    }

    @Override
    public int create(String path, long mode, FuseFileInfo fi) {
        return serve("create", path, () -> {
            Name n = name(path);
            Owner owner = owner(n.dir());
            Attributes a = fs.create(n.dir(), n.name(), (int) mode, owner.uid(), owner.gid(), 0);
            paths.added(path, a.ino());
            return openInode(a, fi);
        });
    }

    @Override
    public int mkdir(String path, long mode) {
        return serve("mkdir", path, () -> {
            Name n = name(path);
            Owner owner = owner(n.dir());
            Attributes a = fs.mkdir(n.dir(), n.name(), (int) mode | owner.inheritedDirBits(), owner.uid(), owner.gid());
            paths.added(path, a.ino());
            return 0;
        });
    }

    @Override
    public int symlink(String target, String path) {
        return serve("symlink", path, () -> {
            Name n = name(path);
            Owner owner = owner(n.dir());
            paths.added(path, fs.symlink(n.dir(), n.name(), target, owner.uid(), owner.gid()).ino());
            return 0;
        });
    }

    @Override
    public int readlink(String path, Pointer buf, long size) {
        return serve("readlink", path, () -> {
            if (size <= 0) {
                throw new FsException(Errno.EINVAL, "no room for the target");
            }
            byte[] target = fs.readlink(ino(path));
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        });
    }

    @Override
    public int link(String oldpath, String newpath) {
        return serve("link", newpath, () -> {
            Name n = name(newpath);
            paths.added(newpath, fs.link(ino(oldpath), n.dir(), n.name()).ino());
            return 0;
        });
    }

    @Override
    public int unlink(String path) {
        return serve("unlink", path, () -> {
            Name n = name(path);
            return paths.mutate(() -> {
                fs.unlink(n.dir(), n.name());
                return 0;
            }, false, path);
        });
    }

    @Override
    public int rmdir(String path) {
        return serve("rmdir", path, () -> {
            Name n = name(path);
            return paths.mutate(() -> {
                fs.rmdir(n.dir(), n.name());
                return 0;
            }, true, path);
        });
    }

    /** libfuse2 knows no renameat2 flags (the kernel answers RENAME_NOREPLACE/EXCHANGE with EINVAL). */
    @Override
    public int rename(String oldpath, String newpath) {
        return serve("rename", oldpath, () -> {
            Name from = name(oldpath);
            Name to = name(newpath);
            boolean directory = fs.getattr(ino(oldpath)).isDirectory();
            return paths.mutate(() -> {
                fs.rename(from.dir(), from.name(), to.dir(), to.name(), 0);
                return 0;
            }, directory, oldpath, newpath);
        });
    }

    // ---- attribute changes ----

    @Override
    public int chmod(String path, long mode) {
        return serve("chmod", path, () -> {
            fs.chmod(ino(path), (int) mode);
            return 0;
        });
    }

    /** uid_t/gid_t arrive unsigned: (uid_t) -1 means "keep", which the int cast turns back into -1. */
    @Override
    public int chown(String path, long uid, long gid) {
        return serve("chown", path, () -> {
            fs.chown(ino(path), (int) uid, (int) gid);
            return 0;
        });
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return serve("utimens", path, () -> {
            Timespec a = timespec[0];
            Timespec m = timespec[1];
            fs.utimens(ino(path), a.tv_sec.get(), a.tv_nsec.longValue(), m.tv_sec.get(), m.tv_nsec.longValue());
            return 0;
        });
    }

    @Override
    public int truncate(String path, long size) {
        return serve("truncate", path, () -> {
            fs.truncate(ino(path), size);
            return 0;
        });
    }

    @Override
    public int ftruncate(String path, long size, FuseFileInfo fi) {
        return serve("ftruncate", path, () -> {
            fs.truncate(fi.fh.get(), size);
            return 0;
        });
    }

    // ---- open files and data ----

    @Override
    public int open(String path, FuseFileInfo fi) {
        return serve("open", path, () -> openInode(fs.getattr(ino(path)), fi));
    }

    @Override
    public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        return serve("read", path, () -> (int) fs.read(fi.fh.get(), offset, segment(buf, size)));
    }

    @Override
    public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        return serve("write", path, () -> (int) fs.write(fi.fh.get(), offset, segment(buf, size)));
    }

    @Override
    public int fallocate(String path, int mode, long off, long length, FuseFileInfo fi) {
        return serve("fallocate", path, () -> {
            fs.fallocate(fi.fh.get(), mode, off, length);
            return 0;
        });
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return serve("fsync", path, () -> {
            fs.fsync(fi.fh.get(), isdatasync != 0);
            return 0;
        });
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return serve("release", path, () -> {
            fs.release(fi.fh.get());
            return 0;
        });
    }

    /** The per-inode DAX flag through {@code FS_IOC_FS[GS]ETXATTR} (xfs_io chattr +x) and {@code FS_IOC_[GS]ETFLAGS}. */
    @Override
    public int ioctl(String path, int cmd, Pointer arg, FuseFileInfo fi, long flags, Pointer data) {
        return serve("ioctl", path, () -> {
            long ino = fi.fh.get() != 0 ? DirHandle.ino(fi.fh.get()) : ino(path);
            return switch (cmd) {
                case InodeFlagsIoctl.FS_IOC_FSGETXATTR, InodeFlagsIoctl.FS_IOC_GETFLAGS -> {
                    byte[] reply = InodeFlagsIoctl.get(cmd, fs.getattr(ino).flags());
                    data.put(0, reply, 0, reply.length);
                    yield 0;
                }
                case InodeFlagsIoctl.FS_IOC_FSSETXATTR, InodeFlagsIoctl.FS_IOC_SETFLAGS -> {
                    fs.setFlags(ino, InodeFlagsIoctl.flagsToSet(cmd, segment(data, 4)));
                    yield 0;
                }
                default -> -ENOTTY;
            };
        });
    }

    // ---- extended attributes ----

    /**
     * POSIX ACLs are refused with EOPNOTSUPP: libfuse2 cannot ask the kernel to enforce them, so
     * storing them would only pretend; tools (cp -a, rsync -A, tar --acls) then fall back to the mode.
     * So is any name outside the user, trusted and security namespaces, as local filesystems do (the
     * kernel hands a FUSE filesystem every name, whatever its prefix).
     */
    @Override
    public int setxattr(String path, String name, Pointer value, long size, int flags) {
        return serve("setxattr", path, () -> {
            checkXattrNamespace(name);
            byte[] bytes = new byte[Math.toIntExact(size)];
            value.get(0, bytes, 0, bytes.length);
            fs.setxattr(ino(path), name, bytes, flags);
            return 0;
        });
    }

    @Override
    public int getxattr(String path, String name, Pointer value, long size) {
        return serve("getxattr", path, () -> reply(fs.getxattr(ino(path), name), value, size));
    }

    @Override
    public int listxattr(String path, Pointer list, long size) {
        return serve("listxattr", path, () -> {
            java.io.ByteArrayOutputStream names = new java.io.ByteArrayOutputStream();
            for (io.daxfs.core.Name name : fs.listxattr(ino(path))) {
                names.writeBytes(name.toByteArray());
                names.write(0);
            }
            return reply(names.toByteArray(), list, size);
        });
    }

    @Override
    public int removexattr(String path, String name) {
        return serve("removexattr", path, () -> {
            fs.removexattr(ino(path), name);
            return 0;
        });
    }

    // ---- helpers ----

    /** Shared with the kernel transport: the xattr names daxfs stores (see {@link #setxattr}). */
    static void checkXattrNamespace(String name) {
        if (name.startsWith("system.posix_acl_")) {
            throw new FsException(Errno.EOPNOTSUPP, "POSIX ACLs are not supported");
        }
        if (!name.startsWith("user.") && !name.startsWith("trusted.") && !name.startsWith("security.")) {
            throw new FsException(Errno.EOPNOTSUPP, "no xattr namespace for " + name);
        }
    }

    private int serve(String op, String path, Request request) {
        try {
            int result = request.run();
            if (REQUESTS.isDebugEnabled()) {
                REQUESTS.debug("{} {} -> {}", op, path, result);
            }
            return result;
        } catch (FsException e) {
            if (REQUESTS.isDebugEnabled()) {
                REQUESTS.debug("{} {} -> {}", op, path, e.getMessage());
            }
            return -e.errno().value();
        } catch (Throwable e) { // nothing may unwind into libfuse's native frames
            LOG.error("{} {} failed", op, path, e);
            return -Errno.EIO.value();
        }
    }

    /** The inode of a path; libfuse passes null for a file that was unlinked while open. */
    private long ino(String path) {
        if (path == null) {
            throw new FsException(Errno.ENOENT, "the file was unlinked");
        }
        return paths.resolve(path);
    }

    private Name name(String path) {
        int slash = path.lastIndexOf('/');
        return new Name(ino(slash == 0 ? "/" : path.substring(0, slash)), path.substring(slash + 1));
    }

    /** A name in a directory. */
    private record Name(long dir, String name) {}

    private Owner owner(long dirIno) {
        FuseContext context = getContext();
        return Owner.of(fs.getattr(dirIno), context.uid.intValue(), context.gid.intValue());
    }

    private int openInode(Attributes a, FuseFileInfo fi) {
        fs.open(a.ino());
        fi.fh.set(a.ino());
        Pointer info = Struct.getMemory(fi);
        int bits = info.getInt(FILE_INFO_BITS_OFFSET) & ~(DIRECT_IO | KEEP_CACHE);
        info.putInt(FILE_INFO_BITS_OFFSET, bits | cacheMode(a));
        return 0;
    }

    /**
     * direct_io bypasses the kernel page cache (every read and write reaches the device, but
     * MAP_SHARED mappings are refused). keep_cache is safe only when no file is direct_io, since all
     * changes then pass through the kernel's page cache.
     */
    private int cacheMode(Attributes a) {
        return switch (dax) {
            case ALWAYS -> DIRECT_IO;
            case NEVER -> KEEP_CACHE;
            case INODE -> (a.flags() & Attributes.FLAG_DAX) != 0 ? DIRECT_IO : 0;
        };
    }

    /** jnr-ffi shows a member's offset only to subclasses of {@link Struct}. */
    private static final class MemberOffset extends Struct {
        private MemberOffset() {
            super(Runtime.getSystemRuntime());
        }

        static long of(Struct.AbstractMember member) {
            return member.offset();
        }
    }

    /** The FUSE buffer itself, so fs-core copies straight between it and the device. */
    private static MemorySegment segment(Pointer buf, long size) {
        return MemorySegment.ofAddress(buf.address()).reinterpret(size);
    }

    /** getxattr/listxattr reply: the size when asked with size 0, ERANGE when it does not fit. */
    private static int reply(byte[] bytes, Pointer buf, long size) {
        if (size == 0) {
            return bytes.length;
        }
        if (size < bytes.length) {
            return -Errno.ERANGE.value();
        }
        buf.put(0, bytes, 0, bytes.length);
        return bytes.length;
    }

    private static boolean full(FuseFillDir filler, Pointer buf, String name, long ino, FileKind kind, long offset,
            FileStat stat) {
        stat.st_ino.set(ino);
        stat.st_mode.set(kind.typeBits());
        return filler.apply(buf, name, stat, offset) != 0;
    }

    private static int fill(FileStat stat, Attributes a) {
        stat.st_ino.set(a.ino());
        stat.st_mode.set(a.mode());
        stat.st_nlink.set(a.nlink());
        stat.st_uid.set(a.uid());
        stat.st_gid.set(a.gid());
        stat.st_rdev.set(a.rdev());
        stat.st_size.set(a.size());
        stat.st_blocks.set(a.blocks());
        stat.st_blksize.set(4096);
        time(stat.st_atim, a.atime());
        time(stat.st_mtim, a.mtime());
        time(stat.st_ctim, a.ctime());
        return 0;
    }

    private static void time(Timespec t, Timestamp time) {
        t.tv_sec.set(time.seconds());
        t.tv_nsec.set(time.nanos());
    }
}
