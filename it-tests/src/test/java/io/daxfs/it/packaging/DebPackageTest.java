package io.daxfs.it.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.format.Superblock;
import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.MiniJson;
import io.daxfs.it.support.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Debian package from bin/package, installed for real on this machine with dpkg: the commands
 * are on the PATH and print their format version, the man pages are found, an image is formatted,
 * mounted through an /etc/fstab line (restored afterwards) and through {@code mount -t daxfs},
 * remounted read-only by the kernel, reached the way an xfstests-style harness does, checked with
 * fsck(8)'s {@code fsck -t daxfs}, and after {@code dpkg -r} and {@code dpkg -P} nothing the
 * package installed is left. Needs root, dpkg and FUSE, as every mount test here.
 */
class DebPackageTest {
    private static final Path REPO = DaxfsMount.REPO;
    private static final Path FSTAB = Path.of("/etc/fstab");
    private static final String TAG = "daxfs-deb-it-" + ProcessHandle.current().pid();

    @Test
    void installsMountsChecksAndUninstallsCleanly() throws Exception {
        assertEquals("0", sh("id -u").stdout().strip(), "dpkg -i needs root");
        Shell.run(List.of(REPO.resolve("bin/package").toString(), "--no-build"), Map.of(), 3600).ok();
        Path deb;
        try (Stream<Path> files = Files.list(REPO.resolve("target/package"))) {
            deb = files.filter(p -> p.getFileName().toString().endsWith("_amd64.deb")).findFirst().orElseThrow();
        }
        assertTrue(Files.size(REPO.resolve("target/package/daxfs-" + sh("sed -n 's|^  <version>\\(.*\\)</version>|\\1|p' "
                + REPO.resolve("pom.xml") + " | head -n 1").stdout().strip() + "-linux-x86_64.tar.gz")) > 0);
        if (sh("dpkg-query -W -f '${Status}' daxfs 2>/dev/null || true").stdout().contains("installed")) {
            sh("dpkg -P daxfs");
        }
        sh("dpkg -i " + deb);
        List<String> installed = sh("dpkg -L daxfs").stdout().lines().toList();
        try {
            usePackage(installed);
        } finally {
            Shell.run(List.of("dpkg", "-P", "daxfs"), Map.of(), 300);
        }
        assertNotEquals(0, Shell.run(List.of("dpkg", "-L", "daxfs"), Map.of(), 60).exitCode(), "dpkg still lists daxfs");
        for (String file : installed) {
            Path p = Path.of(file);
            if (file.contains("daxfs") && !Files.isDirectory(p)) {
                assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), file + " is left after dpkg -P");
            }
        }
        assertFalse(Files.exists(Path.of("/usr/share/daxfs")), "/usr/share/daxfs is left");
        assertFalse(Files.exists(Path.of("/var/log/daxfs")), "/var/log/daxfs is left after purge");
    }

    private void usePackage(List<String> installed) throws IOException, InterruptedException {
        for (String file : List.of("/usr/sbin/mkfs.daxfs", "/usr/sbin/fsck.daxfs", "/usr/sbin/mount.daxfs",
                "/usr/bin/daxfs", "/usr/bin/daxfs-info", "/usr/share/man/man8/daxfs.8.gz")) {
            assertTrue(installed.contains(file), file + " not in the package: " + installed);
        }
        for (String cmd : List.of("mkfs.daxfs", "fsck.daxfs", "daxfs", "daxfs-info")) {
            String version = sh("cd / && env PATH=/usr/sbin:/usr/bin:/sbin:/bin " + cmd + " --version").stdout();
            assertTrue(version.startsWith(cmd + " (daxfs) ") && version.contains("format version "
                    + Superblock.FORMAT_VERSION), version);
            assertTrue(sh("man -w " + cmd).stdout().startsWith("/usr/share/man/man8/" + cmd + ".8"));
        }
        Path img = Path.of("/dev/shm/" + TAG + ".img");
        Path mnt = Files.createDirectories(Path.of("/tmp/" + TAG + "/mnt"));
        String fstab = Files.readString(FSTAB);
        try {
            sh("mkfs.daxfs -q -s 256M " + img);
            Files.writeString(FSTAB, fstab + img + " " + mnt + " fuse.daxfs noauto,noatime,dax=inode 0 0\n");
            sh("mount " + mnt);
            assertEquals(img + " fuse.daxfs", sh("findmnt -n -o SOURCE,FSTYPE " + mnt).stdout().strip()
                    .replaceAll("\\s+", " "));
            sh("echo hello > " + mnt + "/f");
            Map<String, Object> stats = MiniJson.parseObject(
                    sh("getfattr --only-values -n user.daxfs.stats.json " + mnt).stdout());
            assertTrue(((Number) stats.get("free_bytes")).longValue() > 0, stats.toString());

            sh("mount -o remount,ro " + mnt);
            assertTrue(sh("findmnt -n -o OPTIONS " + mnt).stdout().startsWith("ro,"));
            assertNotEquals(0, Shell.sh(mnt, "echo more > g").exitCode(), "a read-only remount refuses writes");
            assertEquals("1", sh("pgrep -f '[D]axfsMain " + img + "' | wc -l").stdout().strip(),
                    "a remount is no second daemon");
            sh("mount -o remount,rw " + mnt);
            sh("echo more > " + mnt + "/g");
            // The daemon releases the device before umount returns: mounting again at once works.
            sh("umount " + mnt + " && mount -t daxfs " + img + " " + mnt);
            assertEquals("hello", sh("cat " + mnt + "/f").stdout().strip());
            sh("umount " + mnt);
            awaitDaemonGone(img);
        } finally {
            Files.writeString(FSTAB, fstab);
            Shell.run(List.of("bash", "-c", "mountpoint -q " + mnt + " && fusermount -u -z " + mnt + " || true"),
                    Map.of(), 60);
        }
        Shell.Result fsck = Shell.run(List.of("fsck", "-t", "daxfs", img.toString()), Map.of(), 300);
        assertEquals(0, fsck.exitCode(), fsck.toString());
        assertTrue(fsck.stdout().contains("clean"), fsck.stdout());
        Map<String, Object> info = MiniJson.parseObject(sh("daxfs-info -J " + img).stdout());
        assertEquals("clean", ((Map<?, ?>) info.get("superblock")).get("state"), info.toString());

        // A harness that names the device by a bare name and wants the plain "fuse" type.
        Path named = Path.of("/dev/shm/daxfs/" + TAG + ".img");
        try {
            Files.createDirectories(named.getParent());
            Files.move(img, named);
            sh("mount -t fuse.daxfs -o fsname=" + TAG + ",subtype= " + TAG + " " + mnt);
            assertEquals(TAG + " fuse", sh("findmnt -n -o SOURCE,FSTYPE " + mnt).stdout().strip()
                    .replaceAll("\\s+", " "));
            assertEquals("hello", sh("cat " + mnt + "/f").stdout().strip());
            sh("mount -t fuse.daxfs -o remount,ro " + TAG + " " + mnt);
            assertTrue(sh("findmnt -n -o OPTIONS " + mnt).stdout().startsWith("ro,"));
            sh("umount " + mnt);
            awaitDaemonGone(named);
        } finally {
            Shell.run(List.of("bash", "-c", "mountpoint -q " + mnt + " && fusermount -u -z " + mnt + " || true"),
                    Map.of(), 60);
            Files.deleteIfExists(named);
            Files.deleteIfExists(img);
            Files.deleteIfExists(mnt);
            Files.deleteIfExists(mnt.getParent());
        }
    }

    private static void awaitDaemonGone(Path image) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            if (Shell.run(List.of("pgrep", "-f", "DaxfsMain " + image), Map.of(), 60).exitCode() != 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the daemon for " + image + " did not exit after umount");
    }

    private static Shell.Result sh(String script) {
        return Shell.run(List.of("bash", "-c", "set -euo pipefail; " + script), Map.of(), 600).ok();
    }
}
