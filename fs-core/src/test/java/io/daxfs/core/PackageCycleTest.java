package io.daxfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.testing.PackageGraph;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** fs-core's packages are layered: no package uses itself through others (no import cycle). */
class PackageCycleTest {

    @Test
    void productionPackagesHaveNoCycle() {
        PackageGraph graph = PackageGraph.read(Path.of("src/main/java"));
        assertTrue(graph.packages().size() > 10, "read only " + graph.packages());
        assertTrue(graph.usedBy("io.daxfs.core.inode").contains("io.daxfs.core.log"), "the reader misses imports");
        assertEquals(List.of(), graph.cycles(), "package cycles in fs-core");
    }

    @Test
    void findsCyclesThroughImportsAndQualifiedNames() {
        PackageGraph graph = PackageGraph.of(Map.of(
                Path.of("a/A.java"), "package x.a;\nimport x.b.B;\nclass A { B b; }\n",
                Path.of("b/B.java"), "package x.b;\nclass B { x.c.C c; }\n",
                Path.of("c/C.java"), "package x.c;\nimport static x.a.A.f;\n// x.b.B in a comment\nclass C {}\n",
                Path.of("d/D.java"), "package x.d;\nclass D { String s = \"x.a.A\"; }\n"));
        assertEquals(List.of("x.a → x.b [a/A.java] → x.c [b/B.java] → x.a [c/C.java]"), graph.cycles());
        assertEquals(List.of(), PackageGraph.of(Map.of(
                Path.of("a/A.java"), "package x.a;\nimport x.b.B;\nclass A {}\n",
                Path.of("b/B.java"), "package x.b;\n// x.a.A only in a comment\nclass B {}\n")).cycles());
    }
}
