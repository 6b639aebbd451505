package io.daxfs.mkfs;

import io.daxfs.core.device.DeviceBusyException;
import io.daxfs.core.device.DeviceUse;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.device.PersistenceMode;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/** {@code mkfs.daxfs}: writes a new, empty daxfs on a file or device. */
public final class MkfsMain {
    static final int EXIT_OK = 0;
    static final int EXIT_ERROR = 1;
    static final int EXIT_HAS_SIGNATURE = 2;
    static final int EXIT_IN_USE = 3;
    /** The inode table is indexed with ints in fs-core (a BitSet of records in use). */
    static final long MAX_INODES = 1L << 31;
    static final String NAME = "mkfs.daxfs";
    /** The getopt letters mkfs.daxfs accepts (its man page documents each). */
    static final String OPTIONS = "fL:U:N:s:o:nqVh";

    static final String USAGE = """
            Usage: mkfs.daxfs [-f] [-L label] [-U uuid|random|time] [-N inodes] [-s size]
                              [-o flush=auto|cpu|msync|none] [-n] [-q] [-V] [-h] DEVICE

            Writes a new, empty daxfs on DEVICE: a file (created if absent, given -s) or a
            persistent-memory device (/dev/pmemN, /dev/daxN.M).

              -f          overwrite DEVICE even if it holds a filesystem or other signature
              -L label    volume label, at most 63 bytes of UTF-8
              -U uuid     filesystem UUID: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, random
                          (the default) or time
              -N inodes   number of inode records (default: one per 4 KiB block; rounded up to a
                          multiple of 64; inode 0 is reserved); K/M/G suffixes allowed
              -s size     size of the file: 4096, 512K, 512M, 4G, 1T (powers of 1024). Creates
                          DEVICE as a sparse file if absent, grows an existing smaller file;
                          never shrinks. On a device it must equal the device size.
              -o flush=M  how to make the format durable while writing it: auto (from the
                          path; a regular file gets none), cpu, msync or none
              -n          dry run: check everything and say what would be done; write nothing
              -q          quiet: print only errors
              -V          print the version and exit
              -h          print this help and exit

            Exit status:
              0  success (also for -n, -h, -V)
              1  usage error, or an operational error (cannot create, open, size or write)
              2  refused: DEVICE holds a filesystem or other signature (use -f)
              3  refused: DEVICE is mounted, attached to a loop device or locked by a
                 running daxfs (-f does not override this)
              8  internal error, or the launcher found no JDK 25 or no build
            """;

    /** Where mount information comes from and whether progress may redraw a terminal line. */
    record Env(DeviceUse.Sources sources, boolean terminal) {
        static Env system() {
            return new Env(DeviceUse.Sources.system(), System.console() != null && System.console().isTerminal());
        }
    }

    private final PrintStream out;
    private final Env env;
    private boolean quiet;

    private MkfsMain(PrintStream out, Env env) {
        this.out = out;
        this.env = env;
    }

    public static void main(String[] args) {
        CommandRun.exit(run(args, System.out, System.err));
    }

    /** Runs mkfs with {@code args}; returns the exit status. Never throws. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, Env.system());
    }

    static int run(String[] args, PrintStream out, PrintStream err, Env env) {
        return CommandRun.run(NAME, out, err, () -> new MkfsMain(out, env).execute(args));
    }

    private record Plan(Path path, Devices.Kind kind, long currentSize, long newSize, Layout layout,
            FormatOptions format, PersistenceMode flush) {}

    private int execute(String[] args) throws ToolException {
        Options o = CommandRun.parseOrAnswer(NAME, OPTIONS, USAGE, args, out);
        if (o == null) {
            return EXIT_OK;
        }
        quiet = o.has('q');
        if (o.operands().isEmpty()) {
            throw usage("no DEVICE given");
        }
        if (o.operands().size() > 1) {
            throw usage("extra operand '" + o.operands().get(1) + "'");
        }
        Plan plan = plan(o);
        if (plan.kind() != Devices.Kind.ABSENT) {
            checkNotInUse(plan.path());
            checkSignatures(plan, o.has('f'));
        }
        if (o.has('n')) {
            say(switch (plan.kind()) {
                case ABSENT -> "Would create " + plan.path() + " as a sparse file of " + Sizes.human(plan.newSize());
                case REGULAR -> plan.newSize() > plan.currentSize()
                        ? "Would grow " + plan.path() + " from " + Sizes.human(plan.currentSize()) + " to "
                                + Sizes.human(plan.newSize())
                        : "Would format " + plan.path();
                default -> "Would format " + plan.path();
            } + " with:");
            summary(plan.path(), plan.layout(), plan.format().label(), plan.format().uuid(), 0,
                    plan.flush() == PersistenceMode.AUTO && plan.kind() == Devices.Kind.REGULAR
                            ? PersistenceMode.NONE : plan.flush());
            say("Nothing written (-n).");
            return EXIT_OK;
        }
        return format(plan);
    }

    private Plan plan(Options o) throws ToolException {
        String label = o.has('L') ? o.get('L') : "";
        if (label.getBytes(StandardCharsets.UTF_8).length > Superblock.MAX_LABEL_BYTES) {
            throw usage("label is " + label.getBytes(StandardCharsets.UTF_8).length + " bytes; at most "
                    + Superblock.MAX_LABEL_BYTES + " are allowed");
        }
        if (label.indexOf('\0') >= 0) {
            throw usage("label must not contain NUL characters");
        }
        UUID uuid;
        try {
            uuid = o.has('U') ? Uuids.parse(o.get('U')) : UUID.randomUUID();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        long inodes = 0;
        if (o.has('N')) {
            try {
                inodes = Sizes.parse(o.get('N'));
            } catch (IllegalArgumentException e) {
                throw usage("invalid inode count '" + o.get('N') + "'");
            }
            if (inodes > MAX_INODES) {
                throw usage("inode count " + inodes + " is above the limit of " + MAX_INODES);
            }
            inodes = Layout.roundUpInodes(inodes);
        }
        long requested = 0;
        if (o.has('s')) {
            try {
                requested = Sizes.parse(o.get('s'));
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }
        PersistenceMode flush = PersistenceMode.AUTO;
        if (o.has('o')) {
            for (String opt : o.get('o').split(",")) {
                if (!opt.startsWith("flush=")) {
                    throw usage("unknown -o option '" + opt + "' (only flush=auto|cpu|msync|none)");
                }
                try {
                    flush = PersistenceMode.parse(opt.substring("flush=".length()));
                } catch (IllegalArgumentException e) {
                    throw usage(e.getMessage());
                }
            }
        }
        Path path;
        try {
            path = Path.of(o.operands().getFirst());
        } catch (InvalidPathException e) {
            throw usage("invalid DEVICE path: " + e.getMessage());
        }
        Devices.Kind kind = Devices.kind(path);
        long current = 0;
        long size;
        switch (kind) {
            case ABSENT -> {
                if (requested == 0) {
                    throw error(path + " does not exist; give -s SIZE to create it as a file");
                }
                Path parent = path.toAbsolutePath().getParent();
                if (parent != null && !Files.isDirectory(parent)) {
                    throw error("cannot create " + path + ": directory " + parent + " does not exist");
                }
                size = requested;
            }
            case DIRECTORY -> throw error(path + " is a directory");
            case OTHER -> throw error(path + " is neither a regular file nor a block or character device");
            default -> {
                try {
                    current = Devices.size(path, kind);
                } catch (IOException e) {
                    throw error("cannot open " + Devices.describe(e));
                }
                if (kind == Devices.Kind.REGULAR) {
                    if (requested != 0 && requested < current) {
                        throw error("refusing to shrink " + path + " from " + Sizes.human(current) + " ("
                                + current + " bytes) to " + Sizes.human(requested) + "; omit -s to use the whole file");
                    }
                    if (requested == 0 && current == 0) {
                        throw error(path + " is empty; give -s SIZE to size it");
                    }
                    size = Math.max(current, requested);
                } else {
                    if (requested != 0 && requested != current) {
                        throw error("-s cannot resize a device: " + path + " is " + current + " bytes ("
                                + Sizes.human(current) + ")");
                    }
                    size = current;
                }
            }
        }
        long blocks = size / Layout.BLOCK_SIZE;
        if (blocks < Layout.MIN_BLOCKS) {
            throw error(path + " is too small: " + Sizes.human(size) + "; daxfs needs at least "
                    + Sizes.human(Layout.MIN_BLOCKS * Layout.BLOCK_SIZE));
        }
        long inodeCount = inodes == 0 ? Layout.defaultInodeCount(blocks) : inodes;
        // Mounter.format insists on at least 16 data blocks after the inode table.
        long maxInodes = (blocks - 1 - 16 - Layout.INODE_TABLE_START_BLOCK) * Layout.INODES_PER_BLOCK;
        if (inodeCount > maxInodes) {
            throw error(inodeCount + " inodes do not fit on " + Sizes.human(size) + " (at most " + maxInodes
                    + " leave room for data)");
        }
        Layout layout = new Layout(blocks, inodeCount);
        return new Plan(path, kind, current, size, layout,
                new FormatOptions(label, uuid, inodeCount, callerId("uid"), callerId("gid")), flush);
    }

    /** Like mke2fs, the root directory belongs to whoever runs mkfs. */
    private static int callerId(String which) {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:" + which);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private void checkNotInUse(Path path) throws ToolException {
        String why = DeviceUse.mountedOrAttached(path, env.sources());
        if (why == null) {
            try {
                why = DeviceUse.lockedByOther(path);
            } catch (IOException e) {
                throw error("cannot open " + Devices.describe(e));
            }
        }
        if (why != null) {
            throw new ToolException(EXIT_IN_USE, path + " is in use: " + why);
        }
    }

    private void checkSignatures(Plan plan, boolean force) throws ToolException {
        if (plan.currentSize() == 0) {
            return;
        }
        String found;
        try {
            byte[][] probe = Devices.probe(plan.path(), plan.currentSize());
            found = Signatures.identify(probe[0], probe[1]);
        } catch (IOException e) {
            throw error("cannot read " + Devices.describe(e));
        }
        if (found == null) {
            return;
        }
        if (!force) {
            throw new ToolException(EXIT_HAS_SIGNATURE, plan.path() + " contains " + found
                    + "; use -f to overwrite it");
        }
        say("Overwriting " + found + " on " + plan.path() + " (-f).");
    }

    private int format(Plan plan) throws ToolException {
        Path path = plan.path();
        boolean created = false;
        boolean done = false;
        try {
            if (plan.kind() == Devices.Kind.ABSENT) {
                try (FileChannel c = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    created = true;
                    c.write(ByteBuffer.wrap(new byte[1]), plan.newSize() - 1);
                }
                say("Created " + path + ": sparse file of " + Sizes.human(plan.newSize()) + ".");
            }
            if (plan.kind() == Devices.Kind.REGULAR || created) {
                checkSpace(path, plan.layout());
            }
            if (plan.kind() == Devices.Kind.REGULAR && plan.newSize() > plan.currentSize()) {
                try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
                    channel.write(ByteBuffer.wrap(new byte[1]), plan.newSize() - 1);
                }
                say("Grew " + path + " from " + Sizes.human(plan.currentSize()) + " to "
                        + Sizes.human(plan.newSize()) + ".");
            }
            Superblock sb;
            PersistenceMode mode;
            // The device lock (held until the device closes) keeps a daemon, fsck or another mkfs off it.
            try (DaxDevice device = DaxDevice.open(path,
                    DeviceOptions.defaults().withMode(plan.flush()).withLock(true))) {
                mode = device.mode();
                if (device.size() / Layout.BLOCK_SIZE != plan.layout().totalBlocks()) {
                    throw error(path + " maps as " + device.size() + " bytes, expected "
                            + plan.layout().totalBlocks() * Layout.BLOCK_SIZE);
                }
                wipeSignatures(device);
                Layout layout = plan.layout();
                Progress progress = new Progress(quiet ? null : out, env.terminal(), "Writing inode table",
                        Layout.offsetOf(layout.dataStartBlock()) + Layout.BLOCK_SIZE);
                DaxFileSystem.format(new ProgressDevice(device, progress), plan.format());
                progress.finish();
                sb = Superblock.read(device);
            } catch (DeviceBusyException e) {
                throw new ToolException(EXIT_IN_USE, path + " is in use: another process holds a lock on it");
            }
            // The image may sit in a page cache (a file on a disk): make it reach the disk.
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            done = true;
            summary(path, sb.layout(), sb.label(), sb.uuid(), sb.features(), mode);
            return EXIT_OK;
        } catch (IOException e) {
            throw error("cannot format " + Devices.describe(e));
        } catch (IllegalArgumentException e) {
            throw error("cannot format " + path + ": " + e.getMessage());
        } catch (InternalError e) {
            // a SIGBUS on the mapping: the file system holding the file ran out of space, or an I/O error
            throw error("writing " + path + " failed (out of space on the file system holding it, or an I/O error): "
                    + e.getMessage());
        } finally {
            if (created && !done) {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    // reported failure already; the partial file stays
                }
            }
        }
    }

    /** A sparse file must find room for the metadata mkfs writes, or the mapping faults halfway. */
    private static void checkSpace(Path path, Layout layout) throws IOException, ToolException {
        long needed = Layout.offsetOf(layout.dataStartBlock()) + (2L << 20);
        long usable = Files.getFileStore(path).getUsableSpace();
        if (usable < needed) {
            throw error("not enough space for the metadata of " + path + ": needs " + Sizes.human(needed)
                    + ", the file system holding it has " + Sizes.human(usable) + " free");
        }
    }

    /**
     * Zeroes where other tools look for signatures beyond what format rewrites: the first MiB
     * (MBR, GPT, ext, xfs, swap, btrfs primary, iso9660) and the btrfs superblock mirrors, so
     * blkid does not keep reporting the old filesystem.
     */
    private static void wipeSignatures(DaxDevice device) {
        device.zero(0, Math.min(1L << 20, device.size()));
        for (long mirror : new long[] {64L << 20, 256L << 30}) {
            if (mirror + Layout.BLOCK_SIZE <= device.size()) {
                device.zero(mirror, Layout.BLOCK_SIZE);
            }
        }
        device.fence();
    }

    private void summary(Path path, Layout layout, String label, UUID uuid, int features, PersistenceMode flush) {
        if (quiet) {
            return;
        }
        long bytes = layout.totalBlocks() * Layout.BLOCK_SIZE;
        out.printf("daxfs on %s%n", path);
        out.printf("  size:         %s (%d blocks)%n", Sizes.human(bytes), layout.totalBlocks());
        out.printf("  block size:   %d%n", Layout.BLOCK_SIZE);
        out.printf("  inodes:       %d (table of %d blocks; inode 0 is reserved)%n", layout.inodeCount(),
                layout.inodeTableBlocks());
        out.printf("  data blocks:  %d (%s)%n", layout.dataBlocks(),
                Sizes.human(layout.dataBlocks() * Layout.BLOCK_SIZE));
        out.printf("  label:        %s%n", label.isEmpty() ? "(none)" : "\"" + label + "\"");
        out.printf("  UUID:         %s%n", uuid);
        out.printf("  features:     %s (format version %d)%n",
                features == 0 ? "none" : "0x" + Integer.toHexString(features), Superblock.FORMAT_VERSION);
        out.printf("  flush:        %s%n", flush.optionName());
    }

    private void say(String line) {
        if (!quiet) {
            out.println(line);
        }
    }

    private static ToolException usage(String message) {
        return CommandRun.usageError(NAME, message);
    }

    private static ToolException error(String message) {
        return new ToolException(EXIT_ERROR, message);
    }
}
