package io.daxfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.Shell;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code -o index_cache=0} through a real mount (issue 11 point 4): the daemon keeps no inode it
 * is not using, so after a garbage collection in it (jcmd GC.run) every file and directory is read
 * again from its log: listings, sizes, times, xattrs and contents stay the same. (An open file
 * unlinked meanwhile is covered in fs-core, InodeCacheTest: on the jnr transport a read of an
 * unlinked open file fails with ENOENT whatever the bound.)
 */
class IndexCacheMountTest {
    /** Each directory in readdir order (ls -f: the cookie order), with times, then every file's checksum. */
    private static final String LISTING = "for d in d0 d1 d2; do ls -f --full-time -l $d; done; "
            + "find . -type f | sort | xargs md5sum";

    @Test
    void treesReadAgainFromTheirLogsLookTheSame() throws Exception {
        try (DaxfsMount fs = new DaxfsMount("256M")) {
            fs.mount("index_cache=0");
            fs.sh("for d in 0 1 2; do mkdir d$d; for i in $(seq 1 150); do echo \"file $d $i\" > d$d/f$i; done; "
                    + "setfattr -n user.k -v v$d d$d/f7; done; rm d1/f5 d1/f6; truncate -s 1M d2/f9; sync").ok();
            String first = fs.sh(LISTING).ok().stdout();
            collectGarbageIn(fs);
            Shell.sh(Path.of("/"), "sleep 1.2").ok(); // past the kernel's 1 s entry and attribute caches
            assertEquals(first, fs.sh(LISTING).ok().stdout(), "the tree after every inode was reloaded");
            assertEquals("v1\n", fs.sh("getfattr --only-values -n user.k d1/f7; echo").ok().stdout());

            fs.unmount();
            fs.fsck("-f", "-n").ok();
        }
    }

    /** A full collection in the daemon: with index_cache=0 it drops every inode not in use. */
    private static void collectGarbageIn(DaxfsMount fs) {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Shell.run(List.of(jcmd, fs.daemonPid(), "GC.run"), Map.of(), 60).ok();
    }
}
