package io.jvs.control.overlay;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Says why a TLS connection to etcd fails. gRPC retries a failed handshake as "unavailable" until the call times
 * out, which hides the reason; so before its first call {@link EtcdKv} shakes hands once itself with the same files
 * (JDK TLS, host name checked as gRPC does) and reports what the handshake, or etcd's first alert, said. An endpoint
 * that cannot be reached at all is not a TLS problem: the gRPC call reports it.
 */
final class EtcdTlsProbe
{
    private static final int TIMEOUT_MILLIS = 2000;

    private EtcdTlsProbe()
    {
    }

    /** @return why the handshake with {@code endpoint} fails, or null if it succeeds or nothing answers. */
    static String diagnose(final URI endpoint, final EtcdTls tls)
    {
        final SSLContext context;
        try
        {
            context = context(tls);
        }
        catch (final IOException | GeneralSecurityException | RuntimeException ex)
        {
            return "cannot use the TLS files " + tls + ": " + ex.getMessage();
        }
        try (SSLSocket socket = (SSLSocket)context.getSocketFactory().createSocket())
        {
            try
            {
                socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), TIMEOUT_MILLIS);
            }
            catch (final IOException unreachable)
            {
                return null;
            }
            socket.setSoTimeout(TIMEOUT_MILLIS);
            final SSLParameters params = socket.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            params.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(params);
            socket.startHandshake();
            // TLS 1.3: a server that wanted a client certificate says so after the handshake, in its first alert.
            socket.getInputStream().read();
            return null;
        }
        catch (final SocketTimeoutException ex)
        {
            return null; // handshake done, etcd waits for HTTP/2: TLS is fine
        }
        catch (final IOException ex)
        {
            final String message = String.valueOf(ex.getMessage());
            if (message.contains("PKIX") || message.contains("certification path"))
            {
                return "TLS: etcd's certificate is not signed by " + (tls.caCert() == null ?
                    "a CA the JVM trusts: give --etcd-cacert" : "the CA in " + tls.caCert());
            }
            if (message.contains("certificate_required") || message.contains("bad_certificate"))
            {
                return tls.cert() == null ? "TLS: etcd requires a client certificate: give --etcd-cert and --etcd-key" :
                    "TLS: etcd refused the client certificate " + tls.cert() + " (" + message + ")";
            }
            if (message.contains("subject alternative name") || message.contains("No name matching"))
            {
                return "TLS: etcd's certificate does not name " + endpoint.getHost() + " (" + message + ")";
            }
            return "TLS handshake with " + endpoint + " failed: " + message;
        }
    }

    /**
     * Whether a server behind an {@code http://} URL speaks TLS (etcd answers plain HTTP/2 on a TLS port by closing
     * the connection, which gRPC retries until the call times out): starts a TLS handshake and sees whether a
     * certificate comes back. The certificate is never trusted: the handshake is aborted as soon as it arrives.
     * False when nothing answers or it answers otherwise.
     */
    static boolean servesTls(final URI endpoint)
    {
        final boolean[] presented = new boolean[1];
        final X509TrustManager recorder = new X509TrustManager()
        {
            public void checkClientTrusted(final X509Certificate[] chain, final String authType)
                throws CertificateException
            {
                throw new CertificateException("client side only");
            }

            public void checkServerTrusted(final X509Certificate[] chain, final String authType)
                throws CertificateException
            {
                presented[0] = chain.length > 0;
                throw new CertificateException("probe only: not trusted");
            }

            public X509Certificate[] getAcceptedIssuers()
            {
                return new X509Certificate[0];
            }
        };
        try
        {
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {recorder}, null);
            try (SSLSocket socket = (SSLSocket)context.getSocketFactory().createSocket())
            {
                socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), TIMEOUT_MILLIS);
                socket.setSoTimeout(TIMEOUT_MILLIS);
                socket.startHandshake();
            }
        }
        catch (final IOException | GeneralSecurityException ex)
        {
            // expected: the recorder refuses whatever came back
        }
        return presented[0];
    }

    private static SSLContext context(final EtcdTls tls) throws IOException, GeneralSecurityException
    {
        TrustManagerFactory trust = null;
        if (tls.caCert() != null)
        {
            final KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (final Certificate ca : certificates(tls.caCert()))
            {
                store.setCertificateEntry("ca" + i++, ca);
            }
            trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
        }
        KeyManagerFactory keys = null;
        if (tls.cert() != null)
        {
            final KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setKeyEntry("client", privateKey(tls.key()), new char[0],
                certificates(tls.cert()).toArray(new Certificate[0]));
            keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, new char[0]);
        }
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
        return context;
    }

    private static Collection<? extends Certificate> certificates(final Path pem) throws IOException,
        GeneralSecurityException
    {
        try (InputStream in = Files.newInputStream(pem))
        {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
    }

    /** A PEM "PRIVATE KEY" (PKCS#8, as netty needs it too), RSA or EC. */
    private static PrivateKey privateKey(final Path pem) throws IOException, GeneralSecurityException
    {
        final String text = Files.readString(pem);
        final int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        final int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin)
        {
            throw new GeneralSecurityException(pem + " is not a PEM PKCS#8 private key (BEGIN PRIVATE KEY)");
        }
        final byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        final PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        try
        {
            return KeyFactory.getInstance("RSA").generatePrivate(spec);
        }
        catch (final GeneralSecurityException notRsa)
        {
            return KeyFactory.getInstance("EC").generatePrivate(spec);
        }
    }
}
