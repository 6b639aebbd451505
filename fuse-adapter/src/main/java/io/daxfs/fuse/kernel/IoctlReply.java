package io.daxfs.fuse.kernel;

/** The result of an ioctl and the bytes to copy back to the caller's argument (at most out_size). */
public record IoctlReply(int result, byte[] out) {}
