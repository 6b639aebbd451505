package io.daxfs.it.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.Py;
import io.daxfs.it.support.Shell;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * xfstests-style cases 101–149: POSIX semantics of each operation on one mount (default options),
 * each case in its own directory, with exact errno checks (python's {@code err(...)}, see {@link Py}).
 * Expected results are what Linux gives on a local filesystem, except where a libfuse2 filesystem
 * cannot do better (docs/OPERATIONS.md, "What does not work"): those cases say so. After all cases
 * the mount is unmounted and {@code fsck.daxfs -f -n} must exit 0.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PosixOpsTest {
    /** 2001-09-09T01:46:40Z in ns: an "old" timestamp the time cases start from. */
    static final String OLD = "OLD = 1_000_000_000 * 10**9\n";

    /** Mounted on daxfs's own transport (-Ddaxfs.it.transport=kernel): no libfuse2 limits to allow for. */
    static final boolean KERNEL = DaxfsMount.TRANSPORT.equals("kernel");

    DaxfsMount fs;

    @BeforeAll
    void mount() throws Exception {
        fs = new DaxfsMount("1G");
        fs.mount();
    }

    @AfterAll
    void unmountAndCheck() throws Exception {
        try {
            fs.unmount();
            fs.fsck("-f", "-n").ok();
        } finally {
            fs.close();
        }
    }

    /** Runs {@code code} (python, with {@link Py}'s prelude) in a fresh directory {@code name}. */
    String py(String name, String code) {
        return Py.run(fs.dir, "os.mkdir('" + name + "'); os.chdir('" + name + "')\n" + code).ok().stdout();
    }

    /** Runs a bash script in a fresh directory {@code name}. */
    Shell.Result sh(String name, String script) {
        return fs.sh("mkdir " + name + " && cd " + name + " && " + script);
    }

    @Test
    @DisplayName("101: O_CREAT|O_EXCL creates a new file with the given mode, and fails with EEXIST on any existing name (also a dangling symlink)")
    void createExcl() {
        py("c101", """
                eq(err(lambda: os.close(os.open('f', os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640))), 'OK')
                eq(stat.S_IMODE(st('f').st_mode), 0o640); assert stat.S_ISREG(st('f').st_mode)
                eq(st('f').st_size, 0); eq(st('f').st_nlink, 1)
                eq(err(lambda: os.open('f', os.O_CREAT | os.O_EXCL | os.O_WRONLY)), 'EEXIST')
                os.mkdir('d')
                eq(err(lambda: os.open('d', os.O_CREAT | os.O_EXCL | os.O_WRONLY)), 'EEXIST')
                os.symlink('nowhere', 'dangling')
                eq(err(lambda: os.open('dangling', os.O_CREAT | os.O_EXCL | os.O_WRONLY)), 'EEXIST')
                assert not os.path.lexists('nowhere')
                # O_CREAT without O_EXCL through a dangling symlink creates the target
                os.close(os.open('dangling', os.O_CREAT | os.O_WRONLY, 0o600)); assert os.path.isfile('nowhere')
                eq(err(lambda: os.open('missing', os.O_RDONLY)), 'ENOENT')
                eq(err(lambda: os.open('f/x', os.O_CREAT | os.O_WRONLY)), 'ENOTDIR')
                eq(err(lambda: os.open('nodir/x', os.O_CREAT | os.O_WRONLY)), 'ENOENT')
                eq(err(lambda: os.open('d', os.O_WRONLY)), 'EISDIR')
                eq(err(lambda: os.open('f', os.O_RDONLY | os.O_DIRECTORY)), 'ENOTDIR')
                """);
    }

    @Test
    @DisplayName("102: O_TRUNC empties an existing file; an open without it overwrites in place")
    void openTrunc() {
        py("c102", """
                put('f', b'x' * 10000)
                fd = os.open('f', os.O_WRONLY | os.O_TRUNC); eq(os.fstat(fd).st_size, 0); os.close(fd)
                eq(st('f').st_size, 0); eq(get('f'), b'')
                put('g', b'y' * 5000); put('g', b'short', os.O_WRONLY)
                eq(get('g'), b'short' + b'y' * 4995)
                put('g', b'z', os.O_WRONLY | os.O_TRUNC); eq(get('g'), b'z')
                """);
    }

    @Test
    @DisplayName("103: O_APPEND writes go to the end of file whatever the offset (two descriptors, lseek, pwrite)")
    void openAppend() {
        py("c103", """
                put('f', b'start')
                a = os.open('f', os.O_WRONLY | os.O_APPEND); b = os.open('f', os.O_WRONLY | os.O_APPEND)
                os.write(a, b'-a1'); os.write(b, b'-b1'); os.write(a, b'-a2')
                os.lseek(a, 0, os.SEEK_SET); os.write(a, b'-a3')
                os.pwrite(b, b'-p', 0)   # Linux: pwrite on O_APPEND appends
                os.close(a); os.close(b)
                eq(get('f'), b'start-a1-b1-a2-a3-p')
                eq(st('f').st_size, 19)
                """);
    }

    @Test
    @DisplayName("104: read/write/pread/pwrite: offsets, unaligned spans, EOF, zero-filled gaps, large writes, EBADF")
    void readWrite() {
        py("c104", """
                fd = os.open('f', os.O_RDWR | os.O_CREAT, 0o644)
                os.pwrite(fd, b'world', 6); os.pwrite(fd, b'hello', 0)
                eq(os.pread(fd, 11, 0), b'hello' + bytes(1) + b'world')
                eq(os.pread(fd, 100, 11), b''); eq(os.pread(fd, 100, 1 << 30), b'')
                eq(os.lseek(fd, 0, os.SEEK_CUR), 0)
                os.write(fd, b'HE'); eq(os.lseek(fd, 0, os.SEEK_CUR), 2); eq(os.read(fd, 3), b'llo')
                data = os.urandom(3 * 4096 + 123)
                os.pwrite(fd, data, 4096 - 7); eq(os.pread(fd, len(data), 4096 - 7), data)
                end = 4096 - 7 + len(data); eq(os.fstat(fd).st_size, end)
                os.pwrite(fd, b'Z', 100000)
                buf = os.pread(fd, 200000, 0); eq(len(buf), 100001)
                eq(buf[end:100000], bytes(100000 - end)); eq(buf[100000:], b'Z')
                os.close(fd)
                fd = os.open('f', os.O_WRONLY); eq(err(lambda: os.read(fd, 1)), 'EBADF'); os.close(fd)
                fd = os.open('f', os.O_RDONLY); eq(err(lambda: os.write(fd, b'x')), 'EBADF'); os.close(fd)
                big = os.urandom(5 << 20); put('big', big); eq(get('big') == big, True, 'big file content')
                # overwrite inside the big file, across FUSE request boundaries
                fd = os.open('big', os.O_RDWR); patch = os.urandom(300000); os.pwrite(fd, patch, 131072 - 1000); os.close(fd)
                want = big[:131072 - 1000] + patch + big[131072 - 1000 + len(patch):]
                eq(get('big') == want, True, 'patched big file content')
                """);
    }

    @Test
    @DisplayName("105: mkdir/rmdir: EEXIST, ENOTDIR, ENOENT, ENOTEMPTY, EINVAL for '.', directory link counts")
    void mkdirRmdir() {
        py("c105", """
                os.mkdir('d', 0o750); eq(stat.S_IMODE(st('d').st_mode), 0o750); assert stat.S_ISDIR(st('d').st_mode)
                eq(err(lambda: os.mkdir('d')), 'EEXIST')
                put('f', b'x'); eq(err(lambda: os.mkdir('f')), 'EEXIST')
                eq(err(lambda: os.mkdir('f/sub')), 'ENOTDIR')
                eq(err(lambda: os.mkdir('missing/sub')), 'ENOENT')
                put('d/x', b'1'); eq(err(lambda: os.rmdir('d')), 'ENOTEMPTY')
                eq(err(lambda: os.rmdir('f')), 'ENOTDIR')
                eq(err(lambda: os.rmdir('missing')), 'ENOENT')
                eq(err(lambda: os.rmdir('d/.')), 'EINVAL')
                eq(err(lambda: os.rmdir('d/..')), 'ENOTEMPTY')
                os.unlink('d/x'); eq(err(lambda: os.rmdir('d')), 'OK'); assert not os.path.lexists('d')
                os.mkdir('p'); eq(st('p').st_nlink, 2)
                os.mkdir('p/a'); os.mkdir('p/b'); put('p/file', b''); eq(st('p').st_nlink, 4)
                os.rmdir('p/a'); eq(st('p').st_nlink, 3)
                eq(sorted(os.listdir('p')), ['b', 'file'])
                """);
    }

    @Test
    @DisplayName("106: unlink removes the name (ENOENT after, EISDIR on a directory); an open descriptor keeps the data usable, no .fuse_hidden files")
    void unlink() {
        py("c106", """
                put('f', b'data'); eq(err(lambda: os.unlink('f')), 'OK')
                eq(err(lambda: os.stat('f')), 'ENOENT'); eq(err(lambda: os.unlink('f')), 'ENOENT')
                os.mkdir('d'); eq(err(lambda: os.unlink('d')), 'EISDIR')
                put('t', b'T'); os.symlink('t', 'l'); os.unlink('l'); eq(get('t'), b'T')
                put('g', b'0123456789'); fd = os.open('g', os.O_RDWR); os.unlink('g')
                eq(os.pread(fd, 10, 0), b'0123456789')
                os.pwrite(fd, b'AB', 10); eq(os.pread(fd, 100, 0), b'0123456789AB')
                os.ftruncate(fd, 5); eq(os.pread(fd, 100, 0), b'01234')
                os.posix_fallocate(fd, 0, 8192); os.fsync(fd); os.close(fd)
                eq(sorted(os.listdir('.')), ['d', 't'])
                """);
    }

    @Test
    @DisplayName("107: rename over an existing file replaces it: the new name has the source inode and data, an open descriptor of the old file still reads it")
    void renameFileOverFile() {
        py("c107", """
                put('a', b'new'); put('b', b'old'); ia = st('a').st_ino
                fd = os.open('b', os.O_RDONLY)
                os.rename('a', 'b'); eq(get('b'), b'new'); eq(st('b').st_ino, ia); eq(err(lambda: st('a')), 'ENOENT')
                eq(os.pread(fd, 10, 0), b'old'); os.close(fd)
                eq(sorted(os.listdir('.')), ['b'])
                """);
    }

    @Test
    @DisplayName("135: rename over an existing file: a reader looping on the name while it is replaced 300 times reads only whole"
            + " versions; an open racing the rename may fail with ENOENT (libfuse2 high-level limit, documented; fusexmp_fh does the same)")
    void renameOverIsAtomic() {
        py("c135", """
                put('b', b'new')
                pid = os.fork()
                if pid == 0:
                    for i in range(300):
                        put('tmp', b'v%d' % i); os.rename('tmp', 'b')
                    os._exit(0)
                missing = 0; reads = 0
                while True:
                    done = os.waitpid(pid, os.WNOHANG)[0] == pid
                    try:
                        d = get('b'); reads += 1
                        assert d == b'new' or d.startswith(b'v'), d
                    except FileNotFoundError:
                        missing += 1
                    if done:
                        break
                assert reads > 0, 'no open of b succeeded'
                print('c135: %d of %d opens raced a rename and failed with ENOENT' % (missing, reads + missing))
                eq(get('b'), b'v299')
                """);
    }

    @Test
    @DisplayName("108: rename of directories: over an empty directory, over a non-empty one (ENOTEMPTY), file over dir (EISDIR), dir over file (ENOTDIR), ENOENT")
    void renameDirs() {
        py("c108", """
                os.makedirs('src/sub'); put('src/f', b'1'); os.mkdir('empty'); ie = st('src').st_ino
                eq(err(lambda: os.rename('src', 'empty')), 'OK')
                assert not os.path.lexists('src'); eq(get('empty/f'), b'1'); assert os.path.isdir('empty/sub')
                eq(st('empty').st_ino, ie)
                os.makedirs('full/x'); eq(err(lambda: os.rename('empty', 'full')), 'ENOTEMPTY')
                put('file', b'f'); eq(err(lambda: os.rename('file', 'full')), 'EISDIR')
                eq(err(lambda: os.rename('full', 'file')), 'ENOTDIR')
                eq(err(lambda: os.rename('missing', 'x')), 'ENOENT')
                eq(err(lambda: os.rename('file', 'missing/x')), 'ENOENT')
                eq(err(lambda: os.rename('file', 'file/x')), 'ENOTDIR')
                eq(sorted(os.listdir('.')), ['empty', 'file', 'full']); eq(get('file'), b'f')
                eq(st('.').st_nlink, 4)
                """);
    }

    @Test
    @DisplayName("109: rename across directories moves files and directories; parents' link counts and the moved directory's '..' follow")
    void renameAcrossDirs() {
        py("c109", """
                os.mkdir('a'); os.mkdir('b'); os.mkdir('a/d'); put('a/d/inner', b'i'); put('a/f', b'x')
                eq(st('a').st_nlink, 3); eq(st('b').st_nlink, 2)
                os.rename('a/d', 'b/d'); os.rename('a/f', 'b/g')
                eq(st('a').st_nlink, 2); eq(st('b').st_nlink, 3)
                eq(sorted(os.listdir('a')), []); eq(sorted(os.listdir('b')), ['d', 'g'])
                eq(get('b/d/inner'), b'i'); eq(get('b/g'), b'x')
                eq(os.stat('b/d/..').st_ino, st('b').st_ino)
                os.rmdir('a')   # a is empty again: nothing of d remains in it
                """);
        // '..' as stored by daxfs (the kernel answers it from its dcache): checked by fsck after the class.
        assertEquals("i\n", fs.sh("cd c109/b/d && cat inner && echo").ok().stdout());
    }

    @Test
    @DisplayName("110: rename of a directory into its own subtree fails with EINVAL; onto its ancestor with ENOTEMPTY")
    void renameIntoSubtree() {
        py("c110", """
                os.makedirs('a/b/c')
                eq(err(lambda: os.rename('a', 'a/b/c/a')), 'EINVAL')
                eq(err(lambda: os.rename('a/b', 'a/b/c/x')), 'EINVAL')
                eq(err(lambda: os.rename('a/b/c', 'a')), 'ENOTEMPTY')
                assert os.path.isdir('a/b/c')
                """);
    }

    @Test
    @DisplayName("111: rename to the same name, or between two hard links of one inode, succeeds and changes nothing")
    void renameSameName() {
        py("c111", """
                put('f', b'x'); ino = st('f').st_ino
                eq(err(lambda: os.rename('f', 'f')), 'OK'); eq(get('f'), b'x'); eq(st('f').st_ino, ino)
                os.link('f', 'g'); eq(err(lambda: os.rename('f', 'g')), 'OK')
                eq(sorted(os.listdir('.')), ['f', 'g']); eq(st('g').st_nlink, 2)
                os.mkdir('d'); eq(err(lambda: os.rename('d', 'd')), 'OK'); assert os.path.isdir('d')
                """);
    }

    @Test
    @DisplayName("112: renameat2 RENAME_NOREPLACE/RENAME_EXCHANGE fail with EINVAL (libfuse2: no RENAME2, documented) and change nothing; flags 0 renames;"
            + " on the kernel transport NOREPLACE gives EEXIST and EXCHANGE swaps")
    void renameat2Flags() {
        if (KERNEL) {
            py("c112", """
                    libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                    put('a', b'a'); put('b', b'b')
                    eq(cerr(libc.renameat2(AT_FDCWD, b'a', AT_FDCWD, b'b', 1)), 'EEXIST'); eq(get('b'), b'b')
                    eq(cerr(libc.renameat2(AT_FDCWD, b'a', AT_FDCWD, b'b', 2)), 'OK'); eq(get('a'), b'b'); eq(get('b'), b'a')
                    eq(cerr(libc.renameat2(AT_FDCWD, b'a', AT_FDCWD, b'c', 1)), 'OK'); eq(get('c'), b'b')
                    eq(cerr(libc.renameat2(AT_FDCWD, b'c', AT_FDCWD, b'd', 4)), 'EINVAL')
                    """);
            return;
        }
        py("c112", """
                libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                put('a', b'a'); put('b', b'b')
                eq(cerr(libc.renameat2(AT_FDCWD, b'a', AT_FDCWD, b'c', 1)), 'EINVAL')
                eq(cerr(libc.renameat2(AT_FDCWD, b'a', AT_FDCWD, b'b', 2)), 'EINVAL')
                eq(get('a'), b'a'); eq(get('b'), b'b'); assert not os.path.lexists('c')
                eq(cerr(libc.renameat2(AT_FDCWD, b'a', AT_FDCWD, b'c', 0)), 'OK'); eq(get('c'), b'a')
                """);
    }

    @Test
    @DisplayName("113: hard links share the inode and count links; EEXIST, ENOENT, EPERM for a directory; data survives unlinking the first name (another name's cached size and link count refresh after attr_timeout: libfuse2 gives each name its own kernel inode)")
    void hardLinks() {
        py("c113", """
                put('f', b'x'); eq(st('f').st_nlink, 1)
                os.link('f', 'g'); eq(st('g').st_nlink, 2); eq(st('g').st_ino, st('f').st_ino)
                os.mkdir('d'); os.link('f', 'd/h'); eq(st('d/h').st_nlink, 3)
                eq(err(lambda: os.link('f', 'g')), 'EEXIST')
                eq(err(lambda: os.link('d', 'dl')), 'EPERM')
                eq(err(lambda: os.link('missing', 'm')), 'ENOENT')
                put('g', b'through g', os.O_WRONLY | os.O_TRUNC); time.sleep(1.2); eq(get('d/h'), b'through g')
                os.unlink('f'); time.sleep(1.2)   # the kernel caches the link count for attr_timeout (documented)
                eq(st('g').st_nlink, 2); eq(get('d/h'), b'through g')
                os.unlink('g'); time.sleep(1.2); eq(st('d/h').st_nlink, 1)
                """);
    }

    @Test
    @DisplayName("114: symlink/readlink: relative and 4095-byte targets, lstat size, following, dangling (ENOENT), loops (ELOOP), 4096 bytes ENAMETOOLONG")
    void symlinks() {
        py("c114", """
                os.symlink('target/path', 'l'); eq(os.readlink('l'), 'target/path')
                assert stat.S_ISLNK(st('l').st_mode); eq(st('l').st_size, 11)
                put('t', b'T'); os.symlink('t', 'lt'); eq(get('lt'), b'T'); eq(os.stat('lt').st_ino, st('t').st_ino)
                long = 'x/' * 2047 + 'y'; eq(len(long), 4095)
                os.symlink(long, 'long'); eq(os.readlink('long'), long); eq(st('long').st_size, 4095)
                eq(err(lambda: os.symlink('z' * 4096, 'toolong')), 'ENAMETOOLONG')
                os.symlink('loop2', 'loop1'); os.symlink('loop1', 'loop2'); eq(err(lambda: get('loop1')), 'ELOOP')
                os.symlink('nowhere', 'dangling'); eq(err(lambda: os.stat('dangling')), 'ENOENT')
                eq(err(lambda: os.symlink('t', 't')), 'EEXIST')
                eq(err(lambda: os.readlink('t')), 'EINVAL')
                os.mkdir('d'); os.symlink('../t', 'd/up'); eq(get('d/up'), b'T')
                os.symlink('d', 'ld'); eq(sorted(os.listdir('ld')), ['up'])
                """);
    }

    @Test
    @DisplayName("115: mknod makes fifos, sockets (also by bind), char and block devices (as root) with their rdev; the fifo and socket work")
    void mknod() {
        String mounts = Shell.run(java.util.List.of("cat", "/proc/mounts"), java.util.Map.of(), 10).ok().stdout();
        boolean nodev = mounts.lines().filter(l -> l.contains(" " + fs.dir + " ")).findFirst().orElseThrow().contains("nodev");
        py("c115", """
                os.mkfifo('fifo', 0o640); assert stat.S_ISFIFO(st('fifo').st_mode); eq(stat.S_IMODE(st('fifo').st_mode), 0o640)
                os.mknod('sock', 0o600 | stat.S_IFSOCK); assert stat.S_ISSOCK(st('sock').st_mode)
                os.mknod('chr', 0o600 | stat.S_IFCHR, os.makedev(1, 3))
                assert stat.S_ISCHR(st('chr').st_mode); eq((os.major(st('chr').st_rdev), os.minor(st('chr').st_rdev)), (1, 3))
                os.mknod('blk', 0o600 | stat.S_IFBLK, os.makedev(259, 70000))
                assert stat.S_ISBLK(st('blk').st_mode); eq((os.major(st('blk').st_rdev), os.minor(st('blk').st_rdev)), (259, 70000))
                os.mknod('reg', 0o644 | stat.S_IFREG); assert stat.S_ISREG(st('reg').st_mode); eq(st('reg').st_size, 0)
                eq(err(lambda: os.mknod('fifo', 0o600 | stat.S_IFIFO)), 'EEXIST')
                fd = os.open('fifo', os.O_RDWR | os.O_NONBLOCK); os.write(fd, b'hi'); eq(os.read(fd, 2), b'hi'); os.close(fd)
                srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind('bound'); srv.listen(1)
                assert stat.S_ISSOCK(st('bound').st_mode)
                cli = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); cli.connect('bound')
                conn, _ = srv.accept(); cli.sendall(b'ping'); eq(conn.recv(4), b'ping')
                # a char device node works unless the mount is nodev (then EACCES)
                r = err(lambda: os.close(os.open('chr', os.O_RDWR)))
                eq(r, 'EACCES' if NODEV else 'OK')
                """.replace("NODEV", nodev ? "True" : "False"));
    }

    @Test
    @DisplayName("116: chmod/chown/lchown set mode bits (setuid, setgid, sticky) and owners; chown clears setuid; setgid directories pass their group on")
    void chmodChown() {
        py("c116", """
                put('f', b'x'); os.chmod('f', 0o4755); eq(stat.S_IMODE(st('f').st_mode), 0o4755)
                os.chmod('f', 0o1644); eq(stat.S_IMODE(st('f').st_mode), 0o1644)
                os.chmod('f', 0); eq(stat.S_IMODE(st('f').st_mode), 0); eq(get('f'), b'x')   # root reads anyway
                os.chown('f', 1234, 5678); eq((st('f').st_uid, st('f').st_gid), (1234, 5678))
                os.chown('f', -1, 42); eq((st('f').st_uid, st('f').st_gid), (1234, 42))
                os.symlink('f', 'l'); os.lchown('l', 77, 88)
                eq((st('l').st_uid, st('l').st_gid), (77, 88)); eq(st('f').st_uid, 1234)
                put('s', b'#!/bin/sh'); os.chmod('s', 0o6755); os.chown('s', 1000, 1000)
                eq(stat.S_IMODE(st('s').st_mode) & 0o6000, 0, 'setuid/setgid after chown of an executable')
                os.mkdir('g'); os.chown('g', 0, 4321); os.chmod('g', 0o2775)
                put('g/f', b''); eq(st('g/f').st_gid, 4321)
                os.mkdir('g/sub'); eq(st('g/sub').st_gid, 4321); assert st('g/sub').st_mode & stat.S_ISGID
                """);
    }

    @Test
    @DisplayName("117: truncate/ftruncate grow with zeros and shrink; a shrunk-then-grown tail reads zeros, not old bytes; EINVAL, EISDIR")
    void truncate() {
        py("c117", """
                put('f', b'a' * 10000)
                os.truncate('f', 20000); eq(st('f').st_size, 20000); eq(get('f'), b'a' * 10000 + bytes(10000))
                os.truncate('f', 5000); eq(get('f'), b'a' * 5000)
                os.truncate('f', 9000); eq(get('f'), b'a' * 5000 + bytes(4000))
                fd = os.open('f', os.O_RDWR); os.ftruncate(fd, 1); eq(os.fstat(fd).st_size, 1)
                os.ftruncate(fd, 3 << 20); eq(os.pread(fd, 3 << 20, 0) == b'a' + bytes((3 << 20) - 1), True, 'grown content')
                os.close(fd)
                os.truncate('f', 0); eq(get('f'), b''); eq(st('f').st_size, 0)
                eq(err(lambda: os.truncate('f', -1)), 'EINVAL')
                os.mkdir('d'); eq(err(lambda: os.truncate('d', 0)), 'EISDIR')
                put('g', b'b' * 8192); os.truncate('g', 4097); os.truncate('g', 8192); eq(get('g'), b'b' * 4097 + bytes(4095))
                put('h', os.urandom(1 << 20)); os.truncate('h', 0); os.truncate('h', 1 << 20); eq(get('h') == bytes(1 << 20), True, 'regrown file is zeros')
                """);
    }

    @Test
    @DisplayName("118: fallocate(1) default, --keep-size, --punch-hole, --zero-range: sizes, block counts, and zeros where they must be")
    void fallocate() {
        sh("c118", """
                python3 -c "import sys; sys.stdout.buffer.write(b'D' * 65536)" > f
                fallocate -l 1M a
                touch b && fallocate -n -l 1M b
                fallocate --punch-hole -o 4096 -l 8192 f
                fallocate --zero-range -o 20000 -l 10000 f
                cp f g && fallocate --zero-range -o 60000 -l 10000 g
                fallocate -o 100000 -l 4096 g
                """).ok();
        py("c118b", """
                os.chdir('../c118')
                eq(st('a').st_size, 1 << 20); assert st('a').st_blocks >= 2048, st('a').st_blocks; eq(get('a') == bytes(1 << 20), True, 'a zeros')
                eq(st('b').st_size, 0); assert st('b').st_blocks >= 2048, st('b').st_blocks; eq(get('b'), b'')
                f = get('f'); eq(len(f), 65536)
                want = bytearray(b'D' * 65536); want[4096:12288] = bytes(8192); want[20000:30000] = bytes(10000)
                eq(f == bytes(want), True, 'punched and zeroed f')
                assert st('f').st_blocks <= 128 - 16, st('f').st_blocks
                g = get('g'); eq(len(g), 104096)
                wg = bytearray(want); wg[60000:] = bytes(65536 - 60000); wg += bytes(104096 - 65536)
                eq(g == bytes(wg), True, 'zero-range past EOF and fallocate past EOF in g')
                """);
    }

    @Test
    @DisplayName("119: utimensat keeps nanoseconds (touch -d, stat -c %y), UTIME_OMIT, times before 1970 and after 2038; ctime follows")
    void utimens() {
        String out = sh("c119", """
                touch f
                TZ=UTC touch -d '2001-02-03 04:05:06.123456789' f
                TZ=UTC stat -c '%y|%x' f
                TZ=UTC touch -a -d '1999-12-31 23:59:59.000000001' f
                TZ=UTC stat -c '%y|%x' f
                TZ=UTC touch -m -d '2100-01-01 00:00:00.999999999' f
                TZ=UTC stat -c '%y|%x' f
                TZ=UTC touch -d '1960-06-15 12:00:00.5' f
                TZ=UTC stat -c '%y|%x' f
                """).ok().stdout();
        assertEquals("""
                2001-02-03 04:05:06.123456789 +0000|2001-02-03 04:05:06.123456789 +0000
                2001-02-03 04:05:06.123456789 +0000|1999-12-31 23:59:59.000000001 +0000
                2100-01-01 00:00:00.999999999 +0000|1999-12-31 23:59:59.000000001 +0000
                1960-06-15 12:00:00.500000000 +0000|1960-06-15 12:00:00.500000000 +0000
                """, out);
        py("c119b", """
                put('f', b''); c0 = ns('f')[2]; time.sleep(0.05)
                os.utime('f', ns=(1, 2)); eq(ns('f')[:2], (1, 2)); c1 = ns('f')[2]; assert c1 > c0, (c0, c1)
                now = time.time_ns(); os.utime('f'); a, m, c = ns('f')
                assert abs(a - now) < 5e9 and abs(m - now) < 5e9 and a == m, (now, a, m)
                time.sleep(1.2)   # past attr_timeout: the values now come from daxfs
                eq(ns('f')[:2], (a, m))
                """);
    }

    @Test
    @DisplayName("160: times cover ext4's range, 1901-12-13 to 2446-05-10, with nanoseconds; 1900 and 2500 clamp to the bounds as ext4 clamps")
    void timesInExt4Range() {
        String script = """
                touch f
                for t in '1900-01-01 00:00:00.25' '1901-12-13 20:45:52.5' '1901-12-13 20:45:53.000000001' \\
                         '2446-05-10 22:38:54.999999999' '2446-05-10 22:38:55.75' '2500-06-01 00:00:00.5'; do
                    TZ=UTC touch -d "$t" f && TZ=UTC stat -c '%y|%x' f
                done
                TZ=UTC touch -a -d '1901-12-14 00:00:00.123456789' f && TZ=UTC touch -m -d '2446-01-01 00:00:00.987654321' f
                sleep 1.2   # past attr_timeout: the values now come from daxfs, not the kernel's cache
                TZ=UTC stat -c '%y|%x' f
                """;
        assertEquals("""
                1901-12-13 20:45:52.000000000 +0000|1901-12-13 20:45:52.000000000 +0000
                1901-12-13 20:45:52.000000000 +0000|1901-12-13 20:45:52.000000000 +0000
                1901-12-13 20:45:53.000000001 +0000|1901-12-13 20:45:53.000000001 +0000
                2446-05-10 22:38:54.999999999 +0000|2446-05-10 22:38:54.999999999 +0000
                2446-05-10 22:38:55.000000000 +0000|2446-05-10 22:38:55.000000000 +0000
                2446-05-10 22:38:55.000000000 +0000|2446-05-10 22:38:55.000000000 +0000
                2446-01-01 00:00:00.987654321 +0000|1901-12-14 00:00:00.123456789 +0000
                """, sh("c160", script).ok().stdout());
    }

    @Test
    @DisplayName("161: xattr values up to 64 KiB (XATTR_SIZE_MAX) as XFS, 65537 bytes E2BIG, hundreds per file; size probes of getxattr and listxattr, ERANGE on a small buffer")
    void largeXattrs() {
        py("c161", """
                import ctypes
                libc = ctypes.CDLL(None, use_errno=True)
                def call(f, *args):
                    r = f(*args); return r if r >= 0 else ename(ctypes.get_errno())
                put('f', b'')
                big = os.urandom(65536); os.setxattr('f', 'user.big', big); eq(os.getxattr('f', 'user.big'), big)
                eq(err(lambda: os.setxattr('f', 'user.over', os.urandom(65537))), 'E2BIG')
                for i in range(200):
                    os.setxattr('f', 'user.m%03d' % i, bytes([i]) * (i * 300))
                for i in range(200):
                    eq(os.getxattr('f', 'user.m%03d' % i), bytes([i]) * (i * 300), 'value %d' % i)
                half = os.urandom(30000); os.setxattr('f', 'user.big', half, os.XATTR_REPLACE); eq(os.getxattr('f', 'user.big'), half)
                eq(call(libc.getxattr, b'f', b'user.big', None, 0), 30000, 'size probe')
                small = ctypes.create_string_buffer(100)
                eq(call(libc.getxattr, b'f', b'user.big', small, 100), 'ERANGE')
                names = b''.join(n.encode() + b'\\0' for n in os.listxattr('f'))
                eq(call(libc.listxattr, b'f', None, 0), len(names), 'listxattr size probe')
                eq(call(libc.listxattr, b'f', small, 5), 'ERANGE')
                os.removexattr('f', 'user.big'); eq(err(lambda: os.getxattr('f', 'user.big')), 'ENODATA')
                eq(len(os.listxattr('f')), 200)
                """);
    }

    @Test
    @DisplayName("120: write updates mtime and ctime, not atime (checked at once and after the attribute cache expired)")
    void writeTimes() {
        py("c120", OLD + """
                put('f', b'x'); os.utime('f', ns=(OLD, OLD)); c0 = ns('f')[2]; time.sleep(0.05)
                t = time.time_ns(); fd = os.open('f', os.O_WRONLY); os.pwrite(fd, b'more', 1); os.close(fd)
                for when in ('at once', 'after attr_timeout'):
                    a, m, c = ns('f')
                    eq(a, OLD, 'atime ' + when); assert m >= t - 10**7 and c >= t - 10**7 and c > c0, (when, t, m, c)
                    time.sleep(1.2)
                t = time.time_ns(); os.truncate('f', 2); a, m, c = ns('f'); assert m >= t - 10**7 and c >= t - 10**7, 'truncate'
                """);
    }

    @Test
    @DisplayName("121: chmod, chown and setxattr update ctime only (mtime and atime stay)")
    void chmodTimes() {
        py("c121", OLD + """
                put('f', b'x'); os.utime('f', ns=(OLD, OLD))
                for op in (lambda: os.chmod('f', 0o600), lambda: os.chown('f', 12, 34), lambda: os.setxattr('f', 'user.k', b'v')):
                    c0 = ns('f')[2]; time.sleep(0.05); op()
                    for when in ('at once', 'after attr_timeout'):
                        a, m, c = ns('f'); eq((a, m), (OLD, OLD), when); assert c > c0, (when, c0, c)
                        time.sleep(1.2)
                """);
    }

    @Test
    @DisplayName("122: rename updates ctime of the moved inode (not its mtime) and mtime/ctime of both directories")
    void renameTimes() {
        py("c122", OLD + """
                os.mkdir('A'); os.mkdir('B'); put('A/f', b'x')
                for p in ('A', 'B', 'A/f'):
                    os.utime(p, ns=(OLD, OLD))
                cf, cA, cB = ns('A/f')[2], ns('A')[2], ns('B')[2]; time.sleep(0.05)
                os.rename('A/f', 'B/g')
                for when in ('at once', 'after attr_timeout'):
                    a, m, c = ns('B/g'); eq((a, m), (OLD, OLD), 'moved file ' + when); assert c > cf, ('moved file ctime', when)
                    for d, c0 in (('A', cA), ('B', cB)):
                        a, m, c = ns(d); assert m > OLD and c > c0, (d, when, m, c)
                    time.sleep(1.2)
                """);
    }

    @Test
    @DisplayName("123: read updates atime under relatime when atime is not newer than mtime, and not again right after")
    void readAtime() {
        py("c123", OLD + """
                put('f', b'content'); os.utime('f', ns=(OLD, OLD + 1)); time.sleep(1.2)
                t = time.time_ns(); eq(get('f'), b'content')
                time.sleep(1.2); a1 = ns('f')[0]; assert a1 >= t - 10**7, ('atime after read', t, a1)
                eq(ns('f')[1], OLD + 1, 'mtime')
                eq(get('f'), b'content'); time.sleep(1.2); eq(ns('f')[0], a1, 'atime after a second read (relatime)')
                """);
    }

    @Test
    @DisplayName("124: create, unlink, mkdir, link and symlink update the directory's mtime/ctime; link and unlink update the file's ctime (seen through another name after attr_timeout, libfuse2)")
    void namespaceTimes() {
        py("c124", OLD + """
                os.mkdir('d'); put('f', b'x')
                def step(name, op, file=None):
                    os.utime('d', ns=(OLD, OLD)); cd = ns('d')[2]
                    cf = ns(file)[2] if file else None
                    time.sleep(0.05); op()
                    a, m, c = ns('d'); assert m > OLD and c > cd, (name, m, c)
                    if file:
                        time.sleep(1.2); assert ns(file)[2] > cf, (name, 'file ctime after attr_timeout')
                step('create', lambda: put('d/new', b''))
                step('mkdir', lambda: os.mkdir('d/sub'))
                step('symlink', lambda: os.symlink('x', 'd/sl'))
                step('link', lambda: os.link('f', 'd/hl'), 'f')
                step('unlink', lambda: os.unlink('d/hl'), 'f')
                step('rmdir', lambda: os.rmdir('d/sub'))
                """);
    }

    @Test
    @DisplayName("125: statfs/df: 4 KiB blocks, totals near the device size, free blocks and inodes drop by what is written and come back after delete")
    void statfs() {
        py("c125", """
                s = os.statvfs('.'); eq(s.f_bsize, 4096); eq(s.f_frsize, 4096); eq(s.f_namemax, 255)
                total = s.f_blocks * 4096; assert (1 << 30) * 0.8 < total <= 1 << 30, total
                assert s.f_bfree >= s.f_bavail and s.f_bfree <= s.f_blocks and s.f_ffree < s.f_files, s
                os.sync(); b0 = os.statvfs('.')
                put('big', os.urandom(32 << 20)); os.sync(); b1 = os.statvfs('.')
                used = b0.f_bfree - b1.f_bfree; assert 8192 <= used <= 8192 + 64, used
                for i in range(100):
                    put('n%d' % i, b'')
                b2 = os.statvfs('.'); eq(b1.f_ffree - b2.f_ffree, 100, 'inodes used by 100 files')
                for i in range(100):
                    os.unlink('n%d' % i)
                os.unlink('big'); os.sync(); b3 = os.statvfs('.')
                assert abs(b3.f_bfree - b0.f_bfree) <= 64, (b0.f_bfree, b3.f_bfree); eq(b3.f_ffree, b0.f_ffree)
                """);
        String df = sh("c125df", "df -B4096 --output=size,used,avail . | tail -1 && python3 -c \"import os; s=os.statvfs('.'); print(s.f_blocks, s.f_blocks - s.f_bfree, s.f_bavail)\"")
                .ok().stdout();
        String[] lines = df.strip().split("\n");
        assertEquals(lines[1].trim().replaceAll("\\s+", " "), lines[0].trim().replaceAll("\\s+", " "), "df agrees with statvfs");
    }

    @Test
    @DisplayName("126: sparse files: a write at 1 GiB leaves a hole of zeros using almost no blocks; SEEK_DATA/SEEK_HOLE give the generic answers (no FUSE lseek in libfuse2)")
    void sparse() {
        py("c126", """
                fd = os.open('s', os.O_RDWR | os.O_CREAT, 0o644); os.pwrite(fd, b'end', 1 << 30)
                eq(os.fstat(fd).st_size, (1 << 30) + 3); assert st('s').st_blocks <= 64, st('s').st_blocks
                eq(os.pread(fd, 1 << 20, 500 << 20) == bytes(1 << 20), True, 'hole reads zeros'); eq(os.pread(fd, 10, 1 << 30), b'end')
                if KERNEL:  # the kernel transport answers LSEEK from the page index
                    eq(os.lseek(fd, 4096, os.SEEK_DATA), 1 << 30); eq(os.lseek(fd, 0, os.SEEK_HOLE), 0)
                else:  # libfuse2 (FUSE 7.19) has no LSEEK: the kernel's generic answer: data at any offset, hole at EOF
                    eq(os.lseek(fd, 4096, os.SEEK_DATA), 4096); eq(os.lseek(fd, 0, os.SEEK_HOLE), (1 << 30) + 3)
                eq(err(lambda: os.lseek(fd, (1 << 30) + 3, os.SEEK_DATA)), 'ENXIO')
                os.close(fd)
                """.replace("KERNEL", KERNEL ? "True" : "False"));
        String du = sh("c126du", "du -k ../c126/s | cut -f1; du -k --apparent-size ../c126/s | cut -f1").ok().stdout();
        String[] v = du.strip().split("\n");
        assertTrue(Long.parseLong(v[0]) <= 32, "du of a 1 GiB sparse file: " + v[0]);
        assertEquals(1048577L, Long.parseLong(v[1]), "apparent size in KiB");
    }

    @Test
    @DisplayName("127: files over 4 GiB: writes at 5 GiB and across the 4 GiB boundary read back; size, holes, truncate above 4 GiB")
    void over4GiB() {
        py("c127", """
                G = 1 << 30
                fd = os.open('big', os.O_RDWR | os.O_CREAT, 0o644)
                data = os.urandom(300000); os.pwrite(fd, data, 5 * G)
                cross = os.urandom(8192); os.pwrite(fd, cross, 4 * G - 4096)
                eq(os.fstat(fd).st_size, 5 * G + 300000)
                eq(os.pread(fd, 300000, 5 * G) == data, True, 'data at 5 GiB'); eq(os.pread(fd, 8192, 4 * G - 4096), cross)
                eq(os.pread(fd, 4096, 4 * G + 4096) == bytes(4096), True, 'hole above 4 GiB')
                eq(os.pread(fd, 4096, 0) == bytes(4096), True, 'hole at 0 does not alias 4 GiB')
                os.ftruncate(fd, 4 * G + 10); eq(os.fstat(fd).st_size, 4 * G + 10); eq(os.pread(fd, 100, 4 * G), cross[4096:4106])
                os.close(fd)
                assert st('big').st_blocks <= 256, st('big').st_blocks
                """);
        String out = sh("c127dd", "dd if=/dev/urandom of=f bs=1M count=1 seek=5120 status=none && stat -c %s f && "
                + "dd if=f bs=1M skip=5120 status=none | wc -c").ok().stdout();
        assertEquals("5369757696\n1048576\n", out);
    }

    @Test
    @DisplayName("128: xattrs: set/get/list/remove, XATTR_CREATE (EEXIST) and XATTR_REPLACE (ENODATA), 3584- and 3585-byte values (in the entry and out of line), name limits, namespaces")
    void xattrs() {
        String out = sh("c128", """
                touch f
                setfattr -n user.a -v hello f
                setfattr -n user.b -v 0x00ff01 f
                setfattr -n user.empty f
                getfattr --only-values -n user.a f; echo
                getfattr -e hex -n user.b f | grep user.b
                getfattr -d -m '^user\\.' f | grep -v '^#' | grep -v '^$' | sort
                setfattr -x user.a f
                getfattr -n user.a f 2>&1 || echo "exit $?"
                """).ok().stdout();
        assertEquals("""
                hello
                user.b=0x00ff01
                user.a="hello"
                user.b=0sAP8B
                user.empty=""
                f: user.a: No such attribute
                exit 1
                """, out);
        py("c128b", """
                put('f', b'')
                os.setxattr('f', 'user.k', b'v1')
                eq(err(lambda: os.setxattr('f', 'user.k', b'v2', os.XATTR_CREATE)), 'EEXIST'); eq(os.getxattr('f', 'user.k'), b'v1')
                eq(err(lambda: os.setxattr('f', 'user.new', b'v', os.XATTR_REPLACE)), 'ENODATA')
                os.setxattr('f', 'user.k', b'v3', os.XATTR_REPLACE); eq(os.getxattr('f', 'user.k'), b'v3')
                eq(err(lambda: os.getxattr('f', 'user.none')), 'ENODATA'); eq(err(lambda: os.removexattr('f', 'user.none')), 'ENODATA')
                v = os.urandom(3584); os.setxattr('f', 'user.max', v); eq(os.getxattr('f', 'user.max'), v)
                w = os.urandom(3585); os.setxattr('f', 'user.over', w); eq(os.getxattr('f', 'user.over'), w)
                eq(err(lambda: os.setxattr('f', 'user.huge', os.urandom(70000))), 'E2BIG')
                n = 'user.' + 'n' * 250; os.setxattr('f', n, b'long name'); eq(os.getxattr('f', n), b'long name')
                eq(err(lambda: os.setxattr('f', n + 'x', b'v')), 'ERANGE')
                eq(err(lambda: os.setxattr('f', 'bogus.ns', b'v')), 'EOPNOTSUPP')
                os.setxattr('f', 'trusted.t', b'root only'); eq(os.getxattr('f', 'trusted.t'), b'root only')
                for i in range(40):
                    os.setxattr('f', 'user.many%d' % i, b'%d' % i * 20)
                names = set(os.listxattr('f'))
                assert {'user.k', 'user.max', n, 'trusted.t'} | {'user.many%d' % i for i in range(40)} <= names, names
                os.rename('f', 'g'); eq(os.getxattr('g', 'user.many39'), b'39' * 20)
                os.mkdir('d'); os.setxattr('d', 'user.dir', b'on a dir'); eq(os.getxattr('d', 'user.dir'), b'on a dir')
                os.symlink('g', 'l'); eq(err(lambda: os.setxattr('l', 'user.x', b'v', follow_symlinks=False)), 'EPERM')
                import struct   # an extended ACL (user::rw- user:1000:r-- group::r-- mask::r-- other::r--)
                acl = struct.pack('<I', 2) + b''.join(struct.pack('<HHI', t, p, i) for t, p, i in ((1, 6, 0xffffffff), (2, 4, 1000), (4, 4, 0xffffffff), (0x10, 4, 0xffffffff), (0x20, 4, 0xffffffff)))
                eq(err(lambda: os.setxattr('g', 'system.posix_acl_access', acl)), 'EOPNOTSUPP', 'POSIX ACL (documented)')
                os.removexattr('g', 'user.max'); assert 'user.max' not in os.listxattr('g')
                """);
    }

    @Test
    @DisplayName("129: names of 255 bytes (also multi-byte UTF-8 and arbitrary bytes) work; 256 bytes fail with ENAMETOOLONG for every operation")
    void longNames() {
        py("c129", """
                n255 = 'a' * 255; put(n255, b'x'); assert n255 in os.listdir('.'); eq(get(n255), b'x')
                u = 'é' * 127 + 'a'; eq(len(u.encode()), 255); os.mkdir(u); assert u in os.listdir('.')
                odd = 'new' + chr(10) + 'line ' + chr(1) + ' \\\\ * ? "'; put(odd, b'odd'); assert odd in os.listdir('.'); eq(get(odd), b'odd')
                n256 = 'b' * 256
                eq(err(lambda: put(n256, b'x')), 'ENAMETOOLONG'); eq(err(lambda: os.mkdir(n256)), 'ENAMETOOLONG')
                eq(err(lambda: os.rename(n255, n256)), 'ENAMETOOLONG'); eq(err(lambda: os.symlink('t', n256)), 'ENAMETOOLONG')
                eq(err(lambda: os.link(n255, n256)), 'ENAMETOOLONG'); eq(err(lambda: os.stat(n256)), 'ENAMETOOLONG')
                eq(err(lambda: os.mkdir(u + 'é')), 'ENAMETOOLONG')
                """);
    }

    @Test
    @DisplayName("130: readdir lists every entry once ('.' and '..' included), also while the entries are deleted during the listing")
    void readdir() {
        py("c130", """
                for i in range(3000):
                    put('file-%05d' % i, b'')
                ls = os.listdir('.'); eq(len(ls), 3000); eq(len(set(ls)), 3000)
                eq(st('.').st_nlink, 2)
                seen = []
                with os.scandir('.') as it:
                    for e in it:
                        seen.append(e.name); os.unlink(e.name)
                eq(len(seen), 3000); eq(len(set(seen)), 3000); eq(os.listdir('.'), [])
                """);
        assertEquals(".\n..\nx\n", sh("c130b", "touch x && ls -fa | sort").ok().stdout());
    }

    @Test
    @DisplayName("131: fsync, fdatasync, syncfs, O_SYNC/O_DSYNC and O_DIRECT writes succeed and read back; fsync and fdatasync of a directory succeed")
    void syncAndDirect() {
        py("c131", """
                fd = os.open('f', os.O_RDWR | os.O_CREAT | os.O_SYNC, 0o644); os.write(fd, b'sync'); os.fsync(fd); os.fdatasync(fd); os.close(fd)
                fd = os.open('g', os.O_RDWR | os.O_CREAT | os.O_DSYNC, 0o644); os.write(fd, b'dsync'); os.close(fd)
                eq(get('f'), b'sync'); eq(get('g'), b'dsync')
                d = os.open('.', os.O_RDONLY | os.O_DIRECTORY); eq(err(lambda: os.fsync(d)), 'OK', 'fsync of a directory')
                eq(err(lambda: os.fdatasync(d)), 'OK', 'fdatasync of a directory'); eq(libc.syncfs(d), 0); os.close(d)
                buf = mmap.mmap(-1, 1 << 16); data = os.urandom(1 << 16); buf.write(data)
                fd = os.open('direct', os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o644); eq(os.pwrite(fd, buf, 4096), 1 << 16)
                rb = mmap.mmap(-1, 1 << 16); eq(os.preadv(fd, [rb], 4096), 1 << 16); eq(bytes(rb) == data, True, 'O_DIRECT read'); os.close(fd)
                eq(get('direct') == bytes(4096) + data, True, 'buffered read of O_DIRECT data')
                """);
    }

    @Test
    @DisplayName("132: a MAP_SHARED mapping's stores are visible to read() after msync and after reopen; a read mapping sees write()")
    void mmapShared() {
        py("c132", """
                put('f', bytes(3 * 4096))
                fd = os.open('f', os.O_RDWR); m = mmap.mmap(fd, 3 * 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
                m[100:105] = b'hello'; m[8190:8194] = b'span'; m.flush()
                eq(os.pread(fd, 5, 100), b'hello'); eq(os.pread(fd, 4, 8190), b'span')
                os.pwrite(fd, b'written', 4096 * 2 + 7); eq(m[4096 * 2 + 7:4096 * 2 + 14], b'written')
                m.close(); os.close(fd)
                d = get('f'); eq(d[100:105], b'hello'); eq(d[8190:8194], b'span'); eq(len(d), 3 * 4096)
                """);
    }

    @Test
    @DisplayName("133: a file unlinked while open: read, write, ftruncate, fallocate, fsync work; fchmod fails with ENOENT (libfuse2 limit, documented)")
    void unlinkedOpen() {
        py("c133", """
                put('f', b'abc'); fd = os.open('f', os.O_RDWR); os.unlink('f')
                os.pwrite(fd, b'def', 3); os.ftruncate(fd, 8192); os.posix_fallocate(fd, 8192, 4096); os.fsync(fd)
                eq(os.pread(fd, 6, 0), b'abcdef'); eq(os.pread(fd, 100, 6) == bytes(100), True, 'zeros')
                eq(err(lambda: os.fchmod(fd, 0o600)), 'OK' if KERNEL else 'ENOENT')
                os.close(fd); eq(os.listdir('.'), [])
                """.replace("KERNEL", KERNEL ? "True" : "False"));
    }

    @Test
    @DisplayName("134: names are UTF-8 (known limitation, documented): valid UTF-8 names of any script keep their bytes;"
            + " a byte that is not UTF-8 reaches daxfs as U+FFFD (jnr-fuse decodes paths as strings)")
    void nonUtf8Names() {
        if (KERNEL) { // names are bytes end to end
            py("c134", """
                    u = 'ünïcødé-名前-😀'.encode(); put(u, b'U'); eq(get(u), b'U')
                    a = b'bad' + bytes([255]); put(a, b'A'); eq(get(a), b'A')
                    eq(sorted(os.listdir(b'.')), sorted([u, a]))
                    """);
            return;
        }
        py("c134", """
                u = 'ünïcødé-名前-😀'.encode(); put(u, b'U'); eq(get(u), b'U')
                a = b'bad' + bytes([255]); put(a, b'A')
                eq(sorted(os.listdir(b'.')), sorted([u, b'bad' + '\ufffd'.encode()]))
                """);
    }
}
