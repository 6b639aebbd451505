package io.daxfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.fuse.kernel.sys.ErrnoException;
import io.daxfs.fuse.kernel.sys.IoUring;
import io.daxfs.fuse.kernel.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A queue thread's serving loop against kernel answers a real ring cannot be made to give: how it
 * ends on each way the connection goes, retries a REGISTER refused before INIT, and gives up after
 * {@link RingQueue#REREGISTRATIONS} failed COMMIT_AND_FETCH instead of registering forever.
 */
class RingQueueTest {
    private final Arena arena = Arena.ofConfined();
    private final Dispatcher dispatcher =
            new Dispatcher(new NullFileSystem(), new TransportOptions(1 << 20, 1 << 20, 1, 1, 1, false, 0, TransportOptions.Uring.ON));
    private final RingQueue queue = new RingQueue(0, -1, dispatcher, 1 << 20);

    @AfterEach
    void close() {
        arena.close();
    }

    /** Answers each wait with the next scripted result and records the command of each SQE submitted. */
    private final class ScriptedRing implements RingQueue.Ring {
        final Deque<Integer> results = new ArrayDeque<>();
        final List<Integer> commands = new ArrayList<>();
        private final List<MemorySegment> pending = new ArrayList<>();

        ScriptedRing(int... script) {
            for (int r : script) {
                results.add(r);
            }
        }

        @Override
        public MemorySegment nextSqe() {
            MemorySegment sqe = arena.allocate(IoUring.SQE_SIZE, 64);
            pending.add(sqe);
            return sqe;
        }

        private void submit() {
            for (MemorySegment sqe : pending) {
                assertEquals(RingEntry.IORING_OP_URING_CMD, sqe.get(ValueLayout.JAVA_BYTE, 0));
                commands.add(sqe.get(ValueLayout.JAVA_INT, 8));
            }
            pending.clear();
        }

        @Override
        public int submitAndWait() {
            submit();
            assertTrue(!results.isEmpty(), "the loop waited past the end of the script: " + commands);
            return results.poll();
        }
    }

    private static final int REGISTER = RingEntry.CMD_REGISTER;
    private static final int COMMIT = RingEntry.CMD_COMMIT_AND_FETCH;

    @Test
    void commitAndFetchFailingOverAndOverEndsTheThread() throws ErrnoException {
        List<Integer> script = new ArrayList<>();
        for (int i = 0; i <= RingQueue.REREGISTRATIONS; i++) {
            script.add(0); // a request (garbage: answered EIO) ...
            script.add(-FuseError.EIO); // ... whose commit fails
        }
        ScriptedRing ring = new ScriptedRing(script.stream().mapToInt(Integer::intValue).toArray());
        queue.serve(ring, new RingEntry(1 << 20, arena));
        assertEquals(List.of(), List.copyOf(ring.results), "every scripted completion was consumed");
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i <= RingQueue.REREGISTRATIONS; i++) {
            expected.add(REGISTER);
            expected.add(COMMIT);
        }
        assertEquals(expected, ring.commands, "one REGISTER, then one per failed commit but the last");
    }

    @Test
    void theConnectionGoingEndsTheThreadAtOnce() throws ErrnoException {
        for (int errno : new int[] {Syscalls.ENOTCONN, Syscalls.ECONNABORTED, Syscalls.ECANCELED, Syscalls.ENODEV}) {
            ScriptedRing ring = new ScriptedRing(0, 0, -errno);
            new RingQueue(0, -1, dispatcher, 1 << 20).serve(ring, new RingEntry(1 << 20, arena));
            assertEquals(List.of(REGISTER, COMMIT, COMMIT), ring.commands, "errno " + errno);
        }
    }

    @Test
    void aRegisterRefusedBeforeInitIsRetriedAndAnotherRefusalEndsTheThread() throws ErrnoException {
        ScriptedRing ring = new ScriptedRing(-Syscalls.EAGAIN, -Syscalls.EAGAIN, 0, -Syscalls.ENOTCONN);
        queue.serve(ring, new RingEntry(1 << 20, arena));
        assertEquals(List.of(REGISTER, REGISTER, REGISTER, COMMIT), ring.commands);

        ScriptedRing refused = new ScriptedRing(-FuseError.EINVAL);
        new RingQueue(0, -1, dispatcher, 1 << 20).serve(refused, new RingEntry(1 << 20, arena));
        assertEquals(List.of(REGISTER), refused.commands);
    }
}
