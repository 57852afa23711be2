package io.moemesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The instructions of a service's Dockerfile that the chart and the tests depend on (no Docker engine runs here). */
record Dockerfile(Path path, String from, List<Integer> exposed, String user, String workdir, Map<String, String> env,
                  List<String> entrypoint, List<List<String>> copies) {

    private static final Pattern ENV_PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S*))");

    static Dockerfile of(String module) {
        Path path = Repo.dockerfile(module);
        List<String> lines;
        try {
            lines = Files.readAllLines(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String from = null;
        String user = null;
        String workdir = "/";
        List<Integer> exposed = new ArrayList<>();
        Map<String, String> env = new LinkedHashMap<>();
        List<String> entrypoint = List.of();
        List<List<String>> copies = new ArrayList<>();
        for (String instruction : instructions(lines)) {
            String[] kv = instruction.split("\\s+", 2);
            String args = kv.length > 1 ? kv[1].strip() : "";
            switch (kv[0].toUpperCase()) {
                case "FROM" -> from = args;
                case "USER" -> user = args;
                case "WORKDIR" -> workdir = args;
                case "EXPOSE" -> {
                    for (String p : args.split("\\s+")) {
                        exposed.add(Integer.parseInt(p.replace("/tcp", "")));
                    }
                }
                case "ENV" -> {
                    Matcher m = ENV_PAIR.matcher(args);
                    while (m.find()) {
                        env.put(m.group(1), m.group(3) != null ? m.group(3).replace("\\\"", "\"") : m.group(4));
                    }
                }
                case "ENTRYPOINT" -> entrypoint = jsonArray(args, path);
                case "COPY" -> copies.add(List.of(args.replaceAll("--\\S+\\s+", "").split("\\s+")));
                default -> {
                }
            }
        }
        return new Dockerfile(path, from, exposed, user, workdir, env, entrypoint, copies);
    }

    /** Joins continuation lines and drops comments. */
    private static List<String> instructions(List<String> lines) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : lines) {
            String l = line.strip();
            if (l.startsWith("#") || (l.isEmpty() && current.isEmpty())) {
                continue;
            }
            boolean continued = l.endsWith("\\");
            current.append(continued ? l.substring(0, l.length() - 1) : l).append(' ');
            if (!continued) {
                out.add(current.toString().strip());
                current.setLength(0);
            }
        }
        return out;
    }

    private static List<String> jsonArray(String args, Path path) {
        try {
            JsonNode node = new ObjectMapper().readTree(args);
            List<String> out = new ArrayList<>();
            node.forEach(n -> out.add(n.asText()));
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(path + ": ENTRYPOINT must be in exec (JSON array) form: " + args, e);
        }
    }
}
