package io.daxfs.it.fio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.FioRun;
import io.daxfs.it.support.TestKnobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * fio with every ioengine that fits a FUSE mount (psync, sync, pvsync, libaio, posixaio, mmap),
 * sequential and random writes, 1 and 2 jobs, each followed by fio's verification pass
 * ({@code verify=crc32c}, {@code do_verify=1}, {@code verify_fatal=1}): every run must finish with
 * exit 0, no job error, no verify error, and the verification must have read back everything written.
 * Subclasses choose the mount options and which engines must fail (and how).
 *
 * <p>{@code daxfs.it.fio.size} (64M per job).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FioMatrix {
    static final String SIZE = System.getProperty("daxfs.it.fio.size", "64M");
    static final List<String> ENGINES = List.of("psync", "sync", "pvsync", "libaio", "posixaio", "mmap");

    private DaxfsMount fs;
    private Path work;

    /** Mount options of this matrix. */
    abstract String[] options();

    /** Checks a run of {@code engine} that is expected to fail; returns false if it must pass. */
    boolean expectFailure(String engine, FioRun run) {
        return false;
    }

    @BeforeAll
    void mount() throws Exception {
        fs = new DaxfsMount("1G");
        fs.mount(options());
        work = Files.createDirectories(fs.dir.getParent().resolve("fio-cwd"));
    }

    @AfterAll
    void unmountAndCheck() throws Exception {
        try (DaxfsMount m = fs) {
            m.unmount();
            m.fsck("-f", "-n").ok();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyEngineSequentialAndRandomOneAndTwoJobs() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String engine : ENGINES) {
            for (String rw : List.of("write", "randwrite")) {
                for (int jobs : List.of(1, 2)) {
                    String name = engine + " " + rw + " " + jobs + " job" + (jobs > 1 ? "s" : "");
                    tests.add(DynamicTest.dynamicTest(name, () -> runOne(engine, rw, jobs)));
                }
            }
        }
        return tests.stream();
    }

    private void runOne(String engine, String rw, int jobs) throws Exception {
        String tag = engine + "-" + rw + "-" + jobs;
        Path dir = Files.createDirectories(fs.dir.resolve(tag));
        List<String> args = new ArrayList<>(List.of("--name=" + tag, "--directory=" + dir, "--ioengine=" + engine,
                "--rw=" + rw, "--bs=" + (rw.equals("write") ? "128k" : "4k"), "--size=" + SIZE, "--numjobs=" + jobs,
                "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--group_reporting=0",
                "--randseed=" + TestKnobs.longProp("daxfs.it.seed", 42)));
        switch (engine) {
            case "libaio" -> args.addAll(List.of("--direct=1", "--iodepth=16"));
            case "posixaio" -> args.add("--iodepth=8");
            default -> { }
        }
        FioRun run = FioRun.run(work, args, 600);
        System.out.println("[fio " + String.join(",", options()) + "] " + tag + ": exit " + run.exitCode + ", wrote "
                + run.sum("write", "io_bytes") + " B, verified " + run.sum("read", "io_bytes") + " B");
        assertFalse(run.reportsVerifyFailure(), () -> "verify error: " + run + "\n" + run.problems());
        if (expectFailure(engine, run)) {
            return;
        }
        assertEquals(0, run.exitCode, () -> run + "\n" + run.problems());
        assertEquals(jobs, run.jobs.size(), () -> run + "\n" + run.problems());
        assertTrue(run.errors().stream().allMatch(e -> e == 0), () -> run + "\n" + run.problems());
        long written = run.sum("write", "io_bytes");
        assertEquals(jobs * parseSize(SIZE), written, () -> "not everything was written: " + run);
        assertEquals(written, run.sum("read", "io_bytes"), () -> "the verify pass did not read back everything: " + run);
        // Keep the device from filling up over the matrix.
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
    }

    static long parseSize(String s) {
        char unit = Character.toUpperCase(s.charAt(s.length() - 1));
        long n = Long.parseLong(Character.isDigit(unit) ? s : s.substring(0, s.length() - 1));
        return switch (unit) {
            case 'K' -> n << 10;
            case 'M' -> n << 20;
            case 'G' -> n << 30;
            default -> n;
        };
    }
}
