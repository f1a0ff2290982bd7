package io.rackshare.smm;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.rackshare.io.TlsContexts;
import java.net.InetSocketAddress;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * The data lane's TLS engines: mutual TLS 1.3 with the blade's certificate, trusting the
 * cluster's CA, the client checking that the target's certificate names the address it connected
 * to. BoringSSL (netty-tcnative) where its native library loads, else the JDK's: measured on the
 * lane's own frames (bench/lane-transport.sh), BoringSSL carries 1.3-1.9x the JDK's throughput.
 * {@code -Drackshare.lane.tls-provider=jdk} forces the JDK's. Engines are made per connection from
 * the material as it is then (a rotated certificate is used from the next connection on).
 * Thread-safe.
 */
final class LaneTls {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LaneTls.class);
  private static final String[] PROTOCOLS = {"TLSv1.3"};
  /** The JDK's TLS 1.3 suites with AES-128-GCM first, as BoringSSL orders them (the JDK puts AES-256 first). */
  private static final String[] JDK_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256"};

  private final Supplier<TlsContexts.Material> material;
  private final boolean boringSsl;
  private TlsContexts.Material built;
  private SslContext server;
  private SslContext client;

  LaneTls(Supplier<TlsContexts.Material> material) {
    this.material = material;
    String provider = System.getProperty("rackshare.lane.tls-provider", "auto");
    boolean jdk = switch (provider) {
      case "jdk" -> true;
      case "boringssl", "auto" -> false;
      default -> throw new IllegalArgumentException("rackshare.lane.tls-provider: auto, boringssl or jdk, not " + provider);
    };
    if (!jdk && !OpenSsl.isAvailable()) {
      if (provider.equals("boringssl")) {
        throw new IllegalStateException("rackshare.lane.tls-provider=boringssl, but netty-tcnative does not load: "
            + OpenSsl.unavailabilityCause());
      }
      log.info("data lane TLS: the JDK's (BoringSSL does not load here: {})", String.valueOf(OpenSsl.unavailabilityCause()));
      jdk = true;
    }
    this.boringSsl = !jdk;
  }

  /** "BoringSSL" or "JDK". */
  String provider() {
    return boringSsl ? "BoringSSL" : "JDK";
  }

  /** An engine for a connection to {@code target}, showing this blade's certificate. */
  synchronized SSLEngine client(InetSocketAddress target) throws SSLException {
    TlsContexts.Material m = material.get();
    if (boringSsl) return contexts(m)[1].newEngine(ByteBufAllocator.DEFAULT, target.getHostString(), target.getPort());
    SSLEngine e = m.context().createSSLEngine(target.getHostString(), target.getPort());
    e.setUseClientMode(true);
    SSLParameters p = e.getSSLParameters();
    p.setProtocols(PROTOCOLS);
    p.setCipherSuites(JDK_SUITES);
    // The target must show a certificate for the address connected to (its SANs): another
    // blade's certificate of the same CA cannot stand in the middle.
    p.setEndpointIdentificationAlgorithm("HTTPS");
    e.setSSLParameters(p);
    return e;
  }

  /** An engine for an accepted connection: the client must show a certificate of the cluster's CA. */
  synchronized SSLEngine server() throws SSLException {
    TlsContexts.Material m = material.get();
    if (boringSsl) return contexts(m)[0].newEngine(ByteBufAllocator.DEFAULT);
    SSLEngine e = m.context().createSSLEngine();
    e.setUseClientMode(false);
    SSLParameters p = e.getSSLParameters();
    p.setProtocols(PROTOCOLS);
    p.setCipherSuites(JDK_SUITES);
    p.setNeedClientAuth(true);
    e.setSSLParameters(p);
    return e;
  }

  /** BoringSSL's server and client contexts for {@code m}, made again when the material changed. */
  private SslContext[] contexts(TlsContexts.Material m) throws SSLException {
    if (m != built) {
      server = SslContextBuilder.forServer(m.keys()).trustManager(m.trust()).clientAuth(ClientAuth.REQUIRE)
          .protocols(PROTOCOLS).sslProvider(SslProvider.OPENSSL).build();
      client = SslContextBuilder.forClient().keyManager(m.keys()).trustManager(m.trust()).protocols(PROTOCOLS)
          .sslProvider(SslProvider.OPENSSL).endpointIdentificationAlgorithm("HTTPS").build();
      built = m;
    }
    return new SslContext[] {server, client};
  }
}
