package io.daxfs.fuse.kernel;

import io.daxfs.fuse.kernel.sys.ErrnoException;
import io.daxfs.fuse.kernel.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a mounted FUSE connection: {@link TransportOptions#threads()} threads each read a request
 * from the device, {@link Dispatcher dispatch} it and write the reply. With
 * {@link TransportOptions#cloneFds()} every thread but the first reads its own descriptor cloned
 * from the mount's (FUSE_DEV_IOC_CLONE), so the kernel queues requests per descriptor. A read that
 * fails with ENODEV means the filesystem was unmounted: {@link #serve()} then returns.
 */
public final class FuseServer {
    private static final Logger LOG = LoggerFactory.getLogger(FuseServer.class);
    /** {@code FUSE_DEV_IOC_CLONE = _IOR(229, 0, uint32_t)}. */
    private static final long FUSE_DEV_IOC_CLONE = 0x8004e500L;

    private final int fd;
    private final Dispatcher dispatcher;
    private final TransportOptions options;

    public FuseServer(int fd, Dispatcher dispatcher, TransportOptions options) {
        this.fd = fd;
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Serves until the filesystem is unmounted; the calling thread is one of the servers. */
    public void serve() throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        List<Integer> clones = new ArrayList<>();
        try {
            for (int i = 1; i < options.threads(); i++) {
                int threadFd = options.cloneFds() ? cloneFd() : fd;
                if (threadFd != fd) {
                    clones.add(threadFd);
                }
                Thread t = Thread.ofPlatform().name("fuse-" + i).daemon().start(() -> loop(threadFd));
                threads.add(t);
            }
            loop(fd);
            for (Thread t : threads) {
                t.join();
            }
        } finally {
            for (int clone : clones) {
                Syscalls.close(clone);
            }
        }
    }

    private int cloneFd() {
        try {
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
        } catch (ErrnoException e) {
            LOG.warn("FUSE_DEV_IOC_CLONE failed ({}); the thread shares the mount's descriptor", e.getMessage());
            return fd;
        }
    }

    private void loop(int readFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(dispatcher.requestBufferSize(), 4096);
            Reply reply = new Reply((iov, count) -> Syscalls.writev(readFd, iov, count),
                    dispatcher.replyPayloadSize(), arena);
            while (true) {
                long n;
                try {
                    n = Syscalls.read(readFd, buf);
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
                dispatcher.dispatch(buf.asSlice(0, n), reply);
            }
        }
    }
}
