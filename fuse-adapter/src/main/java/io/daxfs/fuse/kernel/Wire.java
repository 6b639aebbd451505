package io.daxfs.fuse.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Constants of the FUSE wire protocol ({@code include/uapi/linux/fuse.h}): the layouts of its
 * unaligned little-endian fields, opcodes, INIT flags and the header sizes. Only the protocol
 * layer uses them.
 */
final class Wire {
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final int IN_HEADER = 40;
    static final int OUT_HEADER = 16;

    static final int KERNEL_VERSION = 7;
    /** 7.39 is the first minor with FUSE_DIRECT_IO_ALLOW_MMAP. */
    static final int KERNEL_MINOR = 39;

    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int SETATTR = 4;
    static final int READLINK = 5;
    static final int SYMLINK = 6;
    static final int MKNOD = 8;
    static final int MKDIR = 9;
    static final int UNLINK = 10;
    static final int RMDIR = 11;
    static final int RENAME = 12;
    static final int LINK = 13;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int WRITE = 16;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int FSYNC = 20;
    static final int SETXATTR = 21;
    static final int GETXATTR = 22;
    static final int LISTXATTR = 23;
    static final int REMOVEXATTR = 24;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int FSYNCDIR = 30;
    static final int ACCESS = 34;
    static final int CREATE = 35;
    static final int INTERRUPT = 36;
    static final int DESTROY = 38;
    static final int IOCTL = 39;
    static final int BATCH_FORGET = 42;
    static final int FALLOCATE = 43;
    static final int READDIRPLUS = 44;
    static final int RENAME2 = 45;
    static final int LSEEK = 46;
    static final int COPY_FILE_RANGE = 47;
    static final int SYNCFS = 50;
    static final int TMPFILE = 51;

    static final long ASYNC_READ = 1L;
    static final long EXPORT_SUPPORT = 1L << 4;
    static final long BIG_WRITES = 1L << 5;
    static final long HAS_IOCTL_DIR = 1L << 11;
    static final long DO_READDIRPLUS = 1L << 13;
    static final long READDIRPLUS_AUTO = 1L << 14;
    static final long ASYNC_DIO = 1L << 15;
    static final long WRITEBACK_CACHE = 1L << 16;
    static final long PARALLEL_DIROPS = 1L << 18;
    static final long MAX_PAGES = 1L << 22;
    static final long CACHE_SYMLINKS = 1L << 23;
    static final long HANDLE_KILLPRIV_V2 = 1L << 28;
    static final long INIT_EXT = 1L << 30;
    static final long DIRECT_IO_ALLOW_MMAP = 1L << 36;
    /** FUSE over io_uring (7.42; Linux 6.14+, offered while the fuse module's enable_uring is Y). */
    static final long OVER_IO_URING = 1L << 41;

    static final int SETATTR_MODE = 1;
    static final int SETATTR_UID = 1 << 1;
    static final int SETATTR_GID = 1 << 2;
    static final int SETATTR_SIZE = 1 << 3;
    static final int SETATTR_ATIME = 1 << 4;
    static final int SETATTR_MTIME = 1 << 5;
    static final int SETATTR_FH = 1 << 6;
    static final int SETATTR_ATIME_NOW = 1 << 7;
    static final int SETATTR_MTIME_NOW = 1 << 8;
    static final int SETATTR_KILL_SUIDGID = 1 << 11;

    static final int GETATTR_FH = 1;
    static final int FSYNC_FDATASYNC = 1;

    private Wire() {}

    /** Bytes up to (not including) the first NUL in {@code body} from {@code at}; EINVAL without one. */
    static byte[] cString(MemorySegment body, long at) {
        long size = body.byteSize();
        for (long i = at; i < size; i++) {
            if (body.get(ValueLayout.JAVA_BYTE, i) == 0) {
                byte[] name = new byte[(int) (i - at)]; // copied straight: no slice per name
                MemorySegment.copy(body, ValueLayout.JAVA_BYTE, at, name, 0, name.length);
                return name;
            }
        }
        throw new FuseError(FuseError.EINVAL, "name without its NUL terminator");
    }

    /** End of the NUL-terminated string at {@code at} (the offset just past its NUL). */
    static long afterCString(MemorySegment body, long at) {
        return at + cString(body, at).length + 1;
    }

    static void require(MemorySegment body, long size, String what) {
        if (body.byteSize() < size) {
            throw new FuseError(FuseError.EINVAL, what + " truncated: " + body.byteSize() + " of " + size + " bytes");
        }
    }

    /** Rounds up to the 8-byte alignment of directory records. */
    static long align8(long n) {
        return (n + 7) & ~7L;
    }
}
