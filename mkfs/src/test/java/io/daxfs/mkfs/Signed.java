package io.daxfs.mkfs;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An image holding another filesystem's signature: made by the real tool (mkfs.ext4, mkfs.xfs,
 * mkswap...) when it is installed, otherwise by writing the signature bytes directly, with a loud
 * warning so a missing tool never passes unnoticed.
 */
record Signed(String kind, Path path, String expected, boolean realTool) {

    static Signed make(Path dir, String kind, int sizeMiB, String expected, String tool, String... toolArgs)
            throws IOException, InterruptedException {
        Path img = dir.resolve(kind + ".img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength((long) sizeMiB << 20);
        }
        Path exe = which(tool);
        if (exe != null) {
            List<String> cmd = new ArrayList<>(List.of(exe.toString()));
            cmd.addAll(List.of(toolArgs));
            cmd.add(img.toString());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + output);
            }
            return new Signed(kind, img, expected, true);
        }
        System.err.println("""

                ************************************************************************
                WARNING: %s is not installed; the %s refusal test uses hand-written
                signature bytes instead of a real image (apt-get install -y e2fsprogs
                xfsprogs btrfs-progs util-linux for the real thing).
                ************************************************************************
                """.formatted(tool, kind));
        writeSignature(img, kind);
        return new Signed(kind, img, expected.replaceAll(" \\(label.*\\)$", ""), false);
    }

    private static void writeSignature(Path img, String kind) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            switch (kind) {
                case "ext2", "ext3", "ext4" -> {
                    f.seek(1080);
                    f.write(new byte[] {0x53, (byte) 0xEF});
                    f.seek(1024 + 92);
                    f.write(kind.equals("ext2") ? 0 : 4); // has_journal
                    f.seek(1024 + 96);
                    f.write(kind.equals("ext4") ? 0x40 : 0); // extents
                }
                case "xfs" -> {
                    f.seek(0);
                    f.write("XFSB".getBytes(StandardCharsets.US_ASCII));
                }
                case "btrfs" -> {
                    f.seek(65600);
                    f.write("_BHRfS_M".getBytes(StandardCharsets.US_ASCII));
                }
                case "swap" -> {
                    f.seek(4086);
                    f.write("SWAPSPACE2".getBytes(StandardCharsets.US_ASCII));
                }
                default -> throw new IllegalArgumentException(kind);
            }
        }
    }

    static boolean onPath(String tool) {
        return which(tool) != null;
    }

    /** The tool on PATH or in the sbin directories (often not on a user's PATH), or null. */
    static Path which(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, tool)).filter(Files::isExecutable)
                .findFirst().orElse(null);
    }
}
