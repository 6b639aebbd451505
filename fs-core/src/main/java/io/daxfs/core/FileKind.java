package io.daxfs.core;

/** The kinds of inode, with their {@code S_IFMT} bits. */
public enum FileKind {
    REGULAR(0100000), DIRECTORY(0040000), SYMLINK(0120000), FIFO(0010000), SOCKET(0140000),
    CHAR_DEVICE(0020000), BLOCK_DEVICE(0060000);

    /** Mask of the type bits in a mode. */
    public static final int S_IFMT = 0170000;

    /** Every kind, once: {@code values()} copies its array on each call. */
    private static final FileKind[] ALL = values();

    private final int typeBits;

    FileKind(int typeBits) {
        this.typeBits = typeBits;
    }

    public int typeBits() {
        return typeBits;
    }

    /** The kind named by the type bits of {@code mode}. */
    public static FileKind fromMode(int mode) {
        int bits = mode & S_IFMT;
        for (FileKind kind : ALL) {
            if (kind.typeBits == bits) {
                return kind;
            }
        }
        throw new FsException(Errno.EINVAL, "unknown file type in mode " + Integer.toOctalString(mode));
    }
}
