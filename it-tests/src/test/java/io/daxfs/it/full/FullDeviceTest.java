package io.daxfs.it.full;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.Py;
import io.daxfs.it.support.Shell;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Full-device cases 301–303 (issue 7, point 5): filling the device gives ENOSPC ("No space left on
 * device"), the filesystem stays usable and consistent ({@code fsck.daxfs -f -n} exits 0 after
 * unmount), and deleting frees the space again, also after a remount.
 */
class FullDeviceTest {
    /** statvfs numbers (blocks free, blocks available, inodes free) of the mount. */
    static long[] df(DaxfsMount fs) {
        String[] v = fs.sh("/usr/bin/python3 -c \"import os; s = os.statvfs('.'); print(s.f_bfree, s.f_bavail, s.f_ffree)\"")
                .ok().stdout().strip().split(" ");
        return new long[] {Long.parseLong(v[0]), Long.parseLong(v[1]), Long.parseLong(v[2])};
    }

    @Test
    @DisplayName("301: dd until the device is full fails with ENOSPC; existing files stay readable, small writes fail cleanly, metadata ops still work; fsck 0; after remount deleting frees the space and writing works again")
    void ddUntilFull() throws Exception {
        try (DaxfsMount fs = new DaxfsMount("256M")) {
            fs.mount();
            fs.sh("dd if=/dev/urandom of=keep bs=1M count=4 status=none && sha256sum keep > /dev/shm/" + fs.image.getFileName() + ".sum"
                    + " && echo small > small && mkdir dir").ok();
            String sum = fs.sh("sha256sum keep").ok().stdout();
            long[] before = df(fs);
            Shell.Result dd = fs.sh("dd if=/dev/zero of=fill bs=1M status=none");
            assertEquals(1, dd.exitCode(), "dd must fail: " + dd);
            assertTrue(dd.stderr().contains("No space left on device"), dd.stderr());
            // each FUSE write request (up to 128 KiB) is allocated all or nothing: top up in 4 KiB pieces
            fs.sh("dd if=/dev/zero of=fill2 bs=4k status=none || true").ok();
            long[] full = df(fs);
            assertTrue(full[1] <= 4, "blocks still available on a full device: " + full[1]);
            long fillSize = Long.parseLong(fs.sh("stat -c %s fill").ok().stdout().strip());
            assertTrue(fillSize > 200L << 20 && fillSize % 4096 == 0, "size of the fill file: " + fillSize);
            assertEquals(sum, fs.sh("sha256sum keep").ok().stdout());
            Py.run(fs.dir, """
                    eq(err(lambda: put('new', os.urandom(20000))), 'ENOSPC', 'new file')
                    eq(err(lambda: put('keep', os.urandom(8192), os.O_WRONLY | os.O_APPEND)), 'ENOSPC', 'append')
                    eq(st('keep').st_size, 4 << 20, 'size after a failed append')
                    fd = os.open('keep', os.O_WRONLY); r = err(lambda: os.pwrite(fd, os.urandom(8192), 4096)); os.close(fd)
                    eq(r, 'ENOSPC', 'overwrite (copy-on-write needs new blocks)')
                    eq(err(lambda: os.posix_fallocate(os.open('small', os.O_RDWR), 0, 1 << 20)), 'ENOSPC', 'fallocate')
                    eq(get('small'), b'small' + bytes([10]))
                    for name, op in (('mkdir', lambda: os.mkdir('dir/sub')), ('symlink', lambda: os.symlink('keep', 'sym')),
                                     ('setxattr', lambda: os.setxattr('small', 'user.k', b'v' * 1000)), ('create', lambda: put('empty', b''))):
                        r = err(op); assert r in ('OK', 'ENOSPC'), (name, r)
                    eq(err(lambda: os.rename('small', 'dir/small')), 'OK', 'rename on a full device')
                    eq(err(lambda: os.chmod('dir/small', 0o600)), 'OK', 'chmod on a full device')
                    eq(err(lambda: os.truncate('fill', os.stat('fill').st_size - (1 << 20))), 'OK', 'shrink on a full device')
                    put('after-shrink', os.urandom(100000))
                    """).ok();
            fs.unmount();
            fs.fsck("-f", "-n").ok();
            fs.mount();
            assertEquals(sum, fs.sh("sha256sum keep").ok().stdout());
            fs.sh("rm fill fill2 && sync").ok();
            long[] freed = df(fs);
            assertTrue(Math.abs(freed[0] - before[0]) <= 64, "free blocks before filling " + before[0] + ", after deleting " + freed[0]);
            fs.sh("dd if=/dev/urandom of=again bs=1M count=100 status=none && test $(stat -c %s again) = 104857600").ok();
            assertEquals(sum, fs.sh("sha256sum keep").ok().stdout());
            fs.unmount();
            fs.fsck("-f", "-n").ok();
        } finally {
            Shell.run(java.util.List.of("bash", "-c", "rm -f /dev/shm/daxfs-it-*.img.sum"), java.util.Map.of(), 10);
        }
    }

    @Test
    @DisplayName("302: many small (4 KiB) files until ENOSPC: the error is ENOSPC, files written so far are intact, fsck 0; after remount deleting a tenth lets about as many new ones be written (the directory's log grows a little)")
    void smallFilesUntilFull() throws Exception {
        try (DaxfsMount fs = new DaxfsMount("128M", "-N", "65536")) {
            fs.mount();
            String made = Py.run(fs.dir, """
                    i = 0
                    while True:
                        r = err(lambda: put('f%06d' % i, hashlib.sha256(b'%d' % i).digest() * 128))
                        if r != 'OK':
                            eq(r, 'ENOSPC'); break
                        i += 1
                    for j in range(i):
                        assert get('f%06d' % j) == hashlib.sha256(b'%d' % j).digest() * 128, j
                    print(i)
                    """).ok().stdout().strip();
            int n = Integer.parseInt(made);
            // a small file costs its data block and its inode's first log page (4 KiB each)
            assertTrue(n > 12_000 && n < 32_768, "4 KiB files that fit on 128 MiB: " + n);
            fs.unmount();
            fs.fsck("-f", "-n").ok();
            fs.mount();
            Py.run(fs.dir, """
                    N = COUNT
                    for j in range(0, N, 10):
                        os.unlink('f%06d' % j)
                    deleted = len(range(0, N, 10)); k = 0
                    for j in range(0, N, 10):
                        r = err(lambda: put('g%06d' % j, b'again' * 800))
                        if r != 'OK':
                            eq(r, 'ENOSPC'); break
                        k += 1
                    assert k >= deleted * 0.97, ('new files after deleting', deleted, 'only', k)
                    for j in range(N):
                        if j % 10:
                            assert get('f%06d' % j) == hashlib.sha256(b'%d' % j).digest() * 128, j
                    """.replace("COUNT", made)).ok();
            fs.unmount();
            fs.fsck("-f", "-n").ok();
        }
    }

    @Test
    @DisplayName("303: creating files until the inode table is exhausted fails with ENOSPC (f_ffree 0); mkdir too; fsck 0; after remount deleting frees inodes for new files")
    void inodesExhausted() throws Exception {
        try (DaxfsMount fs = new DaxfsMount("256M", "-N", "4096")) {
            fs.mount();
            long inodes = df(fs)[2];
            String made = Py.run(fs.dir, """
                    i = 0
                    while True:
                        r = err(lambda: os.close(os.open('e%05d' % i, os.O_CREAT | os.O_WRONLY, 0o644)))
                        if r != 'OK':
                            eq(r, 'ENOSPC'); break
                        i += 1
                    eq(os.statvfs('.').f_ffree, 0)
                    eq(err(lambda: os.mkdir('d')), 'ENOSPC'); eq(err(lambda: os.symlink('x', 'l')), 'ENOSPC')
                    eq(err(lambda: os.mkfifo('p')), 'ENOSPC')
                    put('e00000', b'data still fits'); eq(get('e00000'), b'data still fits')
                    print(i)
                    """).ok().stdout().strip();
            assertEquals(inodes, Long.parseLong(made), "files created = free inodes reported before");
            fs.unmount();
            fs.fsck("-f", "-n").ok();
            fs.mount();
            Py.run(fs.dir, """
                    for j in range(1, 101):
                        os.unlink('e%05d' % j)
                    eq(os.statvfs('.').f_ffree, 100)
                    os.mkdir('d')
                    for j in range(99):
                        put('d/n%d' % j, b'new')
                    eq(os.statvfs('.').f_ffree, 0)
                    """).ok();
            fs.unmount();
            fs.fsck("-f", "-n").ok();
        }
    }

    @Test
    @DisplayName("304: on a device that dd filled until ENOSPC, unlink, truncate to a smaller size that is not page-aligned, chmod and rmdir all succeed, and the space comes back (the metadata reserve); fsck 0")
    void shrinkingAndDeletingNeverNeedSpace() throws Exception {
        try (DaxfsMount fs = new DaxfsMount("64M")) {
            fs.mount();
            Py.run(fs.dir, """
                    os.mkdir('d1'); os.mkdir('d2')
                    put('victim', os.urandom(8 << 20)); put('shrink', os.urandom(3 << 20)); put('d1/x', b'x')
                    keep = get('shrink')[:1234567]
                    for bs in (1 << 20, 4096):
                        fd = os.open('fill', os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                        while err(lambda: os.write(fd, bytes(bs))) == 'OK':
                            pass
                        eq(err(lambda: os.write(fd, bytes(bs))), 'ENOSPC', 'dd until full, bs %d' % bs)
                        os.close(fd)
                    s = os.statvfs('.'); eq(s.f_bavail, 0, 'nothing available'); assert s.f_bfree > 0, s
                    eq(err(lambda: put('new', b'n' * 5000)), 'ENOSPC', 'data')
                    eq(err(lambda: os.chmod('shrink', 0o600)), 'OK', 'chmod on a full device')
                    eq(err(lambda: os.truncate('shrink', 1234567)), 'OK', 'truncate to a non-page-aligned smaller size')
                    eq(get('shrink'), keep)
                    eq(err(lambda: os.unlink('d1/x')), 'OK', 'unlink')
                    eq(err(lambda: os.rmdir('d1')), 'OK', 'rmdir')
                    free = os.statvfs('.').f_bfree
                    eq(err(lambda: os.unlink('victim')), 'OK', 'unlink of 8 MiB')
                    eq(err(lambda: os.rmdir('d2')), 'OK', 'rmdir')
                    os.sync()
                    back = os.statvfs('.').f_bfree - free
                    assert back >= 2048 - 8, ('blocks back after unlinking 8 MiB', back)
                    put('after', os.urandom(4 << 20)); eq(err(lambda: os.chmod('after', 0o640)), 'OK')
                    """).ok();
            fs.unmount();
            fs.fsck("-f", "-n").ok();
        }
    }
}
