package io.daxfs.core.device;

import io.daxfs.nativeio.MapKind;
import io.daxfs.nativeio.NativeMapException;
import io.daxfs.nativeio.NativePmem;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a {@link DaxDevice} by path (the seeds' {@code dax_by_path}); called by {@link DaxDevice#open}.
 *
 * <ul>
 *   <li>a character device is device-dax ({@code /dev/daxX.Y}): native mmap, 2 MiB aligned, size
 *       from sysfs; {@code flush=auto} means {@code cpu};
 *   <li>a block device is pmem ({@code /dev/pmemN}): native {@code MAP_SYNC} mmap, which must
 *       succeed; {@code flush=auto} means {@code cpu};
 *   <li>a regular file (created when {@link DeviceOptions#createSize()} is set): on tmpfs
 *       {@code flush=auto} means {@code none} (volatile, like brd); elsewhere a {@code MAP_SYNC}
 *       mapping is tried first, and its success means a file on a DAX filesystem ({@code cpu});
 *       refused, the file is mapped by the JDK and {@code flush=auto} means {@code msync}.
 * </ul>
 * Native mappings are segments of a shared arena whose close unmaps them, so views handed out
 * before {@link DaxDevice#close} fail with {@link IllegalStateException} afterwards.
 */
final class DeviceOpener {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceOpener.class);
    private static final Pattern DEVICE_DAX_NAME = Pattern.compile("dax\\d+\\.\\d+");
    private static final Pattern PMEM_NAME = Pattern.compile("pmem\\d+(\\.\\d+)?s?");
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFREG = 0100000;
    private static final long PAGE = 4096;

    private DeviceOpener() {}

    static DaxDevice open(Path path, DeviceOptions options) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        if (!Files.exists(path)) {
            refuseMissingDevice(path);
            if (options.createSize() == 0) {
                throw new NoSuchFileException(path.toString(), null,
                        "no such device or file (give a size to create an emulated device)");
            }
            createFile(path, options.createSize());
        }
        int fileType = (Integer) Files.getAttribute(path, "unix:mode") & S_IFMT;
        DaxDevice device = switch (fileType) {
            case S_IFREG -> openFile(path, options);
            case S_IFCHR -> openDeviceDax(path, options);
            case S_IFBLK -> openPmem(path, options);
            default -> throw new IOException(path + ": neither a regular file, a device-dax (/dev/daxX.Y) "
                    + "nor a pmem (/dev/pmemN) device");
        };
        return options.lock() ? LockedDevice.lock(device, path, options.readOnly()) : device;
    }

    /** A missing /dev/daxX.Y or /dev/pmemN is a configuration problem, never a file to create. */
    private static void refuseMissingDevice(Path path) throws IOException {
        Path name = path.getFileName();
        if (name == null || !path.toAbsolutePath().startsWith("/dev")) {
            return;
        }
        if (DEVICE_DAX_NAME.matcher(name.toString()).matches()) {
            throw new NoSuchFileException(path.toString(), null, "no such device-dax device: "
                    + "this machine has no persistent memory namespace in devdax mode "
                    + "(ndctl create-namespace --mode=devdax); use a file instead to emulate one");
        }
        if (PMEM_NAME.matcher(name.toString()).matches()) {
            throw new NoSuchFileException(path.toString(), null, "no such pmem device: "
                    + "this machine has no persistent memory namespace in fsdax mode "
                    + "(ndctl create-namespace --mode=fsdax, or memmap=nn!ss); use a file instead to emulate one");
        }
    }

    private static void createFile(Path path, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            // One byte at the end makes a sparse file of the full size.
            channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
        }
        LOG.info("created {} ({} bytes)", path, size);
    }

    private static DaxDevice openFile(Path path, DeviceOptions options) throws IOException {
        String fsType = Files.getFileStore(path).type();
        boolean volatileMemory = fsType.equals("tmpfs") || fsType.equals("ramfs");
        long size = Files.size(path) & ~(PAGE - 1);
        if (size == 0) {
            throw new IOException(path + ": device is empty (smaller than one 4 KiB page)");
        }
        PersistenceMode requested = options.mode();
        // The native library is only loaded when it can serve (binding it costs a short tool ~0.4 s).
        boolean trySync = !volatileMemory && !options.readOnly()
                && (requested == PersistenceMode.AUTO || requested == PersistenceMode.CPU);
        Optional<NativePmem> pmem = trySync ? NativePmem.instance() : Optional.empty();
        if (pmem.isPresent()) {
            Arena arena = Arena.ofShared();
            try {
                MemorySegment segment = pmem.get().map(path, size, MapKind.SYNC, false, arena);
                logAuto(requested, PersistenceMode.CPU, path, "MAP_SYNC accepted: a file on a DAX filesystem");
                return opened(new SegmentDevice(segment, arena, opsFor(PersistenceMode.CPU),
                        "file " + path + " (MAP_SYNC, " + fsType + ")"));
            } catch (NativeMapException e) {
                arena.close();
                if (!e.mapSyncRefused()) {
                    throw e;
                }
            }
        }
        PersistenceMode mode = requested;
        if (requested == PersistenceMode.AUTO) {
            mode = volatileMemory ? PersistenceMode.NONE : PersistenceMode.MSYNC;
            logAuto(requested, mode, path, volatileMemory
                    ? fsType + " is volatile memory, like brd: flushing buys nothing"
                    : "a file on " + fsType + " (MAP_SYNC refused or unavailable): msync of written ranges");
        }
        Set<StandardOpenOption> openOptions = options.readOnly()
                ? EnumSet.of(StandardOpenOption.READ)
                : EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, openOptions)) {
            MemorySegment segment = channel.map(
                    options.readOnly() ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE,
                    0, size, arena);
            // A read-only mapping takes no stores, so it needs no persistence primitives beyond Java's.
            PersistenceOps ops = options.readOnly() ? new JavaPersistenceOps(mode, false) : opsFor(mode);
            return opened(new SegmentDevice(segment, arena, ops, "file " + path + " (" + fsType + ")"));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static DaxDevice openDeviceDax(Path path, DeviceOptions options) throws IOException {
        String devNo = deviceNumber(path);
        Path sysfs = Path.of("/sys/dev/char", devNo);
        Path sizeFile = sysfs.resolve("size");
        if (!Files.exists(sizeFile)) {
            sizeFile = Path.of("/sys/class/dax", path.getFileName().toString(), "size");
        }
        if (!Files.exists(sizeFile)) {
            throw new IOException(path + ": character device " + devNo + " is not a device-dax device "
                    + "(no size in " + sysfs + " or /sys/class/dax)");
        }
        long size = readSysfsLong(sizeFile);
        PersistenceMode mode = deviceMode(path, options, "device-dax");
        NativePmem pmem = requireNative(path, "device-dax");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment segment = pmem.map(path, size, MapKind.DEVICE_DAX, options.readOnly(), arena);
            return opened(new SegmentDevice(segment, arena, opsFor(mode), "device-dax " + path));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static DaxDevice openPmem(Path path, DeviceOptions options) throws IOException {
        String devNo = deviceNumber(path);
        Path sizeFile = Path.of("/sys/dev/block", devNo, "size");
        if (!Files.exists(sizeFile)) {
            throw new IOException(path + ": block device " + devNo + " has no size in /sys/dev/block");
        }
        long size = readSysfsLong(sizeFile) * 512 & ~(PAGE - 1);
        PersistenceMode mode = deviceMode(path, options, "pmem");
        NativePmem pmem = requireNative(path, "a pmem block device");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment segment = pmem.map(path, size, MapKind.SYNC, options.readOnly(), arena);
            return opened(new SegmentDevice(segment, arena, opsFor(mode), "pmem " + path));
        } catch (NativeMapException e) {
            arena.close();
            if (e.mapSyncRefused()) {
                throw new IOException(path + ": the kernel refused a MAP_SYNC mapping of this block device, "
                        + "so it is not DAX-capable persistent memory; use a device-dax namespace (/dev/daxX.Y) "
                        + "or a file on a filesystem mounted with -o dax", e);
            }
            throw e;
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** A dax or pmem device is flushed with CPU instructions; msync has no page cache to act on. */
    private static PersistenceMode deviceMode(Path path, DeviceOptions options, String kind) throws IOException {
        PersistenceMode mode = options.mode();
        if (mode == PersistenceMode.MSYNC) {
            throw new IOException(path + ": flush=msync does not apply to " + kind + " (no page cache); "
                    + "use flush=cpu or flush=none");
        }
        if (mode == PersistenceMode.AUTO) {
            logAuto(mode, PersistenceMode.CPU, path, kind + " is persistent memory");
            return PersistenceMode.CPU;
        }
        return mode;
    }

    private static NativePmem requireNative(Path path, String kind) throws IOException {
        Optional<NativePmem> pmem = NativePmem.instance();
        if (pmem.isEmpty()) {
            throw new IOException(path + ": mapping " + kind + " needs the native library, which is unavailable: "
                    + NativePmem.unavailableReason().orElse("unknown"));
        }
        return pmem.get();
    }

    /** The persistence primitives of a resolved mode, native where the library loaded. */
    static PersistenceOps opsFor(PersistenceMode mode) {
        return switch (mode) {
            case NONE -> NativePmem.instance().<PersistenceOps>map(pmem -> new NativePersistenceOps(pmem, mode))
                    .orElseGet(JavaPersistenceOps::none);
            case MSYNC -> new JavaPersistenceOps(PersistenceMode.MSYNC, true);
            case CPU -> NativePmem.instance().<PersistenceOps>map(pmem -> new NativePersistenceOps(pmem, mode))
                    .orElseGet(() -> new JavaPersistenceOps(PersistenceMode.CPU, true));
            case AUTO -> throw new IllegalArgumentException("AUTO must be resolved before choosing operations");
        };
    }

    private static void logAuto(PersistenceMode requested, PersistenceMode chosen, Path path, String why) {
        if (requested == PersistenceMode.AUTO) {
            LOG.info("{}: flush=auto chose flush={}: {}", path, chosen.optionName(), why);
        }
    }

    private static DaxDevice opened(DaxDevice device) {
        if (LOG.isInfoEnabled()) { // describe() asks the native library what it uses: downcalls cost start-up
            LOG.info("opened {}", device.describe());
        }
        return device;
    }

    /** "MAJOR:MINOR" of a device node, decoded as glibc's major()/minor() do. */
    private static String deviceNumber(Path path) throws IOException {
        long rdev = (Long) Files.getAttribute(path, "unix:rdev");
        long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & 0xfffff000L);
        long minor = (rdev & 0xff) | ((rdev >>> 12) & 0xffffff00L);
        return major + ":" + minor;
    }

    private static long readSysfsLong(Path file) throws IOException {
        String text = Files.readString(file).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": expected a number, found '" + text + "'", e);
        }
    }
}
