package io.rackshare.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.node.BladeProcess;
import io.rackshare.persistence.JournalServer;
import io.rackshare.testkit.Tool;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The manager's journal in an H2 server that outlives the blades (as the demo runs it), and in a
 * real PostgreSQL. The manager's JVM is killed while fio verifies writes through another blade:
 * the client sees no error (blades route with their own maps), the next oldest blade's manager
 * recovers the map from the journal, member states included, and goes on from there.
 */
class ManagerFailoverIT {

  static final Duration T = Duration.ofMinutes(3);
  static final Pattern READY = Pattern.compile("RACKSHARE READY .* epoch=(\\d+) .* nbd=(\\S+) mgmt=(\\S+) .*");
  static final Pattern RECOVERED = Pattern.compile(".*global resource manager started .* recovered map epoch (\\d+).*");

  Path dir;
  String journalUrl;
  String journalUser;
  AutoCloseable journal;
  final List<BladeProcess> blades = new ArrayList<>();
  final List<String> nbd = new ArrayList<>();
  final List<String> mgmt = new ArrayList<>();

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  void start() throws Exception {
    int seed = freePort();
    for (int slot = 1; slot <= 4; slot++) {
      Path d = dir.resolve("blade" + slot);
      String disks = slot == 1 || slot == 4 ? "[]" : "[{ file = disk0.img, size = 32MiB }]";
      blades.add(BladeProcess.start("blade" + slot, d, """
          rackshare {
            blade { slot = %d, data-dir = "%s", disks = %s }
            oob { hostname = "127.0.0.1", port = %d }
            seed-nodes = ["127.0.0.1:%d"]
            nbd.port = 0
            management.port = 0
            manager.journal { url = "%s", user = "%s" }
            volumes = [{ name = m, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(2)/Disk(0)",
              "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
          }
          """.formatted(slot, d, disks, slot == 1 ? seed : freePort(), seed, journalUrl, journalUser)));
      // Blade 1 first, so that it is the oldest member and runs the first manager.
      if (slot == 1) awaitLog(blades.get(0), "global resource manager started");
    }
    for (BladeProcess b : blades) {
      Matcher m = READY.matcher(b.awaitLine("RACKSHARE READY", Duration.ofSeconds(120)));
      assertTrue(m.matches());
      nbd.add(m.group(2));
      mgmt.add(m.group(3));
    }
  }

  static void awaitLog(BladeProcess b, String text) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      if (b.lines().stream().anyMatch(l -> l.contains(text))) return;
      Thread.sleep(100); // polling another process's log
    }
    throw new AssertionError(b.name() + " never logged '" + text + "'");
  }

  static String http(String url) throws Exception {
    return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
        .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
  }

  static String sha256(Path p) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
  }

  @AfterEach
  void stop() throws Exception {
    for (BladeProcess b : blades) b.close();
    if (journal != null) journal.close();
  }

  @Test
  void withTheEmbeddedH2Journal() throws Exception {
    dir = TestDirs.fresh("ManagerFailoverIT-h2");
    JournalServer h2 = JournalServer.start(dir.resolve("journal"), 0);
    journal = h2;
    journalUrl = h2.url();
    journalUser = "sa";
    start();
    failover();
  }

  @Test
  void withPostgreSql() throws Exception {
    dir = TestDirs.fresh("ManagerFailoverIT-postgres");
    LocalPostgres pg = LocalPostgres.start(dir.resolve("db"));
    journal = pg;
    journalUrl = pg.url();
    journalUser = "rackshare";
    start();
    failover();
  }

  Optional<Long> recoveredEpoch(BladeProcess b) {
    return b.lines().stream().map(RECOVERED::matcher).filter(Matcher::matches)
        .map(m -> Long.parseLong(m.group(1))).reduce((a, x) -> x);
  }

  long journaledEvents() throws Exception {
    try (Connection c = DriverManager.getConnection(journalUrl, journalUser, "");
        ResultSet r = c.createStatement().executeQuery(
            "SELECT COUNT(*) FROM event_journal WHERE persistence_id = 'rackshare-manager'")) {
      r.next();
      return r.getLong(1);
    }
  }

  /** The manager's JVM dies under load; the next one recovers the map from the journal. */
  void failover() throws Exception {
    assertEquals(Optional.of(0L), recoveredEpoch(blades.get(0)), "the first manager started from an empty journal");
    // A change the blades must not forget: an operator fails blade 3's copy.
    Tool.run(T, "java", "-cp", System.getProperty("java.class.path"), "io.rackshare.node.RackshareCli", "fail",
        "--url", mgmt.get(3), "--volume", "m", "--device", "Rack(1)/Chassis(1)/Blade(3)/Disk(0)").ok();
    long events = journaledEvents();
    Matcher before = Pattern.compile("(?s).*map +epoch (\\d+),.*").matcher(Tool.run(T, "java", "-cp",
        System.getProperty("java.class.path"), "io.rackshare.node.RackshareCli", "status", "--url", mgmt.get(3)).ok().out());
    assertTrue(before.matches());
    long epochBefore = Long.parseLong(before.group(1));
    assertTrue(events >= 4, "registrations, the volume and the failure are in the journal: " + events);

    Path state = dir.resolve("fio");
    Files.createDirectories(state);
    List<String> fio = List.of("fio", "--name=m", "--ioengine=nbd", "--uri=" + nbd.get(3) + "m", "--rw=randwrite",
        "--bs=16k", "--iodepth=8", "--size=24M", "--rate=2m", "--verify=crc32c", "--verify_fatal=1",
        "--do_verify=1", "--verify_state_save=0");
    Process load = new ProcessBuilder(fio).directory(state.toFile()).redirectErrorStream(true)
        .redirectOutput(state.resolve("fio.log").toFile()).start();
    assertTrue(!load.waitFor(2, TimeUnit.SECONDS), "fio still writes when the manager dies");
    blades.get(0).kill();

    // The oldest blade left takes over and recovers from the journal, not from an empty state.
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    Optional<Long> recovered = Optional.empty();
    int next = 0;
    while (System.nanoTime() < deadline && recovered.isEmpty()) {
      for (int i = 1; i < 4 && recovered.isEmpty(); i++) {
        recovered = recoveredEpoch(blades.get(i));
        next = i + 1;
      }
      Thread.sleep(250); // polling other processes' logs
    }
    assertTrue(recovered.isPresent(), "a recovered manager runs:\n" + String.join("\n", blades.get(1).lines()));
    assertEquals(epochBefore, recovered.get(), "the map as it was when the manager died");
    assertTrue(load.waitFor(3, TimeUnit.MINUTES), "fio finished");
    assertEquals(0, load.exitValue(), "no client error: " + Files.readString(state.resolve("fio.log")));
    // It knew blade 3's copy was stale (it missed the writes since): when blade 3 registered with
    // it, the copy was resynchronised, not taken back as it was. The status names the new manager.
    String expectManager = "Rack(1)/Chassis(1)/Blade(" + next + ")";
    long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    String last = "";
    while (System.nanoTime() < until) {
      last = http(mgmt.get(2) + "/status");
      if (last.contains("\"manager\" : \"" + expectManager + "\"") && last.contains("\"health\" : \"OPTIMAL\"")) break;
      Thread.sleep(250); // polling another process's status
    }
    assertTrue(last.contains("\"health\" : \"OPTIMAL\""), java.time.LocalTime.now() + " " + last);
    Tool.Result status = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"),
        "io.rackshare.node.RackshareCli", "status", "--url", mgmt.get(2)).ok();
    assertTrue(status.out().contains("manager " + expectManager), status.out());
    assertEquals(sha256(dir.resolve("blade2/disk0.img")), sha256(dir.resolve("blade3/disk0.img")), "copies identical");
    assertTrue(journaledEvents() > events, "the new manager journals its own changes");
  }
}
