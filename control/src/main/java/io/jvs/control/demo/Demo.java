package io.jvs.control.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.daemon.Daemon;
import io.jvs.control.common.JvsException;
import io.jvs.control.api.ApiClient;
import io.jvs.control.netns.Command;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.netns.IpTool;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * {@code jvs demo}: a guided tour on a private in-process daemon. Two networks, four sandboxes, ping by name, an
 * iperf3 TCP transfer through the switch, isolation between networks, a live connect, counters and the MAC table;
 * everything it creates is removed at the end, on failure, and on Ctrl-C.
 */
public final class Demo
{
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(10);
    private static final int IPERF_PORT = 5201;

    private final PrintWriter out;
    private final int seconds;
    private final String prefix;
    private final List<String> sandboxes = new ArrayList<>();
    private final List<String> networks = new ArrayList<>();
    private final AtomicBoolean cleaned = new AtomicBoolean();
    private final AtomicBoolean interrupted = new AtomicBoolean();
    /** Held while creating something and while cleanup takes its list, so nothing is created behind its back. */
    private final Object createLock = new Object();
    private final ObjectMapper json = new ObjectMapper();
    private final IpTool ip = new IpTool();
    private Thread hook;
    private Daemon daemon;
    private Process iperfServer;
    private Path stateDir;
    private int step;

    public Demo(final PrintWriter out, final int seconds)
    {
        this.out = out;
        this.seconds = seconds;
        this.prefix = "jd" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    }

    /** @return exit code: 0 when every check came out as expected. */
    public int run() throws Exception
    {
        hook = new Thread(() ->
        {
            if (!cleaned.get())
            {
                interrupted.set(true);
                out.println();
                out.println("Interrupted: cleaning up.");
                cleanUp();
            }
        }, "jvs-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try
        {
            return tour();
        }
        catch (final Exception ex)
        {
            if (interrupted.get())
            {
                return 130; // the hook cleaned up; what failed here failed because of that
            }
            throw ex;
        }
        finally
        {
            cleanUp();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ignored)
            {
                // already shutting down: the hook runs cleanUp, which is idempotent
            }
        }
    }

    private int tour() throws Exception
    {
        final String blue = prefix + "-blue";
        final String red = prefix + "-red";
        final String alpha = prefix + "-alpha";
        final String beta = prefix + "-beta";
        final String gamma = prefix + "-gamma";
        final String delta = prefix + "-delta";
        int failures = 0;

        out.println("jvs demo: containers (network namespaces) talking through the jvs userspace switch.");
        out.println("Everything below is named " + prefix + "-* and is removed at the end.");

        section("Start a jvs daemon in this process");
        stateDir = Files.createTempDirectory("jvs-demo-");
        final Path socket = Path.of("/run/jvs", prefix + ".sock");
        daemon = Daemon.start(Daemon.Config.embedded(socket, stateDir));
        final ApiClient api = new ApiClient(socket);
        say("API on " + socket + " (try: curl --unix-socket " + socket + " http://jvs/networks)");

        section("Create network " + blue + " and three sandboxes on it");
        createNetwork(api, blue);
        for (final String name : List.of(alpha, beta, gamma))
        {
            createSandbox(api, name);
            connect(api, blue, name);
        }

        section("Ping by name: the sandboxes resolve each other (jvs's resolver at 127.0.0.11)");
        failures += expect(ping(alpha, beta), true, alpha + " -> " + beta);
        failures += expect(ping(gamma, alpha), true, gamma + " -> " + alpha);

        section("TCP through jvs: iperf3 from " + alpha + " to " + beta + " for " + seconds + " s");
        failures += iperf(alpha, beta) ? 0 : 1;

        section("Isolation: " + delta + " sits on a second network, " + red);
        createNetwork(api, red);
        createSandbox(api, delta);
        connect(api, red, delta);
        final String deltaAddress = address(api, red, delta);
        failures += expect(resolves(alpha, delta), false, alpha + " resolves " + delta);
        failures += expect(ping(alpha, deltaAddress), false, alpha + " -> " + delta + " at " + deltaAddress);
        say("(each network is its own L2 segment; jvs's gateway for " + alpha + "'s network answers, but");
        say(" like Docker's bridge driver it routes only to the host and the outside, never to another network)");

        section("Live connect: attach " + alpha + " to " + red + " too");
        connect(api, red, alpha);
        failures += expect(ping(alpha, delta), true, alpha + " -> " + delta);
        command("jvs network disconnect " + red + " " + alpha);
        api.disconnect(red, alpha);
        failures += expect(ping(alpha, deltaAddress), false, alpha + " -> " + delta + " after disconnect");

        section("Switch counters (jvs stats)");
        io.jvs.control.cli.DemoOutput.printStats(api.stats(), out);
        section("MAC table (jvs mac)");
        io.jvs.control.cli.DemoOutput.printMacTable(api.macTable(), out);

        section("Clean up");
        cleanUp();
        out.println();
        out.println(failures == 0 ? "Demo finished: every check came out as expected." :
            "Demo finished with " + failures + " unexpected result(s).");
        out.flush();
        return failures == 0 ? 0 : 1;
    }

    private void createNetwork(final ApiClient api, final String name) throws IOException
    {
        command("jvs network create " + name);
        synchronized (createLock)
        {
            checkNotCleaned();
            api.createNetwork(name, null, null, null, false);
            networks.add(name);
        }
        final JsonNode config = api.network(name).path("IPAM").path("Config").path(0);
        say("subnet " + config.path("Subnet").asText() + ", gateway " + config.path("Gateway").asText());
    }

    private void createSandbox(final ApiClient api, final String name) throws IOException
    {
        command("jvs sandbox create " + name);
        synchronized (createLock)
        {
            checkNotCleaned();
            sandboxes.add(name);
            api.createSandbox(name);
        }
    }

    private void connect(final ApiClient api, final String network, final String sandbox) throws IOException
    {
        command("jvs network connect " + network + " " + sandbox);
        final JsonNode endpoint = api.connect(network, sandbox);
        say(sandbox + ": " + endpoint.path("Interface").asText() + " " + endpoint.path("IPv4Address").asText() +
            " (MAC " + endpoint.path("MacAddress").asText() + ", switch port " + endpoint.path("PortId").asInt() +
            " on host interface " + endpoint.path("HostInterface").asText() + ")");
    }

    private String address(final ApiClient api, final String network, final String sandbox) throws IOException
    {
        final String cidr = api.network(network).path("Containers").path(sandbox).path("IPv4Address").asText();
        return cidr.substring(0, cidr.indexOf('/'));
    }

    private boolean ping(final String from, final String to)
    {
        command("ip netns exec " + from + " ping -c 3 -i 0.2 -W 1 " + to);
        final Command.Result result = Command.exec(PING_TIMEOUT,
            "ip", "netns", "exec", from, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", to);
        indent(result.stdout().isBlank() ? result.stderr() : result.stdout(), line ->
            line.startsWith("PING") || line.contains("bytes from") || line.contains("packet loss") || line.startsWith("rtt") ||
            line.contains("nreachable") || line.contains("ping:"));
        return result.ok();
    }

    private boolean resolves(final String from, final String name)
    {
        command("ip netns exec " + from + " getent hosts " + name);
        final Command.Result result = Command.exec(PING_TIMEOUT, "ip", "netns", "exec", from, "getent", "hosts", name);
        indent(result.ok() ? result.stdout() : "(no such name: getent exit code " + result.exitCode() + ")", l -> true);
        return result.ok();
    }

    private boolean iperf(final String client, final String server) throws Exception
    {
        command("ip netns exec " + server + " iperf3 -s -1 &");
        iperfServer = new ProcessBuilder("ip", "netns", "exec", server, "iperf3", "-s", "-1", "-p",
            String.valueOf(IPERF_PORT)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        waitForListener(server);
        command("ip netns exec " + client + " iperf3 -c " + server + " -t " + seconds + " -J");
        final Command.Result result = Command.exec(Duration.ofSeconds(seconds + 20L),
            "ip", "netns", "exec", client, "iperf3", "-c", server, "-p", String.valueOf(IPERF_PORT),
            "-t", String.valueOf(seconds), "-J");
        iperfServer.waitFor(5, TimeUnit.SECONDS);
        final JsonNode report = result.stdout().isBlank() ? json.createObjectNode() : json.readTree(result.stdout());
        if (!result.ok() || report.has("error"))
        {
            say("iperf3 failed: " + report.path("error").asText(result.stderr().strip()));
            return false;
        }
        final JsonNode received = report.path("end").path("sum_received");
        final JsonNode sent = report.path("end").path("sum_sent");
        say(String.format(Locale.ROOT, "%s -> %s: %.2f Gbit/s received (%.1f MB in %.1f s), %d retransmits",
            client, server, received.path("bits_per_second").asDouble() / 1e9,
            received.path("bytes").asDouble() / 1e6, received.path("seconds").asDouble(),
            sent.path("retransmits").asLong()));
        return received.path("bytes").asLong() > 0;
    }

    private void waitForListener(final String sandbox) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline)
        {
            final Command.Result result = Command.exec(Duration.ofSeconds(5),
                "ip", "netns", "exec", sandbox, "ss", "-Hltn", "sport = :" + IPERF_PORT);
            if (result.ok() && !result.stdout().isBlank())
            {
                return;
            }
            Thread.sleep(50);
        }
        throw new JvsException(JvsException.Kind.INTERNAL, "iperf3 server in " + sandbox + " did not start listening");
    }

    /** Counts an unexpected outcome and says what was expected. */
    private int expect(final boolean actual, final boolean expected, final String what)
    {
        if (actual == expected)
        {
            say((expected ? "OK: " : "OK, as it should be: no way through: ") + what);
            return 0;
        }
        say("UNEXPECTED: " + what + (expected ? " failed" : " worked"));
        return 1;
    }

    /** After Ctrl-C only the cleanup speaks: the tour's last steps fail because of it and are not news. */
    private boolean silenced()
    {
        return interrupted.get() && Thread.currentThread() != hook;
    }

    private void checkNotCleaned()
    {
        if (cleaned.get())
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "interrupted");
        }
    }

    /** Removes everything created, best effort, once; safe from the shutdown hook. */
    private void cleanUp()
    {
        synchronized (createLock)
        {
            if (!cleaned.compareAndSet(false, true))
            {
                return;
            }
        }
        if (iperfServer != null && iperfServer.isAlive())
        {
            iperfServer.destroyForcibly();
        }
        final List<String> problems = new ArrayList<>();
        for (final String sandbox : sandboxes)
        {
            try
            {
                if (daemon != null)
                {
                    daemon.service().removeSandbox(sandbox);
                    say("removed sandbox " + sandbox);
                }
            }
            catch (final RuntimeException ex)
            {
                problems.add(ex.getMessage());
            }
            try
            {
                if (ip.namespaceExists(sandbox))
                {
                    ip.deleteNamespace(sandbox);
                }
                new HostsFiles(HostsFiles.DEFAULT_ROOT).remove(sandbox);
            }
            catch (final RuntimeException ex)
            {
                problems.add(ex.getMessage());
            }
        }
        for (final String network : networks)
        {
            try
            {
                if (daemon != null)
                {
                    daemon.service().removeNetwork(network);
                    say("removed network " + network);
                }
            }
            catch (final RuntimeException ex)
            {
                problems.add(ex.getMessage());
            }
        }
        if (daemon != null)
        {
            try
            {
                daemon.close();
                say("stopped the daemon");
            }
            catch (final RuntimeException ex)
            {
                problems.add(ex.getMessage());
            }
        }
        if (stateDir != null)
        {
            try
            {
                try (var paths = Files.walk(stateDir)) // the journal lives under it
                {
                    for (final Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList())
                    {
                        Files.deleteIfExists(path);
                    }
                }
            }
            catch (final IOException ex)
            {
                problems.add(ex.getMessage());
            }
        }
        problems.forEach(p -> say("cleanup problem: " + p));
        out.flush();
    }

    private void section(final String title)
    {
        if (interrupted.get() && !title.equals("Clean up"))
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "interrupted");
        }
        out.println();
        out.println("== " + (++step) + ". " + title);
        out.flush();
    }

    private void command(final String line)
    {
        if (silenced())
        {
            return;
        }
        out.println("   $ " + line);
        out.flush();
    }

    private void say(final String line)
    {
        if (silenced())
        {
            return;
        }
        out.println("     " + line);
        out.flush();
    }

    private void indent(final String text, final java.util.function.Predicate<String> keep)
    {
        if (silenced())
        {
            return;
        }
        final Consumer<String> print = line -> out.println("     | " + line);
        text.lines().filter(keep).forEach(print);
        out.flush();
    }
}
