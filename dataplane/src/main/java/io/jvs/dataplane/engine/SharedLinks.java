package io.jvs.dataplane.engine;

import io.jvs.tap.SharedLink;
import io.jvs.tap.SharedLinkPort;

import java.util.Arrays;

/**
 * The {@link SharedLink}s the receive agent reads: each once per duty cycle, however many of its ports are
 * attached, and only while one is. Binds a port when it is added, so the link hands its frames over with its id,
 * and unbinds it when it is removed, so nothing of it reaches the ring after that. Agent thread only.
 */
final class SharedLinks
{
    private SharedLink[] links = new SharedLink[0];
    /** Per link: its ports attached to the switch. */
    private int[] ports = new int[0];

    SharedLink[] links()
    {
        return links;
    }

    /** @return true if the port is its link's first: the link is read from now on. */
    boolean add(final int portId, final SharedLinkPort port)
    {
        final SharedLink link = port.sharedLink();
        port.bindReceive(portId);
        final int at = indexOf(link);
        if (at >= 0)
        {
            ports[at]++;
            return false;
        }
        final int n = links.length;
        final SharedLink[] newLinks = Arrays.copyOf(links, n + 1);
        final int[] newPorts = Arrays.copyOf(ports, n + 1);
        newLinks[n] = link;
        newPorts[n] = 1;
        links = newLinks;
        ports = newPorts;
        return true;
    }

    /** @return true if the port was its link's last: the link is no longer read. */
    boolean remove(final SharedLinkPort port)
    {
        port.bindReceive(SharedLinkPort.UNBOUND);
        final int at = indexOf(port.sharedLink());
        if (at < 0 || --ports[at] > 0)
        {
            return false;
        }
        final int n = links.length;
        final SharedLink[] newLinks = new SharedLink[n - 1];
        final int[] newPorts = new int[n - 1];
        for (int i = 0, j = 0; i < n; i++)
        {
            if (i != at)
            {
                newLinks[j] = links[i];
                newPorts[j] = ports[i];
                j++;
            }
        }
        links = newLinks;
        ports = newPorts;
        return true;
    }

    boolean has(final SharedLink link)
    {
        return indexOf(link) >= 0;
    }

    private int indexOf(final SharedLink link)
    {
        for (int i = 0; i < links.length; i++)
        {
            if (links[i] == link)
            {
                return i;
            }
        }
        return -1;
    }
}
