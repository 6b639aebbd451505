package io.daxfs.core.dax;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.testing.crash.RecordingDevice;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 point 3: what a writable mapping stored is in the durable image after fsync, syncfs or
 * unmount, whether the mapping is still open or was closed since the last sync.
 */
class MappingDurabilityTest {
    private static final int DEVICE = 4 << 20;
    private static final int LENGTH = 16 * 1024;

    /**
     * Maps 16 KiB, stores A, fsyncs (or syncfs), stores B, then runs {@code after} (which may close the mapping
     * and syncs somehow): the durable image at the end of the trace must hold B.
     */
    private static void checkBIsDurable(BiConsumer<DaxFileSystem, DaxMapping> after) {
        checkBIsDurable(false, after);
        checkBIsDurable(true, after);
    }

    private static void checkBIsDurable(boolean firstSyncfs, BiConsumer<DaxFileSystem, DaxMapping> after) {
        RecordingDevice recorder = new RecordingDevice(MemoryDevice.allocate(DEVICE));
        DaxFileSystem.format(recorder, FormatOptions.defaults());
        DaxFileSystem fs = DaxFileSystem.mount(recorder, MountOptions.defaults());
        long f = createFile(fs, fs.rootIno(), "f");
        fs.write(f, 0, MemorySegment.ofArray(new byte[LENGTH]));
        DaxMapping mapping = fs.map(f, 0, LENGTH, DaxMapping.Mode.READ_WRITE);
        mapping.segment().fill((byte) 'A');
        if (firstSyncfs) {
            fs.syncfs();
        } else {
            fs.fsync(f, false);
        }
        mapping.segment().fill((byte) 'B');
        after.accept(fs, mapping);

        byte[] image = recorder.crashState(recorder.crashPointCount() - 1).durableImage();
        byte[] expected = new byte[LENGTH];
        Arrays.fill(expected, (byte) 'B');
        try (DaxFileSystem again = DaxFileSystem.mount(MemoryDevice.fromImage(image), MountOptions.defaults())) {
            assertArrayEquals(expected, readAll(again, again.lookup(again.rootIno(), "f")));
        }
    }

    @Test
    void closedMappingThenFsync() {
        checkBIsDurable((fs, m) -> {
            m.close();
            fs.fsync(m.ino(), false);
        });
    }

    @Test
    void closedMappingThenSyncfs() {
        checkBIsDurable((fs, m) -> {
            m.close();
            fs.syncfs();
        });
    }

    @Test
    void openMappingThenSyncfs() {
        checkBIsDurable((fs, m) -> fs.syncfs());
    }

    @Test
    void openMappingThenUnmount() {
        checkBIsDurable((fs, m) -> fs.close());
    }

    @Test
    void closedMappingThenUnmount() {
        checkBIsDurable((fs, m) -> {
            m.close();
            fs.close();
        });
    }
}
