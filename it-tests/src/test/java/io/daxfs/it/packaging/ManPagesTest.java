package io.daxfs.it.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.it.support.DaxfsMount;
import io.daxfs.it.support.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The man pages in docs/man: each renders with man(1) without a warning, and documents every option
 * its command accepts. The accepted options are read from the code (the option switch of
 * MountConfig, the getopt letters of mkfs and daxfs-info, fsck's flag switch), so an option added
 * without documentation fails here.
 */
class ManPagesTest {
    private static final Path REPO = DaxfsMount.REPO;

    @ParameterizedTest
    @ValueSource(strings = {"mkfs.daxfs", "fsck.daxfs", "daxfs", "daxfs-info"})
    void rendersWithoutWarnings(String command) {
        Path page = page(command);
        Shell.Result r = Shell.run(List.of("man", "--warnings", "-E", "UTF-8", "-l", page.toString()),
                Map.of("MANWIDTH", "80", "MAN_KEEP_FORMATTING", "0"), 60).ok();
        assertEquals("", r.stderr(), "man --warnings on " + page);
        assertTrue(r.stdout().replaceAll(".\b", "").contains("SYNOPSIS"), r.stdout()); // no overstrike
        Shell.Result groff = Shell.run(List.of("groff", "-man", "-ww", "-z", page.toString()), Map.of(), 60).ok();
        assertEquals("", groff.stderr(), "groff -ww on " + page);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mkfs.daxfs", "fsck.daxfs", "daxfs", "daxfs-info"})
    void documentsEveryOption(String command) throws IOException {
        Set<String> accepted = accepted(command);
        assertFalse(accepted.isEmpty(), "no options found in the code of " + command);
        Set<String> documented = documented(page(command));
        Set<String> missing = new TreeSet<>(accepted);
        missing.removeAll(documented);
        assertTrue(missing.isEmpty(), command + "(8) does not document " + missing + " (documented: " + documented + ")");
    }

    private static Path page(String command) {
        Path page = REPO.resolve("docs/man/" + command + ".8");
        assertTrue(Files.isRegularFile(page), page + " is missing");
        return page;
    }

    /** The options {@code command}'s code accepts, as written on a command line ("-f", "dax=", "ro"). */
    private static Set<String> accepted(String command) throws IOException {
        Set<String> options = new TreeSet<>(Set.of("-h", "--help", "-V", "--version"));
        switch (command) {
            case "mkfs.daxfs" -> letters(source("mkfs/src/main/java/io/daxfs/mkfs/MkfsMain.java"), options);
            case "daxfs-info" -> letters(source("mkfs/src/main/java/io/daxfs/mkfs/InfoMain.java"), options);
            case "fsck.daxfs" -> {
                Matcher m = Pattern.compile("case '(\\w)'(?:, '(\\w)')* ->")
                        .matcher(source("fsck/src/main/java/io/daxfs/fsck/FsckMain.java"));
                while (m.find()) {
                    for (String c : m.group(0).replaceAll("[^a-zA-Z,]|case", "").split(",")) {
                        options.add("-" + c);
                    }
                }
            }
            case "daxfs" -> {
                String code = source("fuse-adapter/src/main/java/io/daxfs/fuse/MountConfig.java");
                Matcher m = Pattern.compile("case (\"[^\"]+\"(?:, \"[^\"]+\")*) ->").matcher(code);
                while (m.find()) {
                    for (String name : m.group(1).replace("\"", "").split(", ")) {
                        options.add(name);
                    }
                }
                Matcher sets = Pattern.compile("Set<String> \\w+ =\\s*Set\\.of\\(([^)]*)\\)").matcher(code);
                while (sets.find()) {
                    for (String name : sets.group(1).replaceAll("[\"\\s]", "").split(",")) {
                        options.add(name);
                    }
                }
                options.add("remount"); // handled by the launcher, bin/daxfs
            }
            default -> throw new IllegalArgumentException(command);
        }
        return options;
    }

    /** The getopt letters in the OPTIONS constant of a main class. */
    private static void letters(String code, Set<String> options) {
        Matcher m = Pattern.compile("String OPTIONS = \"([^\"]+)\"").matcher(code);
        assertTrue(m.find(), "no OPTIONS constant");
        for (char c : m.group(1).replace(":", "").toCharArray()) {
            options.add("-" + c);
        }
    }

    private static String source(String path) throws IOException {
        return Files.readString(REPO.resolve(path));
    }

    /**
     * The options a page documents: the words of every tag line (the line after ".TP"),
     * with font escapes removed and "=value" dropped; "x-*" stands for every x- option.
     */
    private static Set<String> documented(Path page) throws IOException {
        Set<String> words = new TreeSet<>();
        List<String> lines = Files.readAllLines(page);
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i - 1).startsWith(".TP")) {
                String tag = lines.get(i).replaceAll("\\\\f[BIRP]", "").replace("\\-", "-").replace("\\e", "\\")
                        .replaceAll("^\\.[A-Z]+ ", "").replace("\"", " ");
                for (String word : tag.split("[\\s,|]+")) {
                    int eq = word.indexOf('=');
                    words.add(eq > 0 ? word.substring(0, eq) : word);
                }
            }
        }
        if (words.contains("x-*")) {
            words.add("x-");
        }
        return words;
    }
}
