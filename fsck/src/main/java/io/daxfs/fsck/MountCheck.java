package io.daxfs.fsck;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Whether a device is mounted as daxfs: a {@code fuse.daxfs} line in /proc/mounts naming it as source. */
final class MountCheck {
    private static final Path MOUNTS = Path.of("/proc/mounts");

    private MountCheck() {}

    /** The mount point of {@code device}, or null if /proc/mounts does not list it. */
    static String mountPoint(Path device) {
        List<String> lines;
        try {
            lines = Files.readAllLines(MOUNTS);
        } catch (IOException | SecurityException e) {
            return null;
        }
        return mountPoint(device, lines);
    }

    static String mountPoint(Path device, List<String> mountsLines) {
        Path real = realPath(device);
        for (String line : mountsLines) {
            String[] f = line.split(" ");
            if (f.length < 3 || !(f[2].equals("fuse.daxfs") || f[2].equals("fuseblk.daxfs"))) {
                continue;
            }
            String source = unescape(f[0]);
            if (source.equals(device.toString()) || (real != null && real.equals(realPath(Path.of(source))))) {
                return unescape(f[1]);
            }
        }
        return null;
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** /proc/mounts writes space, tab, newline and backslash as octal escapes. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
