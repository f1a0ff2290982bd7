package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.management.MapSvg;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Part;
import io.rackshare.map.VolumeRequest;
import io.rackshare.testkit.StationBrowser;
import io.rackshare.testkit.TestBlades;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live map page in a real browser: four blades in a cluster of this JVM, a 3-copy volume
 * created on their pool, and blade 1's {@code GET /map} open in Debian's headless Chromium
 * (playwright-core, {@code src/test/browser/map.mjs}). The page, under its own strict
 * Content-Security-Policy, draws every blade, the volume's extents in its colour on exactly the
 * disks that hold its parts, and the manager's mark; a blade holding a copy is drained and the
 * page marks it so once its copy is on the fourth blade; a blade holding a copy dies as the others
 * see a killed one (no more heartbeats: {@link TestBlades#isolate}) and its box turns red within
 * seconds, by the page's own refreshing; then the page's blade stops and the page says since when
 * it has not answered. It asks nothing of any other host. Screenshots go to {@code
 * target/map-browser/}.
 */
class MapPageBrowserTest {
  static final Path WORK = Path.of("target", "map-browser").toAbsolutePath();
  static final Duration T = Duration.ofSeconds(30);
  /**
   * How soon a dead blade must be red on the page: Pekko's failure detector (heartbeat 1 s,
   * acceptable pause 3 s) finds it unreachable in about 4-5 s, and the page redraws every second.
   */
  static final Duration RED_WITHIN = Duration.ofSeconds(10);
  static final String DISK = "[{ file = disk0.img, size = 16MiB, block-size = 4096 }]";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path root;
  TestBlades blades;
  StationBrowser browser;

  @BeforeAll
  static void installBrowser() throws Exception {
    StationBrowser.assumeAvailable();
    StationBrowser.install(Path.of("src", "test", "browser"), WORK, "map.mjs");
  }

  @AfterEach
  void stop() {
    if (browser != null) browser.close();
    if (blades != null) blades.close();
  }

  /** What the page shows now. */
  JsonNode shown() throws Exception {
    String answer = browser.command("show");
    assertTrue(answer.startsWith("SHOW "), answer);
    return JSON.readTree(answer.substring(5));
  }

  /**
   * What the page shows once {@code p} holds: asked again after each of the page's refreshes
   * (the script waits for it), failing after {@code within} with what it showed last.
   */
  JsonNode awaitShown(String what, Duration within, Predicate<JsonNode> p) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      JsonNode now = shown();
      if (p.test(now)) return now;
      if (System.nanoTime() > deadline) throw new AssertionError(what + " (within " + within + "); the page shows " + now);
      assertEquals("NEXT", browser.command("next"), "the page refreshes");
    }
  }

  static JsonNode blade(JsonNode shown, String id) {
    return stream(shown.get("blades")).filter(b -> b.get("blade").asText().equals(id)).findFirst().orElse(null);
  }

  static boolean hasClass(JsonNode blade, String c) {
    return blade != null && List.of(blade.get("classes").asText().split(" ")).contains(c);
  }

  static java.util.stream.Stream<JsonNode> stream(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false);
  }

  void snap(String name) throws Exception {
    assertEquals("SNAPPED", browser.command("snap " + WORK.resolve(name)));
  }

  @Test
  void theMapShowsEveryBladeAndTheVolumeAndABladeThatStopsTurnsRed() throws Exception {
    long started = System.nanoTime();
    blades = new TestBlades(root, "rackshare.pool.extent-size = 1MiB\n");
    blades.start(1, DISK, "rackshare.management { enabled = on, port = 0 }");
    for (int slot = 2; slot <= 4; slot++) blades.start(slot, DISK, TestBlades.ISOLATABLE);
    GlobalResourceDescriptor v = blades.rackshare(1).createVolume(
        new VolumeRequest("triple", "raid1", 4 << 20, 3, 0, 0, Map.of()), T).toCompletableFuture()
        .get(T.toSeconds(), TimeUnit.SECONDS);
    Map<String, String> diskOfPart = new TreeMap<>();
    for (Part p : v.parts()) diskOfPart.put(p.path().toString(), p.disk().toString());
    assertEquals(3, new TreeSet<>(diskOfPart.values()).size(), "three copies on three disks: " + diskOfPart);
    String manager = blades.rackshare(1).status().toCompletableFuture().get(10, TimeUnit.SECONDS).manager();
    List<String> all = List.of(1, 2, 3, 4).stream().map(s -> "Rack(1)/Chassis(1)/Blade(" + s + ")").toList();

    long opened = System.nanoTime();
    browser = StationBrowser.start(WORK, "map.mjs", blades.rackshare(1).managementUrl().orElseThrow() + "/map",
        WORK.resolve("browser.log"), "READY");
    long ready = System.nanoTime();
    JsonNode up = awaitShown("every blade up, the volume's parts on their disks, the manager marked", T, s ->
        stream(s.get("blades")).map(b -> b.get("blade").asText()).toList().equals(all)
            && all.stream().allMatch(b -> hasClass(blade(s, b), "up"))
            && stream(s.get("extents")).filter(e -> e.get("volume").asText().equals("triple")).count() >= 3
            && hasClass(blade(s, manager), "manager"));
    snap("map-1-all-up.png");

    // The volume's colour on exactly the disks that hold its parts, each part on its own disk, all visible.
    String colour = MapSvg.colour("triple");
    Map<String, String> drawn = new TreeMap<>();
    for (JsonNode e : up.get("extents")) {
      if (!e.get("volume").asText().equals("triple")) continue;
      assertEquals(colour, e.get("fill").asText(), "the volume's colour: " + e);
      assertEquals("ACTIVE", e.get("state").asText(), e.toString());
      assertTrue(e.get("width").asDouble() >= 1, "visible: " + e);
      drawn.put(e.get("part").asText(), e.get("disk").asText());
    }
    assertEquals(diskOfPart, drawn, "each part drawn on its disk");
    for (JsonNode b : up.get("blades")) {
      List<String> badges = stream(b.get("badges")).map(JsonNode::asText).toList();
      assertEquals(b.get("blade").asText().equals(manager), badges.contains("manager"), "the manager's mark: " + b);
    }
    JsonNode legend = stream(up.get("legend")).filter(l -> l.get("volume").asText().equals("triple")).findFirst()
        .orElseThrow(() -> new AssertionError("no legend entry for the volume: " + up));
    assertEquals("OPTIMAL", legend.get("health").asText());
    assertTrue(legend.get("text").asText().contains("raid1 · 4 MiB"), legend.toString());
    assertTrue(up.get("note").asText().startsWith("updated "), up.toString());

    // A blade with a copy, neither the page's nor the manager's, is drained: its copy moves to the
    // fourth blade, and the page marks it drained with the volume's colour gone from its disk.
    String drained = new TreeSet<>(diskOfPart.values()).stream().map(d -> d.substring(0, d.lastIndexOf('/')))
        .filter(b -> !b.equals(all.get(0)) && !b.equals(manager)).findFirst().orElseThrow();
    blades.rackshare(1).drainBlade(io.rackshare.map.BladeId.parse(drained), true).toCompletableFuture()
        .get(T.toSeconds(), TimeUnit.SECONDS);
    JsonNode moved = awaitShown(drained + " drained and the copy on the fourth blade", T, s -> {
      List<String> on = stream(s.get("extents")).filter(e -> e.get("volume").asText().equals("triple"))
          .map(e -> e.get("disk").asText()).toList();
      return stream(blade(s, drained).get("badges")).anyMatch(b -> b.asText().equals("drained"))
          && on.size() >= 3 && on.stream().noneMatch(d -> d.startsWith(drained + "/"))
          && stream(s.get("extents")).allMatch(e -> e.get("state").asText().equals("ACTIVE"));
    });
    snap("map-2-drained.png");
    diskOfPart.clear();
    for (Part p : blades.rackshare(1).localMap().volumes().get("triple").parts()) {
      diskOfPart.put(p.path().toString(), p.disk().toString());
    }
    assertEquals(3, new TreeSet<>(diskOfPart.values()).size(), "still three copies on three disks: " + diskOfPart);

    // A blade with a copy, neither the page's nor the manager's, dies as the others see it (no
    // heartbeats; TestBlades.isolate): its box turns red when blade 1 finds it unreachable.
    String victim = new TreeSet<>(diskOfPart.values()).stream().map(d -> d.substring(0, d.lastIndexOf('/')))
        .filter(b -> !b.equals(all.get(0)) && !b.equals(manager)).findFirst().orElseThrow();
    int slot = io.rackshare.map.BladeId.parse(victim).slot();
    long killed = System.nanoTime();
    blades.isolate(slot);
    JsonNode red = awaitShown(victim + " is drawn red", RED_WITHIN, s -> hasClass(blade(s, victim), "gone"));
    long redAfter = (System.nanoTime() - killed) / 1_000_000;
    snap("map-3-blade-" + slot + "-dead.png");
    for (String b : all) {
      if (!b.equals(victim)) assertTrue(hasClass(blade(red, b), "up"), "the others stay up: " + blade(red, b));
      assertTrue(moved.get("blades").size() == 4, moved.toString());
    }
    assertFalse(red.get("stale").asBoolean(), "blade 1 still answers: " + red);

    // The page's own blade stops: the page says since when it has not answered.
    long stopping = System.nanoTime();
    blades.stop(1);
    JsonNode silent = awaitShown("the page says blade 1 does not answer", T, s -> s.get("stale").asBoolean());
    long silentAfter = (System.nanoTime() - stopping) / 1_000_000;
    assertTrue(silent.get("note").asText().startsWith("the blade has not answered since"), silent.toString());
    snap("map-4-not-answering.png");
    assertEquals("OFFSITE 0 ", browser.command("offsite"), "nothing asked of any other host");
    System.out.printf("MapPageBrowserTest: 4 blades and the volume in %d ms, the page drawn %d ms later; blade %d"
            + " red %d ms after it died (%s); blade 1's silence shown after %d ms; screenshots in %s%n",
        (opened - started) / 1_000_000, (ready - opened) / 1_000_000, slot, redAfter,
        blade(red, victim).get("state").asText(), silentAfter, WORK);
  }
}
