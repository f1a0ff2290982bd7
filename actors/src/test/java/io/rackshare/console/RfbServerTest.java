package io.rackshare.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.testkit.Tool;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import javax.imageio.ImageIO;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The station's RFB server with a real client, vncsnapshot (which speaks RFB 3.3): a frame of a
 * real shell's screen, with security None and with VNC authentication, and the refusal to serve
 * without a password off loopback; and what an attacker tries: guessing passwords, malformed
 * greetings, more connections than the cap.
 */
class RfbServerTest {

  static final ActorTestKit kit = ActorTestKit.create();
  static ActorRef<ConsoleDriver.Command> console;
  static ConsoleView view;

  @TempDir Path dir;

  @BeforeAll
  static void startConsole() {
    console = kit.spawn(ConsoleDriver.create(new ConsoleDriver.Settings(
        List.of("bash", "--norc", "--noprofile", "-i"), 80, 25, 1 << 16, Duration.ofMillis(200))));
    view = ConsoleView.of(kit.system(), console, "rfb-test-view");
    console.tell(new ConsoleDriver.Keys("clear; echo HELLO-$((40+2))\r".getBytes(StandardCharsets.UTF_8)));
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(50), () -> {
      ConsoleDriver.ScreenImage s = view.current();
      assertTrue(s != null && s.text().lines().anyMatch(l -> l.equals("HELLO-42")),
          String.valueOf(s == null ? null : s.text()));
      return null;
    });
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static int row(String text) {
    ConsoleDriver.ScreenImage s = view.current();
    for (int r = 0; r < s.rows(); r++) if (s.line(r).equals(text)) return r;
    throw new AssertionError("no row '" + text + "' in\n" + s.text());
  }

  /** Pixels of cell row {@code r}, columns [0, cols), brighter than mid-grey. */
  static int lit(BufferedImage img, ScreenRenderer font, int r, int cols) {
    int n = 0;
    for (int y = r * font.cellHeight(); y < (r + 1) * font.cellHeight(); y++) {
      for (int x = 0; x < cols * font.cellWidth(); x++) {
        int p = img.getRGB(x, y);
        if (((p >> 16) & 0xff) + ((p >> 8) & 0xff) + (p & 0xff) > 3 * 128) n++;
      }
    }
    return n;
  }

  BufferedImage snapshot(int port, String... extra) throws Exception {
    Path out = dir.resolve("frame-" + System.nanoTime() + ".jpg");
    String[] cmd = new String[extra.length + 5];
    cmd[0] = "vncsnapshot";
    System.arraycopy(extra, 0, cmd, 1, extra.length);
    cmd[extra.length + 1] = "-quiet";
    cmd[extra.length + 2] = "-allowblank";
    cmd[extra.length + 3] = "127.0.0.1::" + port;
    cmd[extra.length + 4] = out.toString();
    Tool.run(Duration.ofSeconds(30), cmd).ok();
    return ImageIO.read(out.toFile());
  }

  @Test
  void vncsnapshotCapturesTheShellsScreen() throws Exception {
    try (RfbServer rfb = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "", 14, "blade 1"), view)) {
      BufferedImage img = snapshot(rfb.address().getPort());
      ScreenRenderer font = new ScreenRenderer(14);
      assertEquals(font.width(80), img.getWidth());
      assertEquals(font.height(25), img.getHeight());
      int hello = row("HELLO-42");
      assertTrue(lit(img, font, hello, 8) > 40, "the text HELLO-42 is drawn in its row");
      assertEquals(0, lit(img, font, 23, 80), "an empty row stays dark");
    }
  }

  /** The same screen through Zlib and through Raw: vncsnapshot decodes the same frame from both. */
  @Test
  void zlibAndRawCarryTheSameFrame() throws Exception {
    try (RfbServer rfb = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "", 14, "blade 1"), view)) {
      int port = rfb.address().getPort();
      Path raw = dir.resolve("raw.jpg");
      Path zlib = dir.resolve("zlib.jpg");
      Tool.run(Duration.ofSeconds(30), "vncsnapshot", "-encodings", "raw", "-quiet", "-allowblank",
          "127.0.0.1::" + port, raw.toString()).ok();
      RfbServer.Stats afterRaw = rfb.stats();
      Tool.run(Duration.ofSeconds(30), "vncsnapshot", "-encodings", "zlib", "-quiet", "-allowblank",
          "127.0.0.1::" + port, zlib.toString()).ok();
      RfbServer.Stats afterZlib = rfb.stats();
      assertTrue(afterRaw.rawRects() >= 1 && afterRaw.zlibRects() == 0, afterRaw.toString());
      assertEquals(afterRaw.rawRects(), afterZlib.rawRects(), afterZlib.toString());
      assertTrue(afterZlib.zlibRects() >= 1, afterZlib.toString());
      long zlibWire = afterZlib.wireBytes() - afterRaw.wireBytes();
      assertTrue(zlibWire * 10 < afterRaw.wireBytes(), "a text screen compresses more than 10 times: " + zlibWire
          + " bytes vs " + afterRaw.wireBytes() + " raw");
      // Encoded by the same JPEG encoder from identical framebuffers, the files are identical.
      assertTrue(java.util.Arrays.equals(java.nio.file.Files.readAllBytes(raw), java.nio.file.Files.readAllBytes(zlib)),
          "the frame decoded from Zlib is the frame sent Raw");
    }
  }

  /** vncpasswd's file: the password DES-encrypted with VNC's fixed key (bit-reversed for the JDK). */
  static byte[] vncPasswdFile(String password) throws Exception {
    byte[] fixed = {23, 82, 107, 6, 35, 78, 88, 7};
    byte[] key = new byte[8];
    for (int i = 0; i < 8; i++) key[i] = (byte) (Integer.reverse(fixed[i] & 0xff) >>> 24);
    byte[] plain = java.util.Arrays.copyOf(password.getBytes(StandardCharsets.ISO_8859_1), 8);
    Cipher des = Cipher.getInstance("DES/ECB/NoPadding");
    des.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "DES"));
    return des.doFinal(plain);
  }

  @Test
  void vncAuthenticationLetsTheRightPasswordInOnly() throws Exception {
    try (RfbServer rfb = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "s3cret", 14, "blade 1"), view)) {
      Path good = Files.write(dir.resolve("good.passwd"), vncPasswdFile("s3cret"));
      Path bad = Files.write(dir.resolve("bad.passwd"), vncPasswdFile("wrong"));
      BufferedImage img = snapshot(rfb.address().getPort(), "-passwd", good.toString());
      assertTrue(lit(img, new ScreenRenderer(14), row("HELLO-42"), 8) > 40);
      Tool.Result refused = Tool.run(Duration.ofSeconds(30), "vncsnapshot", "-passwd", bad.toString(), "-quiet",
          "127.0.0.1::" + rfb.address().getPort(), dir.resolve("refused.jpg").toString());
      assertNotEquals(0, refused.exit(), "a wrong password is refused: " + refused.out());
      assertTrue(!Files.exists(dir.resolve("refused.jpg")));
    }
  }

  @Test
  void noUnauthenticatedConsoleOffLoopback() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RfbServer.start(new RfbServer.Settings("0.0.0.0", 0, "", 14, "x"), view));
    assertTrue(e.getMessage().contains("password"), e.getMessage());
  }

  /** Speaks RFB 3.8 up to the security result: null if let in, else the server's reason. */
  static String authenticate(int port, String password) throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(15_000);
      java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
      java.io.DataOutputStream out = new java.io.DataOutputStream(s.getOutputStream());
      in.readFully(new byte[12]);
      out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
      int types = in.readUnsignedByte();
      if (types == 0) {
        byte[] reason = new byte[in.readInt()];
        in.readFully(reason);
        return new String(reason, StandardCharsets.UTF_8);
      }
      byte[] offered = new byte[types];
      in.readFully(offered);
      assertEquals(2, offered[0], "VNC authentication is offered");
      out.writeByte(2);
      byte[] challenge = new byte[16];
      in.readFully(challenge);
      out.write(RfbServer.vncAuth(password, challenge));
      if (in.readInt() == 0) return null;
      byte[] reason = new byte[in.readInt()];
      in.readFully(reason);
      return new String(reason, StandardCharsets.UTF_8);
    }
  }

  @Test
  void aHostThatGuessesIsTurnedAwayForAMinute() throws Exception {
    try (RfbServer rfb = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "right-pw", 14, "blade 1"), view)) {
      int port = rfb.address().getPort();
      assertEquals(null, authenticate(port, "right-pw"));
      long started = System.nanoTime();
      for (int i = 0; i < RfbServer.MAX_FAILURES; i++) {
        assertEquals("authentication failed", authenticate(port, "guess-" + i));
      }
      assertTrue(System.nanoTime() - started >= RfbServer.MAX_FAILURES * 900_000_000L,
          "each wrong password waits about a second");
      // Now even the right password is not tried: the guesser cannot learn it from the answer.
      assertEquals("too many authentication failures; try again in a minute", authenticate(port, "right-pw"));
    }
  }

  @Test
  void aMalformedGreetingIsClosedWithoutAnUncaughtException() throws Exception {
    List<Throwable> uncaught = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(e));
    try (RfbServer rfb = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "", 14, "blade 1"), view)) {
      for (String greeting : List.of("RFB 003.abc\n", "RFB 003.-01\n", "GET / HTTP/1.\n", "RFB 00\u0000\u0000\u0000\u0000\u0000\n")) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", rfb.address().getPort())) {
          s.setSoTimeout(15_000);
          s.getInputStream().readNBytes(12);
          s.getOutputStream().write(greeting.getBytes(StandardCharsets.ISO_8859_1));
          assertEquals(-1, s.getInputStream().read(), "closed after " + greeting.trim());
        }
      }
      BufferedImage img = snapshot(rfb.address().getPort());
      assertTrue(lit(img, new ScreenRenderer(14), row("HELLO-42"), 8) > 40, "a real viewer is served after them");
    } finally {
      Thread.setDefaultUncaughtExceptionHandler(before);
    }
    assertEquals(List.of(), uncaught);
  }

  @Test
  void connectionsAreCappedAndAViewerGetsInOnceTheyGo() throws Exception {
    try (RfbServer rfb = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "", 14, "blade 1"), view)) {
      int port = rfb.address().getPort();
      List<java.net.Socket> idle = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < RfbServer.MAX_VIEWERS; i++) {
          java.net.Socket s = new java.net.Socket("127.0.0.1", port);
          s.setSoTimeout(15_000);
          assertEquals(12, s.getInputStream().readNBytes(12).length, "connection " + i + " is greeted");
          idle.add(s);
        }
        try (java.net.Socket extra = new java.net.Socket("127.0.0.1", port)) {
          extra.setSoTimeout(15_000);
          assertEquals(-1, extra.getInputStream().read(), "one more than the cap is closed at once");
        }
      } finally {
        for (java.net.Socket s : idle) s.close();
      }
      TestProbe<Object> probe = kit.createTestProbe();
      probe.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
        assertEquals(null, authenticateNone(port));
        return null;
      });
    }
  }

  /** Speaks RFB 3.8 with security None; null if let in. */
  static String authenticateNone(int port) {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(5_000);
      java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
      java.io.DataOutputStream out = new java.io.DataOutputStream(s.getOutputStream());
      in.readFully(new byte[12]);
      out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
      in.readFully(new byte[in.readUnsignedByte()]);
      out.writeByte(1);
      return in.readInt() == 0 ? null : "refused";
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
