package io.daxfs.core.balloc;

/** A run of {@code count} device blocks from {@code start}. */
public record Extent(long start, long count) {
    public Extent {
        if (start <= 0 || count <= 0) {
            throw new IllegalArgumentException("invalid extent " + start + "+" + count);
        }
    }

    public long end() {
        return start + count;
    }
}
