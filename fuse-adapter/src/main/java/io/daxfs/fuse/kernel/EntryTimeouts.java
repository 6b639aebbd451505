package io.daxfs.fuse.kernel;

import java.lang.foreign.MemorySegment;

/** How long the kernel may cache names and attributes; writes {@code fuse_entry_out} and {@code fuse_attr_out}. */
record EntryTimeouts(double entrySeconds, double attrSeconds) {
    void writeEntry(MemorySegment out, long at, Entry e) {
        out.set(Wire.U64, at, e.nodeId());
        out.set(Wire.U64, at + 8, e.generation());
        out.set(Wire.U64, at + 16, seconds(entrySeconds));
        out.set(Wire.U64, at + 24, seconds(attrSeconds));
        out.set(Wire.U32, at + 32, nanos(entrySeconds));
        out.set(Wire.U32, at + 36, nanos(attrSeconds));
        e.attr().writeTo(out, at + 40);
    }

    /** {@code struct fuse_attr_out}: 104 bytes. */
    void writeAttr(MemorySegment out, long at, Attr a) {
        out.set(Wire.U64, at, seconds(attrSeconds));
        out.set(Wire.U32, at + 8, nanos(attrSeconds));
        out.set(Wire.U32, at + 12, 0);
        a.writeTo(out, at + 16);
    }

    private static long seconds(double s) {
        return (long) s;
    }

    private static int nanos(double s) {
        return (int) Math.round((s - Math.floor(s)) * 1e9) % 1_000_000_000;
    }
}
