package io.daxfs.core.balloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link VerificationGate}: what a shut gate keeps (and that an open one makes nothing for a free),
 * what opening hands over, what a refusal does, and what an unmount before the verification takes.
 */
class VerificationGateTest {
    @Test
    void anOpenedGateDefersNothing() {
        VerificationGate<Long> gate = VerificationGate.opened();
        assertFalse(gate.deferIfShut(7, Long::valueOf));
        gate.awaitOpen();
    }

    /** A free of two values (a block run) is made only while the gate is shut. */
    @Test
    void aFreeIsMadeOnlyWhileTheGateIsShut() {
        VerificationGate<Extent> gate = VerificationGate.shut();
        assertTrue(gate.deferIfShut(5, 3, Extent::new));
        List<Extent> handed = gate.open(List::copyOf);
        assertEquals(List.of(new Extent(5, 3)), handed);
        assertFalse(gate.deferIfShut(6, 1, (start, count) -> { throw new AssertionError("made while open"); }));
        assertFalse(gate.deferIfShut(6, start -> { throw new AssertionError("made while open"); }));
    }

    @Test
    void freesMadeWhileShutAreHandedToOpenAndAllocationWaitsForIt() throws Exception {
        VerificationGate<Long> gate = VerificationGate.shut();
        assertTrue(gate.deferIfShut(1, Long::valueOf));
        assertTrue(gate.deferIfShut(2, Long::valueOf));
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(gate::awaitOpen);
        Thread.sleep(100);
        assertFalse(waiter.isDone(), "an allocation waits while the gate is shut");
        List<Long> handed = gate.open(frees -> {
            assertFalse(gate.deferIfShut(3, Long::valueOf), "a free made while opening is not deferred");
            return List.copyOf(frees);
        });
        assertEquals(List.of(1L, 2L), handed);
        waiter.get(10, TimeUnit.SECONDS); // returns once open() has taken the frees
        assertFalse(gate.deferIfShut(4, Long::valueOf));
    }

    @Test
    void aRefusedGateNeverOpens() throws Exception {
        VerificationGate<Long> gate = VerificationGate.shut();
        CompletableFuture<Errno> waiter = CompletableFuture.supplyAsync(
                () -> assertThrows(FsException.class, gate::awaitOpen).errno());
        gate.refuse("the saved list lies");
        assertEquals(Errno.EROFS, waiter.get(10, TimeUnit.SECONDS));
        gate.open(frees -> null);
        assertEquals(Errno.EROFS, assertThrows(FsException.class, gate::awaitOpen).errno(), "a refusal stays");
    }

    @Test
    void anUnmountBeforeTheVerificationTakesTheDeferredFreesAndLeavesTheGateShut() {
        VerificationGate<Long> gate = VerificationGate.shut();
        assertTrue(gate.deferIfShut(1, Long::valueOf));
        List<Long> taken = new ArrayList<>();
        assertTrue(gate.drainDeferred(taken::addAll));
        assertEquals(List.of(1L), taken);
        assertTrue(gate.deferIfShut(2, Long::valueOf), "nothing verified: the gate stays shut");
        taken.clear();
        assertTrue(gate.drainDeferred(taken::addAll));
        assertEquals(List.of(2L), taken, "each free is handed over once");
    }

    @Test
    void aRefusedOrOpenGateHandsNothingToAnUnmount() {
        VerificationGate<Long> refused = VerificationGate.shut();
        refused.deferIfShut(1, Long::valueOf);
        refused.refuse("the saved list lies");
        assertFalse(refused.drainDeferred(frees -> { throw new AssertionError("handed " + frees); }),
                "a list that could not be verified is not saved");
        VerificationGate<Long> open = VerificationGate.opened();
        assertTrue(open.drainDeferred(frees -> { throw new AssertionError("handed " + frees); }));
    }
}
