package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.console.ConsoleView;
import io.rackshare.console.ScreenRenderer;
import io.rackshare.testkit.StationBrowser;
import io.rackshare.testkit.TestBlades;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import javax.imageio.ImageIO;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console station in a real browser: noVNC (served from the station's jar) in Debian's headless Chromium, driven
 * by playwright-core, connects over WebSocket to the station on blade 1; a command typed in the
 * browser runs in blade 3's shell and the browser's canvas holds exactly the pixels of the screen
 * that shows its result; the management API switches the station to blade 2; when blade 2 stops
 * the browser stays connected and shows why, and typing works again once it is back. The
 * browser has no internet (noVNC comes from the station's jar) and a page of another origin cannot
 * open the station's WebSocket. The canvases and page screenshots are kept in
 * {@code target/station-browser/}.
 */
class StationBrowserTest {

  static final Path WORK = Path.of("target", "station-browser").toAbsolutePath();
  static final Duration T = Duration.ofSeconds(30);

  /** What a page elsewhere would do: open the station's WebSocket and read what it says. */
  static final String ATTACKER_PAGE = """
      <!doctype html><title>waiting</title><script>
      const ws = new WebSocket('ws://127.0.0.1:@PORT@/websockify');
      ws.binaryType = 'arraybuffer';
      ws.onmessage = e => { document.title = 'open: ' + new TextDecoder().decode(e.data).trim(); };
      ws.onerror = () => { if (!document.title.startsWith('open')) document.title = 'refused'; };
      </script>
      """;

  TestBlades blades;
  StationBrowser browser;
  int snaps;

  @BeforeAll
  static void installViewer() throws Exception {
    StationBrowser.assumeAvailable();
    StationBrowser.install(Path.of("src", "test", "browser"), WORK);
  }

  @AfterEach
  void stop() {
    if (browser != null) browser.close();
    if (blades != null) blades.close();
  }

  String command(String line) throws Exception {
    return browser.command(line);
  }

  /**
   * Snapshots noVNC's canvas until its pixels are exactly those of the station's screen as the
   * server renders it; returns the page title at that moment.
   */
  String awaitCanvasShowsTheStation(ConsoleView view, String what) throws Exception {
    return awaitCanvasShowsTheStation(view, what, null);
  }

  /** As above, with {@code notice} (what this viewer alone is told) over the station's banner. */
  String awaitCanvasShowsTheStation(ConsoleView view, String what, String notice) throws Exception {
    ScreenRenderer renderer = new ScreenRenderer(14);
    long deadline = System.nanoTime() + T.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      Path png = WORK.resolve(String.format("canvas-%02d.png", ++snaps));
      String answer = command("snap " + png);
      assertTrue(answer.startsWith("SNAPPED"), answer);
      BufferedImage canvas = ImageIO.read(png.toFile());
      int[] expected = renderer.render(view.current(), notice != null ? notice : view.currentBanner());
      int w = renderer.width(view.current().columns());
      int h = renderer.height(view.current().rows());
      boolean same = canvas.getWidth() == w && canvas.getHeight() == h;
      int differ = 0;
      String first = "";
      for (int y = 0; same && y < h; y++) {
        for (int x = 0; x < w; x++) {
          int got = canvas.getRGB(x, y) & 0xffffff;
          if (got != (expected[y * w + x] & 0xffffff)) {
            if (differ++ == 0) first = String.format(" first at %d,%d: %06x, expected %06x", x, y, got, expected[y * w + x]);
          }
        }
      }
      if (same && differ == 0) return answer.substring("SNAPPED ".length());
      last = canvas.getWidth() + "x" + canvas.getHeight() + " vs " + w + "x" + h + ", " + differ + " pixels differ" + first;
    }
    throw new AssertionError(what + ": the browser's canvas never matched the station's screen (" + last
        + "); screen:\n" + view.current().text());
  }

  void awaitView(ConsoleView view, String what, java.util.function.Predicate<ConsoleView> p) {
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(T, Duration.ofMillis(100), () -> {
      assertTrue(p.test(view), what + "; banner " + view.currentBanner() + ", screen:\n"
          + (view.current() == null ? null : view.current().text()));
      return null;
    });
  }

  static boolean shows(ConsoleView v, String line) {
    return v.current() != null && v.currentBanner() == null && v.current().text().lines().anyMatch(l -> l.equals(line));
  }

  @Test
  void typeInTheBrowserReadTheFramebufferSwitchAndSurviveATargetsDeath() throws Exception {
    // Fresh blade data: a stored map from an earlier run would route the station where that run left it.
    Path bladesDir = WORK.resolve("blades");
    if (java.nio.file.Files.exists(bladesDir)) {
      try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(bladesDir)) {
        all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    blades = new TestBlades(bladesDir, """
        rackshare.console.command = ["bash", "--norc", "--noprofile", "-i"]
        rackshare.console.restart-delay = 200ms
        """);
    blades.start(1, "[]", """
        rackshare.management { enabled = on, port = 0 }
        rackshare.console.station { enabled = on, port = 0, web-port = 0, target = "Rack(1)/Chassis(1)/Blade(3)"
          password = "full-pw", view-password = "spy-pw" }
        """);
    blades.start(2, "[]");
    blades.start(3, "[]");
    ConsoleView view = blades.rackshare(1).consoleView().orElseThrow();
    awaitView(view, "blade 3's shell", v -> v.currentBanner() == null && v.current() != null
        && v.current().text().contains("bash"));

    browser = StationBrowser.open(WORK, blades.rackshare(1).stationWebUrl().orElseThrow() + "#password=full-pw",
        WORK.resolve("browser.log"));

    assertEquals("TYPED", command("type clear; echo at-$RACKSHARE_BLADE $((6*7))"));
    awaitView(view, "the browser's keys ran on blade 3", v -> shows(v, "at-Rack(1)/Chassis(1)/Blade(3) 42"));
    awaitCanvasShowsTheStation(view, "blade 3's answer");

    // The mouse: a program on blade 3 asks for xterm mouse reports (SGR form); a click in the
    // browser on the cell at column 11, row 6 reaches it as a press and a release there.
    assertEquals("TYPED", command("type clear; printf '\\e[?1000h\\e[?1006h'; read -rs -d m r; "
        + "printf '\\e[?1006l\\e[?1000l'; echo \"MOUSE ${r//$'\\e'/}\""));
    awaitView(view, "the program asks for mouse reports", v -> v.current() != null && v.current().mouseMode() != 0);
    io.rackshare.console.ScreenRenderer cells = new io.rackshare.console.ScreenRenderer(14);
    assertEquals("CLICKED", command("click " + (10 * cells.cellWidth() + cells.cellWidth() / 2) + " "
        + (5 * cells.cellHeight() + cells.cellHeight() / 2)));
    awaitView(view, "the click reached the program on blade 3", v -> shows(v, "MOUSE [<0;11;6M[<0;11;6"));

    // Scrolling text travels as CopyRect (rows move in the browser) plus Zlib for the new lines,
    // and the canvas is still exactly the server's rendering.
    io.rackshare.console.RfbServer.Stats before = blades.rackshare(1).rfbStats().orElseThrow();
    assertEquals("TYPED", command("type clear; for i in $(seq 1 40); do echo line-$i; sleep 0.02; done"));
    awaitView(view, "the text scrolled", v -> shows(v, "line-40"));
    awaitCanvasShowsTheStation(view, "the scrolled screen");
    io.rackshare.console.RfbServer.Stats after = blades.rackshare(1).rfbStats().orElseThrow();
    assertTrue(after.copyRects() > before.copyRects(), "scrolling used CopyRect: " + before + " -> " + after);
    assertTrue(after.zlibRects() > before.zlibRects(), "noVNC takes Zlib: " + before + " -> " + after);

    // Sessions: a second viewer force-attaches (RFB's exclusive flag) and takes the keyboard; the
    // first is told and only watches; a viewer with the view-only password never types.
    String web = blades.rackshare(1).stationWebUrl().orElseThrow();
    assertEquals("OPENED", command("open " + web + "#password=full-pw&shared=0"));
    assertEquals("USING", command("use 0"));
    awaitCanvasShowsTheStation(view, "the displaced viewer is told",
        "a viewer at 127.0.0.1 took over the keyboard; you are watching");
    assertEquals("TYPED", command("type echo from-page0"));
    assertEquals("OPENED", command("open " + web + "#password=spy-pw"));
    assertEquals("TYPED", command("type echo from-spy"));
    assertEquals("USING", command("use 1"));
    assertEquals("TYPED", command("type echo from-page1"));
    awaitView(view, "the viewer with the keyboard types", v -> shows(v, "from-page1"));
    assertTrue(!view.current().text().contains("from-page0") && !view.current().text().contains("from-spy"),
        "only the writer's keys reached the console:\n" + view.current().text());

    // A page of another origin, open in the same browser, tries the station's WebSocket: refused
    // (before the Origin check it read the RFB greeting, and with security None it could type).
    int stationPort = URI.create(web).getPort();
    com.sun.net.httpserver.HttpServer attacker = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    byte[] evil = ATTACKER_PAGE.replace("@PORT@", String.valueOf(stationPort)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    attacker.createContext("/", x -> {
      x.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
      x.sendResponseHeaders(200, evil.length);
      x.getResponseBody().write(evil);
      x.close();
    });
    attacker.start();
    try {
      assertEquals("ATTACK refused", command("attack http://127.0.0.1:" + attacker.getAddress().getPort() + "/"));
    } finally {
      attacker.stop(0);
    }
    // Without internet, the viewer pages asked nothing of any host but the station.
    assertEquals("OFFSITE 0 ", command("offsite"));

    String mgmt = blades.rackshare(1).managementUrl().orElseThrow();
    HttpResponse<String> switched = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(mgmt + "/console/select?blade=Rack(1)/Chassis(1)/Blade(2)"))
        .header("Authorization", "Bearer " + blades.rackshare(1).operatorToken().orElseThrow().value())
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, switched.statusCode(), switched.body());
    assertTrue(switched.body().contains("\"target\" : \"Rack(1)/Chassis(1)/Blade(2)\""), switched.body());
    awaitView(view, "blade 2's shell", v -> v.currentBanner() == null
        && !v.current().text().contains("at-Rack(1)/Chassis(1)/Blade(3)"));
    assertEquals("TYPED", command("type clear; echo at-$RACKSHARE_BLADE"));
    awaitView(view, "the browser's keys ran on blade 2", v -> shows(v, "at-Rack(1)/Chassis(1)/Blade(2)"));
    awaitCanvasShowsTheStation(view, "blade 2's answer");

    blades.stop(2);
    awaitView(view, "the station says blade 2 is down", v -> v.currentBanner() != null
        && v.currentBanner().contains("Blade(2) is down"));
    assertEquals("connected", awaitCanvasShowsTheStation(view, "the banner"), "the viewer stays connected");
    blades.start(2, "[]");
    awaitView(view, "blade 2 is back", v -> v.currentBanner() == null);
    assertEquals("TYPED", command("type clear; echo back-$RACKSHARE_BLADE"));
    awaitView(view, "typing works again", v -> shows(v, "back-Rack(1)/Chassis(1)/Blade(2)"));
    awaitCanvasShowsTheStation(view, "blade 2 after its return");
  }
}
