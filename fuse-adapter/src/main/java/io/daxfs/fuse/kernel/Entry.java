package io.daxfs.fuse.kernel;

/**
 * A name resolved to a node ({@code struct fuse_entry_out} without its timeouts, which the
 * {@link Dispatcher} adds): every Entry the kernel receives counts one lookup of {@code nodeId}
 * until a FORGET gives it back. {@code nodeId:generation} must never name two different files.
 */
public record Entry(long nodeId, long generation, Attr attr) {
    /** {@code sizeof(struct fuse_entry_out)}. */
    static final int SIZE = 40 + Attr.SIZE;
}
