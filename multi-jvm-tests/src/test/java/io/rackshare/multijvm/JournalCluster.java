package io.rackshare.multijvm;

import io.rackshare.testkit.StatusPoller;
import io.rackshare.testkit.ReservedPorts;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.management.BladeStatus;
import io.rackshare.node.BladeProcess;
import io.rackshare.persistence.JournalDigest;
import io.rackshare.persistence.JournalServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Blade JVMs around one manager journal (an H2 server or a real PostgreSQL), for the failover,
 * hand-off and restart tests and the takeover benchmark. Blades 1 to 4; blades 2 and 3 hold the
 * disks of a raid1 volume {@code m}, blades 1 and 4 none. The seed nodes are listed in the order
 * the blades first start, so that the first to start forms the cluster.
 */
final class JournalCluster implements AutoCloseable {

  static final Pattern READY = Pattern.compile("RACKSHARE READY .* epoch=(\\d+) .* nbd=(\\S+) mgmt=(\\S+) .*");
  static final ObjectMapper JSON = io.rackshare.testkit.StatusPoller.JSON;

  final Path dir;
  final String journalUrl;
  final String journalUser;
  final String journalPassword;
  /** The password in a file, as an operator's CLI names it ({@code --password-file}). */
  final Path journalPasswordFile;
  final String policy;
  final String routing;
  final List<Integer> seedOrder;
  private final AutoCloseable journal;
  private final ReservedPorts ports = new ReservedPorts(4);
  final Map<Integer, BladeProcess> blades = new TreeMap<>();
  final Map<Integer, String> nbd = new TreeMap<>();
  final Map<Integer, String> mgmt = new TreeMap<>();

  private JournalCluster(Path dir, AutoCloseable journal, String url, String user, String password, String policy,
      String routing,
      List<Integer> seedOrder) throws Exception {
    this.dir = dir;
    this.journal = journal;
    this.journalUrl = url;
    this.journalUser = user;
    this.journalPassword = password;
    this.journalPasswordFile = dir.resolve("journal-password");
    java.nio.file.Files.createDirectories(dir);
    java.nio.file.Files.writeString(journalPasswordFile, password + "\n");
    this.policy = policy;
    this.routing = routing;
    this.seedOrder = seedOrder;
  }

  /** {@code journalKind}: "h2" (a journal server that outlives the blades) or "postgres". */
  static JournalCluster create(Path dir, String journalKind, String policy, String routing, List<Integer> seedOrder)
      throws Exception {
    if (journalKind.equals("h2")) {
      JournalServer h2 = JournalServer.start(dir.resolve("journal"), 0);
      return new JournalCluster(dir, h2, h2.url(), h2.user(), h2.password(), policy, routing, seedOrder);
    }
    LocalPostgres pg = LocalPostgres.start(dir.resolve("db"));
    return new JournalCluster(dir, pg, pg.url(), "rackshare", "", policy, routing, seedOrder);
  }

  Path bladeDir(int slot) {
    return dir.resolve("blade" + slot);
  }

  /** Starts blade {@code slot}'s JVM (again, with the same data directory, after a stop). */
  BladeProcess start(int slot) throws Exception {
    String disks = slot == 2 || slot == 3 ? "[{ file = disk0.img, size = 32MiB }]" : "[]";
    ports.release(slot);
    String seeds = seedOrder.stream().map(s -> "\"127.0.0.1:" + ports.port(s) + "\"").collect(Collectors.joining(", "));
    BladeProcess b = BladeProcess.start("blade" + slot, bladeDir(slot), """
        rackshare {
          blade { slot = %d, data-dir = "%s", disks = %s }
          oob { hostname = "127.0.0.1", port = %d }
          seed-nodes = [%s]
          nbd.port = 0
          management.port = 0
          access.routing = %s
          manager.nomination = %s
          manager.journal { url = "%s", user = "%s", password = "%s" }
          volumes = [{ name = m, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(2)/Disk(0)",
            "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
        }
        """.formatted(slot, bladeDir(slot), disks, ports.port(slot), seeds, routing, policy, journalUrl, journalUser,
            journalPassword),
        TestCa.get());
    blades.put(slot, b);
    return b;
  }

  /** Waits for blade {@code slot} to serve its volumes; notes its NBD and management URLs. */
  void awaitReady(int slot) throws Exception {
    Matcher m = READY.matcher(blades.get(slot).awaitLine("RACKSHARE READY", Duration.ofSeconds(120)));
    if (!m.matches()) throw new AssertionError("unexpected ready line from blade " + slot);
    nbd.put(slot, m.group(2));
    mgmt.put(slot, m.group(3));
  }

  /** Waits for blade {@code slot} to log {@code text}. */
  void awaitLog(int slot, String text) throws Exception {
    BladeProcess b = blades.get(slot);
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      if (b.lines().stream().anyMatch(l -> l.contains(text))) return;
      if (!b.isAlive()) throw new AssertionError(b.name() + " exited:\n" + String.join("\n", b.lines()));
      Thread.sleep(100); // polling another process's log
    }
    throw new AssertionError(b.name() + " never logged '" + text + "'");
  }

  static String sha256(Path p) throws Exception {
    return java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(java.nio.file.Files.readAllBytes(p)));
  }

  static String blade(int slot) {
    return "Rack(1)/Chassis(1)/Blade(" + slot + ")";
  }

  BladeStatus status(int slot) throws Exception {
    return StatusPoller.fetch(mgmt.get(slot));
  }

  /** Polls blade {@code slot}'s status until {@code p} holds; fails with the last status. */
  BladeStatus await(int slot, String what, Predicate<BladeStatus> p, Duration timeout) throws Exception {
    return StatusPoller.await("blade " + slot, () -> status(slot), what, p, timeout);
  }

  JournalDigest.Result journal() throws Exception {
    return JournalDigest.read(journalUrl, journalUser, journalPassword, Duration.ofSeconds(60));
  }

  long journaledEvents() throws Exception {
    try (Connection c = DriverManager.getConnection(journalUrl, journalUser, journalPassword);
        ResultSet r = c.createStatement().executeQuery(
            "SELECT COUNT(*) FROM event_journal WHERE persistence_id = 'rackshare-manager'")) {
      r.next();
      return r.getLong(1);
    }
  }

  /**
   * Waits until every running blade routes with the journal's map: same digest as the journal's
   * fold. Returns the journal's result.
   */
  JournalDigest.Result awaitDigestsMatchJournal(Duration timeout) throws Exception {
    Map<Integer, java.util.concurrent.Callable<BladeStatus>> running = new TreeMap<>();
    for (int slot : blades.keySet()) if (blades.get(slot).isAlive()) running.put(slot, () -> status(slot));
    return BladeStatuses.awaitDigestsMatch(this::journal, running, timeout);
  }

  @Override
  public void close() throws Exception {
    ports.close();
    for (BladeProcess b : blades.values()) b.close();
    if (journal != null) journal.close();
  }
}
