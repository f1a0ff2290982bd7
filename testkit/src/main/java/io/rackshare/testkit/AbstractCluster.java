package io.rackshare.testkit;

import io.rackshare.management.BladeStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/** What both kinds of cluster share: the awaits, on top of each blade's status. */
abstract class AbstractCluster implements RackshareCluster {

  /** How long a blade may take to start and serve its volumes. */
  static final Duration START = Duration.ofSeconds(120);

  final ClusterSpec spec;
  final Path dir;
  /** Blades partitioned and not healed: they are running, but the awaits do not ask them. */
  final Set<Integer> partitioned = new TreeSet<>();

  /** The manager's journal, when the spec asks for one ({@link #startJournal}). */
  io.rackshare.persistence.JournalServer journal;

  AbstractCluster(ClusterSpec spec, Path dir) {
    this.spec = spec;
    this.dir = dir.toAbsolutePath();
  }

  /** Starts the journal server the spec asks for, reachable at {@code address} (null: loopback). */
  void startJournal(String address) {
    if (spec.journal()) journal = io.rackshare.persistence.JournalServer.start(dir.resolve("journal"), 0, address);
  }

  /** The journal's settings inside {@code rackshare} ("" without a journal). */
  String journalHocon() {
    return journal == null ? "" : "rackshare { " + journal.hocon() + " }\n";
  }

  /** Stops the journal server, after the blades. */
  void closeJournal() {
    if (journal != null) journal.close();
  }

  /** Starts every blade and creates the pooled volumes. */
  abstract void start() throws Exception;

  @Override
  public ClusterSpec spec() {
    return spec;
  }

  @Override
  public Path dir() {
    return dir;
  }

  @Override
  public Path dataDir(int slot) {
    return dir.resolve("blade" + slot);
  }

  /** The running blades that are not cut off: those whose view the awaits check. */
  List<Integer> reachable() {
    List<Integer> r = new ArrayList<>(running());
    r.removeAll(partitioned);
    return r;
  }

  /** Every reachable blade's status, by slot. */
  Map<Integer, BladeStatus> statuses() throws Exception {
    Map<Integer, BladeStatus> all = new TreeMap<>();
    for (int slot : reachable()) all.put(slot, status(slot));
    return all;
  }

  /** Polls every reachable blade's status until {@code each} holds for all of them (and there is one). */
  Map<Integer, BladeStatus> awaitAll(String what, Predicate<BladeStatus> each, Duration deadline) throws Exception {
    return StatusPoller.awaitValue("blades " + reachable(), this::statuses, what,
        all -> !all.isEmpty() && all.values().stream().allMatch(each), deadline);
  }

  /** Waits until every reachable blade names the same running blade by {@code role}; returns its slot. */
  private int awaitSame(String what, Function<BladeStatus, String> role, Predicate<Integer> allowed, Duration deadline)
      throws Exception {
    Map<Integer, BladeStatus> all = StatusPoller.awaitValue("blades " + reachable(), this::statuses,
        "every blade names the same " + what, s -> {
          Set<String> named = new TreeSet<>();
          for (BladeStatus b : s.values()) named.add(String.valueOf(role.apply(b)));
          if (s.isEmpty() || named.size() != 1) return false;
          int slot = ClusterSpec.slotOf(named.iterator().next());
          return slot > 0 && reachable().contains(slot) && allowed.test(slot);
        }, deadline);
    return ClusterSpec.slotOf(role.apply(all.values().iterator().next()));
  }

  @Override
  public int awaitManager(Duration deadline) throws Exception {
    return awaitSame("manager", BladeStatus::manager, s -> true, deadline);
  }

  @Override
  public int awaitBackup(Duration deadline) throws Exception {
    return awaitSame("live backup (apart from the manager)", BladeStatus::backup,
        s -> {
          try {
            return ClusterSpec.slotOf(status(s).manager()) != s;
          } catch (Exception e) {
            return false;
          }
        }, deadline);
  }

  @Override
  public void awaitVolumeHealth(String volume, String health, Duration deadline) throws Exception {
    awaitAll("volume '" + volume + "' is " + health,
        s -> volume(s, volume) != null && health.equals(volume(s, volume).health()), deadline);
  }

  @Override
  public void awaitRebuilt(String volume, Duration deadline) throws Exception {
    Set<Integer> down = new TreeSet<>(spec.slots());
    down.removeAll(reachable());
    awaitAll("volume '" + volume + "' is rebuilt: OPTIMAL, every member ACTIVE, no rebuild running, no member on "
        + "blades " + down, s -> {
          BladeStatus.Volume v = volume(s, volume);
          return v != null && "OPTIMAL".equals(v.health()) && v.rebuilds().isEmpty()
              && v.members().stream().allMatch(m -> "ACTIVE".equals(m.state())
                  && !down.contains(ClusterSpec.slotOf(m.device())));
        }, deadline);
  }

  @Override
  public String awaitLogLine(int slot, String text, Duration deadline) throws Exception {
    known(slot);
    java.util.Optional<String> line = StatusPoller.awaitValue("blade " + slot + "'s log " + log(slot), () -> {
      if (!running().contains(slot)) throw new IllegalStateException("blade " + slot + " is not running");
      if (!java.nio.file.Files.exists(log(slot))) return java.util.Optional.<String>empty();
      try (java.util.stream.Stream<String> lines = java.nio.file.Files.lines(log(slot),
          java.nio.charset.StandardCharsets.UTF_8)) {
        return lines.filter(l -> l.contains(text)).findFirst();
      }
    }, "a line containing '" + text + "'", java.util.Optional::isPresent, deadline);
    return line.orElseThrow();
  }

  /** {@code name} in {@code s}, or null. */
  static BladeStatus.Volume volume(BladeStatus s, String name) {
    return s.volumes().stream().filter(v -> v.name().equals(name)).findFirst().orElse(null);
  }

  /** Fails unless {@code slot} is a blade of the spec. */
  void known(int slot) {
    if (!spec.blades().containsKey(slot)) {
      throw new IllegalArgumentException("blade " + slot + " is not in the cluster (slots " + spec.slots() + ")");
    }
  }
}
