package io.daxfs.it.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.it.support.Background;
import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.FioRun;
import io.daxfs.it.support.Shell;
import io.daxfs.it.support.TestKnobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Crash during a fio verify write run: fio writes random 4 KiB blocks with crc32c verify headers
 * and {@code verify_state_save=1}; at a random (seeded) moment the daxfs daemon is killed with
 * SIGKILL. fio sees the mount go (ENOTCONN), stops, and saves its verify state
 * ({@code local-<job>-<n>-verify.state}: how many writes it issued and which of the last ones
 * completed). Then: {@code fsck.daxfs -f -n} on the crashed image must exit 0; after a remount, fio
 * runs the same job with {@code --verify_only --verify_state_load=1}, which replays the write sequence
 * up to the saved point and reads back every block whose write completed (was acknowledged): no
 * verify error is allowed, and the blocks verified must cover everything fio counted as written.
 * Under the default {@code writeback=sync} a write is durable when it returns, so every acknowledged
 * write must survive.
 *
 * <p>Cycles rotate the engine (psync, libaio with O_DIRECT, pvsync, posixaio, sync), the number of
 * jobs (1, 2) and the mount option (default, dax=always), overwriting the same files with a new seed
 * each time; the mount that recovers uses the next cycle's option and serves its write run.
 * {@code daxfs.it.crash.fioKills} (15) kills.
 *
 * <p>Queue depth is 1: fio 3.33 (Debian 12) keeps, for a job that stops on an error, a verify state
 * that makes {@code verify_only} check up to iodepth-1 blocks past the last issued write (with libaio
 * and iodepth=8 it reported 7 "bad magic header" blocks whose offsets never appear in the run's
 * {@code --write_iolog}, on every mount option and with or without O_DIRECT); newer fio tracks
 * in-flight writes by sequence number instead.
 */
class FioCrashTest {
    private static final int KILLS = TestKnobs.intProp("daxfs.it.crash.fioKills", 15);
    private static final String SIZE = "256M";

    @Test
    void killDaemonDuringFioVerifyWrites() throws Exception {
        long seed = TestKnobs.seed("fio crash");
        Random random = new Random(seed);
        long[] stats = new long[2];
        try (DaxfsMount fs = new DaxfsMount("1G")) {
            Path work = fs.dir.getParent();
            fs.mount();
            // Lay the files out once, so that every kill lands in the write phase rather than in fio's setup.
            Files.createDirectories(fs.dir.resolve("fio"));
            FioRun.run(work, List.of("--name=crash", "--directory=" + fs.dir.resolve("fio"), "--size=" + SIZE,
                    "--numjobs=2", "--create_only=1"), 300).requireOk();
            boolean daxAlways = false;
            for (int cycle = 0; cycle < KILLS; cycle++) {
                try {
                    daxAlways = oneCycle(fs, work, random, seed, cycle, daxAlways, stats);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\ndaemon log (" + fs.log + "):\n" + logTail(fs.log), e);
                }
            }
            fs.unmount();
            fs.fsck("-f", "-n").ok();
        }
        System.out.printf("[fio crash] %d kills, %d of them during the write phase, %d acknowledged blocks verified%n",
                KILLS, stats[0], stats[1]);
        assertTrue(stats[0] >= KILLS / 2, "too few kills landed while fio was writing: " + stats[0]);
    }

    static String logTail(Path log) {
        try {
            return Background.tail(Files.readString(log), 6000);
        } catch (java.io.IOException e) {
            return "(none: " + e + ")";
        }
    }

    /**
     * One write run on the mounted filesystem, kill, fsck, remount (with the next cycle's option,
     * returned) and verify_only; stats[0] counts kills during writes, stats[1] verified blocks.
     */
    private static boolean oneCycle(DaxfsMount fs, Path work, Random random, long seed, int cycle, boolean daxAlways,
            long[] stats) throws Exception {
        String engine = List.of("psync", "libaio", "pvsync", "posixaio", "sync").get(cycle % 5);
        int jobs = 1 + (cycle / 5) % 2;
        boolean nextDaxAlways = random.nextInt(3) == 0;
        Path cwd = Files.createDirectories(work.resolve("fio-crash-" + cycle));
        List<String> job = new ArrayList<>(List.of("--name=crash", "--directory=" + fs.dir.resolve("fio"),
                "--ioengine=" + engine, "--rw=randwrite", "--bs=4k", "--size=" + SIZE, "--numjobs=" + jobs,
                "--verify=crc32c", "--verify_fatal=1", "--verify_state_save=1", "--fallocate=none",
                "--randseed=" + (seed + cycle)));
        if (engine.equals("libaio")) {
            job.add("--direct=1");
        }
        long delayMs = 700 + random.nextInt(2800);
        String what = "cycle " + cycle + " (seed " + seed + ", " + engine + ", " + jobs + " job(s), "
                + (daxAlways ? "dax=always" : "default options") + ", kill after " + delayMs + " ms, remount with "
                + (nextDaxAlways ? "dax=always" : "default options") + ")";

        Shell.run(List.of("mountpoint", "-q", fs.dir.toString()), Map.of(), 10).ok();
        assertTrue(Files.exists(fs.dir.resolve("fio/crash.0.0")), what + ": the laid-out file is missing");
        Background writer = FioRun.start(cwd, job);
        Thread.sleep(delayMs);
        boolean finishedFirst = !writer.isAlive();
        fs.kill();
        FioRun write = FioRun.finish(writer, 120);
        List<Path> states;
        try (Stream<Path> s = Files.list(cwd)) {
            states = s.filter(p -> p.getFileName().toString().endsWith("-verify.state")).toList();
        }
        long written = write.sum("write", "total_ios");
        System.out.printf("[fio crash] %s: fio exit %d, %d writes completed, state files %d%n", what,
                write.exitCode, written, states.size());
        assertFalse(write.reportsVerifyFailure(), () -> what + ": " + write.problems());
        if (!finishedFirst && write.exitCode != 0) {
            stats[0]++;
            assertTrue((write.stderr + write.stdout).contains("Transport endpoint is not connected")
                    || (write.stderr + write.stdout).contains("Software caused connection abort")
                    || (write.stderr + write.stdout).contains("Operation canceled"),
                    () -> what + ": fio failed, but not because the mount went away:\n" + write.problems());
        }
        fs.fsck("-f", "-n").ok();
        fs.mount(nextDaxAlways ? new String[] {"dax=always"} : new String[0]);
        if (states.isEmpty() && written == 0) {
            // Killed before fio's jobs started writing (fio saves its state only from a running job).
            System.out.printf("[fio crash] %s: killed before the first write%n", what);
            return nextDaxAlways;
        }
        assertEquals(jobs, states.size(), () -> what + ": fio saved no verify state for every job: "
                + states + "\n" + write.problems());

        List<String> verify = new ArrayList<>(job);
        verify.addAll(List.of("--verify_only", "--verify_state_load=1"));
        FioRun check = FioRun.run(cwd, verify, 600);
        long read = check.sum("read", "total_ios");
        stats[1] += read;
        System.out.printf("[fio crash] %s: verify_only exit %d, %d blocks verified%n", what, check.exitCode, read);
        assertFalse(check.reportsVerifyFailure(), () -> what + ": acknowledged writes did not survive:\n"
                + check.problems());
        assertEquals(0, check.exitCode, () -> what + ": verify_only failed:\n" + check.problems());
        // fio verifies every write it counted as issued except one still in flight.
        assertTrue(read >= written - jobs && read <= written,
                () -> what + ": verify_only checked " + read + " blocks, but " + written + " writes completed");
        return nextDaxAlways;
    }
}
