package io.daxfs.fsck;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** Runs {@link FsckMain#run} in-process and captures what it prints. */
record FsckRunner(int code, String out, String err) {

    static FsckRunner fsck(String... args) {
        return fsck(new AtomicBoolean(), args);
    }

    static FsckRunner fsck(AtomicBoolean cancelled, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = FsckMain.run(args, o, e, false, cancelled);
        }
        return new FsckRunner(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    List<String> errorLines() {
        return out.lines().filter(l -> l.startsWith("ERROR: ")).toList();
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
