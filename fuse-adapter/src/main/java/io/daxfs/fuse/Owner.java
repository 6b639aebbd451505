package io.daxfs.fuse;

import io.daxfs.core.Attributes;

/**
 * Who owns a new inode: the caller, except that a set-group-ID directory passes on its group
 * (and, to new directories, the set-group-ID bit), as Linux filesystems do. Both transports use it.
 */
record Owner(int uid, int gid, int inheritedDirBits) {
    private static final int S_ISGID = 02000;

    static Owner of(Attributes dir, int uid, int gid) {
        if ((dir.mode() & S_ISGID) != 0) {
            return new Owner(uid, dir.gid(), S_ISGID);
        }
        return new Owner(uid, gid, 0);
    }
}
