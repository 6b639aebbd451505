package io.daxfs.core.fs;

import io.daxfs.core.JsonText;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code user.daxfs.stats} text as one JSON object, for monitoring tools
 * ({@code getfattr --only-values -n user.daxfs.stats.json MOUNTPOINT}): each {@code name value}
 * line becomes a member, each {@code mapping k=v ...} line an object in the {@code mappings} array.
 * Numbers stay numbers; anything else is a string. Used by {@link DaxFileSystem#getxattr}.
 */
final class StatsJson {
    private StatsJson() {}

    /** The JSON form of {@code statsText} (lines of "name value" and "mapping k=v k=v"). */
    static String of(String statsText) {
        Map<String, Object> members = new LinkedHashMap<>();
        List<Object> mappings = new ArrayList<>();
        for (String line : statsText.split("\n")) {
            String[] words = line.trim().split(" +");
            if (words.length < 2) {
                continue;
            }
            if (words[0].equals("mapping")) {
                Map<String, Object> fields = new LinkedHashMap<>();
                for (int i = 1; i < words.length; i++) {
                    int eq = words[i].indexOf('=');
                    if (eq > 0) {
                        fields.put(words[i].substring(0, eq), value(words[i].substring(eq + 1)));
                    }
                }
                mappings.add(fields);
            } else {
                members.put(words[0], value(line.trim().substring(words[0].length()).trim()));
            }
        }
        members.put("mappings", mappings);
        return JsonText.of(members) + "\n";
    }

    private static Object value(String text) {
        return text.matches("-?[0-9]{1,18}") ? (Object) Long.parseLong(text) : text;
    }
}
