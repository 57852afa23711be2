package io.moemesh.router.discovery;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An expert group as the router is told of it: {@code GROUP=HOST:PORT}, HOST being the DNS name of the group's
 * headless Service (one address record per ready pod), PORT the pods' gRPC port.
 */
public record GroupAddress(String group, String host, int port) {

    public GroupAddress {
        if (group.isBlank() || host.isBlank() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad expert group " + group + "=" + host + ":" + port);
        }
    }

    /** Parses {@code g0=moe-mesh-expert-g0:8080} entries; group names must be unique. */
    public static List<GroupAddress> parseAll(List<String> entries) {
        List<GroupAddress> groups = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String raw : entries) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            GroupAddress g = parse(entry);
            if (!names.add(g.group())) {
                throw new IllegalArgumentException("expert group '" + g.group() + "' is listed twice");
            }
            groups.add(g);
        }
        return groups;
    }

    static GroupAddress parse(String entry) {
        int eq = entry.indexOf('=');
        int colon = entry.lastIndexOf(':');
        if (eq <= 0 || colon < eq + 2 || colon == entry.length() - 1) {
            throw new IllegalArgumentException("expected GROUP=HOST:PORT (the group's headless Service), got '"
                    + entry + "'");
        }
        try {
            return new GroupAddress(entry.substring(0, eq).strip(), entry.substring(eq + 1, colon).strip(),
                    Integer.parseInt(entry.substring(colon + 1).strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port of '" + entry + "' is not a number", e);
        }
    }
}
