package io.jvs.control.network;

import io.jvs.control.common.JvsException;
import io.jvs.control.netns.IpTool;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/** Names and ids: Docker's rule for names, random ids, and free interface names on the host and in a sandbox. */
final class Naming
{
    /** Docker's rule for container names, used for networks and sandboxes alike. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");
    private static final String HOST_INTERFACE_PREFIX = "jv";
    private static final String SANDBOX_INTERFACE_PREFIX = "eth";
    private static final int NAME_ATTEMPTS = 16;
    private static final int SANDBOX_INTERFACES = 1000;
    private static final int ID_BYTES = 32;
    /** Runtime endpoints' second veth end: the host end's name plus this (11 characters, inside IFNAMSIZ). */
    static final String HOST_PEER_SUFFIX = "c";

    private final IpTool ip;
    private final SecureRandom random = new SecureRandom();

    Naming(final IpTool ip)
    {
        this.ip = ip;
    }

    static boolean isValidName(final String name)
    {
        return name != null && NAME.matcher(name).matches();
    }

    static void checkName(final String what, final String name)
    {
        if (!isValidName(name))
        {
            throw JvsException.invalid("invalid " + what + " name \"" + name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] " +
                "are allowed, up to 63 characters");
        }
    }

    /** 64 hex digits, as Docker's ids. */
    String newId()
    {
        final byte[] bytes = new byte[ID_BYTES];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** "jv" + 8 hex digits: 10 characters, well inside IFNAMSIZ, and unlikely to clash with anything else. */
    String newHostInterfaceName()
    {
        for (int i = 0; i < NAME_ATTEMPTS; i++)
        {
            final String name = HOST_INTERFACE_PREFIX + HexFormat.of().toHexDigits(random.nextInt());
            if (!ip.linkExists(name) && !ip.linkExists(name + HOST_PEER_SUFFIX))
            {
                return name;
            }
        }
        throw new JvsException(JvsException.Kind.INTERNAL, "no free host interface name after " + NAME_ATTEMPTS +
            " attempts");
    }

    /** The first free ethN in the sandbox. */
    String nextSandboxInterface(final String sandbox)
    {
        final List<String> existing = ip.linkNames(sandbox);
        for (int i = 0; i < SANDBOX_INTERFACES; i++)
        {
            if (!existing.contains(SANDBOX_INTERFACE_PREFIX + i))
            {
                return SANDBOX_INTERFACE_PREFIX + i;
            }
        }
        throw JvsException.conflict("sandbox " + sandbox + " has no free ethN name");
    }
}
