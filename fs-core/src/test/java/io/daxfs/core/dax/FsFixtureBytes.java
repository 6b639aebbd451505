package io.daxfs.core.dax;

import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;

/** Reads one byte of a file through read(), to compare with what a mapping shows. */
final class FsFixtureBytes {
    private FsFixtureBytes() {}

    static byte at(DaxFileSystem fs, long ino, long offset) {
        byte[] one = new byte[1];
        fs.read(ino, offset, MemorySegment.ofArray(one));
        return one[0];
    }
}
