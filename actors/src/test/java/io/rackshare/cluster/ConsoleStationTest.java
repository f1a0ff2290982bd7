package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.console.ConsoleStation;
import io.rackshare.console.ConsoleView;
import io.rackshare.map.BladeId;
import io.rackshare.testkit.TestBlades;
import io.rackshare.testkit.Tool;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import javax.imageio.ImageIO;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One station for every blade's console, over the OOB channel: blade 1 hosts the station, which
 * shows blade 3's shell; keys typed at the station run there; vncsnapshot sees the same screen;
 * switching to blade 2 shows blade 2's shell; when blade 2 stops the station says so and keeps
 * its viewers, and when blade 2 is back, typing works again.
 */
class ConsoleStationTest {

  static final String CONFIG = """
      rackshare.console.command = ["bash", "--norc", "--noprofile", "-i"]
      rackshare.console.restart-delay = 200ms
      """;
  static final String STATION = """
      rackshare.console.station { enabled = on, port = 0, web-port = 0, target = "Rack(1)/Chassis(1)/Blade(3)" }
      """;

  @TempDir Path root;
  TestBlades blades;

  @AfterEach
  void stop() {
    if (blades != null) blades.close();
  }

  void awaitView(ConsoleView view, String what, java.util.function.Predicate<ConsoleView> p) {
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      assertTrue(p.test(view), what + "; banner " + view.currentBanner() + ", screen:\n"
          + (view.current() == null ? null : view.current().text()));
      return null;
    });
  }

  static boolean shows(ConsoleView v, String line) {
    return v.current() != null && v.currentBanner() == null && v.current().text().lines().anyMatch(l -> l.equals(line));
  }

  static void type(ConsoleView v, String s) {
    v.keys(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theStationShowsAndDrivesTheSelectedBladesConsole() throws Exception {
    blades = new TestBlades(root, CONFIG);
    blades.start(1, "[]", STATION);
    blades.start(2, "[]");
    blades.start(3, "[]");
    ConsoleView view = blades.rackshare(1).consoleView().orElseThrow();
    awaitView(view, "blade 3's shell is shown", v -> v.currentBanner() == null && v.current() != null
        && v.current().text().contains("bash"));
    type(view, "clear; echo at-$RACKSHARE_BLADE\r");
    awaitView(view, "the command ran on blade 3", v -> shows(v, "at-Rack(1)/Chassis(1)/Blade(3)"));
    // The target's console log, as text lines with the time each was written (conserver's replay).
    io.rackshare.console.ConsoleProtocol.Log log = blades.rackshare(1).consoleLog(50).toCompletableFuture()
        .get(20, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(new BladeId(1, 1, 3), log.blade());
    assertTrue(log.lines().stream().anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} at-Rack\\(1\\)/Chassis\\(1\\)/Blade\\(3\\)")),
        "the echo is in the log: " + log.lines());

    // A real RFB client sees the same screen.
    int port = blades.rackshare(1).rfbAddress().orElseThrow().getPort();
    Path jpg = root.resolve("station.jpg");
    Tool.run(Duration.ofSeconds(30), "vncsnapshot", "-quiet", "-allowblank", "127.0.0.1::" + port, jpg.toString()).ok();
    BufferedImage img = ImageIO.read(jpg.toFile());
    io.rackshare.console.ScreenRenderer font = new io.rackshare.console.ScreenRenderer(14);
    assertEquals(font.width(80), img.getWidth());
    int lit = 0;
    for (int y = 0; y < font.cellHeight(); y++) {
      for (int x = 0; x < 10 * font.cellWidth(); x++) {
        int p = img.getRGB(x, y);
        if (((p >> 16) & 0xff) + ((p >> 8) & 0xff) + (p & 0xff) > 3 * 128) lit++;
      }
    }
    assertTrue(lit > 40, "the first row's text is in the frame");

    TestProbe<BladeId> selected = blades.kit(1).createTestProbe();
    blades.rackshare(1).consoleStation().orElseThrow()
        .tell(new ConsoleStation.Select(new BladeId(1, 1, 2), selected.ref()));
    assertEquals(new BladeId(1, 1, 2), selected.receiveMessage());
    awaitView(view, "blade 2's shell is shown", v -> v.currentBanner() == null
        && !v.current().text().contains("at-Rack(1)/Chassis(1)/Blade(3)"));
    type(view, "clear; echo at-$RACKSHARE_BLADE\r");
    awaitView(view, "the command ran on blade 2", v -> shows(v, "at-Rack(1)/Chassis(1)/Blade(2)"));

    // The conserver-style escape, typed at the station: Ctrl-E c 3 Enter switches to blade 3.
    type(view, "\u0005c3\r");
    awaitView(view, "back on blade 3", v -> shows(v, "at-Rack(1)/Chassis(1)/Blade(3)"));
    type(view, "\u0005c2\r");
    awaitView(view, "and on blade 2 again", v -> shows(v, "at-Rack(1)/Chassis(1)/Blade(2)"));

    blades.stop(2);
    awaitView(view, "the station says blade 2 is down", v -> v.currentBanner() != null
        && v.currentBanner().contains("Blade(2) is down"));
    blades.start(2, "[]");
    awaitView(view, "blade 2's console is back", v -> v.currentBanner() == null);
    type(view, "clear; echo back-$RACKSHARE_BLADE\r");
    awaitView(view, "typing works again", v -> shows(v, "back-Rack(1)/Chassis(1)/Blade(2)"));
  }
}
