package io.daxfs.fsck;

import io.daxfs.core.format.DaxfsVersion;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.check.Problem;
import io.daxfs.core.check.Repairer;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceBusyException;
import io.daxfs.core.device.DeviceUse;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.journal.Journal;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code fsck.daxfs [-n] [-y] [-p] [-f] [-v] DEVICE}: checks a daxfs image against every invariant
 * of docs/FORMAT.md and, with {@code -y} or {@code -p}, repairs it. Exit codes follow fsck(8).
 */
public final class FsckMain {
    public static final int OK = 0;
    public static final int CORRECTED = 1;
    /** Errors corrected, reboot needed: never returned (daxfs is not a root filesystem's kernel driver). */
    public static final int CORRECTED_REBOOT = 2;
    public static final int UNCORRECTED = 4;
    public static final int OPERATIONAL_ERROR = 8;
    public static final int USAGE = 16;
    public static final int CANCELLED = 32;

    static final String USAGE_TEXT = """
            usage: fsck.daxfs [-n] [-y] [-p] [-f] [-v] DEVICE    (or -V: version, -h: this help)
              -n  check only: open the device read-only and change nothing
              -y  repair every problem found
              -p  repair only what is safe without asking (like e2fsck -p); stop on anything else
              -f  check fully even if the filesystem was cleanly unmounted
              -v  verbose: show progress and every check phase
            Without -n, -y or -p: check only, as -n (fsck.daxfs never asks questions).
            Exit status (fsck(8)): 0 no errors, 1 errors corrected, 2 corrected and reboot needed (never
            used), 4 errors left uncorrected, 8 operational error, 16 usage error, 32 cancelled.
            """;

    private FsckMain() {}

    public static void main(String[] args) {
        AtomicBoolean cancelled = new AtomicBoolean();
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), signal -> cancelled.set(true));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // no SIGINT handling on this platform: ^C ends the JVM as usual
        }
        int code = run(args, System.out, System.err, System.console() != null, cancelled);
        System.out.flush();
        // Status 0 by returning: System.exit logs through System.Logger, whose look-up of a
        // LoggerFinder opens every jar on the class path (tens of ms at the end of every run).
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs fsck with {@code args}; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, false, new AtomicBoolean());
    }

    static int run(String[] args, PrintStream out, PrintStream err, boolean tty, AtomicBoolean cancelled) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("fsck.daxfs: " + e.getMessage());
            err.print(USAGE_TEXT);
            return USAGE;
        }
        if (options.help) {
            out.print(USAGE_TEXT);
            return OK;
        }
        if (options.version) {
            out.println(DaxfsVersion.line("fsck.daxfs"));
            return OK;
        }
        try {
            return new Fsck(options, out, err, tty || options.verbose, cancelled).run();
        } catch (Checker.CancelledException e) {
            err.println("fsck.daxfs: cancelled");
            return CANCELLED;
        } catch (RuntimeException e) {
            err.println("fsck.daxfs: internal error: " + e);
            return OPERATIONAL_ERROR;
        }
    }

    /** Parsed command line; flags may be grouped ({@code -fy}). */
    static final class Options {
        boolean checkOnly;
        boolean yes;
        boolean preen;
        boolean force;
        boolean verbose;
        boolean help;
        boolean version;
        boolean explicitNo;
        String device;

        static Options parse(String[] args) {
            Options o = new Options();
            boolean endOfOptions = false;
            for (String arg : args) {
                if (!endOfOptions && arg.equals("--")) {
                    endOfOptions = true;
                } else if (!endOfOptions && (arg.equals("-h") || arg.equals("--help"))) {
                    o.help = true;
                } else if (!endOfOptions && (arg.equals("-V") || arg.equals("--version"))) {
                    o.version = true;
                } else if (!endOfOptions && arg.startsWith("-") && arg.length() > 1) {
                    for (char c : arg.substring(1).toCharArray()) {
                        switch (c) {
                            case 'n' -> o.explicitNo = true;
                            case 'y' -> o.yes = true;
                            case 'p', 'a' -> o.preen = true;
                            case 'f' -> o.force = true;
                            case 'v' -> o.verbose = true;
                            default -> throw new IllegalArgumentException("unknown option -" + c);
                        }
                    }
                } else if (o.device == null) {
                    o.device = arg;
                } else {
                    throw new IllegalArgumentException("more than one device: " + o.device + ", " + arg);
                }
            }
            if (o.help || o.version) {
                return o;
            }
            if ((o.explicitNo ? 1 : 0) + (o.yes ? 1 : 0) + (o.preen ? 1 : 0) > 1) {
                throw new IllegalArgumentException("only one of -n, -y and -p may be given");
            }
            if (o.device == null) {
                throw new IllegalArgumentException("no device given");
            }
            o.checkOnly = !o.yes && !o.preen;
            return o;
        }
    }

    /** One run over one device. */
    private static final class Fsck {
        private final Options options;
        private final PrintStream out;
        private final PrintStream err;
        private final boolean progress;
        private final AtomicBoolean cancelled;
        private final String name;

        Fsck(Options options, PrintStream out, PrintStream err, boolean progress, AtomicBoolean cancelled) {
            this.options = options;
            this.out = out;
            this.err = err;
            this.progress = progress;
            this.cancelled = cancelled;
            this.name = options.device;
        }

        int run() {
            Path path = Path.of(options.device);
            if (!Files.exists(path)) {
                err.println("fsck.daxfs: " + name + ": no such file or device");
                return OPERATIONAL_ERROR;
            }
            if (options.checkOnly && !options.explicitNo) {
                err.println("fsck.daxfs: no -n, -y or -p given: checking only, changing nothing");
            }
            String inUse = DeviceUse.mountedOrAttached(path, DeviceUse.Sources.system());
            if (inUse != null && !options.checkOnly) {
                err.println("fsck.daxfs: " + name + ": " + inUse + "; refusing to repair it (unmount it first)");
                return OPERATIONAL_ERROR;
            }
            if (inUse != null) {
                err.println("fsck.daxfs: warning: " + name + ": " + inUse + "; the check may see a changing image");
            }
            // Repairs hold the device lock (as a mounted daemon does), so they never run on a mounted device.
            DaxDevice device;
            try {
                device = DaxDevice.open(path,
                        DeviceOptions.defaults().withReadOnly(options.checkOnly).withLock(!options.checkOnly));
            } catch (DeviceBusyException e) {
                err.println("fsck.daxfs: " + name + " is in use (another process holds its lock, e.g. a "
                        + "daxfs mount); refusing to repair it");
                return OPERATIONAL_ERROR;
            } catch (NoSuchFileException e) {
                err.println("fsck.daxfs: " + name + ": no such file or device");
                return OPERATIONAL_ERROR;
            } catch (IOException | RuntimeException e) {
                err.println("fsck.daxfs: " + name + ": cannot open: " + e.getMessage());
                return OPERATIONAL_ERROR;
            }
            try (device) {
                return check(device);
            }
        }

        private int check(DaxDevice device) {
            if (device.size() < Layout.MIN_BLOCKS * Layout.BLOCK_SIZE) {
                err.println("fsck.daxfs: " + name + ": " + device.size() + " bytes is too small for a daxfs");
                return OPERATIONAL_ERROR;
            }
            if (!options.force) {
                Integer quick = quickCheck(device);
                if (quick != null) {
                    return quick;
                }
            }
            Checker.Listener listener = new ProgressListener();
            if (options.checkOnly) {
                CheckReport report = Checker.check(device, listener);
                endProgress();
                return reportOnly(report);
            }
            Repairer.Result result = Repairer.repair(device,
                    options.preen ? Repairer.Mode.PREEN : Repairer.Mode.ALL, listener, line -> {
                        endProgress();
                        out.println("REPAIRED: " + line);
                    });
            endProgress();
            return reportRepair(result);
        }

        /**
         * A cleanly unmounted image with two good, identical superblocks, an idle journal and a
         * readable saved free list is "clean" without a full check. Returns null to go on to it.
         */
        private Integer quickCheck(DaxDevice device) {
            Superblock sb;
            try {
                sb = Superblock.decode(device, 0);
                Superblock backup = Superblock.decode(device, Layout.offsetOf(sb.totalBlocks() - 1));
                if (backup.state() != sb.state() || !Arrays.equals(device.directAccess(0, 512).toArray(Layouts.BYTE),
                        device.directAccess(Layout.offsetOf(sb.totalBlocks() - 1), 512).toArray(Layouts.BYTE))) {
                    return null;
                }
            } catch (CorruptImageException e) {
                return null;
            }
            if (sb.state() != Superblock.State.CLEAN || !Journal.idle(device)
                    || !sb.freeList().present()) {
                return null;
            }
            Layout layout = sb.layout();
            long free;
            try {
                free = BlockAllocator.load(layout, device, sb.freeList()).freeBlocks();
            } catch (RuntimeException e) {
                return null;
            }
            long inodes = 0;
            for (long ino = 1; ino < layout.inodeCount(); ino++) {
                if (device.getLong(layout.inodeOffset(ino)) != 0) {
                    inodes++;
                }
            }
            out.println(name + ": clean, " + inodes + "/" + (layout.inodeCount() - 1) + " inodes, "
                    + (layout.dataBlocks() - free) + "/" + layout.dataBlocks() + " blocks (use -f for a full check)");
            return OK;
        }

        private int reportOnly(CheckReport report) {
            printHeader(report);
            printProblems(report.problems());
            if (report.fatal()) {
                return fatal(report);
            }
            summary(report);
            int errors = report.errors().size();
            if (errors > 0) {
                out.println(name + ": " + errors + " error" + (errors == 1 ? "" : "s") + " found, nothing changed; "
                        + "run fsck.daxfs -y " + name + " to repair");
                return UNCORRECTED;
            }
            return OK;
        }

        private int reportRepair(Repairer.Result result) {
            CheckReport before = result.before();
            CheckReport after = result.after();
            printHeader(before);
            if (result.actions().isEmpty()) {
                printProblems(before.problems());
            }
            if (before.fatal()) {
                return fatal(before);
            }
            if (result.refused()) {
                out.println(name + ": UNEXPECTED INCONSISTENCY; RUN fsck.daxfs MANUALLY (without -p, e.g. -y). "
                        + "Nothing was changed.");
                return UNCORRECTED;
            }
            if (after.fatal()) {
                printProblems(after.problems());
                return fatal(after);
            }
            summary(after);
            if (!after.clean()) {
                printProblems(after.errors());
                out.println(name + ": " + after.errors().size() + " error(s) left uncorrected");
                return UNCORRECTED | (result.modified() ? CORRECTED : 0);
            }
            if (result.errorsCorrected()) {
                out.println(name + ": ***** FILESYSTEM WAS MODIFIED ***** (" + before.errors().size()
                        + " error(s) corrected)");
                return CORRECTED;
            }
            if (result.modified()) {
                out.println(name + ": recovered after an unclean shutdown; no errors");
            }
            return OK;
        }

        private int fatal(CheckReport report) {
            boolean unsupported = report.has(Problem.Kind.UNSUPPORTED_FORMAT);
            out.println(name + ": " + (unsupported ? "cannot check this filesystem (unsupported format)"
                    : report.has(Problem.Kind.CHECK_ABORTED) ? "the check could not be completed"
                    : "not a usable daxfs: no valid superblock (is this the right device?)"));
            return OPERATIONAL_ERROR;
        }

        private void printHeader(CheckReport report) {
            Superblock sb = report.superblock();
            if (sb != null && options.verbose) {
                out.println(name + ": daxfs " + sb.uuid() + (sb.label().isEmpty() ? "" : " '" + sb.label() + "'")
                        + ", " + sb.totalBlocks() + " blocks, " + sb.inodeCount() + " inodes, "
                        + (sb.state() == Superblock.State.CLEAN ? "clean" : "not cleanly unmounted"));
            }
        }

        private void printProblems(List<Problem> problems) {
            for (Problem p : problems) {
                out.println((p.isError() ? "ERROR: " : "note: ") + p.message());
            }
        }

        private void summary(CheckReport report) {
            CheckReport.Stats s = report.stats();
            out.println(name + ": " + s.files() + " files, " + s.directories() + " directories, " + s.symlinks()
                    + " symlinks, " + s.other() + " other; " + s.inodesUsed() + "/" + (s.inodeCount() - 1)
                    + " inodes; " + s.usedBlocks() + "/" + s.totalDataBlocks() + " blocks used (" + s.dataBlocks()
                    + " data, " + s.logBlocks() + " log), " + s.freeBlocks() + " free");
        }

        private boolean progressShown;

        private void endProgress() {
            if (progressShown) {
                err.print("\r\033[K");
                err.flush();
                progressShown = false;
            }
        }

        /** Shows the phase and percentage on stderr (only on a terminal or with -v). */
        private final class ProgressListener implements Checker.Listener {
            private String lastPhase = "";
            private long lastPrint;

            @Override
            public void progress(String phase, long done, long total) {
                if (!progress) {
                    return;
                }
                long now = System.nanoTime();
                if (options.verbose && !phase.equals(lastPhase)) {
                    endProgress();
                    err.println("fsck.daxfs: checking " + phase);
                    lastPhase = phase;
                } else if (now - lastPrint > 200_000_000L && total > 0) {
                    err.print("\rfsck.daxfs: " + phase + " " + (done * 100 / total) + "%");
                    err.flush();
                    progressShown = true;
                    lastPrint = now;
                }
            }

            @Override
            public boolean cancelled() {
                return cancelled.get();
            }
        }
    }
}
