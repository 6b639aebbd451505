package io.daxfs.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The device images the benchmarks ({@link FsBench}, {@link MillionBench}, {@link MountBench},
 * {@link FsyncBench}, {@link SmallFilesBench}, {@link DeviceBench}) make in /dev/shm: their paths,
 * {@code daxfs-<bench>-<pid>.img} or {@code daxfs-<bench>-<pid>-<name>.img}, and a shutdown hook
 * that deletes this process's images. The benchmarks delete theirs in finally blocks, which a JVM
 * stopped by a signal (SIGTERM from {@code timeout}, Ctrl-C) never runs, and left GiBs in /dev/shm.
 */
final class ShmImages {
    private static final Path DIR = Path.of("/dev/shm");
    private static final long PID = ProcessHandle.current().pid();
    /**
     * This process's images and no other's: the bench name is letters only, so it cannot take in
     * another process's pid ({@code daxfs-fsbench-1234-12.img} is not pid 12's).
     */
    private static final Pattern OURS = Pattern.compile("daxfs-[a-z]+-" + PID + "(-.+)?\\.img");

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ShmImages::deleteAll, "shm-images"));
    }

    private ShmImages() {}

    /** The image of benchmark {@code bench} (lower-case letters): {@code /dev/shm/daxfs-<bench>-<pid>.img}. */
    static Path path(String bench) {
        return DIR.resolve("daxfs-" + bench + "-" + PID + ".img");
    }

    /** One of several images of benchmark {@code bench} (lower-case letters), told apart by {@code name}. */
    static Path path(String bench, String name) {
        return DIR.resolve("daxfs-" + bench + "-" + PID + "-" + name + ".img");
    }

    /** The hook: after a normal end the finally blocks have deleted everything and this finds nothing. */
    private static void deleteAll() {
        try (DirectoryStream<Path> images = Files.newDirectoryStream(DIR,
                file -> OURS.matcher(file.getFileName().toString()).matches())) {
            for (Path image : images) {
                Files.deleteIfExists(image);
                System.err.println("shutdown: deleted " + image);
            }
        } catch (IOException e) {
            System.err.println("shutdown: could not delete the images in " + DIR + ": " + e);
        }
    }
}
