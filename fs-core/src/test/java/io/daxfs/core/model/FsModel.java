package io.daxfs.core.model;

import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A plain in-memory POSIX namespace and file store: the reference that fs-core is compared with.
 * Inodes are keyed by the inode numbers fs-core gave them. Every operation is planned first: the
 * plan either names the errno the operation must fail with, or carries the expected result and
 * the change to apply once fs-core has done the operation too. A plan that is not applied leaves
 * the model as it was (what an ENOSPC from fs-core must also do).
 */
final class FsModel {
    static final long MAX_FILE_SIZE = 1L << 44;
    static final int MAX_NAME = 255;
    static final int MAX_XATTR_NAME = 255;
    static final int XATTR_CREATE = 1;
    static final int XATTR_REPLACE = 2;
    static final int RENAME_NOREPLACE = 1;
    static final int RENAME_EXCHANGE = 2;
    static final int KEEP_SIZE = 0x01;
    static final int PUNCH_HOLE = 0x02;
    static final int ZERO_RANGE = 0x10;

    static final class Node {
        final long ino;
        final FileKind kind;
        int perm;
        int links; // non-directories
        final TreeMap<String, Node> children; // directories
        Node parent; // directories
        final SparseContent data; // regular files
        String target; // symlinks
        final TreeMap<String, byte[]> xattrs = new TreeMap<>();
        int openCount;
        boolean linkable; // an O_TMPFILE file that has never had a name

        Node(long ino, FileKind kind, int perm) {
            this.ino = ino;
            this.kind = kind;
            this.perm = perm;
            this.links = 1;
            this.children = kind == FileKind.DIRECTORY ? new TreeMap<>() : null;
            this.data = kind == FileKind.REGULAR ? new SparseContent() : null;
        }

        boolean isDir() {
            return kind == FileKind.DIRECTORY;
        }

        int nlink() {
            if (!isDir()) {
                return links;
            }
            int n = 2;
            for (Node c : children.values()) {
                if (c.isDir()) {
                    n++;
                }
            }
            return n;
        }

        long size() {
            return switch (kind) {
                case REGULAR -> data.size();
                case SYMLINK -> target.getBytes(StandardCharsets.UTF_8).length;
                default -> 0;
            };
        }
    }

    /** The outcome the model predicts: an errno, or a value and the change that goes with it. */
    static final class Plan<T> {
        final Errno errno;
        final T value;
        private final Change change;

        private Plan(Errno errno, T value, Change change) {
            this.errno = errno;
            this.value = value;
            this.change = change;
        }

        boolean ok() {
            return errno == null;
        }

        /** Applies the change; {@code fsResult} is the inode number fs-core gave a new inode. */
        void apply(long fsResult) {
            if (change != null) {
                change.apply(fsResult);
            }
        }

        @Override
        public String toString() {
            return errno != null ? errno.toString() : "ok(" + value + ")";
        }
    }

    @FunctionalInterface
    interface Change {
        void apply(long fsResult);
    }

    private static <T> Plan<T> fail(Errno e) {
        return new Plan<>(e, null, null);
    }

    private static <T> Plan<T> ok(T value, Change change) {
        return new Plan<>(null, value, change);
    }

    private static final class Fail extends RuntimeException {
        final Errno errno;

        Fail(Errno errno) {
            super(errno.toString(), null, false, false);
            this.errno = errno;
        }
    }

    private interface Planner<T> {
        Plan<T> plan();
    }

    private static <T> Plan<T> plan(Planner<T> p) {
        try {
            return p.plan();
        } catch (Fail f) {
            return fail(f.errno);
        }
    }

    final Node root;
    /** Every live inode: reachable by name, or unlinked but open. */
    final Map<Long, Node> live = new HashMap<>();

    FsModel(long rootIno) {
        root = new Node(rootIno, FileKind.DIRECTORY, 0755);
        root.parent = root;
        live.put(rootIno, root);
    }

    // ---- helpers ----

    private Node get(long ino) {
        Node n = live.get(ino);
        if (n == null) {
            throw new Fail(Errno.ENOENT);
        }
        return n;
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.equals(".") || name.equals("..")
                || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new Fail(Errno.EINVAL);
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME) {
            throw new Fail(Errno.ENAMETOOLONG);
        }
    }

    private static void requireDir(Node n) {
        if (!n.isDir()) {
            throw new Fail(Errno.ENOTDIR);
        }
    }

    private static void requireRegular(Node n) {
        if (n.isDir()) {
            throw new Fail(Errno.EISDIR);
        }
        if (n.kind != FileKind.REGULAR) {
            throw new Fail(Errno.EINVAL);
        }
    }

    private static void checkCreatable(Node dir, String name) {
        checkName(name);
        requireDir(dir);
        if (dir.children.containsKey(name)) {
            throw new Fail(Errno.EEXIST);
        }
    }

    private static Node existing(Node dir, String name) {
        requireDir(dir);
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME) {
            throw new Fail(Errno.ENAMETOOLONG);
        }
        Node n = dir.children.get(name);
        if (n == null) {
            throw new Fail(Errno.ENOENT);
        }
        return n;
    }

    private static void checkRange(long offset, long length) {
        if (offset < 0) {
            throw new Fail(Errno.EINVAL);
        }
        if (offset + length > MAX_FILE_SIZE || offset + length < 0) {
            throw new Fail(Errno.EFBIG);
        }
    }

    /** One name of {@code victim} is gone: it is deleted, or kept as an open orphan. */
    private void dropLink(Node victim) {
        if (victim.isDir()) {
            live.remove(victim.ino);
            return;
        }
        victim.links--;
        if (victim.links == 0 && victim.openCount == 0) {
            live.remove(victim.ino);
        }
    }

    private static void checkNotAncestor(Node dir, Node target) {
        for (Node n = target; ; n = n.parent) {
            if (n == dir) {
                throw new Fail(Errno.EINVAL);
            }
            if (n.parent == n) {
                return;
            }
        }
    }

    // ---- namespace ----

    Plan<Void> create(long dirIno, String name, int mode) {
        return plan(() -> {
            FileKind kind = kindOf(mode);
            if (kind == FileKind.DIRECTORY || kind == FileKind.SYMLINK) {
                throw new Fail(Errno.EINVAL);
            }
            Node dir = get(dirIno);
            checkCreatable(dir, name);
            return ok(null, ino -> addNew(dir, name, new Node(ino, kind, mode & 07777)));
        });
    }

    Plan<Void> mkdir(long dirIno, String name, int mode) {
        return plan(() -> {
            Node dir = get(dirIno);
            checkCreatable(dir, name);
            return ok(null, ino -> {
                Node d = new Node(ino, FileKind.DIRECTORY, mode & 07777);
                d.parent = dir;
                addNew(dir, name, d);
            });
        });
    }

    Plan<Void> symlink(long dirIno, String name, String target) {
        return plan(() -> {
            Node dir = get(dirIno);
            checkCreatable(dir, name);
            int length = target.getBytes(StandardCharsets.UTF_8).length;
            if (length == 0) {
                throw new Fail(Errno.ENOENT);
            }
            if (length >= 4096) {
                throw new Fail(Errno.ENAMETOOLONG);
            }
            return ok(null, ino -> {
                Node s = new Node(ino, FileKind.SYMLINK, 0777);
                s.target = target;
                addNew(dir, name, s);
            });
        });
    }

    private void addNew(Node dir, String name, Node node) {
        if (live.containsKey(node.ino)) {
            throw new AssertionError("fs-core reused inode " + node.ino + ", which is still live");
        }
        dir.children.put(name, node);
        live.put(node.ino, node);
    }

    Plan<Integer> link(long ino, long dirIno, String name) {
        return plan(() -> {
            Node node = get(ino);
            Node dir = get(dirIno);
            checkCreatable(dir, name);
            if (node.isDir()) {
                throw new Fail(Errno.EPERM);
            }
            if (node.links == 0 && !node.linkable) {
                throw new Fail(Errno.ENOENT);
            }
            return ok(node.links + 1, r -> {
                node.links++;
                node.linkable = false;
                dir.children.put(name, node);
            });
        });
    }

    Plan<Void> unlink(long dirIno, String name) {
        return plan(() -> {
            checkName(name);
            Node dir = get(dirIno);
            Node victim = existing(dir, name);
            if (victim.isDir()) {
                throw new Fail(Errno.EISDIR);
            }
            return ok(null, r -> {
                dir.children.remove(name);
                dropLink(victim);
            });
        });
    }

    Plan<Void> rmdir(long dirIno, String name) {
        return plan(() -> {
            checkName(name);
            Node dir = get(dirIno);
            Node victim = existing(dir, name);
            if (!victim.isDir()) {
                throw new Fail(Errno.ENOTDIR);
            }
            if (!victim.children.isEmpty()) {
                throw new Fail(Errno.ENOTEMPTY);
            }
            return ok(null, r -> {
                dir.children.remove(name);
                dropLink(victim);
            });
        });
    }

    Plan<Void> rename(long srcDirIno, String srcName, long dstDirIno, String dstName, int flags) {
        return plan(() -> {
            checkName(srcName);
            checkName(dstName);
            Node srcDir = get(srcDirIno);
            Node dstDir = get(dstDirIno);
            Node moved = existing(srcDir, srcName);
            requireDir(dstDir);
            Node replaced = dstDir.children.get(dstName);
            if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0 || flags == (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
                throw new Fail(Errno.EINVAL);
            }
            if ((flags & RENAME_EXCHANGE) != 0) {
                if (replaced == null) {
                    throw new Fail(Errno.ENOENT);
                }
                if (replaced == moved) {
                    return ok(null, null);
                }
                if (srcDir != dstDir) {
                    if (moved.isDir()) {
                        checkNotAncestor(moved, dstDir);
                    }
                    if (replaced.isDir()) {
                        checkNotAncestor(replaced, srcDir);
                    }
                }
                return ok(null, r -> {
                    srcDir.children.put(srcName, replaced);
                    dstDir.children.put(dstName, moved);
                    if (moved.isDir()) {
                        moved.parent = dstDir;
                    }
                    if (replaced.isDir()) {
                        replaced.parent = srcDir;
                    }
                });
            }
            if (replaced != null && (flags & RENAME_NOREPLACE) != 0) {
                throw new Fail(Errno.EEXIST);
            }
            if (replaced == moved) {
                return ok(null, null);
            }
            if (moved.isDir()) {
                checkNotAncestor(moved, dstDir);
            }
            if (replaced != null) {
                if (moved.isDir() && !replaced.isDir()) {
                    throw new Fail(Errno.ENOTDIR);
                }
                if (!moved.isDir() && replaced.isDir()) {
                    throw new Fail(Errno.EISDIR);
                }
                if (replaced.isDir() && !replaced.children.isEmpty()) {
                    throw new Fail(Errno.ENOTEMPTY);
                }
            }
            return ok(null, r -> {
                srcDir.children.remove(srcName);
                dstDir.children.put(dstName, moved);
                if (moved.isDir()) {
                    moved.parent = dstDir;
                }
                if (replaced != null) {
                    dropLink(replaced);
                }
            });
        });
    }

    Plan<Long> lookup(long dirIno, String name) {
        return plan(() -> {
            Node dir = get(dirIno);
            requireDir(dir);
            if (name.equals(".")) {
                return ok(dir.ino, null);
            }
            if (name.equals("..")) {
                return ok(dir.parent.ino, null);
            }
            return ok(existing(dir, name).ino, null);
        });
    }

    Plan<Node> getattr(long ino) {
        return plan(() -> ok(get(ino), null));
    }

    Plan<String> readlink(long ino) {
        return plan(() -> {
            Node n = get(ino);
            if (n.kind != FileKind.SYMLINK) {
                throw new Fail(Errno.EINVAL);
            }
            return ok(n.target, null);
        });
    }

    // ---- open files ----

    /** O_TMPFILE: an unnamed regular file, open once, that {@link #link} may name. */
    Plan<Void> tmpfile(long dirIno, int perm) {
        return plan(() -> {
            Node dir = get(dirIno);
            if (!dir.isDir()) {
                throw new Fail(Errno.ENOTDIR);
            }
            return ok(null, ino -> {
                Node n = new Node(ino, FileKind.REGULAR, perm & 07777);
                n.links = 0;
                n.openCount = 1;
                n.linkable = true;
                live.put(ino, n);
            });
        });
    }

    Plan<Void> open(long ino) {
        return plan(() -> {
            Node n = get(ino);
            return ok(null, r -> n.openCount++);
        });
    }

    Plan<Void> release(long ino) {
        return plan(() -> {
            Node n = get(ino);
            return ok(null, r -> {
                n.openCount--;
                if (n.openCount == 0 && !n.isDir() && n.links == 0) {
                    live.remove(n.ino);
                }
            });
        });
    }

    /** Unmount or crash: every handle is gone, and with them the open orphans. */
    void dropAllHandles() {
        for (Node n : new ArrayList<>(live.values())) {
            n.openCount = 0;
            if (!n.isDir() && n.links == 0) {
                live.remove(n.ino);
            }
        }
    }

    // ---- data ----

    Plan<byte[]> read(long ino, long offset, int length) {
        return plan(() -> {
            Node n = get(ino);
            requireRegular(n);
            if (offset < 0) {
                throw new Fail(Errno.EINVAL);
            }
            return ok(n.data.read(offset, length), null);
        });
    }

    Plan<Long> write(long ino, long offset, byte[] bytes) {
        return plan(() -> {
            Node n = get(ino);
            requireRegular(n);
            if (bytes.length == 0) {
                return ok(0L, null);
            }
            checkRange(offset, bytes.length);
            byte[] copy = bytes.clone();
            return ok((long) bytes.length, r -> n.data.write(offset, copy));
        });
    }

    /**
     * copy_file_range by an unprivileged caller: the bytes copied (0 at the source's EOF); the
     * destination loses set-id bits as a write by such a caller does.
     */
    Plan<Long> copyFileRange(long srcIno, long srcOffset, long dstIno, long dstOffset, long length) {
        return plan(() -> {
            if (srcOffset < 0 || dstOffset < 0 || length < 0) {
                throw new Fail(Errno.EINVAL);
            }
            Node src = get(srcIno);
            Node dst = get(dstIno);
            requireRegular(src);
            long available = Math.max(0, Math.min(length, src.data.size() - srcOffset));
            requireRegular(dst);
            if (src == dst && srcOffset < dstOffset + available && dstOffset < srcOffset + available) {
                throw new Fail(Errno.EINVAL);
            }
            if (available == 0) {
                return ok(0L, null);
            }
            checkRange(dstOffset, available);
            byte[] bytes = src.data.read(srcOffset, (int) available);
            return ok(available, r -> {
                dst.data.write(dstOffset, bytes);
                dst.perm &= ~(04000 | ((dst.perm & 010) != 0 ? 02000 : 0));
            });
        });
    }

    Plan<Void> truncate(long ino, long size) {
        return plan(() -> {
            Node n = get(ino);
            requireRegular(n);
            if (size < 0) {
                throw new Fail(Errno.EINVAL);
            }
            if (size > MAX_FILE_SIZE) {
                throw new Fail(Errno.EFBIG);
            }
            return ok(null, r -> n.data.setSize(size));
        });
    }

    Plan<Void> fallocate(long ino, int mode, long offset, long length) {
        return plan(() -> {
            Node n = get(ino);
            requireRegular(n);
            if (offset < 0 || length <= 0) {
                throw new Fail(Errno.EINVAL);
            }
            if ((mode & ~(KEEP_SIZE | PUNCH_HOLE | ZERO_RANGE)) != 0) {
                throw new Fail(Errno.EOPNOTSUPP);
            }
            checkRange(offset, length);
            boolean keep = (mode & KEEP_SIZE) != 0;
            long end = offset + length;
            if ((mode & PUNCH_HOLE) != 0) {
                if (!keep || (mode & ZERO_RANGE) != 0) {
                    throw new Fail(Errno.EOPNOTSUPP);
                }
                return ok(null, r -> n.data.zero(offset, end));
            }
            if ((mode & ZERO_RANGE) != 0) {
                return ok(null, r -> {
                    n.data.zero(offset, end);
                    if (!keep) {
                        n.data.extendTo(end);
                    }
                });
            }
            return ok(null, r -> {
                if (!keep) {
                    n.data.extendTo(end);
                }
            });
        });
    }

    // ---- attributes and xattrs ----

    Plan<Void> chmod(long ino, int mode) {
        return plan(() -> {
            Node n = get(ino);
            return ok(null, r -> n.perm = mode & 07777);
        });
    }

    private static void checkXattrName(String name) {
        int length = name.getBytes(StandardCharsets.UTF_8).length;
        if (length == 0 || length > MAX_XATTR_NAME) {
            throw new Fail(Errno.ERANGE);
        }
    }

    Plan<Void> setxattr(long ino, String name, byte[] value, int flags) {
        return plan(() -> {
            checkXattrName(name);
            if (value.length > 65536) {
                throw new Fail(Errno.E2BIG);
            }
            Node n = get(ino);
            boolean exists = n.xattrs.containsKey(name);
            if ((flags & XATTR_CREATE) != 0 && exists) {
                throw new Fail(Errno.EEXIST);
            }
            if ((flags & XATTR_REPLACE) != 0 && !exists) {
                throw new Fail(Errno.ENODATA);
            }
            byte[] copy = value.clone();
            return ok(null, r -> n.xattrs.put(name, copy));
        });
    }

    Plan<byte[]> getxattr(long ino, String name) {
        return plan(() -> {
            checkXattrName(name);
            Node n = get(ino);
            byte[] v = n.xattrs.get(name);
            if (v == null) {
                throw new Fail(Errno.ENODATA);
            }
            return ok(v, null);
        });
    }

    Plan<List<String>> listxattr(long ino) {
        return plan(() -> ok(new ArrayList<>(get(ino).xattrs.keySet()), null));
    }

    Plan<Void> removexattr(long ino, String name) {
        return plan(() -> {
            checkXattrName(name);
            Node n = get(ino);
            if (!n.xattrs.containsKey(name)) {
                throw new Fail(Errno.ENODATA);
            }
            return ok(null, r -> n.xattrs.remove(name));
        });
    }

    // ---- views for the generator and the comparison ----

    /** Every directory reachable from the root, root first. */
    List<Node> directories() {
        List<Node> out = new ArrayList<>();
        Deque<Node> todo = new ArrayDeque<>(List.of(root));
        while (!todo.isEmpty()) {
            Node d = todo.removeFirst();
            out.add(d);
            for (Node c : d.children.values()) {
                if (c.isDir()) {
                    todo.addLast(c);
                }
            }
        }
        return out;
    }

    /** Live inodes of one kind (reachable or open orphans), in inode order. */
    List<Node> ofKind(FileKind kind) {
        List<Node> out = new ArrayList<>();
        for (Node n : live.values()) {
            if (n.kind == kind) {
                out.add(n);
            }
        }
        out.sort((a, b) -> Long.compare(a.ino, b.ino));
        return out;
    }

    List<Node> allSorted() {
        List<Node> out = new ArrayList<>(live.values());
        out.sort((a, b) -> Long.compare(a.ino, b.ino));
        return out;
    }

    /** Checks the model's own invariants (reachability matches the live set and link counts). */
    void selfCheck() {
        Map<Node, Integer> names = new IdentityHashMap<>();
        for (Node d : directories()) {
            for (Node c : d.children.values()) {
                names.merge(c, 1, Integer::sum);
                if (c.isDir() && c.parent != d) {
                    throw new AssertionError("model: parent of " + c.ino + " is wrong");
                }
            }
        }
        Set<Node> reached = names.keySet();
        for (Node n : live.values()) {
            if (n == root) {
                continue;
            }
            int count = names.getOrDefault(n, 0);
            if (n.isDir() ? count != 1 : count != n.links) {
                throw new AssertionError("model: inode " + n.ino + " has " + count + " names, links " + n.links);
            }
            if (count == 0 && n.openCount == 0) {
                throw new AssertionError("model: inode " + n.ino + " is neither named nor open");
            }
        }
        for (Node n : reached) {
            if (live.get(n.ino) != n) {
                throw new AssertionError("model: named inode " + n.ino + " is not live");
            }
        }
    }

    static FileKind kindOf(int mode) {
        int bits = mode & FileKind.S_IFMT;
        for (FileKind k : FileKind.values()) {
            if (k.typeBits() == bits) {
                return k;
            }
        }
        throw new Fail(Errno.EINVAL);
    }
}
