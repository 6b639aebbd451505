package io.daxfs.core.volume;

import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.SlotAllocator;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.inode.OrphanTable;
import io.daxfs.core.journal.Journal;
import io.daxfs.core.log.LogReader;
import io.daxfs.core.log.LogWriter;
import io.daxfs.core.rebuild.BlockClaims;
import io.daxfs.core.rebuild.InodeLoader;
import io.daxfs.core.rebuild.MountVerification;
import java.util.Collection;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mounted filesystem's shared state: the device and its layout, the allocator, journal, inode
 * table, orphan list and the DRAM inodes (loaded from their logs on first use, dropped again when
 * unused and over the bound, see {@link InodeCache}). Every mechanism package works through it;
 * {@link io.daxfs.core.fs.DaxFileSystem} is its public face.
 */
public final class Volume {
    private static final Logger LOG = LoggerFactory.getLogger(Volume.class);

    private final DaxDevice device;
    private final Layout layout;
    private final BlockAllocator allocator;
    private final SlotAllocator slots;
    private final Journal journal;
    private final InodeTable inodeTable;
    private final OrphanTable orphans;
    private final LookupCounts lookups = new LookupCounts();
    private final PendingReclaims pendingReclaims = new PendingReclaims();
    private final LogWriter logWriter;
    private final LogReader logReader;
    private final InodeLoader loader;
    private final InodeCache inodes;
    /**
     * Inodes whose blocks are claimed and link count checked (loaded once, or created since
     * mount): loaded again after being dropped, they are trusted as they are. A number is set or
     * tested only while its inode is created, loaded (inside the cache's update of that number)
     * or deleted, never by two of these at once.
     */
    private final InodeBits trusted;
    private final NamespaceLock namespaceLock = new NamespaceLock();
    private final BlockReleaser releaser;
    /** {@link #releaser}'s release, made once: a method reference made per commit or deletion was garbage of each. */
    private final BiConsumer<Long, Long> freed;
    private final BlockClaims claims;
    private volatile MountVerification verification = MountVerification.none();
    private volatile Superblock superblock;

    Volume(DaxDevice device, Superblock superblock, BlockAllocator allocator, SlotAllocator slots,
            InodeTable inodeTable, OrphanTable orphans, Iterable<Inode> loaded, BlockClaims claims,
            long indexCacheBytes) {
        this.device = device;
        this.superblock = superblock;
        this.layout = superblock.layout();
        this.allocator = allocator;
        this.slots = slots;
        this.journal = new Journal(device);
        this.inodeTable = inodeTable;
        this.orphans = orphans;
        this.logWriter = new LogWriter(device, allocator, slots);
        this.logReader = new LogReader(device, layout);
        this.loader = new InodeLoader(inodeTable, logReader);
        this.releaser = new BlockReleaser(allocator);
        this.freed = releaser::release;
        this.claims = claims;
        this.trusted = new InodeBits(layout.inodeCount());
        this.inodes = new InodeCache(indexCacheBytes, InodeCache.stripesFor(indexCacheBytes, Inode.CACHE_STRIPES),
                InodeBits.of(inodeTable.usedSnapshot(), layout.inodeCount()));
        for (Inode inode : loaded) {
            trusted.set(inode.ino());
            inodes.put(inode);
        }
    }

    public DaxDevice device() {
        return device;
    }

    public Layout layout() {
        return layout;
    }

    public Superblock superblock() {
        return superblock;
    }

    void setSuperblock(Superblock sb) {
        this.superblock = sb;
    }

    public BlockAllocator allocator() {
        return allocator;
    }

    /** The log slots of packed pages (small logs). */
    public SlotAllocator slots() {
        return slots;
    }

    public Journal journal() {
        return journal;
    }

    public InodeTable inodeTable() {
        return inodeTable;
    }

    public OrphanTable orphans() {
        return orphans;
    }

    public LogWriter logWriter() {
        return logWriter;
    }

    public LogReader logReader() {
        return logReader;
    }

    /** What the mount has verified in the background (issue #13): operations on names wait for it. */
    public MountVerification verification() {
        return verification;
    }

    void setVerification(MountVerification verification) {
        this.verification = verification;
    }

    public BlockReleaser releaser() {
        return releaser;
    }

    /**
     * Operations that change names in one directory share it (they lock their inodes parent
     * first); rename and unmount hold it alone (see docs/ARCHITECTURE.md, "Locking").
     */
    public NamespaceLock namespaceLock() {
        return namespaceLock;
    }

    /** A new atomic change. */
    public Transaction begin() {
        return new Transaction(this);
    }

    /**
     * The inode {@code ino}, loaded from its log on first use and again after it was dropped;
     * ENOENT if it is not in use. An inode created since mount is loadable once its creator
     * registered it, so no second DRAM copy can appear while its creation commits.
     */
    public Inode inode(long ino) {
        Inode inode = inodes.get(ino);
        if (inode != null) {
            return inode;
        }
        if (ino <= 0 || ino >= layout.inodeCount()) {
            throw new FsException(Errno.ENOENT, "no inode " + ino);
        }
        return inodes.load(ino, this::loadFromMedia);
    }

    /** Replays {@code ino}'s log; the first time since mount, also checks what its log claims. */
    private Inode loadFromMedia(long ino) {
        Inode fresh = loader.load(ino);
        if (!trusted.get(ino)) {
            requireTrustworthy(fresh);
            trusted.set(ino);
        }
        return fresh;
    }

    /**
     * What a lazily loaded inode must satisfy beyond its own log (issue #13): a file loaded
     * through a name has at least one link (a count of 0 outside the orphan list is a lie that
     * would delete it at its last close), and it shares no block with an inode loaded before.
     */
    private void requireTrustworthy(Inode inode) {
        if (!inode.isDirectory() && inode.attrs().nlink() == 0) {
            String message = "inode " + inode.ino() + " has a link count of 0 but is not an orphan; run fsck.daxfs";
            LOG.error(message);
            throw new FsException(Errno.EIO, message);
        }
        claims.claim(inode);
    }

    /**
     * Inodes held in DRAM because their state is not all in their logs (open, orphan, dirty,
     * mapped): every inode that fsync, syncfs and unmount have work for.
     */
    public Collection<Inode> residentInodes() {
        return inodes.resident();
    }

    /**
     * Called by an operation that held {@code inode}'s lock, before it lets go: holds the inode in
     * DRAM while its state needs it, and weighs it again after a change ({@code changed}).
     */
    public void settle(Inode inode, boolean changed) {
        inodes.settle(inode);
        if (changed) {
            inodes.reweigh(inode);
        }
    }

    /** For a caller without {@code inode}'s lock that gave it state outside its log (a closed mapping's dirty range). */
    public void holdIfNeeded(Inode inode) {
        inodes.holdIfNeeded(inode);
    }

    /** Inodes loaded from their logs since mount: first loads and reloads of dropped ones. */
    public long inodeLoads() {
        return inodes.loads();
    }

    /** Inodes the index cache bound let go of since mount (dropped once nobody holds them, loaded again on next use). */
    public long inodeEvictions() {
        return inodes.evictions();
    }

    /** Estimated DRAM of the inodes the index cache bound holds now (resident ones not counted). */
    public long indexCacheBytes() {
        return inodes.weightedBytes();
    }

    /** Registers a newly created inode. */
    public void register(Inode inode) {
        trusted.set(inode.ino());
        inodes.put(inode);
    }

    /**
     * A single commit store: 8 bytes, after a fence that makes durable what it commits (staged
     * entries, a new inode's record, data), then flushed and fenced.
     */
    void publish(long offset, long value) {
        device.fence();
        device.storeRelease(offset, value);
        device.flush(offset, Long.BYTES);
        device.fence();
    }

    /** Takes blocks that stopped backing anything after a durable commit. */
    BiConsumer<Long, Long> freed() {
        return freed;
    }

    /**
     * Drops a deleted inode: every block it held is free again, and so is its number, unless the
     * kernel still has it looked up: that number stays taken (in DRAM only) until
     * {@link #forgetLookups} drops the last lookup, so a node id the kernel still uses never
     * names a newer file.
     */
    void forget(Inode dead) {
        dead.markDeleted();
        inodes.remove(dead);
        trusted.clear(dead.ino());
        FileExtents index = dead.extentsIfUsed();
        if (index != null) {
            index.runs().forEach(run -> releaser.release(run.block(), run.count()));
        }
        dead.forEachXattrBlock(freed);
        logWriter.discard(dead.log());
        if (!lookups.keepNumber(dead.ino())) {
            inodeTable.release(dead.ino());
        }
    }

    /** The lookups the FUSE kernel holds, per inode number. */
    public LookupCounts lookups() {
        return lookups;
    }

    /** Deletions waiting for the kernel's FORGET or being served (statfs waits for them). */
    public PendingReclaims pendingReclaims() {
        return pendingReclaims;
    }

    /** Counts one lookup of {@code ino}; the caller holds the inode's write lock. */
    public void addLookup(long ino) {
        lookups.add(ino);
    }

    /**
     * A FORGET of {@code count} lookups of {@code ino}: true when the kernel holds none any more
     * and the inode still exists (an unlinked one may now go); a deleted inode's number is freed.
     */
    public boolean forgetLookups(long ino, long count) {
        return switch (lookups.drop(ino, count)) {
            case RELEASED -> true;
            case NUMBER_FREED -> {
                inodeTable.release(ino);
                yield false;
            }
            case UNKNOWN, STILL_HELD -> false;
        };
    }
}
