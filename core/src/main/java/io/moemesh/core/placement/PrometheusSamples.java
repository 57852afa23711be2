package io.moemesh.core.placement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The samples of one metric in Prometheus' text exposition format, as Micrometer writes it at {@code /q/metrics}:
 * {@code name{label="value",...} 123.0 [timestamp]}. Labels come in any order, with or without a trailing comma;
 * comments and other metrics are skipped.
 */
public final class PrometheusSamples {
    public record Sample(int line, Map<String, String> labels, double value) {
        int intLabel(String name) {
            String v = labels.get(name);
            if (v == null) {
                throw new IllegalArgumentException("line " + line + ": no '" + name + "' label in " + labels);
            }
            try {
                int n = Integer.parseInt(v);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("line " + line + ": label " + name + "=\"" + v
                    + "\" is not a whole number >= 0");
        }
    }

    private PrometheusSamples() {
    }

    /** Every sample of {@code metric} in {@code text}, in order. */
    public static List<Sample> parse(String text, String metric) {
        List<Sample> samples = new ArrayList<>();
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            // A longer name with the same start (metric_created, ...) is another metric.
            if (line.startsWith("#") || !line.startsWith(metric) || line.length() == metric.length()
                    || !(line.charAt(metric.length()) == '{' || Character.isWhitespace(line.charAt(metric.length())))) {
                continue;
            }
            samples.add(parseSample(line, metric.length(), i + 1));
        }
        return samples;
    }

    private static Sample parseSample(String line, int afterName, int lineNumber) {
        Map<String, String> labels = new LinkedHashMap<>();
        int pos = afterName;
        if (line.charAt(pos) == '{') {
            pos = parseLabels(line, pos + 1, labels, lineNumber);
        }
        String[] rest = line.substring(pos).strip().split("\\s+");
        try {
            return new Sample(lineNumber, labels, Double.parseDouble(rest[0]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("line " + lineNumber + ": sample value '" + rest[0] + "' is not a number");
        }
    }

    /** Reads {@code name="value"} pairs up to the closing brace; returns the position after it. */
    private static int parseLabels(String line, int pos, Map<String, String> labels, int lineNumber) {
        while (true) {
            pos = skipSpaces(line, pos);
            if (pos < line.length() && line.charAt(pos) == '}') {
                return pos + 1;
            }
            int eq = line.indexOf('=', pos);
            int quote = eq < 0 ? line.length() : skipSpaces(line, eq + 1);
            if (quote >= line.length() || line.charAt(quote) != '"') {
                throw new IllegalArgumentException("line " + lineNumber + ": expected label=\"value\" in '" + line + "'");
            }
            String name = line.substring(pos, eq).strip();
            StringBuilder value = new StringBuilder();
            pos = quote + 1;
            while (pos < line.length() && line.charAt(pos) != '"') {
                char c = line.charAt(pos++);
                if (c == '\\' && pos < line.length()) {
                    char escaped = line.charAt(pos++);
                    c = escaped == 'n' ? '\n' : escaped;
                }
                value.append(c);
            }
            if (pos >= line.length()) {
                throw new IllegalArgumentException("line " + lineNumber + ": unterminated label value in '" + line + "'");
            }
            labels.put(name, value.toString());
            pos = skipSpaces(line, pos + 1);
            if (pos < line.length() && line.charAt(pos) == ',') {
                pos++;
            } else if (pos >= line.length() || line.charAt(pos) != '}') {
                throw new IllegalArgumentException("line " + lineNumber + ": expected , or } after a label in '" + line + "'");
            }
        }
    }

    private static int skipSpaces(String line, int pos) {
        while (pos < line.length() && Character.isWhitespace(line.charAt(pos))) {
            pos++;
        }
        return pos;
    }
}
