package io.daxfs.core.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StatsJsonTest {

    @Test
    void countersBecomeNumbersAndMappingsObjects() {
        String text = """
                pinned_bytes 8192
                free_bytes 0
                mode some "text"
                mapping ino=12 offset=0 length=4096 mode=READ age_ms=3
                mapping ino=13 offset=4096 length=8192 mode=WRITE age_ms=0
                """;
        assertEquals("{\"pinned_bytes\":8192,\"free_bytes\":0,\"mode\":\"some \\\"text\\\"\",\"mappings\":["
                + "{\"ino\":12,\"offset\":0,\"length\":4096,\"mode\":\"READ\",\"age_ms\":3},"
                + "{\"ino\":13,\"offset\":4096,\"length\":8192,\"mode\":\"WRITE\",\"age_ms\":0}]}\n", StatsJson.of(text));
    }

    @Test
    void noMappingsIsAnEmptyArray() {
        assertEquals("{\"live_mappings\":0,\"mappings\":[]}\n", StatsJson.of("live_mappings 0\n"));
    }
}
