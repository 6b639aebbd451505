package io.daxfs.core.fs;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code user.daxfs.stats} text as one JSON object, for monitoring tools
 * ({@code getfattr --only-values -n user.daxfs.stats.json MOUNTPOINT}): each {@code name value}
 * line becomes a member, each {@code mapping k=v ...} line an object in the {@code mappings} array.
 * Numbers stay numbers; anything else is a string. Used by {@link DaxFileSystem#getxattr}.
 */
public final class StatsJson {
    private StatsJson() {}

    /** The JSON form of {@code statsText} (lines of "name value" and "mapping k=v k=v"). */
    public static String of(String statsText) {
        List<String> members = new ArrayList<>();
        List<String> mappings = new ArrayList<>();
        for (String line : statsText.split("\n")) {
            String[] words = line.trim().split(" +");
            if (words.length < 2) {
                continue;
            }
            if (words[0].equals("mapping")) {
                List<String> fields = new ArrayList<>();
                for (int i = 1; i < words.length; i++) {
                    int eq = words[i].indexOf('=');
                    if (eq > 0) {
                        fields.add(member(words[i].substring(0, eq), words[i].substring(eq + 1)));
                    }
                }
                mappings.add("{" + String.join(",", fields) + "}");
            } else {
                members.add(member(words[0], line.trim().substring(words[0].length()).trim()));
            }
        }
        members.add("\"mappings\":[" + String.join(",", mappings) + "]");
        return "{" + String.join(",", members) + "}\n";
    }

    private static String member(String name, String value) {
        return string(name) + ":" + (value.matches("-?[0-9]{1,18}") ? value : string(value));
    }

    private static String string(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
