package io.daxfs.fuse.kernel;

/** {@code struct fuse_kstatfs}: block and inode counts of the filesystem. */
public record StatfsReply(long blocks, long bfree, long bavail, long files, long ffree, int bsize, int namelen,
        int frsize) {}
