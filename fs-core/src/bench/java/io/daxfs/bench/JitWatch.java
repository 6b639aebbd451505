package io.daxfs.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * The JIT compiler's time over a stretch of work, so that {@link Parallel} and {@link FsBench} warm up
 * until it has settled and report what it still took of the timed rounds. On two cores a compiler
 * thread takes a core from two measured threads but not from one: rounds timed while the JIT still
 * compiles make two threads look short in whatever row or flush mode runs first (measured: the first
 * mode's create and unlink 1.33-1.50 against 1.65-1.79 in the second, the JIT taking 150 ms of a
 * 164 ms round).
 */
final class JitWatch {
    /** A stretch is quiet when the JIT compiled for at most this share of its wall time. */
    static final double QUIET_SHARE = 0.02;

    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    private final long compiledAtStart;
    private final long wallAtStart;

    /** Starts watching now. */
    JitWatch() {
        if (JIT == null || !JIT.isCompilationTimeMonitoringSupported()) {
            throw new IllegalStateException("this JVM does not report its JIT compilation time: "
                    + "the benchmark cannot tell when its warm-up is done");
        }
        compiledAtStart = JIT.getTotalCompilationTime();
        wallAtStart = System.nanoTime();
    }

    /** Milliseconds the JIT compiled since this watch started (summed over its compiler threads). */
    long compiled() {
        return JIT.getTotalCompilationTime() - compiledAtStart;
    }

    /** Whether the JIT compiled for at most {@link #QUIET_SHARE} of the wall time since this watch started. */
    boolean quiet() {
        double wallMillis = (System.nanoTime() - wallAtStart) / 1e6;
        return compiled() <= QUIET_SHARE * wallMillis;
    }
}
