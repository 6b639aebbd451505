package io.daxfs.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Run by its own Surefire execution with {@code -Ddaxfs.native=false} (see native/pom.xml): the
 * switch that forces the pure-Java path must leave {@link NativePmem#instance()} empty and say why.
 */
class NativePmemFallbackIT {

    @Test
    void disabledLibraryFallsBackWithAReason() {
        assertEquals("false", System.getProperty(NativePmem.ENABLE_PROPERTY));
        assertTrue(NativePmem.instance().isEmpty());
        assertTrue(NativePmem.unavailableReason().orElseThrow().contains("daxfs.native=false"));
    }
}
