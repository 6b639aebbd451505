import io.daxfs.fuse.kernel.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * FFM vs JNR-FFI on the transport's hot calls, writev and read, against /dev/null and /dev/zero
 * (what a call costs, without FUSE): SyscallBench [CALLS]. Prints ns per call, median of 5 rounds.
 */
public class SyscallBench {
    public interface LibC {
        long writev(int fd, Pointer iov, int count);

        long read(int fd, Pointer buf, long count);
    }

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        LibC libc = LibraryLoader.create(LibC.class).load("c");
        Runtime runtime = Runtime.getRuntime(libc);
        try (Arena arena = Arena.ofConfined()) {
            int devNull = Syscalls.open("/dev/null", Syscalls.O_RDWR);
            int devZero = Syscalls.open("/dev/zero", Syscalls.O_RDWR);
            MemorySegment buf = arena.allocate(4096, 4096);
            MemorySegment iov = arena.allocate(Syscalls.IOVEC, 2);
            iov.setAtIndex(ValueLayout.ADDRESS, 0, buf);
            iov.setAtIndex(ValueLayout.JAVA_LONG, 1, 16);
            iov.setAtIndex(ValueLayout.ADDRESS, 2, buf);
            iov.setAtIndex(ValueLayout.JAVA_LONG, 3, 4096);
            Pointer jIov = Pointer.wrap(runtime, iov.address());
            Pointer jBuf = Pointer.wrap(runtime, buf.address());
            for (int round = 0; round < 5; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    Syscalls.writev(devNull, iov, 2);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    libc.writev(devNull, jIov, 2);
                }
                long t2 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    Syscalls.read(devZero, buf);
                }
                long t3 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    libc.read(devZero, jBuf, 4096);
                }
                long t4 = System.nanoTime();
                System.out.printf("round %d: writev ffm %.0f jnr %.0f ns; read 4 KiB ffm %.0f jnr %.0f ns%n", round,
                        (t1 - t0) / (double) calls, (t2 - t1) / (double) calls, (t3 - t2) / (double) calls,
                        (t4 - t3) / (double) calls);
            }
        }
    }
}
