package io.daxfs.it.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.it.support.Background;
import io.daxfs.it.support.CPrograms;
import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.Shell;
import io.daxfs.it.support.TestKnobs;
import io.daxfs.it.support.TreeSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * fsstress: several processes doing random metadata and data operations (create, mkdir, rmdir,
 * rename, link, unlink, symlink, write, truncate, fallocate, setxattr, removexattr, chmod, fsync,
 * readdir, read) in one shared tree for a while (it-tests/src/test/c/fsstress.c); no errno that the
 * race or a full device does not explain may occur. Then: the whole tree is read (every name lstat-able, every file read whole), the
 * filesystem unmounted, {@code fsck.daxfs -f -n} must exit 0, and after a remount the tree must be
 * exactly the same (names, types, modes, link counts, sizes, contents, symlink targets, xattrs, inode
 * numbers).
 *
 * <p>{@code daxfs.it.fsstress.seconds} (60) and {@code daxfs.it.fsstress.procs} (4).
 */
class FsstressTest {
    private static final long SECONDS = TestKnobs.longProp("daxfs.it.fsstress.seconds", 60);
    private static final int PROCS = TestKnobs.intProp("daxfs.it.fsstress.procs", 4);

    @Test
    void randomOperationsThenFsckAndRemount() throws Exception {
        long seed = TestKnobs.seed("fsstress");
        try (DaxfsMount fs = new DaxfsMount("1G")) {
            fs.mount();
            Path tree = Files.createDirectory(fs.dir.resolve("stress"));
            List<String> cmd = List.of(CPrograms.build("fsstress").toString(), "-d", tree.toString(), "-p",
                    Integer.toString(PROCS), "-t", Long.toString(SECONDS), "-S", Long.toString(seed));
            try (Background run = Background.start(cmd, fs.dir.getParent(), Map.of())) {
                int rc = run.waitFor(SECONDS + 600);
                System.out.println(run.stdout().strip());
                assertEquals(0, rc, () -> "fsstress failed (seed " + seed + "):\n" + run.stdout() + run.stderr());
            }
            // libfuse2 gives each name of a hard-linked file its own kernel inode, whose cached size and
            // pages may lag a write through another name until attr_timeout (docs/OPERATIONS.md): wait
            // that out and drop the page cache, so the first scan sees what daxfs holds.
            Thread.sleep(1500);
            Shell.run(List.of("sh", "-c", "sync && echo 3 > /proc/sys/vm/drop_caches"), Map.of(), 120).ok();
            System.out.println("[fsstress] " + fs.sh("df -k . | tail -1").ok().stdout().strip());
            TreeSnapshot before = TreeSnapshot.scan(tree);
            System.out.printf("[fsstress] tree: %d files, %d directories, %d symlinks%n", before.files(),
                    before.directories(), before.symlinks());
            assertTrue(before.entries.size() > 10, "fsstress left almost nothing: " + before.entries.keySet());
            fs.unmount();
            fs.fsck("-f", "-n").ok();
            fs.mount();
            TreeSnapshot after = TreeSnapshot.scan(tree);
            List<String> diff = before.diff(after, 50);
            assertTrue(diff.isEmpty(), () -> "the tree changed across unmount and mount (seed " + seed + "):\n"
                    + String.join("\n", diff));
            fs.unmount();
            fs.fsck("-f", "-n").ok();
        }
    }
}
