package io.daxfs.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a directory tree holds, as a user sees it: for every name its type, permission bits, link
 * count, size, content digest (every file is read whole), symlink target, user xattrs, and which
 * other names are the same inode. Two snapshots (before and after a remount, or a model's and the
 * mount's) are compared with {@link #diff}.
 */
public final class TreeSnapshot {
    /**
     * One name. {@code type} is 'd', 'f' or 'l'; {@code sha256} null and {@code size} -1 in an
     * expected entry mean "any content" (a file whose last writes were not fsynced); {@code links}
     * lists the other names of the same inode, sorted and comma separated.
     */
    public record Entry(char type, int mode, int nlink, long size, String sha256, String target,
            Map<String, String> xattrs, String links) {
        String differences(Entry actual) {
            List<String> d = new ArrayList<>();
            if (type != actual.type) {
                return "type " + type + " expected, is " + actual.type;
            }
            if (type != 'l' && mode != actual.mode) {
                d.add(String.format("mode %o expected, is %o", mode, actual.mode));
            }
            if (nlink != actual.nlink) {
                d.add("nlink " + nlink + " expected, is " + actual.nlink);
            }
            if (size != -1 && size != actual.size) {
                d.add("size " + size + " expected, is " + actual.size);
            }
            if (sha256 != null && !sha256.equals(actual.sha256)) {
                d.add("content differs (sha256 " + sha256.substring(0, 12) + " expected, is "
                        + (actual.sha256 == null ? "unreadable" : actual.sha256.substring(0, 12)) + ")");
            }
            if (!Objects.equals(target, actual.target)) {
                d.add("target " + target + " expected, is " + actual.target);
            }
            if (!xattrs.equals(actual.xattrs)) {
                d.add("xattrs " + xattrs + " expected, are " + actual.xattrs);
            }
            if (!links.equals(actual.links)) {
                d.add("other names of the inode [" + links + "] expected, are [" + actual.links + "]");
            }
            return String.join("; ", d);
        }
    }

    public final TreeMap<String, Entry> entries;
    /** Inode number of every name (empty for a model). */
    public final Map<String, Long> inodes;

    public TreeSnapshot(TreeMap<String, Entry> entries, Map<String, Long> inodes) {
        this.entries = entries;
        this.inodes = inodes;
    }

    /** Walks {@code root} (not following symlinks) and reads every file whole. */
    public static TreeSnapshot scan(Path root) throws IOException {
        TreeMap<String, Entry> entries = new TreeMap<>();
        Map<String, Long> inodes = new TreeMap<>();
        Map<Long, List<String>> byIno = new TreeMap<>();
        List<Path> paths;
        try (Stream<Path> s = Files.walk(root)) {
            paths = s.filter(p -> !p.equals(root)).toList();
        }
        record Raw(char type, int mode, int nlink, long size, String sha, String target, Map<String, String> x) {}
        Map<String, Raw> raw = new TreeMap<>();
        for (Path p : paths) {
            String rel = root.relativize(p).toString();
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,nlink,size,ino", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            char type = switch (mode & 0170000) {
                case 0040000 -> 'd';
                case 0100000 -> 'f';
                case 0120000 -> 'l';
                default -> '?';
            };
            long ino = (Long) a.get("ino");
            inodes.put(rel, ino);
            byIno.computeIfAbsent(ino, k -> new ArrayList<>()).add(rel);
            String sha = type == 'f' ? sha256(p) : null;
            String target = type == 'l' ? Files.readSymbolicLink(p).toString() : null;
            Map<String, String> x = type == 'l' ? Map.of() : xattrs(p);
            long size = type == 'f' ? (Long) a.get("size") : 0;
            raw.put(rel, new Raw(type, mode & 07777, (Integer) a.get("nlink"), size, sha, target, x));
        }
        for (var e : raw.entrySet()) {
            Raw r = e.getValue();
            entries.put(e.getKey(), new Entry(r.type, r.mode, r.nlink, r.size, r.sha, r.target, r.x,
                    otherNames(byIno.get(inodes.get(e.getKey())), e.getKey())));
        }
        return new TreeSnapshot(entries, inodes);
    }

    /** The other names in {@code group}, sorted and joined. */
    public static String otherNames(List<String> group, String self) {
        return String.join(",", group.stream().filter(n -> !n.equals(self)).sorted().toList());
    }

    /** The user xattrs of {@code p} (names without "user.", values in hex), daxfs' virtual ones excluded. */
    public static Map<String, String> xattrs(Path p) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
        Map<String, String> x = new TreeMap<>();
        for (String name : view.list()) {
            if (name.startsWith("daxfs.")) {
                continue;
            }
            ByteBuffer b = ByteBuffer.allocate(view.size(name));
            view.read(name, b);
            x.put(name, HexFormat.of().formatHex(b.array(), 0, b.position()));
        }
        return x;
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Differences of {@code actual} from this (expected) snapshot, at most {@code max} lines; empty if none. */
    public List<String> diff(TreeSnapshot actual, int max) {
        List<String> out = new ArrayList<>();
        for (var e : entries.entrySet()) {
            Entry a = actual.entries.get(e.getKey());
            String d = a == null ? "missing" : e.getValue().differences(a);
            if (!d.isEmpty()) {
                out.add(e.getKey() + ": " + d);
            }
        }
        for (String name : actual.entries.keySet()) {
            if (!entries.containsKey(name)) {
                out.add(name + ": unexpected " + actual.entries.get(name).type);
            }
        }
        for (var e : inodes.entrySet()) {
            Long other = actual.inodes.get(e.getKey());
            if (other != null && !other.equals(e.getValue()) && !actual.inodes.isEmpty()) {
                out.add(e.getKey() + ": inode " + e.getValue() + " expected, is " + other);
            }
        }
        return out.size() <= max ? out : out.subList(0, max);
    }

    public long files() {
        return entries.values().stream().filter(e -> e.type == 'f').count();
    }

    public long directories() {
        return entries.values().stream().filter(e -> e.type == 'd').count();
    }

    public long symlinks() {
        return entries.values().stream().filter(e -> e.type == 'l').count();
    }
}
