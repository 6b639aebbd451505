package io.daxfs.core;

/** The Linux errno values fs-core reports; FUSE returns them negated. */
public enum Errno {
    EPERM(1), ENOENT(2), EIO(5), EBADF(9), EAGAIN(11), ENOMEM(12), EACCES(13), EBUSY(16), EEXIST(17),
    EXDEV(18), ENODEV(19), ENOTDIR(20), EISDIR(21), EINVAL(22), ENFILE(23), EFBIG(27), ENOSPC(28),
    EROFS(30), EMLINK(31), ERANGE(34), ENAMETOOLONG(36), ENOSYS(38), ENOTEMPTY(39), ELOOP(40),
    ENODATA(61), EOVERFLOW(75), EOPNOTSUPP(95), E2BIG(7), ENXIO(6), ESTALE(116);

    private final int value;

    Errno(int value) {
        this.value = value;
    }

    /** The positive Linux errno number. */
    public int value() {
        return value;
    }
}
