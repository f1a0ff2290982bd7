package io.rackshare.nbd;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.pki.pem.DERPrivateKeyLoader;
import org.apache.pekko.pki.pem.PEMDecoder;

/**
 * TLS for NBD ({@code NBD_OPT_STARTTLS}, the JDK's TLS 1.3/1.2): the blade's certificate and key
 * ({@code tls.crt}, {@code tls.key}) and, to verify clients' certificates, the CA ({@code
 * ca.crt}), in the directory {@code rackshare certs} makes for a blade (or the operator's own
 * files under those names). Runs on the connection's reader thread, during the handshake.
 */
final class NbdTls {

  /** {@code rackshare.nbd.tls.mode}: off (STARTTLS refused), on (offered), require (nothing without it). */
  enum Mode { OFF, ON, REQUIRE }

  private final SSLContext context;
  private final boolean verifyClients;

  private NbdTls(SSLContext context, boolean verifyClients) {
    this.context = context;
    this.verifyClients = verifyClients;
  }

  static NbdTls load(Path dir, boolean verifyClients) {
    try {
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      Collection<? extends Certificate> chain = x509.generateCertificates(
          new ByteArrayInputStream(Files.readAllBytes(dir.resolve("tls.crt"))));
      PrivateKey key = DERPrivateKeyLoader.load(PEMDecoder.decode(
          Files.readString(dir.resolve("tls.key"), StandardCharsets.US_ASCII)));
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("blade", key, new char[0], chain.toArray(Certificate[]::new));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      int i = 0;
      for (Certificate ca : x509.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("ca.crt"))))) {
        trust.setCertificateEntry("ca-" + i++, ca);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return new NbdTls(context, verifyClients);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("rackshare.nbd.tls: cannot load tls.crt, tls.key and ca.crt from " + dir + ": "
          + e.getMessage(), e);
    }
  }

  /** The server's side of TLS over an open connection; returns once the TLS handshake is done. */
  SSLSocket accept(java.net.Socket plain) throws IOException {
    SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, null, true);
    s.setUseClientMode(false);
    s.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
    if (verifyClients) s.setNeedClientAuth(true);
    s.startHandshake();
    return s;
  }
}
