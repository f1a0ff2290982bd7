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

  /** A raw WebSocket client: masked binary frames out; the server's frames in, as a byte stream. */
  static final class WsViewer {
    final java.io.DataInputStream in;
    final OutputStream out;
    final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
    int pings;

    WsViewer(Socket s) throws Exception {
      in = new java.io.DataInputStream(s.getInputStream());
      out = s.getOutputStream();
      out.write(("GET /websockify HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      StringBuilder head = new StringBuilder();
      while (head.indexOf("\r\n\r\n") < 0) head.append((char) in.readUnsignedByte());
      assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
    }

    /** Reads one frame; returns its opcode (binary payloads are kept for {@link #read}). */
    int frame() throws Exception {
      int opcode = in.readUnsignedByte() & 0x0f;
      int length = in.readUnsignedByte() & 0x7f;
      if (length == 126) length = in.readUnsignedShort();
      else if (length == 127) length = (int) in.readLong();
      byte[] payload = in.readNBytes(length);
      if (opcode == 0x9) pings++;
      if (opcode == 0x2 || opcode == 0x0) pending.write(payload);
      return opcode;
    }

    /** The next {@code n} bytes of RFB from the server. */
    byte[] read(int n) throws Exception {
      while (pending.size() < n) frame();
      byte[] all = pending.toByteArray();
      pending.reset();
      pending.write(all, n, all.length - n);
      return java.util.Arrays.copyOf(all, n);
    }

    void send(byte[] bytes) throws Exception {
      byte[] mask = {1, 2, 3, 4};
      java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
      f.write(0x82);
      f.write(0x80 | bytes.length); // short messages only
      f.write(mask);
      for (int i = 0; i < bytes.length; i++) f.write(bytes[i] ^ mask[i % 4]);
      out.write(f.toByteArray());
      out.flush();
    }
  }

  /**
   * A viewer whose screen does not change sends and gets nothing for as long as it watches: the
   * station pings it, so the idle time-out that closes held HTTP connections never closes it.
   */
  @Test
  void aQuietViewerIsPingedAndAHeldConnectionIsClosed() throws Exception {
    try (Socket held = new Socket("127.0.0.1", port); Socket viewer = new Socket("127.0.0.1", port)) {
      long start = System.nanoTime();
      held.setSoTimeout((int) StationWeb.IDLE_TIMEOUT.plusSeconds(10).toMillis());
      viewer.setSoTimeout((int) StationWeb.KEEP_ALIVE.plusSeconds(10).toMillis());
      WsViewer v = new WsViewer(viewer);
      // RFB through the bridge: version, VNC authentication, ClientInit, ServerInit.
      assertEquals("RFB 003.008\n", new String(v.read(12), StandardCharsets.US_ASCII));
      v.send("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
      assertEquals(2, v.read(2)[1], "VNC authentication offered");
      v.send(new byte[] {2});
      v.send(RfbServer.vncAuth("web-pw", v.read(16)));
      assertEquals(0, java.nio.ByteBuffer.wrap(v.read(4)).getInt(), "authenticated");
      v.send(new byte[] {1});
      byte[] init = v.read(24);
      v.read(java.nio.ByteBuffer.wrap(init, 20, 4).getInt()); // the desktop's name
      // Then nothing but pings.
      int pings = v.pings;
      long quiet = System.nanoTime();
      while (v.pings == pings) assertEquals(0x9, v.frame(), "only pings come to a quiet viewer");
      Duration pinged = Duration.ofNanos(System.nanoTime() - quiet);
      assertTrue(pinged.compareTo(StationWeb.KEEP_ALIVE.plusSeconds(5)) < 0, "pinged after " + pinged);
      // The held connection (no request at all) is closed by the idle time-out (closed or reset).
      int got;
      try {
        got = held.getInputStream().read();
      } catch (java.net.SocketException reset) {
        got = -1;
      }
      assertEquals(-1, got, "the server closed the held connection");
      Duration closed = Duration.ofNanos(System.nanoTime() - start);
      assertTrue(closed.compareTo(StationWeb.IDLE_TIMEOUT.minusSeconds(1)) > 0
          && closed.compareTo(StationWeb.IDLE_TIMEOUT.plusSeconds(5)) < 0, "closed after " + closed);
      // The viewer, as quiet, outlived it: it is pinged again.
      assertEquals(0x9, v.frame(), "another ping to the viewer, past the idle time-out");
    }
  }
}
