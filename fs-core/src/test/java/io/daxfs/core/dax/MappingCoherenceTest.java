package io.daxfs.core.dax;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static io.daxfs.core.FsFixture.read;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.daxfs.core.FsException;
import io.daxfs.core.file.FileData;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 point 5: while a mapping lives, read(), write() and other mappings of its range see
 * its stores and it sees theirs; no later map() moves its blocks away from under it.
 */
class MappingCoherenceTest {
    private static final int MIB = 1 << 20;
    private static final int PAGE = 4096;

    private static byte at(DaxMapping m, long offset) {
        return m.segment().get(ValueLayout.JAVA_BYTE, offset);
    }

    private static void store(DaxMapping m, long offset, char c) {
        m.segment().set(ValueLayout.JAVA_BYTE, offset, (byte) c);
    }

    @Test
    void mappingsReadAndWriteOfOneRangeSeeEachOther() {
        try (DaxFileSystem fs = mount(formattedDevice(8 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            fs.write(f, 0, MemorySegment.ofArray(new byte[2 * PAGE]));
            fs.fallocate(f, FileData.PUNCH_HOLE | FileData.KEEP_SIZE, PAGE, PAGE);
            try (DaxMapping a = fs.map(f, 0, PAGE, DaxMapping.Mode.READ_WRITE);
                    DaxMapping b = fs.map(f, 0, PAGE, DaxMapping.Mode.READ_WRITE)) {
                store(a, 0, 'a');
                assertEquals('a', at(b, 0), "a second mapping sees the first one's store");
                store(b, 1, 'b');
                assertEquals('b', at(a, 1), "and the first sees the second's");
                fs.write(f, 2, MemorySegment.ofArray(new byte[] {'w'}));
                assertEquals('w', at(a, 2), "a mapping sees write()");
                assertEquals("abw", new String(read(fs, f, 0, 3)), "read() sees the mappings' stores");

                // The wider range has a hole: mapping it whole needs one contiguous run. Whether it
                // is refused or granted, the live mappings must stay the file's bytes.
                try (DaxMapping wide = fs.map(f, 0, 2 * PAGE, DaxMapping.Mode.READ_WRITE)) {
                    store(wide, 3, 'x');
                    assertEquals('x', at(a, 3), "a wider mapping shares the live mappings' blocks");
                } catch (FsException refused) {
                    assertEquals(io.daxfs.core.Errno.EBUSY, refused.errno());
                }
                store(a, 4, 'z');
                assertEquals('z', read(fs, f, 4, 1)[0], "the first mapping is still the file after a wider map()");
                fs.write(f, 5, MemorySegment.ofArray(new byte[] {'v'}));
                assertEquals('v', at(b, 5), "and still sees write()");
                fs.fallocate(f, FileData.ZERO_RANGE | FileData.KEEP_SIZE, 4, 1);
                assertEquals(0, at(a, 4), "a mapping sees a zero-range too");
                store(a, 4, 'z');
            }
            try (DaxMapping wide = fs.map(f, 0, 2 * PAGE, DaxMapping.Mode.READ)) {
                assertEquals('z', at(wide, 4), "once they are closed, the range can be made contiguous");
            }
        }
    }
}
