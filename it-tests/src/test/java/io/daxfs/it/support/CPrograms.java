package io.daxfs.it.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The C test programs under {@code it-tests/src/test/c/}, compiled with gcc on first use into
 * {@code it-tests/target/c-bin/} (rebuilt when the source is newer).
 */
public final class CPrograms {
    private static final Map<String, Path> BUILT = new ConcurrentHashMap<>();

    private CPrograms() {}

    /** The binary of {@code it-tests/src/test/c/NAME.c}, compiled if needed. */
    public static Path build(String name) {
        return BUILT.computeIfAbsent(name, CPrograms::compile);
    }

    private static Path compile(String name) {
        Path source = DaxfsMount.REPO.resolve("it-tests/src/test/c/" + name + ".c");
        Path binary = DaxfsMount.REPO.resolve("it-tests/target/c-bin/" + name);
        try {
            Files.createDirectories(binary.getParent());
            if (Files.exists(binary) && Files.getLastModifiedTime(binary).compareTo(Files.getLastModifiedTime(source)) > 0) {
                return binary;
            }
        } catch (java.io.IOException e) {
            throw new AssertionError("cannot prepare " + binary, e);
        }
        Shell.run(List.of("gcc", "-O2", "-g", "-Wall", "-Wextra", "-o", binary.toString(), source.toString()), Map.of(), 120)
                .ok();
        return binary;
    }
}
