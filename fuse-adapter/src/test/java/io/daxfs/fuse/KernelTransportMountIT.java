package io.daxfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FormatOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * daxfs on its own kernel-protocol transport ({@code -o transport=kernel}), mounted by bin/daxfs
 * and driven with shell tools and python3 syscalls: one kernel inode per daxfs inode, open files
 * without a name, renameat2, the mount as root and as a user through fusermount3, the names in
 * /proc/mounts, and the unmount lifecycle.
 */
class KernelTransportMountIT {
    private static final long MIB = 1 << 20;
    private static final String KERNEL = "transport=kernel";
    @RegisterExtension
    final MountFixture fx = new MountFixture();

    /**
     * Formats the fixture's image ({@code size} bytes) and mounts it on the kernel transport with
     * {@code options} (each after a comma).
     */
    private Path mounted(long size, FormatOptions format, String options) throws Exception {
        fx.format(size, format);
        Path mnt = fx.mountPoint("mnt");
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", KERNEL + options).ok();
        return mnt;
    }

    private Path mounted(long size, String options) throws Exception {
        return mounted(size, FormatOptions.defaults(), options);
    }

    private Path mounted(long size) throws Exception {
        return mounted(size, "");
    }

    /** umount, the daemon exits by itself, and the image it left is clean. */
    private void unmountAndCheck(Path mnt) throws Exception {
        fx.run(List.of("umount", mnt.toString())).ok();
        fx.awaitDaemonGone();
        fx.assertCheckerClean();
    }

    @Test
    void everyNameOfAHardLinkedFileShowsAChangeAtOnce() throws Exception {
        Path mnt = mounted(64 * MIB, ",attr_timeout=30,entry_timeout=30");
        String out = fx.sh(mnt, "echo data > a; ln a b; stat -c '%a %h' b >/dev/null; chmod 600 a; chown 7:8 a; "
                + "ln a c; stat -c '%a %u %g %h %i' b; [ \"$(stat -c %Z a)\" = \"$(stat -c %Z b)\" ] && echo same-ctime")
                .ok().stdout();
        String ino = fx.sh(mnt, "stat -c %i a").ok().stdout().strip();
        assertEquals("600 7 8 3 " + ino + "\nsame-ctime\n", out);
    }

    @Test
    void anOpenFileKeepsWorkingAfterItsLastNameIsGone() throws Exception {
        Path mnt = mounted(64 * MIB);
        String script = """
                import os
                fd = os.open('f', os.O_CREAT | os.O_RDWR, 0o644)
                os.write(fd, b'hello world')
                os.unlink('f')
                os.fchmod(fd, 0o600)
                os.fchown(fd, 5, 6)
                os.ftruncate(fd, 5)
                os.posix_fallocate(fd, 0, 8192)
                os.fsync(fd)
                st = os.fstat(fd)
                print(oct(st.st_mode & 0o7777), st.st_uid, st.st_gid, st.st_size, st.st_nlink, os.pread(fd, 5, 0))
                g = os.open('g', os.O_CREAT | os.O_RDWR, 0o644)
                open('h', 'w').write('new')
                os.rename('h', 'g')
                print(os.fstat(g).st_nlink, os.listdir('.'))
                """;
        assertEquals("0o600 5 6 8192 0 b'hello'\n0 ['g']\n", fx.py(mnt, script).ok().stdout());
    }

    @Test
    void renameat2NoreplaceAndExchange() throws Exception {
        Path mnt = mounted(64 * MIB);
        String script = """
                import ctypes, os
                libc = ctypes.CDLL(None, use_errno=True)
                open('a', 'w').write('A'); open('b', 'w').write('B')
                r = libc.renameat2(-100, b'a', -100, b'b', 1)
                print(r, os.strerror(ctypes.get_errno()))
                print(libc.renameat2(-100, b'a', -100, b'b', 2), open('a').read(), open('b').read())
                print(libc.renameat2(-100, b'a', -100, b'c', 1), sorted(os.listdir('.')))
                """;
        assertEquals("-1 File exists\n0 B A\n0 ['b', 'c']\n", fx.py(mnt, script).ok().stdout());
    }

    @Test
    void sharedMappingsOfDirectIoFilesUnderDaxAlways() throws Exception {
        Path mnt = mounted(64 * MIB, ",dax=always");
        String script = """
                import mmap, os
                fd = os.open('m', os.O_CREAT | os.O_RDWR, 0o644); os.ftruncate(fd, 8192)
                m = mmap.mmap(fd, 8192, mmap.MAP_SHARED); m[0:5] = b'hello'; m.flush()
                print(os.pread(fd, 5, 0)); os.pwrite(fd, b'WORLD', 0); print(m[0:5])
                """;
        assertEquals("b'hello'\nb'WORLD'\n", fx.py(mnt, script).ok().stdout());
    }

    @Test
    void seekDataHoleAndCopyFileRange() throws Exception {
        Path mnt = mounted(64 * MIB);
        String script = """
                import os
                fd = os.open('s', os.O_CREAT | os.O_RDWR, 0o644); os.pwrite(fd, b'x' * 4096, 1 << 20)
                print(os.lseek(fd, 0, os.SEEK_DATA), os.lseek(fd, 0, os.SEEK_HOLE))
                g = os.open('t', os.O_CREAT | os.O_RDWR, 0o644)
                print(os.copy_file_range(fd, g, 8192, 1 << 20, 0), os.pread(g, 3, 0))
                """;
        assertEquals("1048576 0\n4096 b'xxx'\n", fx.py(mnt, script).ok().stdout());
    }

    @Test
    void fsnameAndSubtypeInProcMounts() throws Exception {
        Path mnt = mounted(64 * MIB, ",fsname=pm0,subtype=dx");
        assertTrue(procMounts(mnt).startsWith("pm0 " + mnt + " fuse.dx rw,nosuid,nodev"), procMounts(mnt));
        fx.run(List.of("umount", mnt.toString())).ok();
        fx.awaitDaemonGone();
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", KERNEL + ",subtype=").ok();
        assertTrue(procMounts(mnt).startsWith(fx.image + " " + mnt + " fuse rw"), procMounts(mnt));
    }

    @Test
    void lifecycleFusermountUmountSigtermAndSigkill() throws Exception {
        Path mnt = mounted(64 * MIB);
        fx.sh(mnt, "echo kept > file").ok();
        fx.run(List.of("fusermount", "-u", mnt.toString())).ok();
        MountFixture.awaitUnmounted(mnt);
        fx.awaitDaemonGone();

        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", KERNEL).ok();
        fx.signalDaemon("TERM");
        MountFixture.awaitUnmounted(mnt);
        fx.awaitDaemonGone();
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", KERNEL + ",ro").ok(); // clean after SIGTERM
        fx.run(List.of("umount", mnt.toString())).ok();
        fx.awaitDaemonGone();

        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", KERNEL).ok();
        fx.sh(mnt, "echo after > file2").ok();
        fx.signalDaemon("KILL");
        fx.awaitDaemonGone();
        assertTrue(MountFixture.awaitStale(mnt), "a killed daemon leaves a stale mount");
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", KERNEL).ok(); // detaches it, recovers the device
        assertEquals("kept\nafter\n", fx.sh(mnt, "cat file file2").ok().stdout());
    }

    @Test
    void severalThreadsServeParallelClients() throws Exception {
        Path mnt = mounted(256 * MIB, ",loop=multi,threads=3");
        String out = fx.sh(mnt, "for i in 1 2 3 4 5 6 7 8; do (mkdir d$i && for j in $(seq 50); do "
                + "head -c $((j * 3000)) /dev/urandom > d$i/f$j; done; cat d$i/f* | md5sum > sum$i; "
                + "cat d$i/f* | md5sum > again$i) & done; wait; for i in 1 2 3 4 5 6 7 8; do cmp sum$i again$i; done; "
                + "ls d*/ | grep -c '^f'").ok().stdout();
        assertEquals("400\n", out);
        int threads = Integer.parseInt(fx.run(List.of("bash", "-c", "ls /proc/" + fx.daemonPid()
                + "/task | xargs -I{} cat /proc/" + fx.daemonPid() + "/task/{}/comm | grep -c '^fuse-[0-9]'"))
                .ok().stdout().strip());
        assertEquals(2, threads, "threads=3: the mounting thread and two more serve");
    }

    /**
     * spin= (off by default): one process's run of small requests is served by the spinning thread
     * from its non-blocking clone, each answered there; parallel callers go back to the blocking ones.
     */
    @Test
    void aSpinningThreadAnswersOnTheDescriptorItRead() throws Exception {
        Path mnt = mounted(256 * MIB, ",spin=200");
        String out = fx.sh(mnt, "head -c 8M /dev/urandom > src; dd if=src of=f bs=4k oflag=direct status=none; "
                + "dd if=f of=back bs=4k iflag=direct status=none; cmp src back && "
                + "for i in 1 2 3 4; do (dd if=src of=p$i bs=4k status=none; cmp src p$i) & done; wait; "
                + "for i in 1 2 3 4; do cmp src p$i; done; echo same").ok().stdout();
        assertEquals("same\n", out);
        unmountAndCheck(mnt);
    }

    @Test
    void aUserMountsThroughFusermount3() throws Exception {
        fx.format(64 * MIB);
        Path mnt = fx.mountPoint("mnt");
        String user = "dxtr" + UUID.randomUUID().toString().substring(0, 8);
        Path fuse = Path.of("/dev/fuse");
        var mode = Files.getPosixFilePermissions(fuse);
        fx.run(List.of("useradd", "-M", "-N", "-s", "/usr/sbin/nologin", user)).ok();
        try {
            Files.setPosixFilePermissions(fuse, PosixFilePermissions.fromString("rw-rw-rw-"));
            fx.run(List.of("touch", fx.log.toString())).ok();
            fx.run(List.of("chown", user, fx.image.toString(), mnt.toString(), fx.log.toString())).ok();
            fx.run(List.of("chmod", "755", fx.base.toString())).ok();
            fx.run(List.of("runuser", "-u", user, "--", MountFixture.REPO.resolve("bin/daxfs").toString(),
                    fx.image.toString(), mnt.toString(), "-o", KERNEL)).ok();
            String uid = fx.run(List.of("id", "-u", user)).ok().stdout().strip();
            assertTrue(procMounts(mnt).contains("user_id=" + uid), procMounts(mnt));
            assertEquals(uid + "\n", fx.run(List.of("runuser", "-u", user, "--", "bash", "-c",
                    "cd " + mnt + " && echo x > f && stat -c %u f")).ok().stdout());
            fx.run(List.of("runuser", "-u", user, "--", "fusermount3", "-u", mnt.toString())).ok();
            MountFixture.awaitUnmounted(mnt);
            fx.awaitDaemonGone();
        } finally {
            Files.setPosixFilePermissions(fuse, mode);
            fx.run(List.of("userdel", "-f", user));
        }
    }

    /** Python helpers: the daemon's stats, and waiting for FORGETs (drop_caches evicts unused inodes). */
    private static final String STATS = """
            import ctypes, os, time
            def stats():
                return dict(l.split(' ', 1) for l in os.getxattr('.', 'user.daxfs.stats').decode().splitlines()
                            if not l.startswith('mapping'))
            def settle(key, want):
                for _ in range(400):
                    if stats()[key] == want:
                        break
                    open('/proc/sys/vm/drop_caches', 'w').write('2')
                    time.sleep(0.05)
                return stats()[key]
            """;

    @Test
    void anUnlinkedInodeLivesUntilClosedAndForgotten() throws Exception {
        Path mnt = mounted(64 * MIB, ",attr_timeout=0");
        String script = STATS + """
                fd = os.open('f', os.O_CREAT | os.O_RDWR, 0o644); os.write(fd, b'hello')
                p = os.open('f', os.O_PATH)
                os.unlink('f'); os.close(fd)
                open('/proc/sys/vm/drop_caches', 'w').write('2')
                st = os.fstat(p)
                print(st.st_nlink, st.st_size, stats()['orphans'], os.path.exists('f'))
                os.close(p)
                print(settle('orphans', '0'))
                """;
        assertEquals("0 5 1 False\n0\n", fx.py(mnt, script).ok().stdout());
        unmountAndCheck(mnt);
    }

    /**
     * The kernel may hold thousands of unlinked names (here 1700 O_PATH descriptors) while orphan
     * slots are 2048: unlink never fails, three quarters of the slots keep such inodes alive, the
     * rest are reclaimed at once and their numbers stay unused until FORGET (the table is nearly
     * full, so new files would otherwise take them), and all is given back in the end.
     */
    @Test
    void unlinkingThousandsOfLookedUpFilesNeverRunsOutOfOrphanSlots() throws Exception {
        Path mnt = mounted(32 * MIB, FormatOptions.defaults().withInodeCount(1800), ",attr_timeout=0");
        String script = STATS + """
                import errno, resource, stat
                resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
                fds = []
                for i in range(1700):
                    os.mknod(f'f{i}', stat.S_IFREG | 0o644)
                    fds.append(os.open(f'f{i}', os.O_PATH))
                held = {os.fstat(p).st_ino for p in fds}
                for i in range(1700):
                    os.unlink(f'f{i}')
                alive = gone = 0
                for p in fds:
                    try:
                        alive += os.fstat(p).st_nlink == 0
                    except OSError as e:
                        gone += e.errno == errno.ENOENT
                print(alive, gone, stats()['orphans'], stats()['numbers_awaiting_forget'])
                new = set()
                for i in range(50):
                    os.mknod(f'g{i}', stat.S_IFREG | 0o644)
                    new.add(os.stat(f'g{i}').st_ino)
                print(len(new & held))
                for p in fds:
                    os.close(p)
                print(settle('orphans', '0'), settle('numbers_awaiting_forget', '0'))
                """;
        assertEquals("1536 164 1536 164\n0\n0 0\n", fx.py(mnt, script).ok().stdout());
        unmountAndCheck(mnt);
    }

    @Test
    void tmpfileIsOpenWithoutANameUntilLinkatNamesIt() throws Exception {
        Path mnt = mounted(64 * MIB);
        String script = STATS + """
                libc = ctypes.CDLL(None, use_errno=True)
                os.umask(0o022)
                fd = os.open('.', os.O_TMPFILE | os.O_RDWR, 0o640)
                os.write(fd, b'unnamed')
                st = os.fstat(fd)
                print(st.st_nlink, oct(st.st_mode & 0o7777), os.listdir('.'))
                AT_SYMLINK_FOLLOW = 0x400
                print(libc.linkat(-100, f'/proc/self/fd/{fd}'.encode(), -100, b'named', AT_SYMLINK_FOLLOW),
                      os.fstat(fd).st_nlink, open('named', 'rb').read())
                os.close(fd)
                t = os.open('.', os.O_TMPFILE | os.O_WRONLY, 0o600); os.write(t, b'x' * 100000); os.close(t)
                print(settle('orphans', '0'), os.listdir('.'))
                """;
        assertEquals("0 0o640 []\n0 1 b'unnamed'\n0 ['named']\n", fx.py(mnt, script).ok().stdout());
        unmountAndCheck(mnt);
    }

    /**
     * name_to_handle_at/open_by_handle_at (root has CAP_DAC_READ_SEARCH) with the kernel's caches
     * dropped, so it must look the handle's node up ("." in it) and, for a directory, "..".
     */
    @Test
    void fileHandlesOpenFilesAndDirectoriesAndGoStaleWhenDeleted() throws Exception {
        Path mnt = mounted(64 * MIB);
        String script = STATS + """
                import errno
                libc = ctypes.CDLL(None, use_errno=True)
                class Handle(ctypes.Structure):
                    _fields_ = [('bytes', ctypes.c_uint), ('type', ctypes.c_int), ('f', ctypes.c_ubyte * 128)]
                def handle(path):
                    h = Handle(); h.bytes = 128; mount_id = ctypes.c_int()
                    if libc.name_to_handle_at(-100, path.encode(), ctypes.byref(h), ctypes.byref(mount_id), 0):
                        raise OSError(ctypes.get_errno(), 'name_to_handle_at ' + path)
                    return h
                root = os.open('.', os.O_RDONLY | os.O_DIRECTORY)
                def by_handle(h, flags):
                    fd = libc.open_by_handle_at(root, ctypes.byref(h), flags)
                    if fd < 0:
                        raise OSError(ctypes.get_errno(), 'open_by_handle_at')
                    return fd
                def drop():
                    open('/proc/sys/vm/drop_caches', 'w').write('2')
                os.makedirs('d/e'); open('d/f', 'w').write('handled')
                hf, hd = handle('d/f'), handle('d/e')
                drop()
                fd = by_handle(hf, os.O_RDONLY); print(os.read(fd, 20)); os.close(fd)
                e = by_handle(hd, os.O_RDONLY | os.O_DIRECTORY)
                up = os.open('..', os.O_RDONLY | os.O_DIRECTORY, dir_fd=e)
                print(sorted(os.listdir(up)), os.fstat(up).st_ino == os.stat('d').st_ino)
                open('g', 'w').write('x'); hg = handle('g'); os.unlink('g')
                settle('orphans', '0'); drop()
                try:
                    by_handle(hg, os.O_RDONLY); print('opened a deleted file')
                except OSError as err:
                    print(errno.errorcode[err.errno])
                """;
        assertEquals("b'handled'\n['e', 'f'] True\nESTALE\n", fx.py(mnt, script).ok().stdout());
    }

    /**
     * Zero-copy READ replies (dax=always: every read reaches daxfs) raced by overwrites, truncates
     * and hole punches of the same range, on a nearly full device where other files churn through
     * the freed blocks: every page read is one whole version of that page, or zeros, never a page
     * of another file (fs-core's PinnedReadTest holds a pin across the same and checks the blocks).
     */
    @Test
    void readsRacingTruncatePunchAndOverwriteSeeOnlyLegalPages() throws Exception {
        Path mnt = mounted(32 * MIB, ",dax=always");
        String out = fx.py(mnt, """
                import ctypes, os, struct, time, multiprocessing as mp
                libc = ctypes.CDLL(None, use_errno=True)
                PAGE, PAGES = 4096, 64
                def page(v, i):
                    return struct.pack('<qq', v, i) + bytes([(v * 31 + i) & 0xff]) * (PAGE - 16)
                def version(v):
                    return b''.join(page(v, i) for i in range(PAGES))
                OTHER = b'OTHER-FILE-DATA!' * (PAGE // 16)
                def writer(stop):
                    fd = os.open('f', os.O_RDWR)
                    v = 1
                    while not stop.is_set():
                        v += 1
                        os.pwrite(fd, version(v), 0)
                        if v % 3 == 0:
                            os.ftruncate(fd, (v % PAGES) * PAGE)
                        if v % 5 == 0:
                            libc_punch(fd, (v % 7) * PAGE, 8 * PAGE)
                def libc_punch(fd, off, length):
                    if libc.fallocate(fd, 3, ctypes.c_long(off), ctypes.c_long(length)) != 0:  # PUNCH_HOLE | KEEP_SIZE
                        raise OSError(ctypes.get_errno(), 'punch')
                def churner(stop):
                    n = 0
                    while not stop.is_set():
                        n += 1
                        name = 'o%d' % (n % 4)
                        try:
                            with open(name, 'wb') as o:
                                for _ in range(PAGES):
                                    o.write(OTHER)
                        except OSError:
                            pass
                        os.truncate(name, 0)
                if __name__ == '__main__':
                    fd = os.open('f', os.O_CREAT | os.O_RDWR, 0o644); os.pwrite(fd, version(1), 0)
                    st = os.statvfs('.')
                    with open('filler', 'wb') as fill:
                        left = st.f_bavail * st.f_frsize - (3 << 20)
                        while left > 0:
                            fill.write(OTHER * min(256, left // PAGE + 1)); left -= 256 * PAGE
                    stop = mp.Event()
                    procs = [mp.Process(target=writer, args=(stop,)), mp.Process(target=churner, args=(stop,))]
                    for p in procs: p.start()
                    reads = pages = zero = 0; bad = []
                    end = time.time() + 4
                    while time.time() < end:
                        data = os.pread(fd, PAGES * PAGE, 0)
                        reads += 1
                        for i in range(0, len(data), PAGE):
                            chunk = data[i:i + PAGE]
                            pages += 1
                            if chunk == bytes(len(chunk)):
                                zero += 1; continue
                            v, idx = struct.unpack('<qq', chunk[:16])
                            if chunk[:16] == OTHER[:16]:
                                bad.append(('other file', i // PAGE)); continue
                            if idx != i // PAGE or chunk != page(v, idx)[:len(chunk)]:
                                bad.append((i // PAGE, chunk[:16]))
                    stop.set()
                    for p in procs: p.join()
                    print('reads', reads, 'pages', pages, 'zero', zero, 'bad', len(bad), bad[:3])
                """).ok().stdout();
        assertTrue(out.matches("reads [1-9][0-9]* pages [0-9]+ zero [0-9]+ bad 0 \\[\\]\n"), out);
    }

    /**
     * HANDLE_KILLPRIV_V2: under dax=always every write is direct I/O, for which the kernel clears
     * no set-id bit itself; daxfs does, on write, truncate (O_TRUNC and ftruncate) and fallocate
     * by a caller without CAP_FSETID (here nobody, with default_permissions), as ext4 does: setuid
     * always, setgid only with group-execute. Root's write keeps them.
     */
    @Test
    void aNonOwnerWritingTruncatingOrFallocatingClearsSetIdBits() throws Exception {
        fx.format(64 * MIB);
        Path mnt = fx.mountPoint("mnt");
        fx.run(List.of("chmod", "755", fx.base.toString())).ok();
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", KERNEL + ",dax=always,allow_other,default_permissions")
                .ok();
        fx.sh(mnt, "for f in write ftruncate trunc fallocate nogx root; do echo data > $f; chmod 6777 $f; done; "
                + "chmod 2766 nogx").ok();
        String user = """
                import os
                def run(name, op):
                    fd = os.open(name, os.O_WRONLY | (os.O_TRUNC if name == 'trunc' else 0))
                    op(fd); os.close(fd)
                    print(name, oct(os.stat(name).st_mode & 0o7777))
                run('write', lambda fd: os.write(fd, b'x'))
                run('ftruncate', lambda fd: os.ftruncate(fd, 1))
                run('trunc', lambda fd: None)
                run('fallocate', lambda fd: os.posix_fallocate(fd, 0, 8192))
                run('nogx', lambda fd: os.write(fd, b'x'))
                """;
        String out = fx.run(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                "-c", "import os; os.chdir('" + mnt + "')\n" + user)).ok().stdout();
        out += fx.sh(mnt, "echo more >> root; stat -c '%n %a' root").ok().stdout();
        assertEquals("write 0o777\nftruncate 0o777\ntrunc 0o777\nfallocate 0o777\nnogx 0o2766\nroot 6777\n", out);
    }

    /**
     * writeback=fsync with dax=never: the kernel's writeback cache is on (INIT flag 1 << 16), a
     * shared mapping of a page-cache file works, and fsync keeps its meaning: what was fsynced
     * survives a SIGKILLed daemon.
     */
    @Test
    void writebackCacheKeepsFsyncDurableAcrossAKilledDaemon() throws Exception {
        fx.format(64 * MIB);
        Path mnt = fx.mountPoint("mnt");
        Path info = fx.base.resolve("info.log");
        Path logback = Files.writeString(fx.base.resolve("logback.xml"), """
                <configuration><appender name="F" class="ch.qos.logback.core.FileAppender"><file>%s</file>
                <encoder><pattern>%%msg%%n</pattern></encoder></appender><root level="INFO"><appender-ref ref="F"/>
                </root></configuration>""".formatted(info));
        fx.run(List.of("env", "DAXFS_LOGBACK=" + logback, MountFixture.REPO.resolve("bin/daxfs").toString(),
                fx.image.toString(), mnt.toString(), "-o", KERNEL + ",dax=never,writeback=fsync")).ok();
        fx.sh(mnt, "ls >/dev/null").ok(); // INIT is answered before any request
        java.util.regex.Matcher init = java.util.regex.Pattern.compile("flags 0x([0-9a-f]+)").matcher("");
        for (int i = 0; i < 100 && !init.reset(Files.exists(info) ? Files.readString(info) : "").find(); i++) {
            Thread.sleep(100); // the daemon's log is written a moment after
        }
        assertTrue(init.find(0), "INIT logged");
        assertTrue((Long.parseLong(init.group(1), 16) & (1L << 16)) != 0, "FUSE_WRITEBACK_CACHE agreed");
        String script = """
                import hashlib, mmap, os
                data = bytes(range(256)) * 4096 * 3
                fd = os.open('synced', os.O_CREAT | os.O_WRONLY, 0o644)
                for off in range(0, len(data), 12345):
                    os.pwrite(fd, data[off:off + 12345], off)
                os.fsync(fd); os.close(fd)
                m = os.open('mapped', os.O_CREAT | os.O_RDWR, 0o644); os.ftruncate(m, 8192)
                mm = mmap.mmap(m, 8192, mmap.MAP_SHARED); mm[100:105] = b'hello'; mm.flush(); os.fsync(m)
                print(hashlib.md5(data).hexdigest(), os.pread(m, 5, 100))
                """;
        String before = fx.py(mnt, script).ok().stdout();
        fx.signalDaemon("KILL");
        fx.awaitDaemonGone();
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", KERNEL).ok();
        String after = fx.py(mnt, """
                import hashlib, os
                print(hashlib.md5(open('synced', 'rb').read()).hexdigest(), open('mapped', 'rb').read()[100:105])
                """).ok().stdout();
        assertEquals(before, after);
    }

    /**
     * dax=inode (the default): the page cache keeps a non-DAX file's pages across opens, as local
     * filesystems do (fincore opens the file, then counts its resident pages), and drops them at the
     * next open once the file was written around it through a direct-I/O handle, opened while the
     * file had the DAX flag, so that no stale page is read.
     */
    @Test
    void thePageCacheKeepsAFileAcrossOpensUntilWrittenAroundIt() throws Exception {
        fx.format(64 * MIB);
        Path mnt = fx.mountPoint("mnt");
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", KERNEL).ok();
        String out = fx.py(mnt, """
                import os, subprocess
                def pages(name):
                    return subprocess.run(['fincore', '-n', '-o', 'PAGES', name], capture_output=True, text=True,
                                          check=True).stdout.strip()
                def dax(flag):
                    subprocess.run(['xfs_io', '-c', 'chattr %sx' % flag, 'f'], check=True)
                with open('f', 'wb') as f:
                    f.write(b'a' * (1 << 20))
                open('f', 'rb').read()
                print(pages('f'))
                dax('+')
                direct = os.open('f', os.O_RDWR)
                dax('-')
                cached = os.open('f', os.O_RDONLY)
                os.pread(cached, 1 << 20, 0)
                os.pwrite(direct, b'b' * (1 << 20), 0)
                os.close(direct)
                os.close(cached)
                print(open('f', 'rb').read(4096).count(b'b'), open('f', 'rb').read().count(b'a'), pages('f'))
                """).ok().stdout();
        assertEquals("256\n4096 0 256\n", out);
    }

    private String procMounts(Path mnt) throws Exception {
        return Files.readAllLines(Path.of("/proc/mounts")).stream().filter(l -> l.split(" ")[1].equals(mnt.toString()))
                .findFirst().orElse("(not mounted)");
    }
}
