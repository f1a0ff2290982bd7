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
 * without a password off loopback.
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
}
