package io.jvs.control.publish;

import io.jvs.control.common.JvsException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PublishScopeTest
{
    private static final String UPLINK = "192.0.2.10";

    @Test
    void hostAddressesJvsServes()
    {
        assertEquals(PublishScope.ALL, PublishScope.of("", UPLINK, true));
        assertEquals(PublishScope.LOOPBACK, PublishScope.of("127.0.0.1", UPLINK, true));
        assertEquals(PublishScope.ROUTER, PublishScope.of(UPLINK, UPLINK, true));
        assertTrue(PublishScope.ALL.routed() && PublishScope.ALL.loopback());
        assertTrue(PublishScope.ROUTER.routed() && !PublishScope.ROUTER.loopback());
        assertTrue(!PublishScope.LOOPBACK.routed() && PublishScope.LOOPBACK.loopback());
    }

    @Test
    void othersAreRefusedWithTheReason()
    {
        final JvsException notHost = assertThrows(JvsException.class, () -> PublishScope.of("192.0.2.77", UPLINK, true));
        assertEquals(JvsException.Kind.INVALID, notHost.kind());
        assertTrue(notHost.getMessage().startsWith("cannot publish on 192.0.2.77: not an address of this host; " +
            "jvs publishes on 0.0.0.0 (the uplink address 192.0.2.10 and 127.0.0.1)"), notHost.getMessage());
        // 127.0.0.2 is on lo: a host address jvs does not serve
        assertTrue(assertThrows(JvsException.class, () -> PublishScope.of("127.0.0.2", UPLINK, true)).getMessage()
            .contains("an address of this host that jvs does not serve"));
        assertTrue(assertThrows(JvsException.class, () -> PublishScope.of("127.0.0.1", UPLINK, false)).getMessage()
            .contains("no host port"));
        assertThrows(JvsException.class, () -> PublishScope.of(UPLINK, null, true), "no uplink: not served");
    }

    @Test
    void ipv6LoopbackIsServedOtherIpv6AddressesAreRefused()
    {
        assertEquals(PublishScope.LOOPBACK6, PublishScope.of("::1", UPLINK, true));
        assertEquals(PublishScope.LOOPBACK6, PublishScope.of("[::1]", UPLINK, true));
        assertEquals(1, PublishScope.LOOPBACK6.loopbackAddresses().size());
        assertTrue(PublishScope.LOOPBACK6.loopbackAddresses().get(0).isLoopbackAddress());
        assertTrue(PublishScope.ALL.loopbackAddresses().size() == 2, "this host has ::1: ALL listens there too");
        assertTrue(assertThrows(JvsException.class, () -> PublishScope.of("::", UPLINK, true)).getMessage()
            .contains("over IPv6 jvs publishes on [::1] only"));
        assertTrue(assertThrows(JvsException.class, () -> PublishScope.of("2001:db8::5", UPLINK, true)).getMessage()
            .contains("over IPv6 jvs publishes on [::1] only"));
        assertTrue(assertThrows(JvsException.class, () -> PublishScope.of("::1", UPLINK, false)).getMessage()
            .contains("no host port"));
    }
}
