package io.daxfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.fuse.MountFixture.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Mounts real daxfs images through bin/daxfs and drives them with the tools people use (cp, tar,
 * ls, stat, df, dd, ln, mv, setfattr, fio, xfs_io, shell redirections), then unmounts, remounts
 * and checks what persisted. Fails, never skips, when FUSE is unavailable.
 */
class DaxfsMountIT {
    private static final long MIB = 1 << 20;
    @RegisterExtension
    final MountFixture fx = new MountFixture();

    @Test
    void everydayToolsWorkAndTheirResultsSurviveARemount() throws Exception {
        fx.format(256 * MIB);
        Path mnt = fx.mountPoint("mnt");
        Path src = Files.createDirectories(fx.base.resolve("src"));
        fx.sh(src, """
                mkdir -p tree/sub/deeper
                for i in $(seq 1 40); do head -c $((i * 997)) /dev/urandom > tree/sub/f$i; done
                echo hello > tree/hello.txt; chmod 640 tree/hello.txt
                ln -s hello.txt tree/link; ln tree/hello.txt tree/sub/hard
                head -c 3000000 /dev/urandom > tree/sub/deeper/big
                touch -d '2001-02-03 04:05:06.123456789' tree/sub/f1
                """).ok();
        fx.daxfs(fx.image.toString(), mnt.toString()).ok();
        assertTrue(MountFixture.mounted(mnt));

        fx.sh(mnt, "cp -a '" + src + "/tree' copy && diff -r '" + src + "/tree' copy").ok();
        fx.sh(mnt, "tar -C '" + src + "' -cf t.tar tree && mkdir x && tar -C x -xf t.tar && diff -r '" + src
                + "/tree' x/tree").ok();
        String ls = fx.sh(mnt, "ls -l copy").ok().stdout();
        assertTrue(ls.contains("-rw-r----- 2 root root") && ls.contains("link -> hello.txt"), ls);
        assertEquals("2 6 640", fx.sh(mnt, "stat -c '%h %s %a' copy/hello.txt").ok().stdout().strip());
        assertEquals("2001-02-03 04:05:06.123456789 +0000",
                fx.sh(mnt, "TZ=UTC stat -c '%y' copy/sub/f1").ok().stdout().strip());
        String df = fx.sh(mnt, "df -k .").ok().stdout();
        assertTrue(df.contains(fx.image.toString()) && df.contains(mnt.toString()), df);

        fx.sh(mnt, """
                dd if=/dev/urandom of=rand bs=1M count=8 status=none
                dd if=rand of=rand2 bs=64k status=none && cmp rand rand2
                echo one > redir; echo two >> redir; [ "$(cat redir)" = "$(printf 'one\\ntwo')" ]
                ln rand rand.hard; [ "$(stat -c %h rand.hard)" = 2 ]
                mv copy moved; [ ! -e copy/hello.txt ]; cat moved/sub/deeper/big > /dev/null
                mkdir -p a/b; echo deep > a/b/c; mv a z; [ ! -e a/b/c ]; [ "$(cat z/b/c)" = deep ]
                mkdir a; [ ! -e a/b ]
                setfattr -n user.color -v blue rand
                [ "$(getfattr --only-values -n user.color rand)" = blue ]
                rm rand2; rmdir a
                """).ok();
        String before = fx.sh(mnt, "find . -type f | sort | xargs sha256sum; ls -lR --time-style=full-iso .")
                .ok().stdout();

        fx.run(List.of("fusermount", "-u", mnt.toString())).ok();
        MountFixture.awaitUnmounted(mnt);
        fx.awaitDaemonGone();
        // A read-only mount is refused for a filesystem that was not cleanly unmounted.
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", "ro").ok();
        assertEquals(before, fx.sh(mnt, "find . -type f | sort | xargs sha256sum; ls -lR --time-style=full-iso .")
                .ok().stdout());
        assertEquals("blue", fx.sh(mnt, "getfattr --only-values -n user.color rand").ok().stdout());
        Result roWrite = fx.sh(mnt, "touch newfile");
        assertTrue(roWrite.exitCode() != 0 && roWrite.stderr().contains("Read-only file system"), roWrite.stderr());
    }

    @Test
    void lifecycleSigtermSigkillAndASecondDaemon() throws Exception {
        fx.format(64 * MIB);
        Path mnt = fx.mountPoint("mnt");
        Path other = fx.mountPoint("other");
        fx.daxfs(fx.image.toString(), mnt.toString()).ok();
        fx.sh(mnt, "echo kept > file").ok();

        Result second = fx.daxfs(fx.image.toString(), other.toString());
        assertEquals(32, second.exitCode());
        assertOneLine(second, "already mounted by another daxfs daemon");
        assertFalse(MountFixture.mounted(other));

        fx.signalDaemon("TERM");
        MountFixture.awaitUnmounted(mnt);
        fx.awaitDaemonGone();
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", "ro").ok(); // clean after SIGTERM
        fx.run(List.of("umount", mnt.toString())).ok();
        fx.awaitDaemonGone();

        fx.daxfs(fx.image.toString(), mnt.toString()).ok();
        fx.sh(mnt, "echo after > file2").ok();
        fx.signalDaemon("KILL");
        fx.awaitDaemonGone();
        assertTrue(MountFixture.awaitStale(mnt), "a killed daemon leaves a stale mount");
        fx.daxfs(fx.image.toString(), mnt.toString()).ok(); // detaches the stale mount, recovers the device
        assertEquals("kept\nafter\n", fx.sh(mnt, "cat file file2").ok().stdout());
    }

    /** {@code umount DIR; mount} at once, 20 times: the new daemon never finds the device still locked. */
    @Test
    void umountThenMountAtOnceTwentyTimes() throws Exception {
        fx.format(64 * MIB);
        Path mnt = fx.mountPoint("mnt");
        for (int i = 0; i < 20; i++) {
            fx.daxfs(fx.image.toString(), mnt.toString()).ok();
            fx.sh(mnt, "echo " + i + " > f" + i).ok();
            fx.run(List.of("umount", mnt.toString())).ok();
        }
        fx.daxfs(fx.image.toString(), mnt.toString()).ok();
        assertEquals("20", fx.sh(mnt, "ls | wc -l").ok().stdout().strip());
    }

    /**
     * Between {@code umount} returning and its daemon exiting, the device is still locked but no
     * longer mounted: a new mount waits for the lock instead of refusing. A process holds the lock
     * here until the new daemon says it is waiting.
     */
    @Test
    void aMountWaitsForTheLockOfADaemonStillClosing() throws Exception {
        fx.format(64 * MIB);
        Path mnt = fx.mountPoint("mnt");
        Process holder = new ProcessBuilder("python3", "-c", """
                import fcntl, os, sys, time
                fd = os.open(sys.argv[1], os.O_RDWR)
                fcntl.lockf(fd, fcntl.LOCK_EX)
                print("locked", flush=True)
                for _ in range(1200):
                    if os.path.exists(sys.argv[2]) and "waiting" in open(sys.argv[2]).read():
                        break
                    time.sleep(0.05)
                time.sleep(0.3)
                """, fx.image.toString(), fx.log.toString()).redirectErrorStream(true).start();
        try {
            assertEquals("locked", new String(holder.getInputStream().readNBytes(6)));
            fx.daxfs(fx.image.toString(), mnt.toString()).ok();
            assertFalse(holder.isAlive(), "mounted while another process held the lock");
            fx.sh(mnt, "echo ok > f").ok();
        } finally {
            holder.destroyForcibly();
        }
    }

    /**
     * readdir on a mount ends while every listed name is renamed away and back, shows each name left
     * alone once, and a telldir offset taken before a remount is good for seekdir after it.
     */
    @Test
    void readdirEndsUnderRenamesAndItsOffsetsSurviveARemount() throws Exception {
        fx.format(64 * MIB);
        Path mnt = fx.mountPoint("mnt");
        fx.daxfs(fx.image.toString(), mnt.toString()).ok();
        fx.sh(mnt, "mkdir a b; cd a; for i in $(seq 1 500); do : > s$i; : > c$i; done").ok();
        String listing = fx.sh(mnt, """
                python3 - <<'PY'
                import collections, os
                seen = collections.Counter()
                for e in os.scandir("a"):
                    seen[e.name] += 1
                    assert sum(seen.values()) <= 1000, "the listing does not end"
                    if e.name.startswith("c"):
                        os.rename("a/" + e.name, "b/" + e.name)
                        os.rename("b/" + e.name, "a/" + e.name)
                assert all(seen["s%d" % i] == 1 for i in range(1, 501)), "a name left alone is missing or repeated"
                assert max(seen.values()) == 1, "a name twice"
                print(len(seen))
                PY""").ok().stdout().strip();
        assertTrue(Integer.parseInt(listing) >= 500, listing);

        String telldir = """
                python3 - "$@" <<'PY'
                import ctypes, sys
                libc = ctypes.CDLL(None, use_errno=True)
                libc.opendir.restype = ctypes.c_void_p
                libc.readdir.restype = ctypes.c_void_p
                libc.readdir.argtypes = libc.telldir.argtypes = libc.closedir.argtypes = [ctypes.c_void_p]
                libc.telldir.restype = ctypes.c_long
                libc.seekdir.argtypes = [ctypes.c_void_p, ctypes.c_long]
                d = libc.opendir(b"a")
                if sys.argv[1] == "tell":
                    for _ in range(300):
                        libc.readdir(d)
                    print(libc.telldir(d))
                else:
                    libc.seekdir(d, int(sys.argv[1]))
                    while True:
                        ent = libc.readdir(d)
                        if not ent:
                            break
                        print(ctypes.string_at(ent + 19).decode())
                libc.closedir(d)
                PY""";
        String first = fx.sh(mnt, "ls -f a | sed -n 1,300p").ok().stdout();
        String offset = fx.sh(mnt, "set -- tell; " + telldir).ok().stdout().strip();
        fx.run(List.of("umount", mnt.toString())).ok();
        fx.daxfs(fx.image.toString(), mnt.toString()).ok();
        String rest = fx.sh(mnt, "set -- " + offset + "; " + telldir).ok().stdout();
        String all = fx.sh(mnt, "ls -f a | sort").ok().stdout();
        List<String> union = new java.util.ArrayList<>(first.lines().toList());
        union.addAll(rest.lines().toList());
        java.util.Collections.sort(union);
        assertEquals(all.lines().sorted().toList(), union, "telldir before the remount, seekdir after it");
    }

    /** touch -d with a year outside ext4's range (1901-2446) is clamped to its bound as ext4 does, never EIO. */
    @Test
    void timesOutsideTheRangeAreClamped() throws Exception {
        fx.format(64 * MIB);
        Path mnt = fx.mountPoint("mnt");
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", "attr_timeout=0").ok();
        String out = fx.sh(mnt, """
                touch -d '1600-01-01 00:00:00Z' old; touch -d '2500-01-01 00:00:00Z' new
                touch -d '1901-12-14 00:00:00.5Z' in
                TZ=UTC stat -c %y old new in""").ok().stdout();
        assertEquals(List.of("1901-12-13 20:45:52.000000000 +0000", "2446-05-10 22:38:55.000000000 +0000",
                "1901-12-14 00:00:00.500000000 +0000"), out.lines().toList());
    }

    /** nodiratime, diratime, lazytime and a bare dax, as mount(8) users pass them; unknown ones named. */
    @Test
    void mountOptionsOfOtherFilesystems() throws Exception {
        fx.format(64 * MIB);
        Path mnt = fx.mountPoint("mnt");
        // attr_timeout=0: stat asks the daemon, so it sees the atime a listing left
        String listThenCompare = "touch -a -d 2000-01-01 d; touch d/f$RANDOM; ls d > /dev/null; stat -c %X d";
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", "nodiratime,lazytime,dax,attr_timeout=0").ok();
        fx.sh(mnt, "mkdir d").ok();
        assertEquals("946684800", fx.sh(mnt, listThenCompare).ok().stdout().strip(), "nodiratime");
        String stats = "getfattr --only-values -n user.daxfs.stats . | grep dax_mode";
        assertEquals("dax_mode always", fx.sh(mnt, stats).ok().stdout().strip(),
                "a bare dax is dax=always, and the stats xattr shows the active mode (/proc/mounts cannot)");
        fx.run(List.of("umount", mnt.toString())).ok();
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", "diratime,attr_timeout=0").ok();
        long atime = Long.parseLong(fx.sh(mnt, listThenCompare).ok().stdout().strip());
        assertTrue(atime > 946684800L, "diratime: listing moved the atime: " + atime);
        assertEquals("dax_mode inode", fx.sh(mnt, stats).ok().stdout().strip(), "the default");
        fx.run(List.of("umount", mnt.toString())).ok();

        // An xattr name that is only a namespace prefix is invalid, as on local filesystems.
        fx.daxfs(fx.image.toString(), mnt.toString()).ok();
        Result prefix = fx.sh(mnt, "touch x; setfattr -n user. -v 1 x");
        assertTrue(prefix.exitCode() != 0 && prefix.stderr().contains("Invalid argument"), prefix.stderr());
        fx.run(List.of("umount", mnt.toString())).ok();

        Result r = fx.daxfs(fx.image.toString(), mnt.toString(), "-o", "acl,noatime,errors=remount-ro");
        assertEquals(1, r.exitCode());
        assertOneLine(r, "unknown options 'acl', 'errors=remount-ro'");
    }

    @Test
    void badInputGivesOneLineAndLeavesTheDeviceAlone() throws Exception {
        Path mnt = fx.mountPoint("mnt");
        Result r = fx.daxfs("/dev/shm/daxfs-fuse-no-such.img", mnt.toString());
        assertEquals(32, r.exitCode());
        assertOneLine(r, "no such device or file");

        Files.write(fx.image, new byte[(int) (8 * MIB)]);
        r = fx.daxfs(fx.image.toString(), mnt.toString());
        assertEquals(32, r.exitCode());
        assertOneLine(r, "bad magic");
        assertTrue(isAllZero(fx.image), "an unformatted device must stay untouched");

        fx.format(16 * MIB);
        r = fx.daxfs(fx.image.toString(), fx.base.resolve("missing").toString());
        assertEquals(32, r.exitCode());
        assertOneLine(r, "no such directory");

        Path full = fx.mountPoint("full");
        Files.writeString(full.resolve("x"), "x");
        r = fx.daxfs(fx.image.toString(), full.toString());
        assertEquals(32, r.exitCode());
        assertOneLine(r, "not empty");
        Files.delete(full.resolve("x"));

        r = fx.daxfs(fx.image.toString(), mnt.toString(), "-o", "dax=sometimes");
        assertEquals(1, r.exitCode());
        assertOneLine(r, "valid options: ro, rw, dax=always|never|inode");

        // A full device: ENOSPC to the writer, and a filesystem that still works afterwards.
        fx.daxfs(fx.image.toString(), mnt.toString()).ok();
        Result fill = fx.sh(mnt, "dd if=/dev/zero of=fill bs=1M count=64 status=none");
        assertTrue(fill.exitCode() != 0 && fill.stderr().contains("No space left on device"), fill.stderr());
        fx.sh(mnt, "rm fill; echo fine > after; cat after").ok();
        fx.run(List.of("fusermount", "-u", mnt.toString())).ok();
        fx.awaitDaemonGone();
        fx.daxfs(fx.image.toString(), mnt.toString()).ok();
        assertEquals("fine\n", fx.sh(mnt, "cat after").ok().stdout());
    }

    @Test
    void mmapUnderTheDefaultAndTheDaxFlag() throws Exception {
        fx.format(128 * MIB);
        Path mnt = fx.mountPoint("mnt");
        fx.daxfs(fx.image.toString(), mnt.toString()).ok();
        fx.sh(mnt, "fio --name=m --ioengine=mmap --rw=randrw --bs=4k --size=8M --filename=mm --verify=crc32c"
                + " --output=/dev/null").ok();
        fx.sh(mnt, """
                mkdir daxdir
                xfs_io -c 'chattr +x' daxdir
                xfs_io -c 'lsattr' daxdir | grep -q '^-*x'
                echo data > daxdir/inherits
                xfs_io -c 'lsattr' daxdir/inherits | grep -q '^-*x'
                dd if=/dev/urandom of=daxdir/d bs=128k count=16 status=none
                dd if=daxdir/d of=d.copy bs=128k status=none && cmp daxdir/d d.copy
                """).ok();
        // A DAX (direct_io) file maps MAP_SHARED on the kernel transport (FUSE_DIRECT_IO_ALLOW_MMAP);
        // libfuse2 cannot ask for that: ENODEV there, as documented.
        Result map = fx.sh(mnt, "python3 -c \"import mmap,os; f=os.open('daxdir/d', os.O_RDWR); "
                + "m=mmap.mmap(f, 4096, mmap.MAP_SHARED); assert m[:4096] == open('d.copy','rb').read(4096)\"");
        if (MountFixture.TRANSPORT.equals("jnr")) {
            assertTrue(map.exitCode() != 0 && map.stderr().contains("No such device"), map.stderr());
        } else {
            assertEquals(0, map.exitCode(), map.stderr());
        }
        fx.sh(mnt, "xfs_io -c 'chattr -x' daxdir/d && xfs_io -c 'lsattr' daxdir/d | grep -qv '^-*x'").ok();
    }

    private static void assertOneLine(Result r, String expected) {
        String err = r.stderr().strip();
        assertTrue(err.contains(expected), err);
        assertFalse(err.contains("\n"), "one line expected: " + err);
        assertTrue(err.startsWith("daxfs: "), err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), err);
    }

    private static boolean isAllZero(Path file) throws java.io.IOException {
        for (byte b : Files.readAllBytes(file)) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
