package io.jvs.control.testing;

import io.jvs.control.netns.Command;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A throwaway CA and certificates made with openssl (RSA 2048, one day, PKCS#8 PEM keys): for etcd's server side
 * ({@code server.pem}/{@code server.key}, with the given IP SANs) and a client ({@code client.pem}/{@code client.key}),
 * all signed by {@code ca.pem}, plus an unrelated CA ({@code other-ca.pem}) for the "wrong CA" case.
 */
public final class TestCertificates
{
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;

    private TestCertificates(final Path dir)
    {
        this.dir = dir;
    }

    /** @param serverIps the addresses etcd listens on (its certificate's subjectAltName). */
    public static TestCertificates create(final Path dir, final String... serverIps) throws Exception
    {
        Files.createDirectories(dir);
        final TestCertificates certs = new TestCertificates(dir);
        certs.selfSigned("ca", "jvs-test-ca");
        certs.selfSigned("other-ca", "jvs-test-other-ca");
        final StringBuilder san = new StringBuilder("subjectAltName=");
        for (int i = 0; i < serverIps.length; i++)
        {
            san.append(i == 0 ? "" : ",").append("IP:").append(serverIps[i]);
        }
        certs.signed("server", "etcd", san + "\nextendedKeyUsage=serverAuth,clientAuth\n");
        certs.signed("client", "jvs-host", "extendedKeyUsage=clientAuth\n");
        return certs;
    }

    public Path ca()
    {
        return dir.resolve("ca.pem");
    }

    public Path otherCa()
    {
        return dir.resolve("other-ca.pem");
    }

    public Path serverCert()
    {
        return dir.resolve("server.pem");
    }

    public Path serverKey()
    {
        return dir.resolve("server.key");
    }

    public Path clientCert()
    {
        return dir.resolve("client.pem");
    }

    public Path clientKey()
    {
        return dir.resolve("client.key");
    }

    private void selfSigned(final String name, final String cn)
    {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=" + cn,
            "-keyout", dir.resolve(name + ".key").toString(), "-out", dir.resolve(name + ".pem").toString());
    }

    private void signed(final String name, final String cn, final String extensions) throws Exception
    {
        final Path ext = dir.resolve(name + ".ext");
        Files.writeString(ext, extensions);
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + cn,
            "-keyout", dir.resolve(name + ".key").toString(), "-out", dir.resolve(name + ".csr").toString());
        openssl("x509", "-req", "-in", dir.resolve(name + ".csr").toString(), "-CA", ca().toString(),
            "-CAkey", dir.resolve("ca.key").toString(), "-CAcreateserial", "-days", "1", "-extfile", ext.toString(),
            "-out", dir.resolve(name + ".pem").toString());
    }

    private static void openssl(final String... args)
    {
        final String[] argv = new String[args.length + 1];
        argv[0] = "openssl";
        System.arraycopy(args, 0, argv, 1, args.length);
        final Command.Result result = Command.exec(TIMEOUT, argv);
        if (!result.ok())
        {
            throw Command.failure(argv, result);
        }
    }
}
