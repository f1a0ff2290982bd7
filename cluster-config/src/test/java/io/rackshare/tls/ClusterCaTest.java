package io.rackshare.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterCaTest {

  @TempDir Path dir;

  @Test
  void issuesCertificatesSignedByTheCaWithTheClusterNameAndTheBladesAddresses() throws Exception {
    ClusterCa ca = ClusterCa.create(dir.resolve("ca"), "rack-a");
    Path out = ca.issue("blade1", List.of("127.0.0.1", "blade1.example"), dir.resolve("ca/blade1"));

    X509Certificate cert = ClusterCa.readCertificate(out.resolve(ClusterCa.CERT));
    cert.verify(ClusterCa.readCertificate(out.resolve(ClusterCa.CA_CERT)).getPublicKey());
    assertEquals("rack-a", ClusterCa.commonName(cert));
    Set<String> sans = cert.getSubjectAlternativeNames().stream().map(l -> l.get(1).toString()).collect(Collectors.toSet());
    assertEquals(Set.of("rack-a", "127.0.0.1", "blade1.example"), sans);
    assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), cert.getExtendedKeyUsage(), "server and client");
    assertEquals(-1, cert.getBasicConstraints(), "not a CA");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(ClusterCa.KEY))));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca/ca.key"))));
    // The key read back is the certificate's.
    assertEquals(((java.security.interfaces.RSAPublicKey) cert.getPublicKey()).getModulus(),
        ((java.security.interfaces.RSAPrivateCrtKey) ClusterCa.readPrivateKey(out.resolve(ClusterCa.KEY))).getModulus());
  }

  @Test
  void aCaIsNeverReplacedByAccidentAndLoadsBack() throws Exception {
    ClusterCa ca = ClusterCa.create(dir, "rackshare");
    assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> ClusterCa.create(dir, "rackshare"));
    ClusterCa again = ClusterCa.loadOrCreate(dir, "rackshare");
    assertEquals(ca.certificate(), again.certificate());
    java.io.IOException other = assertThrows(java.io.IOException.class, () -> ClusterCa.loadOrCreate(dir, "other"));
    assertTrue(other.getMessage().contains("'rackshare', not 'other'"), other.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ClusterCa.create(dir.resolve("x"), "bad name/"));
  }

  @Test
  void bladesOfOneCaShakeHandsMutuallyAndACertificateOfAnotherCaIsRefused() throws Exception {
    ClusterCa ca = ClusterCa.create(dir.resolve("ca"), "rackshare");
    SSLContext one = context(ca.issue("one", List.of("127.0.0.1"), dir.resolve("one")));
    SSLContext two = context(ca.issue("two", List.of("127.0.0.1"), dir.resolve("two")));
    ClusterCa rogue = ClusterCa.create(dir.resolve("rogue-ca"), "rackshare");
    SSLContext outsider = context(rogue.issue("three", List.of("127.0.0.1"), dir.resolve("three")));

    assertEquals("hello", handshake(one, two));
    // An outsider that does not trust the cluster's CA refuses the blade...
    assertThrows(javax.net.ssl.SSLException.class, () -> handshake(one, outsider));
    // ... and one that trusts it, but shows a certificate of its own CA, is refused by the blade.
    SSLContext impostor = context(dir.resolve("three"), dir.resolve("one"));
    assertThrows(javax.net.ssl.SSLException.class, () -> handshake(one, impostor));
  }

  /** The server needs a client certificate; returns what the client sent, once both verified. */
  static String handshake(SSLContext server, SSLContext client) throws Exception {
    try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0)) {
      ss.setNeedClientAuth(true);
      var accepted = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try (SSLSocket s = (SSLSocket) ss.accept()) {
          s.setSoTimeout(10_000);
          return new String(s.getInputStream().readNBytes(5));
        } catch (java.io.IOException e) {
          return "server: " + e;
        }
      });
      try (SSLSocket c = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", ss.getLocalPort())) {
        c.setSoTimeout(10_000);
        c.startHandshake();
        c.getOutputStream().write("hello".getBytes());
        c.getOutputStream().flush();
        // The server's verdict on the client's certificate arrives after the client's handshake.
        c.getInputStream().read();
      } catch (java.net.SocketException e) {
        throw new javax.net.ssl.SSLException(e);
      }
      return accepted.get(20, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  static SSLContext context(Path blade) throws Exception {
    return context(blade, blade);
  }

  /** The key and certificate of {@code blade}, trusting the CA of {@code trusting}. */
  static SSLContext context(Path blade, Path trusting) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("blade", ClusterCa.readPrivateKey(blade.resolve(ClusterCa.KEY)), new char[0],
        new java.security.cert.Certificate[] {ClusterCa.readCertificate(blade.resolve(ClusterCa.CERT))});
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ClusterCa.readCertificate(trusting.resolve(ClusterCa.CA_CERT)));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, new char[0]);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext c = SSLContext.getInstance("TLSv1.3");
    c.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return c;
  }
}
