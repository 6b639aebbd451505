package io.daxfs.core.dax;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static io.daxfs.core.FsFixture.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.file.FileData;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 point 6: bytes stored through a mapping past EOF never become file content when the
 * file grows later, by truncate, write or fallocate: they read as zeros, as on Linux, also after a
 * remount.
 */
class PastEofTest {
    private static final int MIB = 1 << 20;
    private static final int SIZE = 100;
    private static final int MAPPED = 3 * 4096;

    /** A 100-byte file mapped over 3 pages, with 'x' stored through the mapping past EOF. */
    private static void check(BiConsumer<DaxFileSystem, Long> grow, long grownSize) {
        DaxDevice device = formattedDevice(8 * MIB);
        try (DaxFileSystem fs = mount(device)) {
            long f = createFile(fs, fs.rootIno(), "f");
            byte[] head = new byte[SIZE];
            Arrays.fill(head, (byte) 'h');
            fs.write(f, 0, MemorySegment.ofArray(head));
            try (DaxMapping mapping = fs.map(f, 0, MAPPED, DaxMapping.Mode.READ_WRITE)) {
                mapping.segment().asSlice(SIZE).fill((byte) 'x');
                grow.accept(fs, f);
                assertEquals(grownSize, fs.getattr(f).size());
                checkContent(fs, f, grownSize);
                assertEquals(0, mapping.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, SIZE),
                        "the mapping sees the zeros too");
            }
            checkContent(fs, f, grownSize);
        }
        try (DaxFileSystem again = mount(device)) {
            checkContent(again, again.lookup(again.rootIno(), "f"), grownSize);
        }
    }

    private static void checkContent(DaxFileSystem fs, long f, long size) {
        byte[] content = read(fs, f, 0, (int) size);
        byte[] expected = new byte[(int) size];
        Arrays.fill(expected, 0, SIZE, (byte) 'h');
        if (size == MAPPED + 1) {
            expected[MAPPED] = 'w';
        }
        assertArrayEquals(expected, content);
    }

    @Test
    void truncateUp() {
        check((fs, f) -> fs.truncate(f, MAPPED), MAPPED);
    }

    @Test
    void writePastTheMappedPages() {
        check((fs, f) -> fs.write(f, MAPPED, MemorySegment.ofArray(new byte[] {'w'})), MAPPED + 1);
    }

    @Test
    void fallocateGrowing() {
        check((fs, f) -> fs.fallocate(f, 0, 0, MAPPED), MAPPED);
    }

    @Test
    void shrinkThenGrow() {
        check((fs, f) -> {
            fs.truncate(f, SIZE / 2);
            fs.write(f, SIZE / 2, MemorySegment.ofArray(filled(SIZE - SIZE / 2)));
            fs.truncate(f, MAPPED);
        }, MAPPED);
    }

    private static byte[] filled(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'h');
        return b;
    }

    @Test
    void keepSizeFallocateDoesNotGrow() {
        check((fs, f) -> {
            fs.fallocate(f, FileData.KEEP_SIZE, 0, MAPPED);
            fs.truncate(f, MAPPED);
        }, MAPPED);
    }
}
