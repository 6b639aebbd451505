package io.daxfs.core.namei;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.Name;

/**
 * Rules for names in a directory: what every operation checks at the door. A name is any bytes
 * but '/' and NUL, 1 to {@link #MAX_NAME_BYTES} of them, and not "." or "..": it need not be UTF-8.
 */
public final class Names {
    public static final int MAX_NAME_BYTES = 255;

    private Names() {}

    /** Throws EINVAL / ENAMETOOLONG unless {@code name} can be stored as a directory entry. */
    public static void check(Name name) {
        if (name == null || !name.isListable()) {
            throw new FsException(Errno.EINVAL, "invalid name '" + name + "' (empty, '.', '..', or with '/' or NUL)");
        }
        checkLength(name);
    }

    /** ENAMETOOLONG if {@code name} has more than {@link #MAX_NAME_BYTES} bytes. */
    public static void checkLength(Name name) {
        if (name.length() > MAX_NAME_BYTES) {
            throw new FsException(Errno.ENAMETOOLONG, "name longer than " + MAX_NAME_BYTES + " bytes");
        }
    }
}
