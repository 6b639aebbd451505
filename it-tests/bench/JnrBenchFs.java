import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jnr.ffi.Pointer;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.examples.MemoryFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The jnr-fuse targets of peers-bench.sh: {@code JnrBenchFs memory|null MOUNTPOINT [fuse args...]}.
 * Mounts in the foreground, debug off, until unmounted.
 * <ul>
 * <li>{@code memory}: jnr-fuse's stock example MemoryFS, unchanged. Its own main() hard-codes
 * /tmp/mntm and turns libfuse debug logging on, so it cannot be used as shipped.</li>
 * <li>{@code null}: {@link NullFs}, the ceiling of the jnr-fuse/libfuse2 path.</li>
 * <li>{@code null-xattr}: {@link NullXattrFs}, the same with xattr support (every name is absent).</li>
 * </ul>
 */
public final class JnrBenchFs {
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: JnrBenchFs memory|null|null-xattr MOUNTPOINT [fuse args...]");
            System.exit(2);
        }
        FuseStubFS fs = switch (args[0]) {
            case "memory" -> new MemoryFS();
            case "null" -> new NullFs();
            case "null-xattr" -> new NullXattrFs();
            default -> throw new IllegalArgumentException("unknown filesystem " + args[0]);
        };
        try {
            fs.mount(Paths.get(args[1]), true, false, Arrays.copyOfRange(args, 2, args.length));
        } finally {
            fs.umount();
        }
    }

    /**
     * A filesystem that stores no data: writes are accepted and only grow the file's size, reads return
     * zeros. Names and sizes are kept so that fio and the metadata benchmark run unchanged; everything
     * else a request costs is the jnr-fuse/libfuse2 round trip, which is what this target measures.
     */
    static class NullFs extends FuseStubFS {
        private static final Long DIRECTORY = -1L;
        /** path -> file size, or {@link #DIRECTORY}. */
        private final Map<String, Long> nodes = new ConcurrentHashMap<>(Map.of("/", DIRECTORY));

        @Override
        public int getattr(String path, FileStat stat) {
            Long size = nodes.get(path);
            if (size == null) {
                return -ErrorCodes.ENOENT();
            }
            if (size.equals(DIRECTORY)) {
                stat.st_mode.set(FileStat.S_IFDIR | 0755);
                stat.st_nlink.set(2);
            } else {
                stat.st_mode.set(FileStat.S_IFREG | 0644);
                stat.st_nlink.set(1);
                stat.st_size.set(size);
            }
            return 0;
        }

        @Override
        public int create(String path, @mode_t long mode, FuseFileInfo fi) {
            return nodes.putIfAbsent(path, 0L) == null ? 0 : -ErrorCodes.EEXIST();
        }

        @Override
        public int mkdir(String path, @mode_t long mode) {
            return nodes.putIfAbsent(path, DIRECTORY) == null ? 0 : -ErrorCodes.EEXIST();
        }

        @Override
        public int open(String path, FuseFileInfo fi) {
            return nodes.containsKey(path) ? 0 : -ErrorCodes.ENOENT();
        }

        @Override
        public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
            long n = Math.max(0, Math.min(size, nodes.getOrDefault(path, 0L) - offset));
            buf.setMemory(0, n, (byte) 0);
            return (int) n;
        }

        @Override
        public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
            nodes.computeIfPresent(path, (p, old) -> Math.max(old, offset + size));
            return (int) size;
        }

        @Override
        public int truncate(String path, @off_t long size) {
            return nodes.replace(path, size) != null ? 0 : -ErrorCodes.ENOENT();
        }

        @Override
        public int unlink(String path) {
            return nodes.remove(path) != null ? 0 : -ErrorCodes.ENOENT();
        }

        @Override
        public int rmdir(String path) {
            String prefix = path + "/";
            if (nodes.keySet().stream().anyMatch(p -> p.startsWith(prefix))) {
                return -ErrorCodes.ENOTEMPTY();
            }
            return nodes.remove(path, DIRECTORY) ? 0 : -ErrorCodes.ENOENT();
        }

        @Override
        public int readdir(String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
            String prefix = path.equals("/") ? "/" : path + "/";
            filter.apply(buf, ".", null, 0);
            filter.apply(buf, "..", null, 0);
            for (String p : nodes.keySet()) {
                if (p.length() > prefix.length() && p.startsWith(prefix) && p.indexOf('/', prefix.length()) < 0) {
                    filter.apply(buf, p.substring(prefix.length()), null, 0);
                }
            }
            return 0;
        }

        // Accepted and ignored: fio and the metadata benchmark set times and modes they never read back.
        @Override
        public int utimens(String path, Timespec[] timespec) {
            return 0;
        }

        @Override
        public int chmod(String path, @mode_t long mode) {
            return 0;
        }
    }

    /**
     * NullFs with getxattr implemented (it finds nothing). A filesystem without getxattr answers the
     * kernel's first GETXATTR with ENOSYS and is never asked again; one that has xattrs, as daxfs and
     * fusexmp_fh, gets a GETXATTR "security.capability" before every buffered write (the kernel's
     * file_remove_privs; FUSE mounts never have SB_NOSEC). This is the ceiling of such a filesystem.
     */
    static final class NullXattrFs extends NullFs {
        @Override
        public int getxattr(String path, String name, Pointer value, @size_t long size) {
            return -ErrorCodes.ENODATA();
        }
    }
}
