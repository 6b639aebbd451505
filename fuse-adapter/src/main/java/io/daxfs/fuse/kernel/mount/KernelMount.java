package io.daxfs.fuse.kernel.mount;

import io.daxfs.fuse.kernel.sys.ErrnoException;
import io.daxfs.fuse.kernel.sys.Syscalls;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts and unmounts a FUSE filesystem without libfuse: as root with mount(2) on a fresh
 * {@code /dev/fuse} descriptor; as any other user through the setuid {@code fusermount3}, which
 * mounts and passes the descriptor back over a socketpair (SCM_RIGHTS), as libfuse does. The
 * returned descriptor is the connection the {@link io.daxfs.fuse.kernel.FuseServer} serves.
 */
public final class KernelMount {
    private static final Logger LOG = LoggerFactory.getLogger(KernelMount.class);
    private static final long MS_RDONLY = 1;
    private static final Map<String, Long> SET_FLAGS = Map.of("nosuid", 2L, "nodev", 4L, "noexec", 8L, "sync", 16L,
            "dirsync", 128L);
    private static final Map<String, Long> CLEAR_FLAGS = Map.of("suid", 2L, "dev", 4L, "exec", 8L, "async", 16L);
    /** libfuse's defaults: a FUSE mount is nosuid,nodev unless asked otherwise. */
    private static final long DEFAULT_FLAGS = 2L | 4L;

    private KernelMount() {}

    /** Mounts {@code spec}; returns the connection's descriptor. Throws with a one-line reason. */
    public static int mount(MountSpec spec) throws IOException {
        return Syscalls.getuid() == 0 ? mountAsRoot(spec) : mountWithFusermount(spec);
    }

    /** Detaches the mount: umount2(MNT_DETACH) as root, {@code fusermount3 -u -z} otherwise. */
    public static void unmount(String mountPoint) {
        try {
            if (Syscalls.getuid() == 0) {
                Syscalls.umount2(mountPoint, Syscalls.MNT_DETACH);
            } else {
                int status = Syscalls.spawnAndWait(new String[] {"fusermount3", "-u", "-z", "--", mountPoint},
                        environment(List.of()));
                if (status != 0) {
                    LOG.warn("fusermount3 -u {} exited with {}", mountPoint, status);
                }
            }
        } catch (ErrnoException e) {
            LOG.warn("cannot unmount {}: {}", mountPoint, e.getMessage());
        }
    }

    private static int mountAsRoot(MountSpec spec) throws IOException {
        int fd;
        try {
            fd = Syscalls.open("/dev/fuse", Syscalls.O_RDWR | Syscalls.O_CLOEXEC);
        } catch (ErrnoException e) {
            throw new IOException("/dev/fuse: cannot open (errno " + e.errno() + ")");
        }
        StringBuilder data = new StringBuilder("fd=").append(fd).append(",rootmode=40000,user_id=")
                .append(Syscalls.getuid()).append(",group_id=").append(Syscalls.getgid());
        if (spec.allowOther()) {
            data.append(",allow_other");
        }
        if (spec.defaultPermissions()) {
            data.append(",default_permissions");
        }
        data.append(",max_read=").append(spec.maxRead());
        try {
            Syscalls.mount(spec.fsname(), spec.mountPoint().toString(), spec.type(), flags(spec), data.toString());
            return fd;
        } catch (ErrnoException e) {
            Syscalls.close(fd);
            throw new IOException("mount(2) of " + spec.mountPoint() + " failed (errno " + e.errno() + ")");
        }
    }

    static long flags(MountSpec spec) {
        long flags = DEFAULT_FLAGS | (spec.readOnly() ? MS_RDONLY : 0);
        for (String f : spec.flags()) {
            flags |= SET_FLAGS.getOrDefault(f, 0L);
            flags &= ~CLEAR_FLAGS.getOrDefault(f, 0L);
        }
        return flags;
    }

    private static int mountWithFusermount(MountSpec spec) throws IOException {
        int[] pair;
        try {
            pair = Syscalls.socketpair();
        } catch (ErrnoException e) {
            throw new IOException("socketpair failed (errno " + e.errno() + ")");
        }
        try {
            List<String> opts = new ArrayList<>(List.of(spec.readOnly() ? "ro" : "rw", "fsname=" + escape(spec.fsname())));
            if (!spec.subtype().isEmpty()) {
                opts.add("subtype=" + escape(spec.subtype()));
            }
            if (spec.allowOther()) {
                opts.add("allow_other");
            }
            if (spec.defaultPermissions()) {
                opts.add("default_permissions");
            }
            opts.add("max_read=" + spec.maxRead());
            opts.addAll(spec.flags());
            String[] argv = {"fusermount3", "-o", String.join(",", opts), "--", spec.mountPoint().toString()};
            int status = Syscalls.spawnAndWait(argv, environment(List.of("_FUSE_COMMFD=" + pair[0])));
            Syscalls.close(pair[0]); // so that recvmsg sees the end when fusermount3 sent nothing
            pair[0] = -1;
            if (status != 0) {
                throw new IOException("fusermount3 could not mount " + spec.mountPoint() + " (exit " + status
                        + "; its message is above)");
            }
            int fd = Syscalls.receiveFd(pair[1]);
            if (fd < 0) {
                throw new IOException("fusermount3 mounted " + spec.mountPoint() + " but passed no descriptor");
            }
            return fd;
        } catch (ErrnoException e) {
            throw new IOException("fusermount3: " + e.getMessage());
        } finally {
            if (pair[0] >= 0) {
                Syscalls.close(pair[0]);
            }
            Syscalls.close(pair[1]);
        }
    }

    private static String[] environment(List<String> extra) {
        List<String> env = new ArrayList<>(extra);
        System.getenv().forEach((k, v) -> {
            if (!k.equals("_FUSE_COMMFD")) {
                env.add(k + "=" + v);
            }
        });
        return env.toArray(String[]::new);
    }

    /** fusermount3 splits its option list at commas; a comma inside a value is written "\,". */
    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace(",", "\\,");
    }
}
