package io.daxfs.core.balloc;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * The gate of an allocator whose state came from an untrusted saved list (a clean mount): shut
 * until the mount's verification has read every log (issue #13), so nothing is handed out that a
 * crafted list calls free while a file uses it. Allocations wait at it; frees made meanwhile are
 * kept here and given to {@link #open}; a refused verification keeps it shut for good (EROFS).
 * Used by {@link BlockAllocator} (free extents) and {@link SlotAllocator} (log slots). Thread-safe.
 *
 * @param <F> what a free is (an extent, a slot)
 */
final class VerificationGate<F> {
    /** Read without the lock on the hot paths: true once open (never true after a refusal). */
    private volatile boolean open;
    /** Frees made while shut; null once opened (or refused). */
    private List<F> deferred;
    /** Why the verification failed; then nothing is ever handed out. */
    private String refused;

    private VerificationGate(boolean open) {
        this.open = open;
        this.deferred = open ? null : new ArrayList<>();
    }

    /** A gate with nothing to verify (a new filesystem, a state rebuilt from the logs). */
    static <F> VerificationGate<F> opened() {
        return new VerificationGate<>(true);
    }

    /** A gate shut until {@link #open} or {@link #refuse}. */
    static <F> VerificationGate<F> shut() {
        return new VerificationGate<>(false);
    }

    /**
     * Waits until the gate is open; the caller must hold no lock that {@link #open}'s caller needs.
     *
     * @throws FsException EROFS if the verification was refused
     */
    void awaitOpen() {
        if (open) {
            return;
        }
        synchronized (this) {
            boolean interrupted = false;
            while (deferred != null && refused == null) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (refused != null) {
                throw new FsException(Errno.EROFS, refused);
            }
        }
    }

    /** {@link LongFunction} of two values, which the JDK lacks: makes a free such as a block run. */
    @FunctionalInterface
    interface LongBiFunction<F> {
        F apply(long a, long b);
    }

    /**
     * Keeps the free {@code of(value)} for {@link #open} if the gate is still shut; false if the
     * caller frees it now. The free is made only while shut, so an open gate makes no object for
     * it (pass a factory that captures nothing).
     */
    boolean deferIfShut(long value, LongFunction<F> of) {
        return !open && keepIfShut(of.apply(value));
    }

    /** {@link #deferIfShut(long, LongFunction)} for a free made of two values (a block run's start and count). */
    boolean deferIfShut(long a, long b, LongBiFunction<F> of) {
        return !open && keepIfShut(of.apply(a, b));
    }

    /**
     * Keeps {@code free} unless the gate opened since {@code open} was read: decided under the lock
     * that {@link #open} holds while it takes the deferred frees, so none is kept after that.
     */
    private synchronized boolean keepIfShut(F free) {
        if (deferred == null) {
            return false;
        }
        deferred.add(free);
        return true;
    }

    /**
     * The verification is done: {@code apply} gets the frees made meanwhile (frees it makes itself
     * are not deferred), then the gate opens, unless it was refused. Returns what {@code apply} returns.
     */
    synchronized <R> R open(Function<List<F>, R> apply) {
        List<F> frees = deferred == null ? List.of() : deferred;
        deferred = null;
        R result = apply.apply(frees);
        open = refused == null;
        notifyAll();
        return result;
    }

    /**
     * Unmount before the verification is done: {@code apply} gets the frees made meanwhile, and the
     * gate stays shut. Returns false if the verification was refused (a list it could not verify
     * must not be saved); true, without calling {@code apply}, if the gate is open.
     */
    synchronized boolean drainDeferred(Consumer<List<F>> apply) {
        if (refused != null) {
            return false;
        }
        if (deferred != null) {
            apply.accept(deferred);
            deferred = new ArrayList<>();
        }
        return true;
    }

    /** The verification failed: nothing is handed out, ever. */
    synchronized void refuse(String why) {
        refused = why;
        open = false;
        notifyAll();
    }
}
