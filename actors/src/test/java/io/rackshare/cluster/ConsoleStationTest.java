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
      rackshare.console.station { enabled = on, port = 0, web-port = -1, target = "Rack(1)/Chassis(1)/Blade(3)" }
      """;

  @TempDir Path root;
  TestBlades blades;

  @AfterEach
  void stop() {
    if (blades != null) blades.close();
  }

  void awaitView(ConsoleView view, String what, java.util.function.Predicate<ConsoleView> p) {
    TestProbe<Object> probe = blades.kit(blades.slots().get(0)).createTestProbe();
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

    TestProbe<org.apache.pekko.pattern.StatusReply<BladeId>> selected = blades.kit(1).createTestProbe();
    blades.rackshare(1).consoleStation().orElseThrow()
        .tell(new ConsoleStation.Select(new BladeId(1, 1, 2), selected.ref()));
    assertEquals(new BladeId(1, 1, 2), selected.receiveMessage(Duration.ofSeconds(15)).getValue());
    awaitView(view, "blade 2's shell is shown", v -> v.currentBanner() == null
        && !v.current().text().contains("at-Rack(1)/Chassis(1)/Blade(3)"));
    type(view, "clear; echo at-$RACKSHARE_BLADE\r");
    awaitView(view, "the command ran on blade 2", v -> shows(v, "at-Rack(1)/Chassis(1)/Blade(2)"));

    // The conserver-style escape, typed at the station: Ctrl-E c 3 Enter switches to blade 3.
    type(view, "\u0005c3\r");
    awaitView(view, "back on blade 3", v -> shows(v, "at-Rack(1)/Chassis(1)/Blade(3)"));
    type(view, "\u0005c2\r");
    awaitView(view, "and on blade 2 again", v -> shows(v, "at-Rack(1)/Chassis(1)/Blade(2)"));

    // The switch is a change of the global resource map: every blade's copy routes the station to blade 2.
    for (int slot : new int[] {1, 2, 3}) {
      TestProbe<Object> probe = blades.kit(1).createTestProbe();
      probe.awaitAssert(Duration.ofSeconds(10), () -> {
        assertEquals(java.util.Optional.of(new BladeId(1, 1, 2)),
            blades.status(slot).map().console(new BladeId(1, 1, 1)).map(io.rackshare.map.ConsoleRoute::target));
        return null;
      });
    }
    // Escape cancelled: the banner that was there before comes back (here: none).
    type(view, "\u0005c4\u001b");
    awaitView(view, "the escape is cancelled", v -> v.currentBanner() == null);

    blades.stop(2);
    awaitView(view, "the station says blade 2 is down", v -> v.currentBanner() != null
        && v.currentBanner().contains("Blade(2) is down"));
    type(view, "\u0005c3\u001b");
    awaitView(view, "a cancelled escape leaves the banner saying blade 2 is down",
        v -> v.currentBanner() != null && v.currentBanner().contains("Blade(2) is down"));
    blades.start(2, "[]");
    awaitView(view, "blade 2's console is back", v -> v.currentBanner() == null);
    type(view, "clear; echo back-$RACKSHARE_BLADE\r");
    awaitView(view, "typing works again", v -> shows(v, "back-Rack(1)/Chassis(1)/Blade(2)"));
  }

  static BladeId select(TestBlades blades, int station, int slot) throws Exception {
    return blades.rackshare(station).selectConsole(new BladeId(1, 1, slot)).toCompletableFuture()
        .get(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  static String refusal(TestBlades blades, int station, int slot) {
    java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
        java.util.concurrent.ExecutionException.class, () -> select(blades, station, slot));
    return e.getCause().getMessage();
  }

  /**
   * The route lives in the manager's journal and every blade's map: a blade without a console
   * cannot be selected; a blade that is not routed to a station refuses its keys; the route
   * outlives the manager's blade; the station's blade restarts showing the routed blade, not its
   * configured one.
   */
  /** Any web page open in a browser on the station's host could otherwise type into the consoles. */
  @Test
  void theWebViewerDoesNotStartWithoutAPassword() {
    blades = new TestBlades(root, CONFIG);
    RuntimeException e = blades.startRefused(1, "[]", "rackshare.console.station { enabled = on, port = 0, web-port = 0 }");
    String why = String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : " / " + e.getCause().getMessage());
    assertTrue(why.contains("the web viewer (web-port) needs a password"), why);
  }

  @Test
  void theRouteIsInTheMapAndOutlivesTheManagerAndTheStationsRestart() throws Exception {
    blades = new TestBlades(root, CONFIG);
    blades.start(1, "[]"); // the oldest member: it runs the manager (first-in)
    String station = "rackshare.console.station { enabled = on, port = 0, web-port = -1 }";
    blades.start(2, "[]", station); // shows itself until routed elsewhere
    blades.start(3, "[]");
    blades.start(4, "[]", "rackshare.console.command = []");
    ConsoleView view = blades.rackshare(2).consoleView().orElseThrow();
    type(view, "clear; echo at-$RACKSHARE_BLADE\r");
    awaitView(view, "the station shows its own blade first", v -> shows(v, "at-Rack(1)/Chassis(1)/Blade(2)"));

    // Discovery registered the console devices as resources; blade 4 has none.
    TestProbe<Object> probe = blades.kit(2).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      java.util.List<String> registered = blades.status(2).registered().stream().map(r -> r.path().toString()).toList();
      assertTrue(registered.containsAll(java.util.List.of("Rack(1)/Chassis(1)/Blade(3)/Video(0)",
          "Rack(1)/Chassis(1)/Blade(3)/Keyboard(0)", "Rack(1)/Chassis(1)/Blade(3)/Mouse(0)")), registered.toString());
      assertTrue(registered.stream().noneMatch(r -> r.startsWith("Rack(1)/Chassis(1)/Blade(4)/")), registered.toString());
      return null;
    });
    String noConsole = refusal(blades, 2, 4);
    assertTrue(noConsole.contains("Blade(4) has no console"), noConsole);
    String unknown = refusal(blades, 2, 9);
    assertTrue(unknown.contains("Blade(9) has no console"), unknown);

    assertEquals(new BladeId(1, 1, 3), select(blades, 2, 3));
    type(view, "clear; echo at-$RACKSHARE_BLADE\r");
    awaitView(view, "the station shows blade 3", v -> shows(v, "at-Rack(1)/Chassis(1)/Blade(3)"));

    // Blade 2's console is not routed to blade 1's (absent) station: it refuses keys from there.
    TestProbe<io.rackshare.smm.SmmHandler.Delivery> refused = blades.kit(1).createTestProbe();
    blades.rackshare(1).smmHandler().tell(new io.rackshare.smm.SmmHandler.RegisterHandler("test",
        m -> m instanceof io.rackshare.console.ConsoleProtocol.Refused, refused.ref()));
    blades.rackshare(1).smmHandler().tell(new io.rackshare.smm.SmmHandler.Send(new BladeId(1, 1, 3),
        new io.rackshare.console.ConsoleProtocol.Keys("echo intruder\r".getBytes(StandardCharsets.UTF_8), 0)));
    io.rackshare.console.ConsoleProtocol.Refused r =
        (io.rackshare.console.ConsoleProtocol.Refused) refused.receiveMessage(Duration.ofSeconds(10)).message();
    assertEquals(new BladeId(1, 1, 3), r.blade());
    assertTrue(r.reason().contains("routes the station on Rack(1)/Chassis(1)/Blade(1) to no console"), r.reason());
    type(view, "echo after\r");
    awaitView(view, "the station's own keys still go through", v -> shows(v, "after"));
    assertTrue(view.current().text().lines().noneMatch(l -> l.equals("intruder")), view.current().text());

    // The manager's blade goes; the next manager keeps the route (it adopts the newest map the
    // blades report), and switching goes on through it.
    blades.stop(1);
    probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      assertTrue(blades.status(2).manager().filter(m -> !m.equals(new BladeId(1, 1, 1))).isPresent());
      return null;
    });
    assertEquals(java.util.Optional.of(new BladeId(1, 1, 3)),
        blades.status(3).map().console(new BladeId(1, 1, 2)).map(io.rackshare.map.ConsoleRoute::target));
    type(view, "clear; echo still-$RACKSHARE_BLADE\r");
    awaitView(view, "the station still drives blade 3", v -> shows(v, "still-Rack(1)/Chassis(1)/Blade(3)"));
    long before = blades.status(3).map().epoch();
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(500), () -> {
      assertEquals(new BladeId(1, 1, 2), select(blades, 2, 2));
      return null;
    });
    assertEquals(new BladeId(1, 1, 3), select(blades, 2, 3));
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      assertTrue(blades.status(3).map().epoch() >= before + 2, "two more map changes");
      return null;
    });

    // The station's blade restarts: its stored map routes it to blade 3, not to its configured self.
    blades.stop(2);
    blades.start(2, "[]", station);
    ConsoleView again = blades.rackshare(2).consoleView().orElseThrow();
    type(again, "");
    awaitView(again, "the restarted station shows blade 3's screen",
        v -> v.currentBanner() == null && v.current() != null && v.current().text().contains("still-Rack(1)/Chassis(1)/Blade(3)"));
    type(again, "clear; echo restarted-$RACKSHARE_BLADE\r");
    awaitView(again, "and types there", v -> shows(v, "restarted-Rack(1)/Chassis(1)/Blade(3)"));
  }
}
