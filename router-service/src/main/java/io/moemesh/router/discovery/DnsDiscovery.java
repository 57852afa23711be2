package io.moemesh.router.discovery;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.Security;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Replicas from the DNS of each group's headless Service: every address record is one ready pod, so a name
 * resolves to exactly the replicas Kubernetes considers ready, and the set follows the HPA. Lookups go through the
 * JVM's resolver ({@link InetAddress}), which honours /etc/resolv.conf search domains, and, for tests, the JDK's
 * {@code jdk.net.hosts.file}.
 *
 * <p>A lookup that fails keeps the group's previous answer: a DNS hiccup must not empty a group and fail every
 * token routed to it. Replicas that really went away are caught by the dispatcher's failover meanwhile.
 */
public final class DnsDiscovery implements ReplicaDiscovery {
    private static final Logger LOG = Logger.getLogger(DnsDiscovery.class);

    /**
     * Warns when the JVM may cache answers for its default 30 s: a replica that joins would then wait that long for
     * work, and one that left would keep getting calls (they fail over, but cost a retry). The JVM reads its cache
     * setting once, at the first lookup of the process, which Quarkus makes before any application code runs, so
     * it can only be set on the command line: {@code -Dsun.net.inetaddr.ttl=2} (the chart and images do).
     */
    public static void checkDnsCache() {
        if (Security.getProperty("networkaddress.cache.ttl") == null && System.getProperty("sun.net.inetaddr.ttl") == null) {
            LOG.warn("the JVM caches DNS answers for 30 s by default: expert replicas will join and leave up to 30 s "
                    + "late; start the router with -Dsun.net.inetaddr.ttl=2");
        }
    }

    private final List<GroupAddress> groups;
    private final Map<String, List<Replica>> lastAnswer = new LinkedHashMap<>();

    public DnsDiscovery(List<GroupAddress> groups) {
        this.groups = List.copyOf(groups);
        if (!groups.isEmpty()) {
            checkDnsCache();
        }
    }

    @Override
    public synchronized List<Replica> discover() {
        List<Replica> all = new ArrayList<>();
        for (GroupAddress g : groups) {
            List<Replica> found;
            try {
                found = new ArrayList<>();
                for (InetAddress address : InetAddress.getAllByName(g.host())) {
                    String ip = address.getHostAddress();
                    found.add(new Replica((address instanceof Inet6Address ? "[" + ip + "]" : ip) + ":" + g.port(),
                            g.group()));
                }
                List<Replica> before = lastAnswer.put(g.group(), List.copyOf(found));
                if (!found.equals(before)) {
                    LOG.infof("expert group %s (%s): %d replica(s) %s", g.group(), g.host(), found.size(),
                            found.stream().map(Replica::endpoint).toList());
                }
            } catch (UnknownHostException e) {
                found = lastAnswer.getOrDefault(g.group(), List.of());
                LOG.warnf("expert group %s: %s does not resolve (%s); keeping its %d known replica(s)", g.group(),
                        g.host(), e.getMessage(), found.size());
            }
            all.addAll(found);
        }
        return all;
    }

    public List<GroupAddress> groups() {
        return groups;
    }
}
