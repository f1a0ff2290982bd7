package io.rackshare.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.management.BladeStatus;
import io.rackshare.testkit.Tool;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Draining blades across JVMs (issue 15) while fio writes and verifies (crc32c) a 2-copy mirror
 * on the pool through blade 5, which takes no part. Five blades with one pool disk each, on the
 * H2 journal; blades 1 (the manager's) and 5 are drained first, so the mirror lands on two of
 * blades 2-4 and every move has exactly one place to go. Then, each move slowed to 4 MiB/s and
 * interrupted by a SIGKILL (reads are balanced: a blade that holds a copy reads its own):
 * <ol>
 *   <li>the move's <b>target</b> dies: the move is rolled back; once the target's blade is back
 *       the drain moves the member there again and finishes;
 *   <li>the move's <b>source</b> dies: its target takes its place and is rebuilt from the other
 *       copy;
 *   <li>the <b>manager's</b> blade dies: the next manager, from the journal, finishes the move;
 *   <li>then a <b>member's</b> blade dies with no spare: after {@code replace-failed-after} (2 s)
 *       a part of the pool's free space takes its place and is rebuilt (self-healing).
 * </ol>
 * Expected throughout: fio sees no error, every verify passes, and at the end the copies are
 * identical and every blade routes with the journal's map. {@code bench/drain-soak.sh} runs it
 * many times over.
 */
class DrainAcrossJvmsIT {

  static final Duration T = Duration.ofMinutes(2);
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  DemoBlades cluster;
  FioLoop fio;

  @AfterEach
  void stop() throws Exception {
    try {
      if (fio != null) fio.stop();
    } finally {
      if (cluster != null) cluster.close(); // the blades go even when fio failed
    }
  }

  /** fio verify runs, one after another, until stopped; any that fails is kept. */
  static final class FioLoop {
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger runs = new AtomicInteger();
    final CompletableFuture<Void> done;

    FioLoop(String uri, Path dir) {
      done = CompletableFuture.runAsync(() -> {
        try {
          Files.createDirectories(dir);
          while (!stop.get()) {
            // Its own offsets each run (a random seed), verified as it goes and at the end.
            Tool.run(T, Map.of(), List.of("fio", "--name=drain", "--ioengine=nbd", "--uri=" + uri, "--rw=randwrite",
                "--bs=16k", "--iodepth=8", "--size=16M", "--verify=crc32c", "--verify_backlog=64", "--verify_fatal=1",
                "--do_verify=1", "--verify_state_save=0", "--randrepeat=0"), dir).ok();
            runs.incrementAndGet();
          }
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
    }

    /** Fails at once if a run failed. */
    void check() {
      if (done.isCompletedExceptionally()) done.join();
    }

    void stop() throws Exception {
      stop.set(true);
      done.get(3, TimeUnit.MINUTES);
    }
  }

  String post(int slot, String pathAndQuery) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(cluster.mgmt.get(slot) + pathAndQuery))
        .timeout(Duration.ofSeconds(90)).header("Authorization", "Bearer " + cluster.operatorToken(slot))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), pathAndQuery + ": " + r.body());
    return r.body();
  }

  /** Drains (or undrains) blade {@code slot} through blade 5's endpoint. */
  void drain(int slot, boolean on) throws Exception {
    post(5, "/blades/" + (on ? "drain" : "undrain") + "?blade=" + URLEncoder.encode(DemoBlades.blade(slot),
        StandardCharsets.UTF_8));
  }

  static int slotOf(String device) {
    return Integer.parseInt(device.replaceAll(".*Blade\\((\\d+)\\).*", "$1"));
  }

  List<Integer> memberSlots() throws Exception {
    return DemoBlades.volume(cluster.status(5), "pooled").members().stream().map(m -> slotOf(m.device())).toList();
  }

  /** Waits until the mirror's member on {@code from} is being copied (a few MiB done, far from the end). */
  BladeStatus.MoveStatus awaitMoving(int from) throws Exception {
    BladeStatus s = cluster.await(5, "a move from blade " + from + " under way", x -> DemoBlades.volume(x, "pooled")
        .moves().stream().anyMatch(m -> slotOf(m.from()) == from && m.doneBytes() > 0 && m.percent() < 60), T);
    fio.check();
    return DemoBlades.volume(s, "pooled").moves().get(0);
  }

  /** Waits until blade {@code slot} holds nothing and the mirror is whole, with no move left. */
  void awaitDrained(int slot) throws Exception {
    cluster.await(5, "blade " + slot + " drained and the mirror whole", x -> x.drains().stream()
        .anyMatch(d -> d.blade().equals(DemoBlades.blade(slot)) && d.drained())
        && DemoBlades.volume(x, "pooled").health().equals("OPTIMAL")
        && DemoBlades.volume(x, "pooled").moves().isEmpty(), T);
    fio.check();
  }

  /** Waits until the mirror is whole (OPTIMAL) with its members on exactly the blades {@code slots}. */
  void awaitWholeOn(String what, int... slots) throws Exception {
    List<Integer> want = java.util.Arrays.stream(slots).sorted().boxed().toList();
    cluster.await(5, what, x -> {
      BladeStatus.Volume v = DemoBlades.volume(x, "pooled");
      return v.health().equals("OPTIMAL") && v.members().stream().map(m -> slotOf(m.device())).sorted().toList()
          .equals(want);
    }, T);
    fio.check();
  }

  void restart(int slot) throws Exception {
    cluster.start(slot);
    cluster.awaitUp(slot);
    cluster.awaitReady(slot);
  }

  @Test
  void movesSurviveTheDeathOfTheirTargetTheirSourceAndTheManagersBladeWhileFioVerifies() throws Exception {
    Path dir = TestDirs.fresh(DrainAcrossJvmsIT.class);
    cluster = new DemoBlades(dir, 5, 64, "64MiB", """
        blade.disks = [{ file = disk0.img, size = 64MiB }]
        volumes = []
        pool.extent-size = 1MiB
        manager.offline-retry = 500ms
        manager.replace-failed-after = 2s
        """);
    cluster.startAll();
    cluster.await(5, "blade 1 runs the manager and a backup follows it", s -> s.manager().equals(DemoBlades.blade(1))
        && !s.backup().isEmpty(), T);
    drain(1, true);
    drain(5, true);
    post(5, "/volumes?name=pooled&layout=raid1&size=16M&copies=2&options=" + URLEncoder.encode("rebuild-rate=4MiB,read-policy=balanced",
        StandardCharsets.UTF_8));
    List<Integer> members = memberSlots();
    assertTrue(members.stream().allMatch(s -> s >= 2 && s <= 4), "on blades 2-4: " + members);
    int a = members.get(0);
    int b = members.get(1);
    int c = 2 + 3 + 4 - a - b;
    fio = new FioLoop(cluster.uri(5, "pooled"), dir.resolve("fio"));

    // 1. The target dies mid-move: rolled back, then done again once it is back.
    drain(a, true);
    BladeStatus.MoveStatus m = awaitMoving(a);
    assertEquals(c, slotOf(m.to()), "the only blade that may hold it: " + m);
    cluster.kill(c);
    cluster.await(5, "the move to blade " + c + " rolled back", x -> DemoBlades.volume(x, "pooled").moves().isEmpty()
        && x.drains().stream().anyMatch(d -> d.blade().equals(DemoBlades.blade(a)) && !d.drained()), T);
    fio.check();
    restart(c);
    awaitDrained(a);
    assertEquals(List.of(c, b).stream().sorted().toList(), memberSlots().stream().sorted().toList());

    // 2. The source dies mid-move: its target takes its place and is rebuilt from the other copy.
    drain(a, false);
    drain(b, true);
    m = awaitMoving(b);
    assertEquals(a, slotOf(m.to()), m.toString());
    cluster.kill(b);
    awaitWholeOn("blade " + a + " in blade " + b + "'s place, rebuilt", a, c);
    restart(b);

    // 3. The manager's blade dies mid-move: the next manager finishes it from the journal.
    drain(b, false);
    drain(c, true);
    m = awaitMoving(c);
    assertEquals(b, slotOf(m.to()), m.toString());
    cluster.kill(1);
    cluster.await(5, "a new manager", x -> !x.manager().isEmpty() && !x.manager().equals(DemoBlades.blade(1)), T);
    awaitDrained(c);
    assertEquals(List.of(a, b).stream().sorted().toList(), memberSlots().stream().sorted().toList());

    // 4. Self-healing: a member's blade dies with no spare; after 2 s the free space of blade c
    //    (undrained) takes its place and is rebuilt. One failure at a time: blade 1 is out of the
    //    cluster first (two blades killed within the split-brain resolver's stable-after can make
    //    Pekko's resolver down every blade: "double DownIndirectlyConnected decision").
    cluster.await(5, "blade 1 removed from the cluster", x -> !x.blades().contains(DemoBlades.blade(1)), T);
    drain(c, false);
    cluster.kill(a);
    awaitWholeOn("blade " + c + " in blade " + a + "'s place, rebuilt", b, c);

    fio.stop();
    assertTrue(fio.runs.get() >= 1, "fio ran all along: " + fio.runs.get() + " runs");
    // The copies match byte for byte: each blade that holds one reads its own.
    Tool.run(T, "nbdcopy", cluster.uri(b, "pooled"), dir.resolve("copy-b.img").toString()).ok();
    Tool.run(T, "nbdcopy", cluster.uri(c, "pooled"), dir.resolve("copy-c.img").toString()).ok();
    assertEquals(DemoBlades.sha256(dir.resolve("copy-b.img")), DemoBlades.sha256(dir.resolve("copy-c.img")));
    cluster.awaitDigestsMatchJournal(Duration.ofSeconds(60));
  }
}
