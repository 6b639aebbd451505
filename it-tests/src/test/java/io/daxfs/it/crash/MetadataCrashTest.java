package io.daxfs.it.crash;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.daxfs.it.support.Background;
import io.daxfs.it.support.CPrograms;
import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.TestKnobs;
import io.daxfs.it.support.TreeSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Crash during a metadata workload: two crashload processes (it-tests/src/test/c/crashload.c), each
 * in its own directory, do seeded random mkdir, rmdir, create, write, truncate, fsync, rename, link,
 * unlink, symlink, setxattr, removexattr and chmod, logging each operation before it starts and its
 * result after it returns, in a log outside the mount. At a random (seeded) moment the daemon is
 * killed with SIGKILL; then {@code fsck.daxfs -f -n} must exit 0 on the crashed image, and after a
 * remount each directory must be exactly what the acknowledged operations made of it (a model replays
 * the log): metadata operations are durable when they return; under {@code writeback=sync} every
 * completed write too, under {@code writeback=fsync} a file's content is checked when its last write
 * was followed by a completed fsync. The one operation that was in flight may or may not have
 * happened. Every earlier cycle's directory must stay exactly as it was verified.
 *
 * <p>An interrupted write() may also have landed in part, up to a page boundary: through the page
 * cache (every option but dax=always) the kernel sends an unaligned write as several FUSE requests
 * (the partial first page alone), and daxfs makes each request atomic, not the whole write().
 *
 * <p>Each cycle picks the mount options (default, dax=always, dax=never, writeback=fsync,
 * loop=multi); the mount that recovers uses the next cycle's options and serves its workload.
 * {@code daxfs.it.crash.metaKills} (20) kills.
 */
class MetadataCrashTest {
    private static final int KILLS = TestKnobs.intProp("daxfs.it.crash.metaKills", 20);
    private static final int PROCS = 2;
    private static final List<List<String>> OPTIONS = List.of(List.of(), List.of("dax=always"), List.of("dax=never"),
            List.of("writeback=fsync"), List.of("loop=multi"));

    @Test
    void killDaemonDuringMetadataWorkload() throws Exception {
        long seed = TestKnobs.seed("metadata crash");
        Random random = new Random(seed);
        Path crashload = CPrograms.build("crashload");
        Map<String, TreeSnapshot> verified = new LinkedHashMap<>();
        long acknowledged = 0;
        int inFlightApplied = 0;
        try (DaxfsMount fs = new DaxfsMount("1G")) {
            Path logs = Files.createDirectories(fs.dir.getParent().resolve("crashload-logs"));
            List<String> options = OPTIONS.get(random.nextInt(OPTIONS.size()));
            fs.mount(options.toArray(String[]::new));
            for (int cycle = 0; cycle < KILLS; cycle++) {
                long delayMs = 200 + random.nextInt(2300);
                List<String> next = OPTIONS.get(random.nextInt(OPTIONS.size()));
                String what = "cycle " + cycle + " (seed " + seed + ", options " + options + ", kill after " + delayMs
                        + " ms, remount with " + next + ")";
                List<Path> logFiles = new ArrayList<>();
                List<Background> workers = new ArrayList<>();
                try {
                    for (int p = 0; p < PROCS; p++) {
                        String rel = "c" + cycle + "/p" + p;
                        Files.createDirectories(fs.dir.resolve(rel));
                        Path log = logs.resolve("c" + cycle + "-p" + p + ".log");
                        logFiles.add(log);
                        workers.add(Background.start(List.of(crashload.toString(), "-d", fs.dir.resolve(rel).toString(),
                                "-l", log.toString(), "-S", Long.toString(seed + 1000L * cycle + p)), logs, Map.of()));
                    }
                    Thread.sleep(delayMs);
                    fs.kill();
                    for (int p = 0; p < PROCS; p++) {
                        Background w = workers.get(p);
                        int rc = w.waitFor(60);
                        int pp = p;
                        assertTrue(rc == 3, () -> what + ": crashload " + pp + " exited " + rc
                                + " (3 = the mount went away):\n" + w.stderr() + tail(logFiles.get(pp)));
                    }
                } finally {
                    workers.forEach(Background::close);
                }

                fs.fsck("-f", "-n").ok();

                // Recover with the next cycle's options; this mount also serves the next workload.
                fs.mount(next.toArray(String[]::new));
                boolean fsyncMode = options.contains("writeback=fsync");
                // Through the page cache the kernel sends an unaligned write as several requests (the
                // partial first page alone), so an interrupted write() may have landed in part.
                boolean tornWrites = !options.contains("dax=always");
                for (int p = 0; p < PROCS; p++) {
                    String rel = "c" + cycle + "/p" + p;
                    Replay r = replay(logFiles.get(p), fsyncMode, tornWrites, what + " p" + p);
                    acknowledged += r.acknowledged;
                    TreeSnapshot actual = TreeSnapshot.scan(fs.dir.resolve(rel));
                    List<String> firstDiff = null;
                    boolean matched = false;
                    for (int c = r.candidates.size() - 1; c >= 0 && !matched; c--) {
                        List<String> diff = r.candidates.get(c).snapshot().diff(actual, 30);
                        if (diff.isEmpty()) {
                            matched = true;
                            if (c > 0) {
                                inFlightApplied++;
                            }
                        } else if (firstDiff == null) {
                            firstDiff = diff;
                        }
                    }
                    if (!matched) {
                        fail(what + ": " + rel + " does not hold what the acknowledged operations made"
                                + (r.candidates.size() > 1 ? " (with or without the one in flight: " + r.inFlight + ")" : "")
                                + ":\n" + String.join("\n", firstDiff) + "\nlast operations:\n" + tail(logFiles.get(p)));
                    }
                    verified.put(rel, actual);
                }
                checkEarlierCycles(fs, verified, what);
                System.out.printf("[metadata crash] %s: %d operations acknowledged so far, directories verified%n", what,
                        acknowledged);
                options = next;
            }
            fs.unmount();
            fs.fsck("-f", "-n").ok();
            fs.mount();
            checkEarlierCycles(fs, verified, "after the last cycle and a clean unmount");
            fs.unmount();
            fs.fsck("-f", "-n").ok();
        }
        System.out.printf("[metadata crash] %d kills, %d acknowledged operations checked, in-flight operation found "
                + "applied (in whole or in part) %d times%n", KILLS, acknowledged, inFlightApplied);
        assertTrue(acknowledged > KILLS * 10L, "the workload hardly ran: " + acknowledged + " operations");
    }

    private static void checkEarlierCycles(DaxfsMount fs, Map<String, TreeSnapshot> verified, String what) throws Exception {
        for (var e : verified.entrySet()) {
            List<String> diff = e.getValue().diff(TreeSnapshot.scan(fs.dir.resolve(e.getKey())), 30);
            assertTrue(diff.isEmpty(), () -> what + ": " + e.getKey() + ", verified after an earlier crash, changed:\n"
                    + String.join("\n", diff));
        }
    }

    /** The model after every acknowledged operation, and with the one in flight applied too (if it could succeed). */
    record Replay(List<NamespaceModel> candidates, long acknowledged, String inFlight) {}

    static Replay replay(Path log, boolean fsyncMode, boolean tornWrites, String what) throws Exception {
        NamespaceModel model = new NamespaceModel(fsyncMode);
        List<String> lines = Files.readAllLines(log);
        long acknowledged = 0;
        String pending = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.startsWith("B ")) {
                throw new AssertionError(what + ": bad log line " + (i + 1) + ": " + line);
            }
            String[] b = line.split(" ");
            String[] args = java.util.Arrays.copyOfRange(b, 2, b.length);
            if (i + 1 >= lines.size()) {
                pending = line;
                break;
            }
            String[] e = lines.get(++i).split(" ");
            if (!e[0].equals("E") || !e[1].equals(b[1])) {
                throw new AssertionError(what + ": log line " + (i + 1) + " does not end operation " + b[1]);
            }
            int errno = Integer.parseInt(e[2]);
            // ENOTCONN, ECONNABORTED, ECANCELED (a request on its way to a killed daemon's io_uring
            // queue): the mount went away meanwhile
            if (errno == 107 || errno == 103 || errno == 125) {
                pending = line;
                break;
            }
            try {
                model.apply(args);
                if (errno != 0) {
                    throw new AssertionError(what + ": operation " + String.join(" ", args) + " failed with errno "
                            + errno + ", but the model says it succeeds (log line " + i + ")");
                }
                acknowledged++;
            } catch (NamespaceModel.Invalid inv) {
                if (errno == 0) {
                    throw new AssertionError(what + ": daxfs acknowledged " + String.join(" ", args)
                            + ", which must fail: " + inv.getMessage() + " (log line " + i + ")");
                }
            }
        }
        List<NamespaceModel> candidates = new ArrayList<>(List.of(model));
        if (pending != null) {
            String[] op = java.util.Arrays.copyOfRange(pending.split(" "), 2, pending.split(" ").length);
            List<String[]> outcomes = new ArrayList<>();
            if (tornWrites && op[0].equals("write")) {
                // Any prefix that ends on a page boundary of the file (requests go out in order).
                long off = Long.parseLong(op[2]);
                long len = Long.parseLong(op[3]);
                for (long end = (off / 4096 + 1) * 4096; end < off + len; end += 4096) {
                    outcomes.add(new String[] {"write", op[1], op[2], Long.toString(end - off), op[4]});
                }
            }
            outcomes.add(op);
            for (String[] o : outcomes) {
                NamespaceModel after = model.copy();
                try {
                    after.apply(o);
                    candidates.add(after);
                } catch (NamespaceModel.Invalid inv) {
                    // it could only have failed
                }
            }
        }
        return new Replay(candidates, acknowledged, pending);
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (Exception e) {
            return "(no log: " + e + ")";
        }
    }
}
