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
 * {@link VerificationGate}: what a shut gate keeps, what opening hands over, what a refusal does,
 * and what an unmount before the verification takes.
 */
class VerificationGateTest {
    @Test
    void anOpenedGateDefersNothing() {
        VerificationGate<Long> gate = VerificationGate.opened();
        assertTrue(gate.isOpen());
        assertFalse(gate.deferIfShut(7L));
        gate.awaitOpen();
    }

    @Test
    void freesMadeWhileShutAreHandedToOpenAndAllocationWaitsForIt() throws Exception {
        VerificationGate<Long> gate = VerificationGate.shut();
        assertTrue(gate.deferIfShut(1L));
        assertTrue(gate.deferIfShut(2L));
        CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
            gate.awaitOpen();
            return gate.isOpen();
        });
        Thread.sleep(100);
        assertFalse(waiter.isDone(), "an allocation waits while the gate is shut");
        List<Long> handed = gate.open(frees -> {
            assertFalse(gate.deferIfShut(3L), "a free made while opening is not deferred");
            return List.copyOf(frees);
        });
        assertEquals(List.of(1L, 2L), handed);
        assertTrue(waiter.get(10, TimeUnit.SECONDS));
        assertFalse(gate.deferIfShut(4L));
    }

    @Test
    void aRefusedGateNeverOpens() throws Exception {
        VerificationGate<Long> gate = VerificationGate.shut();
        CompletableFuture<Errno> waiter = CompletableFuture.supplyAsync(
                () -> assertThrows(FsException.class, gate::awaitOpen).errno());
        gate.refuse("the saved list lies");
        assertEquals(Errno.EROFS, waiter.get(10, TimeUnit.SECONDS));
        gate.open(frees -> null);
        assertFalse(gate.isOpen(), "a refusal stays");
        assertEquals(Errno.EROFS, assertThrows(FsException.class, gate::awaitOpen).errno());
    }

    @Test
    void anUnmountBeforeTheVerificationTakesTheDeferredFreesAndLeavesTheGateShut() {
        VerificationGate<Long> gate = VerificationGate.shut();
        assertTrue(gate.deferIfShut(1L));
        List<Long> taken = new ArrayList<>();
        assertTrue(gate.drainDeferred(taken::addAll));
        assertEquals(List.of(1L), taken);
        assertFalse(gate.isOpen(), "nothing verified: allocation still waits");
        assertTrue(gate.deferIfShut(2L));
        taken.clear();
        assertTrue(gate.drainDeferred(taken::addAll));
        assertEquals(List.of(2L), taken, "each free is handed over once");
    }

    @Test
    void aRefusedOrOpenGateHandsNothingToAnUnmount() {
        VerificationGate<Long> refused = VerificationGate.shut();
        refused.deferIfShut(1L);
        refused.refuse("the saved list lies");
        assertFalse(refused.drainDeferred(frees -> { throw new AssertionError("handed " + frees); }),
                "a list that could not be verified is not saved");
        VerificationGate<Long> open = VerificationGate.opened();
        assertTrue(open.drainDeferred(frees -> { throw new AssertionError("handed " + frees); }));
    }
}
