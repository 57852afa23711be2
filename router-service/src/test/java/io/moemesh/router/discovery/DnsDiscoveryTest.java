package io.moemesh.router.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DnsDiscoveryTest {

    @Test
    void parsesGroupsAndNamesWhatIsWrong() {
        assertEquals(List.of(new GroupAddress("g0", "moe-mesh-expert-g0", 8080),
                        new GroupAddress("hot", "experts.ns.svc.cluster.local", 9000)),
                GroupAddress.parseAll(List.of(" g0=moe-mesh-expert-g0:8080", "hot=experts.ns.svc.cluster.local:9000", "")));
        for (String bad : List.of("moe-mesh-expert-g0:8080", "g0=host", "g0=:8080", "g0=host:http", "g0=host:0")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GroupAddress.parseAll(List.of(bad)));
            assertTrue(e.getMessage().contains(bad) || e.getMessage().contains("bad expert group"), e.getMessage());
        }
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> GroupAddress.parseAll(List.of("g0=a:1", "g0=b:1")));
        assertEquals("expert group 'g0' is listed twice", twice.getMessage());
    }

    @Test
    void everyAddressOfTheNameIsAReplicaOfItsGroupAndAFailedLookupKeepsTheLastAnswer() {
        // localhost resolves without a DNS server; a .invalid name never resolves (RFC 2606).
        DnsDiscovery dns = new DnsDiscovery(List.of(new GroupAddress("g0", "localhost", 8080),
                new GroupAddress("g1", "no-such-group.invalid", 8080)));
        List<ReplicaDiscovery.Replica> found = dns.discover();
        assertTrue(!found.isEmpty() && found.stream().allMatch(r -> r.group().equals("g0")
                && r.endpoint().endsWith(":8080")), found::toString);
        assertTrue(found.stream().anyMatch(r -> r.endpoint().equals("127.0.0.1:8080")
                || r.endpoint().equals("[0:0:0:0:0:0:0:1]:8080")), found::toString);
        assertEquals(found, dns.discover(), "stable while nothing changes");
    }
}
