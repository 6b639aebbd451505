package io.daxfs.core.testing.crash;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The media images a crash test checks for one {@link CrashState}: every possible image when there
 * are at most {@link Policy#exhaustiveLimit()} of them, otherwise the oldest, the newest and
 * {@link Policy#samples()} images drawn with a seeded random choice per uncertain line.
 *
 * <p>Iteration reuses one buffer: the durable image is copied once, and each step rewrites only the
 * lines whose choice changed. A {@link CrashImage} is therefore valid only until the iterator
 * advances; copy it ({@link CrashImage#toDevice()}) to keep it. Iterate sequentially.
 */
public final class CrashImages implements Iterable<CrashImage> {

    /**
     * How many images to make.
     *
     * @param exhaustiveLimit enumerate every image when the state allows at most this many (1024 =
     *     every subset of 10 two-way lines)
     * @param samples otherwise, how many random images besides the oldest and the newest
     * @param seed seed of the random choice; the same seed gives the same images for the same trace
     */
    public record Policy(long exhaustiveLimit, int samples, long seed) {
        /** Exhaustive up to 1024 images, else 256 samples, seed 1. */
        public static final Policy DEFAULT = new Policy(1024, 256, 1);

        public Policy {
            if (exhaustiveLimit < 1) {
                throw new IllegalArgumentException("exhaustiveLimit must be at least 1: " + exhaustiveLimit);
            }
            if (samples < 0) {
                throw new IllegalArgumentException("samples must not be negative: " + samples);
            }
        }

        /** This policy with another seed. */
        public Policy withSeed(long newSeed) {
            return new Policy(exhaustiveLimit, samples, newSeed);
        }
    }

    private final CrashState state;
    private final Policy policy;
    private final boolean exhaustive;
    private final long count;

    CrashImages(CrashState state, Policy policy) {
        this.state = state;
        this.policy = Objects.requireNonNull(policy, "policy");
        long possible = state.possibleImageCount();
        this.exhaustive = possible <= policy.exhaustiveLimit();
        this.count = exhaustive ? possible : 2L + policy.samples();
    }

    /** Whether these are all the images the state allows rather than a sample. */
    public boolean isExhaustive() {
        return exhaustive;
    }

    /** How many images the iteration yields (a sample may repeat an image). */
    public long count() {
        return count;
    }

    @Override
    public Iterator<CrashImage> iterator() {
        return new Walk();
    }

    /** The images as a sequential stream; each element is valid only until the next is made. */
    public Stream<CrashImage> stream() {
        Spliterator<CrashImage> spliterator = Spliterators.spliterator(iterator(), count,
                Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.SIZED);
        return StreamSupport.stream(spliterator, false);
    }

    /**
     * Steps through the images on one buffer. Exhaustive: an odometer over the lines' choices, first
     * line fastest, from all-durable upwards. Sampled: all-durable, all-newest, then random choices.
     */
    private final class Walk implements Iterator<CrashImage> {
        private final List<CrashState.UncertainLine> lines = state.uncertainLines();
        private final byte[] buffer = state.durableView().clone();
        /** Choice per uncertain line; the buffer holds exactly these (all durable at first). */
        private final int[] choices = new int[lines.size()];
        private final int[] next = new int[lines.size()];
        // Mixing in the crash point gives each point its own sample for the same seed.
        private final SplittableRandom random =
                new SplittableRandom(policy.seed() * 0x9E3779B97F4A7C15L + state.point());
        private final CrashImage image = new CrashImage(state, buffer, choices);
        private long made;

        @Override
        public boolean hasNext() {
            return made < count;
        }

        @Override
        public CrashImage next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (made > 0) {
                choose();
                for (int i = 0; i < lines.size(); i++) {
                    if (next[i] != choices[i]) {
                        CrashState.UncertainLine line = lines.get(i);
                        System.arraycopy(line.candidates()[next[i]], 0, buffer, (int) line.offset(),
                                RecordingDevice.LINE);
                        choices[i] = next[i];
                    }
                }
            }
            image.number(made++);
            return image;
        }

        /** Fills {@code next} with the choices of image number {@code made} (never the first). */
        private void choose() {
            if (exhaustive) {
                for (int i = 0; i < next.length; i++) {
                    if (++next[i] < lines.get(i).candidates().length) {
                        return;
                    }
                    next[i] = 0;
                }
            } else if (made == 1) {
                for (int i = 0; i < next.length; i++) {
                    next[i] = lines.get(i).latest();
                }
            } else {
                for (int i = 0; i < next.length; i++) {
                    next[i] = random.nextInt(lines.get(i).candidates().length);
                }
            }
        }
    }
}
