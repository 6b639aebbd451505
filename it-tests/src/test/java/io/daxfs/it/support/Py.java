package io.daxfs.it.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs small python3 scripts (the system {@code /usr/bin/python3}, so other users can run it too)
 * in a directory, with a prelude for exact errno checks:
 * <ul>
 *   <li>{@code err(lambda: os.rmdir('d'))} returns "OK" or the errno name ("ENOTEMPTY");</li>
 *   <li>{@code cerr(rc)} does the same for a ctypes call of {@code libc} that returned {@code rc};</li>
 *   <li>{@code eq(actual, expected)} asserts with both values in the message;</li>
 *   <li>{@code put(path, bytes)}, {@code get(path)}, {@code st(path)} (lstat), {@code ns(path)}
 *       (atime, mtime, ctime in ns, from a fresh lstat).</li>
 * </ul>
 * A failed {@code assert}/{@code eq} exits 1 with the traceback on stderr.
 */
public final class Py {
    public static final String PRELUDE = """
            import os, sys, errno, stat, time, ctypes, socket, mmap, hashlib
            libc = ctypes.CDLL(None, use_errno=True)
            AT_FDCWD = -100
            def ename(n):   # errno name; EOPNOTSUPP for 95 (python says ENOTSUP, the same number on Linux)
                return 'EOPNOTSUPP' if n == errno.EOPNOTSUPP else errno.errorcode.get(n, str(n))
            def err(f):
                try:
                    f()
                    return "OK"
                except OSError as x:
                    return ename(x.errno)
            def cerr(rc):
                return "OK" if rc == 0 else ename(ctypes.get_errno())
            def eq(actual, expected, what=""):
                assert actual == expected, f"{what}: expected {expected!r}, got {actual!r}"
            def put(p, data, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode=0o644):
                fd = os.open(p, flags, mode)
                try:
                    n = os.write(fd, data)
                    assert n == len(data), n
                finally:
                    os.close(fd)
            def get(p):
                with open(p, 'rb') as f:
                    return f.read()
            def st(p):
                return os.lstat(p)
            def ns(p):
                s = os.lstat(p)
                return (s.st_atime_ns, s.st_mtime_ns, s.st_ctime_ns)
            """;

    private Py() {}

    /** Runs {@code code} (after the prelude) in {@code dir} as root. */
    public static Shell.Result run(Path dir, String code) {
        return runAs(null, dir, code);
    }

    /** Runs {@code code} (after the prelude) in {@code dir} as {@code user} (null: as root). */
    public static Shell.Result runAs(String user, Path dir, String code) {
        List<String> cmd = new ArrayList<>();
        if (user != null) {
            cmd.addAll(List.of("runuser", "-u", user, "--"));
        }
        cmd.addAll(List.of("/usr/bin/python3", "-c", PRELUDE + "os.chdir(" + quote(dir.toString()) + ")\n" + code));
        return Shell.run(cmd, Map.of(), 600);
    }

    /** The errno name ("OK" if it succeeded) of the python expression {@code call}, run in {@code dir}. */
    public static String errno(Path dir, String call) {
        return run(dir, "print(err(lambda: " + call + "))").ok().stdout().strip();
    }

    /** As {@link #errno(Path, String)}, run as {@code user}. */
    public static String errnoAs(String user, Path dir, String call) {
        return runAs(user, dir, "print(err(lambda: " + call + "))").ok().stdout().strip();
    }

    static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
