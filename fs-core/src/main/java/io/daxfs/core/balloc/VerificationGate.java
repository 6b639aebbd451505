package io.daxfs.core.balloc;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

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

    /** Whether allocation may go on: verified, or nothing to verify. */
    boolean isOpen() {
        return open;
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

    /** Keeps {@code free} for {@link #open} if the gate is still shut; false if the caller frees it now. */
    boolean deferIfShut(F free) {
        if (open) {
            return false;
        }
        synchronized (this) {
            if (deferred == null) {
                return false;
            }
            deferred.add(free);
            return true;
        }
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
