package io.daxfs.core.inode;

/**
 * A live DAX mapping of part of an inode's file, as the inode sees it: which file pages it covers
 * (writes there go in place) and which device range fsync must flush for it. Implemented by
 * {@code dax.DaxMapping}; the inode keeps its live mappings in {@link Inode#mappings()}.
 */
public interface LiveMapping {

    /** True if the mapping covers any of file pages {@code [first, first+count)}. */
    boolean overlaps(long first, long count);

    /** True until the mapping is closed. */
    boolean isOpen();

    /** True if stores may go through the mapping (fsync must flush its range). */
    boolean isWritable();

    /** Device offset of the first mapped byte. */
    long deviceOffset();

    /** Mapped bytes. */
    long length();
}
