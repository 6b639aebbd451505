package io.daxfs.fuse.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The request bodies of the FUSE protocol, one record per shape, each parsed from the bytes after
 * {@code struct fuse_in_header}. A body shorter than its structure, or a name without its NUL,
 * throws {@link FuseError} EINVAL: a malformed request gets an error reply, never a crash.
 */
public final class Requests {
    private Requests() {}

    /** {@code struct fuse_in_header}. */
    record InHeader(int len, int opcode, long unique, long nodeId, int uid, int gid, int pid, int extLen) {
        static InHeader parse(MemorySegment m) {
            return new InHeader(m.get(Wire.U32, 0), m.get(Wire.U32, 4), m.get(Wire.U64, 8), m.get(Wire.U64, 16),
                    m.get(Wire.U32, 24), m.get(Wire.U32, 28), m.get(Wire.U32, 32),
                    Short.toUnsignedInt(m.get(Wire.U16, 36)) * 8);
        }
    }

    /** {@code struct fuse_init_in}: the kernel's version and the flags it offers (flags2 above bit 31). */
    record InitIn(int major, int minor, int maxReadahead, long flags) {
        static InitIn parse(MemorySegment b) {
            Wire.require(b, 16, "init");
            long flags = Integer.toUnsignedLong(b.get(Wire.U32, 12));
            if ((flags & Wire.INIT_EXT) != 0 && b.byteSize() >= 20) {
                flags |= Integer.toUnsignedLong(b.get(Wire.U32, 16)) << 32;
            }
            return new InitIn(b.get(Wire.U32, 0), b.get(Wire.U32, 4), b.get(Wire.U32, 8), flags);
        }
    }

    /** {@code struct fuse_setattr_in}: which fields to change ({@link #valid}) and their values. */
    public record SetattrIn(int valid, long fh, long size, long atimeSec, int atimeNsec, long mtimeSec,
            int mtimeNsec, int mode, int uid, int gid) {
        public static final int MODE = Wire.SETATTR_MODE;
        public static final int UID = Wire.SETATTR_UID;
        public static final int GID = Wire.SETATTR_GID;
        public static final int SIZE = Wire.SETATTR_SIZE;
        public static final int ATIME = Wire.SETATTR_ATIME;
        public static final int MTIME = Wire.SETATTR_MTIME;
        public static final int FH = Wire.SETATTR_FH;
        public static final int ATIME_NOW = Wire.SETATTR_ATIME_NOW;
        public static final int MTIME_NOW = Wire.SETATTR_MTIME_NOW;
        public static final int KILL_SUIDGID = Wire.SETATTR_KILL_SUIDGID;

        static SetattrIn parse(MemorySegment b) {
            Wire.require(b, 88, "setattr");
            return new SetattrIn(b.get(Wire.U32, 0), b.get(Wire.U64, 8), b.get(Wire.U64, 16), b.get(Wire.U64, 32),
                    b.get(Wire.U32, 56), b.get(Wire.U64, 40), b.get(Wire.U32, 60), b.get(Wire.U32, 68),
                    b.get(Wire.U32, 76), b.get(Wire.U32, 80));
        }

        public boolean has(int bit) {
            return (valid & bit) != 0;
        }
    }

    /** {@code struct fuse_read_in} (READ, READDIR, READDIRPLUS). */
    record ReadIn(long fh, long offset, int size) {
        static ReadIn parse(MemorySegment b) {
            Wire.require(b, 40, "read");
            return new ReadIn(b.get(Wire.U64, 0), b.get(Wire.U64, 8), b.get(Wire.U32, 16));
        }
    }

    /** {@code struct fuse_write_in} and the data after it. */
    record WriteIn(long fh, long offset, int writeFlags, MemorySegment data) {
        static WriteIn parse(MemorySegment b) {
            Wire.require(b, 40, "write");
            long size = Integer.toUnsignedLong(b.get(Wire.U32, 16));
            Wire.require(b, 40 + size, "write data");
            return new WriteIn(b.get(Wire.U64, 0), b.get(Wire.U64, 8), b.get(Wire.U32, 20), b.asSlice(40, size));
        }
    }

    /** {@code struct fuse_open_in}. */
    record OpenIn(int flags) {
        static OpenIn parse(MemorySegment b) {
            Wire.require(b, 8, "open");
            return new OpenIn(b.get(Wire.U32, 0));
        }
    }

    /** {@code struct fuse_create_in} and the name. */
    record CreateIn(int flags, int mode, int umask, byte[] name) {
        static CreateIn parse(MemorySegment b) {
            Wire.require(b, 16, "create");
            return new CreateIn(b.get(Wire.U32, 0), b.get(Wire.U32, 4), b.get(Wire.U32, 8), Wire.cString(b, 16));
        }
    }

    /** {@code struct fuse_mknod_in} and the name. */
    record MknodIn(int mode, int rdev, int umask, byte[] name) {
        static MknodIn parse(MemorySegment b) {
            Wire.require(b, 16, "mknod");
            return new MknodIn(b.get(Wire.U32, 0), b.get(Wire.U32, 4), b.get(Wire.U32, 8), Wire.cString(b, 16));
        }
    }

    /** {@code struct fuse_mkdir_in} and the name. */
    record MkdirIn(int mode, int umask, byte[] name) {
        static MkdirIn parse(MemorySegment b) {
            Wire.require(b, 8, "mkdir");
            return new MkdirIn(b.get(Wire.U32, 0), b.get(Wire.U32, 4), Wire.cString(b, 8));
        }
    }

    /** SYMLINK: the new name, then the target, both NUL-terminated. */
    record SymlinkIn(byte[] name, byte[] target) {
        static SymlinkIn parse(MemorySegment b) {
            byte[] name = Wire.cString(b, 0);
            return new SymlinkIn(name, Wire.cString(b, name.length + 1));
        }
    }

    /** RENAME ({@code fuse_rename_in}, 8 bytes) or RENAME2 ({@code fuse_rename2_in}, 16), then two names. */
    record RenameIn(long newDir, int flags, byte[] oldName, byte[] newName) {
        static RenameIn parse(MemorySegment b, boolean withFlags) {
            int head = withFlags ? 16 : 8;
            Wire.require(b, head, "rename");
            byte[] oldName = Wire.cString(b, head);
            return new RenameIn(b.get(Wire.U64, 0), withFlags ? b.get(Wire.U32, 8) : 0, oldName,
                    Wire.cString(b, head + oldName.length + 1));
        }
    }

    /** {@code struct fuse_link_in} and the new name. */
    record LinkIn(long oldNode, byte[] name) {
        static LinkIn parse(MemorySegment b) {
            Wire.require(b, 8, "link");
            return new LinkIn(b.get(Wire.U64, 0), Wire.cString(b, 8));
        }
    }

    /** {@code struct fuse_release_in} (RELEASE, RELEASEDIR). */
    record ReleaseIn(long fh, int flags) {
        static ReleaseIn parse(MemorySegment b) {
            Wire.require(b, 24, "release");
            return new ReleaseIn(b.get(Wire.U64, 0), b.get(Wire.U32, 8));
        }
    }

    /** {@code struct fuse_fsync_in} (FSYNC, FSYNCDIR). */
    record FsyncIn(long fh, boolean dataOnly) {
        static FsyncIn parse(MemorySegment b) {
            Wire.require(b, 16, "fsync");
            return new FsyncIn(b.get(Wire.U64, 0), (b.get(Wire.U32, 8) & Wire.FSYNC_FDATASYNC) != 0);
        }
    }

    /** {@code struct fuse_getattr_in}: the handle when GETATTR_FH is set (fstat). */
    record GetattrIn(long fh) {
        static GetattrIn parse(MemorySegment b) {
            if (b.byteSize() < 16) {
                return new GetattrIn(-1); // before 7.9 GETATTR had no body
            }
            return new GetattrIn((b.get(Wire.U32, 0) & Wire.GETATTR_FH) != 0 ? b.get(Wire.U64, 8) : -1);
        }
    }

    /** {@code struct fuse_setxattr_in} (8-byte form, without SETXATTR_EXT), name, value. */
    record SetxattrIn(int flags, byte[] name, MemorySegment value) {
        static SetxattrIn parse(MemorySegment b) {
            Wire.require(b, 8, "setxattr");
            long size = Integer.toUnsignedLong(b.get(Wire.U32, 0));
            byte[] name = Wire.cString(b, 8);
            long valueAt = 8 + name.length + 1;
            Wire.require(b, valueAt + size, "setxattr value");
            return new SetxattrIn(b.get(Wire.U32, 4), name, b.asSlice(valueAt, size));
        }
    }

    /** {@code struct fuse_getxattr_in} (GETXATTR with a name, LISTXATTR without). */
    record GetxattrIn(int size, byte[] name) {
        static GetxattrIn parse(MemorySegment b, boolean named) {
            Wire.require(b, 8, "getxattr");
            return new GetxattrIn(b.get(Wire.U32, 0), named ? Wire.cString(b, 8) : null);
        }
    }

    /** {@code struct fuse_access_in}. */
    record AccessIn(int mask) {
        static AccessIn parse(MemorySegment b) {
            Wire.require(b, 8, "access");
            return new AccessIn(b.get(Wire.U32, 0));
        }
    }

    /** {@code struct fuse_interrupt_in}: the request to interrupt. */
    record InterruptIn(long unique) {
        static InterruptIn parse(MemorySegment b) {
            Wire.require(b, 8, "interrupt");
            return new InterruptIn(b.get(Wire.U64, 0));
        }
    }

    /** {@code struct fuse_fallocate_in}. */
    record FallocateIn(long fh, long offset, long length, int mode) {
        static FallocateIn parse(MemorySegment b) {
            Wire.require(b, 32, "fallocate");
            return new FallocateIn(b.get(Wire.U64, 0), b.get(Wire.U64, 8), b.get(Wire.U64, 16), b.get(Wire.U32, 24));
        }
    }

    /** {@code struct fuse_lseek_in}. */
    record LseekIn(long fh, long offset, int whence) {
        static LseekIn parse(MemorySegment b) {
            Wire.require(b, 24, "lseek");
            return new LseekIn(b.get(Wire.U64, 0), b.get(Wire.U64, 8), b.get(Wire.U32, 16));
        }
    }

    /** {@code struct fuse_ioctl_in} and the input bytes after it. */
    record IoctlIn(long fh, int flags, int cmd, int outSize, MemorySegment in) {
        static IoctlIn parse(MemorySegment b) {
            Wire.require(b, 32, "ioctl");
            long inSize = Integer.toUnsignedLong(b.get(Wire.U32, 24));
            Wire.require(b, 32 + inSize, "ioctl input");
            return new IoctlIn(b.get(Wire.U64, 0), b.get(Wire.U32, 8), b.get(Wire.U32, 12), b.get(Wire.U32, 28),
                    b.asSlice(32, inSize));
        }
    }

    /** {@code struct fuse_copy_file_range_in}. */
    record CopyFileRangeIn(long fhIn, long offIn, long nodeOut, long fhOut, long offOut, long len, long flags) {
        static CopyFileRangeIn parse(MemorySegment b) {
            Wire.require(b, 56, "copy_file_range");
            return new CopyFileRangeIn(b.get(Wire.U64, 0), b.get(Wire.U64, 8), b.get(Wire.U64, 16), b.get(Wire.U64, 24),
                    b.get(Wire.U64, 32), b.get(Wire.U64, 40), b.get(Wire.U64, 48));
        }
    }

    /** {@code struct fuse_forget_in}. */
    record ForgetIn(long nlookup) {
        static ForgetIn parse(MemorySegment b) {
            Wire.require(b, 8, "forget");
            return new ForgetIn(b.get(Wire.U64, 0));
        }
    }
}
