package io.daxfs.fuse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells bin/daxfs that the mount is in place: the launcher starts the background daemon with a
 * pipe on the descriptor named by {@value #ENV} and returns as soon as a line arrives on it (or,
 * when the pipe ends without one, passes on the daemon's error). This replaces polling the mount
 * point, which cost the launcher a process every few milliseconds. {@link MountSession} calls
 * {@link #mounted()} once the kernel has the mount; without the variable (a foreground daemon, a
 * test) it does nothing.
 */
final class ReadyPipe {
    static final String ENV = "DAXFS_READY_FD";
    private static final Logger LOG = LoggerFactory.getLogger(ReadyPipe.class);

    private final Path descriptor;
    private final AtomicBoolean sent = new AtomicBoolean();

    private ReadyPipe(Path descriptor) {
        this.descriptor = descriptor;
    }

    /** The pipe the launcher gave this process, or one that does nothing. */
    static ReadyPipe fromEnvironment() {
        String fd = System.getenv(ENV);
        return new ReadyPipe(fd != null && fd.matches("\\d{1,4}") ? Path.of("/proc/self/fd", fd) : null);
    }

    /** Writes the line, once; a launcher that is gone (timed out) is not an error of the mount. */
    void mounted() {
        if (descriptor == null || !sent.compareAndSet(false, true)) {
            return;
        }
        // Opening /proc/self/fd/N of a pipe opens that pipe again (Java has no way to write to an
        // inherited descriptor by number).
        try (OutputStream out = Files.newOutputStream(descriptor)) {
            out.write("mounted\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            LOG.info("could not tell the launcher that the mount is up ({}): it has probably given up", e.toString());
        }
    }
}
