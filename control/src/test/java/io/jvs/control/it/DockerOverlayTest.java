package io.jvs.control.it;

import static io.jvs.control.testing.Wait.waitFor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.api.ApiClient;
import io.jvs.control.cli.Main;
import io.jvs.control.netns.Command;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.testing.TempDirs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code docker network create -d jvs --ipam-driver jvs -o type=overlay -o name=NET} across two hosts: host
 * namespaces A and B on an underlay bridge (namespace RUNsw), etcd on A, a jvs daemon in each (child JVMs), and a
 * private dockerd in A's namespace talking to A's plugin socket. B has no Docker: a plain jvs sandbox joins the same
 * cluster network there. The container and the sandbox get distinct addresses from the cluster, ping each other both
 * ways, and {@code docker network rm} on A leaves the network to B. Option conflicts are refused and change nothing.
 * Needs docker.io, busybox-static and etcd.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DockerOverlayTest
{
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(20);
    private static final String UNDERLAY_PREFIX = "10.249.0.";
    private static final String ETCD = "http://" + UNDERLAY_PREFIX + "1:2379";
    private static final String SUBNET = "10.254.7.0/24";
    private static final String OTHER_SUBNET = "10.254.9.0/24";
    private static final String[] HOSTS = {"a", "b"};

    private final String run = "jy" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final String net = run + "-net";
    private final String image = run + "-img:latest";
    private final String sandbox = run + "sb";
    private final ObjectMapper json = new ObjectMapper();
    private final Process[] daemons = new Process[HOSTS.length];
    private Process etcd;
    private Path dir;
    private DockerEngine docker;

    record Cli(int exit, String out, String err)
    {
    }

    private String hostNs(final int i)
    {
        return run + "h" + HOSTS[i];
    }

    private Path socket(final int i)
    {
        return dir.resolve("host-" + HOSTS[i] + ".sock");
    }

    private Path pluginSocket()
    {
        return DockerEngine.PLUGIN_DIR.resolve(run + ".sock");
    }

    @BeforeAll
    void start() throws Exception
    {
        dir = Files.createTempDirectory(run);
        final String sw = run + "sw";
        sh("ip", "netns", "add", sw);
        sh("ip", "-n", sw, "link", "add", "br0", "type", "bridge");
        sh("ip", "-n", sw, "link", "set", "br0", "up");
        for (int i = 0; i < HOSTS.length; i++)
        {
            final String ns = hostNs(i);
            sh("ip", "netns", "add", ns);
            sh("ip", "link", "add", run + "u" + HOSTS[i], "netns", ns, "type", "veth", "peer", "name",
                run + "p" + HOSTS[i], "netns", sw);
            sh("ip", "-n", sw, "link", "set", run + "p" + HOSTS[i], "master", "br0", "up");
            sh("ip", "-n", ns, "address", "add", UNDERLAY_PREFIX + (i + 1) + "/24", "dev", run + "u" + HOSTS[i]);
            sh("ip", "-n", ns, "link", "set", run + "u" + HOSTS[i], "up");
            sh("ip", "-n", ns, "link", "set", "lo", "up");
        }
        etcd = new ProcessBuilder("ip", "netns", "exec", hostNs(0), "etcd", "--name", run,
            "--data-dir", dir.resolve("etcd").toString(), "--listen-client-urls", ETCD, "--advertise-client-urls", ETCD,
            "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
            "--initial-cluster", run + "=http://127.0.0.1:2380")
            .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        waitFor(() -> Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", hostNs(0), "etcdctl", "--endpoints", ETCD,
            "--dial-timeout", "1s", "endpoint", "health").ok(), Duration.ofSeconds(15), "etcd healthy");
        for (int i = 0; i < HOSTS.length; i++)
        {
            daemons[i] = startDaemon(i);
        }
        for (int i = 0; i < HOSTS.length; i++)
        {
            final ApiClient api = new ApiClient(socket(i));
            final int host = i;
            waitFor(() -> api.ping() || !daemons[host].isAlive(), Duration.ofSeconds(60), "daemon " + HOSTS[i]);
            assertTrue(daemons[i].isAlive(), "daemon " + HOSTS[i] + " died: " + read(dir.resolve(HOSTS[i] + ".log")));
        }
        docker = DockerEngine.start(dir.resolve("docker"), hostNs(0));
        docker.buildImage(image);
    }

    /** A's daemon serves the Docker plugin at /run/docker/plugins/RUN.sock; B's serves none. */
    private Process startDaemon(final int i) throws Exception
    {
        Files.createDirectories(dir.resolve("docker"));
        final List<String> argv = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + hostNs(i),
            "unshare", "-m", "--propagation", "unchanged",
            "sh", "-c", "mount -t sysfs sysfs /sys && exec \"$0\" \"$@\"",
            Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(a -> !a.startsWith("-javaagent") && !a.startsWith("-agentlib")).forEach(argv::add);
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "daemon",
            "--socket", socket(i).toString(), "--state-dir", dir.resolve("state-" + HOSTS[i]).toString(),
            "--underlay", run + "u" + HOSTS[i], "--etcd", ETCD, "--lease-ttl", "3", "--no-host-port"));
        argv.addAll(i == 0 ? List.of("--docker-plugin", pluginSocket().toString()) : List.of("--no-docker-plugin"));
        return new ProcessBuilder(argv).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(HOSTS[i] + ".log").toFile())).start();
    }

    @AfterAll
    void stop() throws Exception
    {
        try
        {
            if (docker != null)
            {
                docker.close();
            }
        }
        finally
        {
            for (final Process daemon : daemons)
            {
                stop(daemon);
            }
            stop(etcd);
            Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", sandbox);
            new HostsFiles(HostsFiles.DEFAULT_ROOT).remove(sandbox);
            for (int i = 0; i < HOSTS.length; i++)
            {
                Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", hostNs(i));
            }
            Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", run + "sw");
            Files.deleteIfExists(pluginSocket());
            final String namespaces = Command.run("ip", "netns", "list");
            TempDirs.deleteTree(dir);
            assertFalse(namespaces.contains(run), "left behind: namespaces " + namespaces);
        }
    }

    private static void stop(final Process process) throws InterruptedException
    {
        if (process != null && process.isAlive())
        {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    // -------------------------------------------------------------------------------------------------- tests

    @Test
    @Order(1)
    void overlayWithoutJvsIpamOrWithoutANameIsRefusedAndChangesNothing() throws Exception
    {
        final DockerEngine.Result defaultIpam = docker.docker("network", "create", "-d", run, "-o", "type=overlay",
            "-o", "name=" + net, net);
        assertNotEquals(0, defaultIpam.exit());
        assertTrue(defaultIpam.err().contains("-o type=overlay needs --ipam-driver jvs"), defaultIpam.err());
        final DockerEngine.Result noName = docker.docker("network", "create", "-d", run, "--ipam-driver", run,
            "-o", "type=overlay", net);
        assertNotEquals(0, noName.exit());
        assertTrue(noName.err().contains("needs -o name=NAME"), noName.err());
        final DockerEngine.Result vniOnBridge = docker.docker("network", "create", "-d", run, "--ipam-driver", run,
            "-o", "vni=77", net);
        assertNotEquals(0, vniOnBridge.exit());
        assertTrue(vniOnBridge.err().contains("add -o type=overlay"), vniOnBridge.err());

        assertFalse(docker.ok("network", "ls").contains(net));
        for (int i = 0; i < HOSTS.length; i++)
        {
            assertFalse(cli(i, "network", "ls").out().contains(net), "no network on host " + HOSTS[i]);
        }
        assertTrue(etcdKeys("/jvs/v1/docker/").isEmpty(), "no Docker attachment in etcd");
    }

    @Test
    @Order(2)
    void aContainerOnAAndASandboxOnBShareTheOverlayWithClusterUniqueAddresses() throws Exception
    {
        docker.ok("network", "create", "-d", run, "--ipam-driver", run, "-o", "type=overlay", "-o", "name=" + net,
            "--subnet", SUBNET, net);
        waitFor(() -> cli(1, "network", "inspect", net).exit() == 0, Duration.ofSeconds(10), "B installs " + net);
        assertEquals("overlay", inspect(1, net).path("Driver").asText());
        assertEquals(1, etcdKeys("/jvs/v1/docker/").stream().filter(k -> k.endsWith("/" + UNDERLAY_PREFIX + "1"))
            .count(), "A's attachment: " + etcdKeys("/jvs/v1/docker/"));

        assertEquals(0, cli(1, "sandbox", "create", sandbox).exit());
        final Cli connect = cli(1, "network", "connect", net, sandbox);
        assertEquals(0, connect.exit(), connect.err());
        final String sandboxIp = Command.run("ip", "-n", sandbox, "-4", "-o", "addr", "show", "eth0")
            .replaceAll("(?s).*inet (\\S+)/.*", "$1").strip();

        docker.ok("run", "-d", "--name", run + "c1", "--network", net, image, "sleep", "300");
        final String containerIp = docker.ok("inspect", "-f",
            "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}", run + "c1").strip();
        final String containerMac = docker.ok("inspect", "-f",
            "{{(index .NetworkSettings.Networks \"" + net + "\").MacAddress}}", run + "c1").strip();
        System.out.println("sandbox on B: " + sandboxIp + ", container on A: " + containerIp + " " + containerMac);
        assertTrue(sandboxIp.startsWith("10.254.7.") && containerIp.startsWith("10.254.7."), sandboxIp + " " +
            containerIp);
        assertNotEquals(sandboxIp, containerIp, "addresses are unique across the hosts");
        assertEquals("10.254.7.1", docker.ok("inspect", "-f",
            "{{(index .NetworkSettings.Networks \"" + net + "\").Gateway}}", run + "c1").strip());
        assertEquals("1450", docker.ok("exec", run + "c1", "cat", "/sys/class/net/eth0/mtu").strip(),
            "the overlay MTU");

        // B sees the container in etcd with its MAC, under A's VTEP
        waitFor(() -> inspect(1, net).path("RemoteContainers").toString().contains(containerIp + "/24"),
            Duration.ofSeconds(10), "B lists the container as a remote endpoint");
        final JsonNode remote = inspect(1, net).path("RemoteContainers").get(0);
        assertEquals(containerMac, remote.path("MacAddress").asText());
        assertEquals(UNDERLAY_PREFIX + "1", remote.path("Host").asText());

        final String there = docker.ok("exec", run + "c1", "ping", "-c", "3", "-W", "2", sandboxIp);
        assertTrue(there.contains("3 packets received"), there);
        final Command.Result back = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", sandbox, "ping", "-c", "3",
            "-W", "2", containerIp);
        assertTrue(back.ok() && back.stdout().contains("3 received"), back.stdout() + back.stderr());

        // a second container on A gets the next address no host holds
        docker.ok("run", "-d", "--name", run + "c2", "--network", net, image, "sleep", "300");
        final String second = docker.ok("inspect", "-f",
            "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}", run + "c2").strip();
        assertFalse(List.of(sandboxIp, containerIp, "10.254.7.1").contains(second), second);
        assertTrue(docker.ok("exec", run + "c2", "ping", "-c", "1", "-W", "2", sandboxIp)
            .contains("1 packets received"));
    }

    @Test
    @Order(3)
    void joiningWithConflictingOptionsIsRefusedAndChangesNothing() throws Exception
    {
        final String other = run + "-o9";
        final Cli created = cli(1, "network", "create", "-d", "overlay", "--subnet", OTHER_SUBNET, "-o", "vni=5009",
            other);
        assertEquals(0, created.exit(), created.err());
        waitFor(() -> cli(0, "network", "inspect", other).exit() == 0, Duration.ofSeconds(10), "A installs " + other);
        final List<String> before = etcdKeys("/jvs/v1/");

        final DockerEngine.Result vni = docker.docker("network", "create", "-d", run, "--ipam-driver", run,
            "-o", "type=overlay", "-o", "name=" + other, "-o", "vni=5010", "--subnet", OTHER_SUBNET, other);
        assertNotEquals(0, vni.exit());
        assertTrue(vni.err().contains("vni 5010 (the cluster's is 5009)"), vni.err());
        final DockerEngine.Result subnet = docker.docker("network", "create", "-d", run, "--ipam-driver", run,
            "-o", "type=overlay", "-o", "name=" + other, "--subnet", "10.254.10.0/24", other);
        assertNotEquals(0, subnet.exit());
        assertTrue(subnet.err().contains("subnet 10.254.10.0/24 (the cluster's is " + OTHER_SUBNET + ")"),
            subnet.err());
        final DockerEngine.Result taken = docker.docker("network", "create", "-d", run, "--ipam-driver", run,
            "-o", "type=overlay", "-o", "name=" + run + "-x", "--subnet", SUBNET, run + "-x");
        assertNotEquals(0, taken.exit(), "the subnet of another network");

        assertFalse(docker.ok("network", "ls").contains(other));
        assertFalse(docker.ok("network", "ls").contains(run + "-x"));
        assertEquals(before, etcdKeys("/jvs/v1/"), "etcd unchanged");
        assertEquals("5009", inspect(0, other).path("Options").path("vni").asText());

        // compatible: joined; jvs cannot remove it while Docker uses it; Docker's rm leaves it (jvs made it)
        docker.ok("network", "create", "-d", run, "--ipam-driver", run, "-o", "type=overlay", "-o", "name=" + other,
            "--subnet", OTHER_SUBNET, other);
        final Cli refused = cli(1, "network", "rm", other);
        assertNotEquals(0, refused.exit());
        assertTrue(refused.err().contains("used by Docker networks on hosts " + UNDERLAY_PREFIX + "1"), refused.err());
        docker.ok("network", "rm", other);
        assertEquals(0, cli(1, "network", "inspect", other).exit(), "still defined");
        final Cli removed = cli(1, "network", "rm", other);
        assertEquals(0, removed.exit(), removed.err());
    }

    @Test
    @Order(4)
    void dockerNetworkRmOnALeavesTheClusterNetworkToB() throws Exception
    {
        docker.ok("rm", "-f", run + "c1", run + "c2");
        docker.ok("network", "rm", net);
        assertFalse(docker.ok("network", "ls").contains(net));
        assertTrue(etcdKeys("/jvs/v1/docker/").stream().noneMatch(k -> k.contains("/" + UNDERLAY_PREFIX + "1")),
            "A's attachment is gone: " + etcdKeys("/jvs/v1/docker/"));
        // Both hosts read the state at the removal's revision or later, then a marker key outside jvs's prefix is
        // written: one overlay thread reconciles in turn, so a host whose state is at the marker's revision (its
        // 2 s resync reads it) has finished the reconcile that saw the removal.
        final long removal = etcdRevision(null);
        waitFor(() -> overlayRevision(0) >= removal && overlayRevision(1) >= removal, Duration.ofSeconds(20),
            "both hosts read the cluster state after A's attachment left");
        final long marker = etcdRevision("/jvs-test/" + run + "/marker");
        waitFor(() -> overlayRevision(0) >= marker && overlayRevision(1) >= marker, Duration.ofSeconds(20),
            "both hosts reconciled once more after that");
        assertEquals(0, cli(1, "network", "inspect", net).exit(), "B keeps the network its sandbox uses");
        assertEquals(1, inspect(1, net).path("Containers").size());
        assertEquals(0, inspect(1, net).path("RemoteContainers").size(), "the containers' addresses were released");
        assertEquals(0, cli(0, "network", "inspect", net).exit(), "every host still installs it");

        // B's sandbox leaves; the network was created through Docker, so jvs's own rm removes it now
        assertEquals(0, cli(1, "network", "disconnect", net, sandbox).exit());
        final Cli rm = cli(1, "network", "rm", net);
        assertEquals(0, rm.exit(), rm.err());
        waitFor(() -> cli(0, "network", "inspect", net).exit() != 0, Duration.ofSeconds(10), "A uninstalls " + net);
        assertTrue(etcdKeys("/jvs/v1/docker/").isEmpty(), etcdKeys("/jvs/v1/docker/").toString());
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private List<String> etcdKeys(final String prefix)
    {
        final Command.Result r = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", hostNs(0), "etcdctl",
            "--endpoints", ETCD, "get", "--prefix", "--keys-only", prefix);
        assertTrue(r.ok(), r.stderr());
        return r.stdout().lines().filter(l -> !l.isBlank()).sorted().toList();
    }

    /** The store's revision now, after writing {@code markerKey} when not null. */
    private long etcdRevision(final String markerKey) throws Exception
    {
        final List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", hostNs(0), "etcdctl", "--endpoints",
            ETCD, "-w", "json"));
        argv.addAll(markerKey == null ? List.of("get", "/jvs-test/") : List.of("put", markerKey, "x"));
        final Command.Result r = Command.exec(EXEC_TIMEOUT, argv.toArray(new String[0]));
        assertTrue(r.ok(), r.stderr());
        final long revision = json.readTree(r.stdout()).path("header").path("revision").asLong();
        assertTrue(revision > 0, r.stdout());
        return revision;
    }

    /** The revision of the cluster state the host last read. */
    private long overlayRevision(final int host)
    {
        try
        {
            return json.readTree(cli(host, "overlay", "--json").out()).path("Revision").asLong();
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }

    private JsonNode inspect(final int host, final String name)
    {
        try
        {
            return json.readTree(cli(host, "network", "inspect", name).out()).path(0);
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }

    private Cli cli(final int host, final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final List<String> argv = new ArrayList<>(List.of("--socket", socket(host).toString()));
        argv.addAll(List.of(args));
        final int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), argv.toArray(String[]::new));
        return new Cli(exit, out.toString(), err.toString());
    }

    private static void sh(final String... argv)
    {
        Command.run(argv);
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.exists(file) ? Files.readString(file) : "";
        }
        catch (final java.io.IOException ex)
        {
            return "";
        }
    }

}
