package io.jvs.control.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the output file of a background {@code ping}. */
public final class PingLogs
{
    private static final Pattern SEQUENCE = Pattern.compile("icmp_seq=(\\d+)");

    private PingLogs()
    {
    }

    /** Echo replies logged so far; 0 while the file cannot be read yet. */
    public static int replies(final Path log)
    {
        return replySequences(log).size();
    }

    /** The icmp_seq of every echo reply logged so far, in log order. */
    public static List<Integer> replySequences(final Path log)
    {
        final List<Integer> sequences = new ArrayList<>();
        for (final String line : lines(log))
        {
            final Matcher seq = SEQUENCE.matcher(line);
            if (line.contains("bytes from") && seq.find())
            {
                sequences.add(Integer.parseInt(seq.group(1)));
            }
        }
        return sequences;
    }

    /**
     * The requests a {@code ping -O} reported unanswered ("no answer yet", or an ICMP error such as "Destination Host
     * Unreachable") after its latest reply: proof that ping kept sending while nothing came back.
     */
    public static List<Integer> unansweredSinceLastReply(final Path log)
    {
        final List<Integer> unanswered = new ArrayList<>();
        for (final String line : lines(log))
        {
            final Matcher seq = SEQUENCE.matcher(line);
            if (!seq.find())
            {
                continue;
            }
            if (line.contains("bytes from"))
            {
                unanswered.clear();
            }
            else
            {
                unanswered.add(Integer.parseInt(seq.group(1)));
            }
        }
        return unanswered;
    }

    private static List<String> lines(final Path log)
    {
        try
        {
            return Files.readAllLines(log);
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }
}
