package io.daxfs.nativeio;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native persistence primitives (non-temporal copy and zeroing, cache-line write-back, sfence,
 * MAP_SYNC and device-dax mmap), loaded once from the {@code libdaxfs.so} packed in this jar
 * ({@code native/src/main/c/daxfs_native.c}) and called through JDK FFM downcalls.
 *
 * <p>Used by fs-core's device layer ({@code NativePersistenceOps}, {@code DeviceOpener}). When the
 * library is absent (built without gcc), does not fit the platform, or is disabled with
 * {@code -Ddaxfs.native=false}, {@link #instance()} is empty and callers use their pure-Java path;
 * either way the first call logs, once, which path is in use.
 *
 * <p>Segments passed in must be native (off-heap or mapped). A downcall holds the scope of every
 * segment it is given for the length of the call, so a mapping closed by another thread meanwhile
 * makes that close fail instead of unmapping memory the library is writing (raw addresses, as
 * JNR-FFI passed them, could not do that). The {@code ...At} variants take raw addresses instead, for
 * a caller that owns the memory's lifetime itself and must not make a segment per call (fs-core's
 * {@code SegmentDevice}). Calls on ranges up to {@link #CRITICAL_LIMIT} bytes are
 * critical downcalls (no thread-state transition: the cost of an sfence or a 4 KiB copy is the
 * instruction's); longer ones are ordinary downcalls, so a garbage collection need not wait for them.
 */
public final class NativePmem {
    private static final Logger LOG = LoggerFactory.getLogger(NativePmem.class);
    private static final String RESOURCE = "/native/linux-x86_64/libdaxfs.so";
    /** Set to {@code false} to force the pure-Java path (tests, debugging). */
    public static final String ENABLE_PROPERTY = "daxfs.native";
    /**
     * The library as an installed file (bin/package puts it next to the jars and the launchers name
     * it), loaded in place; without it the copy in this jar is extracted to a temporary file.
     */
    public static final String LIBRARY_PROPERTY = "daxfs.native.library";

    /** Ranges up to this many bytes go through the critical downcalls (see the class comment). */
    public static final long CRITICAL_LIMIT = 64 * 1024;

    private static final FunctionDescriptor COPY = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
    private static final FunctionDescriptor RANGE = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG);
    /**
     * The same functions with the pointers passed as 64-bit integers (the x86-64 ABI passes both in
     * the same registers): for the {@code ...At} calls, which take raw addresses.
     */
    private static final FunctionDescriptor COPY_RAW = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
    private static final FunctionDescriptor RANGE_RAW = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG);

    private final Path libraryPath;
    private final Downcall copyNt;
    private final Downcall copyNtCritical;
    private final Downcall zeroNt;
    private final Downcall zeroNtCritical;
    private final Downcall flush;
    private final Downcall flushCritical;
    private final Downcall copyNtRaw;
    private final Downcall copyNtRawCritical;
    private final Downcall zeroNtRaw;
    private final Downcall zeroNtRawCritical;
    private final Downcall flushRaw;
    private final Downcall flushRawCritical;
    private final Downcall sfence;
    private final Downcall mmap;
    private final Downcall munmap;
    private final Downcall strerror;
    private final Downcall flushKind;
    private final Downcall copyWidth;
    /** What the library found in CPUID, asked for when first wanted (each downcall handle costs start-up). */
    private volatile FlushInstruction flushInstruction;
    private volatile int copyWidthBytes;

    private NativePmem(SymbolLookup library, Path libraryPath) {
        this.libraryPath = libraryPath;
        Linker.Option critical = Linker.Option.critical(false);
        this.copyNt = new Downcall(library, "daxfs_memcpy_nt", COPY);
        this.copyNtCritical = new Downcall(library, "daxfs_memcpy_nt", COPY, critical);
        this.zeroNt = new Downcall(library, "daxfs_zero_nt", RANGE);
        this.zeroNtCritical = new Downcall(library, "daxfs_zero_nt", RANGE, critical);
        this.flush = new Downcall(library, "daxfs_flush", RANGE);
        this.flushCritical = new Downcall(library, "daxfs_flush", RANGE, critical);
        this.copyNtRaw = new Downcall(library, "daxfs_memcpy_nt", COPY_RAW);
        this.copyNtRawCritical = new Downcall(library, "daxfs_memcpy_nt", COPY_RAW, critical);
        this.zeroNtRaw = new Downcall(library, "daxfs_zero_nt", RANGE_RAW);
        this.zeroNtRawCritical = new Downcall(library, "daxfs_zero_nt", RANGE_RAW, critical);
        this.flushRaw = new Downcall(library, "daxfs_flush", RANGE_RAW);
        this.flushRawCritical = new Downcall(library, "daxfs_flush", RANGE_RAW, critical);
        this.sfence = new Downcall(library, "daxfs_sfence", FunctionDescriptor.ofVoid(), critical);
        this.mmap = new Downcall(library, "daxfs_mmap", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        this.munmap = new Downcall(library, "daxfs_munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        this.strerror = new Downcall(library, "daxfs_strerror", FunctionDescriptor.of(ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT));
        FunctionDescriptor intResult = FunctionDescriptor.of(ValueLayout.JAVA_INT);
        this.flushKind = new Downcall(library, "daxfs_flush_kind", intResult);
        this.copyWidth = new Downcall(library, "daxfs_copy_width", intResult);
    }

    /**
     * A downcall handle made on its first call. Making one generates classes at run time (the AOT
     * cache cannot hold them), ~10-20 ms each in a cold JVM, and a run needs only some of them (a
     * mount on tmpfs neither maps natively nor copies more than {@link #CRITICAL_LIMIT} at once).
     * Two threads may both make it; the linker hands out equivalent handles.
     */
    private static final class Downcall {
        private final SymbolLookup library;
        private final String name;
        private final FunctionDescriptor descriptor;
        private final Linker.Option[] options;
        private volatile MethodHandle handle;

        Downcall(SymbolLookup library, String name, FunctionDescriptor descriptor, Linker.Option... options) {
            this.library = library;
            this.name = name;
            this.descriptor = descriptor;
            this.options = options;
        }

        MethodHandle get() {
            MethodHandle h = handle;
            if (h == null) {
                h = Linker.nativeLinker().downcallHandle(library.findOrThrow(name), descriptor, options);
                handle = h;
            }
            return h;
        }
    }

    /** The loaded library, or empty when the pure-Java fallback must be used. */
    public static Optional<NativePmem> instance() {
        return Holder.INSTANCE;
    }

    /** Why {@link #instance()} is empty, or empty when the library is loaded. */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(Holder.reason);
    }

    /** Lazy, thread-safe, one-time load; the class initialisation is what makes the log line appear once. */
    private static final class Holder {
        static String reason;
        static final Optional<NativePmem> INSTANCE = load();

        private static Optional<NativePmem> load() {
            try {
                NativePmem pmem = tryLoad();
                if (LOG.isInfoEnabled()) {
                    LOG.info("persistence primitives: native libdaxfs ({}-bit streaming stores, {}, sfence) from {}",
                            pmem.streamingStoreBits(), pmem.flushInstruction().mnemonic(), pmem.libraryPath);
                }
                return Optional.of(pmem);
            } catch (IOException | LinkageError | RuntimeException e) {
                reason = e.getMessage();
                LOG.info("persistence primitives: pure Java (MemorySegment.copy + force), native libdaxfs unavailable: {}",
                        reason);
                return Optional.empty();
            }
        }

        private static NativePmem tryLoad() throws IOException {
            if (!Boolean.parseBoolean(System.getProperty(ENABLE_PROPERTY, "true"))) {
                throw new IOException("disabled by -D" + ENABLE_PROPERTY + "=false");
            }
            String os = System.getProperty("os.name", "");
            String arch = System.getProperty("os.arch", "");
            if (!os.toLowerCase(Locale.ROOT).startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
                throw new IOException("built for x86-64 Linux only, this is " + os + "/" + arch);
            }
            String installed = System.getProperty(LIBRARY_PROPERTY);
            Path file = installed != null ? Path.of(installed) : extract();
            return new NativePmem(SymbolLookup.libraryLookup(file, Arena.global()), file);
        }

        /** Copies the packed library to a private temporary directory, removed when the JVM exits. */
        private static Path extract() throws IOException {
            try (InputStream in = NativePmem.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IOException(RESOURCE + " is not in the jar (the build found no gcc)");
                }
                Path dir = Files.createTempDirectory("daxfs-native");
                Path file = dir.resolve("libdaxfs.so");
                // Registered in this order so that the file is deleted before its directory.
                dir.toFile().deleteOnExit();
                file.toFile().deleteOnExit();
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                return file;
            }
        }
    }

    /** Where the extracted library is (so that a benchmark can bind the same code another way). */
    public Path libraryPath() {
        return libraryPath;
    }

    /** The cache-line write-back instruction in use. */
    public FlushInstruction flushInstruction() {
        FlushInstruction instruction = flushInstruction;
        if (instruction == null) {
            instruction = FlushInstruction.fromCode(callInt(flushKind));
            flushInstruction = instruction;
        }
        return instruction;
    }

    /** Width in bits of the streaming stores in use: 512, 256 or 128. */
    public int streamingStoreBits() {
        int bytes = copyWidthBytes;
        if (bytes == 0) {
            bytes = callInt(copyWidth);
            copyWidthBytes = bytes;
        }
        return bytes * 8;
    }

    /** Short description for logs, e.g. "native 512-bit nt, clwb". */
    public String describe() {
        return "native " + streamingStoreBits() + "-bit nt, " + flushInstruction().mnemonic();
    }

    private static int callInt(Downcall function) {
        try {
            return (int) function.get().invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Copies all of {@code src} to the start of {@code dst} with non-temporal stores (memcpy_flushcache):
     * durable after the next {@link #sfence()} where the mapping is persistent memory.
     */
    public void copyNonTemporal(MemorySegment src, MemorySegment dst) {
        checkNative(src, "src");
        checkWritable(dst, src.byteSize());
        long n = src.byteSize();
        try {
            if (n <= CRITICAL_LIMIT) {
                copyNtCritical.get().invokeExact(dst, src, n);
            } else {
                copyNt.get().invokeExact(dst, src, n);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Zeroes {@code dst} with non-temporal stores; durable after the next {@link #sfence()}. */
    public void zeroNonTemporal(MemorySegment dst) {
        checkWritable(dst, dst.byteSize());
        long n = dst.byteSize();
        try {
            if (n <= CRITICAL_LIMIT) {
                zeroNtCritical.get().invokeExact(dst, n);
            } else {
                zeroNt.get().invokeExact(dst, n);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Writes back the cache lines of {@code range}; a following {@link #sfence()} orders them. */
    public void flush(MemorySegment range) {
        checkNative(range, "range");
        long n = range.byteSize();
        try {
            if (n <= CRITICAL_LIMIT) {
                flushCritical.get().invokeExact(range, n);
            } else {
                flush.get().invokeExact(range, n);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@link #copyNonTemporal} between raw addresses, for a caller that owns the memory's lifetime
     * and has checked the ranges (the device layer: a slice object per call was most of its
     * garbage). Nothing holds the memory during the call: the caller must keep it mapped and
     * reachable until the call returns.
     */
    public void copyNonTemporalAt(long dstAddress, long srcAddress, long length) {
        checkRaw(dstAddress, length);
        checkRaw(srcAddress, length);
        try {
            if (length <= CRITICAL_LIMIT) {
                copyNtRawCritical.get().invokeExact(dstAddress, srcAddress, length);
            } else {
                copyNtRaw.get().invokeExact(dstAddress, srcAddress, length);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@link #zeroNonTemporal} at a raw address; the caller's duties are those of {@link #copyNonTemporalAt}. */
    public void zeroNonTemporalAt(long dstAddress, long length) {
        checkRaw(dstAddress, length);
        try {
            if (length <= CRITICAL_LIMIT) {
                zeroNtRawCritical.get().invokeExact(dstAddress, length);
            } else {
                zeroNtRaw.get().invokeExact(dstAddress, length);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@link #flush} at a raw address; the caller's duties are those of {@link #copyNonTemporalAt}. */
    public void flushAt(long address, long length) {
        checkRaw(address, length);
        try {
            if (length <= CRITICAL_LIMIT) {
                flushRawCritical.get().invokeExact(address, length);
            } else {
                flushRaw.get().invokeExact(address, length);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code sfence}. */
    public void sfence() {
        try {
            sfence.get().invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Maps the first {@code length} bytes of {@code path} shared, as {@code kind} says, into a
     * segment owned by {@code arena}: closing the arena unmaps it, and views of it fail with
     * {@link IllegalStateException} afterwards instead of touching unmapped memory.
     *
     * @throws NativeMapException when the kernel refuses (see {@link NativeMapException#mapSyncRefused()})
     */
    public MemorySegment map(Path path, long length, MapKind kind, boolean readOnly, Arena arena)
            throws NativeMapException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(arena, "arena");
        if (length <= 0) {
            throw new IllegalArgumentException("mapping length must be positive: " + length);
        }
        long result;
        try (Arena call = Arena.ofConfined()) {
            result = (long) mmap.get().invokeExact(call.allocateFrom(path.toString()), length,
                    kind.flag | (readOnly ? 1 : 0));
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (result < 0) {
            throw new NativeMapException(path + ": mmap (" + kind + ") failed: " + errorText((int) result),
                    (int) -result);
        }
        long address = result;
        MemorySegment segment = MemorySegment.ofAddress(address).reinterpret(length, arena, unused -> {
            int rc = unmap(address, length);
            if (rc != 0) {
                LOG.warn("munmap of {} ({} bytes) failed: {}", path, length, errorText(rc));
            }
        });
        return readOnly ? segment.asReadOnly() : segment;
    }

    private int unmap(long address, long length) {
        try {
            return (int) munmap.get().invokeExact(address, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The library's text for a negative error code. */
    private String errorText(int negativeError) {
        try {
            MemorySegment text = (MemorySegment) strerror.get().invokeExact(negativeError);
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * What a failed downcall threw, to rethrow: the handles' own checks (a closed or wrong segment)
     * throw unchecked exceptions; the C functions throw nothing.
     */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return t instanceof RuntimeException e ? e : new IllegalStateException(t);
    }

    /** What can be checked of a raw range: no null page, no negative length, no wrap-around. */
    private static void checkRaw(long address, long length) {
        if (address == 0 || length < 0 || address + length < address) {
            throw new IllegalArgumentException("bad raw range: " + length + " bytes at 0x" + Long.toHexString(address));
        }
    }

    private static void checkNative(MemorySegment segment, String name) {
        Objects.requireNonNull(segment, name);
        if (!segment.isNative()) {
            throw new IllegalArgumentException(name + " must be a native or mapped segment, not a heap segment");
        }
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException(name + ": already closed");
        }
    }

    private static void checkWritable(MemorySegment dst, long length) {
        checkNative(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("dst is read-only");
        }
        if (length > dst.byteSize()) {
            throw new IndexOutOfBoundsException("copy of " + length + " bytes into a segment of " + dst.byteSize());
        }
    }
}
