package io.daxfs.fuse.kernel;

/**
 * What the transport asks of the kernel and how it serves: request sizes (up to 1 MiB, sent with
 * FUSE_MAX_PAGES), cache timeouts in seconds, serving threads, whether each thread reads its own
 * cloned device descriptor (FUSE_DEV_IOC_CLONE) instead of sharing one, and how long one thread
 * keeps polling for the next request after a reply before it blocks ({@code spinMicros}, 0 = never;
 * see {@link FuseServer}), and whether requests are served through FUSE over io_uring where the
 * kernel offers it ({@link Uring}; see {@link RingQueue}).
 */
public record TransportOptions(int maxWrite, int maxRead, double entryTimeout, double attrTimeout, int threads,
        boolean cloneFds, int spinMicros, Uring uring) {
    /**
     * FUSE over io_uring: never, where the kernel offers it (the fallback to {@code /dev/fuse} said
     * at INFO), or asked for (the fallback is a warning: the mount does not get what it asked for).
     */
    public enum Uring {
        OFF, AUTO, ON
    }

    /** The largest request: 256 pages. */
    public static final int MAX_REQUEST = 1 << 20;
    /**
     * The default: 50 us. Beside a mount that does not spin (peers-bench, 2026-12-03, two runs) it
     * made the one-job 4 KiB rows 1.42-2.20x faster; the daemon's CPU per read stayed 24 us (the
     * sleep and wake-up it replaces cost as much), per write it rose from 16 to 23 us. Two busy
     * callers stop it, so the two-job rows stayed within their spread (docs/BENCHMARKS.md).
     */
    public static final int DEFAULT_SPIN_MICROS = 50;
    /**
     * Serving threads of a mount unless told: one per CPU, at least 2. The kernel wakes the reader
     * that has waited longest, so every thread takes requests in turn; on 2 vCPUs 2 threads made
     * daxfs's 2-job 4 KiB random I/O 11-16% faster than 4 in two runs (the null filesystem's 2-18% in
     * two) and did as well with one job, while 1 thread halved the one-job rows (docs/BENCHMARKS.md,
     * "Serving threads").
     */
    public static int defaultThreads() {
        return Math.clamp(Runtime.getRuntime().availableProcessors(), 2, MAX_THREADS);
    }

    /** The most serving threads accepted. */
    public static final int MAX_THREADS = 64;
    /** The longest spin accepted: beyond it a spinning thread only burns CPU. */
    public static final int MAX_SPIN_MICROS = 10_000;

    public TransportOptions {
        if (maxWrite < 4096 || maxWrite > MAX_REQUEST || maxRead < 4096 || maxRead > MAX_REQUEST) {
            throw new IllegalArgumentException("request sizes must be 4 KiB .. 1 MiB: " + maxWrite + ", " + maxRead);
        }
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads must be 1.." + MAX_THREADS + ": " + threads);
        }
        if (!(entryTimeout >= 0) || !(attrTimeout >= 0)) {
            throw new IllegalArgumentException("negative timeout");
        }
        java.util.Objects.requireNonNull(uring, "uring");
        if (spinMicros < 0 || spinMicros > MAX_SPIN_MICROS) {
            throw new IllegalArgumentException("spin must be 0.." + MAX_SPIN_MICROS + " microseconds: " + spinMicros);
        }
    }
}
