package io.rackshare.multijvm;

import io.rackshare.testkit.StatusPoller;
import io.rackshare.testkit.ReservedPorts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rackshare.node.BladeProcess;
import io.rackshare.testkit.StationBrowser;
import io.rackshare.testkit.Tool;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The console station across blade JVMs, driven from a browser (noVNC in Chromium): keys typed in
 * the browser run in blade 3's shell; {@code rackshare console --select} switches to blade 2;
 * blade 2's JVM is killed (SIGKILL): the browser stays connected and the station says the blade
 * is down; blade 2 is started again and typing works. What the station shows is read back from
 * its management endpoint ({@code GET /console}).
 */
class ConsoleAcrossJvmsIT {

  static final Duration T = Duration.ofSeconds(120);
  static final Pattern READY = Pattern.compile("RACKSHARE READY .* mgmt=(\\S+) .*");
  static final String PASSWORD = "station1";
  static final Pattern STATION = Pattern.compile(".* station=(\\S+),(\\S+).*");

  Path dir;
  ReservedPorts ports;
  final Map<Integer, BladeProcess> blades = new TreeMap<>();
  StationBrowser browser;

  @AfterEach
  void stop() throws Exception {
    if (browser != null) browser.close();
    if (ports != null) ports.close();
    for (BladeProcess b : blades.values()) b.close();
  }

  String start(int slot) throws Exception {
    Path d = dir.resolve("blade" + slot);
    ports.release(slot);
    BladeProcess b = BladeProcess.start("blade" + slot, d, """
        rackshare {
          blade { slot = %d, data-dir = "%s", disks = [] }
          oob { hostname = "127.0.0.1", port = %d }
          seed-nodes = [%s]
          nbd.port = 0
          management.port = 0
          console { command = ["bash", "--norc", "--noprofile", "-i"], restart-delay = 200ms }
          %s
        }
        """.formatted(slot, d, ports.port(slot), ports.seeds(), slot != 1 ? "" : """
          console.station { enabled = on, port = 0, web-port = 0, target = "Rack(1)/Chassis(1)/Blade(3)"
            password = "%s" }
          """.formatted(PASSWORD)), TestCa.get());
    blades.put(slot, b);
    return b.awaitLine("RACKSHARE READY", T);
  }

  static JsonNode console(String mgmt) throws Exception {
    HttpResponse<String> r = StatusPoller.get(mgmt + "/console");
    assertEquals(200, r.statusCode(), r.body());
    return JournalCluster.JSON.readTree(r.body());
  }

  static JsonNode awaitConsole(String mgmt, String what, Predicate<JsonNode> p) throws Exception {
    long deadline = System.nanoTime() + T.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = console(mgmt);
      if (p.test(last)) return last;
      Thread.sleep(200); // polling another process's endpoint
    }
    throw new AssertionError(what + " within " + T + "; the station: " + last);
  }

  static boolean shows(JsonNode c, String line) {
    return c.get("banner").asText().isEmpty() && c.get("screen").asText().lines().anyMatch(l -> l.equals(line));
  }

  String command(String line) throws Exception {
    return browser.command(line);
  }

  @Test
  void aBrowserDrivesTheSelectedBladesShellAndOutlivesItsJvm() throws Exception {
    dir = TestDirs.fresh(ConsoleAcrossJvmsIT.class);
    Path browserDir = dir.resolve("browser");
    StationBrowser.install(Path.of("..", "actors", "src", "test", "browser"), browserDir);
    ports = new ReservedPorts(3);
    String ready1 = start(1);
    start(2);
    String ready3 = start(3);
    Matcher m = READY.matcher(ready1);
    Matcher st = STATION.matcher(ready1);
    assertTrue(m.matches() && st.matches(), ready1);
    String mgmt = m.group(1);
    awaitConsole(mgmt, "blade 3's shell is shown", c -> c.get("banner").asText().isEmpty()
        && c.get("screen").asText().contains("bash"));

    browser = StationBrowser.open(browserDir, st.group(2) + "#password=" + PASSWORD, dir.resolve("browser.log"));
    assertEquals("TYPED", command("type clear; echo at-$RACKSHARE_BLADE"));
    awaitConsole(mgmt, "the browser's keys ran on blade 3", c -> shows(c, "at-Rack(1)/Chassis(1)/Blade(3)"));
    Tool.Result log = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"),
        "io.rackshare.node.RackshareCli", "console", "--url", mgmt, "--log", "20").ok();
    assertTrue(log.out().contains(" at-Rack(1)/Chassis(1)/Blade(3)\""), "blade 3's console log: " + log.out());

    // A blade that has no console: a clear error, and the station stays where it is.
    Tool.Result refused = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"),
        "io.rackshare.node.RackshareCli", "console", "--url", mgmt, "--select", "Rack(1)/Chassis(1)/Blade(9)");
    assertTrue(refused.exit() != 0 && refused.out().contains("Rack(1)/Chassis(1)/Blade(9) has no console"),
        refused.exit() + ": " + refused.out());
    // Blade 2 says READY before it has joined, and a join that meets a seed still forming is tried
    // again only after Pekko's retry-unsuccessful-join-after (10 s): its console counts once the
    // manager has its registration, so the select is asked again until then.
    Tool.Result select;
    long registered = System.nanoTime() + T.toNanos();
    while (true) {
      select = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"),
          "io.rackshare.node.RackshareCli", "console", "--url", mgmt, "--select", "Rack(1)/Chassis(1)/Blade(2)");
      if (select.exit() == 0 || System.nanoTime() > registered) break;
      assertTrue(select.out().contains("Rack(1)/Chassis(1)/Blade(2) has no console"), select.out());
      Thread.sleep(500); // polling another process's endpoint
    }
    select.ok();
    assertTrue(select.out().contains("\"target\" : \"Rack(1)/Chassis(1)/Blade(2)\""), select.out());
    // The switch is in the global resource map: blade 3's own copy routes the station to blade 2.
    Matcher m3 = READY.matcher(ready3);
    assertTrue(m3.matches(), ready3);
    Tool.Result status3 = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"),
        "io.rackshare.node.RackshareCli", "status", "--url", m3.group(1)).ok();
    assertTrue(status3.out().contains("console station on Rack(1)/Chassis(1)/Blade(1) shows Rack(1)/Chassis(1)/Blade(2)"),
        status3.out());
    awaitConsole(mgmt, "blade 2's shell is shown", c -> c.get("banner").asText().isEmpty()
        && !c.get("screen").asText().contains("at-Rack(1)/Chassis(1)/Blade(3)"));
    assertEquals("TYPED", command("type clear; echo at-$RACKSHARE_BLADE"));
    awaitConsole(mgmt, "the browser's keys ran on blade 2", c -> shows(c, "at-Rack(1)/Chassis(1)/Blade(2)"));

    blades.get(2).kill();
    awaitConsole(mgmt, "the station says blade 2 is down",
        c -> c.get("banner").asText().contains("Blade(2) is down"));
    String snap = command("snap " + dir.resolve("down.png"));
    assertEquals("SNAPPED connected", snap, "the browser is still connected");

    start(2);
    awaitConsole(mgmt, "blade 2's console is back", c -> c.get("banner").asText().isEmpty());
    assertEquals("TYPED", command("type clear; echo back-$RACKSHARE_BLADE"));
    awaitConsole(mgmt, "typing works again", c -> shows(c, "back-Rack(1)/Chassis(1)/Blade(2)"));
    command("snap " + dir.resolve("back.png"));
  }
}
