package io.daxfs.it.support;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An unprivileged user made for one test ({@code useradd}, no home, group "users"), removed by
 * {@link #close} ({@code userdel}), whatever the test did.
 */
public final class TestUser implements AutoCloseable {
    public final String name;
    public final int uid;

    public TestUser() {
        name = "dxit" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        Shell.run(List.of("useradd", "-M", "-N", "-s", "/usr/sbin/nologin", name), Map.of(), 60).ok();
        uid = Integer.parseInt(Shell.run(List.of("id", "-u", name), Map.of(), 10).ok().stdout().strip());
    }

    /** Runs a bash script in {@code dir} as this user (no {@code set -e}: the script checks itself). */
    public Shell.Result sh(Path dir, String script) {
        return Shell.run(List.of("runuser", "-u", name, "--", "bash", "-c", "cd '" + dir + "' && " + script), Map.of(), 600);
    }

    @Override
    public void close() {
        Shell.run(List.of("userdel", "-f", name), Map.of(), 60);
    }
}
