package io.daxfs.fuse;

import io.daxfs.core.FsException;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceBusyException;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.device.DeviceUse;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.fs.DaxFileSystem;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.daxfs.fuse.kernel.Dispatcher;
import io.daxfs.fuse.kernel.FuseServer;
import io.daxfs.fuse.kernel.TransportOptions;
import io.daxfs.fuse.kernel.mount.KernelMount;
import io.daxfs.fuse.kernel.mount.MountSpec;
import io.daxfs.fuse.kernel.sys.Syscalls;
import ru.serce.jnrfuse.FuseException;

/**
 * One mounted device, from opening it to the clean unmount: opens and locks the device, mounts
 * fs-core on it, serves FUSE until the mount goes away, then closes fs-core (allocator saved,
 * superblock clean) and releases the lock.
 *
 * <p>The mount goes away by {@code fusermount -u}/{@code umount} (libfuse's loop ends) or by
 * SIGTERM/SIGINT: a shutdown hook then detaches the mount itself and waits until the serving thread
 * has closed fs-core, so that the JVM does not exit with the filesystem half closed.
 */
final class MountSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MountSession.class);
    /** How long a SIGTERM waits for open files to be closed before giving up a clean unmount. */
    private static final long SHUTDOWN_WAIT_SECONDS = 20;
    /** How long a mount waits for the lock of a device that no mount lists (see {@link #openDevice}). */
    private static final Duration LOCK_WAIT = Duration.ofSeconds(10);
    private static final long LOCK_POLL_MS = 10;

    private final MountConfig config;
    private final DaxDevice device;
    private final DaxFileSystem fs;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final ReadyPipe ready;

    private MountSession(MountConfig config, DaxDevice device, DaxFileSystem fs, ReadyPipe ready) {
        this.config = config;
        this.device = device;
        this.fs = fs;
        this.ready = ready;
    }

    /**
     * Opens, locks and mounts the device; nothing is written to it when this fails. {@code ready}
     * hears when the FUSE mount is in place.
     */
    static MountSession open(MountConfig config, ReadyPipe ready) throws MountException {
        DaxDevice device = openDevice(config);
        try {
            DaxFileSystem fs = DaxFileSystem.mountIdle(device, config.coreOptions(), DaxFileSystem.Clock.SYSTEM);
            return new MountSession(config, device, fs, ready);
        } catch (CorruptImageException e) {
            device.close();
            // fs-core's message says what is wrong and whether fsck can help; no hint to reformat here.
            throw new MountException(config.device() + ": " + e.getMessage());
        } catch (FsException | IllegalArgumentException | IllegalStateException e) {
            device.close();
            LOG.debug("mount failed", e);
            throw new MountException(config.device() + ": cannot mount: " + e.getMessage());
        }
    }

    /** Serves FUSE requests until the filesystem is unmounted; the caller then closes the session. */
    void serve() throws MountException {
        if (config.transport() == MountConfig.Transport.KERNEL) {
            serveKernel();
        } else {
            serveJnr();
        }
    }

    /**
     * The kernel transport: mounts with mount(2) or fusermount3 and serves {@code /dev/fuse} until a
     * read says ENODEV (unmounted by fusermount -u, umount, or the SIGTERM hook).
     */
    private void serveKernel() throws MountException {
        MountSpec spec = new MountSpec(config.mountPoint(), config.fsname(), config.subtype(), config.readOnly(),
                config.allowOther(), config.defaultPermissions(), config.maxRead(), config.kernelFlags());
        TransportOptions options = new TransportOptions(config.maxWrite(), config.maxRead(), config.entryTimeout(),
                config.attrTimeout(), config.threads(), true, config.spinMicros(),
                config.uring());
        int fd;
        try {
            LOG.info("mounting {} on {} (kernel transport, {} thread(s))", config.device(), config.mountPoint(),
                    options.threads());
            fd = KernelMount.mount(spec);
        } catch (IOException e) {
            // No fallback: libfuse needs the same /dev/fuse and mount rights, and a silent switch
            // would hide the other transport's limits. Say how to choose it.
            throw new MountException(e.getMessage() + " (the kernel transport; -o transport=jnr mounts through "
                    + "libfuse2 instead)");
        }
        Thread hook = new Thread(() -> stopOnSignal(() -> KernelMount.unmount(config.mountPoint().toString())),
                "daxfs-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // In place: the kernel holds the first requests until the server below has answered INIT. Said
        // only once the hook is in: a SIGTERM sent as soon as the mount command returned must unmount.
        ready.mounted();
        try {
            new FuseServer(fd, new Dispatcher(new DaxLowLevel(fs, config.dax()), options), options).serve();
            LOG.info("{} unmounted", config.mountPoint());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Syscalls.close(fd);
        }
    }

    private void serveJnr() throws MountException {
        DaxFuse fuse = new DaxFuse(fs, config.dax(), ready::mounted);
        Thread hook = new Thread(() -> stopOnSignal(fuse::umount), "daxfs-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            LOG.info("mounting {} on {} ({})", config.device(), config.mountPoint(), config.fuseArguments());
            fuse.mount(config.mountPoint(), true, false, config.fuseArguments().toArray(String[]::new));
            LOG.info("{} unmounted", config.mountPoint());
        } catch (FuseException e) {
            throw new MountException("libfuse could not mount " + config.mountPoint() + " (its message is above)");
        } finally {
            fuse.forgetMount();
        }
    }

    /** Clean unmount of fs-core: orphans reaped, allocator saved, superblock marked clean. */
    @Override
    public void close() {
        try {
            fs.close();
            LOG.info("{} closed cleanly", config.device());
        } finally {
            device.close();
            closed.countDown();
        }
    }

    private void stopOnSignal(Runnable unmount) {
        if (closed.getCount() == 0) {
            return;
        }
        LOG.info("signal: unmounting {}", config.mountPoint());
        unmount.run();
        try {
            if (!closed.await(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("{} still busy after {} s; exiting without a clean unmount (the next mount recovers)",
                        config.mountPoint(), SHUTDOWN_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Opens and locks the device. A lock held while no mount lists the device is a daemon still
     * closing the filesystem that was just unmounted ({@code umount} returns as soon as the kernel
     * detaches a FUSE mount, before the daemon has saved and released the device), so {@code umount;
     * mount} waits for it, up to {@link #LOCK_WAIT}. A device that is mounted is refused at once.
     */
    private static DaxDevice openDevice(MountConfig config) throws MountException {
        long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
        boolean waited = false;
        while (true) {
            try {
                DaxDevice device = tryOpenDevice(config);
                if (waited) {
                    LOG.info("{}: the previous holder released it", config.device());
                }
                return device;
            } catch (DeviceBusyException e) {
                String mounted = DeviceUse.mountedOrAttached(config.device(), DeviceUse.Sources.system());
                if (mounted != null) {
                    throw new MountException(config.device() + ": already mounted by another daxfs daemon (" + mounted
                            + "); unmount that first");
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new MountException(config.device() + ": another process held its lock for "
                            + LOCK_WAIT.toSeconds() + " s (a daxfs daemon still closing it, mkfs.daxfs or fsck.daxfs)");
                }
                if (!waited) {
                    // a warning, so that it reaches the log at the default level
                    LOG.warn("{}: locked but not mounted (a daemon still closing it?); waiting up to {} s",
                            config.device(), LOCK_WAIT.toSeconds());
                    waited = true;
                }
                pause();
            }
        }
    }

    private static void pause() throws MountException {
        try {
            Thread.sleep(LOCK_POLL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MountException("interrupted while waiting for the device lock");
        }
    }

    private static DaxDevice tryOpenDevice(MountConfig config) throws MountException, DeviceBusyException {
        // The lock (exclusive, shared for ro) keeps a second daemon, mkfs and fsck off a mounted device.
        DeviceOptions options = DeviceOptions.defaults().withMode(config.flush()).withReadOnly(config.readOnly())
                .withLock(true);
        try {
            return DaxDevice.open(config.device(), options);
        } catch (DeviceBusyException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new MountException(config.device() + ": no such device or file");
        } catch (AccessDeniedException e) {
            throw new MountException(config.device() + ": permission denied");
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot open the device", e);
            throw new MountException(config.device() + ": cannot open: " + e.getMessage());
        }
    }
}
