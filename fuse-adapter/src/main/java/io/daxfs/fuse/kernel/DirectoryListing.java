package io.daxfs.fuse.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The reply buffer of one READDIR or READDIRPLUS: the filesystem adds entries until
 * {@link #add} says the buffer is full. For READDIRPLUS ({@link #plus()}) each entry carries its
 * {@link Entry}, which counts a lookup unless its node id is 0 (as for "." and "..", which the
 * kernel never links).
 */
public final class DirectoryListing {
    private static final int DIRENT = 24;
    private final MemorySegment buf;
    private final boolean plus;
    private final EntryTimeouts timeouts;
    private long used;
    private long[] counted = new long[0];
    private int countedSize;

    DirectoryListing(MemorySegment buf, boolean plus, EntryTimeouts timeouts) {
        this.buf = buf;
        this.plus = plus;
        this.timeouts = timeouts;
    }

    /** True for READDIRPLUS: entries must carry their {@link Entry}. */
    public boolean plus() {
        return plus;
    }

    /**
     * Adds one entry; returns false (adding nothing) when it does not fit, and the listing is then
     * complete. {@code offset} is where a later READDIR resumes after this entry; {@code entry} is
     * required for READDIRPLUS and ignored otherwise.
     */
    public boolean add(byte[] name, long ino, int mode, long offset, Entry entry) {
        long head = plus ? Entry.SIZE + DIRENT : DIRENT;
        long size = Wire.align8(head + name.length);
        if (used + size > buf.byteSize()) {
            return false;
        }
        long at = used;
        if (plus) {
            timeouts.writeEntry(buf, at, entry);
            at += Entry.SIZE;
        }
        buf.set(Wire.U64, at, ino);
        buf.set(Wire.U64, at + 8, offset);
        buf.set(Wire.U32, at + 16, name.length);
        buf.set(Wire.U32, at + 20, (mode >>> 12) & 0xf);
        MemorySegment.copy(name, 0, buf, ValueLayout.JAVA_BYTE, at + DIRENT, name.length);
        buf.asSlice(at + DIRENT + name.length, used + size - (at + DIRENT + name.length)).fill((byte) 0);
        used += size;
        if (plus && entry.nodeId() != 0) {
            if (countedSize == counted.length) {
                counted = Arrays.copyOf(counted, Math.max(16, 2 * countedSize));
            }
            counted[countedSize++] = entry.nodeId();
        }
        return true;
    }

    long used() {
        return used;
    }

    /** The node ids whose entries count a lookup once the listing reaches the kernel. */
    long[] countedNodes() {
        return Arrays.copyOf(counted, countedSize);
    }
}
