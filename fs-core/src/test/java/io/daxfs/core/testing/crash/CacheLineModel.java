package io.daxfs.core.testing.crash;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The x86 persistent-memory model that turns a {@link RecordingDevice} trace into
 * {@link CrashState}s. Used only by {@link RecordingDevice}.
 *
 * <p>Media is a row of 64-byte cache lines, each reaching the media whole (a write-back or an
 * eviction moves a full line), independently of other lines (the cache evicts in any order). Stores
 * become visible in program order (TSO), so the content a line can have on media after a crash is
 * one of its <em>versions</em>: its content after some prefix of the stores made to it. For every
 * line the model keeps the versions from its <em>floor</em> (the newest version known durable) to
 * its latest:
 *
 * <ul>
 *   <li>a cached store ({@code write}, {@code storeRelease}) appends a version;
 *   <li>{@code flush} marks the line's latest version as written back, awaiting a fence;
 *   <li>a non-temporal store ({@code copyIn}, {@code zero}) appends a version already awaiting a
 *       fence;
 *   <li>{@code fence} raises the floor of every line awaiting it to the version written back; the
 *       older versions can no longer appear and are dropped.
 * </ul>
 *
 * A store after a line's flush appends a version above the written-back one, so the line stays
 * uncertain after the fence: the flush-time content is then the floor, the later content possible.
 * An 8-byte aligned store lies in one line and makes one version, so it never tears.
 */
final class CacheLineModel {
    private static final int LINE = RecordingDevice.LINE;

    private final byte[] base;
    private final List<TraceEvent> events;
    private final int fences;

    /**
     * @param base the media content at the start of the trace, taken as durable; not modified
     * @param events the trace, not modified
     * @param fences how many {@link TraceEvent.Fence} events it holds
     */
    CacheLineModel(byte[] base, List<TraceEvent> events, int fences) {
        this.base = base;
        this.events = events;
        this.fences = fences;
    }

    int fenceCount() {
        return fences;
    }

    /** The crash state at {@code point} (in [0, fenceCount()]), imaging only that one. */
    CrashState crashState(int point) {
        Replay replay = new Replay();
        for (int i = 0; i < point; i++) {
            replay.skip();
        }
        return replay.next();
    }

    /** All crash states, in order: before each fence, then the end of the trace; made lazily. */
    Stream<CrashState> crashStates() {
        Spliterator<CrashState> spliterator = Spliterators.spliterator(new Replay(), fences + 1L,
                Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.SIZED);
        return StreamSupport.stream(spliterator, false);
    }

    /** A line that is not known to be durable at its latest content. */
    private static final class Line {
        /** Versions from the floor (index 0) to the latest, consecutive duplicates merged. */
        List<byte[]> versions = new ArrayList<>();
        /** Index of the version written back and awaiting a fence, or -1. */
        int awaitingFence = -1;
    }

    /** One pass over the trace, stopping at each crash point. */
    private final class Replay implements Iterator<CrashState> {
        private final byte[] current = base.clone();
        private final byte[] durable = base.clone();
        /** Lines not durable at their latest content, by line number; sorted for reproducible sampling. */
        private final TreeMap<Integer, Line> lines = new TreeMap<>();
        private final List<Integer> awaiting = new ArrayList<>();
        private final List<String> marks = new ArrayList<>();
        private int cursor;
        private int point;
        private boolean fenceToApply;

        @Override
        public boolean hasNext() {
            return point <= fences;
        }

        @Override
        public CrashState next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            boolean end = advance();
            return capture(end);
        }

        /** Moves past the next crash point without imaging it. */
        void skip() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            advance();
            point++;
        }

        /**
         * Replays up to the next crash point: the next fence (left to apply on the following call,
         * since the crash point is the instant before it takes effect) or the end of the trace.
         *
         * @return whether the crash point is the end of the trace
         */
        private boolean advance() {
            if (fenceToApply) {
                fence();
                fenceToApply = false;
            }
            while (cursor < events.size()) {
                switch (events.get(cursor++)) {
                    case TraceEvent.Store s -> store(s.offset(), s.data(), s.data().length, s.nonTemporal());
                    case TraceEvent.Zero z -> store(z.offset(), null, z.length(), true);
                    case TraceEvent.Flush f -> flush(f.offset(), f.length());
                    case TraceEvent.Mark m -> marks.add(m.label());
                    case TraceEvent.Fence f -> {
                        fenceToApply = true;
                        return false;
                    }
                }
            }
            return true;
        }

        /** Applies a store ({@code data}, or zeroes when null) and gives each touched line a version. */
        private void store(long offset, byte[] data, long length, boolean nonTemporal) {
            int start = (int) offset;
            int end = (int) (offset + length);
            if (data == null) {
                Arrays.fill(current, start, end, (byte) 0);
            } else {
                System.arraycopy(data, 0, current, start, data.length);
            }
            for (int line = start / LINE; line < (end + LINE - 1) / LINE; line++) {
                byte[] version = Arrays.copyOfRange(current, line * LINE, line * LINE + LINE);
                Line state = lines.get(line);
                if (state == null) {
                    // A line with no state is durable at the content it had before this store.
                    byte[] old = Arrays.copyOfRange(durable, line * LINE, line * LINE + LINE);
                    if (Arrays.equals(old, version)) {
                        continue;
                    }
                    state = new Line();
                    state.versions.add(old);
                    lines.put(line, state);
                }
                if (!Arrays.equals(version, state.versions.getLast())) {
                    state.versions.add(version);
                }
                if (nonTemporal) {
                    awaitFence(line, state);
                }
            }
        }

        private void flush(long offset, long length) {
            if (length == 0) {
                return;
            }
            int first = (int) (offset / LINE);
            int last = (int) ((offset + length - 1) / LINE);
            for (Map.Entry<Integer, Line> entry : lines.subMap(first, true, last, true).entrySet()) {
                awaitFence(entry.getKey(), entry.getValue());
            }
        }

        private void awaitFence(int line, Line state) {
            if (state.awaitingFence < 0) {
                awaiting.add(line);
            }
            state.awaitingFence = state.versions.size() - 1;
        }

        private void fence() {
            for (int line : awaiting) {
                Line state = lines.get(line);
                List<byte[]> kept = state.versions.subList(state.awaitingFence, state.versions.size());
                state.versions = new ArrayList<>(kept);
                state.awaitingFence = -1;
                System.arraycopy(state.versions.getFirst(), 0, durable, line * LINE, LINE);
                if (state.versions.size() == 1) {
                    lines.remove(line);
                }
            }
            awaiting.clear();
        }

        private CrashState capture(boolean end) {
            List<CrashState.UncertainLine> uncertain = new ArrayList<>();
            for (Map.Entry<Integer, Line> entry : lines.entrySet()) {
                CrashState.UncertainLine line = distinctVersions(entry.getKey(), entry.getValue().versions);
                if (line != null) {
                    uncertain.add(line);
                }
            }
            return new CrashState(point++, end, List.copyOf(marks), durable.clone(), uncertain);
        }
    }

    /**
     * The distinct contents among a line's versions, floor first; null when there is only one
     * (the line went back to its durable content, or was rewritten with the same bytes).
     */
    private static CrashState.UncertainLine distinctVersions(int line, List<byte[]> versions) {
        Set<ByteBuffer> seen = new HashSet<>();
        List<byte[]> distinct = new ArrayList<>();
        for (byte[] version : versions) {
            if (seen.add(ByteBuffer.wrap(version))) {
                distinct.add(version);
            }
        }
        if (distinct.size() == 1) {
            return null;
        }
        int latest = 0;
        while (!Arrays.equals(distinct.get(latest), versions.getLast())) {
            latest++;
        }
        return new CrashState.UncertainLine((long) line * LINE, distinct.toArray(byte[][]::new), latest);
    }
}
