package io.daxfs.core.concurrency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Attributes;
import io.daxfs.core.DirEntry;
import io.daxfs.core.FileKind;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * A full consistency walk of a quiescent filesystem: every listed name resolves to the listed
 * inode and kind, '..' points at the parent, a directory's nlink is 2 + its subdirectories, a
 * file's nlink is the number of names it has, no directory is reachable twice, and statfs counts
 * exactly the inodes reachable. Returns a summary (path to kind, size, nlink, content CRC) so
 * that two mounts of the same state can be compared.
 */
final class TreeCheck {
    private TreeCheck() {}

    static Map<String, String> verify(DaxFileSystem fs) {
        Map<String, String> summary = new TreeMap<>();
        Map<Long, Integer> names = new HashMap<>();
        Map<Long, Attributes> attrs = new HashMap<>();
        Set<Long> dirsSeen = new HashSet<>();
        Deque<Object[]> todo = new ArrayDeque<>();
        long root = fs.rootIno();
        todo.add(new Object[] {root, "", root});
        dirsSeen.add(root);
        attrs.put(root, fs.getattr(root));
        while (!todo.isEmpty()) {
            Object[] item = todo.removeFirst();
            long dir = (Long) item[0];
            String path = (String) item[1];
            long parent = (Long) item[2];
            assertEquals(parent, fs.lookup(dir, ".."), "'..' of " + path + "/");
            assertEquals(dir, fs.lookup(dir, "."), "'.' of " + path + "/");
            int subdirs = 0;
            long cookie = 0;
            Set<io.daxfs.core.Name> listed = new HashSet<>();
            while (true) {
                List<DirEntry> page = fs.readdir(dir, cookie, 7);
                for (DirEntry e : page) {
                    assertTrue(e.cookie() > cookie, "readdir cookies grow in " + path);
                    cookie = e.cookie();
                    assertTrue(listed.add(e.name()), "'" + e.name() + "' listed twice in " + path);
                    String child = path + "/" + e.name();
                    assertEquals(e.ino(), fs.lookup(dir, e.name()), "lookup of listed name " + child);
                    Attributes a = fs.getattr(e.ino());
                    assertEquals(e.kind(), a.kind(), "kind of " + child);
                    names.merge(e.ino(), 1, Integer::sum);
                    attrs.put(e.ino(), a);
                    if (a.isDirectory()) {
                        subdirs++;
                        assertTrue(dirsSeen.add(e.ino()), "directory " + child + " is reachable twice");
                        todo.addLast(new Object[] {e.ino(), child, dir});
                        summary.put(child, "dir");
                    } else {
                        summary.put(child, describe(fs, a));
                    }
                }
                if (page.size() < 7) {
                    break;
                }
            }
            assertEquals(2 + subdirs, fs.getattr(dir).nlink(), "nlink of directory " + path + "/");
        }
        for (Map.Entry<Long, Integer> e : names.entrySet()) {
            Attributes a = attrs.get(e.getKey());
            if (!a.isDirectory()) {
                assertEquals((int) e.getValue(), a.nlink(), "nlink of inode " + e.getKey() + " vs its names");
            }
        }
        long used = fs.statfs().totalInodes() - fs.statfs().freeInodes();
        assertEquals(attrs.size(), used, "inodes in use (statfs) vs inodes reachable from the root");
        return summary;
    }

    private static String describe(DaxFileSystem fs, Attributes a) {
        String s = a.kind() + " ino=" + a.ino() + " size=" + a.size() + " nlink=" + a.nlink() + " mode="
                + Integer.toOctalString(a.mode());
        if (a.kind() == FileKind.REGULAR) {
            byte[] buf = new byte[(int) Math.min(a.size(), 64L << 20)];
            long n = fs.read(a.ino(), 0, MemorySegment.ofArray(buf));
            assertEquals(buf.length, n, "read of whole inode " + a.ino());
            CRC32C crc = new CRC32C();
            crc.update(buf);
            s += " crc=" + Long.toHexString(crc.getValue());
        } else if (a.kind() == FileKind.SYMLINK) {
            s += " -> " + new String(fs.readlink(a.ino()), java.nio.charset.StandardCharsets.UTF_8);
        }
        return s;
    }
}
