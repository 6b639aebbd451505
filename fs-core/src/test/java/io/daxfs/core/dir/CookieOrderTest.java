package io.daxfs.core.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.DirEntry;
import io.daxfs.core.FileKind;
import io.daxfs.core.Name;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link CookieOrder} against a {@code TreeMap}, the structure it replaced, under random adds and removes. */
class CookieOrderTest {
    private static DirEntry entry(long cookie) {
        return new DirEntry(Name.of("n" + cookie), cookie, FileKind.REGULAR, cookie);
    }

    private static List<Long> cookies(CookieOrder order, long after, long end, int max) {
        List<Long> out = new ArrayList<>();
        order.forEach(after, end, e -> {
            out.add(e.cookie());
            return out.size() < max;
        });
        return out;
    }

    @Test
    void behavesAsASortedMapUnderRandomAddsAndRemoves() {
        Random random = new Random(42);
        for (int trial = 0; trial < 50; trial++) {
            CookieOrder order = new CookieOrder();
            TreeMap<Long, DirEntry> model = new TreeMap<>();
            long next = 3;
            for (int step = 0; step < 2000; step++) {
                int what = random.nextInt(10);
                if (what < 5) {
                    long cookie = next++; // the usual case: a new name takes the next cookie
                    order.add(entry(cookie));
                    model.put(cookie, entry(cookie));
                } else if (what < 6) {
                    long cookie = 3 + random.nextLong(next + 5); // out of order, or a removed one's cookie
                    if (!model.containsKey(cookie)) {
                        order.add(entry(cookie));
                        model.put(cookie, entry(cookie));
                        next = Math.max(next, cookie + 1);
                    }
                } else if (!model.isEmpty()) {
                    long cookie = random.nextBoolean() ? model.firstKey() + random.nextLong(next - model.firstKey())
                            : model.lastKey();
                    order.remove(cookie);
                    model.remove(cookie);
                }
                assertEquals(model.size(), order.size());
                if (step % 97 == 0) {
                    long after = random.nextLong(next + 2);
                    long end = after + random.nextLong(next + 2);
                    int max = 1 + random.nextInt(50);
                    List<Long> expected = model.subMap(after, false, end, false).keySet().stream().limit(max).toList();
                    assertEquals(expected, cookies(order, after, end, max));
                }
            }
            List<Long> all = new ArrayList<>();
            order.forEach(e -> all.add(e.cookie()));
            assertEquals(List.copyOf(model.keySet()), all);
            for (long c = 0; c < next + 2; c++) {
                assertEquals(model.containsKey(c), order.contains(c), "contains " + c);
            }
        }
    }

    @Test
    void aTakenCookieIsRefusedAndExtremeCookiesAreListed() {
        CookieOrder order = new CookieOrder();
        order.add(entry(Long.MAX_VALUE));
        order.add(entry(Long.MIN_VALUE));
        order.add(entry(5));
        assertThrows(IllegalStateException.class, () -> order.add(entry(5)));
        List<Long> all = new ArrayList<>();
        order.forEach(e -> all.add(e.cookie()));
        assertEquals(List.of(Long.MIN_VALUE, 5L, Long.MAX_VALUE), all);
        order.remove(5);
        assertFalse(order.contains(5));
        assertTrue(order.contains(Long.MAX_VALUE));
        assertEquals(2, order.size());
    }
}
