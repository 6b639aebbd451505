package io.daxfs.fuse;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks before mounting that FUSE is usable and that the mount point is an empty directory that
 * is not mounted already. A stale FUSE mount (its daemon died, e.g. by SIGKILL, so every access
 * fails with "Transport endpoint is not connected") is detached here, which is harmless because
 * no daemon serves it any more.
 */
final class MountPoint {
    private static final Logger LOG = LoggerFactory.getLogger(MountPoint.class);
    private static final Path DEV_FUSE = Path.of("/dev/fuse");
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountPoint() {}

    /** Throws with the one line to show when {@code dir} cannot take a daxfs mount now. */
    static void check(Path dir) throws MountException {
        checkFuseDevice();
        if (isStale(dir)) {
            detachStale(dir);
        }
        if (!Files.exists(dir)) {
            throw new MountException(dir + ": no such directory (create the mount point first)");
        }
        if (!Files.isDirectory(dir)) {
            throw new MountException(dir + ": not a directory");
        }
        if (fstypeAt(dir).isPresent()) {
            throw new MountException(dir + ": already a mount point (" + fstypeAt(dir).get() + "); unmount it first");
        }
        if (!Files.isWritable(dir)) {
            throw new MountException(dir + ": permission denied (the mount point must be writable by you)");
        }
        if (!isEmpty(dir)) {
            throw new MountException(dir + ": not empty (daxfs mounts only on an empty directory)");
        }
    }

    private static void checkFuseDevice() throws MountException {
        if (!Files.exists(DEV_FUSE)) {
            throw new MountException("/dev/fuse is missing: load the fuse module (modprobe fuse), or give the "
                    + "container the device (--device /dev/fuse)");
        }
        if (!Files.isReadable(DEV_FUSE) || !Files.isWritable(DEV_FUSE)) {
            throw new MountException("/dev/fuse: permission denied (no read/write access for this user)");
        }
    }

    /** True when {@code dir} is a FUSE mount whose daemon is gone. */
    static boolean isStale(Path dir) {
        try {
            Files.readAttributes(dir, "unix:ino");
            return false;
        } catch (FileSystemException e) {
            return e.getReason() != null && e.getReason().contains("Transport endpoint is not connected");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static void detachStale(Path dir) throws MountException {
        LOG.warn("{}: stale FUSE mount (its daemon is gone); detaching it", dir);
        if (!run("fusermount", "-u", "-z", dir.toString()) && !run("umount", "-l", dir.toString())) {
            throw new MountException(dir + ": stale FUSE mount (Transport endpoint is not connected) that could not "
                    + "be detached; run: fusermount -u -z " + dir + "  (or as root: umount -l " + dir + ")");
        }
    }

    private static boolean run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The filesystem type mounted exactly at {@code dir}, from /proc/self/mountinfo. */
    static Optional<String> fstypeAt(Path dir) {
        String wanted = dir.toAbsolutePath().normalize().toString();
        try {
            List<String> lines = Files.readAllLines(MOUNTINFO);
            Optional<String> type = Optional.empty();
            for (String line : lines) {
                String[] fields = line.split(" ");
                int dash = List.of(fields).indexOf("-");
                if (fields.length > 4 && dash > 0 && dash + 1 < fields.length && unescape(fields[4]).equals(wanted)) {
                    type = Optional.of(fields[dash + 1]); // the last mount on a path is the visible one
                }
            }
            return type;
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** mountinfo writes space, tab, newline and backslash as three-digit octal escapes. */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isEmpty(Path dir) throws MountException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        } catch (NoSuchFileException e) {
            throw new MountException(dir + ": no such directory");
        } catch (IOException e) {
            throw new MountException(dir + ": cannot read the directory (" + e.getMessage() + ")");
        }
    }
}
