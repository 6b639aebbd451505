package io.daxfs.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which packages of a source tree use which others, read from the sources: every import (static
 * or not) and every fully qualified name in code counts. Used by the package-cycle tests to keep the
 * packages of a module layered (no package reaches itself through others).
 */
public final class PackageGraph {
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("(?<![\\w.])((?:[a-z_]\\w*\\.)+[A-Z]\\w*)");
    private static final Pattern COMMENTS_AND_STRINGS =
            Pattern.compile("/\\*.*?\\*/|//[^\\n]*|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\\\n])*'", Pattern.DOTALL);

    /** package → (package it uses → the source files that use it). */
    private final Map<String, Map<String, Set<String>>> uses = new TreeMap<>();

    private PackageGraph() {}

    /**
     * Reads every {@code .java} file under {@code sourceRoot}.
     *
     * @throws IllegalArgumentException if {@code sourceRoot} holds no Java source
     */
    public static PackageGraph read(Path sourceRoot) {
        Map<Path, String> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sourceRoot)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                sources.put(sourceRoot.relativize(file), Files.readString(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read sources under " + sourceRoot.toAbsolutePath(), e);
        }
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no Java source under " + sourceRoot.toAbsolutePath());
        }
        return of(sources);
    }

    /** The graph of {@code sources} (file name → content). */
    public static PackageGraph of(Map<Path, String> sources) {
        Map<Path, String> packageOf = new HashMap<>();
        for (Map.Entry<Path, String> source : sources.entrySet()) {
            Matcher m = PACKAGE.matcher(source.getValue());
            packageOf.put(source.getKey(), m.find() ? m.group(1) : "");
        }
        Set<String> packages = new TreeSet<>(packageOf.values());
        PackageGraph graph = new PackageGraph();
        for (Map.Entry<Path, String> source : sources.entrySet()) {
            String from = packageOf.get(source.getKey());
            graph.uses.computeIfAbsent(from, p -> new TreeMap<>());
            String text = source.getValue();
            List<String> names = new ArrayList<>();
            IMPORT.matcher(text).results().forEach(r -> names.add(r.group(1)));
            String code = COMMENTS_AND_STRINGS.matcher(text).replaceAll(" ");
            code = IMPORT.matcher(PACKAGE.matcher(code).replaceAll(" ")).replaceAll(" ");
            QUALIFIED.matcher(code).results().forEach(r -> names.add(r.group(1)));
            for (String name : names) {
                ownPackage(name, packages).filter(to -> !to.equals(from)).ifPresent(to -> graph.uses
                        .get(from).computeIfAbsent(to, p -> new TreeSet<>()).add(source.getKey().toString()));
            }
        }
        return graph;
    }

    /** The longest package of the tree that {@code name} lies in, if any. */
    private static Optional<String> ownPackage(String name, Set<String> packages) {
        for (String prefix = name; prefix.contains("."); prefix = prefix.substring(0, prefix.lastIndexOf('.'))) {
            String candidate = prefix.substring(0, prefix.lastIndexOf('.'));
            if (packages.contains(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Packages read. */
    public Set<String> packages() {
        return uses.keySet();
    }

    /** Packages {@code from} uses. */
    public Set<String> usedBy(String from) {
        return uses.getOrDefault(from, Map.of()).keySet();
    }

    /**
     * Every cycle found, one per strongly connected group of packages, each described as a path
     * "a → b (files) → a" naming the files that make each step; empty when the graph is layered.
     */
    public List<String> cycles() {
        List<String> found = new ArrayList<>();
        for (Set<String> group : stronglyConnected()) {
            if (group.size() > 1) {
                found.add(describe(cycleThrough(group)));
            }
        }
        return found;
    }

    /** One cycle inside {@code group}, as the list of packages it visits (first repeated at the end). */
    private List<String> cycleThrough(Set<String> group) {
        String start = group.iterator().next();
        Map<String, String> parent = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>(List.of(start));
        while (!queue.isEmpty()) {
            String at = queue.removeFirst();
            for (String next : usedBy(at)) {
                if (next.equals(start)) {
                    List<String> path = new ArrayList<>(List.of(start));
                    for (String p = at; !p.equals(start); p = parent.get(p)) {
                        path.add(1, p);
                    }
                    path.add(start);
                    return path;
                }
                if (group.contains(next) && !parent.containsKey(next)) {
                    parent.put(next, at);
                    queue.addLast(next);
                }
            }
        }
        throw new IllegalStateException("no cycle through " + start + " in " + group);
    }

    private String describe(List<String> path) {
        StringBuilder out = new StringBuilder(path.getFirst());
        for (int i = 1; i < path.size(); i++) {
            out.append(" → ").append(path.get(i)).append(' ').append(uses.get(path.get(i - 1)).get(path.get(i)));
        }
        return out.toString();
    }

    /** Tarjan's strongly connected components. */
    private List<Set<String>> stronglyConnected() {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> groups = new ArrayList<>();
        for (String p : packages()) {
            if (!index.containsKey(p)) {
                connect(p, index, low, stack, onStack, groups);
            }
        }
        return groups;
    }

    private void connect(String p, Map<String, Integer> index, Map<String, Integer> low, Deque<String> stack,
            Set<String> onStack, List<Set<String>> groups) {
        index.put(p, index.size());
        low.put(p, index.get(p));
        stack.push(p);
        onStack.add(p);
        for (String q : usedBy(p)) {
            if (!index.containsKey(q)) {
                connect(q, index, low, stack, onStack, groups);
                low.put(p, Math.min(low.get(p), low.get(q)));
            } else if (onStack.contains(q)) {
                low.put(p, Math.min(low.get(p), index.get(q)));
            }
        }
        if (low.get(p).equals(index.get(p))) {
            Set<String> group = new TreeSet<>();
            String q;
            do {
                q = stack.pop();
                onStack.remove(q);
                group.add(q);
            } while (!q.equals(p));
            groups.add(group);
        }
    }
}
