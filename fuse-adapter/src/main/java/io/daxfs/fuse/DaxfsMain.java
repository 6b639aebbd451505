package io.daxfs.fuse;

import ch.qos.logback.classic.Level;
import io.daxfs.core.format.DaxfsVersion;
import java.io.PrintStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code daxfs DEVICE MOUNTPOINT [-o opt[,opt…]] [-f] [-d] [-s]} (or {@code -h}, {@code -V}): the FUSE daemon, which bin/daxfs
 * starts (in the background unless -f). It serves in the foreground until the filesystem is
 * unmounted. Exit codes follow mount(8): 0 after a clean unmount, 1 for a wrong command line, 32
 * when the mount failed. Errors are one line on stderr starting with "daxfs: "; details go to the
 * log.
 */
public final class DaxfsMain {
    private static final Logger LOG = LoggerFactory.getLogger(DaxfsMain.class);

    private DaxfsMain() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            out.println("usage: " + MountConfig.usage());
            out.println("options: " + MountConfig.VALID_OPTIONS);
            return 0;
        }
        if (args.length == 1 && (args[0].equals("-V") || args[0].equals("--version"))) {
            out.println(DaxfsVersion.line("daxfs"));
            return 0;
        }
        MountConfig config;
        try {
            config = MountConfig.parse(args);
        } catch (UsageException e) {
            err.println("daxfs: " + e.getMessage());
            return 1;
        }
        if (config.debug()) {
            ((ch.qos.logback.classic.Logger) DaxFuse.REQUESTS).setLevel(Level.DEBUG);
        }
        if (config.allowOther() && !config.defaultPermissions()) {
            err.println("daxfs: warning: allow_other without default_permissions lets every user read and change "
                    + "every file (daxfs checks no permissions itself)");
        }
        try {
            MountPoint.check(config.mountPoint());
            try (MountSession session = MountSession.open(config, ReadyPipe.fromEnvironment())) {
                session.serve();
            }
            return 0;
        } catch (MountException e) {
            err.println("daxfs: " + e.getMessage());
            return MountException.MOUNT_FAILURE;
        } catch (RuntimeException e) {
            LOG.debug("internal error", e);
            err.println("daxfs: internal error: " + e);
            return MountException.MOUNT_FAILURE;
        }
    }
}
