package io.daxfs.nativeio;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native persistence primitives (non-temporal copy and zeroing, cache-line write-back, sfence,
 * MAP_SYNC and device-dax mmap), loaded once from the {@code libdaxfs.so} packed in this jar.
 *
 * <p>Used by fs-core's device layer ({@code NativePersistenceOps}, {@code DeviceOpener}). When the
 * library is absent (built without gcc), does not fit the platform, or is disabled with
 * {@code -Ddaxfs.native=false}, {@link #instance()} is empty and callers use their pure-Java path;
 * either way the first call logs, once, which path is in use.
 *
 * <p>Segments passed in must be native (off-heap or mapped) and alive: the library works on raw
 * addresses, which a heap segment does not have and a closed one no longer owns. The liveness check
 * cannot stop another thread from closing the arena during the call, so owners must not close a
 * mapping while operations on it are in flight (the JDK's FFM downcalls would hold the scope; JNR
 * cannot).
 */
public final class NativePmem {
    private static final Logger LOG = LoggerFactory.getLogger(NativePmem.class);
    private static final String RESOURCE = "/native/linux-x86_64/libdaxfs.so";
    /** Set to {@code false} to force the pure-Java path (tests, debugging). */
    public static final String ENABLE_PROPERTY = "daxfs.native";

    private final LibDaxfs lib;
    private final Path libraryPath;
    private final FlushInstruction flushInstruction;
    private final int copyWidth;

    private NativePmem(LibDaxfs lib, Path libraryPath) {
        this.lib = lib;
        this.libraryPath = libraryPath;
        this.flushInstruction = FlushInstruction.fromCode(lib.daxfs_flush_kind());
        this.copyWidth = lib.daxfs_copy_width();
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
                LOG.info("persistence primitives: native libdaxfs ({}-bit streaming stores, {}, sfence) from {}",
                        pmem.copyWidth * 8, pmem.flushInstruction.mnemonic(), pmem.libraryPath);
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
            Path file = extract();
            LibDaxfs lib = LibraryLoader.create(LibDaxfs.class)
                    // errno is reported through return values; saving it costs on every call.
                    .option(LibraryOption.IgnoreError, true)
                    .search(file.getParent().toString())
                    .load("daxfs");
            return new NativePmem(lib, file);
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

    /** Where the extracted library is (so that a benchmark can bind the same code through FFM). */
    public Path libraryPath() {
        return libraryPath;
    }

    /** The cache-line write-back instruction in use. */
    public FlushInstruction flushInstruction() {
        return flushInstruction;
    }

    /** Width in bits of the streaming stores in use: 512, 256 or 128. */
    public int streamingStoreBits() {
        return copyWidth * 8;
    }

    /** Short description for logs, e.g. "native 512-bit nt, clwb". */
    public String describe() {
        return "native " + streamingStoreBits() + "-bit nt, " + flushInstruction.mnemonic();
    }

    /**
     * Copies all of {@code src} to the start of {@code dst} with non-temporal stores (memcpy_flushcache):
     * durable after the next {@link #sfence()} where the mapping is persistent memory.
     */
    public void copyNonTemporal(MemorySegment src, MemorySegment dst) {
        checkNative(src, "src");
        checkWritable(dst, src.byteSize());
        lib.daxfs_memcpy_nt(dst.address(), src.address(), src.byteSize());
    }

    /** Zeroes {@code dst} with non-temporal stores; durable after the next {@link #sfence()}. */
    public void zeroNonTemporal(MemorySegment dst) {
        checkWritable(dst, dst.byteSize());
        lib.daxfs_zero_nt(dst.address(), dst.byteSize());
    }

    /** Writes back the cache lines of {@code range}; a following {@link #sfence()} orders them. */
    public void flush(MemorySegment range) {
        checkNative(range, "range");
        lib.daxfs_flush(range.address(), range.byteSize());
    }

    /** {@code sfence}. */
    public void sfence() {
        lib.daxfs_sfence();
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
        long result = lib.daxfs_mmap(path.toString(), length, kind.flag | (readOnly ? 1 : 0));
        if (result < 0) {
            throw new NativeMapException(path + ": mmap (" + kind + ") failed: "
                    + lib.daxfs_strerror((int) result), (int) -result);
        }
        long address = result;
        MemorySegment segment = MemorySegment.ofAddress(address).reinterpret(length, arena, unused -> {
            int rc = lib.daxfs_munmap(address, length);
            if (rc != 0) {
                LOG.warn("munmap of {} ({} bytes) failed: {}", path, length, lib.daxfs_strerror(rc));
            }
        });
        return readOnly ? segment.asReadOnly() : segment;
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
