package io.daxfs.core.concurrency;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs worker threads against a deadline, under {@code assertTimeoutPreemptively}: a deadlock
 * fails the test with a dump of every thread (and the JVM's deadlock detector's verdict) instead of
 * hanging it. A worker's first exception fails the test; the others stop soon after.
 */
final class Workers {
    /** One worker: index, the time to stop (System.nanoTime), and a flag that says another failed. */
    @FunctionalInterface
    interface Body {
        void run(int index, long deadlineNs, AtomicBoolean stop) throws Exception;
    }

    private Workers() {}

    static void run(String name, int threads, Duration runFor, Duration limit, Body body) {
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        assertTimeoutPreemptively(limit, () -> {
            CountDownLatch ready = new CountDownLatch(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> started = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int index = i;
                Thread t = new Thread(() -> {
                    ready.countDown();
                    try {
                        go.await();
                        body.run(index, System.nanoTime() + runFor.toNanos(), stop);
                    } catch (Throwable e) {
                        failures.add(new AssertionError(name + " worker " + index + " failed: " + e, e));
                        stop.set(true);
                    }
                }, name + "-" + i);
                t.setDaemon(true);
                t.start();
                started.add(t);
            }
            ready.await();
            go.countDown();
            for (Thread t : started) {
                t.join();
            }
        }, () -> name + ": workers did not finish within " + limit + " (deadlock?)\n" + threadDump());
        if (!failures.isEmpty()) {
            AssertionError first = new AssertionError(failures.size() + " worker(s) failed; first: "
                    + failures.peek().getMessage(), failures.peek().getCause());
            for (Throwable t : failures) {
                if (t != failures.peek()) {
                    first.addSuppressed(t);
                }
            }
            throw first;
        }
    }

    /** Every thread's full stack with the locks it holds and waits for; deadlocked threads first. */
    static String threadDump() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        StringBuilder sb = new StringBuilder();
        long[] deadlocked = mx.findDeadlockedThreads();
        sb.append(deadlocked == null ? "JVM deadlock detector: none found\n"
                : "JVM deadlock detector: " + deadlocked.length + " threads deadlocked\n");
        for (ThreadInfo info : mx.dumpAllThreads(true, true)) {
            sb.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
            if (info.getLockInfo() != null) {
                sb.append(" waiting for ").append(info.getLockInfo());
                if (info.getLockOwnerName() != null) {
                    sb.append(" held by \"").append(info.getLockOwnerName()).append('"');
                }
            }
            sb.append('\n');
            StackTraceElement[] stack = info.getStackTrace();
            for (int i = 0; i < stack.length; i++) {
                sb.append("    at ").append(stack[i]).append('\n');
                for (MonitorInfo m : info.getLockedMonitors()) {
                    if (m.getLockedStackDepth() == i) {
                        sb.append("      - locked ").append(m).append('\n');
                    }
                }
            }
            for (LockInfo l : info.getLockedSynchronizers()) {
                sb.append("    holds ").append(l).append('\n');
            }
        }
        return sb.toString();
    }
}
