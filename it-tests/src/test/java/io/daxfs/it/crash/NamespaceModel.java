package io.daxfs.it.crash;

import io.daxfs.it.support.TreeSnapshot;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a directory must hold after the operations crashload logged (it-tests/src/test/c/crashload.c):
 * relative names mapped to nodes; hard links share a node. {@link #apply} performs one
 * logged operation with POSIX semantics, or throws {@link Invalid} if the operation must fail.
 */
final class NamespaceModel {
    /** The operation cannot succeed from this state. */
    static final class Invalid extends Exception {
        Invalid(String why) {
            super(why, null, false, false);
        }
    }

    static final class Node {
        final char type;
        int mode;
        byte[] data = new byte[0];
        String target;
        TreeMap<String, String> xattrs = new TreeMap<>();
        /** Written since the last completed fsync (writeback=fsync: content not guaranteed). */
        boolean unsynced;

        Node(char type, int mode) {
            this.type = type;
            this.mode = mode;
        }

        Node copy() {
            Node n = new Node(type, mode);
            n.data = data.clone();
            n.target = target;
            n.xattrs = new TreeMap<>(xattrs);
            n.unsynced = unsynced;
            return n;
        }
    }

    private final TreeMap<String, Node> names = new TreeMap<>();
    /** writeback=fsync: writes become durable only at fsync. */
    private final boolean fsyncMode;

    NamespaceModel(boolean fsyncMode) {
        this.fsyncMode = fsyncMode;
    }

    NamespaceModel copy() {
        NamespaceModel m = new NamespaceModel(fsyncMode);
        Map<Node, Node> copies = new IdentityHashMap<>();
        names.forEach((k, v) -> m.names.put(k, copies.computeIfAbsent(v, Node::copy)));
        return m;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Byte i of crashload's data for seed s (pattern_byte in crashload.c). */
    static byte patternByte(long s, long i) {
        return (byte) (mix(s + (i >>> 3) * 0x9e3779b97f4a7c15L) >>> (8 * (i & 7)));
    }

    /** Character i of crashload's xattr value for seed s (xattr_char in crashload.c). */
    static char xattrChar(long s, long i) {
        return (char) ('a' + Long.remainderUnsigned(mix(s ^ (i * 0x632be59bd9b4e019L)), 26));
    }

    private static String parent(String p) {
        int slash = p.lastIndexOf('/');
        return slash < 0 ? "" : p.substring(0, slash);
    }

    private void requireParentDir(String p) throws Invalid {
        String parent = parent(p);
        if (!parent.isEmpty()) {
            Node n = names.get(parent);
            if (n == null || n.type != 'd') {
                throw new Invalid("parent of " + p + " is not a directory");
            }
        }
    }

    private Node existing(String p) throws Invalid {
        requireParentDir(p);
        Node n = names.get(p);
        if (n == null) {
            throw new Invalid(p + " does not exist");
        }
        return n;
    }

    /** The node at p, following nothing: a symlink here is dangling, so operations that follow it fail. */
    private Node followed(String p) throws Invalid {
        Node n = existing(p);
        if (n.type == 'l') {
            throw new Invalid(p + " is a dangling symlink");
        }
        return n;
    }

    private void requireAbsent(String p) throws Invalid {
        requireParentDir(p);
        if (names.containsKey(p)) {
            throw new Invalid(p + " exists");
        }
    }

    private List<String> children(String dir) {
        return new ArrayList<>(names.subMap(dir + "/", dir + "/\uffff").keySet());
    }

    /**
     * Applies one logged operation ({@code op} and its arguments as crashload wrote them). Every check
     * comes before the first change, so an operation that throws {@link Invalid} leaves the model as
     * it was: the replay of a log applies thousands of operations to one model without copying it.
     */
    void apply(String[] a) throws Invalid {
        String op = a[0];
        switch (op) {
            case "mkdir" -> {
                requireAbsent(a[1]);
                names.put(a[1], new Node('d', Integer.parseInt(a[2], 8)));
            }
            case "rmdir" -> {
                Node n = existing(a[1]);
                if (n.type != 'd' || !children(a[1]).isEmpty()) {
                    throw new Invalid(a[1] + " is not an empty directory");
                }
                names.remove(a[1]);
            }
            case "creat" -> {
                requireAbsent(a[1]);
                names.put(a[1], new Node('f', Integer.parseInt(a[2], 8)));
            }
            case "write" -> {
                Node n = followed(a[1]);
                if (n.type != 'f') {
                    throw new Invalid(a[1] + " is a directory");
                }
                int off = Integer.parseInt(a[2]);
                int len = Integer.parseInt(a[3]);
                long seed = Long.parseLong(a[4]);
                if (n.data.length < off + len) {
                    n.data = java.util.Arrays.copyOf(n.data, off + len);
                }
                for (int i = 0; i < len; i++) {
                    n.data[off + i] = patternByte(seed, i);
                }
                n.unsynced = fsyncMode;
            }
            case "trunc" -> {
                Node n = followed(a[1]);
                if (n.type != 'f') {
                    throw new Invalid(a[1] + " is a directory");
                }
                n.data = java.util.Arrays.copyOf(n.data, Integer.parseInt(a[2]));
            }
            case "fsync" -> {
                Node n = followed(a[1]);
                n.unsynced = false;
            }
            case "rename" -> rename(a[1], a[2]);
            case "link" -> {
                Node n = existing(a[1]);
                if (n.type == 'd') {
                    throw new Invalid("link to directory " + a[1]);
                }
                requireAbsent(a[2]);
                names.put(a[2], n);
            }
            case "unlink" -> {
                Node n = existing(a[1]);
                if (n.type == 'd') {
                    throw new Invalid("unlink of directory " + a[1]);
                }
                names.remove(a[1]);
            }
            case "symlink" -> {
                requireAbsent(a[2]);
                Node n = new Node('l', 0777);
                n.target = a[1];
                names.put(a[2], n);
            }
            case "setxattr" -> {
                Node n = followed(a[1]);
                long seed = Long.parseLong(a[3]);
                int len = Integer.parseInt(a[4]);
                byte[] v = new byte[len];
                for (int i = 0; i < len; i++) {
                    v[i] = (byte) xattrChar(seed, i);
                }
                n.xattrs.put(a[2].substring("user.".length()), HexFormat.of().formatHex(v));
            }
            case "rmxattr" -> {
                Node n = followed(a[1]);
                if (n.xattrs.remove(a[2].substring("user.".length())) == null) {
                    throw new Invalid("no xattr " + a[2] + " on " + a[1]);
                }
            }
            case "chmod" -> followed(a[1]).mode = Integer.parseInt(a[2], 8);
            default -> throw new IllegalArgumentException("unknown operation " + op);
        }
    }

    private void rename(String from, String to) throws Invalid {
        Node src = existing(from);
        requireParentDir(to);
        Node dst = names.get(to);
        if (from.equals(to) || dst == src) {
            return; // the same name, or two links of one inode: rename does nothing
        }
        if (src.type == 'd') {
            if (to.startsWith(from + "/")) {
                throw new Invalid("rename of " + from + " into itself");
            }
            if (dst != null && (dst.type != 'd' || !children(to).isEmpty())) {
                throw new Invalid("rename of directory " + from + " over " + to);
            }
        } else if (dst != null && dst.type == 'd') {
            throw new Invalid("rename of " + from + " over directory " + to);
        }
        if (from.startsWith(to + "/")) {
            throw new Invalid("rename of " + from + " over its own ancestor");
        }
        names.remove(to);
        List<String> moved = src.type == 'd' ? children(from) : List.of();
        names.remove(from);
        names.put(to, src);
        for (String child : moved) {
            names.put(to + child.substring(from.length()), names.remove(child));
        }
    }

    /** What the mount must show; files written since their last fsync (writeback=fsync) match any content. */
    TreeSnapshot snapshot() {
        TreeMap<String, TreeSnapshot.Entry> entries = new TreeMap<>();
        Map<Node, List<String>> groups = new IdentityHashMap<>();
        names.forEach((k, v) -> groups.computeIfAbsent(v, x -> new ArrayList<>()).add(k));
        names.forEach((name, n) -> {
            int nlink = n.type == 'd'
                    ? 2 + (int) children(name).stream().filter(c -> c.indexOf('/', name.length() + 1) < 0
                            && names.get(c).type == 'd').count()
                    : groups.get(n).size();
            boolean any = n.type == 'f' && n.unsynced;
            entries.put(name, new TreeSnapshot.Entry(n.type, n.type == 'l' ? 0777 : n.mode, nlink,
                    n.type == 'f' ? (any ? -1 : n.data.length) : 0,
                    n.type == 'f' && !any ? TreeSnapshot.sha256(n.data) : null, n.target,
                    n.type == 'l' ? Map.of() : new TreeMap<>(n.xattrs),
                    TreeSnapshot.otherNames(groups.get(n), name)));
        });
        return new TreeSnapshot(entries, Map.of());
    }
}
