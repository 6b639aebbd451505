package io.daxfs.core.file;

import io.daxfs.core.Name;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.Extent;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.EntryCodec;
import io.daxfs.core.log.LogEntry.XattrRef;
import io.daxfs.core.log.LogEntry.XattrSet;
import io.daxfs.core.log.LogEntry.XattrValue;
import io.daxfs.core.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.stream.LongStream;

/**
 * Where extended attribute values live (docs/FORMAT.md, XATTR_SET and XATTR_REF): up to
 * {@link #MAX_INLINE_VALUE} bytes in the log entry, longer ones (up to XATTR_SIZE_MAX) in blocks
 * of their own that the entry names. Used by the filesystem's setxattr and getxattr; the caller
 * holds the inode's lock (write for {@link #set}, read for {@link #read}), so a value's blocks are
 * never released while read.
 */
public final class XattrValues {
    /** XATTR_SIZE_MAX. */
    public static final int MAX_VALUE = EntryCodec.MAX_XATTR_REF_LENGTH;
    /** Values up to this many bytes are stored in their entry. */
    public static final int MAX_INLINE_VALUE = 3584;
    private static final int BLOCK = Layout.BLOCK_SIZE;

    private final Volume volume;

    public XattrValues(Volume volume) {
        this.volume = volume;
    }

    /**
     * Commits {@code value} as {@code name} of {@code inode}. A long value goes to new blocks
     * first (copy-on-write: the blocks of the value it replaces are released after the commit,
     * see {@code Inode.apply}); on failure they are given back.
     */
    public void set(Inode inode, Name name, byte[] value, long nowNs) {
        if (value.length > MAX_VALUE) {
            throw new IllegalArgumentException("xattr value of " + value.length + " bytes");
        }
        if (value.length <= MAX_INLINE_VALUE) {
            volume.begin().append(inode, new XattrSet(name, value.clone(), nowNs)).commit();
            return;
        }
        List<Extent> extents = volume.allocator().allocate(EntryCodec.blocksFor(value.length), false,
                BlockAllocator.Use.DATA);
        try {
            long[] blocks = extents.stream().flatMapToLong(e -> LongStream.range(e.start(), e.end())).toArray();
            MemorySegment padded = MemorySegment.ofArray(java.util.Arrays.copyOf(value, blocks.length * BLOCK));
            for (int i = 0; i < blocks.length; i++) {
                volume.device().copyIn(padded.asSlice((long) i * BLOCK, BLOCK), Layout.offsetOf(blocks[i]));
            }
            volume.begin().append(inode, new XattrRef(name, value.length, blocks, nowNs)).commit();
        } catch (RuntimeException e) {
            extents.forEach(volume.allocator()::free);
            throw e;
        }
    }

    /** The bytes of a stored value: a copy of its entry's, or read from its blocks. */
    public byte[] read(XattrValue stored) {
        return switch (stored) {
            case XattrSet s -> s.value().clone();
            case XattrRef r -> {
                byte[] out = new byte[r.length()];
                for (int i = 0; i < r.blocks().length; i++) {
                    int from = i * BLOCK;
                    int n = Math.min(BLOCK, out.length - from);
                    MemorySegment.copy(volume.device().directAccess(Layout.offsetOf(r.blocks()[i]), n), 0,
                            MemorySegment.ofArray(out), from, n);
                }
                yield out;
            }
        };
    }
}
