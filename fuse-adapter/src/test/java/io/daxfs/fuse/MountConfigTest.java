package io.daxfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.MountOptions;
import io.daxfs.core.device.PersistenceMode;
import io.daxfs.fuse.kernel.TransportOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountConfigTest {

    @Test
    void defaults() throws UsageException {
        MountConfig c = MountConfig.parse("/dev/shm/img", "/mnt/x");
        assertEquals(Path.of("/dev/shm/img"), c.device());
        assertEquals(Path.of("/mnt/x"), c.mountPoint());
        assertFalse(c.readOnly());
        assertEquals(MountConfig.Dax.INODE, c.dax());
        assertEquals(PersistenceMode.AUTO, c.flush());
        assertEquals(MountOptions.Writeback.SYNC, c.writeback());
        assertEquals(MountOptions.Atime.RELATIME, c.atime());
        assertEquals("/dev/shm/img", c.fsname());
        assertEquals("daxfs", c.subtype());
        assertEquals(MountConfig.Transport.KERNEL, c.transport());
        assertFalse(c.singleThread(), "the kernel transport serves with several threads");
        assertEquals(1 << 20, c.maxWrite());
        assertFalse(c.foreground() || c.debug() || c.allowOther() || c.defaultPermissions());
        MountConfig jnr = MountConfig.parse("/dev/shm/img", "/mnt/x", "-o", "transport=jnr");
        assertTrue(jnr.singleThread());
        assertEquals(List.of("-o", "fsname=/dev/shm/img,subtype=daxfs,hard_remove,use_ino,big_writes,"
                + "max_write=131072,max_read=131072,attr_timeout=1.0,entry_timeout=1.0,rw", "-s"), jnr.fuseArguments());
    }

    @Test
    void everyOption() throws UsageException {
        MountConfig c = MountConfig.parse("-f", "img", "-o", "ro,dax=always,flush=msync", "mnt",
                "-owriteback=fsync,noatime,allow_other,default_permissions,fsname=pm0,subtype=dx", "-s", "-o",
                "max_write=65536,max_read=8192,attr_timeout=2.5,entry_timeout=0,nodev,nosuid");
        assertTrue(c.readOnly() && c.foreground() && c.singleThread() && c.allowOther() && c.defaultPermissions());
        assertEquals(MountConfig.Dax.ALWAYS, c.dax());
        assertEquals(PersistenceMode.MSYNC, c.flush());
        assertEquals(MountOptions.Writeback.FSYNC, c.writeback());
        assertEquals(MountOptions.Atime.NOATIME, c.atime());
        assertEquals(new MountOptions(true, MountOptions.Writeback.FSYNC, MountOptions.Atime.NOATIME, true,
                MountOptions.defaultIndexCacheBytes(), "always"), c.coreOptions());
        assertEquals(Path.of("img").toAbsolutePath(), c.device());
        assertEquals(List.of("-o", "fsname=pm0,subtype=dx,hard_remove,use_ino,big_writes,max_write=65536,"
                + "max_read=8192,attr_timeout=2.5,entry_timeout=0.0,ro,allow_other,default_permissions,nodev,nosuid",
                "-s"), c.fuseArguments());
    }

    /** Harnesses mount with "fsname=DEV,subtype=": the source is DEV and the type plain "fuse". */
    @Test
    void anEmptySubtypeLeavesThePlainFuseType() throws UsageException {
        MountConfig c = MountConfig.parse("img", "mnt", "-o", "fsname=test-dev,subtype=");
        assertEquals("", c.subtype());
        assertEquals("fsname=test-dev,hard_remove", c.fuseArguments().get(1).substring(0, 27));
        assertFalse(c.fuseArguments().get(1).contains("subtype"));
        assertMessage("option subtype= needs a value", "img", "mnt", "-o", "subtype");
    }

    @Test
    void theKernelTransportTakesMegabyteRequestsAndServesMultiThreaded() throws UsageException {
        MountConfig c = MountConfig.parse("d", "m", "-o", "transport=kernel,subtype=");
        assertEquals(MountConfig.Transport.KERNEL, c.transport());
        assertEquals(1 << 20, c.maxWrite());
        assertEquals(1 << 20, c.maxRead());
        assertFalse(c.singleThread());
        assertEquals("", c.subtype(), "an empty subtype gives the plain fuse type");
        assertTrue(MountConfig.parse("d", "m", "-o", "transport=kernel,loop=single").singleThread());
        assertEquals(MountConfig.Transport.KERNEL, MountConfig.parse("d", "m").transport(), "the default on Linux");
        assertEquals(MountConfig.Transport.JNR, MountConfig.parse("d", "m", "-o", "transport=jnr").transport());
        assertMessage("expected transport=kernel|jnr", "d", "m", "-o", "transport=fast");
    }

    /** index_cache bounds the DRAM of unused inode indexes (fs-core's InodeCache), on either transport. */
    @Test
    void theIndexCacheTakesAByteCountWithASuffix() throws UsageException {
        assertEquals(64L << 20, MountConfig.parse("d", "m", "-o", "index_cache=64M").coreOptions().indexCacheBytes());
        assertEquals(2L << 30, MountConfig.parse("d", "m", "-o", "index_cache=2g,transport=kernel").indexCacheBytes());
        assertEquals(4096, MountConfig.parse("d", "m", "-o", "index_cache=4k").indexCacheBytes());
        assertEquals(0, MountConfig.parse("d", "m", "-o", "index_cache=0").indexCacheBytes());
        assertEquals(MountOptions.defaultIndexCacheBytes(), MountConfig.parse("d", "m").coreOptions().indexCacheBytes());
        assertMessage("option index_cache=lots must be a byte count", "d", "m", "-o", "index_cache=lots");
        assertMessage("option index_cache=-1 must be a byte count", "d", "m", "-o", "index_cache=-1");
        assertMessage("option index_cache=99999999999G must be a byte count", "d", "m", "-o", "index_cache=99999999999G");
        assertMessage("option index_cache= needs a value", "d", "m", "-o", "index_cache");
    }

    /** spin= bounds how long the kernel transport polls for the next request after a reply. */
    @Test
    void theSpinIsMicrosecondsAndZeroTurnsItOff() throws UsageException {
        assertEquals(TransportOptions.DEFAULT_SPIN_MICROS, MountConfig.parse("d", "m").spinMicros());
        assertEquals(0, MountConfig.parse("d", "m", "-o", "spin=0").spinMicros());
        assertEquals(200, MountConfig.parse("d", "m", "-o", "spin=200,transport=kernel").spinMicros());
        assertEquals(TransportOptions.MAX_SPIN_MICROS,
                MountConfig.parse("d", "m", "-o", "spin=" + TransportOptions.MAX_SPIN_MICROS).spinMicros());
        assertMessage("option spin=-1 must be microseconds between 0 and 10000", "d", "m", "-o", "spin=-1");
        assertMessage("option spin=10001 must be microseconds between 0 and 10000", "d", "m", "-o", "spin=10001");
        assertMessage("option spin=fast must be microseconds", "d", "m", "-o", "spin=fast");
        assertMessage("option spin= needs a value", "d", "m", "-o", "spin");
        assertThrows(IllegalArgumentException.class, () -> new TransportOptions(1 << 20, 1 << 20, 1, 1, 4, true, -1, TransportOptions.Uring.OFF));
    }

    /** threads= sets how many threads serve /dev/fuse; loop=single means one, and both at once is an error. */
    @Test
    void theServingThreadsAreAnOption() throws UsageException {
        assertEquals(Math.clamp(Runtime.getRuntime().availableProcessors(), 2, TransportOptions.MAX_THREADS),
                MountConfig.parse("d", "m").threads(), "one per CPU, at least 2");
        assertEquals(2, MountConfig.parse("d", "m", "-o", "threads=2").threads());
        assertEquals(1, MountConfig.parse("d", "m", "-o", "loop=single").threads());
        assertEquals(1, MountConfig.parse("d", "m", "-o", "threads=1,loop=single").threads());
        assertEquals(TransportOptions.MAX_THREADS,
                MountConfig.parse("d", "m", "-o", "threads=" + TransportOptions.MAX_THREADS).threads());
        assertMessage("threads=2 contradicts loop=single", "d", "m", "-o", "threads=2,loop=single");
        assertMessage("threads=3 contradicts loop=single", "d", "m", "-o", "threads=3", "-s");
        assertMessage("option threads=0 must be a number between 1 and 64", "d", "m", "-o", "threads=0");
        assertMessage("option threads=65 must be a number between 1 and 64", "d", "m", "-o", "threads=65");
        assertMessage("option threads=many is not a number", "d", "m", "-o", "threads=many");
        assertMessage("option threads= needs a value", "d", "m", "-o", "threads");
    }

    /** uring: FUSE over io_uring, off unless asked for; the last of contradicting options wins. */
    @Test
    void uringIsOffUnlessAskedFor() throws UsageException {
        assertEquals(TransportOptions.Uring.OFF, MountConfig.parse("d", "m").uring());
        assertEquals(TransportOptions.Uring.ON, MountConfig.parse("d", "m", "-o", "uring").uring());
        assertEquals(TransportOptions.Uring.ON, MountConfig.parse("d", "m", "-o", "uring=on").uring());
        assertEquals(TransportOptions.Uring.AUTO, MountConfig.parse("d", "m", "-o", "uring=auto").uring());
        assertEquals(TransportOptions.Uring.OFF, MountConfig.parse("d", "m", "-o", "uring,uring=off").uring());
        assertMessage("expected uring=off|auto|on", "d", "m", "-o", "uring=yes");
    }

    @Test
    void theMultiThreadedLoopIsAnOption() throws UsageException {
        MountConfig c = MountConfig.parse("d", "m", "-o", "loop=multi");
        assertFalse(c.singleThread());
        assertFalse(c.fuseArguments().contains("-s"));
        assertTrue(MountConfig.parse("d", "m", "-o", "loop=multi", "-s").singleThread(), "-s wins");
        assertMessage("expected loop=single|multi", "d", "m", "-o", "loop=many");
    }

    @Test
    void lastOfContradictingOptionsWins() throws UsageException {
        assertFalse(MountConfig.parse("d", "m", "-o", "ro,rw").readOnly());
        assertEquals(MountOptions.Atime.STRICTATIME,
                MountConfig.parse("d", "m", "-o", "noatime", "-o", "strictatime").atime());
    }

    @Test
    void debugImpliesForeground() throws UsageException {
        MountConfig c = MountConfig.parse("d", "m", "-d");
        assertTrue(c.debug() && c.foreground());
    }

    @Test
    void mountHelperOptionsAreAccepted() throws UsageException {
        // What mount.fuse passes on from fstab: defaults and the generic kernel flags.
        MountConfig c = MountConfig.parse("d", "m", "-o", "rw,defaults,dev,suid,exec,async,relatime");
        assertEquals(List.of("dev", "suid", "exec", "async"), c.kernelFlags());
    }

    @Test
    void fsnameIsEscapedForLibfuse() throws UsageException {
        MountConfig c = MountConfig.parse("d", "m", "-o", "fsname=a\\,b,ro");
        assertEquals("a,b", c.fsname());
        assertTrue(c.readOnly());
        assertTrue(c.fuseArguments().get(1).startsWith("fsname=a\\,b,"), c.fuseArguments().get(1));
    }

    @Test
    void optionsOtherFilesystemsTakeAreAccepted() throws UsageException {
        MountConfig c = MountConfig.parse("d", "m", "-o", "nodiratime,lazytime,dax,nofail,x-systemd.automount,_netdev");
        assertFalse(c.dirAtime());
        assertFalse(c.coreOptions().dirAtime());
        assertEquals(MountConfig.Dax.ALWAYS, c.dax(), "a bare dax is dax=always, as on ext4 and xfs");
        assertEquals(List.of(), c.kernelFlags(), "nothing of these reaches libfuse");
        assertTrue(MountConfig.parse("d", "m", "-o", "nodiratime,diratime").dirAtime());
        assertTrue(MountConfig.parse("d", "m").coreOptions().dirAtime(), "diratime by default, as Linux");
        assertEquals(MountConfig.Dax.INODE, MountConfig.parse("d", "m", "-o", "dax,dax=inode").dax());
    }

    @Test
    void everyUnknownOptionIsNamedInOneLine() {
        UsageException e = assertThrows(UsageException.class,
                () -> MountConfig.parse("d", "m", "-o", "acl,noatime,user_xattr", "-o", "errors=remount-ro"));
        assertTrue(e.getMessage().startsWith("unknown options 'acl', 'user_xattr', 'errors=remount-ro'; valid options: "),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void badCommandLinesListTheValidOptions() {
        assertMessage("unknown option 'bogus'", "d", "m", "-o", "bogus");
        assertMessage("expected dax=always|never|inode", "d", "m", "-o", "dax=sometimes");
        assertMessage("expected flush=cpu|msync|none|auto", "d", "m", "-o", "flush=");
        assertMessage("expected writeback=sync|fsync", "d", "m", "-o", "writeback=later");
        assertMessage("option ro takes no value", "d", "m", "-o", "ro=1");
        assertMessage("fsname= needs a value", "d", "m", "-o", "fsname=");
        assertMessage("must be at most 131072 with transport=jnr", "d", "m", "-o", "max_write=262144,transport=jnr");
        assertMessage("must be a multiple of 4096", "d", "m", "-o", "max_write=2097152,transport=kernel");
        assertMessage("must be a multiple of 4096", "d", "m", "-o", "max_read=1000");
        assertMessage("is not a number", "d", "m", "-o", "max_read=lots");
        assertMessage("must be seconds", "d", "m", "-o", "attr_timeout=-1");
        assertMessage("-o needs a list", "d", "m", "-o");
        assertMessage("expected DEVICE and MOUNTPOINT", "d");
        assertMessage("expected DEVICE and MOUNTPOINT", "d", "m", "extra");
        assertMessage("unknown flag -x", "d", "m", "-x");
    }

    private static void assertMessage(String expected, String... args) {
        UsageException e = assertThrows(UsageException.class, () -> MountConfig.parse(args));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        if (e.getMessage().contains("option")) {
            assertTrue(e.getMessage().contains("valid options: ") || e.getMessage().contains("4096")
                    || e.getMessage().contains("number") || e.getMessage().contains("seconds")
                    || e.getMessage().contains("byte count"), e.getMessage());
        }
    }
}
