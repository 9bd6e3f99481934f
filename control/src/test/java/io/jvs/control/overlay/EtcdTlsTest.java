package io.jvs.control.overlay;

import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.testing.EtcdServer;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real etcd (the distribution's etcd 3.4) on loopback serving TLS only and requiring client certificates
 * ({@code --client-cert-auth}), certificates made by openssl in the test: a host with the CA and a client
 * certificate joins and shares a network and an address with a second connection; every usual mistake fails at
 * connect with a message that says which one (no CA, wrong CA, no client certificate, plain http, CA with http).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdTlsTest
{
    private final String run = "jw" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private Path dir;
    private EtcdServer etcd;
    private TestCertificates certs;
    private String https;

    @BeforeAll
    void startEtcd() throws Exception
    {
        dir = Files.createTempDirectory(run);
        certs = TestCertificates.create(dir.resolve("pki"), "127.0.0.1");
        etcd = EtcdServer.start(run, dir, certs);
        https = etcd.endpoint();
    }

    @AfterAll
    void stopEtcd() throws Exception
    {
        if (etcd != null)
        {
            etcd.close();
        }
        if (dir != null)
        {
            TempDirs.deleteTree(dir);
        }
    }

    @Test
    void aHostWithTheCaAndAClientCertificateJoinsOverTls()
    {
        final EtcdTls tls = new EtcdTls(certs.ca(), certs.clientCert(), certs.clientKey());
        try (EtcdKv kvA = EtcdKv.connect(https, tls); EtcdKv kvB = EtcdKv.connect(https, tls);
             OverlayControl a = OverlayControl.start(kvA, new OverlayTunnels(null, null),
                 new OverlayControl.Settings("192.0.2.1", List.of(), 5));
             OverlayControl b = OverlayControl.start(kvB, new OverlayTunnels(null, null),
                 new OverlayControl.Settings("192.0.2.2", List.of(), 5)))
        {
            final OverlayNetwork net = a.define(new OverlayControl.Definition(run, "10.41.0.0/24", null, null, false,
                false), String.format("%064x", 7), List.of());
            final int address = b.allocate(net.id(), "bsb", Ipv4::dockerMac);
            assertEquals("10.41.0.2", Ipv4.format(address));
            final ClusterState seen = ClusterState.parse(kvA.range(ClusterKeys.ROOT));
            assertEquals(List.of("192.0.2.1", "192.0.2.2"), List.copyOf(seen.hosts().keySet()), "both joined");
            assertEquals("192.0.2.2", seen.endpoints(net.id()).get(0).host(), "A reads B's endpoint over TLS");
            b.release(net.id(), address);
            a.undefine(net.id());
        }
    }

    @Test
    void withoutTheCaTheConnectionIsRefusedAndSaysWhy()
    {
        final JvsException noCa = assertThrows(JvsException.class, () ->
            EtcdKv.connect(https, new EtcdTls(null, certs.clientCert(), certs.clientKey())).close());
        System.out.println("noCa: " + noCa.getMessage());
        assertTrue(noCa.getMessage().contains("not signed by a CA the JVM trusts: give --etcd-cacert"),
            noCa.getMessage());
        final JvsException otherCa = assertThrows(JvsException.class, () ->
            EtcdKv.connect(https, new EtcdTls(certs.otherCa(), certs.clientCert(), certs.clientKey())).close());
        System.out.println("otherCa: " + otherCa.getMessage());
        assertTrue(otherCa.getMessage().contains("not signed by the CA in " + certs.otherCa()), otherCa.getMessage());
    }

    @Test
    void withoutAClientCertificateTheConnectionIsRefusedAndSaysWhy()
    {
        final JvsException noCert = assertThrows(JvsException.class, () ->
            EtcdKv.connect(https, new EtcdTls(certs.ca(), null, null)).close());
        System.out.println("noCert: " + noCert.getMessage());
        assertTrue(noCert.getMessage().contains("give --etcd-cert and --etcd-key"), noCert.getMessage());
    }

    @Test
    void plainHttpToATlsEtcdFailsAndSaysWhy()
    {
        final String http = https.replace("https://", "http://");
        final JvsException plain = assertThrows(JvsException.class, () -> EtcdKv.connect(http, EtcdTls.NONE).close());
        System.out.println("plain: " + plain.getMessage());
        assertTrue(plain.getMessage().contains(http + " serves TLS: use https:// endpoints and --etcd-cacert"),
            plain.getMessage());
        final JvsException mixed = assertThrows(JvsException.class, () ->
            EtcdKv.connect(http, new EtcdTls(certs.ca(), null, null)));
        System.out.println("mixed: " + mixed.getMessage());
        assertTrue(mixed.getMessage().contains("need https:// etcd endpoints"), mixed.getMessage());
        assertThrows(JvsException.class, () -> new EtcdTls(certs.ca(), certs.clientCert(), null), "cert without key");
    }
}
