package io.daxfs.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs real programs as a user would, capturing what they print. */
public final class Shell {
    /** What a command printed and how it ended. */
    public record Result(int exitCode, String stdout, String stderr) {
        /** Asserts exit code 0 and returns this. */
        public Result ok() {
            assertEquals(0, exitCode, () -> "exit " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr);
            return this;
        }

        /** Asserts exit code {@code expected} and returns this. */
        public Result exits(int expected) {
            assertEquals(expected, exitCode, () -> "stdout: " + stdout + "\nstderr: " + stderr);
            return this;
        }
    }

    private Shell() {}

    /** Runs {@code bash -c script} in {@code dir} with {@code set -euo pipefail}. */
    public static Result sh(Path dir, String script) {
        return run(List.of("bash", "-c", "set -euo pipefail; cd '" + dir + "'; " + script), Map.of(), 600);
    }

    /** Runs {@code command}; fails the test if it takes longer than {@code timeoutSeconds}. */
    public static Result run(List<String> command, Map<String, String> env, long timeoutSeconds) {
        try {
            Path out = Files.createTempFile("daxfs-it-out", ".txt");
            Path err = Files.createTempFile("daxfs-it-err", ".txt");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile())
                        .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("timed out after " + timeoutSeconds + " s: " + command);
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + command, e);
        }
    }
}
