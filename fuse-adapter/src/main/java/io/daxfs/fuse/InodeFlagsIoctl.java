package io.daxfs.fuse;

import io.daxfs.core.Attributes;
import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The two ioctl interfaces Linux has for inode flags, reduced to the one flag daxfs keeps (DAX):
 * {@code FS_IOC_FSGETXATTR}/{@code FS_IOC_FSSETXATTR} with {@code struct fsxattr} (what {@code xfs_io
 * -c 'chattr +x'} and the kernel's fileattr code use) and {@code FS_IOC_GETFLAGS}/{@code
 * FS_IOC_SETFLAGS} (what {@code chattr +x} uses). The kernel copies the argument in and out; the
 * {@code data} segment is that copy. Both transports use it.
 */
final class InodeFlagsIoctl {
    static final int FS_IOC_GETFLAGS = 0x80086601;
    static final int FS_IOC_SETFLAGS = 0x40086602;
    static final int FS_IOC_FSGETXATTR = 0x801c581f;
    static final int FS_IOC_FSSETXATTR = 0x401c5820;
    /** {@code FS_XFLAG_DAX} in {@code fsxattr.fsx_xflags}. */
    static final int FS_XFLAG_DAX = 0x8000;
    /** {@code FS_DAX_FL} in the GETFLAGS word. */
    static final int FS_DAX_FL = 0x02000000;
    /** {@code sizeof(struct fsxattr)}: xflags, extsize, nextents, projid, cowextsize, 8 bytes of padding. */
    static final int FSXATTR_SIZE = 28;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private InodeFlagsIoctl() {}

    /** The reply of a get command for inode flags {@code flags}: 28 bytes of fsxattr or the 4-byte flags word. */
    static byte[] get(int cmd, int flags) {
        boolean dax = (flags & Attributes.FLAG_DAX) != 0;
        MemorySegment out = MemorySegment.ofArray(new byte[cmd == FS_IOC_FSGETXATTR ? FSXATTR_SIZE : 4]);
        out.set(INT, 0, cmd == FS_IOC_FSGETXATTR ? (dax ? FS_XFLAG_DAX : 0) : (dax ? FS_DAX_FL : 0));
        return out.toArray(ValueLayout.JAVA_BYTE);
    }

    /** The fs-core flags a set command asks for; EOPNOTSUPP for any flag but DAX. */
    static int flagsToSet(int cmd, MemorySegment data) {
        if (data.byteSize() < 4) {
            throw new FsException(Errno.EINVAL, "ioctl argument of " + data.byteSize() + " bytes");
        }
        int requested = data.get(INT, 0);
        int daxBit = cmd == FS_IOC_FSSETXATTR ? FS_XFLAG_DAX : FS_DAX_FL;
        if ((requested & ~daxBit) != 0) {
            throw new FsException(Errno.EOPNOTSUPP,
                    "daxfs keeps only the DAX inode flag, not 0x" + Integer.toHexString(requested & ~daxBit));
        }
        return (requested & daxBit) != 0 ? Attributes.FLAG_DAX : 0;
    }
}
