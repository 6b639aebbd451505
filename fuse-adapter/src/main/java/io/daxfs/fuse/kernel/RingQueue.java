package io.daxfs.fuse.kernel;

import io.daxfs.fuse.kernel.sys.ErrnoException;
import io.daxfs.fuse.kernel.sys.IoUring;
import io.daxfs.fuse.kernel.sys.Syscalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One queue of FUSE over io_uring ({@code fs/fuse/dev_uring.c}, Linux 6.14+), served by its own
 * thread pinned to the queue's CPU: the kernel puts a request on the queue of the CPU its caller
 * runs on, so the thread it wakes is woken on that CPU, where the caller has just gone to sleep,
 * instead of on an idle (on a VM, halted) one. The thread owns an io_uring ring with one
 * {@link RingEntry}: it registers the entry, and then each completion brings a request, which it
 * {@link Dispatcher dispatches} and commits with the same command that fetches the next.
 *
 * <p>Life: {@link #start} sets the ring up on the new thread (a single-issuer ring belongs to its
 * creator) and completes {@link #setUp}; the thread then waits for {@link #go}: register (the
 * kernel agreed to io_uring in INIT, whose reply is written by then) or close the ring and end.
 * Unmounting or aborting the connection completes the outstanding command with ENOTCONN (or,
 * when the daemon dies, ECANCELED), and the thread closes its ring and ends.
 */
final class RingQueue {
    private static final Logger LOG = LoggerFactory.getLogger(RingQueue.class);
    private static final int RING_FLAGS = IoUring.SETUP_SQE128 | IoUring.SETUP_SINGLE_ISSUER | IoUring.SETUP_DEFER_TASKRUN;
    /** How long a REGISTER refused with EAGAIN (INIT not yet processed) is retried: 1000 times 1 ms. */
    private static final int REGISTER_TRIES = 1000;
    /**
     * How often a failed COMMIT_AND_FETCH re-registers the entry before the thread gives up: such a
     * failure is a kernel or protocol fault, each registration leaves the kernel an entry it no
     * longer serves, and a fault that repeats would repeat forever.
     */
    static final int REREGISTRATIONS = 3;

    /**
     * What a queue's thread asks of its io_uring ({@link IoUring}): a zeroed submission entry, and
     * submitting then waiting for one completion's result. A seam for tests of {@link #serve},
     * whose kernel faults a real ring cannot be made to show.
     */
    interface Ring {
        MemorySegment nextSqe();

        int submitAndWait() throws ErrnoException;

        static Ring of(IoUring ring) {
            return new Ring() {
                @Override
                public MemorySegment nextSqe() {
                    return ring.nextSqe();
                }

                @Override
                public int submitAndWait() throws ErrnoException {
                    return ring.submitAndWait();
                }
            };
        }
    }

    private final int qid;
    private final int fuseFd;
    private final Dispatcher dispatcher;
    private final int payloadSize;
    private final CompletableFuture<Void> setUp = new CompletableFuture<>();
    private final CompletableFuture<Boolean> go = new CompletableFuture<>();
    /** Requests served; read after the thread ended. */
    private long served;
    private Thread thread;

    RingQueue(int qid, int fuseFd, Dispatcher dispatcher, int payloadSize) {
        if (qid < 0 || qid > 0xffff) {
            throw new IllegalArgumentException("queue id " + qid);
        }
        this.qid = qid;
        this.fuseFd = fuseFd;
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        this.payloadSize = payloadSize;
    }

    /**
     * The number of queues the kernel makes: its possible CPUs ({@code num_possible_cpus()}),
     * counted in {@code /sys/devices/system/cpu/possible}.
     */
    static int possibleCpus() throws IOException {
        return countCpus(Files.readString(Path.of("/sys/devices/system/cpu/possible")));
    }

    /** The CPUs of a kernel CPU list such as {@code 0-3,8,10-11}. */
    static int countCpus(String list) {
        int count = 0;
        for (String part : list.strip().split(",")) {
            int dash = part.indexOf('-');
            try {
                int first = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int last = dash < 0 ? first : Integer.parseInt(part.substring(dash + 1));
                if (first < 0 || last < first) {
                    throw new IllegalArgumentException("bad CPU range " + part + " in '" + list.strip() + "'");
                }
                count += last - first + 1;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad CPU list '" + list.strip() + "'", e);
            }
        }
        return count;
    }

    void start() {
        thread = Thread.ofPlatform().name("fuse-ring-" + qid).daemon().start(this::run);
    }

    /** Completes once the ring is set up; exceptionally, with the reason, if it could not be. */
    CompletableFuture<Void> setUp() {
        return setUp;
    }

    /** Lets the thread register (true) or end (false); only the first call counts. */
    void go(boolean register) {
        go.complete(register);
    }

    /** Waits up to {@code millis} for the thread to end; false if it has not. */
    boolean join(long millis) throws InterruptedException {
        return thread.join(java.time.Duration.ofMillis(millis));
    }

    /** Requests this queue served (once {@link #join} said the thread ended). */
    long served() {
        return served;
    }

    private void run() {
        IoUring ring;
        try {
            ring = IoUring.create(2, RING_FLAGS);
        } catch (ErrnoException e) {
            setUp.completeExceptionally(e);
            return;
        }
        try (ring; Arena arena = Arena.ofConfined()) {
            pin();
            setUp.complete(null);
            if (go.join()) {
                serve(Ring.of(ring), new RingEntry(payloadSize, arena));
            }
        } catch (ErrnoException e) {
            LOG.error("FUSE over io_uring, queue {}: {}", qid, e.getMessage());
        } catch (RuntimeException | Error e) {
            LOG.error("FUSE over io_uring, queue {} stopped", qid, e);
        }
    }

    /** Pins the thread to CPU {@code qid}; a CPU that is not online does not take it, and sends no request. */
    private void pin() {
        try {
            Syscalls.pinToCpu(qid);
        } catch (ErrnoException | IllegalArgumentException e) {
            LOG.debug("queue {} not pinned: {}", qid, e.getMessage());
        }
    }

    /**
     * Registers the entry, then serves what each completion brings, until the connection goes. A
     * REGISTER refused with EAGAIN (INIT not yet processed) is retried; a refused one ends the thread
     * (the kernel then serves through {@code /dev/fuse}). A failed COMMIT_AND_FETCH registers the
     * entry again, so that the queue's CPU is not left without one, at most {@link #REREGISTRATIONS}
     * times: then the thread ends with a warning (the kernel keeps putting the requests of that
     * CPU's callers on this queue, never on {@code /dev/fuse}: they wait until the connection ends).
     */
    void serve(Ring ring, RingEntry entry) throws ErrnoException {
        RingReply reply = new RingReply(entry);
        entry.register(ring.nextSqe(), fuseFd, qid);
        boolean registering = true;
        int tries = 0;
        int reregistrations = 0;
        while (true) {
            int result = ring.submitAndWait();
            if (result < 0) {
                int errno = -result;
                if (errno == Syscalls.ENOTCONN || errno == Syscalls.ECONNABORTED || errno == Syscalls.ECANCELED
                        || errno == Syscalls.ENODEV) {
                    return; // unmounted, aborted, or the daemon is going
                }
                if (registering && errno == Syscalls.EAGAIN && ++tries < REGISTER_TRIES) {
                    LockSupport.parkNanos(1_000_000);
                } else if (registering) {
                    LOG.warn("FUSE over io_uring: registering queue {} failed with errno {}", qid, errno);
                    return;
                } else if (++reregistrations > REREGISTRATIONS) {
                    LOG.warn("FUSE over io_uring, queue {}: COMMIT_AND_FETCH failed with errno {}, {} times; its thread "
                            + "stops, and requests from CPU {} wait until the filesystem is unmounted", qid, errno,
                            reregistrations, qid);
                    return;
                } else {
                    LOG.info("FUSE over io_uring, queue {}: COMMIT_AND_FETCH failed with errno {}; registering again",
                            qid, errno);
                    registering = true;
                    tries = 0;
                }
                entry.register(ring.nextSqe(), fuseFd, qid);
                continue;
            }
            registering = false;
            serveOne(dispatcher, entry, reply);
            served++;
            entry.commit(ring.nextSqe(), fuseFd, qid);
        }
    }

    /** Dispatches the request in {@code entry}; whatever it holds, the entry leaves with an answer. */
    static void serveOne(Dispatcher dispatcher, RingEntry entry, RingReply reply) {
        reply.clear();
        long unique = entry.unique();
        try {
            dispatcher.dispatch(entry.request(), reply);
        } catch (FuseError e) {
            LOG.warn("FUSE over io_uring: {}", e.getMessage());
            reply.error(unique, e.errno());
        }
        if (!reply.answered()) {
            reply.error(unique, FuseError.EIO);
        }
    }
}
