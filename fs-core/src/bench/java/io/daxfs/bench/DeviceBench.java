package io.daxfs.bench;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.device.PersistenceMode;
import io.daxfs.nativeio.NativePmem;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;

/**
 * The device layer's costs in one table ({@code bin/bench device}): copy bandwidth of the
 * flushcache copy vs a plain copy into the same /dev/shm mapping vs heap to heap; flush cost per
 * 4 KiB in each persistence mode; and what a call costs through JNR-FFI vs a JDK FFM downcall of
 * the same libdaxfs function.
 */
public final class DeviceBench {
    private static final long DEVICE_SIZE = 1L << 30;
    /** Far larger than any last-level cache (32 MiB here, up to ~1 GiB on big servers), so copies reach memory. */
    private static final long WORKING_SET = DEVICE_SIZE;
    private static final long MSYNC_WORKING_SET = 16L << 20;
    private static final int PAGE = 4096;

    private static final NativePmem PMEM = NativePmem.instance().orElse(null);
    /** The JNR-FFI binding daxfs used before FFM: raw addresses, no argument checks. */
    public interface JnrDaxfs {
        void daxfs_memcpy_nt(long dst, long src, long n);

        void daxfs_sfence();
    }

    /** A raw JNR binding, without NativePmem's argument checks, to compare bindings fairly. */
    private static final JnrDaxfs JNR = PMEM == null ? null : LibraryLoader.create(JnrDaxfs.class)
            .option(LibraryOption.IgnoreError, true)
            .search(PMEM.libraryPath().getParent().toString())
            .load("daxfs");
    private static final MethodHandle FFM_SFENCE = downcall("daxfs_sfence", FunctionDescriptor.ofVoid());
    private static final MethodHandle FFM_SFENCE_CRITICAL = downcall("daxfs_sfence", FunctionDescriptor.ofVoid(),
            Linker.Option.critical(false));
    private static final FunctionDescriptor COPY = FunctionDescriptor.ofVoid(
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
    private static final MethodHandle FFM_COPY = downcall("daxfs_memcpy_nt", COPY);
    private static final MethodHandle FFM_COPY_CRITICAL = downcall("daxfs_memcpy_nt", COPY,
            Linker.Option.critical(false));

    private final List<Path> files = new ArrayList<>();

    private DeviceBench() {}

    public static void main(String[] args) throws Throwable {
        // The devices log each open at INFO; the table is the output here.
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        DeviceBench bench = new DeviceBench();
        try {
            bench.run();
        } finally {
            bench.deleteFiles();
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        if (PMEM == null) {
            return null;
        }
        SymbolLookup library = SymbolLookup.libraryLookup(PMEM.libraryPath(), Arena.global());
        return Linker.nativeLinker().downcallHandle(library.findOrThrow(name), descriptor, options);
    }

    private void run() throws Throwable {
        System.out.printf("daxfs device benchmark: JDK %s, %s, %d cores%n", Runtime.version(),
                PMEM == null ? "native library unavailable (" + NativePmem.unavailableReason().orElse("?") + ")"
                        : PMEM.describe(),
                Runtime.getRuntime().availableProcessors());
        System.out.println("best of 5 timed batches after warm-up; copies cycle over " + (WORKING_SET >> 20)
                + " MiB of a /dev/shm file device");
        System.out.println();
        copyBandwidth();
        System.out.println();
        flushCost();
        System.out.println();
        callCost();
    }

    private void copyBandwidth() throws Exception {
        try (DaxDevice device = open(ShmImages.path("devicebench", "copy"), DEVICE_SIZE, PersistenceMode.CPU);
                Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(1 << 20, PAGE);
            byte[] noise = new byte[1 << 20];
            new Random(3).nextBytes(noise);
            MemorySegment.copy(MemorySegment.ofArray(noise), 0, src, 0, noise.length);
            MemorySegment mapping = device.mapWritable(0, WORKING_SET, arena);
            MemorySegment heapSrc = MemorySegment.ofArray(noise);
            MemorySegment heapDst = MemorySegment.ofArray(new byte[(int) WORKING_SET]);
            int[] chunks = {PAGE, 1 << 20};
            System.out.printf("%-46s %10s %10s%n", "copy bandwidth, GiB/s", "4 KiB", "1 MiB");
            String ntName = PMEM == null ? "copyIn, java fallback (copy + force)" : "copyIn = flushcache copy (native nt)";
            double[] row = new double[2];
            for (int i = 0; i < 2; i++) {
                int chunk = chunks[i];
                MemorySegment piece = src.asSlice(0, chunk);
                row[i] = Measure.gibPerSecond(chunk, n -> {
                    long offset = 0;
                    for (long k = 0; k < n; k++) {
                        device.copyIn(piece, offset);
                        offset = (offset + chunk) % WORKING_SET;
                    }
                });
            }
            printRow(ntName, row);
            for (int i = 0; i < 2; i++) {
                int chunk = chunks[i];
                row[i] = Measure.gibPerSecond(chunk, n -> {
                    long offset = 0;
                    for (long k = 0; k < n; k++) {
                        MemorySegment.copy(src, 0, mapping, offset, chunk);
                        offset = (offset + chunk) % WORKING_SET;
                    }
                });
            }
            printRow("MemorySegment.copy into the same mapping", row);
            for (int i = 0; i < 2; i++) {
                int chunk = chunks[i];
                row[i] = Measure.gibPerSecond(chunk, n -> {
                    long offset = 0;
                    for (long k = 0; k < n; k++) {
                        MemorySegment.copy(heapSrc, 0, heapDst, offset, chunk);
                        offset = (offset + chunk) % WORKING_SET;
                    }
                });
            }
            printRow("heap to heap MemorySegment.copy (reference)", row);
        }
    }

    private static void printRow(String name, double[] values) {
        System.out.printf("  %-44s %10.2f %10.2f%n", name, values[0], values[1]);
    }

    private void flushCost() throws Exception {
        Path disk = diskDirectory();
        // Both columns are shown rather than their difference: on a shared 2-core machine the noise
        // of the write alone is often larger than a cheap flush.
        System.out.printf("%-46s %12s %14s%n", "flush cost per 4 KiB, ns", "write only", "write+flush");
        System.out.printf("%-46s %12s %14s%n", "  (cached 4 KiB store, then flush + fence)", "", "+fence");
        flushRow("none (tmpfs file, flush=auto)", ShmImages.path("devicebench", "auto"), PersistenceMode.AUTO,
                WORKING_SET);
        flushRow("msync on tmpfs (force; the cpu fallback there)", ShmImages.path("devicebench", "msync"),
                PersistenceMode.MSYNC, WORKING_SET);
        // Not in /dev/shm, so out of the reach of ShmImages' hook: a signal may leave these 16 MiB behind.
        flushRow("msync on a disk file (" + Files.getFileStore(disk).type() + ", force)",
                disk.resolve("daxfs-devicebench-" + ProcessHandle.current().pid() + ".img"), PersistenceMode.MSYNC,
                MSYNC_WORKING_SET);
        if (PMEM != null) {
            flushRow("cpu (native " + PMEM.flushInstruction().mnemonic() + " + sfence, tmpfs)",
                    ShmImages.path("devicebench", "cpu"), PersistenceMode.CPU, WORKING_SET);
        }
    }

    private void flushRow(String name, Path file, PersistenceMode mode, long workingSet) throws Exception {
        try (DaxDevice device = open(file, workingSet, mode)) {
            MemorySegment data = MemorySegment.ofArray(new byte[PAGE]).fill((byte) 1);
            double writeOnly = Measure.nanosPerOp(n -> {
                long offset = 0;
                for (long k = 0; k < n; k++) {
                    device.write(data, offset);
                    offset = (offset + PAGE) % workingSet;
                }
            });
            double withFlush = Measure.nanosPerOp(n -> {
                long offset = 0;
                for (long k = 0; k < n; k++) {
                    device.write(data, offset);
                    device.flush(offset, PAGE);
                    device.fence();
                    offset = (offset + PAGE) % workingSet;
                }
            });
            System.out.printf("  %-44s %12.0f %14.0f%n", name, writeOnly, withFlush);
        }
    }

    private void callCost() throws Throwable {
        if (PMEM == null) {
            System.out.println("native call cost: skipped, the native library is unavailable");
            return;
        }
        System.out.printf("%-46s %10s %10s %12s%n", "native call cost, ns/call", "JNR-FFI", "FFM",
                "FFM critical");
        double jnr = Measure.nanosPerOp(n -> {
            for (long k = 0; k < n; k++) {
                JNR.daxfs_sfence();
            }
        });
        double ffm = Measure.nanosPerOp(n -> {
            for (long k = 0; k < n; k++) {
                try {
                    FFM_SFENCE.invokeExact();
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
            }
        });
        double critical = Measure.nanosPerOp(n -> {
            for (long k = 0; k < n; k++) {
                try {
                    FFM_SFENCE_CRITICAL.invokeExact();
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
            }
        });
        System.out.printf("  %-44s %10.1f %10.1f %12.1f%n", "daxfs_sfence()", jnr, ffm, critical);
        double facadeFence = Measure.nanosPerOp(n -> {
            for (long k = 0; k < n; k++) {
                PMEM.sfence();
            }
        });
        System.out.printf("  %-44s %10.1f%n", "NativePmem.sfence() (FFM critical)", facadeFence);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(64, 64).fill((byte) 7);
            MemorySegment dst = arena.allocate(64, 64);
            long srcAddress = src.address();
            long dstAddress = dst.address();
            jnr = Measure.nanosPerOp(n -> {
                for (long k = 0; k < n; k++) {
                    JNR.daxfs_memcpy_nt(dstAddress, srcAddress, 64);
                }
            });
            ffm = Measure.nanosPerOp(n -> {
                for (long k = 0; k < n; k++) {
                    try {
                        FFM_COPY.invokeExact(dst, src, 64L);
                    } catch (Throwable t) {
                        throw new AssertionError(t);
                    }
                }
            });
            critical = Measure.nanosPerOp(n -> {
                for (long k = 0; k < n; k++) {
                    try {
                        FFM_COPY_CRITICAL.invokeExact(dst, src, 64L);
                    } catch (Throwable t) {
                        throw new AssertionError(t);
                    }
                }
            });
            System.out.printf("  %-44s %10.1f %10.1f %12.1f%n", "daxfs_memcpy_nt(64 B)", jnr, ffm, critical);
            double facade = Measure.nanosPerOp(n -> {
                for (long k = 0; k < n; k++) {
                    PMEM.copyNonTemporal(src, dst);
                }
            });
            System.out.printf("  %-44s %10.1f%n", "NativePmem.copyNonTemporal(64 B) (checks + FFM)", facade);
        }
    }

    private DaxDevice open(Path file, long size, PersistenceMode mode) throws IOException {
        files.add(file);
        Files.deleteIfExists(file);
        return DaxDevice.open(file, DeviceOptions.defaults().withCreateSize(size).withMode(mode));
    }

    /** A directory on a disk, for the msync row: java.io.tmpdir unless that is tmpfs too. */
    private static Path diskDirectory() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        return Files.getFileStore(tmp).type().equals("tmpfs") ? Path.of("/var/tmp") : tmp;
    }

    private void deleteFiles() throws IOException {
        for (Path file : files) {
            Files.deleteIfExists(file);
        }
    }
}
