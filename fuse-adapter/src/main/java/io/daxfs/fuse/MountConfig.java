package io.daxfs.fuse;

import io.daxfs.core.MountOptions;
import io.daxfs.core.device.PersistenceMode;
import io.daxfs.fuse.kernel.TransportOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The parsed command line of {@code daxfs DEVICE MOUNTPOINT [-o opt[,opt…]] [-f] [-d] [-s]}: what
 * to mount where, how fs-core serves it, and which options go to libfuse. Everything is checked
 * here, before any device is touched, so a bad option never harms a mounted filesystem.
 *
 * @param kernelFlags mount flags handed to libfuse unchanged (nodev, nosuid, noexec, sync…)
 * @param transport how FUSE requests reach daxfs
 * @param indexCacheBytes DRAM kept for indexes of inodes not in use ({@link MountOptions#indexCacheBytes})
 * @param spinMicros how long the kernel transport polls for the next request before it blocks
 *     ({@link io.daxfs.fuse.kernel.TransportOptions#spinMicros})
 * @param uring whether the kernel transport serves through FUSE over io_uring where the kernel offers it
 *     ({@link TransportOptions.Uring})
 * @param threads how many threads serve the kernel transport's {@code /dev/fuse} (1 with loop=single)
 */
record MountConfig(Path device, Path mountPoint, boolean readOnly, Dax dax, PersistenceMode flush,
        MountOptions.Writeback writeback, MountOptions.Atime atime, boolean dirAtime, boolean allowOther,
        boolean defaultPermissions, String fsname, String subtype, int maxWrite, int maxRead,
        double attrTimeout, double entryTimeout, boolean foreground, boolean debug, boolean singleThread,
        List<String> kernelFlags, Transport transport, long indexCacheBytes, int spinMicros, TransportOptions.Uring uring,
        int threads) {

    /** Largest request libfuse2 will send: 32 pages. */
    static final int MAX_REQUEST = 128 * 1024;
    /** Largest request of the kernel transport: 256 pages (FUSE_MAX_PAGES). */
    static final int MAX_KERNEL_REQUEST = 1024 * 1024;

    /**
     * The {@code transport=} option: daxfs's own reader of {@code /dev/fuse} (Linux, the default
     * there) or jnr-fuse over libfuse2 (the portable path, the default elsewhere; its limits are in
     * docs/OPERATIONS.md). See docs/ARCHITECTURE.md.
     */
    enum Transport {
        KERNEL, JNR;

        /** The kernel protocol is Linux's; any other system gets libfuse through jnr-fuse. */
        static Transport platformDefault() {
            return System.getProperty("os.name", "").startsWith("Linux") ? KERNEL : JNR;
        }
    }

    /** The {@code dax=} option: which files bypass the kernel page cache (direct I/O). */
    enum Dax {
        /** Every file is opened direct_io; such files cannot be mapped MAP_SHARED. */
        ALWAYS,
        /** Every file goes through the kernel page cache. */
        NEVER,
        /** Files with the per-inode DAX flag are direct_io, the others use the page cache. */
        INODE
    }

    /** The {@code loop=} option: libfuse's single-threaded loop ({@code -s}) or its multi-threaded one. */
    enum Loop {
        SINGLE, MULTI
    }

    static final String VALID_OPTIONS = "ro, rw, dax=always|never|inode (inode; dax alone = dax=always), "
            + "flush=auto|cpu|msync|none (auto), writeback=sync|fsync (sync), atime|noatime|relatime|strictatime "
            + "(relatime), diratime|nodiratime (diratime), lazytime|nolazytime (no effect), allow_other, "
            + "default_permissions, fsname=NAME (the device path), subtype=NAME (daxfs; empty: type fuse), "
            + "max_write=BYTES (131072; kernel: 1048576), max_read=BYTES (same), attr_timeout=SECONDS (1), "
            + "entry_timeout=SECONDS (1), loop=single|multi (jnr: single, kernel: multi), transport=kernel|jnr (kernel on Linux), "
            + "spin=MICROSECONDS (kernel: 50; 0 = never; no effect with jnr), "
            + "threads=N (kernel: one per CPU, at least 2; 1.." + TransportOptions.MAX_THREADS
            + "; no effect with jnr), "
            + "uring[=on|off|auto] (off; uring = on; kernel: FUSE over io_uring where Linux offers it, auto: "
            + "falls back without a warning; no effect with jnr), "
            + "index_cache=BYTES[K|M|G] (a quarter of the Java heap), "
            + "dev, nodev, suid, nosuid, exec, noexec, sync, async, dirsync, defaults; fstab's auto, noauto, nofail, "
            + "_netdev, x-*, comment= are ignored";

    private static final Set<String> KERNEL_FLAGS =
            Set.of("dev", "nodev", "suid", "nosuid", "exec", "noexec", "sync", "async", "dirsync");
    /**
     * Accepted and without effect: lazytime defers inode time writes, and daxfs logs each time with
     * the operation that changes it (atime follows the atime policy); fstab's own options are for
     * mount(8), which may pass them on to the helper.
     */
    private static final Set<String> NO_EFFECT = Set.of("lazytime", "nolazytime", "auto", "noauto", "nofail", "_netdev");

    MountConfig {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(mountPoint, "mountPoint");
        kernelFlags = List.copyOf(kernelFlags);
    }

    /** fs-core's view of the options. */
    MountOptions coreOptions() {
        return new MountOptions(readOnly, writeback, atime, dirAtime, indexCacheBytes,
                dax.name().toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * The {@code -o} list for libfuse. {@code hard_remove} lets fs-core keep unlinked open files
     * (instead of libfuse renaming them to .fuse_hidden*); {@code use_ino} shows our inode numbers;
     * {@code big_writes} lifts writes from 4 KiB to {@link #maxWrite}.
     */
    List<String> fuseArguments() {
        List<String> opts = new ArrayList<>(List.of("fsname=" + escape(fsname)));
        if (!subtype.isEmpty()) { // an empty subtype gives the mount type plain "fuse", as harnesses expect
            opts.add("subtype=" + escape(subtype));
        }
        opts.addAll(List.of("hard_remove", "use_ino", "big_writes",
                "max_write=" + maxWrite, "max_read=" + maxRead, "attr_timeout=" + attrTimeout,
                "entry_timeout=" + entryTimeout, readOnly ? "ro" : "rw"));
        if (allowOther) {
            opts.add("allow_other");
        }
        if (defaultPermissions) {
            opts.add("default_permissions");
        }
        opts.addAll(kernelFlags);
        List<String> args = new ArrayList<>(List.of("-o", String.join(",", opts)));
        if (singleThread) {
            args.add("-s");
        }
        return args;
    }

    /** Parses the arguments of {@code bin/daxfs} (also as called by mount.fuse). */
    static MountConfig parse(String... args) throws UsageException {
        List<String> positional = new ArrayList<>();
        List<String> options = new ArrayList<>();
        boolean foreground = false;
        boolean debug = false;
        boolean single = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "-f" -> foreground = true;
                case "-d" -> debug = true;
                case "-s" -> single = true;
                case "-o" -> {
                    if (++i == args.length) {
                        throw new UsageException("-o needs a list of options; valid options: " + VALID_OPTIONS);
                    }
                    options.add(args[i]);
                }
                default -> {
                    if (arg.startsWith("-o") && arg.length() > 2) {
                        options.add(arg.substring(2));
                    } else if (arg.startsWith("-")) {
                        throw new UsageException("unknown flag " + arg + "; usage: " + usage());
                    } else {
                        positional.add(arg);
                    }
                }
            }
        }
        if (positional.size() != 2) {
            throw new UsageException("expected DEVICE and MOUNTPOINT; usage: " + usage());
        }
        Builder b = new Builder(Path.of(positional.get(0)).toAbsolutePath().normalize(),
                Path.of(positional.get(1)).toAbsolutePath().normalize());
        List<String> unknown = new ArrayList<>();
        for (String list : options) {
            for (String option : split(list)) {
                if (!b.apply(option)) {
                    unknown.add("'" + option + "'");
                }
            }
        }
        if (!unknown.isEmpty()) {
            throw new UsageException("unknown option" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + "; valid options: " + VALID_OPTIONS);
        }
        // -d logs every request; like libfuse's -d it keeps the daemon in the foreground to show them.
        return b.build(foreground || debug, debug, single);
    }

    static String usage() {
        return "daxfs DEVICE MOUNTPOINT [-o opt[,opt...]] [-f] [-d] [-s]";
    }

    /** Splits an option list at commas; "\\," is a comma inside a value and "\\\\" a backslash, as in libfuse. */
    static List<String> split(String list) {
        List<String> options = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < list.length(); i++) {
            char c = list.charAt(i);
            if (c == '\\' && i + 1 < list.length()) {
                current.append(list.charAt(++i));
            } else if (c == ',') {
                options.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        options.add(current.toString());
        return options;
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace(",", "\\,");
    }

    /** Accumulates options; the last of contradicting options wins, as with mount(8). */
    private static final class Builder {
        private final Path device;
        private final Path mountPoint;
        private boolean readOnly;
        private Dax dax = Dax.INODE;
        private PersistenceMode flush = PersistenceMode.AUTO;
        private MountOptions.Writeback writeback = MountOptions.Writeback.SYNC;
        private MountOptions.Atime atime = MountOptions.Atime.RELATIME;
        private boolean dirAtime = true;
        private boolean allowOther;
        private boolean defaultPermissions;
        private String fsname;
        private String subtype = "daxfs";
        /** 0 until given: the transport's largest request. */
        private int maxWrite;
        private int maxRead;
        private double attrTimeout = 1.0;
        private double entryTimeout = 1.0;
        /**
         * Until given, the transport's default: libfuse's single-threaded loop measured faster on every
         * row (docs/OPERATIONS.md); the kernel transport serves with several threads.
         */
        private Loop loop;
        private Transport transport = Transport.platformDefault();
        private long indexCacheBytes = MountOptions.defaultIndexCacheBytes();
        private int spinMicros = TransportOptions.DEFAULT_SPIN_MICROS;
        /** 0 until given: the kernel transport's default. */
        private int threads;
        private TransportOptions.Uring uring = TransportOptions.Uring.OFF;
        private final Set<String> kernelFlags = new LinkedHashSet<>();

        Builder(Path device, Path mountPoint) {
            this.device = device;
            this.mountPoint = mountPoint;
            this.fsname = device.toString();
        }

        /** Applies one option; false if it is not an option of daxfs (the caller names them all). */
        boolean apply(String option) throws UsageException {
            if (option.isEmpty()) {
                return true;
            }
            int eq = option.indexOf('=');
            String key = eq < 0 ? option : option.substring(0, eq);
            String value = eq < 0 ? null : option.substring(eq + 1);
            switch (key) {
                case "ro" -> readOnly = flag(key, value, true);
                case "rw" -> readOnly = flag(key, value, false);
                case "defaults" -> flag(key, value, true);
                case "allow_other" -> allowOther = flag(key, value, true);
                case "default_permissions" -> defaultPermissions = flag(key, value, true);
                case "atime", "relatime" -> atime = flagged(key, value, MountOptions.Atime.RELATIME);
                case "noatime" -> atime = flagged(key, value, MountOptions.Atime.NOATIME);
                case "strictatime" -> atime = flagged(key, value, MountOptions.Atime.STRICTATIME);
                case "diratime" -> dirAtime = flag(key, value, true);
                case "nodiratime" -> dirAtime = flag(key, value, false);
                case "dax" -> dax = value == null ? Dax.ALWAYS : choice(key, value, Dax.class);
                case "comment" -> text(key, value);
                case "writeback" -> writeback = choice(key, value, MountOptions.Writeback.class);
                case "flush" -> flush = choice(key, value, PersistenceMode.class);
                case "fsname" -> fsname = text(key, value);
                case "subtype" -> subtype = value == null ? text(key, null) : value;
                case "max_write" -> maxWrite = requestSize(key, value);
                case "max_read" -> maxRead = requestSize(key, value);
                case "attr_timeout" -> attrTimeout = seconds(key, value);
                case "entry_timeout" -> entryTimeout = seconds(key, value);
                case "loop" -> loop = choice(key, value, Loop.class);
                case "transport" -> transport = choice(key, value, Transport.class);
                case "index_cache" -> indexCacheBytes = size(key, value);
                case "spin" -> spinMicros = micros(key, value);
                case "threads" -> threads = threadCount(key, value);
                case "uring" -> uring = value == null ? TransportOptions.Uring.ON
                        : choice(key, value, TransportOptions.Uring.class);
                default -> {
                    if (key.startsWith("x-")) {
                        return true;
                    }
                    if (!KERNEL_FLAGS.contains(key) && !NO_EFFECT.contains(key)) {
                        return false;
                    }
                    flag(key, value, true);
                    if (KERNEL_FLAGS.contains(key)) {
                        kernelFlags.add(key);
                    }
                }
            }
            return true;
        }

        MountConfig build(boolean foreground, boolean debug, boolean single) throws UsageException {
            int largest = transport == Transport.KERNEL ? MAX_KERNEL_REQUEST : MAX_REQUEST;
            if (maxWrite > largest || maxRead > largest) {
                throw new UsageException("max_write and max_read must be at most " + largest + " with transport="
                        + transport.name().toLowerCase(Locale.ROOT));
            }
            boolean singleLoop = single || (loop == null ? transport == Transport.JNR : loop == Loop.SINGLE);
            if (singleLoop && threads > 1) {
                throw new UsageException("threads=" + threads + " contradicts loop=single (or -s), which serves with one thread");
            }
            int serving = singleLoop ? 1 : threads == 0 ? TransportOptions.defaultThreads() : threads;
            return new MountConfig(device, mountPoint, readOnly, dax, flush, writeback, atime, dirAtime, allowOther,
                    defaultPermissions, fsname, subtype, maxWrite == 0 ? largest : maxWrite,
                    maxRead == 0 ? largest : maxRead, attrTimeout, entryTimeout, foreground, debug, singleLoop,
                    List.copyOf(kernelFlags), transport, indexCacheBytes, spinMicros, uring, serving);
        }

        private static boolean flag(String key, String value, boolean result) throws UsageException {
            if (value != null) {
                throw new UsageException("option " + key + " takes no value; valid options: " + VALID_OPTIONS);
            }
            return result;
        }

        private static <T> T flagged(String key, String value, T result) throws UsageException {
            flag(key, value, true);
            return result;
        }

        private static <E extends Enum<E>> E choice(String key, String value, Class<E> type) throws UsageException {
            StringBuilder names = new StringBuilder();
            for (E constant : type.getEnumConstants()) {
                String name = constant.name().toLowerCase(Locale.ROOT);
                if (name.equals(value)) {
                    return constant;
                }
                names.append(names.isEmpty() ? "" : "|").append(name);
            }
            throw new UsageException("bad value in " + key + "=" + value + ": expected " + key + "=" + names
                    + "; valid options: " + VALID_OPTIONS);
        }

        private static String text(String key, String value) throws UsageException {
            if (value == null || value.isEmpty()) {
                throw new UsageException("option " + key + "= needs a value; valid options: " + VALID_OPTIONS);
            }
            return value;
        }

        private static int requestSize(String key, String value) throws UsageException {
            long bytes = number(key, value);
            if (bytes < 4096 || bytes > MAX_KERNEL_REQUEST || bytes % 4096 != 0) {
                throw new UsageException(key + "=" + value + " must be a multiple of 4096 between 4096 and "
                        + MAX_REQUEST + " (" + MAX_KERNEL_REQUEST + " with transport=kernel)");
            }
            return (int) bytes;
        }

        private static long number(String key, String value) throws UsageException {
            try {
                return Long.parseLong(text(key, value));
            } catch (NumberFormatException e) {
                throw new UsageException("option " + key + "=" + value + " is not a number");
            }
        }

        /** A byte count, with an optional binary suffix K, M or G ({@code 64M}). */
        private static long size(String key, String value) throws UsageException {
            String text = text(key, value);
            int shift = switch (Character.toUpperCase(text.charAt(text.length() - 1))) {
                case 'K' -> 10;
                case 'M' -> 20;
                case 'G' -> 30;
                default -> 0;
            };
            String digits = shift == 0 ? text : text.substring(0, text.length() - 1);
            try {
                long n = Long.parseLong(digits);
                if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
                    throw new NumberFormatException();
                }
                return n << shift;
            } catch (NumberFormatException e) {
                throw new UsageException("option " + key + "=" + value + " must be a byte count, optionally with K, M "
                        + "or G (as in " + key + "=64M)");
            }
        }

        private static double seconds(String key, String value) throws UsageException {
            try {
                double s = Double.parseDouble(text(key, value));
                if (!(s >= 0 && s <= 86_400)) {
                    throw new NumberFormatException();
                }
                return s;
            } catch (NumberFormatException e) {
                throw new UsageException("option " + key + "=" + value + " must be seconds between 0 and 86400");
            }
        }

        private static int threadCount(String key, String value) throws UsageException {
            long n = number(key, value);
            if (n < 1 || n > TransportOptions.MAX_THREADS) {
                throw new UsageException("option " + key + "=" + value + " must be a number between 1 and "
                        + TransportOptions.MAX_THREADS);
            }
            return (int) n;
        }

        private static int micros(String key, String value) throws UsageException {
            try {
                int us = Integer.parseInt(text(key, value));
                if (us < 0 || us > TransportOptions.MAX_SPIN_MICROS) {
                    throw new NumberFormatException();
                }
                return us;
            } catch (NumberFormatException e) {
                throw new UsageException("option " + key + "=" + value + " must be microseconds between 0 and "
                        + TransportOptions.MAX_SPIN_MICROS);
            }
        }
    }
}
