package io.daxfs.fuse.kernel;

import io.daxfs.fuse.kernel.mount.KernelMount;
import io.daxfs.fuse.kernel.mount.MountSpec;
import io.daxfs.fuse.kernel.sys.Syscalls;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A filesystem that stores no data, on the kernel transport: a tree of names whose files' writes
 * only grow their size and whose reads return zeros. It measures the transport alone (the
 * ceiling daxfs can reach, in peers-bench) and drives the dispatcher in tests.
 * {@code NullFileSystem MOUNTPOINT [THREADS [SPIN_MICROS|default [uring] [shared]]]} mounts it in the
 * foreground until unmounted ({@code default}: daxfs's own spin; {@code uring}: FUSE over io_uring
 * where the kernel offers it; {@code shared}: every thread reads the mount's descriptor, none a
 * clone of it).
 */
public final class NullFileSystem implements LowLevelFileSystem {
    private static final long ROOT = 1;
    /** "parent/name" -> node. */
    private final Map<String, Long> names = new ConcurrentHashMap<>();
    private final Map<Long, AtomicLong> sizes = new ConcurrentHashMap<>();
    private final Map<Long, Integer> modes = new ConcurrentHashMap<>(Map.of(ROOT, 040755));
    private final AtomicLong nextNode = new AtomicLong(2);

    public static void main(String[] args) throws Exception {
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : TransportOptions.defaultThreads();
        int spin = args.length > 2 && !args[2].equals("default") ? Integer.parseInt(args[2])
                : TransportOptions.DEFAULT_SPIN_MICROS;
        List<String> words = List.of(args).subList(Math.min(args.length, 3), args.length);
        TransportOptions.Uring uring = words.contains("uring") ? TransportOptions.Uring.ON : TransportOptions.Uring.OFF;
        boolean clone = !words.contains("shared");
        TransportOptions options = new TransportOptions(1 << 20, 1 << 20, 1, 1, threads, clone, spin, uring);
        MountSpec spec = new MountSpec(Path.of(args[0]), "null", "null", false, false, false, 1 << 20, List.of());
        int fd = KernelMount.mount(spec);
        try {
            new FuseServer(fd, new Dispatcher(new NullFileSystem(), options), options).serve();
        } finally {
            Syscalls.close(fd);
        }
    }

    @Override
    public Entry lookup(Context c, long parent, byte[] name) {
        Long node = names.get(key(parent, name));
        if (node == null) {
            throw new FuseError(FuseError.ENOENT, "no such name");
        }
        return new Entry(node, 1, attr(node));
    }

    @Override
    public Attr getattr(Context c, long node, long fh) {
        if (node != ROOT && !sizes.containsKey(node)) {
            throw new FuseError(FuseError.ENOENT, "no such node");
        }
        return attr(node);
    }

    @Override
    public Attr setattr(Context c, long node, Requests.SetattrIn in) {
        if (in.has(Requests.SetattrIn.SIZE) && sizes.containsKey(node)) {
            sizes.get(node).set(in.size());
        }
        return getattr(c, node, -1);
    }

    @Override
    public Created create(Context c, long parent, byte[] name, int mode, int flags) {
        return new Created(mknod(c, parent, name, mode, 0), new OpenReply(0, 0));
    }

    @Override
    public Entry mknod(Context c, long parent, byte[] name, int mode, int rdev) {
        long node = nextNode.getAndIncrement();
        sizes.put(node, new AtomicLong());
        modes.put(node, mode);
        if (names.putIfAbsent(key(parent, name), node) != null) {
            throw new FuseError(17, "exists");
        }
        return new Entry(node, 1, attr(node));
    }

    @Override
    public Entry mkdir(Context c, long parent, byte[] name, int mode) {
        return mknod(c, parent, name, 040000 | mode, 0);
    }

    @Override
    public void rmdir(Context c, long parent, byte[] name) {
        unlink(c, parent, name);
    }

    private static String key(long parent, byte[] name) {
        return parent + "/" + new String(name, StandardCharsets.ISO_8859_1);
    }

    @Override
    public void unlink(Context c, long parent, byte[] name) {
        Long node = names.remove(key(parent, name));
        if (node == null) {
            throw new FuseError(FuseError.ENOENT, "no such name");
        }
    }

    @Override
    public OpenReply open(Context c, long node, int flags) {
        return new OpenReply(0, 0);
    }

    @Override
    public void read(Context c, long node, long fh, long offset, int size, ReadReply reply) {
        long n = Math.max(0, Math.min(size, size(node).get() - offset));
        MemorySegment buf = reply.buffer().asSlice(0, n);
        buf.fill((byte) 0);
        reply.sendBuffer(n);
    }

    @Override
    public long write(Context c, long node, long fh, long offset, MemorySegment data, int writeFlags) {
        size(node).accumulateAndGet(offset + data.byteSize(), Math::max);
        return data.byteSize();
    }

    @Override
    public void fsync(Context c, long node, long fh, boolean dataOnly) {}

    @Override
    public void readdir(Context c, long node, long fh, long offset, DirectoryListing out) {
        String prefix = node + "/";
        long i = 0;
        for (Map.Entry<String, Long> e : names.entrySet()) {
            if (!e.getKey().startsWith(prefix) || ++i <= offset) {
                continue;
            }
            byte[] name = e.getKey().substring(prefix.length()).getBytes(StandardCharsets.ISO_8859_1);
            Entry entry = out.plus() ? new Entry(e.getValue(), 1, attr(e.getValue())) : null;
            if (!out.add(name, e.getValue(), modes.get(e.getValue()), i, entry)) {
                return;
            }
        }
    }

    @Override
    public StatfsReply statfs(Context c, long node) {
        return new StatfsReply(1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20, 4096, 255, 4096);
    }

    private AtomicLong size(long node) {
        AtomicLong size = sizes.get(node);
        if (size == null) {
            throw new FuseError(FuseError.ENOENT, "no such node");
        }
        return size;
    }

    private Attr attr(long node) {
        if (node == ROOT) {
            return new Attr(ROOT, 0, 0, 0, 0, 0, 0, 0, 0, 040755, 2, 0, 0, 0, 4096, 0);
        }
        long size = size(node).get();
        return new Attr(node, size, (size + 511) / 512, 0, 0, 0, 0, 0, 0, modes.getOrDefault(node, 0100644), 1, 0, 0, 0, 4096,
                0);
    }
}
