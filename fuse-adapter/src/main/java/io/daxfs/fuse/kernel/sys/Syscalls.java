package io.daxfs.fuse.kernel.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;

/**
 * The Linux system calls the kernel-protocol transport needs, bound with the JDK's FFM API
 * ({@link Linker}): open/close/read/writev of {@code /dev/fuse}, ioctl (FUSE_DEV_IOC_CLONE), mount
 * and umount2, socketpair and recvmsg (the descriptor fusermount3 passes back), and for FUSE over
 * io_uring io_uring_setup/enter, mmap/munmap of the rings and sched_setaffinity. Each call throws
 * {@link ErrnoException} with the C {@code errno} on failure; none retries by itself except on EINTR
 * where the call is idempotent.
 *
 * <p>All of them go through one downcall handle, libc's {@code long syscall(long number, ...)}, with
 * the numbers of {@link Numbers}: making a handle generates classes at run time (the AOT cache cannot
 * hold them), 10-20 ms of a cold daemon's start each, and a handle per call cost the mount ~0.1 s of
 * CPU. Pointers go in as addresses, so segments must be native, and a reachability fence keeps the
 * caller's alive across the call. Spawning fusermount3 (not root) uses libc's posix_spawnp and
 * waitpid, bound when first needed.
 */
public final class Syscalls {
    public static final int O_RDWR = 2;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_NONBLOCK = 04000;
    public static final int EINTR = 4;
    public static final int ENOENT = 2;
    public static final int ENODEV = 19;
    public static final int EAGAIN = 11;
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int MNT_DETACH = 2;
    /** {@code struct iovec}: base pointer and length. */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(ValueLayout.ADDRESS.withName("base"),
            ValueLayout.JAVA_LONG.withName("len"));
    public static final int ENOTCONN = 107;
    public static final int ECONNABORTED = 103;
    public static final int ECANCELED = 125;
    private static final long AT_FDCWD = -100;
    private static final long PROT_READ = 1;
    private static final long PROT_WRITE = 2;
    private static final long MAP_SHARED = 1;
    private static final long MAP_POPULATE = 0x8000;
    /** The CPUs a {@link #pinToCpu} mask can name (glibc's cpu_set_t). */
    private static final int CPU_SET_BITS = 1024;
    private static final long F_GETFL = 3;
    private static final long F_SETFL = 4;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

    /** {@code long syscall(long number, long a, long b, long c, long d, long e, long f)}, errno captured. */
    private static final MethodHandle SYSCALL = LINKER.downcallHandle(
            LINKER.defaultLookup().find("syscall").orElseThrow(() -> new UnsatisfiedLinkError("no C function syscall")),
            FunctionDescriptor.of(LONG, LONG, LONG, LONG, LONG, LONG, LONG, LONG), Linker.Option.firstVariadicArg(1),
            Linker.Option.captureCallState("errno"));

    /** System call numbers of this machine: x86-64, or aarch64 (which has no plain open). */
    private static final class Numbers {
        static final boolean AARCH64 = System.getProperty("os.arch", "").equals("aarch64");
        static final long OPENAT = AARCH64 ? 56 : 257;
        static final long CLOSE = AARCH64 ? 57 : 3;
        static final long READ = AARCH64 ? 63 : 0;
        static final long WRITEV = AARCH64 ? 66 : 20;
        static final long IOCTL = AARCH64 ? 29 : 16;
        static final long MOUNT = AARCH64 ? 40 : 165;
        static final long UMOUNT2 = AARCH64 ? 39 : 166;
        static final long SOCKETPAIR = AARCH64 ? 199 : 53;
        static final long RECVMSG = AARCH64 ? 212 : 47;
        static final long GETUID = AARCH64 ? 174 : 102;
        static final long GETGID = AARCH64 ? 176 : 104;
        static final long FCNTL = AARCH64 ? 25 : 72;
        static final long MMAP = AARCH64 ? 222 : 9;
        static final long MUNMAP = AARCH64 ? 215 : 11;
        static final long SCHED_SETAFFINITY = AARCH64 ? 122 : 203;
        /** The io_uring calls have the same numbers on every architecture. */
        static final long IO_URING_SETUP = 425;
        static final long IO_URING_ENTER = 426;
    }

    /** Spawning fusermount3 (not root): libc's functions, bound when first used. */
    private static final class Spawning {
        static final MethodHandle POSIX_SPAWNP =
                bind("posix_spawnp", FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR, PTR, PTR));
        static final MethodHandle WAITPID = bind("waitpid", FunctionDescriptor.of(INT, INT, PTR, INT));
    }

    private Syscalls() {}

    private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("no C function " + name));
        return LINKER.downcallHandle(symbol, descriptor,
                Linker.Option.captureCallState("errno"));
    }

    /** One system call; returns its result, or -1 with the errno in {@code state}. */
    private static long call(MemorySegment state, long number, long a, long b, long c, long d, long e) {
        return call(state, number, a, b, c, d, e, 0);
    }

    private static long call(MemorySegment state, long number, long a, long b, long c, long d, long e, long f) {
        try {
            return (long) SYSCALL.invokeExact(state, number, a, b, c, d, e, f);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The address of a native segment, to pass to {@link #call}. */
    private static long address(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("a system call needs a native segment, not a heap segment");
        }
        return segment.address();
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** open(2) of {@code path} with {@code flags}; returns the descriptor. */
    public static int open(String path, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = arena.allocateFrom(path);
            while (true) {
                MemorySegment state = STATE.get();
                int fd = (int) call(state, Numbers.OPENAT, AT_FDCWD, cpath.address(), flags, 0, 0);
                if (fd >= 0) {
                    return fd;
                }
                if (errno(state) != EINTR) {
                    throw new ErrnoException("open " + path, errno(state));
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** close(2); errors are ignored (the descriptor is gone either way on Linux). */
    public static void close(int fd) {
        call(STATE.get(), Numbers.CLOSE, fd, 0, 0, 0, 0);
    }

    /** One read(2) into {@code buf}; returns the byte count. */
    public static long read(int fd, MemorySegment buf) throws ErrnoException {
        MemorySegment state = STATE.get();
        long n = call(state, Numbers.READ, fd, address(buf), buf.byteSize(), 0, 0);
        Reference.reachabilityFence(buf);
        if (n < 0) {
            throw new ErrnoException("read", errno(state));
        }
        return n;
    }

    /** writev(2) of {@code count} iovecs at {@code iov}; returns the byte count. */
    public static long writev(int fd, MemorySegment iov, int count) throws ErrnoException {
        MemorySegment state = STATE.get();
        long n = call(state, Numbers.WRITEV, fd, address(iov), count, 0, 0);
        Reference.reachabilityFence(iov);
        if (n < 0) {
            throw new ErrnoException("writev", errno(state));
        }
        return n;
    }

    /** ioctl(2) with a pointer argument. */
    public static int ioctl(int fd, long request, MemorySegment arg) throws ErrnoException {
        MemorySegment state = STATE.get();
        int r = (int) call(state, Numbers.IOCTL, fd, request, address(arg), 0, 0);
        Reference.reachabilityFence(arg);
        if (r < 0) {
            throw new ErrnoException("ioctl", errno(state));
        }
        return r;
    }

    /** mount(2). */
    public static void mount(String source, String target, String type, long flags, String data)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = STATE.get();
            int r = (int) call(state, Numbers.MOUNT, arena.allocateFrom(source).address(),
                    arena.allocateFrom(target).address(), arena.allocateFrom(type).address(), flags,
                    arena.allocateFrom(data).address());
            if (r < 0) {
                throw new ErrnoException("mount " + target, errno(state));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** umount2(2). */
    public static void umount2(String target, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = STATE.get();
            int r = (int) call(state, Numbers.UMOUNT2, arena.allocateFrom(target).address(), flags, 0, 0, 0);
            if (r < 0) {
                throw new ErrnoException("umount " + target, errno(state));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** socketpair(AF_UNIX, SOCK_STREAM): the two connected descriptors. */
    public static int[] socketpair() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(INT, 2);
            MemorySegment state = STATE.get();
            int r = (int) call(state, Numbers.SOCKETPAIR, AF_UNIX, SOCK_STREAM, 0, fds.address(), 0);
            if (r < 0) {
                throw new ErrnoException("socketpair", errno(state));
            }
            return new int[] {fds.getAtIndex(INT, 0), fds.getAtIndex(INT, 1)};
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Receives one descriptor passed with SCM_RIGHTS on socket {@code sock} (what fusermount3 sends
     * after mounting); -1 when the peer closed the socket without sending one.
     */
    public static int receiveFd(int sock) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(1);
            MemorySegment iov = arena.allocate(IOVEC);
            iov.set(PTR, 0, data);
            iov.set(LONG, 8, 1L);
            // cmsghdr: len (8), level (4), type (4), then one int; CMSG_SPACE(4) = 24
            MemorySegment control = arena.allocate(24, 8);
            // msghdr: name(8) namelen(4)+pad(4) iov(8) iovlen(8) control(8) controllen(8) flags(4)+pad(4)
            MemorySegment msg = arena.allocate(56, 8);
            msg.set(PTR, 16, iov);
            msg.set(LONG, 24, 1L);
            msg.set(PTR, 32, control);
            msg.set(LONG, 40, 24L);
            while (true) {
                MemorySegment state = STATE.get();
                long n = call(state, Numbers.RECVMSG, sock, msg.address(), 0, 0, 0);
                if (n < 0 && errno(state) == EINTR) {
                    continue;
                }
                if (n < 0) {
                    throw new ErrnoException("recvmsg", errno(state));
                }
                long controlLen = msg.get(LONG, 40);
                int level = control.get(INT, 8);
                int type = control.get(INT, 12);
                if (n == 0 || controlLen < 20 || level != 1 /* SOL_SOCKET */ || type != 1 /* SCM_RIGHTS */) {
                    return -1;
                }
                return control.get(INT, 16);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Runs {@code argv} (looked up in PATH) with environment {@code env} and waits for it; the child
     * inherits every descriptor not marked close-on-exec (how fusermount3 gets its socket). Returns
     * the exit status, or 128 + signal.
     */
    public static int spawnAndWait(String[] argv, String[] env) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cargv = strings(arena, argv);
            MemorySegment cenv = strings(arena, env);
            MemorySegment pid = arena.allocate(INT);
            MemorySegment state = STATE.get();
            int r = (int) Spawning.POSIX_SPAWNP.invokeExact(state, pid, arena.allocateFrom(argv[0]), MemorySegment.NULL,
                    MemorySegment.NULL, cargv, cenv);
            if (r != 0) {
                throw new ErrnoException("spawn " + argv[0], r);
            }
            MemorySegment status = arena.allocate(INT);
            while (true) {
                int w = (int) Spawning.WAITPID.invokeExact(STATE.get(), pid.get(INT, 0), status, 0);
                if (w >= 0) {
                    break;
                }
                if (errno(STATE.get()) != EINTR) {
                    throw new ErrnoException("waitpid", errno(STATE.get()));
                }
            }
            int s = status.get(INT, 0);
            return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static MemorySegment strings(Arena arena, String[] values) {
        MemorySegment array = arena.allocate(PTR, values.length + 1L);
        for (int i = 0; i < values.length; i++) {
            array.setAtIndex(PTR, i, arena.allocateFrom(values[i]));
        }
        array.setAtIndex(PTR, values.length, MemorySegment.NULL);
        return array;
    }

    /** Sets O_NONBLOCK on {@code fd} (fcntl F_GETFL, F_SETFL). */
    public static void setNonBlocking(int fd) throws ErrnoException {
        MemorySegment state = STATE.get();
        long flags = call(state, Numbers.FCNTL, fd, F_GETFL, 0, 0, 0);
        if (flags < 0 || call(state, Numbers.FCNTL, fd, F_SETFL, flags | O_NONBLOCK, 0, 0) < 0) {
            throw new ErrnoException("fcntl", errno(state));
        }
    }

    /** One read(2) of a non-blocking descriptor: the byte count, or -1 when nothing is there (EAGAIN). */
    public static long readNonBlocking(int fd, MemorySegment buf) throws ErrnoException {
        MemorySegment state = STATE.get();
        long n = call(state, Numbers.READ, fd, address(buf), buf.byteSize(), 0, 0);
        Reference.reachabilityFence(buf);
        if (n < 0) {
            int errno = errno(state);
            if (errno == EAGAIN) {
                return -1;
            }
            throw new ErrnoException("read", errno);
        }
        return n;
    }

    public static int getuid() {
        return (int) call(STATE.get(), Numbers.GETUID, 0, 0, 0, 0, 0);
    }

    public static int getgid() {
        return (int) call(STATE.get(), Numbers.GETGID, 0, 0, 0, 0, 0);
    }

    /** mmap(2) of {@code length} bytes of {@code fd} at {@code offset}, shared, read-write and populated. */
    public static MemorySegment mapShared(int fd, long length, long offset) throws ErrnoException {
        MemorySegment state = STATE.get();
        long address = call(state, Numbers.MMAP, 0, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                offset);
        if (address == -1) {
            throw new ErrnoException("mmap", errno(state));
        }
        return MemorySegment.ofAddress(address).reinterpret(length);
    }

    /** munmap(2) of a segment {@link #mapShared} returned; errors are ignored (nothing to give back then). */
    public static void unmap(MemorySegment mapped) {
        call(STATE.get(), Numbers.MUNMAP, mapped.address(), mapped.byteSize(), 0, 0, 0);
    }

    /** io_uring_setup(2): a new ring of {@code entries} described into {@code params}; returns its descriptor. */
    public static int ioUringSetup(int entries, MemorySegment params) throws ErrnoException {
        MemorySegment state = STATE.get();
        int fd = (int) call(state, Numbers.IO_URING_SETUP, entries, address(params), 0, 0, 0);
        Reference.reachabilityFence(params);
        if (fd < 0) {
            throw new ErrnoException("io_uring_setup", errno(state));
        }
        return fd;
    }

    /**
     * io_uring_enter(2) without a signal mask: submits {@code toSubmit} entries and, with
     * {@code flags} IORING_ENTER_GETEVENTS, waits for {@code minComplete} completions. Returns the
     * number submitted; EINTR is thrown like any other error (the caller knows what to retry).
     */
    public static int ioUringEnter(int fd, int toSubmit, int minComplete, int flags) throws ErrnoException {
        MemorySegment state = STATE.get();
        int n = (int) call(state, Numbers.IO_URING_ENTER, fd, toSubmit, minComplete, flags, 0, 0);
        if (n < 0) {
            throw new ErrnoException("io_uring_enter", errno(state));
        }
        return n;
    }

    /** sched_setaffinity(2) of the calling thread to CPU {@code cpu} alone. */
    public static void pinToCpu(int cpu) throws ErrnoException {
        if (cpu < 0 || cpu >= CPU_SET_BITS) {
            throw new IllegalArgumentException("cpu " + cpu + " out of 0.." + (CPU_SET_BITS - 1));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(CPU_SET_BITS / 8, 8);
            mask.setAtIndex(LONG, cpu / 64, 1L << (cpu % 64));
            MemorySegment state = STATE.get();
            if (call(state, Numbers.SCHED_SETAFFINITY, 0, mask.byteSize(), mask.address(), 0, 0) < 0) {
                throw new ErrnoException("sched_setaffinity to cpu " + cpu, errno(state));
            }
        }
    }
}
