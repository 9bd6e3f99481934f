package io.jvs.control.testing;

import io.jvs.control.netns.Command;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random data sent by TCP with nc from one network namespace to nc listening in another, hashed with SHA-256 as it
 * goes in and as it comes out: iperf3 counts bytes and never looks at them, so a path that corrupts data passes it.
 * With the sandboxes' default offloads the sender's TCP leaves as GSO frames of up to 64 KB, so the big-frame paths
 * of the switch (and the TSO/checksum-offload metadata they carry) are what the data crosses.
 */
public final class Transfers
{
    /** Several MB: a few hundred GSO frames at least, well under a second on this machine's veths. */
    public static final int DEFAULT_BYTES = 8 << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(40);
    private static final int CHUNK = 64 * 1024;

    /** What one transfer moved. */
    public record Outcome(long sent, String sentSha256, long received, String receivedSha256)
    {
        @Override
        public String toString()
        {
            return "sent " + sent + " B sha256 " + sentSha256 + ", received " + received + " B sha256 " +
                receivedSha256;
        }
    }

    private Transfers()
    {
    }

    /**
     * {@link #DEFAULT_BYTES} from namespace {@code sender} to {@code address:port}, received by nc listening on
     * {@code listenPort} in namespace {@code receiver} (null: this namespace, for either); asserts the receiver got
     * every byte unchanged. {@code listenPort} and {@code port} differ through a published (DNAT) port.
     */
    public static Outcome assertIntact(final String what, final String sender, final String receiver,
        final int listenPort, final String address, final int port) throws Exception
    {
        return assertIntact(what, sender, receiver, listenPort, address, port, DEFAULT_BYTES);
    }

    /** As {@link #assertIntact(String, String, String, int, String, int)}, for {@code bytes} random bytes. */
    public static Outcome assertIntact(final String what, final String sender, final String receiver,
        final int listenPort, final String address, final int port, final int bytes) throws Exception
    {
        final Outcome outcome = transfer(sender, receiver, listenPort, address, port, bytes);
        assertEquals(outcome.sent(), outcome.received(), what + ": bytes lost or added: " + outcome);
        assertEquals(outcome.sentSha256(), outcome.receivedSha256(), what + ": data changed on the way: " + outcome);
        System.out.println(what + ": " + outcome.sent() + " B intact, sha256 " + outcome.sentSha256());
        return outcome;
    }

    /** One transfer of {@code bytes} random bytes; asserts only that the receiver started and both nc finished. */
    public static Outcome transfer(final String sender, final String receiver, final int listenPort,
        final String address, final int port, final int bytes) throws Exception
    {
        final List<Process> processes = new ArrayList<>();
        final String family = address.indexOf(':') >= 0 ? "-6" : "-4"; // the listener too: nc -4 -l takes no IPv6
        try
        {
            // -d: nc reads no stdin, so the end of the sender's data (nc -N shuts its side down) ends the receiver.
            final Process listener = new ProcessBuilder(in(receiver, "timeout", String.valueOf(TIMEOUT.toSeconds()),
                "nc", family, "-d", "-l", String.valueOf(listenPort))).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
            processes.add(listener);
            final FutureTask<Received> received = new FutureTask<>(() -> hash(listener.getInputStream()));
            final Thread reader = new Thread(received, "transfer-receiver");
            reader.setDaemon(true);
            reader.start();
            final String[] listening = in(receiver, "ss", "-Hltn", "sport = :" + listenPort);
            Wait.until(() -> !Command.exec(TIMEOUT, listening).stdout().isBlank() || !listener.isAlive(),
                Duration.ofSeconds(10), "nc listening on port " + listenPort + " in " + receiver);
            assertTrue(listener.isAlive(), "nc -l " + listenPort + " in " + receiver + " exited at start");

            final Process client = new ProcessBuilder(in(sender, "nc", family, "-N", "-w", "10", address,
                String.valueOf(port))).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.PIPE).start();
            processes.add(client);
            final MessageDigest sent = sha256();
            try (OutputStream out = client.getOutputStream())
            {
                final SplittableRandom random = new SplittableRandom();
                final byte[] chunk = new byte[CHUNK];
                for (int left = bytes; left > 0; left -= CHUNK)
                {
                    final int n = Math.min(CHUNK, left);
                    random.nextBytes(chunk);
                    sent.update(chunk, 0, n);
                    out.write(chunk, 0, n);
                }
            }
            catch (final IOException ex)
            {
                // nc gave up (no connection): its exit status and message below say why
            }
            assertTrue(client.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "nc to " + address + ":" + port +
                " did not finish");
            assertEquals(0, client.exitValue(), "nc " + sender + " -> " + address + ":" + port + ": " +
                new String(client.getErrorStream().readAllBytes()));
            final Received got = received.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return new Outcome(bytes, HexFormat.of().formatHex(sent.digest()), got.length(), got.sha256());
        }
        finally
        {
            BackgroundProcesses.destroyWithDescendants(processes);
        }
    }

    /** What the receiving nc wrote: its length and SHA-256. */
    private record Received(long length, String sha256)
    {
    }

    private static Received hash(final InputStream in) throws IOException
    {
        final MessageDigest digest = sha256();
        final byte[] buffer = new byte[CHUNK];
        long length = 0;
        for (int n; (n = in.read(buffer)) > 0; )
        {
            digest.update(buffer, 0, n);
            length += n;
        }
        return new Received(length, HexFormat.of().formatHex(digest.digest()));
    }

    private static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** argv run in namespace {@code ns}, or as is when it is null. */
    private static String[] in(final String ns, final String... argv)
    {
        final List<String> full = new ArrayList<>(ns == null ? List.of() : List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(argv));
        return full.toArray(new String[0]);
    }
}
