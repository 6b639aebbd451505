package io.daxfs.it.fio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.FioRun;

/**
 * The fio matrix under {@code dax=always}: every file is direct_io. On the kernel transport
 * (FUSE_DIRECT_IO_ALLOW_MMAP) every engine, mmap included, must pass with its data verified; libfuse2
 * cannot map a direct_io file MAP_SHARED, so on jnr-fuse the mmap engine must fail the documented
 * way (mmap: ENODEV, "No such device", docs/OPERATIONS.md) and every other engine must pass.
 */
class FioDaxAlwaysTest extends FioMatrix {
    @Override
    String[] options() {
        return new String[] {"dax=always"};
    }

    @Override
    boolean expectFailure(String engine, FioRun run) {
        if (!engine.equals("mmap") || DaxfsMount.KERNEL_TRANSPORT) {
            return false;
        }
        assertNotEquals(0, run.exitCode, () -> "the mmap engine worked on a dax=always mount: " + run);
        assertTrue(run.errors().stream().allMatch(e -> e == 19), () -> "expected ENODEV (19) from every job: " + run
                + "\n" + run.problems());
        assertTrue((run.stderr + run.stdout).contains("func=mmap, error=No such device"),
                () -> "expected fio to name mmap and ENODEV: " + run.problems());
        assertEquals(0, run.sum("write", "io_bytes"), () -> "mmap failed but bytes were written: " + run);
        return true;
    }
}
