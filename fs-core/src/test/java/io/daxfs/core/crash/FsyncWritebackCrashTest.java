package io.daxfs.core.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.device.SegmentDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.testing.crash.CrashImage;
import io.daxfs.core.testing.crash.CrashImages;
import io.daxfs.core.testing.crash.CrashState;
import io.daxfs.core.testing.crash.RecordingDevice;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Crash states under {@code writeback=fsync}: overwrites go in place with cached stores, so before
 * fsync a crash may leave each cache line old or new (never anything else, never another file's
 * bytes), an extending write leaves zeros or the new bytes, and after fsync returns every byte is
 * new. Metadata stays consistent at every point.
 */
class FsyncWritebackCrashTest {
    private static final long DEVICE = 1 << 20;
    private static final int SIZE = 3 * 4096;
    private static final MountOptions FSYNC = MountOptions.defaults().withWriteback(MountOptions.Writeback.FSYNC)
            .withAtime(MountOptions.Atime.NOATIME);

    @Test
    void inPlaceWritesAreLineWiseOldOrNewAndDurableAfterFsync() {
        RecordingDevice recorder = new RecordingDevice(MemoryDevice.allocate(DEVICE));
        DaxFileSystem.format(recorder, FormatOptions.defaults());
        DaxFileSystem fs = DaxFileSystem.mount(recorder, FSYNC);
        long f = fs.create(fs.rootIno(), "f", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino();
        byte[] old = filled(SIZE, (byte) 'o');
        fs.write(f, 0, MemorySegment.ofArray(old));
        fs.fsync(f, false);
        recorder.checkpoint();

        byte[] fresh = filled(SIZE + 5000, (byte) 'n');
        fs.write(f, 0, MemorySegment.ofArray(fresh));
        recorder.mark("written");
        fs.fsync(f, false);
        recorder.mark("fsynced");

        long images = 0;
        try (SegmentDevice target = MemoryDevice.allocate(DEVICE)) {
            for (int p = 0; p < recorder.crashPointCount(); p++) {
                CrashState state = recorder.crashState(p);
                boolean fsynced = "fsynced".equals(state.lastMark());
                for (CrashImage image : state.images(new CrashImages.Policy(256, 32, 3))) {
                    image.copyTo(target);
                    assertTrue(Checker.check(target).errors().isEmpty(), "checker: " + image.describe());
                    try (DaxFileSystem again = DaxFileSystem.mount(target, FSYNC)) {
                        byte[] content = read(again, again.lookup(again.rootIno(), "f"));
                        if (fsynced) {
                            assertEquals(fresh.length, content.length);
                            assertTrue(Arrays.equals(fresh, content), "after fsync every byte is new");
                        } else {
                            checkOldOrNew(content, old, fresh, image.describe());
                        }
                    }
                    images++;
                }
            }
        }
        System.out.printf("crash states (writeback=fsync): %d crash points, %d images%n",
                recorder.crashPointCount(), images);
    }

    /** Each 64-byte line of the old extent is all old or all new; bytes past the old size are new or zero. */
    private static void checkOldOrNew(byte[] content, byte[] old, byte[] fresh, String where) {
        if (content.length != old.length && content.length != fresh.length) {
            fail("size " + content.length + " is neither old nor new: " + where);
        }
        for (int line = 0; line < content.length; line += 64) {
            int end = Math.min(content.length, line + 64);
            byte[] got = Arrays.copyOfRange(content, line, end);
            boolean isNew = Arrays.equals(got, Arrays.copyOfRange(fresh, line, end));
            boolean isOld = line < old.length && Arrays.equals(got, Arrays.copyOfRange(old, line, end));
            boolean isZero = line >= old.length && Arrays.equals(got, new byte[end - line]);
            if (!isNew && !isOld && !isZero) {
                fail("bytes " + line + ".." + end + " are neither old, new nor zero: " + where);
            }
        }
    }

    private static byte[] read(DaxFileSystem fs, long ino) {
        byte[] buf = new byte[(int) fs.getattr(ino).size()];
        fs.read(ino, 0, MemorySegment.ofArray(buf));
        return buf;
    }

    private static byte[] filled(int n, byte b) {
        byte[] a = new byte[n];
        Arrays.fill(a, b);
        return a;
    }
}
