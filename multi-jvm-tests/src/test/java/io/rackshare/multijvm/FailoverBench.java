package io.rackshare.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.rackshare.management.BladeStatus;
import io.rackshare.testkit.Medians;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The takeover benchmark ({@code bench/failover.sh}): for each routing mode, the demo's 4-blade
 * cluster on the H2 journal server, a client doing 4 KiB random reads and writes at queue depth 1
 * to raid1 through blade 4's NBD export (fio), and blade 1 killed (SIGKILL) in the middle: it runs
 * the manager and holds one of raid1's copies. Measured:
 *
 * <ul>
 *   <li>takeover: from the kill to blade 4 naming a new manager (which announces itself once it
 *       has recovered and accepts changes), polled every 20 ms;
 *   <li>the manager's own part of it: its recovery time and the events it replayed;
 *   <li>the client's stall: fio's largest completion latency (read or write).
 * </ul>
 *
 * Rounds alternate the modes; the medians go to {@code target/failover-bench.md}. Not part of
 * the test suite (it runs only with {@code -Drackshare.bench=true}).
 */
@EnabledIfSystemProperty(named = "rackshare.bench", matches = "true")
class FailoverBench {

  static final Duration T = Duration.ofMinutes(3);

  record Sample(String routing, double takeoverMs, double recoveryMs, long replayed, double maxReadMs,
      double maxWriteMs, double p50Ms, long ios) {}

  @Test
  void takeoverAndStall() throws Exception {
    int rounds = Integer.getInteger("rackshare.bench.rounds", 3);
    List<Sample> samples = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      for (String routing : List.of("local-maps", "manager-proxy")) {
        Sample s = once(routing, round);
        System.out.println("FAILOVER-BENCH " + s);
        samples.add(s);
      }
    }
    StringBuilder md = new StringBuilder();
    md.append("| routing | takeover (kill → manager accepts changes) | manager recovery | events replayed "
        + "| client's longest I/O (the stall) | 4K QD1 p50 |\n");
    md.append("|---|---|---|---|---|---|\n");
    for (String routing : List.of("local-maps", "manager-proxy")) {
      List<Sample> r = samples.stream().filter(s -> s.routing().equals(routing)).toList();
      // At queue depth 1 the stall falls on whichever request was out: a read or a write.
      md.append(String.format(Locale.ROOT, "| %s | %.0f ms | %.0f ms | %d | %.0f ms | %.2f ms |%n", routing,
          Medians.of(r.stream().map(Sample::takeoverMs).toList()), Medians.of(r.stream().map(Sample::recoveryMs).toList()),
          (long) Medians.of(r.stream().map(s -> (double) s.replayed()).toList()),
          Medians.of(r.stream().map(s -> Math.max(s.maxReadMs(), s.maxWriteMs())).toList()),
          Medians.of(r.stream().map(Sample::p50Ms).toList())));
    }
    md.append(String.format(Locale.ROOT, "%nMedians of %d rounds per mode; every sample:%n%n", rounds));
    for (Sample s : samples) md.append("- ").append(s).append('\n');
    Path out = Path.of("target", "failover-bench.md");
    Files.writeString(out, md.toString());
    System.out.println(md);
  }

  Sample once(String routing, int round) throws Exception {
    Path dir = TestDirs.fresh("FailoverBench-" + routing + "-" + round);
    // The demo's cluster: blade 1 starts first, runs the manager and holds a copy of every
    // redundant volume; the client uses raid1 through blade 4.
    try (DemoBlades cluster = new DemoBlades(dir, 4, 32, "64MiB", "access.routing = " + routing)) {
      cluster.startAll();
      BladeStatus first = cluster.await(4, "blade 1 runs the manager, a backup is named",
          s -> s.manager().equals(DemoBlades.blade(1)) && !s.backup().isEmpty(), T);
      int backup = Integer.parseInt(first.backup().replaceAll(".*Blade\\((\\d+)\\)", "$1"));
      long journaled = cluster.journalDigest().sequenceNr();
      cluster.await(backup, "the backup has snapshotted the journal",
          s -> s.backupFollowing() != null && s.backupFollowing().snapshotSequenceNr() >= journaled, T);

      Path fioOut = dir.resolve("fio.json");
      Process fio = new ProcessBuilder("fio", "--name=stall", "--ioengine=nbd", "--uri=" + cluster.uri(4, "raid1"),
          "--rw=randrw", "--bs=4k", "--iodepth=1", "--size=16M", "--time_based", "--runtime=20",
          "--output-format=json", "--output=" + fioOut)
          .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("fio.log").toFile()).start();
      if (fio.waitFor(6, TimeUnit.SECONDS)) throw new AssertionError("fio ended early: " + Files.readString(dir.resolve("fio.log")));
      long killed = System.nanoTime();
      cluster.kill(1);
      BladeStatus taken = null;
      int manager = 0;
      while (System.nanoTime() - killed < T.toNanos()) {
        try {
          BladeStatus s = cluster.status(4);
          if (!s.manager().isEmpty() && !s.manager().equals(DemoBlades.blade(1))) {
            manager = Integer.parseInt(s.manager().replaceAll(".*Blade\\((\\d+)\\)", "$1"));
            taken = s;
            break;
          }
        } catch (Exception e) {
          // the endpoint is busy; poll again
        }
        Thread.sleep(20); // polling another process's status
      }
      double takeoverMs = (System.nanoTime() - killed) / 1e6;
      if (taken == null) throw new AssertionError("no takeover within " + T);
      BladeStatus onManager = cluster.status(manager);
      if (onManager.managerRecovery() == null) throw new AssertionError("blade " + manager + " runs no manager");
      if (!fio.waitFor(2, TimeUnit.MINUTES)) throw new AssertionError("fio did not end");
      if (fio.exitValue() != 0) throw new AssertionError("fio failed: " + Files.readString(dir.resolve("fio.log")));
      JsonNode job = JournalCluster.JSON.readTree(fioOut.toFile()).get("jobs").get(0);
      double maxRead = job.get("read").get("clat_ns").get("max").asDouble() / 1e6;
      double maxWrite = job.get("write").get("clat_ns").get("max").asDouble() / 1e6;
      double p50 = job.get("read").get("clat_ns").get("percentile").get("50.000000").asDouble() / 1e6;
      long ios = job.get("read").get("total_ios").asLong() + job.get("write").get("total_ios").asLong();
      return new Sample(routing, takeoverMs, onManager.managerRecovery().recoveryMillis(),
          onManager.managerRecovery().replayedEvents(), maxRead, maxWrite, p50, ios);
    }
  }
}
