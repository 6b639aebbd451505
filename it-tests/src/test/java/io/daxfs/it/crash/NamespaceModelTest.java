package io.daxfs.it.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The crash test's model: an operation that must fail throws {@link NamespaceModel.Invalid} and
 * leaves the model exactly as it was, which the replay relies on (it applies every logged
 * operation to one model, without a copy per operation).
 */
class NamespaceModelTest {

    private static NamespaceModel populated() throws NamespaceModel.Invalid {
        NamespaceModel m = new NamespaceModel(false);
        for (String op : List.of("mkdir d 755", "mkdir d/e 755", "creat d/f 644", "write d/f 100 5000 7",
                "creat g 600", "link g d/h", "symlink nowhere s", "setxattr g user.a 3 10", "mkdir full 700",
                "creat full/x 644")) {
            m.apply(op.split(" "));
        }
        return m;
    }

    @Test
    void anOperationThatMustFailChangesNothing() throws Exception {
        NamespaceModel m = populated();
        var before = m.snapshot();
        List<String> invalid = List.of("mkdir d 755", "mkdir missing/x 755", "rmdir full", "rmdir g", "creat g 644",
                "creat g/x 644", "write d 0 10 1", "write s 0 10 1", "write missing 0 10 1", "trunc d 0",
                "fsync missing", "rename d d/e/inside", "rename g d", "rename d g", "rename d/e d",
                "rename missing x", "rename g missing/x", "link d x", "link g d/f", "unlink d", "unlink missing",
                "symlink t g", "setxattr s user.a 1 4", "rmxattr g user.none", "rmxattr s user.a", "chmod s 600",
                "chmod missing 600");
        for (String op : invalid) {
            assertThrows(NamespaceModel.Invalid.class, () -> m.apply(op.split(" ")), op);
            assertEquals(List.of(), before.diff(m.snapshot(), 10), () -> "after the refused " + op);
        }
    }

    @Test
    void aValidOperationChangesTheSnapshot() throws Exception {
        NamespaceModel m = populated();
        var before = m.snapshot();
        m.apply("rename d/f d/e/f".split(" "));
        assertEquals(2, before.diff(m.snapshot(), 10).size(), "d/f gone and d/e/f new");
    }
}
