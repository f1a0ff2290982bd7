package io.rackshare.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.rackshare.io.TlsContexts;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A blade's certificate issued again (rotation) is what its NBD, data lane and HTTPS listeners
 * show to new connections, without a restart; a half-written file keeps the last good one.
 */
class TlsRotationTest {

  @TempDir Path dir;

  /** The serial of the certificate a server with {@code server}'s context shows a client. */
  static BigInteger shown(SSLContext server, Path ca) throws Exception {
    try (SSLServerSocket s = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0)) {
      CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
        try (SSLSocket c = (SSLSocket) s.accept()) {
          c.startHandshake();
          c.getInputStream().read();
        } catch (Exception ignored) {
          // the client has seen what it came for
        }
      });
      try (SSLSocket c = (SSLSocket) TlsContexts.trustingOnly(ca).getSocketFactory()
          .createSocket("127.0.0.1", s.getLocalPort())) {
        c.startHandshake();
        return ((java.security.cert.X509Certificate) c.getSession().getPeerCertificates()[0]).getSerialNumber();
      } finally {
        accepted.join();
      }
    }
  }

  static BigInteger serial(Path blade) throws Exception {
    return ClusterCa.readCertificate(blade.resolve(ClusterCa.CERT)).getSerialNumber();
  }

  static void touch(Path blade, Instant when) throws Exception {
    for (String f : List.of(ClusterCa.CERT, ClusterCa.KEY, ClusterCa.CA_CERT)) {
      Files.setLastModifiedTime(blade.resolve(f), FileTime.from(when));
    }
  }

  @Test
  void aCertificateIssuedAgainIsShownToNewConnections() throws Exception {
    ClusterCa ca = ClusterCa.create(dir.resolve("ca"), "rackshare");
    Path blade = ca.issue("blade1", List.of("127.0.0.1"), dir.resolve("blade1"));
    touch(blade, Instant.now().minusSeconds(60));
    TlsContexts.Reloading tls = TlsContexts.reloading(blade, "test", Duration.ZERO);
    BigInteger first = serial(blade);
    assertEquals(first, shown(tls.get(), blade.resolve(ClusterCa.CA_CERT)));

    ca.issue("blade1", List.of("127.0.0.1"), blade);
    BigInteger second = serial(blade);
    assertNotEquals(first, second);
    assertEquals(second, shown(tls.get(), blade.resolve(ClusterCa.CA_CERT)), "the new certificate, no restart");

    // A certificate file cut short (a copy under way): the last good context stays.
    String whole = Files.readString(blade.resolve(ClusterCa.CERT));
    Files.writeString(blade.resolve(ClusterCa.CERT), "-----BEGIN CERTIFICATE-----\nMIIB\n");
    touch(blade, Instant.now().plusSeconds(60));
    assertEquals(second, shown(tls.get(), blade.resolve(ClusterCa.CA_CERT)));

    // A rotation caught between its writes: the new key beside the old certificate. The pair does
    // not match, so the last good context stays; once the certificate follows, it is used.
    Files.writeString(blade.resolve(ClusterCa.CERT), whole);
    Path next = ca.issue("blade1", List.of("127.0.0.1"), dir.resolve("next"));
    Files.copy(next.resolve(ClusterCa.KEY), blade.resolve(ClusterCa.KEY), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    touch(blade, Instant.now().plusSeconds(120));
    assertEquals(second, shown(tls.get(), blade.resolve(ClusterCa.CA_CERT)), "a key without its certificate is not used");
    Files.copy(next.resolve(ClusterCa.CERT), blade.resolve(ClusterCa.CERT), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertEquals(serial(next), shown(tls.get(), blade.resolve(ClusterCa.CA_CERT)),
        "read again at the next look, though its time may be the one of the failed look");
  }
}
