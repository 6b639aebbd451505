package io.daxfs.core.namei;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import java.nio.charset.StandardCharsets;

/** Rules for names in a directory: what every operation checks at the door. */
public final class Names {
    public static final int MAX_NAME_BYTES = 255;

    private Names() {}

    /** Throws EINVAL / ENAMETOOLONG unless {@code name} can be stored as a directory entry. */
    public static void check(String name) {
        if (name == null || name.isEmpty() || name.equals(".") || name.equals("..")) {
            throw new FsException(Errno.EINVAL, "invalid name '" + name + "'");
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new FsException(Errno.EINVAL, "name contains '/' or NUL");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new FsException(Errno.ENAMETOOLONG, "name longer than " + MAX_NAME_BYTES + " bytes");
        }
    }
}
