package io.rackshare.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.access.BlockDevice;
import io.rackshare.access.BlockDeviceException;
import io.rackshare.testkit.TestBlades;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} of a blade in a 3-blade cluster: the requests made through it are counted
 * exactly (operations, bytes, errors, the latency histogram's count), the map epoch and roles
 * match the blade's own view, the lane's windows to the blades it used are there, and Prometheus'
 * own checker ({@code promtool check metrics}) accepts the text.
 */
class MetricsClusterTest {
  static final String VOLUMES = """
      rackshare.volumes = [
        { name = m, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)", "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"] }
      ]
      """;
  static final String DISK = "[{ file = \"disk0.img\", size = 4MiB, block-size = 4096 }]";
  /** Blade 1 also offers Disk(1) .. Disk(10), unused: its resources are listed in device-path order. */
  static final String ELEVEN_DISKS = java.util.stream.IntStream.range(0, 11)
      .mapToObj(i -> "{ file = \"disk" + i + ".img\", size = " + (i == 0 ? 4 : 1) + "MiB, block-size = 4096 }")
      .collect(java.util.stream.Collectors.joining(", ", "[", "]"));

  @TempDir static Path root;
  static TestBlades blades;
  static String text;
  static BlockDevice m;

  @BeforeAll
  static void start() throws Exception {
    blades = new TestBlades(root, VOLUMES);
    blades.start(1, ELEVEN_DISKS);
    blades.start(2, DISK);
    blades.start(3, "[]", "rackshare.management { enabled = on, port = 0 }");
    m = blades.rackshare(3).awaitVolume("m", Duration.ofSeconds(30)).toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    byte[] chunk = new byte[64 * 1024];
    for (int i = 0; i < 3; i++) {
      java.util.Arrays.fill(chunk, (byte) i);
      m.write(i * (long) chunk.length, chunk, false).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    assertEquals(1, m.read(65536, 4096).toCompletableFuture().get(30, TimeUnit.SECONDS)[4095]);
    m.read(0, 4096).toCompletableFuture().get(30, TimeUnit.SECONDS);
    m.flush().toCompletableFuture().get(30, TimeUnit.SECONDS);
    ExecutionException beyond = assertThrows(ExecutionException.class,
        () -> m.read(m.size(), 4096).toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertInstanceOf(BlockDeviceException.class, beyond.getCause());
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(blades.rackshare(3).managementUrl().orElseThrow() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    text = r.body();
  }

  @AfterAll
  static void stop() {
    if (blades != null) blades.close();
  }

  /** The value of the sample {@code name} with exactly {@code labels}, or null. */
  static Double sample(String name, Map<String, String> labels) {
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(?:\\{(.*)})? (\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(text);
    while (m.find()) {
      Map<String, String> found = new TreeMap<>();
      if (m.group(1) != null) {
        Matcher l = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(m.group(1));
        while (l.find()) found.put(l.group(1), l.group(2));
      }
      if (found.equals(new TreeMap<>(labels))) return Double.parseDouble(m.group(2));
    }
    return null;
  }

  @Test
  void eachRequestMadeThroughTheBladeIsCountedExactly() {
    assertEquals(3.0 * 65536, sample("rackshare_volume_bytes_total", Map.of("volume", "m", "op", "write")), text);
    assertEquals(3.0, sample("rackshare_volume_requests_total", Map.of("volume", "m", "op", "write")));
    assertEquals(3.0, sample("rackshare_volume_requests_total", Map.of("volume", "m", "op", "read")),
        "two reads and the one beyond the end");
    assertEquals(2.0 * 4096, sample("rackshare_volume_bytes_total", Map.of("volume", "m", "op", "read")),
        "the failed read moved no bytes");
    assertEquals(1.0, sample("rackshare_volume_errors_total", Map.of("volume", "m", "op", "read")));
    assertEquals(0.0, sample("rackshare_volume_errors_total", Map.of("volume", "m", "op", "write")));
    assertEquals(1.0, sample("rackshare_volume_requests_total", Map.of("volume", "m", "op", "flush")));
    assertEquals(3.0, sample("rackshare_volume_request_seconds_count", Map.of("volume", "m", "op", "write")));
    assertEquals(3.0, sample("rackshare_volume_request_seconds_bucket", Map.of("volume", "m", "op", "write", "le", "+Inf")));
  }

  @Test
  void theMapRolesVolumesAndLanesAreThoseOfTheBladesView() {
    assertEquals((double) blades.rackshare(3).localMap().epoch(), sample("rackshare_map_epoch", Map.of()));
    assertEquals(0.0, sample("rackshare_role", Map.of("role", "manager")), "blade 3 joined last (first-in)");
    assertEquals((double) m.size(), sample("rackshare_volume_size_bytes", Map.of("volume", "m", "layout", "raid1")));
    assertEquals(1.0, sample("rackshare_volume_health", Map.of("volume", "m", "health", "optimal")), text);
    assertEquals(2.0, sample("rackshare_volume_members", Map.of("volume", "m", "state", "active")), text);
    assertEquals(1.0, sample("rackshare_quorum", Map.of()));
    assertEquals(3.0, sample("rackshare_blades", Map.of("state", "up")), text);
    for (int slot : new int[] {1, 2}) {
      assertEquals(0.0, sample("rackshare_lane_requests_in_flight",
          Map.of("target", "Rack(1)/Chassis(1)/Blade(" + slot + ")", "tier", "device")), text);
    }
    assertEquals(0.0, sample("rackshare_nbd_connections", Map.of()));
    assertTrue(sample("jvm_threads_current", Map.of()) > 0, "the JVM's own metrics");
  }

  @Test
  void aPageOfAWebSiteReadsNoMetrics() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(blades.rackshare(3).managementUrl().orElseThrow() + "/metrics"))
        .header("Origin", "http://evil.example").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, r.statusCode(), r.body());
  }

  /** {@code rackshare status} lists a blade's resources by device path: Disk(2) before Disk(10). */
  @Test
  void statusListsABladesResourcesInDevicePathOrder() throws Exception {
    var status = blades.rackshare(3).status().toCompletableFuture().get(30, TimeUnit.SECONDS);
    var one = status.bladeDetails().stream().filter(b -> b.blade().equals("Rack(1)/Chassis(1)/Blade(1)")).findFirst()
        .orElseThrow();
    java.util.List<String> disks = one.resources().stream().map(r -> r.substring(0, r.indexOf(' '))).toList();
    java.util.List<String> expected = java.util.stream.IntStream.range(0, 11)
        .mapToObj(i -> "Rack(1)/Chassis(1)/Blade(1)/Disk(" + i + ")").toList();
    assertEquals(expected, disks);
  }

  /** {@code GET /pool}: every disk in device-path order with what uses it, and each blade's totals. */
  @Test
  void thePoolShowsEachDiskAndWhatUsesIt() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(blades.rackshare(3).managementUrl().orElseThrow() + "/pool")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    io.rackshare.management.PoolStatus pool = new com.fasterxml.jackson.databind.ObjectMapper()
        .readValue(r.body(), io.rackshare.management.PoolStatus.class);
    java.util.List<String> devices = pool.disks().stream().map(io.rackshare.management.PoolStatus.Disk::device).toList();
    java.util.List<String> expected = new java.util.ArrayList<>();
    for (int i = 0; i < 11; i++) expected.add("Rack(1)/Chassis(1)/Blade(1)/Disk(" + i + ")");
    expected.add("Rack(1)/Chassis(1)/Blade(2)/Disk(0)");
    assertEquals(expected, devices);
    var first = pool.disks().get(0);
    assertEquals(java.util.List.of("member", "m", 0, "ACTIVE"),
        java.util.List.of(first.use(), first.volume(), first.position(), first.state()));
    assertEquals("free", pool.disks().get(1).use());
    var one = pool.blades().get(0);
    long memberBytes = blades.rackshare(3).localMap().volume("m").orElseThrow().memberBytes();
    assertEquals(java.util.List.of("Rack(1)/Chassis(1)/Blade(1)", 11, (4L + 10) << 20, memberBytes, 10L << 20, 0L),
        java.util.List.of(one.blade(), one.disks(), one.sizeBytes(), one.usedBytes(), one.freeBytes(), one.failedBytes()));
    assertEquals(10L << 20, pool.freeBytes());
    assertEquals(2 * memberBytes, pool.usedBytes());
  }

  @Test
  void promtoolAcceptsTheText() throws Exception {
    boolean installed = Files.isExecutable(Path.of("/usr/bin/promtool"));
    Assumptions.assumeTrue(installed, "promtool (Debian's prometheus package) is not installed here");
    Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
  }
}
