package io.jvs.control.overlay;

import io.jvs.control.common.JvsException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TLS towards etcd (client side): the CA that signed etcd's server certificate and, for etcd's
 * {@code --client-cert-auth}, this host's certificate and PKCS#8 private key, all PEM files.
 *
 * @param caCert PEM CA certificate(s) to trust; null: the JVM's default trust store.
 * @param cert   PEM client certificate (chain); null: no client certificate.
 * @param key    PEM PKCS#8 private key of {@code cert}; null exactly when {@code cert} is.
 */
public record EtcdTls(Path caCert, Path cert, Path key)
{
    public static final EtcdTls NONE = new EtcdTls(null, null, null);

    public EtcdTls
    {
        if ((cert == null) != (key == null))
        {
            throw JvsException.invalid("--etcd-cert and --etcd-key go together");
        }
        for (final Path file : new Path[] {caCert, cert, key})
        {
            if (file != null && !Files.isReadable(file))
            {
                throw JvsException.invalid("cannot read " + file);
            }
        }
    }

    /** Whether any TLS file was given (then the endpoints must be https://). */
    public boolean configured()
    {
        return caCert != null || cert != null;
    }
}
