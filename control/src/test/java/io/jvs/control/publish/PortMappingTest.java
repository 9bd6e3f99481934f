package io.jvs.control.publish;

import io.jvs.control.publish.PortMapping;
import io.jvs.control.common.JvsException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --publish [HOSTIP:]HOSTPORT[-END]:PORT[-END][/proto]}: what the journal and the CLI hold. */
class PortMappingTest
{
    @Test
    void journalEntriesWithoutAHostAddressStillParse()
    {
        final PortMapping m = PortMapping.parse("8080:80/tcp");
        assertEquals(new PortMapping("tcp", "", 8080, 8080, 80), m);
        assertEquals("8080:80/tcp", m.toString());
        assertEquals("5000-5010:6000-6010/udp", PortMapping.parse("5000-5010:6000-6010/udp").toString());
    }

    @Test
    void aHostAddressIsKeptAndZeroZeroZeroZeroMeansEverywhere()
    {
        assertEquals("127.0.0.1:49153:7000/tcp", PortMapping.parse("127.0.0.1:49153:7000").toString());
        assertEquals("", PortMapping.parse("0.0.0.0:8080:80").hostIp());
        assertEquals("8080:80/tcp", PortMapping.parse("0.0.0.0:8080:80").toString());
    }

    @Test
    void hostPortZeroAsksForAChosenPortForOnePort()
    {
        final PortMapping m = PortMapping.parse("127.0.0.1:0:22/udp");
        assertTrue(m.choosesHostPort());
        assertEquals("127.0.0.1:49160:22/udp", m.onHostPort(49160).toString());
        assertFalse(m.onHostPort(49160).choosesHostPort());
        assertThrows(JvsException.class, () -> PortMapping.parse("0:22-23"));
        assertThrows(JvsException.class, () -> PortMapping.parse("0-5:22"));
        assertThrows(JvsException.class, () -> PortMapping.parse("0:0"));
        assertThrows(JvsException.class, () -> PortMapping.parse("300.1.1.1:80:80"));
    }

    @Test
    void anIpv6HostAddressComesInBracketsAsDockerWritesIt()
    {
        final PortMapping mapping = PortMapping.parse("[::1]:8080:80");
        assertEquals("::1", mapping.hostIp());
        assertEquals(8080, mapping.hostFirst());
        assertEquals("[::1]:8080:80/tcp", mapping.toString());
        assertEquals(mapping, PortMapping.parse(mapping.toString()), "journaled as it prints");
    }
}
