package io.jvs.dataplane;

import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.Sh;
import io.jvs.tap.TestNet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real Switch between real namespaces: veth host ends opened as AF_PACKET ports, default offloads on.
 * Three namespaces in one bridge domain, a fourth (same subnet) in another: ping and TCP work inside the
 * domain, nothing crosses to the other. With two lanes a and c are lane 0's, b and d lane 1's: a to b crosses lanes.
 */
class SwitchOnVethsTest
{
    private static final Pattern RECEIVED = Pattern.compile(
        "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*(\\d+)[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");

    private TestNet net;
    private Switch sw;
    private Process server;

    @BeforeEach
    void setUp()
    {
        net = new TestNet();
    }

    @AfterEach
    void tearDown()
    {
        Sh.stop(server);
        try
        {
            if (null != sw)
            {
                sw.close();
            }
        }
        finally
        {
            net.close();
        }
    }

    private String sandbox(final String role, final String ip, final int bridgeDomain)
    {
        final String ns = net.namespace(role);
        net.veth(net.name("h" + role), net.name("p" + role), ns, ip + "/24");
        sw.addPort(PacketSocketPort.open(net.name("h" + role)), bridgeDomain);
        return ns;
    }

    @ParameterizedTest(name = "lanes {0}")
    @ValueSource(ints = {1, 2})
    void pingAndTcpInsideBridgeDomainNothingAcross(final int lanes)
    {
        sw = Switch.start(SwitchConfig.defaults().withLanes(lanes).withSwitchCpus(SwitchCpus.NONE));
        final int red = sw.createBridgeDomain("red");
        final int blue = sw.createBridgeDomain("blue");
        final String a = sandbox("a", "10.79.0.1", red);
        final String b = sandbox("b", "10.79.0.2", red);
        sandbox("c", "10.79.0.3", red);
        sandbox("d", "10.79.0.4", blue);

        assertEquals(0, Sh.exec(10, TestNet.inNs(a, "ping", "-c", "2", "-W", "2", "10.79.0.2").toArray(String[]::new))
            .exitCode(), "a -> b ping");
        assertEquals(0, Sh.exec(10, TestNet.inNs(b, "ping", "-c", "2", "-W", "2", "10.79.0.3").toArray(String[]::new))
            .exitCode(), "b -> c ping");
        assertNotEquals(0, Sh.exec(10, TestNet.inNs(a, "ping", "-c", "2", "-W", "1", "10.79.0.4")
            .toArray(String[]::new)).exitCode(), "a -> d must not cross bridge domains");

        server = Sh.start(TestNet.inNs(b, "iperf3", "-s", "-1", "-B", "10.79.0.2"));
        sleepMillis(300);
        final Sh.Result client = Sh.exec(30,
            TestNet.inNs(a, "iperf3", "-c", "10.79.0.2", "-t", "3", "-J").toArray(String[]::new));
        assertEquals(0, client.exitCode(), client.output());
        final Matcher m = RECEIVED.matcher(client.output());
        assertTrue(m.find(), client.output());
        final long bytes = Long.parseLong(m.group(1));
        assertTrue(bytes > 1_000_000, "TCP bytes received: " + bytes);
        System.out.printf("jvs Switch a->b TCP: %.2f Gbit/s%n", Double.parseDouble(m.group(2)) / 1e9);

        final List<PortStats> ports = sw.portStats();
        final PortStats d = ports.stream().filter(p -> p.name().equals(net.name("hd"))).findFirst().orElseThrow();
        assertEquals(blue, d.bridgeDomainId());
        assertEquals(0, d.txPackets(), "nothing from red reaches blue's port: " + d);
        final long redMacs = sw.macTable().stream().filter(e -> e.bridgeDomainId() == red).count();
        assertTrue(redMacs >= 2, "learned a and b at least: " + sw.macTable());
        if (lanes == 2)
        {
            assertEquals(List.of(2, 2), java.util.Arrays.stream(sw.portsPerLane()).boxed().toList());
        }
        System.out.println("latency " + sw.latency());
        ports.forEach(System.out::println);
    }

    private static void sleepMillis(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
