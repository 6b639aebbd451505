package io.daxfs.core.testing.crash;

import java.util.List;

/**
 * What the media may hold if power fails at one crash point of a {@link RecordingDevice} trace: a
 * durable image (every line at the newest content known to have reached the media) and the
 * uncertain lines, each of which may hold any of a few contents. Crash tests get these from
 * {@link RecordingDevice#crashStates()} and walk the images with {@link #images(CrashImages.Policy)}.
 */
public final class CrashState {

    /**
     * A line whose media content is not known: {@code candidates[0]} is its durable content,
     * {@code candidates[latest]} what the program last stored, the others contents it had in between
     * (all distinct, each {@link RecordingDevice#LINE} bytes). Shared by the images; never modified.
     */
    record UncertainLine(long offset, byte[][] candidates, int latest) {}

    private final int point;
    private final boolean end;
    private final List<String> marks;
    private final byte[] durable;
    private final List<UncertainLine> uncertain;

    CrashState(int point, boolean end, List<String> marks, byte[] durable, List<UncertainLine> uncertain) {
        this.point = point;
        this.end = end;
        this.marks = marks;
        this.durable = durable;
        this.uncertain = List.copyOf(uncertain);
    }

    /** The crash point: the number of the fence it precedes, or the fence count at the end. */
    public int point() {
        return point;
    }

    /** Whether this is the end of the trace rather than the instant before a fence. */
    public boolean isEnd() {
        return end;
    }

    /** Labels given to {@link RecordingDevice#mark} before this point, oldest first. */
    public List<String> marks() {
        return marks;
    }

    /** The last label marked before this point, or null when there is none. */
    public String lastMark() {
        return marks.isEmpty() ? null : marks.getLast();
    }

    /** Lines that may hold more than one content. */
    public int uncertainLineCount() {
        return uncertain.size();
    }

    /** Device offsets of the uncertain lines, ascending. */
    public long[] uncertainLineOffsets() {
        return uncertain.stream().mapToLong(UncertainLine::offset).toArray();
    }

    /** Distinct media images this state allows (the product of candidates per line), saturating. */
    public long possibleImageCount() {
        long count = 1;
        for (UncertainLine line : uncertain) {
            int choices = line.candidates().length;
            if (count > Long.MAX_VALUE / choices) {
                return Long.MAX_VALUE;
            }
            count *= choices;
        }
        return count;
    }

    /** A copy of the image with every uncertain line at its durable content: the oldest state. */
    public byte[] durableImage() {
        return durable.clone();
    }

    /** A copy of the image with every uncertain line at its latest content: what the program wrote. */
    public byte[] newestImage() {
        byte[] image = durable.clone();
        for (UncertainLine line : uncertain) {
            System.arraycopy(line.candidates()[line.latest()], 0, image, (int) line.offset(),
                    RecordingDevice.LINE);
        }
        return image;
    }

    /** The images to test under {@link CrashImages.Policy#DEFAULT}. */
    public CrashImages images() {
        return images(CrashImages.Policy.DEFAULT);
    }

    /** The images to test under {@code policy}: every one when few enough, else a seeded sample. */
    public CrashImages images(CrashImages.Policy policy) {
        return new CrashImages(this, policy);
    }

    byte[] durableView() {
        return durable;
    }

    List<UncertainLine> uncertainLines() {
        return uncertain;
    }

    @Override
    public String toString() {
        String where = end ? "end of trace" : "before fence " + point;
        String after = marks.isEmpty() ? "" : ", after '" + lastMark() + "'";
        return "crash point " + point + " (" + where + after + ", " + uncertain.size() + " uncertain lines)";
    }
}
