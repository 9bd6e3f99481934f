package io.jvs.control.it;

import io.jvs.control.netns.Command;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private dockerd for tests: its own data root, exec root, pid file and API socket under one directory, no
 * iptables and no docker0 ({@code --iptables=false --ip6tables=false --bridge=none}), stopped by PID. Plus a tiny
 * image built from busybox-static and iperf3 (no registry is reachable), imported with {@code docker import}.
 * <p>
 * Docker finds network plugins at /run/docker/plugins/NAME.sock whatever its exec root, so a test names its driver
 * after its run prefix.
 */
final class DockerEngine implements AutoCloseable
{
    static final Path PLUGIN_DIR = Path.of("/run/docker/plugins");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    /** What a docker command did. */
    record Result(int exit, String out, String err)
    {
        boolean ok()
        {
            return exit == 0;
        }
    }

    private final Path dir;
    private final String netns;
    private final String dockerCli;
    private final Process dockerd;

    private DockerEngine(final Path dir, final String netns, final String dockerCli, final Process dockerd)
    {
        this.dir = dir;
        this.netns = netns;
        this.dockerCli = dockerCli;
        this.dockerd = dockerd;
    }

    /** Starts dockerd; fails with what to install when Docker or busybox-static is missing. */
    static DockerEngine start(final Path dir) throws Exception
    {
        return start(dir, null);
    }

    /**
     * Starts dockerd in network namespace {@code netns} (null: this one), where the containers' veths are created
     * by the jvs daemon of that namespace. {@code nsenter} execs dockerd, so the process stopped is dockerd; not
     * {@code ip netns exec}, whose fresh /sys has no cgroup mounts, without which dockerd does not start.
     */
    static DockerEngine start(final Path dir, final String netns) throws Exception
    {
        final String dockerd = which("dockerd");
        final String cli = Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : which("docker");
        if (dockerd == null || cli == null)
        {
            throw new AssertionError("the Docker walkthrough tests need a real Docker engine, and " +
                (dockerd == null ? "dockerd" : "the docker CLI") + " is not installed: apt-get install -y docker.io");
        }
        Files.createDirectories(PLUGIN_DIR);
        final List<String> argv = new ArrayList<>(netns == null ? List.of() :
            List.of("nsenter", "--net=/run/netns/" + netns));
        argv.addAll(List.of(dockerd,
            "--data-root", dir.resolve("data").toString(),
            "--exec-root", dir.resolve("exec").toString(),
            "--pidfile", dir.resolve("docker.pid").toString(),
            "-H", "unix://" + dir.resolve("docker.sock"),
            "--iptables=false", "--ip6tables=false", "--bridge=none", "--log-level=warn"));
        final File log = dir.resolve("dockerd.log").toFile();
        final Process process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log).start();
        final DockerEngine engine = new DockerEngine(dir, netns, cli, process);
        final long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!engine.docker("version").ok())
        {
            if (!process.isAlive() || System.nanoTime() > deadline)
            {
                engine.close();
                throw new AssertionError("dockerd did not come up: " + Files.readString(log.toPath()));
            }
            Thread.sleep(200);
        }
        return engine;
    }

    /** Imports a root file system with busybox (static) and iperf3 with its libraries as {@code name}. */
    void buildImage(final String name) throws Exception
    {
        final String busybox = which("busybox");
        if (busybox == null || Command.exec(COMMAND_TIMEOUT, "ldd", busybox).stdout().contains("=>"))
        {
            throw new AssertionError("the Docker walkthrough image needs a static busybox: " +
                "apt-get install -y busybox-static");
        }
        final Path root = dir.resolve("rootfs");
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("tmp"));
        Files.createDirectories(root.resolve("etc"));
        Files.copy(Path.of(busybox), root.resolve("bin/busybox"));
        for (final String applet : Command.run(busybox, "--list").split("\\s+"))
        {
            if (!applet.isEmpty() && !applet.equals("busybox"))
            {
                Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
            }
        }
        final String iperf3 = which("iperf3");
        if (iperf3 != null)
        {
            Files.copy(Path.of(iperf3), root.resolve("bin/iperf3"));
            for (final String line : Command.run("ldd", iperf3).split("\n"))
            {
                final int slash = line.indexOf('/');
                if (slash < 0)
                {
                    continue;
                }
                final String lib = line.substring(slash).split("\\s+")[0];
                final Path target = root.resolve(lib.substring(1));
                Files.createDirectories(target.getParent());
                Files.copy(Path.of(lib).toRealPath(), target);
            }
        }
        final Result imported = run(COMMAND_TIMEOUT, "sh", "-c", "tar -C " + root + " -c . | " + dockerCli +
            " -H unix://" + dir.resolve("docker.sock") + " import - " + name);
        if (!imported.ok())
        {
            throw new AssertionError("docker import failed: " + imported.err());
        }
    }

    /** Runs {@code docker ARGS} against this engine. */
    Result docker(final String... args) throws Exception
    {
        final List<String> argv = new ArrayList<>(List.of(dockerCli, "-H", "unix://" + dir.resolve("docker.sock")));
        argv.addAll(List.of(args));
        return run(COMMAND_TIMEOUT, argv.toArray(new String[0]));
    }

    /** A docker command that must succeed; @return its output. */
    String ok(final String... args) throws Exception
    {
        final Result result = docker(args);
        if (!result.ok())
        {
            throw new AssertionError("docker " + String.join(" ", args) + " failed (" + result.exit() + "): " +
                result.err() + result.out());
        }
        return result.out();
    }

    String log() throws IOException
    {
        return Files.readString(dir.resolve("dockerd.log"));
    }

    /**
     * What {@code systemctl restart docker} does: dockerd stopped by PID (SIGTERM: it stops the containers, whose
     * state stays in the data root), then another started on the same directories. @return the new engine.
     */
    DockerEngine restart() throws Exception
    {
        stopDockerd();
        return start(dir, netns);
    }

    private void stopDockerd() throws InterruptedException
    {
        dockerd.destroy();
        if (!dockerd.waitFor(40, TimeUnit.SECONDS))
        {
            dockerd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Removes every container, then stops dockerd by PID (SIGTERM, SIGKILL after 40 s). */
    @Override
    public void close() throws Exception
    {
        try
        {
            if (dockerd.isAlive())
            {
                final String ids = docker("ps", "-aq").out().strip();
                if (!ids.isEmpty())
                {
                    final List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                    rm.addAll(List.of(ids.split("\\s+")));
                    docker(rm.toArray(new String[0]));
                }
            }
        }
        finally
        {
            stopDockerd();
            // dockerd's own containerd and shims run under its exec root; they exit with it. Unmount what is left.
            run(COMMAND_TIMEOUT, "sh", "-c", "grep -o ' " + dir + "[^ ]*' /proc/mounts | sort -r | " +
                "xargs -r -n1 umount -l");
        }
    }

    static String which(final String command)
    {
        for (final String path : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":"))
        {
            final Path candidate = Path.of(path, command);
            if (Files.isExecutable(candidate))
            {
                return candidate.toString();
            }
        }
        for (final String path : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin"))
        {
            final Path candidate = Path.of(path, command);
            if (Files.isExecutable(candidate))
            {
                return candidate.toString();
            }
        }
        return null;
    }

    private static Result run(final Duration timeout, final String... argv) throws Exception
    {
        final Process process = new ProcessBuilder(argv).start();
        final var out = process.getInputStream();
        final var err = process.getErrorStream();
        final var outText = new java.util.concurrent.CompletableFuture<String>();
        final var errText = new java.util.concurrent.CompletableFuture<String>();
        final Thread outReader = new Thread(() -> outText.complete(readAll(out)));
        final Thread errReader = new Thread(() -> errText.complete(readAll(err)));
        outReader.start();
        errReader.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError("timed out after " + timeout + ": " + String.join(" ", argv));
        }
        return new Result(process.exitValue(), outText.get(10, TimeUnit.SECONDS), errText.get(10, TimeUnit.SECONDS));
    }

    private static String readAll(final java.io.InputStream in)
    {
        try
        {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            return "";
        }
    }
}
