package io.rackshare.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.management.BladeStatus;
import io.rackshare.management.ManagementEndpoint;
import io.rackshare.management.OperatorToken;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rackshare status --watch} against a management endpoint whose rebuild advances with each
 * look: the view is redrawn in place (one clear-screen per frame), each frame shows the rebuild's
 * progress bar, rate and time left as the blade reports them, and a blade that stops answering
 * is shown as such between frames instead of ending the watch.
 */
class StatusWatchTest {
  static final long TOTAL = 64L << 20;

  @TempDir static Path dir;
  static ActorSystem<Void> system;
  static ServerBinding binding;
  static final AtomicInteger looks = new AtomicInteger();

  static BladeStatus statusAt(int look) {
    long done = Math.min(TOTAL, look * (16L << 20));
    var rebuild = new BladeStatus.Rebuild(1, "Rack(1)/Chassis(1)/Blade(3)/Disk(0)", 100.0 * done / TOTAL, done, TOTAL,
        16.0, (TOTAL - done) / (16L << 20));
    var members = List.of(new BladeStatus.MemberStatus(0, "Rack(1)/Chassis(1)/Blade(1)/Disk(0)", "ACTIVE", 1, false),
        new BladeStatus.MemberStatus(1, "Rack(1)/Chassis(1)/Blade(3)/Disk(0)", "REBUILDING", 5, false));
    var volume = new BladeStatus.Volume("m", "raid1", "DEGRADED", "member 1 rebuilding", TOTAL, 4096, 5, Map.of(),
        members, List.of(), List.of(rebuild));
    return new BladeStatus("Rack(1)/Chassis(1)/Blade(1)", "Rack(1)/Chassis(1)/Blade(1)", List.of(), 5, "d",
        List.of(volume), "first-in", "local-maps", "", "", "", List.of(), null, null, List.of(), null, null);
  }

  @BeforeAll
  static void start() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "watch-test");
    ManagementEndpoint.Operations ops = new ManagementEndpoint.Operations() {
      @Override
      public CompletionStage<BladeStatus> status() {
        int look = looks.incrementAndGet();
        // The third look finds the blade unable to answer.
        if (look == 3) return CompletableFuture.failedFuture(new IllegalStateException("the blade is busy"));
        return CompletableFuture.completedFuture(statusAt(look));
      }

      @Override
      public CompletionStage<Long> failMember(String volume, String device) {
        return CompletableFuture.failedFuture(new IllegalStateException("not in this test"));
      }
    };
    binding = ManagementEndpoint.start(system, "127.0.0.1", 0, ops, OperatorToken.load(dir.resolve("token")))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  @Test
  void redrawsInPlaceWithTheRebuildsProgressAndKeepsWatchingThroughAnError() {
    CliRun run = CliRun.of("status", "--url", ManagementEndpoint.url(binding, false), "--watch", "0.1", "--count", "4");
    assertEquals(0, run.code(), run.err());
    String text = run.out();
    String[] frames = text.split(Pattern.quote(Status.REDRAW), -1);
    assertEquals(5, frames.length, "four frames, each after a clear-screen: " + text);
    List<String> bars = new ArrayList<>();
    Matcher m = Pattern.compile("rebuilding Rack\\(1\\)/Chassis\\(1\\)/Blade\\(3\\)/Disk\\(0\\) (\\[[#.]{20}]) +([0-9.]+) % of 64 MiB"
        + " at 16.0 MiB/s, ETA (\\d:\\d\\d:\\d\\d)").matcher("");
    for (int i = 1; i <= 4; i++) {
      assertTrue(frames[i].startsWith("Every 0.1 s: rackshare status --url "), frames[i]);
      if (i == 3) {
        assertTrue(frames[i].contains("answered 400: the blade is busy"), "the failed look is shown: " + frames[i]);
        continue;
      }
      assertTrue(m.reset(frames[i]).find(), frames[i]);
      bars.add(m.group(1) + " " + m.group(2) + " " + m.group(3));
    }
    assertEquals(List.of("[#####...............] 25.0 0:00:03", "[##########..........] 50.0 0:00:02",
        "[####################] 100.0 0:00:00"), bars);
  }

  @Test
  void badWatchIntervalsAreRefusedClearly() {
    CliRun run = CliRun.of("status", "--url", ManagementEndpoint.url(binding, false), "--watch", "0");
    assertEquals(2, run.code(), run.err());
    assertTrue(run.err().contains("--watch: 0.1 to 3600 seconds"), run.err());
  }

  @Test
  void aVolumeGrowingShowsItsPartsBeingZeroed() {
    var members = List.of(new BladeStatus.MemberStatus(0, "Rack(1)/Chassis(1)/Blade(1)/Part(0)", "ACTIVE", 1, false));
    var growing = new BladeStatus.Volume("p", "raid1", "OPTIMAL", "", 24L << 20, 4096, 7, Map.of(), members, List.of(),
        List.of(), new BladeStatus.Preparing(48L << 20, 1, 3));
    String text = Status.format(new BladeStatus("Rack(1)/Chassis(1)/Blade(1)", "Rack(1)/Chassis(1)/Blade(1)", List.of(),
        7, "d", List.of(growing), "first-in", "local-maps", "", "", "", List.of(), null, null, List.of(), null, null));
    org.junit.jupiter.api.Assertions.assertTrue(
        text.contains("growing to 48 MiB [#######.............] 1 of 3 parts zeroed"), text);
  }

  @Test
  void aDrainShowsTheBladeAndEachMoveWithItsProgress() {
    var members = List.of(new BladeStatus.MemberStatus(0, "Rack(1)/Chassis(1)/Blade(2)/Part(0)", "ACTIVE", 1, false));
    var moving = new BladeStatus.Volume("p", "raid1", "OPTIMAL", "", 24L << 20, 4096, 7, Map.of(), members, List.of(),
        List.of(), null, List.of(new BladeStatus.MoveStatus(0, "Rack(1)/Chassis(1)/Blade(2)/Part(0)",
            "Rack(1)/Chassis(1)/Blade(4)/Part(1)", 25, 6L << 20, 24L << 20, 2.5, 7)));
    String text = Status.format(new BladeStatus("Rack(1)/Chassis(1)/Blade(1)", "Rack(1)/Chassis(1)/Blade(1)", List.of(),
        7, "d", List.of(moving), "first-in", "local-maps", "", "", "", List.of(), null, null, List.of(), null, null,
        List.of(new BladeStatus.DrainStatus("Rack(1)/Chassis(1)/Blade(2)", false,
            List.of("p: Rack(1)/Chassis(1)/Blade(2)/Part(0)")))));
    org.junit.jupiter.api.Assertions.assertTrue(text.contains("drain   Rack(1)/Chassis(1)/Blade(2) being drained, still"
        + " holds p: Rack(1)/Chassis(1)/Blade(2)/Part(0)"), text);
    org.junit.jupiter.api.Assertions.assertTrue(text.contains("moving Rack(1)/Chassis(1)/Blade(2)/Part(0) ->"
        + " Rack(1)/Chassis(1)/Blade(4)/Part(1) [#####...............]  25.0 % of 24 MiB at 2.5 MiB/s, ETA"), text);
  }
}
