package io.daxfs.it.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.daxfs.it.support.Background;
import io.daxfs.it.support.CPrograms;
import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.TestKnobs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * fsx: random read, write, truncate, fallocate (allocate, keep-size, punch-hole, zero-range),
 * mmap read and mmap write on one file, the whole file compared with an in-memory copy after every
 * step, through the page cache and through O_DIRECT (it-tests/src/test/c/fsx.c). Seeded: the seed is
 * printed, {@code -Ddaxfs.it.seed=N} replays it. After the run the filesystem is unmounted and
 * {@code fsck.daxfs -f -n} must pass.
 *
 * <p>Sizes: {@code daxfs.it.fsx.ops} (100000) for the default mount, {@code daxfs.it.fsx.shortOps}
 * (25000) for the {@code dax=always} and {@code writeback=fsync} runs.
 */
class FsxTest {
    private static final long OPS = TestKnobs.longProp("daxfs.it.fsx.ops", 100_000);
    private static final long SHORT_OPS = TestKnobs.longProp("daxfs.it.fsx.shortOps", 25_000);

    /** Default options (dax=inode: page cache, MAP_SHARED works), every operation kind. */
    @Test
    void defaultMountAllOperations() throws Exception {
        run("fsx default", OPS, List.of());
    }

    /** dax=always: every file is direct_io, so no mmap operations (MAP_SHARED fails with ENODEV there). */
    @Test
    void daxAlwaysWithoutMmap() throws Exception {
        run("fsx dax=always", SHORT_OPS, List.of("-M"), "dax=always");
    }

    /** writeback=fsync: data written in place into existing blocks, holes filled copy-on-write. */
    @Test
    void writebackFsyncInPlace() throws Exception {
        run("fsx writeback=fsync", SHORT_OPS, List.of(), "writeback=fsync");
    }

    private static void run(String what, long ops, List<String> flags, String... options) throws Exception {
        long seed = TestKnobs.seed(what);
        try (DaxfsMount fs = new DaxfsMount("512M")) {
            fs.mount(options);
            List<String> cmd = new ArrayList<>(List.of(CPrograms.build("fsx").toString(), "-q", "-N", Long.toString(ops),
                    "-S", Long.toString(seed)));
            cmd.addAll(flags);
            cmd.add(fs.dir.resolve("fsx.dat").toString());
            try (Background fsx = Background.start(cmd, fs.dir.getParent(), Map.of())) {
                int rc = fsx.waitFor(Math.max(600, ops / 100));
                System.out.println(fsx.stdout().strip());
                assertEquals(0, rc, () -> what + " failed (seed " + seed + ", options " + List.of(options) + "):\n"
                        + fsx.stdout() + fsx.stderr());
            }
            fs.unmount();
            fs.fsck("-f", "-n").ok();
        }
    }
}
