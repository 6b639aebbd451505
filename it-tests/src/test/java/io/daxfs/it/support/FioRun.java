package io.daxfs.it.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One fio command line, run to completion with {@code --output-format=json}, and what it reported. */
public final class FioRun {
    public final List<String> args;
    public final int exitCode;
    public final String stdout;
    public final String stderr;
    /** The "jobs" array of fio's JSON output (empty if fio printed none). */
    public final List<Map<String, Object>> jobs;

    private FioRun(List<String> args, int exitCode, String stdout, String stderr, List<Map<String, Object>> jobs) {
        this.args = args;
        this.exitCode = exitCode;
        this.stdout = stdout;
        this.stderr = stderr;
        this.jobs = jobs;
    }

    /** Runs {@code fio args --output-format=json} in {@code cwd} (where fio keeps its verify state files). */
    public static FioRun run(Path cwd, List<String> args, long timeoutSeconds) {
        return finish(start(cwd, args), timeoutSeconds);
    }

    public static Background start(Path cwd, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("fio", "--output-format=json"));
        cmd.addAll(args);
        return Background.start(cmd, cwd, Map.of());
    }

    @SuppressWarnings("unchecked")
    public static FioRun finish(Background fio, long timeoutSeconds) {
        try (fio) {
            int rc = fio.waitFor(timeoutSeconds);
            String out = fio.stdout();
            List<Map<String, Object>> jobs = List.of();
            if (out.contains("\"jobs\"")) {
                jobs = (List<Map<String, Object>>) (Object) MiniJson.parseObject(out).get("jobs");
            }
            return new FioRun(fio.command(), rc, out, fio.stderr(), jobs);
        }
    }

    /** fio's error lines and anything about verification, for messages. */
    public String problems() {
        StringBuilder b = new StringBuilder();
        for (String line : (stderr + "\n" + stdout).split("\n")) {
            if (line.startsWith("fio:") || line.contains("verify") || line.contains("error") && !line.contains("\"")) {
                b.append(line).append('\n');
            }
        }
        return Background.tail(b.toString(), 4000);
    }

    public long sum(String ddir, String field) {
        return jobs.stream().mapToLong(j -> MiniJson.num(j, ddir, field)).sum();
    }

    public List<Long> errors() {
        return jobs.stream().map(j -> MiniJson.num(j, "error")).toList();
    }

    /** Whether fio printed anything that reports a verification failure. */
    public boolean reportsVerifyFailure() {
        String all = stderr + "\n" + stdout;
        return all.contains("verify: bad") || all.contains("verify failed") || all.contains("bad header")
                || all.contains("hdr_fail") || all.contains("crc32c: verify") || errors().contains(84L);
    }

    /** Asserts exit code 0 and returns this. */
    public FioRun requireOk() {
        if (exitCode != 0) {
            throw new AssertionError(this + "\n" + problems());
        }
        return this;
    }

    @Override
    public String toString() {
        return "fio " + String.join(" ", args) + " -> exit " + exitCode + ", job errors " + errors();
    }
}
