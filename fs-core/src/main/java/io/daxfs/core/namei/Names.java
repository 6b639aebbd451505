package io.daxfs.core.namei;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import java.nio.charset.StandardCharsets;

/** Rules for names in a directory: what every operation checks at the door. */
public final class Names {
    public static final int MAX_NAME_BYTES = 255;

    private Names() {}

    /**
     * False for a name no directory may hold and no kernel accepts in a listing (empty, "." or
     * "..", or containing '/' or NUL): such an entry in a crafted or damaged log is hidden from
     * readdir so that the rest of its directory stays readable (issue #13 point 9).
     */
    public static boolean isListable(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0
                && name.indexOf('\0') < 0;
    }

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
