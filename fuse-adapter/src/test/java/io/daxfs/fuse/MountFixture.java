package io.daxfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.fs.DaxFileSystem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Test support for real mounts: a device image in /dev/shm, mount points under /tmp/daxfs-fuse-*,
 * bin/daxfs and shell commands run as a user would, and a {@link #close} that unmounts and deletes
 * everything it made, whatever state a failed test left. A test class holds one per test as a
 * {@code @RegisterExtension} field, which closes it after each test.
 */
final class MountFixture implements AutoCloseable, AfterEachCallback {
    /** What a command printed and how it ended. */
    record Result(int exitCode, String stdout, String stderr) {
        Result ok() {
            assertEquals(0, exitCode, () -> "exit " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr);
            return this;
        }
    }

    static final Path REPO = findRepo();
    final Path base;
    final Path image;
    final Path log;
    private final List<Path> mountPoints = new ArrayList<>();

    MountFixture() {
        assertTrue(Files.exists(Path.of("/dev/fuse")),
                "/dev/fuse is missing: the mount tests need FUSE (modprobe fuse, or --device /dev/fuse)");
        String id = UUID.randomUUID().toString().substring(0, 8);
        try {
            base = Files.createDirectories(Path.of("/tmp/daxfs-fuse-" + id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        image = Path.of("/dev/shm/daxfs-fuse-" + id + ".img");
        log = base.resolve("daemon.log");
    }

    /** Formats the image as a fresh daxfs of {@code size} bytes. */
    MountFixture format(long size) throws IOException {
        return format(size, FormatOptions.defaults());
    }

    /** A fresh image of {@code size} bytes formatted with {@code options}, in process (mkfs's own jar is built after this module). */
    MountFixture format(long size, FormatOptions options) throws IOException {
        Files.deleteIfExists(image);
        try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults().withCreateSize(size))) {
            DaxFileSystem.format(device, options);
        }
        return this;
    }

    /**
     * Asserts that the unmounted image has nothing {@code fsck.daxfs -f -n} would report, running
     * the same checker in process (fsck's own jar is built after this module).
     */
    void assertCheckerClean() throws IOException {
        try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults().withReadOnly(true))) {
            CheckReport report = Checker.check(device);
            assertTrue(report.problems().isEmpty(), report.toString());
        }
    }

    /** A new empty directory that {@link #close} unmounts and removes. */
    Path mountPoint(String name) throws IOException {
        Path dir = Files.createDirectories(base.resolve(name));
        mountPoints.add(dir);
        return dir;
    }

    /** Runs bin/daxfs with these arguments. */
    Result daxfs(String... args) {
        List<String> command = new ArrayList<>(List.of(REPO.resolve("bin/daxfs").toString()));
        command.addAll(List.of(args));
        if (!TRANSPORT.isEmpty() && args.length >= 2 && List.of(args).stream().noneMatch(a -> a.contains("transport="))) {
            command.addAll(List.of("-o", "transport=" + TRANSPORT));
        }
        return run(command);
    }

    /**
     * The transport of this run's mounts, from {@code -Ddaxfs.it.transport=kernel|jnr} (none: the
     * default); a case that names one keeps it.
     */
    static final String TRANSPORT = System.getProperty("daxfs.it.transport", "");

    /** Runs a bash script in directory {@code dir}. */
    Result sh(Path dir, String script) {
        return run(List.of("bash", "-c", "set -euo pipefail; cd '" + dir + "'; " + script));
    }

    /** Runs a python3 program in directory {@code dir} (for syscalls the shell has no tool for). */
    Result py(Path dir, String program) {
        return run(List.of("bash", "-c", "cd '" + dir + "' && exec python3 -c \"$1\"", "bash", program));
    }

    Result run(List<String> command) {
        try {
            Path out = Files.createTempFile(base, "out", ".txt");
            Path err = Files.createTempFile(base, "err", ".txt");
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("DAXFS_LOG", log.toString());
            // bin/daxfs gives up on a mount after 60 s; a loaded CI machine can take that long to start a JVM
            pb.environment().putIfAbsent("DAXFS_MOUNT_TIMEOUT", "240");
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Whether a filesystem is mounted at {@code dir} (a stale FUSE mount counts). */
    static boolean mounted(Path dir) {
        return MountPoint.fstypeAt(dir).isPresent();
    }

    /** Waits until nothing is mounted at {@code dir} (the daemon has gone after an unmount). */
    static void awaitUnmounted(Path dir) throws InterruptedException {
        for (int i = 0; i < 200 && mounted(dir); i++) {
            Thread.sleep(50);
        }
        assertTrue(!mounted(dir), dir + " is still mounted");
    }

    /**
     * Waits until {@code dir} is a stale mount (its daemon is gone). The kernel answers stat of the
     * mount point from its attribute cache for up to attr_timeout after the daemon died.
     */
    static boolean awaitStale(Path dir) throws InterruptedException {
        for (int i = 0; i < 100 && !MountPoint.isStale(dir); i++) {
            Thread.sleep(50);
        }
        return MountPoint.isStale(dir);
    }

    /** Waits until no daxfs daemon serves {@code image} any more (it saved and closed the device). */
    void awaitDaemonGone() throws InterruptedException {
        for (int i = 0; i < 200 && daemonRunning(); i++) {
            Thread.sleep(50);
        }
        assertTrue(!daemonRunning(), "the daxfs daemon for " + image + " is still running");
    }

    boolean daemonRunning() {
        return !daemonPid().isEmpty();
    }

    /** The pid of the daemon serving this fixture's (uniquely named) image, or "" if none. */
    String daemonPid() {
        return run(List.of("pgrep", "-f", "DaxfsMain " + image)).stdout().strip();
    }

    /** Sends {@code signal} to this fixture's daemon, by its pid. */
    void signalDaemon(String signal) {
        String pid = daemonPid();
        assertTrue(pid.matches("\\d+"), "exactly one daemon expected for " + image + ": '" + pid + "'");
        run(List.of("kill", "-" + signal, pid)).ok();
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        close();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Path dir : mountPoints) {
            if (mounted(dir)) {
                run(List.of("fusermount", "-u", dir.toString()));
            }
            if (mounted(dir)) {
                run(List.of("fusermount", "-u", "-z", dir.toString()));
            }
        }
        awaitDaemonGone();
        Files.deleteIfExists(image);
        for (Path dir : mountPoints) {
            if (mounted(dir)) {
                throw new AssertionError(dir + " could not be unmounted; left it in place");
            }
        }
        try (Stream<Path> files = Files.walk(base)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static Path findRepo() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isExecutable(p.resolve("bin/daxfs"))) {
                return p;
            }
        }
        throw new AssertionError("bin/daxfs not found above " + dir);
    }
}
