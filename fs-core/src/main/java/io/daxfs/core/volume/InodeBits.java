package io.daxfs.core.volume;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.BitSet;

/**
 * A set of inode numbers below a fixed bound that threads set, clear and test without a lock
 * (atomic or and and on the words of a long array). Every create and every unlink marks its
 * number in two such sets ({@link Volume}'s trusted numbers, {@link InodeCache}'s loadable ones);
 * a monitor on each made the cores of two threads creating in different directories take turns
 * to write its lock word as well as the bits. Thread-safe.
 */
final class InodeBits {
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    private final long bound;

    /** An empty set of the numbers below {@code bound}. */
    InodeBits(long bound) {
        if (bound < 0 || bound > (long) Integer.MAX_VALUE * Long.SIZE) {
            throw new IllegalArgumentException("inode number bound " + bound);
        }
        this.bound = bound;
        this.words = new long[(int) ((bound + Long.SIZE - 1) / Long.SIZE)];
    }

    /** The numbers of {@code bits} that lie below {@code bound}. */
    static InodeBits of(BitSet bits, long bound) {
        InodeBits set = new InodeBits(bound);
        for (int i = bits.nextSetBit(0); i >= 0 && i < bound; i = bits.nextSetBit(i + 1)) {
            set.set(i);
        }
        return set;
    }

    void set(long ino) {
        WORD.getAndBitwiseOr(words, index(ino), 1L << ino);
    }

    void clear(long ino) {
        WORD.getAndBitwiseAnd(words, index(ino), ~(1L << ino));
    }

    /** Whether {@code ino} is in the set; false for any number outside the bound. */
    boolean get(long ino) {
        return ino >= 0 && ino < bound && ((long) WORD.getVolatile(words, (int) (ino >>> 6)) & 1L << ino) != 0;
    }

    private int index(long ino) {
        if (ino < 0 || ino >= bound) {
            throw new IllegalArgumentException("inode number " + ino + " outside [0, " + bound + ")");
        }
        return (int) (ino >>> 6);
    }
}
