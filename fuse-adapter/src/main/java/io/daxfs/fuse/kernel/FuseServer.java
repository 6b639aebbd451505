package io.daxfs.fuse.kernel;

import io.daxfs.fuse.kernel.sys.ErrnoException;
import io.daxfs.fuse.kernel.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a mounted FUSE connection: {@link TransportOptions#threads()} threads each read a request
 * from the device, {@link Dispatcher dispatch} it and write the reply. With
 * {@link TransportOptions#cloneFds()} every thread but the first reads its own descriptor cloned
 * from the mount's (FUSE_DEV_IOC_CLONE). A read that fails with ENODEV means the filesystem was
 * unmounted: {@link #serve()} then returns.
 *
 * <p>Spinning: a request wakes a thread blocked in read(2), and where an idle CPU sleeps (a VM's
 * halted vCPU) that wake-up and the caller's, when the reply goes back, are most of a small
 * request's round trip. So with {@link TransportOptions#spinMicros()} the second thread also holds a
 * non-blocking clone of the descriptor and, after each reply, keeps reading it for that long before
 * it blocks: a caller that sends its next request within that time finds a thread already on a CPU.
 * It spins only while the latest {@link #SAME_CALLER} requests came from one process: two or more
 * busy callers can fill a small machine's CPUs themselves, and a spinning thread would take theirs.
 *
 * <p>FUSE over io_uring ({@link TransportOptions#uring()} on or auto): before serving, one {@link RingQueue}
 * per possible CPU sets up its ring; if all could, INIT asks the kernel for io_uring, and once it
 * agreed the queues register and serve every request but FORGET, BATCH_FORGET and INTERRUPT (and
 * those that come before the last queue registered), which still come through the device threads.
 * Where the kernel does not offer it, or a ring cannot be set up, one line says so and the device
 * threads serve everything.
 */
public final class FuseServer {
    private static final Logger LOG = LoggerFactory.getLogger(FuseServer.class);
    /** {@code FUSE_DEV_IOC_CLONE = _IOR(229, 0, uint32_t)}. */
    private static final long FUSE_DEV_IOC_CLONE = 0x8004e500L;
    /** Requests in a row from one process before the spinning thread spins. */
    static final int SAME_CALLER = 8;
    /** How long an unmount waits for the ring threads to end (the kernel ends them at once). */
    private static final long RING_STOP_MILLIS = 5000;

    private final int fd;
    private final Dispatcher dispatcher;
    private final TransportOptions options;
    private final long spinNanos;
    /** The process of the latest request, and how many in a row came from it (racy: a hint). */
    private volatile int lastCaller;
    private volatile int sameCaller;

    public FuseServer(int fd, Dispatcher dispatcher, TransportOptions options) {
        this.fd = fd;
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        this.options = Objects.requireNonNull(options, "options");
        this.spinNanos = options.spinMicros() * 1000L;
    }

    /** Serves until the filesystem is unmounted; the calling thread is one of the servers. */
    public void serve() throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        List<Integer> clones = new ArrayList<>();
        List<RingQueue> rings = options.uring() != TransportOptions.Uring.OFF ? startRings() : List.of();
        try {
            for (int i = 1; i < options.threads(); i++) {
                int threadFd = options.cloneFds() ? cloneFd() : fd;
                if (threadFd != fd) {
                    clones.add(threadFd);
                }
                int spinFd = i == 1 && spinNanos > 0 && threadFd != fd ? spinFd() : -1;
                if (spinFd >= 0) {
                    clones.add(spinFd);
                }
                Thread t = Thread.ofPlatform().name("fuse-" + i).daemon().start(() -> loop(threadFd, spinFd));
                threads.add(t);
            }
            loop(fd, -1);
            for (Thread t : threads) {
                t.join();
            }
        } finally {
            for (int clone : clones) {
                Syscalls.close(clone);
            }
            stopRings(rings);
        }
    }

    /**
     * Starts a {@link RingQueue} per possible CPU and, if every ring could be set up, has INIT ask
     * for FUSE over io_uring; the queues, or none (with the reason logged).
     */
    private List<RingQueue> startRings() throws InterruptedException {
        int cpus;
        try {
            cpus = RingQueue.possibleCpus();
        } catch (IOException | IllegalArgumentException e) {
            fallback("FUSE over io_uring not used: the possible CPUs are unknown (" + e.getMessage()
                    + "); serving /dev/fuse only");
            return List.of();
        }
        List<RingQueue> queues = new ArrayList<>();
        for (int qid = 0; qid < cpus; qid++) {
            RingQueue q = new RingQueue(qid, fd, dispatcher, dispatcher.ringPayloadSize());
            q.start();
            queues.add(q);
        }
        try {
            for (RingQueue q : queues) {
                q.setUp().join();
            }
        } catch (CompletionException e) {
            fallback("FUSE over io_uring not used: " + e.getCause().getMessage() + "; serving /dev/fuse only");
            stopRings(queues);
            return List.of();
        }
        dispatcher.offerUring(flags -> {
            boolean agreed = (flags & Wire.OVER_IO_URING) != 0;
            if (agreed) {
                LOG.info("FUSE over io_uring: {} queues, one per possible CPU", queues.size());
            } else {
                fallback("the kernel does not offer FUSE over io_uring (Linux 6.14+ with "
                        + "/sys/module/fuse/parameters/enable_uring = Y); serving /dev/fuse only");
            }
            for (RingQueue q : queues) {
                q.go(agreed);
            }
        });
        return queues;
    }

    /** Says why the rings are not used: a warning if they were asked for, else for information. */
    private void fallback(String why) {
        if (options.uring() == TransportOptions.Uring.ON) {
            LOG.warn(why);
        } else {
            LOG.info(why);
        }
    }

    /**
     * Once unmounted: lets queues that never registered end, waits for the others' threads (the
     * kernel completed their commands when the connection went) and logs what each served.
     */
    private static void stopRings(List<RingQueue> queues) throws InterruptedException {
        List<Long> served = new ArrayList<>();
        long total = 0;
        for (RingQueue q : queues) {
            q.go(false);
            if (!q.join(RING_STOP_MILLIS)) {
                LOG.warn("a FUSE over io_uring queue thread did not end within {} ms", RING_STOP_MILLIS);
                return;
            }
            served.add(q.served());
            total += q.served();
        }
        if (total > 0) {
            LOG.info("FUSE over io_uring served {} requests, per queue {}", total, served);
        }
    }

    private int cloneFd() {
        try {
            return cloneOrThrow();
        } catch (ErrnoException e) {
            LOG.warn("FUSE_DEV_IOC_CLONE failed ({}); the thread shares the mount's descriptor", e.getMessage());
            return fd;
        }
    }

    /** A non-blocking clone for the spinning thread, or -1 (no spinning) when the kernel refuses. */
    private int spinFd() {
        try {
            int clone = cloneOrThrow();
            try {
                Syscalls.setNonBlocking(clone);
                return clone;
            } catch (ErrnoException e) {
                Syscalls.close(clone);
                throw e;
            }
        } catch (ErrnoException e) {
            LOG.warn("no spinning thread: {}", e.getMessage());
            return -1;
        }
    }

    private int cloneOrThrow() throws ErrnoException {
        int clone = Syscalls.open("/dev/fuse", Syscalls.O_RDWR | Syscalls.O_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment arg = arena.allocate(ValueLayout.JAVA_INT);
            arg.set(ValueLayout.JAVA_INT, 0, fd);
            Syscalls.ioctl(clone, FUSE_DEV_IOC_CLONE, arg);
            return clone;
        } catch (ErrnoException e) {
            Syscalls.close(clone);
            throw e;
        }
    }

    /**
     * One serving thread: reads {@code readFd} (blocking), or first {@code spinFd} (non-blocking;
     * -1: none) while {@link #spinning} allows; each reply goes to the descriptor its request came from.
     */
    private void loop(int readFd, int spinFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(dispatcher.requestBufferSize(), 4096);
            Reply reply = new DeviceReply((iov, count) -> Syscalls.writev(readFd, iov, count),
                    dispatcher.replyPayloadSize(), arena);
            Reply spinReply = spinFd < 0 ? null : new DeviceReply((iov, count) -> Syscalls.writev(spinFd, iov, count),
                    dispatcher.replyPayloadSize(), arena);
            long lastReply = 0;
            while (true) {
                long n;
                boolean spun;
                try {
                    n = spinFd < 0 ? -1 : spin(spinFd, buf, lastReply);
                    spun = n >= 0;
                    if (!spun) {
                        n = Syscalls.read(readFd, buf);
                    }
                } catch (ErrnoException e) {
                    switch (e.errno()) {
                        case Syscalls.ENODEV -> {
                            return; // unmounted
                        }
                        case Syscalls.EINTR, Syscalls.EAGAIN, Syscalls.ENOENT -> {
                            continue; // interrupted, or the request was withdrawn before we read it
                        }
                        default -> {
                            LOG.error("reading /dev/fuse failed: {}", e.getMessage());
                            return;
                        }
                    }
                }
                if (spinNanos > 0) { // the caller count only steers spinning: no shared write per request without it
                    noteCaller(buf, n);
                }
                dispatcher.dispatch(buf.asSlice(0, n), spun ? spinReply : reply);
                lastReply = System.nanoTime();
            }
        }
    }

    /** Polls {@code spinFd} until a request comes or spinning stops; its size, or -1 for none. */
    private long spin(int spinFd, MemorySegment buf, long lastReply) throws ErrnoException {
        while (spinning(lastReply)) {
            long n = Syscalls.readNonBlocking(spinFd, buf);
            if (n >= 0) {
                return n;
            }
            Thread.onSpinWait();
        }
        return -1;
    }

    private boolean spinning(long lastReply) {
        return sameCaller >= SAME_CALLER && System.nanoTime() - lastReply < spinNanos;
    }

    /** Counts the requests in a row from the process that sent this one ({@code pid} of the in-header). */
    private void noteCaller(MemorySegment buf, long n) {
        if (n < Wire.IN_HEADER) {
            return;
        }
        int pid = buf.get(Wire.U32, 32);
        if (pid != lastCaller) {
            lastCaller = pid;
            sameCaller = 0;
        } else if (sameCaller < SAME_CALLER) {
            sameCaller = sameCaller + 1;
        }
    }
}
