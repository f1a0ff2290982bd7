package io.rackshare.multijvm;

import io.rackshare.testkit.StatusPoller;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.management.BladeStatus;
import io.rackshare.node.BladeProcess;
import io.rackshare.node.DemoCluster;
import io.rackshare.persistence.JournalDigest;
import io.rackshare.persistence.JournalServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo's cluster ({@link DemoCluster}: span, raid0, raid1, raid5 and raid10 with hot spares
 * over blades 1-4) as real JVMs around an H2 journal server, for the failure tests and the chaos
 * soak. Every blade binds its own ports (0: no port is picked in advance, so none can be taken
 * meanwhile) and joins through the blades already up, which it learns from their {@code
 * RACKSHARE UP} line.
 */
final class DemoBlades implements AutoCloseable {

  static final Pattern UP = Pattern.compile("RACKSHARE UP blade=\\S+ oob=(\\S+)");
  static final Pattern READY = Pattern.compile("RACKSHARE READY .* epoch=(\\d+) .* nbd=(\\S+) mgmt=(\\S+) .*");
  static final ObjectMapper JSON = StatusPoller.JSON;
  static final Duration T = Duration.ofMinutes(2);

  final Path dir;
  final int count;
  final int diskMib;
  final String rebuildRate;
  final java.util.function.IntFunction<String> extra;
  final JournalServer journal;
  final Map<Integer, BladeProcess> blades = new TreeMap<>();
  final Map<Integer, String> oob = new TreeMap<>();
  final Map<Integer, String> nbd = new TreeMap<>();
  final Map<Integer, String> mgmt = new TreeMap<>();

  /** {@code extra}: HOCON inside {@code rackshare} for every blade. */
  DemoBlades(Path dir, int count, int diskMib, String rebuildRate, String extra) {
    this(dir, count, diskMib, rebuildRate, slot -> extra);
  }

  /** {@code extra}: HOCON inside {@code rackshare} for each blade, by slot (after the demo's, so it may override it). */
  DemoBlades(Path dir, int count, int diskMib, String rebuildRate, java.util.function.IntFunction<String> extra) {
    this.dir = dir;
    this.count = count;
    this.diskMib = diskMib;
    this.rebuildRate = rebuildRate;
    this.extra = extra;
    this.journal = JournalServer.start(dir.resolve("journal"), 0);
  }

  /**
   * Starts every blade and waits until all serve their volumes: blade 1 first (it forms the
   * cluster and, nominated by the lowest slot, runs the manager), then the others at once, each
   * joining through blade 1.
   */
  void startAll() throws Exception {
    start(1);
    awaitUp(1);
    for (int slot = 2; slot <= count; slot++) start(slot);
    for (int slot = 2; slot <= count; slot++) awaitUp(slot);
    for (int slot = 1; slot <= count; slot++) awaitReady(slot);
  }

  Path bladeDir(int slot) {
    return dir.resolve("blade" + slot);
  }

  /** Blade {@code slot}'s operator token (which it made in its data directory), for management changes. */
  String operatorToken(int slot) throws java.io.IOException {
    return java.nio.file.Files.readAllLines(bladeDir(slot).resolve("operator-token")).get(0).trim();
  }

  /** Starts blade {@code slot}'s JVM (again, on the same disks, after a kill), joining through the living. */
  BladeProcess start(int slot) throws Exception {
    List<String> seeds = new ArrayList<>();
    blades.forEach((s, b) -> {
      if (s != slot && b.isAlive() && oob.containsKey(s)) seeds.add(oob.get(s));
    });
    oob.remove(slot);
    nbd.remove(slot);
    mgmt.remove(slot);
    // Keep the last incarnation's log for whoever reads a failed run.
    Path log = bladeDir(slot).resolve("node.log");
    if (Files.exists(log)) {
      int n = 1;
      while (Files.exists(bladeDir(slot).resolve("node.log." + n))) n++;
      Files.move(log, bladeDir(slot).resolve("node.log." + n));
    }
    BladeProcess b = BladeProcess.start("blade" + slot, bladeDir(slot), DemoCluster.node(slot, bladeDir(slot), diskMib,
        0, seeds, 0, 0, rebuildRate, journal.hocon(), extra.apply(slot)), TestCa.get());
    blades.put(slot, b);
    return b;
  }

  /** Waits until blade {@code slot} is a member of the cluster; notes its OOB address. */
  void awaitUp(int slot) throws Exception {
    Matcher m = UP.matcher(blades.get(slot).awaitLine("RACKSHARE UP", T));
    if (!m.find()) throw new AssertionError("unexpected UP line from blade " + slot);
    oob.put(slot, m.group(1));
  }

  /** Waits until blade {@code slot} serves its volumes; notes its NBD and management URLs. */
  void awaitReady(int slot) throws Exception {
    Matcher m = READY.matcher(blades.get(slot).awaitLine("RACKSHARE READY", T));
    if (!m.matches()) throw new AssertionError("unexpected ready line from blade " + slot);
    nbd.put(slot, m.group(2));
    mgmt.put(slot, m.group(3));
  }

  void kill(int slot) throws Exception {
    blades.get(slot).kill();
  }

  boolean alive(int slot) {
    return blades.containsKey(slot) && blades.get(slot).isAlive();
  }

  String uri(int slot, String volume) {
    return nbd.get(slot) + volume;
  }

  Path disk(int slot, int index) {
    return bladeDir(slot).resolve("disk" + index + ".img");
  }

  static String blade(int slot) {
    return "Rack(1)/Chassis(1)/Blade(" + slot + ")";
  }

  static String device(int slot, int index) {
    return blade(slot) + "/Disk(" + index + ")";
  }

  static String sha256(Path p) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
  }

  BladeStatus status(int slot) throws Exception {
    return StatusPoller.fetch(mgmt.get(slot));
  }

  static BladeStatus.Volume volume(BladeStatus s, String name) {
    return s.volumes().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
  }

  /** Polls blade {@code slot}'s status until {@code p} holds; fails with the last status. */
  BladeStatus await(int slot, String what, Predicate<BladeStatus> p, Duration timeout) throws Exception {
    return StatusPoller.await("blade " + slot, () -> status(slot), what, p, timeout);
  }

  JournalDigest.Result journalDigest() throws Exception {
    return JournalDigest.read(journal.url(), journal.user(), journal.password(), Duration.ofSeconds(60));
  }

  /** Waits until every running blade's map has the journal's digest; returns the journal's fold. */
  JournalDigest.Result awaitDigestsMatchJournal(Duration timeout) throws Exception {
    Map<Integer, java.util.concurrent.Callable<BladeStatus>> running = new TreeMap<>();
    for (int slot : blades.keySet()) if (alive(slot) && mgmt.containsKey(slot)) running.put(slot, () -> status(slot));
    return BladeStatuses.awaitDigestsMatch(this::journalDigest, running, timeout);
  }

  @Override
  public void close() throws Exception {
    for (BladeProcess b : blades.values()) b.terminate();
    for (BladeProcess b : blades.values()) b.close();
    journal.close();
  }
}
