package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.events.EventPublisher;
import io.rackshare.events.RackshareEvent;
import io.rackshare.events.RackshareEvent.ManagerChanged;
import io.rackshare.events.RackshareEvent.RebuildProgressed;
import io.rackshare.events.RackshareEvent.VolumeHealthChanged;
import io.rackshare.events.Subscription;
import io.rackshare.layout.Health;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.testkit.TestBlades;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The events a service embedding Rackshare subscribes to ({@code Rackshare.subscribe}), on blade
 * 2 of four: the current state first; a killed copy's blade (no more heartbeats) makes the volume
 * degraded, its hot spare's rebuild reports progress up to the end, and the volume is optimal
 * again; a subscriber of one kind gets only that kind; a cancelled subscription and a stopped
 * subscriber get nothing more. (RackshareLifecycleTest follows the manager's move.)
 */
class RackshareEventsTest {
  static final Duration T = Duration.ofSeconds(60);
  static final String DISK = "[{ file = \"disk0.img\", size = 1MiB, block-size = 4096 }]";
  static final BladeId ONE = new BladeId(1, 1, 1);

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void start() {
    blades = new TestBlades(root, """
        rackshare.volumes = [{ name = m, layout = raid1, rebuild-rate = 512KiB,
          members = ["Rack(1)/Chassis(1)/Blade(2)/Disk(0)", "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"],
          spares = ["Rack(1)/Chassis(1)/Blade(4)/Disk(0)"] }]
        rackshare.access.rebuild-step = 64KiB
        """ + TestBlades.ISOLATABLE);
    for (int slot = 1; slot <= 4; slot++) blades.start(slot, DISK);
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  static int subscriptions() throws Exception {
    return AskPattern.<EventPublisher.Command, Integer>ask(blades.rackshare(2).events(),
            EventPublisher.CountSubscriptions::new, Duration.ofSeconds(10), blades.kit(2).scheduler())
        .toCompletableFuture().get();
  }

  @Test
  void healthRebuildAndManagerEventsFollowTheClusterAndSubscriptionsEnd() throws Exception {
    blades.rackshare(2).awaitVolume("m", T).toCompletableFuture().get();
    TestProbe<RackshareEvent> all = blades.kit(2).createTestProbe();
    TestProbe<ManagerChanged> managers = blades.kit(2).createTestProbe();
    TestProbe<VolumeHealthChanged> health = blades.kit(2).createTestProbe();
    Subscription allSubscription = blades.rackshare(2).subscribe(RackshareEvent.class, all.ref());
    blades.rackshare(2).subscribe(ManagerChanged.class, managers.ref());
    Subscription healthSubscription = blades.rackshare(2).subscribe(VolumeHealthChanged.class, health.ref());

    // The current state first.
    VolumeHealthChanged initial = (VolumeHealthChanged) all.receiveMessage(T);
    assertEquals("m", initial.volume());
    assertEquals(Health.Status.OPTIMAL, initial.health().status());
    assertTrue(initial.appeared());
    assertEquals(new ManagerChanged(Optional.of(ONE), Optional.empty()), all.receiveMessage(T));
    assertEquals(new ManagerChanged(Optional.of(ONE), Optional.empty()), managers.receiveMessage(T));
    assertEquals(initial, health.receiveMessage(T));
    assertEquals(3, subscriptions());

    // Blade 3's copy goes: degraded, the spare on blade 4 rebuilt with progress, optimal again.
    blades.isolate(3);
    List<RackshareEvent> seen = all.fishForMessage(T, "the volume optimal again", e ->
        e instanceof VolumeHealthChanged h && h.health().status() == Health.Status.OPTIMAL
            ? FishingOutcomes.complete() : FishingOutcomes.continueAndCollect());
    VolumeHealthChanged degraded = (VolumeHealthChanged) seen.get(0);
    assertEquals(Health.Status.DEGRADED, degraded.health().status(), "first: " + seen);
    assertEquals(Optional.of(initial.health()), degraded.previous());
    List<RebuildProgressed> progress = seen.stream().filter(e -> e instanceof RebuildProgressed)
        .map(e -> (RebuildProgressed) e).toList();
    assertFalse(progress.isEmpty(), "rebuild progress: " + seen);
    DevicePath spare = DevicePath.disk(new BladeId(1, 1, 4), 0);
    for (int i = 0; i < progress.size(); i++) {
      assertEquals(spare, progress.get(i).device());
      if (i > 0) assertTrue(progress.get(i).doneBytes() >= progress.get(i - 1).doneBytes(), "progress grows: " + progress);
    }
    RebuildProgressed last = progress.get(progress.size() - 1);
    assertTrue(last.finished(), "the last report ends the rebuild: " + progress);
    assertEquals(last.totalBytes(), last.doneBytes());
    assertEquals(100.0, last.percent());
    assertFalse(seen.stream().anyMatch(e -> e instanceof ManagerChanged), "the manager stayed: " + seen);

    // The health subscriber saw the same health changes, and nothing else.
    List<VolumeHealthChanged> healthSeen = health.fishForMessage(T, "optimal again",
        h -> h.health().status() == Health.Status.OPTIMAL ? FishingOutcomes.complete() : FishingOutcomes.continueAndCollect());
    assertEquals(seen.stream().filter(e -> e instanceof VolumeHealthChanged).toList(), healthSeen);

    // Cancelled and stopped subscribers are forgotten.
    allSubscription.cancel();
    health.stop();
    managers.awaitAssert(T, () -> {
      assertEquals(1, subscriptions());
      return null;
    });

    // A change after the cancellation reaches a new subscriber, not the cancelled one, nor the
    // manager's subscriber. (RackshareLifecycleTest follows the manager to another blade.)
    TestProbe<VolumeHealthChanged> later = blades.kit(2).createTestProbe();
    blades.rackshare(2).subscribe(VolumeHealthChanged.class, later.ref());
    assertEquals(Health.Status.OPTIMAL, later.receiveMessage(T).health().status());
    blades.rackshare(1).failMember("m", DevicePath.disk(new BladeId(1, 1, 2), 0)).toCompletableFuture().get();
    VolumeHealthChanged failed = later.receiveMessage(T);
    assertEquals(Health.Status.DEGRADED, failed.health().status(), failed.toString());
    all.expectNoMessage(Duration.ofMillis(300));
    managers.expectNoMessage(Duration.ofMillis(10));
    assertEquals(healthSubscription.subscriber(), health.ref());
  }
}
