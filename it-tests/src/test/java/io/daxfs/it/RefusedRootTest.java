package io.daxfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FileKind;
import io.daxfs.core.check.ImageCrafter;
import io.daxfs.core.check.ImageCrafter.Located;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.Shell;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Issue #13 point 5, as a user meets it: {@code bin/daxfs} on an image whose root cannot be used
 * (crafted with every checksum valid) exits at once with one line naming the cause and fsck, and
 * exit code 32 (docs/OPERATIONS.md), instead of waiting out its 60 s mount timeout.
 */
class RefusedRootTest {
    /** Far below the launcher's own 60 s timeout, far above a JVM start on a loaded machine. */
    private static final long PROMPT_SECONDS = 30;

    @Test
    void aRootThatIsNotADirectoryIsRefusedPromptly() throws Exception {
        assertRefused(crafter -> {
            for (Located l : crafter.all(Layout.ROOT_INO, InodeEntry.class)) {
                InodeEntry e = (InodeEntry) l.entry();
                crafter.replaceEntry(l.offset(), new InodeEntry(FileKind.REGULAR.typeBits() | 0644, e.uid(), e.gid(),
                        e.flags(), 1, e.rdev(), 0, e.atime(), e.mtime(), e.ctime(), e.btime(), e.parent(),
                        e.nextCookie()));
            }
        });
    }

    @Test
    void aRootWhoseLogIsNotALogIsRefusedPromptly() throws Exception {
        assertRefused(crafter -> {
            InodeTable.Record root = new InodeTable(crafter.device(), crafter.layout()).read(Layout.ROOT_INO);
            crafter.rewriteRecord(Layout.ROOT_INO, root.tail(), crafter.layout().dataEndBlock() - 2,
                    root.generation());
        });
    }

    private static void assertRefused(Consumer<ImageCrafter> craft) throws Exception {
        try (DaxfsMount fs = new DaxfsMount("64M")) {
            try (DaxDevice device = DaxDevice.open(fs.image, DeviceOptions.defaults())) {
                craft.accept(new ImageCrafter(device));
            }
            List<String> command = List.of(DaxfsMount.bin("daxfs"), fs.image.toString(), fs.dir.toString());
            long started = System.nanoTime();
            Shell.Result r = Shell.run(command, Map.of("DAXFS_LOG", fs.log.toString()), 90);
            double seconds = (System.nanoTime() - started) / 1e9;
            assertEquals(32, r.exitCode(), () -> "stdout: " + r.stdout() + "\nstderr: " + r.stderr());
            assertTrue(seconds < PROMPT_SECONDS, "bin/daxfs took " + seconds + " s to refuse the image");
            String err = r.stderr().strip();
            assertEquals(1, err.lines().count(), "one line on stderr: " + err);
            assertTrue(err.startsWith("daxfs: ") && err.contains("root directory is unusable")
                    && err.contains("fsck.daxfs"), err);
            assertFalse(r.stdout().contains("Exception") || err.contains("Exception") || err.contains("\tat "), err);
            assertTrue(Shell.run(List.of("mountpoint", "-q", fs.dir.toString()), Map.of(), 10).exitCode() != 0,
                    "nothing is mounted");
            assertEquals("", fs.daemonPid(), "the daemon is gone");
        }
    }
}
