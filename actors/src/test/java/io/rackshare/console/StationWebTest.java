package io.rackshare.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The station's web face against what a web page elsewhere would try, with raw HTTP requests
 * (the browser's side of the same attack is in StationBrowserTest): a WebSocket from another
 * origin is refused, a name that is not the station's (DNS rebinding) is refused, the viewer's own
 * origin and non-browser clients get RFB; noVNC comes from the jar; the page cannot be framed.
 */
class StationWebTest {

  static final ActorTestKit kit = ActorTestKit.create();
  static RfbServer rfb;
  static ServerBinding web;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    ActorRef<ConsoleDriver.Command> console = kit.spawn(ConsoleDriver.create(new ConsoleDriver.Settings(
        List.of("bash", "--norc", "--noprofile", "-i"), 80, 25, 1 << 16, Duration.ofMillis(200))));
    ConsoleView view = ConsoleView.of(kit.system(), console, "web-test-view");
    rfb = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "web-pw", 14, "blade 1"), view);
    web = StationWeb.start(kit.system(), "127.0.0.1", 0, rfb.address(), null, "/novnc/core/rfb.js",
        List.of("station.example")).toCompletableFuture().get(30, TimeUnit.SECONDS);
    port = web.localAddress().getPort();
  }

  @AfterAll
  static void stop() {
    rfb.close();
    kit.shutdownTestKit();
  }

  /** Sends {@code request} and returns what came back within a short while (status line first). */
  static String exchange(String request, int atLeast) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder got = new StringBuilder();
      byte[] buf = new byte[8192];
      while (got.length() < atLeast) {
        int n;
        try {
          n = in.read(buf);
        } catch (java.net.SocketTimeoutException e) {
          break;
        }
        if (n < 0) break;
        got.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        if (got.indexOf("RFB 003.008") >= 0) break;
        if (got.indexOf("\r\n\r\n") >= 0 && !got.toString().startsWith("HTTP/1.1 101")) {
          // a plain answer: read its body too, which is short
          if (got.indexOf("\r\n\r\n") + 4 < got.length() || got.indexOf("Content-Length: 0") >= 0) break;
        }
      }
      return got.toString();
    }
  }

  static String upgrade(String host, String origin) throws Exception {
    return exchange("GET /websockify HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n", 1 << 20);
  }

  static String status(String response) {
    return response.isEmpty() ? "(nothing)" : response.substring(0, response.indexOf("\r\n"));
  }

  /** The station's RFB greeting arrives in the first WebSocket frame after the 101. */
  static boolean rfbGreeting(String response) {
    return response.startsWith("HTTP/1.1 101") && response.contains("RFB 003.008");
  }

  @Test
  void theViewersOwnOriginGetsRfb() throws Exception {
    String r = upgrade("127.0.0.1:" + port, "http://127.0.0.1:" + port);
    assertTrue(rfbGreeting(r), status(r));
  }

  @Test
  void aClientWithoutOriginIsNoBrowserAndGetsRfb() throws Exception {
    String r = upgrade("127.0.0.1:" + port, null);
    assertTrue(rfbGreeting(r), status(r));
  }

  @Test
  void anotherOriginIsRefused() throws Exception {
    for (String origin : List.of("http://evil.example", "http://127.0.0.1:" + (port + 1), "null",
        "https://127.0.0.1:" + port + ".evil.example", "http://127.0.0.1:" + port + "/x", "file://", "%zz")) {
      String r = upgrade("127.0.0.1:" + port, origin);
      assertEquals("HTTP/1.1 403 Forbidden", status(r), origin);
      assertFalse(r.contains("RFB"), origin);
    }
  }

  @Test
  void aNameThatIsNotTheStationsIsRefusedEvenFromItsOwnOrigin() throws Exception {
    // DNS rebinding: evil.example resolves to 127.0.0.1 for the attacker's page, whose origin then
    // matches the Host it sends.
    String r = upgrade("evil.example:" + port, "http://evil.example:" + port);
    assertEquals("HTTP/1.1 421 Misdirected Request", status(r));
    String page = exchange("GET / HTTP/1.1\r\nHost: evil.example:" + port + "\r\n\r\n", 1 << 16);
    assertEquals("HTTP/1.1 421 Misdirected Request", status(page));
    // A name the operator listed, and localhost, are served.
    assertTrue(rfbGreeting(upgrade("station.example:" + port, "http://station.example:" + port)));
    assertTrue(rfbGreeting(upgrade("localhost:" + port, "http://localhost:" + port)));
  }

  @Test
  void noVncComesFromTheJarAndThePageCannotBeFramed() throws Exception {
    String page = exchange("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n", 1 << 20);
    assertEquals("HTTP/1.1 200 OK", status(page));
    assertTrue(page.contains("import RFB from '/novnc/core/rfb.js'"), "the page loads noVNC from the station");
    assertFalse(page.contains("cdn") || page.contains("https://"), "no third-party address in the page");
    assertTrue(page.contains("X-Frame-Options: DENY") && page.contains("frame-ancestors 'none'"), page);
    String js = exchange("GET /novnc/core/rfb.js HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n",
        1 << 22);
    assertEquals("HTTP/1.1 200 OK", status(js));
    assertTrue(js.contains("export default class RFB"), "noVNC's RFB module");
  }
}
