package io.daxfs.core.crash;

import io.daxfs.core.Attributes;
import io.daxfs.core.DirEntry;
import io.daxfs.core.FileKind;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The user-visible state of a whole filesystem, as a map from path to a description of what is
 * there (kind, mode, size, content digest, link count, xattrs, symlink target). Times and inode
 * numbers are left out. Two states are equal exactly when a user could not tell them apart.
 * Walking also checks that directory link counts match their subdirectories and that hard link
 * counts match the names found.
 */
record TreeState(TreeMap<String, String> paths) {

    static TreeState capture(DaxFileSystem fs) {
        TreeMap<String, String> out = new TreeMap<>();
        Map<Long, Integer> namesSeen = new HashMap<>();
        Map<Long, Integer> nlinks = new HashMap<>();
        walk(fs, fs.rootIno(), "", out, namesSeen, nlinks);
        for (Map.Entry<Long, Integer> e : namesSeen.entrySet()) {
            int nlink = nlinks.get(e.getKey());
            if (nlink != e.getValue()) {
                throw new AssertionError("inode " + e.getKey() + " has nlink " + nlink + " but " + e.getValue()
                        + " names");
            }
        }
        return new TreeState(out);
    }

    private static void walk(DaxFileSystem fs, long dir, String path, TreeMap<String, String> out,
            Map<Long, Integer> namesSeen, Map<Long, Integer> nlinks) {
        Attributes dirAttrs = fs.getattr(dir);
        List<DirEntry> entries = fs.readdir(dir, 0, Integer.MAX_VALUE);
        int subdirs = 0;
        out.put(path + "/", "dir " + Integer.toOctalString(dirAttrs.mode()) + " flags=" + dirAttrs.flags() + " "
                + xattrs(fs, dir));
        for (DirEntry e : entries) {
            String child = path + "/" + escaped(e.name().toByteArray());
            if (fs.lookup(dir, e.name()) != e.ino()) {
                throw new AssertionError("lookup of " + child + " disagrees with readdir");
            }
            Attributes a = fs.getattr(e.ino());
            if (a.kind() != e.kind()) {
                throw new AssertionError(child + ": entry kind " + e.kind() + " but inode kind " + a.kind());
            }
            if (e.kind() == FileKind.DIRECTORY) {
                subdirs++;
                if (fs.lookup(e.ino(), "..") != dir) {
                    throw new AssertionError(child + ": '..' is not its parent");
                }
                walk(fs, e.ino(), child, out, namesSeen, nlinks);
                continue;
            }
            namesSeen.merge(e.ino(), 1, Integer::sum);
            nlinks.put(e.ino(), a.nlink());
            String what = switch (e.kind()) {
                case REGULAR -> "file size=" + a.size() + " data=" + digest(fs, e.ino(), a.size());
                case SYMLINK -> "symlink " + escaped(fs.readlink(e.ino()));
                default -> e.kind() + " rdev=" + a.rdev();
            };
            out.put(child, what + " mode=" + Integer.toOctalString(a.mode()) + " nlink=" + a.nlink() + " owner="
                    + a.uid() + ":" + a.gid() + " times=" + mtimeIfSet(a) + " "
                    + xattrs(fs, e.ino()));
        }
        if (dirAttrs.nlink() != 2 + subdirs) {
            throw new AssertionError(path + "/: nlink " + dirAttrs.nlink() + " with " + subdirs + " subdirectories");
        }
    }

    /** Times that a test set explicitly (before 1971 or after 2200) are part of the state; clock times are not. */
    private static String mtimeIfSet(Attributes a) {
        long seconds = a.mtime().seconds();
        return seconds < 365L * 86_400 || seconds > 7_258_118_400L ? a.atime() + "/" + a.mtime() : "now";
    }

    private static String digest(DaxFileSystem fs, long ino, long size) {
        byte[] data = new byte[(int) size];
        fs.read(ino, 0, MemorySegment.ofArray(data));
        return Integer.toHexString(Arrays.hashCode(data));
    }

    /** Names and targets are bytes: printable ASCII as it is, anything else as \\xNN. */
    private static String escaped(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            if (b >= 0x21 && b < 0x7f && b != '\\') {
                sb.append((char) b);
            } else {
                sb.append(String.format("\\x%02x", b & 0xff));
            }
        }
        return sb.toString();
    }

    private static String xattrs(DaxFileSystem fs, long ino) {
        TreeMap<String, String> x = new TreeMap<>();
        for (io.daxfs.core.Name name : fs.listxattr(ino)) {
            x.put(escaped(name.toByteArray()), new String(fs.getxattr(ino, name)));
        }
        return x.toString();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        paths.forEach((k, v) -> sb.append("  ").append(k).append(" -> ").append(v).append('\n'));
        return sb.toString();
    }
}
