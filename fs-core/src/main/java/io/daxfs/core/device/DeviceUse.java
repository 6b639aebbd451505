package io.daxfs.core.device;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Is a device in use? Mounted (it, or a fuse.daxfs mount whose source is it, appears in
 * /proc/mounts), attached to a loop device, or locked by another process (the daxfs FUSE daemon
 * holds a lock on its device file while mounted). mkfs and fsck ask before they write.
 */
public final class DeviceUse {
    private DeviceUse() {}

    /** Where the system describes mounts and loop devices; tests point these at their own files. */
    public record Sources(Path mounts, Path sysBlock) {
        public static Sources system() {
            return new Sources(Path.of("/proc/mounts"), Path.of("/sys/block"));
        }
    }

    /** Why {@code device} is in use, or null if it seems free (lock not included: see {@link #tryLock}). */
    public static String mountedOrAttached(Path device, Sources sources) {
        if (Files.isReadable(sources.mounts())) {
            List<String> lines;
            try {
                lines = Files.readAllLines(sources.mounts());
            } catch (IOException e) {
                lines = List.of();
            }
            String mounted = mountedIn(device, lines);
            if (mounted != null) {
                return mounted;
            }
        }
        if (Files.isDirectory(sources.sysBlock())) {
            try (DirectoryStream<Path> loops = Files.newDirectoryStream(sources.sysBlock(), "loop*")) {
                for (Path loop : loops) {
                    Path backing = loop.resolve("loop/backing_file");
                    if (Files.isReadable(backing) && sameFile(device, Files.readString(backing).strip())) {
                        return "it is attached to /dev/" + loop.getFileName() + " (detach it with losetup -d)";
                    }
                }
            } catch (IOException e) {
                // no loop information: nothing to report
            }
        }
        return null;
    }

    /** Why {@code device} is in use according to these /proc/mounts lines, or null. */
    public static String mountedIn(Path device, List<String> mountsLines) {
        for (String line : mountsLines) {
            String[] f = line.split(" ");
            if (f.length < 3) {
                continue;
            }
            String source = unescape(f[0]);
            if (sameFile(device, source)) {
                return "it is mounted on " + unescape(f[1]) + " (" + f[2] + ")";
            }
        }
        return null;
    }

    /**
     * Takes a lock on the whole device through {@code channel}: exclusive if the channel is
     * writable, shared otherwise. Returns the lock, or null if another holder (a mounted FUSE
     * daemon, another mkfs) has one.
     */
    static FileLock tryLock(FileChannel channel, boolean exclusive) throws IOException {
        try {
            return channel.tryLock(0, Long.MAX_VALUE, !exclusive);
        } catch (OverlappingFileLockException e) {
            return null; // held by this very JVM
        }
    }

    /** Opens {@code device} and checks that nobody holds a lock on it; returns a reason if somebody does. */
    public static String lockedByOther(Path device) throws IOException {
        try (FileChannel channel = FileChannel.open(device, StandardOpenOption.READ)) {
            FileLock lock = tryLock(channel, false);
            if (lock == null) {
                return "another process holds a lock on it (is it mounted by daxfs-fuse?)";
            }
            lock.release();
            return null;
        }
    }

    private static boolean sameFile(Path device, String source) {
        if (!source.startsWith("/")) {
            return false;
        }
        try {
            Path p = Path.of(source);
            return Files.exists(p) && Files.isSameFile(device, p);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** /proc/mounts writes space, tab, newline and backslash as \040, \011, \012, \134. */
    public static String unescape(String field) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
