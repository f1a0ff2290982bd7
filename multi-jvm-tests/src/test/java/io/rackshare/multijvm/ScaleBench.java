package io.rackshare.multijvm;

import io.rackshare.management.BladeStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * How the cluster grows ({@code bench/scale.sh}): the demo's cluster with 4, 8 and 16 blades (the
 * seed's 16-blade example, Figure 10a; blades beyond the fourth share no disk), started one after
 * another on the H2 journal. Measured for each size:
 *
 * <ul>
 *   <li>time to ready: from the first blade's start to every blade serving its volumes;
 *   <li>a map broadcast: an operator fails a raid1 member; from the manager's log line of the
 *       failure to the last blade's log line storing the new epoch (one host, one clock: the logs'
 *       millisecond timestamps), and as a poller sees it, until every blade's {@code GET /status}
 *       shows the new epoch (each blade polled every 100 ms on a thread of its own);
 *   <li>the takeover: blade 1 (the manager, with a copy of every redundant volume) killed with
 *       SIGKILL; the time until the new manager logs that it started (it has recovered and accepts
 *       changes), until every blade logs that it knows, and until a poller of one blade's status
 *       sees it.
 * </ul>
 *
 * Rounds per size ({@code -Drackshare.bench.rounds}, 1) go to {@code target/scale-bench.md}. Not part
 * of the suite (only with {@code -Drackshare.bench=true}).
 */
@EnabledIfSystemProperty(named = "rackshare.bench", matches = "true")
class ScaleBench {

  static final Duration T = Duration.ofMinutes(4);

  /**
   * Times from the blades' logs (one host, one clock) and, for comparison, as a poller of {@code
   * GET /status} sees them: the poller's numbers carry its own HTTP and the scheduling of 16 JVMs
   * on two cores (up to seconds at 16 blades), the logs' do not.
   */
  record Sample(int blades, double readyS, double broadcastMs, double polledBroadcastMs, double takeoverMs,
      double everyBladeMs, double polledTakeoverMs) {}

  @Test
  void timeToReadyBroadcastAndTakeoverAt4And8And16Blades() throws Exception {
    int rounds = Integer.getInteger("rackshare.bench.rounds", 1);
    List<Sample> samples = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      for (int n : List.of(4, 8, 16)) {
        Sample s = once(n, round);
        System.out.println("SCALE-BENCH " + s);
        samples.add(s);
      }
    }
    StringBuilder md = new StringBuilder("| blades | time to ready | map broadcast (manager's event → every blade"
        + " stores it) | the same, polled | takeover (kill → the new manager accepts changes) | kill → every blade"
        + " knows it | the takeover, polled |\n|---|---|---|---|---|---|---|\n");
    for (int n : List.of(4, 8, 16)) {
      List<Sample> r = samples.stream().filter(s -> s.blades() == n).toList();
      md.append(String.format(Locale.ROOT, "| %d | %.1f s | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms |%n", n,
          median(r, Sample::readyS), median(r, Sample::broadcastMs), median(r, Sample::polledBroadcastMs),
          median(r, Sample::takeoverMs), median(r, Sample::everyBladeMs), median(r, Sample::polledTakeoverMs)));
    }
    md.append(String.format(Locale.ROOT, "%nMedians of %d round(s); every sample:%n%n", rounds));
    for (Sample s : samples) md.append("- ").append(s).append('\n');
    Files.writeString(Path.of("target", "scale-bench.md"), md.toString());
    System.out.println(md);
  }

  static double median(List<Sample> r, java.util.function.ToDoubleFunction<Sample> f) {
    return io.rackshare.testkit.Medians.of(r.stream().map(f::applyAsDouble).toList());
  }

  Sample once(int n, int round) throws Exception {
    Path dir = TestDirs.fresh("ScaleBench-" + n + "-" + round);
    try (DemoBlades cluster = new DemoBlades(dir, n, 16, "64MiB", "")) {
      long t0 = System.nanoTime();
      cluster.startAll();
      double readyS = (System.nanoTime() - t0) / 1e9;
      cluster.await(n, "blade 1 runs the manager and the volumes are whole", s -> s.manager().equals(DemoBlades.blade(1))
          && DemoBlades.volume(s, "raid1").health().equals("OPTIMAL"), T);

      // A map change: an operator fails raid1's copy on blade 2.
      long before = cluster.status(n).mapEpoch();
      long t1 = System.nanoTime();
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(cluster.mgmt.get(1)
              + "/volumes/raid1/fail?device=" + java.net.URLEncoder.encode(DemoBlades.device(2, 1), "UTF-8")))
          .header("Authorization", "Bearer " + cluster.operatorToken(1))
          .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) throw new AssertionError("fail: " + r.statusCode() + " " + r.body());
      double polledBroadcastMs = untilEvery(cluster, n, 1, s -> s.mapEpoch() > before, t1);
      LocalTime failed = firstAfter(cluster, 1, FAILED, LocalTime.MIN, m -> true);
      LocalTime lastStored = LocalTime.MIN;
      for (int slot = 1; slot <= n; slot++) {
        LocalTime stored = firstAfter(cluster, slot, STORES, failed.minusSeconds(1),
            m -> Long.parseLong(m.group(2)) > before);
        if (stored.isAfter(lastStored)) lastStored = stored;
      }
      double broadcastMs = Duration.between(failed, lastStored).toMillis();

      // The kill, on this host's clock as the blades' logs are.
      LocalTime killed = LocalTime.now();
      long t2 = System.nanoTime();
      cluster.kill(1);
      java.util.function.Predicate<BladeStatus> named = s -> !s.manager().isEmpty()
          && !s.manager().equals(DemoBlades.blade(1));
      // One blade polled closely (as bench/failover.sh does), then every blade.
      BladeStatus first = cluster.await(n, "a new manager", named, T);
      double polledTakeoverMs = (System.nanoTime() - t2) / 1e6;
      int manager = Integer.parseInt(first.manager().replaceAll(".*Blade\\((\\d+)\\)", "$1"));
      if (cluster.status(manager).managerRecovery() == null) throw new AssertionError("blade " + manager + " runs none");
      untilEvery(cluster, n, 2, named, t2);
      double takeoverMs = Duration.between(killed, firstAfter(cluster, manager, STARTED, killed, m -> true)).toMillis();
      LocalTime lastKnown = LocalTime.MIN;
      for (int slot = 2; slot <= n; slot++) {
        LocalTime known = firstAfter(cluster, slot, MANAGER_IS_ON, killed,
            m -> m.group(2).equals(String.valueOf(manager)));
        if (known.isAfter(lastKnown)) lastKnown = known;
      }
      double everyBladeMs = Duration.between(killed, lastKnown).toMillis();
      return new Sample(n, readyS, broadcastMs, polledBroadcastMs, takeoverMs, everyBladeMs, polledTakeoverMs);
    }
  }

  static final String TIME = "^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) ";
  static final Pattern FAILED = Pattern.compile(TIME
      + ".*ResourceManager - 'raid1': member .* is FAILED .*failed by an operator");
  static final Pattern STORES = Pattern.compile(TIME + ".* stores map epoch (\\d+) ");
  static final Pattern STARTED = Pattern.compile(TIME + ".*ResourceManager - global resource manager started");
  static final Pattern MANAGER_IS_ON = Pattern.compile(TIME
      + ".*SmmHandler - global resource manager is on Rack\\(\\d+\\)/Chassis\\(\\d+\\)/Blade\\((\\d+)\\)");

  /** The time of the first line of blade {@code slot}'s log matching {@code p} and {@code also}, at or after {@code since}. */
  static LocalTime firstAfter(DemoBlades cluster, int slot, Pattern p, LocalTime since,
      java.util.function.Predicate<Matcher> also) throws Exception {
    for (String line : Files.readAllLines(cluster.bladeDir(slot).resolve("node.log"))) {
      Matcher m = p.matcher(line);
      if (m.find() && also.test(m)) {
        LocalTime t = LocalTime.parse(m.group(1));
        if (!t.isBefore(since)) return t;
      }
    }
    throw new AssertionError("blade " + slot + "'s log has no line matching " + p + " after " + since);
  }

  /** Milliseconds from {@code since} until every blade from {@code first} to {@code n} satisfies {@code p}. */
  static double untilEvery(DemoBlades cluster, int n, int first, java.util.function.Predicate<BladeStatus> p,
      long since) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Long>> done = new ArrayList<>();
      for (int slot = first; slot <= n; slot++) {
        int s = slot;
        done.add(pool.submit(() -> {
          long deadline = System.nanoTime() + T.toNanos();
          while (System.nanoTime() < deadline) {
            try {
              if (p.test(cluster.status(s))) return System.nanoTime();
            } catch (Exception e) {
              // busy; poll again
            }
            // Polling another process's status; every 100 ms: 16 blades polled closer than that
            // spend the machine's two cores on answering the polls.
            Thread.sleep(100);
          }
          throw new AssertionError("blade " + s + " never got there");
        }));
      }
      long last = 0;
      for (Future<Long> f : done) last = Math.max(last, f.get());
      return (last - since) / 1e6;
    } finally {
      pool.shutdownNow();
    }
  }
}
