package io.rackshare.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rackshare.management.BladeStatus;
import io.rackshare.testkit.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The chaos run ({@code bench/chaos.sh} for the soak; a short slice in the suite): the demo's four
 * disk blades and a fifth that only uses volumes, on the H2 journal. Each cycle kills one blade with
 * SIGKILL (the manager's blade every third cycle, a random one otherwise) while fio writes with
 * crc32c verification to raid1, raid5 and raid10 at once through a blade that survives; waits until
 * the dead blade's volumes are degraded or rebuilding; starts it again; waits until every redundant
 * volume is whole. After every cycle fio's saved verify state is checked through a third blade.
 *
 * <p>Expected: no client error, no verify failure, the copies identical at the end (sha256 of the
 * mirror members, RAID-5 parity), every blade's map digest equal to the journal's. Each cycle's
 * victim, client errors, the longest I/O and the bytes rebuilt go to {@code
 * target/chaos.md}. {@code -Drackshare.chaos.cycles} (1 in the suite) and {@code -Drackshare.chaos.seed} set
 * the run.
 */
class ChaosIT {

  static final Duration T = Duration.ofMinutes(3);
  static final List<String> REDUNDANT = List.of("raid1", "raid5", "raid10");
  static final Pattern REBUILT = Pattern.compile("rebuilt (\\S+) of '(\\w+)': (\\d+) KiB in (\\d+) ms");

  record Cycle(int n, int victim, boolean manager, int client, int fioExit, int verifyExit, double longestMs,
      long rebuiltKiB, double cycleSeconds) {}

  DemoBlades cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  @Test
  void killAndRestartBladesUnderVerifiedWrites() throws Exception {
    int cycles = Integer.getInteger("rackshare.chaos.cycles", Boolean.getBoolean("rackshare.it.all") ? 4 : 1);
    long seed = Long.getLong("rackshare.chaos.seed", System.nanoTime());
    System.out.println("CHAOS " + cycles + " cycles, seed " + seed);
    Random random = new Random(seed);
    Path dir = TestDirs.fresh(ChaosIT.class);
    cluster = new DemoBlades(dir, 5, 32, "128MiB", "");
    cluster.startAll();
    awaitWhole(5);
    Set<String> seen = new HashSet<>();
    rebuiltSince(seen); // the initial builds are not a cycle's
    List<Cycle> done = new ArrayList<>();
    for (int n = 1; n <= cycles; n++) {
      Cycle c = cycle(n, random, seen, dir);
      done.add(c);
      System.out.println("CHAOS " + c);
      // Written after every cycle: a soak that stops at a failure still shows the cycles before it.
      Files.writeString(Path.of("target", "chaos.md"), table(done, seed));
      assertEquals(0, c.fioExit(), "cycle " + n + ": a client error (see " + dir.resolve("cycle" + n) + ")");
      assertEquals(0, c.verifyExit(), "cycle " + n + ": a verify failure (see " + dir.resolve("cycle" + n) + ")");
    }

    // The copies are identical: the mirrors' members and RAID-5 parity, on the files.
    BladeStatus s = cluster.status(5);
    for (String v : List.of("raid1", "raid10")) {
      List<BladeStatus.MemberStatus> m = DemoBlades.volume(s, v).members();
      for (int i = 0; i + 1 < m.size(); i += 2) {
        assertEquals(DemoBlades.sha256(file(m.get(i).device())), DemoBlades.sha256(file(m.get(i + 1).device())),
            v + ": " + m.get(i).device() + " and " + m.get(i + 1).device());
      }
    }
    Parity.assertConsistent(DemoBlades.volume(s, "raid5").members().stream().map(m -> file(m.device())).toList(),
        64 * 1024);
    cluster.awaitDigestsMatchJournal(Duration.ofSeconds(60));
  }

  Cycle cycle(int n, Random random, Set<String> seen, Path dir) throws Exception {
    long started = System.nanoTime();
    int manager = slot(cluster.status(5).manager());
    boolean killManager = n % 3 == 1;
    int victim = killManager ? manager : 1 + random.nextInt(5);
    List<Integer> others = new ArrayList<>();
    for (int slot = 1; slot <= 5; slot++) if (slot != victim) others.add(slot);
    int client = others.get(random.nextInt(others.size()));
    others.remove(Integer.valueOf(client));
    int checker = others.get(random.nextInt(others.size()));

    Path state = dir.resolve("cycle" + n);
    Files.createDirectories(state);
    List<String> fio = new ArrayList<>(List.of("fio", "--ioengine=nbd", "--rw=randwrite", "--bsrange=4k-64k",
        "--iodepth=4", "--size=16M", "--rate=2m", "--verify=crc32c", "--verify_backlog=32", "--verify_fatal=1",
        "--do_verify=1", "--verify_state_save=1", "--randseed=" + random.nextInt(1 << 30), "--output-format=json",
        "--output=" + state.resolve("fio.json")));
    for (String v : REDUNDANT) fio.addAll(List.of("--name=" + v, "--uri=" + cluster.uri(client, v)));
    Process writes = new ProcessBuilder(fio).directory(state.toFile()).redirectErrorStream(true)
        .redirectOutput(state.resolve("fio.log").toFile()).start();
    if (writes.waitFor(2 + random.nextInt(3), TimeUnit.SECONDS)) {
      throw new AssertionError("fio ended before the kill: " + Files.readString(state.resolve("fio.log")));
    }
    cluster.kill(victim);
    if (victim <= 4) {
      // Its volumes degrade (or rebuild onto a spare) once a request meets the dead copies.
      cluster.await(client, "blade " + victim + "'s volumes degraded or rebuilding", st -> REDUNDANT.stream()
          .allMatch(v -> !DemoBlades.volume(st, v).health().equals("OPTIMAL")
              || DemoBlades.volume(st, v).members().stream().noneMatch(m -> m.device().startsWith(DemoBlades.blade(victim)))),
          T);
    }
    if (!writes.waitFor(3, TimeUnit.MINUTES)) throw new AssertionError("fio did not finish");
    int fioExit = writes.exitValue();
    double longest = longest(state.resolve("fio.json"));

    // Every write fio was told is done reads back right, through a third blade.
    List<String> verify = new ArrayList<>(List.of("fio", "--ioengine=nbd", "--rw=randwrite", "--bsrange=4k-64k",
        "--iodepth=4", "--size=16M", "--verify=crc32c", "--verify_fatal=1", "--verify_only", "--verify_state_load=1"));
    for (String v : REDUNDANT) verify.addAll(List.of("--name=" + v, "--uri=" + cluster.uri(checker, v)));
    int verifyExit = Tool.run(T, Map.of(), verify, state).exit();

    cluster.start(victim);
    cluster.awaitUp(victim);
    cluster.awaitReady(victim);
    awaitWhole(client);
    return new Cycle(n, victim, victim == manager, client, fioExit, verifyExit, longest, rebuiltSince(seen),
        (System.nanoTime() - started) / 1e9);
  }

  /** Every redundant volume OPTIMAL with no rebuild running, as blade {@code slot} sees it. */
  void awaitWhole(int slot) throws Exception {
    cluster.await(slot, "every redundant volume whole", st -> REDUNDANT.stream().allMatch(v ->
        DemoBlades.volume(st, v).health().equals("OPTIMAL") && DemoBlades.volume(st, v).rebuilds().isEmpty()), T);
  }

  /** KiB that rebuilds logged since the last call, on every blade (each line counted once). */
  long rebuiltSince(Set<String> seen) throws Exception {
    long kib = 0;
    for (int slot = 1; slot <= 5; slot++) {
      for (String line : cluster.blades.get(slot).lines()) {
        Matcher m = REBUILT.matcher(line);
        if (m.find() && seen.add(slot + " " + line)) kib += Long.parseLong(m.group(3));
      }
    }
    return kib;
  }

  Path file(String device) {
    Matcher m = Pattern.compile("Blade\\((\\d+)\\)/Disk\\((\\d+)\\)").matcher(device);
    if (!m.find()) throw new IllegalArgumentException(device);
    return cluster.disk(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
  }

  static int slot(String blade) {
    return Integer.parseInt(blade.replaceAll(".*Blade\\((\\d+)\\)", "$1"));
  }

  static double longest(Path json) throws Exception {
    double ms = 0;
    if (!Files.exists(json)) return -1;
    for (JsonNode job : DemoBlades.JSON.readTree(json.toFile()).get("jobs")) {
      for (String d : List.of("read", "write")) ms = Math.max(ms, job.get(d).get("clat_ns").get("max").asDouble() / 1e6);
    }
    return ms;
  }

  static String table(List<Cycle> cycles, long seed) {
    StringBuilder b = new StringBuilder();
    long errors = cycles.stream().filter(c -> c.fioExit() != 0).count();
    long verifyFailures = cycles.stream().filter(c -> c.verifyExit() != 0).count();
    double longest = cycles.stream().mapToDouble(Cycle::longestMs).max().orElse(0);
    long managers = cycles.stream().filter(Cycle::manager).count();
    b.append(String.format(Locale.ROOT, "%d cycles (seed %d): %d with the manager's blade killed, %d client errors,"
        + " %d verify failures, longest I/O %.0f ms, %.1f MiB rebuilt in all.%n%n", cycles.size(), seed, managers,
        errors, verifyFailures, longest, cycles.stream().mapToLong(Cycle::rebuiltKiB).sum() / 1024.0));
    b.append("| cycle | killed | manager's blade | client via | client errors | verify failures | longest I/O | rebuilt | cycle time |\n");
    b.append("|---|---|---|---|---|---|---|---|---|\n");
    for (Cycle c : cycles) {
      b.append(String.format(Locale.ROOT, "| %d | blade %d | %s | blade %d | %d | %d | %.0f ms | %.1f MiB | %.0f s |%n",
          c.n(), c.victim(), c.manager() ? "yes" : "", c.client(), c.fioExit() == 0 ? 0 : 1, c.verifyExit() == 0 ? 0 : 1,
          c.longestMs(), c.rebuiltKiB() / 1024.0, c.cycleSeconds()));
    }
    return b.toString();
  }
}
