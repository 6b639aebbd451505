package io.daxfs.mkfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SizesTest {
    @Test
    void parsesPlainBytesAndBinarySuffixes() {
        assertEquals(4096, Sizes.parse("4096"));
        assertEquals(512L << 10, Sizes.parse("512K"));
        assertEquals(512L << 20, Sizes.parse("512M"));
        assertEquals(512L << 20, Sizes.parse("512m"));
        assertEquals(4L << 30, Sizes.parse("4G"));
        assertEquals(4L << 30, Sizes.parse("4GiB"));
        assertEquals(1L << 40, Sizes.parse("1T"));
        assertEquals(2L << 50, Sizes.parse("2P"));
    }

    @Test
    void rejectsNonsense() {
        for (String bad : new String[] {"", "M", "12X", "-5", "1.5G", "0", "0M", "4 G x", "99999999999999999999",
                "9000000E", "16E"}) {
            assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), bad);
        }
    }

    @Test
    void printsHumanSizes() {
        assertEquals("1000 B", Sizes.human(1000));
        assertEquals("4 KiB", Sizes.human(4096));
        assertEquals("512 MiB", Sizes.human(512L << 20));
        assertEquals("1.5 GiB", Sizes.human(3L << 29));
        assertEquals("1 TiB", Sizes.human(1L << 40));
    }
}
