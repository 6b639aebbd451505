package io.daxfs.fuse.kernel;

import io.daxfs.fuse.kernel.Requests.InHeader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FUSE protocol state machine: decodes one request read from the device, calls the
 * {@link LowLevelFileSystem}, and writes exactly the reply the kernel expects (none for FORGET,
 * BATCH_FORGET and INTERRUPT). INIT is negotiated here from what the running kernel offers and
 * what {@link TransportOptions} asks for. Any failure inside a request (a {@link FuseError}, a
 * malformed body, an unexpected exception of the filesystem) becomes an error reply; nothing a
 * request contains can stop the serving thread. Thread-safe: several threads dispatch at once,
 * each with its own {@link Reply}.
 *
 * <p>INTERRUPT: every operation of the filesystem completes promptly (none waits on anything
 * outside this process), so an interrupted request is simply finished and answered; the kernel
 * drops the late reply when the caller is gone.
 */
public final class Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    /** One DEBUG line per request; the {@code -d} flag turns it on. */
    public static final Logger REQUESTS = LoggerFactory.getLogger("io.daxfs.fuse.requests");

    private static final int FORGET_ONE = 16;

    private final LowLevelFileSystem fs;
    private final TransportOptions options;
    private final EntryTimeouts timeouts;
    private volatile boolean initialized;
    private volatile long agreedFlags;
    /** Told the agreed flags once the INIT reply is written; null: FUSE over io_uring is not asked for. */
    private volatile LongConsumer uringInit;

    public Dispatcher(LowLevelFileSystem fs, TransportOptions options) {
        this.fs = Objects.requireNonNull(fs, "fs");
        this.options = Objects.requireNonNull(options, "options");
        this.timeouts = new EntryTimeouts(options.entryTimeout(), options.attrTimeout());
    }

    /** The INIT flags agreed with the kernel (0 before INIT). */
    public long agreedFlags() {
        return agreedFlags;
    }

    /** The largest request a serving thread must be able to read: max_write plus the WRITE headers. */
    public int requestBufferSize() {
        return options.maxWrite() + 4096;
    }

    /**
     * Asks the kernel for FUSE over io_uring in INIT; {@code onInit} gets the agreed flags once the
     * INIT reply is written (the kernel refuses ring registrations before). Call before serving.
     */
    void offerUring(LongConsumer onInit) {
        uringInit = Objects.requireNonNull(onInit, "onInit");
    }

    /**
     * The payload buffer of a ring entry: at least the kernel's ring payload (the largest of 8 KiB,
     * max_write and max_pages pages, as INIT set them) and the largest reply.
     */
    int ringPayloadSize() {
        int pages = (options.maxWrite() + 4095) / 4096;
        return Math.max(Math.max(8192, pages * 4096), replyPayloadSize());
    }

    /** The largest reply payload: a READ of max_read bytes. */
    int replyPayloadSize() {
        return Math.max(options.maxRead(), 64 * 1024);
    }

    /** Serves one request of {@code request.byteSize()} bytes, replying through {@code reply}. */
    void dispatch(MemorySegment request, Reply reply) {
        long size = request.byteSize();
        if (size < Wire.OUT_HEADER) {
            LOG.warn("dropped a {}-byte request: too short to answer", size);
            return;
        }
        if (size < Wire.IN_HEADER) {
            reply.error(request.get(Wire.U64, 8), FuseError.EIO);
            return;
        }
        InHeader h = InHeader.parse(request);
        try {
            if (Integer.toUnsignedLong(h.len()) != size || h.extLen() > size - Wire.IN_HEADER) {
                throw new FuseError(FuseError.EIO, "request length " + Integer.toUnsignedLong(h.len()) + " with "
                        + size + " bytes read and " + h.extLen() + " bytes of extensions");
            }
            MemorySegment body = request.asSlice(Wire.IN_HEADER, size - Wire.IN_HEADER - h.extLen());
            if (!initialized && h.opcode() != Wire.INIT) {
                throw new FuseError(FuseError.EIO, "request before INIT");
            }
            Context c = new Context(h.unique(), h.nodeId(), h.uid(), h.gid(), h.pid());
            serve(h.opcode(), c, body, reply);
        } catch (FuseError e) {
            if (REQUESTS.isDebugEnabled()) {
                REQUESTS.debug("{} node {} -> errno {} ({})", h.opcode(), h.nodeId(), e.errno(), e.getMessage());
            }
            if (expectsReply(h.opcode())) {
                reply.error(h.unique(), e.errno());
            }
        } catch (RuntimeException e) {
            int errno = fs.errnoOf(e);
            if (errno <= 0) {
                LOG.error("request {} (opcode {}, node {}) failed", h.unique(), h.opcode(), h.nodeId(), e);
                errno = FuseError.EIO;
            } else if (REQUESTS.isDebugEnabled()) {
                REQUESTS.debug("{} node {} -> errno {} ({})", h.opcode(), h.nodeId(), errno, e.getMessage());
            }
            if (expectsReply(h.opcode())) {
                reply.error(h.unique(), errno);
            }
        } catch (Error e) {
            LOG.error("request {} (opcode {}, node {}) failed", h.unique(), h.opcode(), h.nodeId(), e);
            if (expectsReply(h.opcode())) {
                reply.error(h.unique(), FuseError.EIO);
            }
        }
    }

    private static boolean expectsReply(int opcode) {
        return opcode != Wire.FORGET && opcode != Wire.BATCH_FORGET && opcode != Wire.INTERRUPT;
    }

    private void serve(int opcode, Context c, MemorySegment b, Reply reply) {
        long node = c.nodeId();
        MemorySegment out = reply.payload();
        switch (opcode) {
            case Wire.INIT -> init(c, b, reply);
            case Wire.DESTROY -> {
                fs.destroy();
                reply.ok(c.unique(), 0);
            }
            case Wire.LOOKUP -> entry(c, fs.lookup(c, node, Wire.cString(b, 0)), reply);
            case Wire.FORGET -> fs.forget(node, Requests.ForgetIn.parse(b).nlookup());
            case Wire.BATCH_FORGET -> batchForget(b);
            case Wire.INTERRUPT -> {
                long target = Requests.InterruptIn.parse(b).unique();
                if (REQUESTS.isDebugEnabled()) {
                    REQUESTS.debug("interrupt of request {} (answered when it completes)", target);
                }
            }
            case Wire.GETATTR -> attr(c, fs.getattr(c, node, Requests.GetattrIn.parse(b).fh()), reply);
            case Wire.SETATTR -> attr(c, fs.setattr(c, node, Requests.SetattrIn.parse(b)), reply);
            case Wire.READLINK -> bytes(c, fs.readlink(c, node), reply);
            case Wire.SYMLINK -> {
                Requests.SymlinkIn in = Requests.SymlinkIn.parse(b);
                entry(c, fs.symlink(c, node, in.name(), in.target()), reply);
            }
            case Wire.MKNOD -> {
                Requests.MknodIn in = Requests.MknodIn.parse(b);
                entry(c, fs.mknod(c, node, in.name(), in.mode(), in.rdev()), reply);
            }
            case Wire.MKDIR -> {
                Requests.MkdirIn in = Requests.MkdirIn.parse(b);
                entry(c, fs.mkdir(c, node, in.name(), in.mode()), reply);
            }
            case Wire.UNLINK -> {
                fs.unlink(c, node, Wire.cString(b, 0));
                reply.ok(c.unique(), 0);
            }
            case Wire.RMDIR -> {
                fs.rmdir(c, node, Wire.cString(b, 0));
                reply.ok(c.unique(), 0);
            }
            case Wire.RENAME, Wire.RENAME2 -> {
                Requests.RenameIn in = Requests.RenameIn.parse(b, opcode == Wire.RENAME2);
                fs.rename(c, node, in.oldName(), in.newDir(), in.newName(), in.flags());
                reply.ok(c.unique(), 0);
            }
            case Wire.LINK -> {
                Requests.LinkIn in = Requests.LinkIn.parse(b);
                entry(c, fs.link(c, in.oldNode(), node, in.name()), reply);
            }
            case Wire.OPEN -> open(c, fs.open(c, node, Requests.OpenIn.parse(b).flags()), reply);
            case Wire.OPENDIR -> open(c, fs.opendir(c, node, Requests.OpenIn.parse(b).flags()), reply);
            case Wire.CREATE -> {
                Requests.CreateIn in = Requests.CreateIn.parse(b);
                created(c, fs.create(c, node, in.name(), in.mode(), in.flags()), reply);
            }
            case Wire.TMPFILE -> {
                Requests.CreateIn in = Requests.CreateIn.parse(b);
                created(c, fs.tmpfile(c, node, in.mode(), in.flags()), reply);
            }
            case Wire.READ -> read(c, Requests.ReadIn.parse(b), reply);
            case Wire.WRITE -> {
                Requests.WriteIn in = Requests.WriteIn.parse(b);
                long n = fs.write(c, node, in.fh(), in.offset(), in.data(), in.writeFlags());
                out.set(Wire.U32, 0, Math.toIntExact(n));
                out.set(Wire.U32, 4, 0);
                reply.ok(c.unique(), 8);
            }
            case Wire.RELEASE -> {
                fs.release(c, node, Requests.ReleaseIn.parse(b).fh());
                reply.ok(c.unique(), 0);
            }
            case Wire.RELEASEDIR -> {
                fs.releasedir(c, node, Requests.ReleaseIn.parse(b).fh());
                reply.ok(c.unique(), 0);
            }
            case Wire.FSYNC -> {
                Requests.FsyncIn in = Requests.FsyncIn.parse(b);
                fs.fsync(c, node, in.fh(), in.dataOnly());
                reply.ok(c.unique(), 0);
            }
            case Wire.FSYNCDIR -> {
                Requests.FsyncIn in = Requests.FsyncIn.parse(b);
                fs.fsyncdir(c, node, in.fh(), in.dataOnly());
                reply.ok(c.unique(), 0);
            }
            case Wire.READDIR, Wire.READDIRPLUS -> {
                Requests.ReadIn in = Requests.ReadIn.parse(b);
                long room = Math.min(Integer.toUnsignedLong(in.size()), out.byteSize());
                DirectoryListing listing = new DirectoryListing(out.asSlice(0, room), opcode == Wire.READDIRPLUS,
                        timeouts);
                fs.readdir(c, node, in.fh(), in.offset(), listing);
                if (!reply.ok(c.unique(), listing.used())) {
                    for (long counted : listing.countedNodes()) {
                        fs.forget(counted, 1);
                    }
                }
            }
            case Wire.STATFS -> statfs(c, fs.statfs(c, node), reply);
            case Wire.ACCESS -> {
                fs.access(c, node, Requests.AccessIn.parse(b).mask());
                reply.ok(c.unique(), 0);
            }
            case Wire.SETXATTR -> {
                Requests.SetxattrIn in = Requests.SetxattrIn.parse(b);
                fs.setxattr(c, node, in.name(), in.value(), in.flags());
                reply.ok(c.unique(), 0);
            }
            case Wire.GETXATTR -> {
                Requests.GetxattrIn in = Requests.GetxattrIn.parse(b, true);
                xattrValue(c, fs.getxattr(c, node, in.name()), in.size(), reply);
            }
            case Wire.LISTXATTR -> xattrValue(c, fs.listxattr(c, node), Requests.GetxattrIn.parse(b, false).size(),
                    reply);
            case Wire.REMOVEXATTR -> {
                fs.removexattr(c, node, Wire.cString(b, 0));
                reply.ok(c.unique(), 0);
            }
            case Wire.IOCTL -> ioctl(c, Requests.IoctlIn.parse(b), reply);
            case Wire.FALLOCATE -> {
                Requests.FallocateIn in = Requests.FallocateIn.parse(b);
                fs.fallocate(c, node, in.fh(), in.offset(), in.length(), in.mode());
                reply.ok(c.unique(), 0);
            }
            case Wire.LSEEK -> {
                Requests.LseekIn in = Requests.LseekIn.parse(b);
                out.set(Wire.U64, 0, fs.lseek(c, node, in.fh(), in.offset(), in.whence()));
                reply.ok(c.unique(), 8);
            }
            case Wire.COPY_FILE_RANGE -> {
                Requests.CopyFileRangeIn in = Requests.CopyFileRangeIn.parse(b);
                long n = fs.copyFileRange(c, node, in.fhIn(), in.offIn(), in.nodeOut(), in.fhOut(), in.offOut(),
                        in.len(), (int) in.flags());
                out.set(Wire.U32, 0, (int) Math.min(n, Integer.MAX_VALUE));
                out.set(Wire.U32, 4, 0);
                reply.ok(c.unique(), 8);
            }
            default -> throw new FuseError(FuseError.ENOSYS, "opcode " + opcode + " not supported");
        }
        if (REQUESTS.isDebugEnabled()) {
            REQUESTS.debug("{} node {} -> ok", opcode, node);
        }
    }

    private void init(Context c, MemorySegment b, Reply reply) {
        Requests.InitIn in = Requests.InitIn.parse(b);
        MemorySegment out = reply.payload().asSlice(0, 64);
        out.fill((byte) 0);
        if (in.major() < Wire.KERNEL_VERSION) {
            throw new FuseError(FuseError.EPROTO, "kernel FUSE protocol " + in.major() + " is too old");
        }
        out.set(Wire.U32, 0, Wire.KERNEL_VERSION);
        if (in.major() > Wire.KERNEL_VERSION) {
            reply.ok(c.unique(), 8); // the kernel retries INIT with our major version
            return;
        }
        long wanted = Wire.ASYNC_READ | Wire.EXPORT_SUPPORT | Wire.BIG_WRITES | Wire.HAS_IOCTL_DIR
                | Wire.DO_READDIRPLUS | Wire.READDIRPLUS_AUTO | Wire.ASYNC_DIO | Wire.PARALLEL_DIROPS | Wire.MAX_PAGES
                | Wire.CACHE_SYMLINKS | Wire.INIT_EXT | Wire.DIRECT_IO_ALLOW_MMAP
                | (fs.handlesKillPriv() ? Wire.HANDLE_KILLPRIV_V2 : 0) | (fs.wantsWritebackCache() ? Wire.WRITEBACK_CACHE : 0)
                | (uringInit != null ? Wire.OVER_IO_URING : 0);
        long flags = in.flags() & wanted;
        int minor = Math.min(in.minor(), Wire.KERNEL_MINOR);
        int pages = (options.maxWrite() + 4095) / 4096;
        out.set(Wire.U32, 4, minor);
        out.set(Wire.U32, 8, in.maxReadahead());
        out.set(Wire.U32, 12, (int) flags);
        out.set(Wire.U16, 16, (short) 64); // max_background
        out.set(Wire.U16, 18, (short) 48); // congestion_threshold
        out.set(Wire.U32, 20, options.maxWrite());
        out.set(Wire.U32, 24, 1); // time_gran: nanoseconds
        out.set(Wire.U16, 28, (short) pages);
        out.set(Wire.U32, 32, (int) (flags >>> 32));
        agreedFlags = flags;
        fs.init(flags);
        initialized = true;
        LOG.info("FUSE {}.{} (kernel offers {}.{}): flags 0x{}, max_write {}", Wire.KERNEL_VERSION, minor, in.major(),
                in.minor(), Long.toHexString(flags), options.maxWrite());
        reply.ok(c.unique(), 64);
        LongConsumer onInit = uringInit;
        if (onInit != null) {
            onInit.accept(flags);
        }
    }

    private void batchForget(MemorySegment b) {
        Wire.require(b, 8, "batch_forget");
        long count = Integer.toUnsignedLong(b.get(Wire.U32, 0));
        long fits = (b.byteSize() - 8) / FORGET_ONE;
        if (count > fits) {
            LOG.warn("batch_forget of {} nodes carries only {}", count, fits);
            count = fits;
        }
        for (long i = 0; i < count; i++) {
            long at = 8 + i * FORGET_ONE;
            fs.forget(b.get(Wire.U64, at), b.get(Wire.U64, at + 8));
        }
    }

    /** An entry reply; one the kernel did not take gives its lookup back. */
    private void entry(Context c, Entry e, Reply reply) {
        timeouts.writeEntry(reply.payload(), 0, e);
        if (!reply.ok(c.unique(), Entry.SIZE) && e.nodeId() != 0) {
            fs.forget(e.nodeId(), 1);
        }
    }

    /** CREATE and TMPFILE: the entry and the open handle. */
    private void created(Context c, LowLevelFileSystem.Created created, Reply reply) {
        MemorySegment out = reply.payload();
        timeouts.writeEntry(out, 0, created.entry());
        writeOpen(out, Entry.SIZE, created.open());
        if (!reply.ok(c.unique(), Entry.SIZE + 16)) {
            fs.forget(created.entry().nodeId(), 1);
        }
    }

    private void attr(Context c, Attr a, Reply reply) {
        timeouts.writeAttr(reply.payload(), 0, a);
        reply.ok(c.unique(), 16 + Attr.SIZE);
    }

    private void open(Context c, OpenReply o, Reply reply) {
        writeOpen(reply.payload(), 0, o);
        reply.ok(c.unique(), 16);
    }

    private static void writeOpen(MemorySegment out, long at, OpenReply o) {
        out.set(Wire.U64, at, o.fh());
        out.set(Wire.U32, at + 8, o.openFlags());
        out.set(Wire.U32, at + 12, 0);
    }

    private static void bytes(Context c, byte[] data, Reply reply) {
        MemorySegment out = reply.payload();
        if (data.length > out.byteSize()) {
            throw new FuseError(FuseError.ERANGE, "reply of " + data.length + " bytes");
        }
        MemorySegment.copy(data, 0, out, ValueLayout.JAVA_BYTE, 0, data.length);
        reply.ok(c.unique(), data.length);
    }

    private void read(Context c, Requests.ReadIn in, Reply reply) {
        int size = (int) Math.min(Integer.toUnsignedLong(in.size()), reply.payload().byteSize());
        Sender sender = new Sender(c.unique(), reply, reply.payload().asSlice(0, size));
        fs.read(c, c.nodeId(), in.fh(), in.offset(), size, sender);
        if (!sender.sent) {
            throw new FuseError(FuseError.EIO, "the filesystem sent no READ reply");
        }
    }

    /** A READ reply in progress; remembers that exactly one reply went out. */
    private static final class Sender implements ReadReply {
        private final long unique;
        private final Reply reply;
        private final MemorySegment buffer;
        private boolean sent;

        Sender(long unique, Reply reply, MemorySegment buffer) {
            this.unique = unique;
            this.reply = reply;
            this.buffer = buffer;
        }

        @Override
        public MemorySegment buffer() {
            return buffer;
        }

        @Override
        public int maxSegments() {
            return Reply.MAX_IOV - 1;
        }

        @Override
        public void sendBuffer(long bytes) {
            once();
            if (bytes < 0 || bytes > buffer.byteSize()) {
                throw new IllegalArgumentException("reply of " + bytes + " bytes from a buffer of " + buffer.byteSize());
            }
            reply.ok(unique, bytes);
        }

        @Override
        public void sendSegments(MemorySegment... segments) {
            once();
            long total = 0;
            for (MemorySegment s : segments) {
                total += s.byteSize();
            }
            if (total > buffer.byteSize()) {
                throw new IllegalArgumentException("reply of " + total + " bytes for a READ of " + buffer.byteSize());
            }
            reply.segments(unique, segments);
        }

        private void once() {
            if (sent) {
                throw new IllegalStateException("a second reply to READ " + unique);
            }
            sent = true;
        }
    }

    private static void statfs(Context c, StatfsReply s, Reply reply) {
        MemorySegment out = reply.payload().asSlice(0, 80);
        out.fill((byte) 0);
        out.set(Wire.U64, 0, s.blocks());
        out.set(Wire.U64, 8, s.bfree());
        out.set(Wire.U64, 16, s.bavail());
        out.set(Wire.U64, 24, s.files());
        out.set(Wire.U64, 32, s.ffree());
        out.set(Wire.U32, 40, s.bsize());
        out.set(Wire.U32, 44, s.namelen());
        out.set(Wire.U32, 48, s.frsize());
        reply.ok(c.unique(), 80);
    }

    /** GETXATTR/LISTXATTR: the size when asked with size 0, ERANGE when it does not fit. */
    private static void xattrValue(Context c, byte[] value, int size, Reply reply) {
        if (size == 0) {
            MemorySegment out = reply.payload();
            out.set(Wire.U32, 0, value.length);
            out.set(Wire.U32, 4, 0);
            reply.ok(c.unique(), 8);
        } else if (Integer.toUnsignedLong(size) < value.length) {
            throw new FuseError(FuseError.ERANGE, "value of " + value.length + " bytes, buffer of " + size);
        } else {
            bytes(c, value, reply);
        }
    }

    private void ioctl(Context c, Requests.IoctlIn in, Reply reply) {
        if ((in.flags() & 1) != 0) { // FUSE_IOCTL_COMPAT: 32-bit callers' layouts differ
            throw new FuseError(FuseError.ENOSYS, "32-bit compat ioctl");
        }
        IoctlReply r = fs.ioctl(c, c.nodeId(), in.fh(), in.cmd(), in.in(), in.outSize());
        byte[] data = r.out() == null ? new byte[0] : r.out();
        if (data.length > Integer.toUnsignedLong(in.outSize())) {
            throw new FuseError(FuseError.EIO, "ioctl reply larger than out_size");
        }
        MemorySegment out = reply.payload();
        out.set(Wire.U32, 0, r.result());
        out.set(Wire.U32, 4, 0);
        out.set(Wire.U32, 8, 0);
        out.set(Wire.U32, 12, 0);
        MemorySegment.copy(data, 0, out, ValueLayout.JAVA_BYTE, 16, data.length);
        reply.ok(c.unique(), 16 + data.length);
    }
}
