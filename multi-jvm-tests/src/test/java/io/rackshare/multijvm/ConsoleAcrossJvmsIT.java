package io.rackshare.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rackshare.node.BladeProcess;
import io.rackshare.testkit.Tool;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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
  static final Pattern STATION = Pattern.compile(".* station=(\\S+),(\\S+).*");

  Path dir;
  final Map<Integer, Integer> ports = new TreeMap<>();
  /** Each blade's OOB port stays bound here until its blade starts, so nothing else takes it. */
  final Map<Integer, ServerSocket> reserved = new TreeMap<>();
  final Map<Integer, BladeProcess> blades = new TreeMap<>();
  Process browser;
  BufferedReader fromBrowser;
  Writer toBrowser;

  @AfterEach
  void stop() throws Exception {
    if (browser != null) browser.destroy();
    for (ServerSocket s : reserved.values()) s.close();
    for (BladeProcess b : blades.values()) b.close();
  }

  String start(int slot, Path novnc) throws Exception {
    Path d = dir.resolve("blade" + slot);
    ServerSocket hold = reserved.remove(slot);
    if (hold != null) hold.close();
    String seeds = ports.values().stream().map(p -> "\"127.0.0.1:" + p + "\"").collect(Collectors.joining(", "));
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
        """.formatted(slot, d, ports.get(slot), seeds, slot != 1 ? "" : """
          console.station { enabled = on, port = 0, web-port = 0, target = "Rack(1)/Chassis(1)/Blade(3)"
            novnc-dir = "%s" }
          """.formatted(novnc)));
    blades.put(slot, b);
    return b.awaitLine("RACKSHARE READY", T);
  }

  static JsonNode console(String mgmt) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(mgmt + "/console"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
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
    toBrowser.write(line + "\n");
    toBrowser.flush();
    String answer = fromBrowser.readLine();
    if (answer == null) throw new AssertionError("the browser script ended; see " + dir.resolve("browser.log"));
    return answer;
  }

  @Test
  void aBrowserDrivesTheSelectedBladesShellAndOutlivesItsJvm() throws Exception {
    dir = TestDirs.fresh(ConsoleAcrossJvmsIT.class);
    Path browserDir = dir.resolve("browser");
    Files.createDirectories(browserDir);
    for (String f : List.of("package.json", "viewer.mjs")) {
      Files.copy(Path.of("..", "actors", "src", "test", "browser", f), browserDir.resolve(f));
    }
    Tool.run(Duration.ofMinutes(5), Map.of(), List.of("npm", "install", "--no-audit", "--no-fund", "--loglevel=error"),
        browserDir).ok();
    for (int slot = 1; slot <= 3; slot++) {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
      reserved.put(slot, s);
      ports.put(slot, s.getLocalPort());
    }
    Path novnc = browserDir.resolve("node_modules/@novnc/novnc");
    String ready1 = start(1, novnc);
    start(2, novnc);
    start(3, novnc);
    Matcher m = READY.matcher(ready1);
    Matcher st = STATION.matcher(ready1);
    assertTrue(m.matches() && st.matches(), ready1);
    String mgmt = m.group(1);
    awaitConsole(mgmt, "blade 3's shell is shown", c -> c.get("banner").asText().isEmpty()
        && c.get("screen").asText().contains("bash"));

    browser = new ProcessBuilder("node", browserDir.resolve("viewer.mjs").toString(), st.group(2))
        .directory(browserDir.toFile()).redirectError(dir.resolve("browser.log").toFile()).start();
    fromBrowser = new BufferedReader(new InputStreamReader(browser.getInputStream(), StandardCharsets.UTF_8));
    toBrowser = new OutputStreamWriter(browser.getOutputStream(), StandardCharsets.UTF_8);
    assertEquals("CONNECTED", fromBrowser.readLine(), "noVNC connected; see " + dir.resolve("browser.log"));
    assertEquals("TYPED", command("type clear; echo at-$RACKSHARE_BLADE"));
    awaitConsole(mgmt, "the browser's keys ran on blade 3", c -> shows(c, "at-Rack(1)/Chassis(1)/Blade(3)"));
    Tool.Result log = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"),
        "io.rackshare.node.RackshareCli", "console", "--url", mgmt, "--log", "20").ok();
    assertTrue(log.out().contains(" at-Rack(1)/Chassis(1)/Blade(3)\""), "blade 3's console log: " + log.out());

    Tool.Result select = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"),
        "io.rackshare.node.RackshareCli", "console", "--url", mgmt, "--select", "Rack(1)/Chassis(1)/Blade(2)").ok();
    assertTrue(select.out().contains("\"target\" : \"Rack(1)/Chassis(1)/Blade(2)\""), select.out());
    awaitConsole(mgmt, "blade 2's shell is shown", c -> c.get("banner").asText().isEmpty()
        && !c.get("screen").asText().contains("at-Rack(1)/Chassis(1)/Blade(3)"));
    assertEquals("TYPED", command("type clear; echo at-$RACKSHARE_BLADE"));
    awaitConsole(mgmt, "the browser's keys ran on blade 2", c -> shows(c, "at-Rack(1)/Chassis(1)/Blade(2)"));

    blades.get(2).kill();
    awaitConsole(mgmt, "the station says blade 2 is down",
        c -> c.get("banner").asText().contains("Blade(2) is down"));
    String snap = command("snap " + dir.resolve("down.png"));
    assertEquals("SNAPPED connected", snap, "the browser is still connected");

    start(2, novnc);
    awaitConsole(mgmt, "blade 2's console is back", c -> c.get("banner").asText().isEmpty());
    assertEquals("TYPED", command("type clear; echo back-$RACKSHARE_BLADE"));
    awaitConsole(mgmt, "typing works again", c -> shows(c, "back-Rack(1)/Chassis(1)/Blade(2)"));
    command("snap " + dir.resolve("back.png"));
  }
}
