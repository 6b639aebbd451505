package io.daxfs.mkfs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * getopt(3)-style parsing: {@code spec} lists the option letters, a letter followed by ':' takes
 * an argument ({@code -L label}, {@code -Llabel}); flags combine ({@code -fq}); {@code --}
 * ends the options; {@code --help} and {@code --version} mean {@code -h} and {@code -V}. A
 * repeated option keeps its last value.
 */
final class Options {
    private final Map<Character, String> values = new LinkedHashMap<>();
    private final List<String> operands = new ArrayList<>();

    private Options() {}

    /** @throws IllegalArgumentException with a usage message for an unknown option or a missing argument */
    static Options parse(String spec, String[] args) {
        Options o = new Options();
        int i = 0;
        for (; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--")) {
                i++;
                break;
            }
            if (arg.equals("--help")) {
                arg = "-h";
            } else if (arg.equals("--version")) {
                arg = "-V";
            } else if (arg.startsWith("--")) {
                throw new IllegalArgumentException("unknown option '" + arg + "'");
            }
            if (!arg.startsWith("-") || arg.equals("-")) {
                o.operands.add(arg);
                continue;
            }
            for (int j = 1; j < arg.length(); j++) {
                char c = arg.charAt(j);
                int at = spec.indexOf(c);
                if (at < 0 || c == ':') {
                    throw new IllegalArgumentException("unknown option '-" + c + "'");
                }
                boolean takesValue = at + 1 < spec.length() && spec.charAt(at + 1) == ':';
                if (!takesValue) {
                    o.values.put(c, "");
                    continue;
                }
                String value;
                if (j + 1 < arg.length()) {
                    value = arg.substring(j + 1);
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new IllegalArgumentException("option '-" + c + "' needs an argument");
                }
                o.values.put(c, value);
                break;
            }
        }
        for (; i < args.length; i++) {
            o.operands.add(args[i]);
        }
        return o;
    }

    boolean has(char c) {
        return values.containsKey(c);
    }

    String get(char c) {
        return values.get(c);
    }

    List<String> operands() {
        return operands;
    }
}
