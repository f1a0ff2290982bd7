package io.rackshare.console;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.io.TlsContexts;
import io.rackshare.tls.ClusterCa;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The station's web face over HTTPS with the blade's certificate (where it listens beyond
 * loopback): a client that trusts the cluster's CA gets the viewer page and, over {@code wss://},
 * the station's RFB greeting; plain HTTP gets nothing.
 */
class StationHttpsTest {

  @TempDir static Path dir;
  static ActorSystem<Void> system;
  static RfbServer rfb;
  static ServerBinding web;
  static Path ca;

  @BeforeAll
  static void start() throws Exception {
    ClusterCa cluster = ClusterCa.create(dir.resolve("ca"), "rackshare");
    Path blade = cluster.issue("blade1", List.of("127.0.0.1"), dir.resolve("blade1"));
    ca = blade.resolve(ClusterCa.CA_CERT);
    system = ActorSystem.create(Behaviors.empty(), "station-https-test");
    rfb = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "web-pw", 14, "blade 1"), new ConsoleView(b -> { }));
    web = StationWeb.start(system, "127.0.0.1", 0, rfb.address(), null, "/novnc/core/rfb.js", List.of(),
        TlsContexts.reloading(blade, "test", java.time.Duration.ofSeconds(10))).toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    rfb.close();
    system.terminate();
  }

  static String exchange(String request, String until) throws Exception {
    try (SSLSocket s = (SSLSocket) TlsContexts.trustingOnly(ca).getSocketFactory()
        .createSocket("127.0.0.1", web.localAddress().getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      StringBuilder got = new StringBuilder();
      byte[] buf = new byte[8192];
      for (int n; got.indexOf(until) < 0 && (n = in.read(buf)) >= 0; ) {
        got.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
      }
      return got.toString();
    }
  }

  @Test
  void theViewerAndItsWebSocketComeOverTls() throws Exception {
    String host = "127.0.0.1:" + web.localAddress().getPort();
    String page = exchange("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n", "</html>");
    assertTrue(page.startsWith("HTTP/1.1 200 OK"), page);
    String ws = exchange("GET /websockify HTTP/1.1\r\nHost: " + host + "\r\nOrigin: https://" + host
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 13\r\n\r\n", "RFB 003.008");
    assertTrue(ws.startsWith("HTTP/1.1 101") && ws.contains("RFB 003.008"), ws);
  }

  @Test
  void plainHttpGetsNoPage() throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", web.localAddress().getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      byte[] got;
      try {
        got = s.getInputStream().readNBytes(64);
      } catch (java.net.SocketException reset) {
        got = new byte[0];
      }
      assertTrue(!new String(got, StandardCharsets.ISO_8859_1).contains("HTTP/1.1 200"), "no page over plain HTTP");
    }
  }
}
