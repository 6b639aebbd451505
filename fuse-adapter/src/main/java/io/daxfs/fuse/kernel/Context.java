package io.daxfs.fuse.kernel;

/**
 * Who sent a request: its unique id, the node it is about, and the caller's credentials as the
 * kernel gives them in {@code struct fuse_in_header}.
 */
public record Context(long unique, long nodeId, int uid, int gid, int pid) {}
