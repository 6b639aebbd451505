package io.daxfs.mkfs;

import java.io.PrintStream;

/**
 * Progress of one long piece of work, shown only once it has taken more than a second: on a
 * terminal as a percentage rewritten in place, otherwise as a line every 10%.
 */
final class Progress {
    private static final long QUIET_NS = 1_000_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private final String what;
    private final long total;
    private final long started = System.nanoTime();
    private long done;
    private int shownPercent = -1;
    private boolean shown;

    /** @param out where to print, or null for no output */
    Progress(PrintStream out, boolean terminal, String what, long total) {
        this.out = out;
        this.terminal = terminal;
        this.what = what;
        this.total = Math.max(1, total);
    }

    void advance(long amount) {
        done = Math.min(total, done + amount);
        if (out == null || System.nanoTime() - started < QUIET_NS) {
            return;
        }
        int percent = (int) (done * 100 / total);
        if (terminal) {
            if (percent != shownPercent) {
                out.print("\r" + what + ": " + percent + "%");
                out.flush();
            }
        } else if (!shown || percent / 10 != shownPercent / 10) {
            out.println(what + ": " + percent + "%");
        }
        shownPercent = percent;
        shown = true;
    }

    void finish() {
        if (out != null && shown) {
            long ms = (System.nanoTime() - started) / 1_000_000;
            out.print((terminal ? "\r" : "") + what + ": done (" + ms / 1000 + "." + (ms % 1000) / 100 + " s)\n");
            out.flush();
        }
    }
}
