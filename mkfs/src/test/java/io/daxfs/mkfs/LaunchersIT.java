package io.daxfs.mkfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runs bin/mkfs.daxfs and bin/daxfs-info as an operator would (after package: they need the jar). */
class LaunchersIT {
    private static final Path HOME = Path.of(System.getProperty("daxfs.home", "..")).toAbsolutePath().normalize();
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = Cli.scratch("launcher-it");
    }

    @AfterEach
    void tearDown() throws IOException {
        Cli.deleteTree(dir);
    }

    private static Cli.Result run(String tool, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(HOME.resolve("bin").resolve(tool).toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        String out = readAll(p.getInputStream());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        return new Cli.Result(p.exitValue(), out, err.get());
    }

    private static String readAll(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void formatsInspectsAndRefuses() throws Exception {
        Path img = dir.resolve("it.img");
        Cli.Result made = run("mkfs.daxfs", "-s", "32M", "-L", "launcher", img.toString());
        assertEquals(0, made.code(), made.toString());
        assertEquals("", made.err(), "fs-core's INFO log must stay quiet: " + made);
        assertTrue(made.out().contains("label:        \"launcher\""), made.toString());
        assertEquals(32L << 20, Files.size(img));

        Cli.Result again = run("mkfs.daxfs", img.toString());
        assertEquals(2, again.code(), again.toString());
        assertEquals(1, again.errLines().size(), again.toString());

        Cli.Result info = run("daxfs-info", "-i", "1", img.toString());
        assertEquals(0, info.code(), info.toString());
        assertEquals("", info.err(), info.toString());
        assertTrue(info.out().contains("Label:                \"launcher\""), info.toString());
        assertTrue(info.out().contains("INODE    mode=040755"), info.toString());

        Cli.Result bad = run("mkfs.daxfs", "-s", "lots", img.toString());
        assertEquals(1, bad.code(), bad.toString());
        assertEquals(1, bad.errLines().size(), bad.toString());
    }

    /** Another process holding the lock the FUSE daemon takes on its device: mkfs must refuse. */
    @Test
    void refusesADeviceLockedByAnotherProcess() throws Exception {
        Path img = dir.resolve("locked.img");
        assertEquals(0, run("mkfs.daxfs", "-q", "-s", "8M", img.toString()).code());
        Path holder = dir.resolve("LockHolder.java");
        Files.writeString(holder, """
                import java.nio.channels.FileChannel;
                import java.nio.file.Path;
                import java.nio.file.StandardOpenOption;
                public class LockHolder {
                    public static void main(String[] a) throws Exception {
                        try (FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.READ,
                                StandardOpenOption.WRITE); var lock = c.lock()) {
                            System.out.println("locked");
                            System.out.flush();
                            System.in.read();
                        }
                    }
                }
                """);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                holder.toString(), img.toString()).redirectErrorStream(true).start();
        try {
            String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertEquals("locked", first);
            String before = Cli.sha256(img);
            Cli.Result r = run("mkfs.daxfs", "-f", img.toString());
            assertEquals(3, r.code(), r.toString());
            assertTrue(r.err().contains("in use"), r.toString());
            assertEquals(1, r.errLines().size(), r.toString());
            assertEquals(before, Cli.sha256(img));
        } finally {
            p.getOutputStream().close();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertEquals(0, run("mkfs.daxfs", "-f", "-q", img.toString()).code(), "free again once the holder exits");
    }
}
