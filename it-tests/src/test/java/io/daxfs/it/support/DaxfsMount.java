package io.daxfs.it.support;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A real daxfs for an integration test: an image in /dev/shm made by {@code bin/mkfs.daxfs},
 * mounted by {@code bin/daxfs} at a fresh directory under /tmp, checked by {@code bin/fsck.daxfs}.
 * {@link #close} unmounts (lazily if it must), waits for the daemon and deletes everything, whatever
 * state a failed test left. Needs /dev/fuse and root: without them the constructor fails the test
 * loudly rather than skipping it.
 */
public final class DaxfsMount implements AutoCloseable {
    public static final Path REPO = findRepo();

    public final Path image;
    public final Path dir;
    public final Path log;
    private final List<String> mountOptions = new ArrayList<>();
    private boolean mounted;
    /** A killed daemon's mount is still in place (stale): {@link #mount} or {@link #close} detaches it. */
    private boolean stale;

    /** A formatted image of {@code size} (mkfs syntax, e.g. "512M"), not yet mounted. */
    public DaxfsMount(String size, String... mkfsArgs) throws IOException {
        assertTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse is missing: integration tests need FUSE");
        String id = UUID.randomUUID().toString().substring(0, 8);
        image = Path.of("/dev/shm/daxfs-it-" + id + ".img");
        dir = Files.createDirectories(Path.of("/tmp/daxfs-it-" + id + "/mnt"));
        log = dir.getParent().resolve("daemon.log");
        List<String> mkfs = new ArrayList<>(List.of(bin("mkfs.daxfs"), "-q", "-s", size));
        mkfs.addAll(List.of(mkfsArgs));
        mkfs.add(image.toString());
        Shell.run(mkfs, Map.of(), 300).ok();
    }

    /**
     * The FUSE transport every mount of this run asks for, from {@code -Ddaxfs.it.transport=kernel|jnr}
     * (none: the default), so that the whole suite runs on either transport.
     */
    public static final String TRANSPORT = System.getProperty("daxfs.it.transport", "");
    /** Whether this run mounts on the kernel transport (the default on Linux), not jnr-fuse's libfuse2. */
    public static final boolean KERNEL_TRANSPORT = !TRANSPORT.equals("jnr");
    /**
     * Whether every mount of this run serves through FUSE over io_uring ({@code -Ddaxfs.it.uring=true}:
     * {@code -o uring}, the fuse module's enable_uring set to Y, and a daemon that fell back to
     * {@code /dev/fuse} fails its unmount).
     */
    public static final boolean URING = Boolean.getBoolean("daxfs.it.uring");
    private static final Path ENABLE_URING = Path.of("/sys/module/fuse/parameters/enable_uring");

    /** Mounts with {@code -o options} (none if empty) and the run's transport; returns this. */
    public DaxfsMount mount(String... options) {
        List<String> command = new ArrayList<>(List.of(bin("daxfs"), image.toString(), dir.toString()));
        List<String> all = new ArrayList<>(List.of(options));
        if (!TRANSPORT.isEmpty()) {
            all.add(0, "transport=" + TRANSPORT);
        }
        if (URING) {
            enableUring();
            all.add("uring");
        }
        if (!all.isEmpty()) {
            command.addAll(List.of("-o", String.join(",", all)));
        }
        Shell.run(command, Map.of("DAXFS_LOG", log.toString()), 120).ok();
        mounted = true;
        stale = false;
        return this;
    }

    /** Unmounts cleanly and waits for the daemon to save and exit. */
    public void unmount() {
        if (mounted) {
            Shell.run(List.of("fusermount", "-u", dir.toString()), Map.of(), 60).ok();
            awaitDaemonGone();
            mounted = false;
            if (URING) {
                assertServedByRings();
            }
        }
    }

    /** FUSE over io_uring needs the fuse module's enable_uring (N on a fresh boot): set it, or fail saying how. */
    private static void enableUring() {
        try {
            assertTrue(Files.exists(ENABLE_URING), "-Ddaxfs.it.uring: this kernel (" + System.getProperty("os.version")
                    + ") has no FUSE over io_uring (Linux 6.14+)");
            if (!Files.readString(ENABLE_URING).strip().equals("Y")) {
                Files.writeString(ENABLE_URING, "Y");
            }
        } catch (IOException e) {
            throw new AssertionError("-Ddaxfs.it.uring: echo Y > " + ENABLE_URING + " needs root (" + e + ")", e);
        }
    }

    /** The daemon's log has none of the lines that say it served through {@code /dev/fuse} alone. */
    private void assertServedByRings() {
        try {
            String text = Files.exists(log) ? Files.readString(log) : "";
            assertTrue(!text.contains("FUSE over io_uring not used") && !text.contains("does not offer FUSE over io_uring")
                    && !text.contains("registering queue"), "the daemon fell back to /dev/fuse:\n" + text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Kills the daemon with SIGKILL, as a crash would, and waits until the kernel has dropped its
     * connection. The mount stays, stale (every access fails with ENOTCONN), as a crash leaves it for
     * a user: the next {@link #mount} detaches it itself. Detaching it here let a process of the
     * workload that had not opened its files yet (slow to start under load) resolve their paths in
     * the bare directory below the mount: it failed with ENOENT instead of ENOTCONN, and anything it
     * created there made the remount refuse the directory as not empty.
     */
    public void kill() {
        String pid = daemonPid();
        assertTrue(pid.matches("\\d+"), "exactly one daemon expected for " + image + ": '" + pid + "'");
        Shell.run(List.of("kill", "-KILL", pid), Map.of(), 10).ok();
        awaitDaemonGone();
        awaitStale();
        mounted = false;
        stale = true;
    }

    /**
     * Waits until listing the mount point fails with ENOTCONN: the daemon's process is gone from the
     * process table before its last thread has closed /dev/fuse, and only then does the kernel abort
     * the connection. A listing always reaches the daemon (daxfs keeps no directory cache in the
     * kernel), so it cannot be answered from cached attributes as a stat can.
     */
    private void awaitStale() {
        long deadline = System.nanoTime() + 30_000_000_000L;
        Shell.Result r;
        do {
            r = Shell.run(List.of("ls", "-a", dir.toString()), Map.of(), 30);
            if (r.exitCode() != 0 && r.stderr().contains("Transport endpoint is not connected")) {
                return;
            }
            pause(50);
        } while (System.nanoTime() - deadline < 0);
        throw new AssertionError("the killed daemon's mount at " + dir + " is not stale (ENOTCONN): ls exited "
                + r.exitCode() + ", " + r.stdout() + r.stderr());
    }

    /** Runs {@code bin/fsck.daxfs} with {@code args} on the (unmounted) image. */
    public Shell.Result fsck(String... args) {
        List<String> command = new ArrayList<>(List.of(bin("fsck.daxfs")));
        command.addAll(List.of(args));
        command.add(image.toString());
        return Shell.run(command, Map.of(), 600);
    }

    /** Runs a bash script inside the mounted directory. */
    public Shell.Result sh(String script) {
        return Shell.sh(dir, script);
    }

    /** The pid of the daemon serving this image (uniquely named), or "". */
    public String daemonPid() {
        return Shell.run(List.of("pgrep", "-f", "DaxfsMain " + image), Map.of(), 10).stdout().strip();
    }

    private void awaitDaemonGone() {
        for (int i = 0; i < 600 && !daemonPid().isEmpty(); i++) {
            pause(50);
        }
        assertTrue(daemonPid().isEmpty(), "the daxfs daemon for " + image + " is still running");
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public static String bin(String name) {
        return REPO.resolve("bin").resolve(name).toString();
    }

    @Override
    public void close() throws IOException {
        if (mounted) {
            Shell.run(List.of("fusermount", "-u", dir.toString()), Map.of(), 60);
            Shell.run(List.of("fusermount", "-u", "-z", dir.toString()), Map.of(), 30);
            awaitDaemonGone();
        }
        if (stale) {
            Shell.run(List.of("fusermount", "-u", "-z", dir.toString()), Map.of(), 30);
        }
        Files.deleteIfExists(image);
        Shell.run(List.of("rm", "-rf", dir.getParent().toString()), Map.of(), 60);
    }

    private static Path findRepo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("bin/daxfs"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the repository (bin/daxfs) above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
