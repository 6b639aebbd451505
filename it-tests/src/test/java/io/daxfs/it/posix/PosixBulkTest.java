package io.daxfs.it.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.Py;
import io.daxfs.it.support.Shell;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * xfstests-style cases 151–159 that write a lot, on one 2 GiB mount, in order: a big directory, a
 * deep tree, concurrent writers, and cp -a / tar / rsync -a round trips of a real tree (/usr/include
 * plus every kind of entry), which the last case checks again after unmount, {@code fsck.daxfs -f -n}
 * (must exit 0) and remount.
 *
 * <p>System property {@code daxfs.it.files} (default 100000) sets the size of case 151's directory;
 * {@code -Ddaxfs.it.files=1000000} is the long variant (about 10 minutes here).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PosixBulkTest {
    static final int FILES = Integer.getInteger("daxfs.it.files", 100_000);

    DaxfsMount fs;
    Path work;
    Path manifest;
    String sourceManifest;

    @BeforeAll
    void mount() throws Exception {
        long inodes = Math.max(262_144, FILES + 131_072);
        fs = new DaxfsMount(FILES > 200_000 ? "4G" : "2G", "-N", Long.toString(inodes));
        fs.mount();
        work = Path.of("/dev/shm/" + fs.image.getFileName().toString().replace(".img", "-work"));
        Files.createDirectories(work);
        manifest = work.resolve("manifest.py");
        try (InputStream in = PosixBulkTest.class.getResourceAsStream("/posix/manifest.py")) {
            Files.copy(in, manifest);
        }
    }

    @AfterAll
    void cleanUp() throws Exception {
        try {
            fs.close();
        } finally {
            Shell.run(List.of("rm", "-rf", work.toString()), Map.of(), 120);
        }
    }

    String manifestOf(String dir) {
        return Shell.run(List.of("/usr/bin/python3", manifest.toString(), dir), Map.of(), 600).ok().stdout();
    }

    @Test
    @Order(1)
    @DisplayName("151: 100k files in one directory: create, ls | wc -l, stat some, readdir sees each once, delete all, rmdir")
    void bigDirectory() {
        long t0 = System.nanoTime();
        Py.run(fs.dir, """
                os.mkdir('big'); os.chdir('big')
                for i in range(COUNT):
                    os.close(os.open('file-%07d' % i, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644))
                """.replace("COUNT", Integer.toString(FILES))).ok();
        assertEquals(FILES + "\n", fs.sh("ls big | wc -l").ok().stdout().strip() + "\n");
        Py.run(fs.dir, """
                os.chdir('big'); import random
                r = random.Random(151)
                N = COUNT
                for i in r.sample(range(N), 200):
                    s = os.stat('file-%07d' % i); assert stat.S_ISREG(s.st_mode) and s.st_size == 0, i
                eq(err(lambda: os.stat('file-%07d' % N)), 'ENOENT')
                eq(err(lambda: os.open('file-0000000', os.O_CREAT | os.O_EXCL)), 'EEXIST')
                names = os.listdir('.'); eq(len(set(names)), N); eq(len(names), N)
                for n in names:
                    os.unlink(n)
                eq(os.listdir('.'), []); os.chdir('..'); os.rmdir('big')
                """.replace("COUNT", Integer.toString(FILES))).ok();
        System.out.printf("151: %d files created, listed, deleted in %.1f s%n", FILES, (System.nanoTime() - t0) / 1e9);
    }

    @Test
    @Order(2)
    @DisplayName("152: a tree 200 directories deep (paths over PATH_MAX): create, write at the bottom, find, rm -rf; a full path over 4095 bytes fails with ENAMETOOLONG")
    void deepTree() {
        Py.run(fs.dir, """
                os.mkdir('deep'); os.chdir('deep'); name = 'level-' + 'd' * 24
                for i in range(200):
                    os.mkdir(name); os.chdir(name)
                put('bottom', b'at depth 200')
                path = os.getcwd(); assert len(path) > 6000, len(path)
                eq(err(lambda: os.stat(path + '/bottom')), 'ENAMETOOLONG')
                eq(get('bottom'), b'at depth 200')
                eq(os.stat('../' * 200 + '../deep').st_ino, os.stat(path.split('/deep/')[0] + '/deep').st_ino)
                """).ok();
        assertEquals("202\n1\n", fs.sh("find deep | wc -l; find deep -name bottom | wc -l").ok().stdout());
        fs.sh("rm -rf deep && test ! -e deep").ok();
    }

    @Test
    @Order(3)
    @DisplayName("153: concurrent writers to one file: 4 processes write disjoint interleaved stripes, 2 processes append records; nothing is lost or torn")
    void concurrentOneFile() {
        Py.run(fs.dir, """
                os.mkdir('c153'); os.chdir('c153')
                P, STRIPE, ROUNDS = 4, 65536 + 512, 64
                fd = os.open('shared', os.O_RDWR | os.O_CREAT, 0o644); os.close(fd)
                pids = []
                for p in range(P):
                    pid = os.fork()
                    if pid == 0:
                        fd = os.open('shared', os.O_WRONLY)
                        for r in range(ROUNDS):
                            off = (r * P + p) * STRIPE
                            os.pwrite(fd, bytes([p + 1]) * 100 + hashlib.sha256(b'%d' % off).digest() * ((STRIPE - 100) // 32) + bytes([p + 1]) * ((STRIPE - 100) % 32), off)
                        os.close(fd); os._exit(0)
                    pids.append(pid)
                for p in range(2):
                    pid = os.fork()
                    if pid == 0:
                        fd = os.open('log', os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                        for i in range(2000):
                            os.write(fd, (b'writer %d record %06d ' % (p, i)).ljust(99, b'.') + b'\\n')
                        os.close(fd); os._exit(0)
                    pids.append(pid)
                for pid in pids:
                    eq(os.waitpid(pid, 0)[1], 0, 'child exit')
                data = get('shared'); eq(len(data), P * ROUNDS * STRIPE)
                for r in range(ROUNDS):
                    for p in range(P):
                        off = (r * P + p) * STRIPE
                        want = bytes([p + 1]) * 100 + hashlib.sha256(b'%d' % off).digest() * ((STRIPE - 100) // 32) + bytes([p + 1]) * ((STRIPE - 100) % 32)
                        assert data[off:off + STRIPE] == want, ('stripe', r, p)
                recs = get('log').split(b'\\n')[:-1]; eq(len(recs), 4000)
                for p in range(2):
                    mine = [x for x in recs if x.startswith(b'writer %d ' % p)]
                    eq(mine, [(b'writer %d record %06d ' % (p, i)).ljust(99, b'.') for i in range(2000)], 'records of writer %d' % p)
                """).ok();
    }

    @Test
    @Order(4)
    @DisplayName("154: concurrent writers to many files: 4 processes each write 200 files of 1–200 KiB; every file has exactly its content")
    void concurrentManyFiles() {
        Py.run(fs.dir, """
                os.mkdir('c154'); os.chdir('c154')
                def content(p, i):
                    n = 1024 * (1 + (p * 200 + i) * 7919 % 200)
                    seed = hashlib.sha256(b'%d-%d' % (p, i)).digest()
                    return (seed * (n // 32 + 1))[:n]
                pids = []
                for p in range(4):
                    pid = os.fork()
                    if pid == 0:
                        os.mkdir('p%d' % p)
                        for i in range(200):
                            put('p%d/f%03d' % (p, i), content(p, i))
                            if i % 50 == 0:
                                put('shared-dir-%d-%d' % (p, i), b'x')
                        os._exit(0)
                    pids.append(pid)
                for pid in pids:
                    eq(os.waitpid(pid, 0)[1], 0, 'child exit')
                for p in range(4):
                    for i in range(200):
                        assert get('p%d/f%03d' % (p, i)) == content(p, i), (p, i)
                eq(len(os.listdir('.')), 4 + 16)
                """).ok();
    }

    @Test
    @Order(5)
    @DisplayName("155: cp -a of a real tree (/usr/include plus every kind of entry) into daxfs and back out is identical: diff -r, modes, owners, ns mtimes, links, xattrs")
    void cpRoundTrip() {
        Path src = work.resolve("src");
        Shell.sh(work, """
                cp -a /usr/include src
                cd src && mkdir extra && cd extra
                echo data > plain && : > empty && mkdir emptydir
                printf 'x' > 'name with spaces' && printf y > "$(printf 'new\\nline')"
                touch "$(printf 'n%.0s' $(seq 255))"
                echo hl > hard1 && ln hard1 hard2 && ln hard1 emptydir/hard3
                ln -s plain rel-link && ln -s /usr/include/stdio.h abs-link && ln -s nowhere dangling
                mkdir owned && echo o > owned/f && chown -R 1234:5678 owned && chmod 0600 owned/f
                echo s > setuid && chmod 4755 setuid && mkdir sticky && chmod 1777 sticky && : > nomode && chmod 0 nomode
                setfattr -n user.color -v blue plain && setfattr -n user.bin -v 0x0001ff owned && setfattr -n user.empty emptydir
                truncate -s 64M sparse && printf end >> sparse && dd if=/dev/urandom of=sparse bs=4k count=3 seek=100 conv=notrunc status=none
                dd if=/dev/urandom of=random bs=1M count=20 status=none
                mkdir special && mkfifo special/fifo && mknod special/null c 1 3
                TZ=UTC touch -h -d '2001-02-03 04:05:06.123456789' plain rel-link && TZ=UTC touch -d '1970-01-02 00:00:00.000000001' emptydir
                """).ok();
        sourceManifest = manifestOf(src.toString());
        assertTrue(sourceManifest.lines().count() > 5000, "source tree is too small");
        fs.sh("cp -a " + src + " cp").ok();
        fs.sh("diff -r --no-dereference -x special " + src + " cp").ok();
        assertManifest(sourceManifest, "cp");
        Shell.sh(work, "cp -a " + fs.dir.resolve("cp") + " back-cp").ok();
        assertEquals(sourceManifest, manifestOf(work.resolve("back-cp").toString()), "cp -a back out of daxfs");
    }

    @Test
    @Order(6)
    @DisplayName("156: tar (posix format, xattrs) of the tree into daxfs and back out is identical")
    void tarRoundTrip() {
        String tar = "tar --format=posix --xattrs --xattrs-include='user.*' ";
        fs.sh("mkdir tar && " + tar + "-C " + work.resolve("src") + " -cf - . | " + tar + "-C tar -xpf -").ok();
        fs.sh("diff -r --no-dereference -x special " + work.resolve("src") + " tar").ok();
        assertManifest(sourceManifest, "tar");
        Shell.sh(work, "mkdir back-tar && " + tar + "-C " + fs.dir.resolve("tar") + " -cf - . | " + tar + "-C back-tar -xpf -").ok();
        assertEquals(sourceManifest, manifestOf(work.resolve("back-tar").toString()), "tar back out of daxfs");
    }

    @Test
    @Order(7)
    @DisplayName("157: rsync -aHX of the tree into daxfs and back out is identical; a second rsync finds nothing to transfer")
    void rsyncRoundTrip() {
        fs.sh("rsync -aHX " + work.resolve("src") + "/ rsync/").ok();
        fs.sh("diff -r --no-dereference -x special " + work.resolve("src") + " rsync").ok();
        assertManifest(sourceManifest, "rsync");
        String again = fs.sh("rsync -aHX --itemize-changes " + work.resolve("src") + "/ rsync/").ok().stdout();
        assertEquals("", again, "a second rsync -a found differences");
        Shell.sh(work, "rsync -aHX " + fs.dir.resolve("rsync") + "/ back-rsync/").ok();
        assertEquals(sourceManifest, manifestOf(work.resolve("back-rsync").toString()), "rsync back out of daxfs");
    }

    @Test
    @Order(9)
    @DisplayName("159: after the bulk cases: unmount, fsck.daxfs -f -n exits 0, remount, and the cp/tar/rsync trees and case 153/154 files are unchanged")
    void remountAndCheck() {
        String before = fs.sh("cd c153 && sha256sum shared log && cd ../c154 && find . -type f | sort | xargs sha256sum").ok().stdout();
        fs.unmount();
        fs.fsck("-f", "-n").ok();
        fs.mount();
        assertEquals(before, fs.sh("cd c153 && sha256sum shared log && cd ../c154 && find . -type f | sort | xargs sha256sum").ok().stdout());
        for (String tree : List.of("cp", "tar", "rsync")) {
            assertManifest(sourceManifest, tree);
        }
        fs.unmount();
        fs.fsck("-f", "-n").ok();
    }

    void assertManifest(String expected, String tree) {
        assertTrue(expected != null, "the source manifest was not made (case 155 failed)");
        String actual = manifestOf(fs.dir.resolve(tree).toString());
        if (!expected.equals(actual)) {
            List<String> e = expected.lines().toList();
            List<String> a = actual.lines().toList();
            StringBuilder diff = new StringBuilder();
            e.stream().filter(l -> !a.contains(l)).limit(10).forEach(l -> diff.append("- ").append(l).append('\n'));
            a.stream().filter(l -> !e.contains(l)).limit(10).forEach(l -> diff.append("+ ").append(l).append('\n'));
            throw new AssertionError(tree + " differs from the source tree:\n" + diff);
        }
    }
}
