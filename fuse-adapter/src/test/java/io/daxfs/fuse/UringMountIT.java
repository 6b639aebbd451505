package io.daxfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * daxfs on FUSE over io_uring ({@code -o uring}, Linux 6.14+): the rings really carry the requests
 * (the kernel's own count of each ring's completions, in /proc/PID/fdinfo), everyday file
 * operations and parallel clients through them, every way of unmounting, and the fallback to
 * {@code /dev/fuse} where the kernel does not offer io_uring. The fuse module's enable_uring must
 * be Y; as root the tests set it (a fresh machine starts with N), otherwise they fail saying how.
 */
class UringMountIT {
    private static final long MIB = 1 << 20;
    private static final Path ENABLE = Path.of("/sys/module/fuse/parameters/enable_uring");
    private static final Pattern CQ_TAIL = Pattern.compile("(?m)^CqTail:\\s*(\\d+)$");
    @RegisterExtension
    final MountFixture fx = new MountFixture();

    @BeforeAll
    static void enableUring() throws IOException {
        if (!Files.exists(ENABLE)) {
            fail(ENABLE + " is missing: this kernel (" + System.getProperty("os.version")
                    + ") has no FUSE over io_uring (Linux 6.14+ with CONFIG_FUSE_IO_URING)");
        }
        setEnabled(true);
    }

    private static void setEnabled(boolean on) {
        try {
            Files.writeString(ENABLE, on ? "Y" : "N");
            assertEquals(on ? "Y" : "N", Files.readString(ENABLE).strip());
        } catch (IOException e) {
            fail("cannot set FUSE over io_uring: echo " + (on ? "Y" : "N") + " > " + ENABLE + " needs root (" + e + ")");
        }
    }

    private Path mounted(String options) throws Exception {
        fx.format(256 * MIB);
        Path mnt = fx.mountPoint("mnt");
        mount(mnt, options);
        return mnt;
    }

    private void mount(Path mnt, String options) {
        fx.daxfs(fx.image.toString(), mnt.toString(), "-o", "transport=kernel,uring" + options).ok();
    }

    /** The completions of each of the daemon's io_uring rings, as the kernel counts them. */
    private List<Long> ringCompletions() throws IOException {
        String pid = fx.daemonPid();
        assertTrue(pid.matches("\\d+"), "one daemon expected: '" + pid + "'");
        List<Long> counts = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc", pid, "fd"))) {
            for (Path fd : fds.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException gone) {
                    continue;
                }
                if (target.equals("anon_inode:[io_uring]")) {
                    Matcher m = CQ_TAIL.matcher(Files.readString(Path.of("/proc", pid, "fdinfo",
                            fd.getFileName().toString())));
                    assertTrue(m.find(), "CqTail in the fdinfo of " + fd);
                    counts.add(Long.parseLong(m.group(1)));
                }
            }
        }
        return counts;
    }

    private static int possibleCpus() throws IOException {
        String list = Files.readString(Path.of("/sys/devices/system/cpu/possible")).strip();
        int count = 0;
        for (String part : list.split(",")) {
            String[] range = part.split("-");
            count += range.length == 1 ? 1 : Integer.parseInt(range[1]) - Integer.parseInt(range[0]) + 1;
        }
        return count;
    }

    private static long sum(List<Long> counts) {
        return counts.stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void fileOperationsAndParallelClientsGoThroughTheRings() throws Exception {
        Path mnt = mounted("");
        String out = fx.sh(mnt, "mkdir -p a/b; echo hello > a/b/f; ln a/b/f a/g; ln -s b/f a/s; mv a/g a/h; "
                + "head -c 3M /dev/urandom > src; cp src a/big; cmp src a/big; truncate -s 1000 a/big; "
                + "setfattr -n user.k -v v a/h; getfattr --only-values -n user.k a/h; echo; "
                + "dd if=src of=direct bs=4k oflag=direct status=none; dd if=direct of=back bs=1M iflag=direct status=none; "
                + "cmp src back; rm a/h; cat a/s; stat -c '%s %h' a/big a/b/f; ls a | tr '\\n' ' '").ok().stdout();
        assertEquals("v\nhello\n1000 1\n6 1\nb big s ", out);
        assertEquals(possibleCpus(), ringCompletions().size(), "one ring per possible CPU");
        long before = sum(ringCompletions());
        assertTrue(before > 1000, "the rings carried the requests: " + ringCompletions());

        String parallel = fx.sh(mnt, "for i in 1 2 3 4 5 6 7 8; do (mkdir d$i && for j in $(seq 40); do "
                + "head -c $((j * 3000)) /dev/urandom > d$i/f$j; done; cat d$i/f* | md5sum > sum$i; "
                + "cat d$i/f* | md5sum > again$i) & done; wait; for i in 1 2 3 4 5 6 7 8; do cmp sum$i again$i; done; "
                + "ls d*/ | grep -c '^f'").ok().stdout();
        assertEquals("320\n", parallel);
        List<Long> after = ringCompletions();
        assertTrue(sum(after) > before + 1000, "parallel clients through the rings: " + after);
        int online = Runtime.getRuntime().availableProcessors();
        assertTrue(after.stream().filter(n -> n > 0).count() >= Math.min(2, online),
                "the queues of the callers' CPUs all served: " + after);

        fx.run(List.of("umount", mnt.toString())).ok();
        fx.awaitDaemonGone();
        fx.assertCheckerClean();
    }

    @Test
    void fusermountUmountSigtermAndSigkillDoNotHang() throws Exception {
        Path mnt = mounted("");
        fx.sh(mnt, "echo kept > file").ok();
        assertTrue(sum(ringCompletions()) > 0);
        fx.run(List.of("fusermount", "-u", mnt.toString())).ok();
        MountFixture.awaitUnmounted(mnt);
        fx.awaitDaemonGone();

        mount(mnt, "");
        fx.sh(mnt, "cat file > /dev/null").ok();
        assertTrue(sum(ringCompletions()) > 0);
        fx.signalDaemon("TERM");
        MountFixture.awaitUnmounted(mnt);
        fx.awaitDaemonGone();

        mount(mnt, ",ro"); // clean after SIGTERM
        assertEquals("kept\n", fx.sh(mnt, "cat file").ok().stdout());
        fx.run(List.of("umount", mnt.toString())).ok();
        fx.awaitDaemonGone();

        mount(mnt, ",uring=auto");
        fx.sh(mnt, "echo after > file2").ok();
        assertTrue(sum(ringCompletions()) > 0, "uring=auto uses the rings where the kernel offers them");
        fx.signalDaemon("KILL");
        fx.awaitDaemonGone();
        assertTrue(MountFixture.awaitStale(mnt), "a killed daemon leaves a stale mount");
        mount(mnt, ""); // detaches it, recovers the device
        assertEquals("kept\nafter\n", fx.sh(mnt, "cat file file2").ok().stdout());
        fx.run(List.of("umount", mnt.toString())).ok();
        fx.awaitDaemonGone();
        fx.assertCheckerClean();
    }

    @Test
    void whereTheKernelDoesNotOfferIoUringTheDeviceServesAndTheLogSaysSo() throws Exception {
        setEnabled(false);
        try {
            Path mnt = mounted("");
            assertEquals("hello\n", fx.sh(mnt, "echo hello > f; cat f").ok().stdout());
            for (int i = 0; i < 100 && !ringCompletions().isEmpty(); i++) {
                Thread.sleep(50); // the rings close once INIT's reply went, while the first requests are served
            }
            assertEquals(List.of(), ringCompletions(), "the rings are closed");
            String warning = "the kernel does not offer FUSE over io_uring";
            assertTrue(Files.readString(fx.log).contains(warning), Files.readString(fx.log));
            fx.run(List.of("umount", mnt.toString())).ok();
            fx.awaitDaemonGone();

            mount(mnt, ",uring=auto"); // not asked for: the fallback is no warning
            assertEquals("hello\n", fx.sh(mnt, "cat f").ok().stdout());
            fx.run(List.of("umount", mnt.toString())).ok();
            fx.awaitDaemonGone();
            String log = Files.readString(fx.log);
            assertEquals(log.indexOf(warning), log.lastIndexOf(warning), log);
        } finally {
            setEnabled(true);
        }
    }
}
