package io.daxfs.core.balloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.format.Layout;
import java.util.BitSet;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link SlotSet}: membership, the masks and pages it reports, merging with clashes, and the same
 * answers as a plain map of block to mask under random adds and removes over sparse blocks.
 */
class SlotSetTest {
    @Test
    void addsContainsAndRemovesSlotsPageByPage() {
        SlotSet set = new SlotSet();
        assertTrue(set.add(SlotSet.slotOffset(5, 0)));
        assertTrue(set.add(SlotSet.slotOffset(5, 7)));
        assertFalse(set.add(SlotSet.slotOffset(5, 7)), "a slot is added once");
        assertEquals(0b1000_0001, set.mask(5));
        assertTrue(set.contains(SlotSet.slotOffset(5, 7)));
        assertFalse(set.contains(SlotSet.slotOffset(5, 6)));
        assertTrue(set.isPacked(5));
        assertFalse(set.isPacked(4));
        assertEquals(2, set.size());

        assertEquals(0b1000_0000, set.remove(SlotSet.slotOffset(5, 0)), "the slots left in the page");
        assertEquals(0b1000_0000, set.remove(SlotSet.slotOffset(5, 0)), "removing an absent slot changes nothing");
        assertEquals(0, set.remove(SlotSet.slotOffset(5, 7)), "the page's last slot");
        assertFalse(set.isPacked(5));
        assertEquals(0, set.size());
        assertEquals(0, set.remove(SlotSet.slotOffset(1_000_000, 3)), "a block no chunk covers yet");
        assertEquals(0, set.mask(-1));
    }

    @Test
    void offsetsOutsideBlockNumbersAreRefused() {
        SlotSet set = new SlotSet();
        assertThrows(IllegalArgumentException.class, () -> set.add(-Layout.SLOT_SIZE));
        assertThrows(IllegalArgumentException.class, () -> set.add(Layout.offsetOf(1L << 31)));
    }

    @Test
    void mergingReportsTheBlocksOfSlotsBothSetsHeld() {
        SlotSet a = new SlotSet();
        SlotSet b = new SlotSet();
        a.add(SlotSet.slotOffset(3, 1));
        a.add(SlotSet.slotOffset(9000, 2));
        b.add(SlotSet.slotOffset(3, 2));
        b.add(SlotSet.slotOffset(9000, 2));
        b.add(SlotSet.slotOffset(70_000, 0));
        BitSet clashes = new BitSet();
        a.addAll(b, clashes);
        BitSet expected = new BitSet();
        expected.set(9000);
        assertEquals(expected, clashes);
        assertEquals(4, a.size(), "a slot held by both counts once");
        assertEquals(0b110, a.mask(3));
        BitSet pages = new BitSet();
        pages.set(3);
        pages.set(9000);
        pages.set(70_000);
        assertEquals(pages, a.pages());
    }

    @Test
    void answersAsAMapOfBlockToMaskUnderRandomChanges() {
        Random random = new Random(11);
        SlotSet set = new SlotSet();
        TreeMap<Long, Integer> model = new TreeMap<>();
        long slots = 0;
        for (int i = 0; i < 200_000; i++) {
            // sparse blocks: a few dense ranges far apart, as packed pages near several allocation cursors
            long block = random.nextInt(4) * 300_000L + random.nextInt(5000);
            int index = random.nextInt(Layout.SLOTS_PER_BLOCK);
            long offset = SlotSet.slotOffset(block, index);
            int mask = model.getOrDefault(block, 0);
            boolean present = (mask & 1 << index) != 0;
            if (random.nextInt(3) == 0) {
                int left = mask & ~(1 << index);
                assertEquals(left, set.remove(offset));
                slots -= present ? 1 : 0;
                if (left == 0) {
                    model.remove(block);
                } else {
                    model.put(block, left);
                }
            } else {
                assertEquals(!present, set.add(offset));
                slots += present ? 0 : 1;
                model.put(block, mask | 1 << index);
            }
            int now = model.getOrDefault(block, 0);
            assertEquals(now, set.mask(block));
            assertEquals((now & 1 << index) != 0, set.contains(offset));
        }
        assertEquals(slots, set.size());
        TreeMap<Long, Integer> seen = new TreeMap<>();
        set.forEachPage((block, mask) -> assertEquals(null, seen.put(block, mask), "each page once"));
        assertEquals(model, seen);
        BitSet pages = new BitSet();
        model.keySet().forEach(b -> pages.set((int) (long) b));
        assertEquals(pages, set.pages());
    }
}
