package io.daxfs.core.dir;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.DirEntry;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.fs.DaxFileSystem;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Directory listings bounded by {@link DaxFileSystem#listingEnd}: they end while every name is
 * renamed away and back, show each name left alone exactly once, and resume at a cookie after a
 * remount (telldir/seekdir).
 */
class ListingTest {
    private static final int STABLE = 500;
    private static final int CHURN = 500;

    @Test
    void aListingEndsWhileNamesAreRenamedAwayAndBack() {
        try (DaxFileSystem fs = mount(formattedDevice(32 << 20))) {
            long a = fs.mkdir(fs.rootIno(), "a", 0755, 0, 0).ino();
            long b = fs.mkdir(fs.rootIno(), "b", 0755, 0, 0).ino();
            for (int i = 0; i < STABLE; i++) {
                createFile(fs, a, "s" + i);
                createFile(fs, a, "c" + i);
            }
            Map<String, Integer> seen = new HashMap<>();
            long end = fs.listingEnd(a);
            long cookie = 0;
            int returned = 0;
            while (true) {
                List<DirEntry> batch = fs.readdir(a, cookie, end, 7);
                if (batch.isEmpty()) {
                    break;
                }
                for (DirEntry e : batch) {
                    seen.merge(e.name().toString(), 1, Integer::sum);
                    cookie = e.cookie();
                    returned++;
                    assertTrue(returned <= STABLE + CHURN, "the listing does not end: " + returned + " entries");
                }
                for (int i = 0; i < CHURN; i++) { // every churning name leaves and comes back
                    fs.rename(a, "c" + i, b, "c" + i, 0);
                    fs.rename(b, "c" + i, a, "c" + i, 0);
                }
            }
            for (int i = 0; i < STABLE; i++) {
                assertEquals(1, seen.getOrDefault("s" + i, 0), "s" + i + " left alone");
            }
            seen.values().forEach(n -> assertEquals(1, n, "no name twice: " + seen));
            assertEquals(STABLE + CHURN, fs.readdir(a, 0, Integer.MAX_VALUE).size(), "all are still there");
        }
    }

    @Test
    void aListingResumesAtItsCookieAfterARemount() {
        DaxDevice device = formattedDevice(16 << 20);
        long dir;
        long resumeAt;
        Map<String, Integer> seen = new HashMap<>();
        try (DaxFileSystem fs = mount(device)) {
            dir = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
            for (int i = 0; i < 300; i++) {
                createFile(fs, dir, "f" + i);
            }
            List<DirEntry> first = fs.readdir(dir, 0, fs.listingEnd(dir), 120);
            first.forEach(e -> seen.merge(e.name().toString(), 1, Integer::sum));
            resumeAt = first.getLast().cookie(); // telldir
            fs.unlink(dir, "f0"); // changes meanwhile do not move the others
            createFile(fs, dir, "new");
        }
        try (DaxFileSystem fs = mount(device)) {
            for (DirEntry e : fs.readdir(dir, resumeAt, fs.listingEnd(dir), Integer.MAX_VALUE)) { // seekdir
                seen.merge(e.name().toString(), 1, Integer::sum);
            }
        }
        for (int i = 0; i < 300; i++) {
            assertEquals(1, seen.getOrDefault("f" + i, 0), "f" + i + " in " + seen.keySet());
        }
        assertEquals(1, seen.getOrDefault("new", 0), "a name added after the cookie");
    }
}
