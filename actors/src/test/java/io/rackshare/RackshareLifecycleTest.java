package io.rackshare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.access.BlockDevice;
import io.rackshare.events.RackshareEvent.ManagerChanged;
import io.rackshare.map.BladeId;
import io.rackshare.testkit.TestBlades;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Rackshare.get(system)}'s lifecycle: started with the system when listed in {@code
 * pekko.actor.typed.extensions}, one instance per system, refused in a system that is shutting
 * down; stopped by the system's coordinated shutdown: its NBD listener closes, the blade leaves
 * the cluster gracefully (the others never find it unreachable) and hands the manager's seat on,
 * and a device used afterwards fails its requests instead of hanging.
 */
class RackshareLifecycleTest {
  static final Duration T = Duration.ofSeconds(30);
  static final String DISK = "[{ file = \"disk0.img\", size = 1MiB, block-size = 4096 }]";

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void start() {
    blades = new TestBlades(root, """
        rackshare.volumes = [{ name = v, layout = raid1,
          members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)", "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"] }]
        rackshare.nbd { enabled = on, port = 0 }
        """);
    blades.start(1, DISK, "pekko.actor.typed.extensions = [\"io.rackshare.Rackshare$Id\"]");
    blades.start(2, DISK);
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  /**
   * A connection to {@code address} is refused, or (its port being in the ephemeral range) the
   * kernel connected the socket to itself, which it does only when nothing listens there.
   */
  static boolean nothingListens(InetSocketAddress address) throws java.io.IOException {
    try (Socket s = new Socket(address.getAddress(), address.getPort())) {
      return s.getLocalPort() == address.getPort();
    } catch (ConnectException refused) {
      return true;
    }
  }

  @Test
  void listedInTheExtensionsItStartsWithTheSystem() {
    ActorTestKit kit = ActorTestKit.create("rackshare", blades.config(3, "[]",
        "pekko.actor.typed.extensions = [\"io.rackshare.Rackshare$Id\"]\n"
            + "rackshare.nbd { enabled = on, port = 0 }"));
    try {
      assertTrue(kit.system().hasExtension(Rackshare.ID), "started with the system, before any get");
      Rackshare rackshare = Rackshare.get(kit.system());
      assertSame(rackshare, Rackshare.get(kit.system()), "one instance per system");
      assertTrue(rackshare.nbdServer().orElseThrow().tcpAddress().getPort() > 0, "its NBD port is bound");
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aSystemShuttingDownDoesNotStartIt() throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "other", blades.config(4, "[]"));
    CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Rackshare.get(system));
    assertTrue(e.getMessage().contains("shutting down"), e.getMessage());
  }

  @Test
  void theCoordinatedShutdownClosesItsPortsLeavesGracefullyAndHandsTheManagerOn() throws Exception {
    BladeId one = new BladeId(1, 1, 1);
    BladeId two = new BladeId(1, 1, 2);
    BlockDevice device = blades.rackshare(1).awaitVolume("v", T).toCompletableFuture().get();
    device.write(0, new byte[4096], true).toCompletableFuture().get(10, TimeUnit.SECONDS);
    InetSocketAddress nbd = blades.rackshare(1).nbdServer().orElseThrow().tcpAddress();

    TestProbe<ManagerChanged> managers = blades.kit(2).createTestProbe();
    blades.rackshare(2).subscribe(ManagerChanged.class, managers.ref());
    assertEquals(Optional.of(one), managers.receiveMessage(T).manager());
    TestProbe<ClusterEvent.MemberEvent> members = blades.kit(2).createTestProbe();
    TestProbe<ClusterEvent.UnreachableMember> unreachable = blades.kit(2).createTestProbe();
    Cluster.get(blades.kit(2).system()).subscriptions().tell(Subscribe.create(members.ref(), ClusterEvent.MemberEvent.class));
    Cluster.get(blades.kit(2).system()).subscriptions().tell(
        Subscribe.create(unreachable.ref(), ClusterEvent.UnreachableMember.class));

    ActorSystem<Void> system = blades.kit(1).system();
    long start = System.nanoTime();
    CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.clusterLeavingReason());
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertTrue(nothingListens(nbd), "the NBD listener is closed");
    members.fishForMessage(T, "blade 1 removed", e -> e instanceof ClusterEvent.MemberRemoved
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    java.util.List<ManagerChanged> moves = managers.fishForMessage(T, "the manager on blade 2",
        m -> m.manager().equals(Optional.of(two))
            ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
            : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndCollect());
    assertEquals(Optional.of(one), moves.get(0).previous());
    unreachable.expectNoMessage(Duration.ofMillis(200));
    assertTrue(took < 20_000, "the shutdown took " + took + " ms");

    // The device of the stopped blade fails, within its request time-out, instead of hanging.
    CompletableFuture<Void> late = device.write(0, new byte[4096], true).toCompletableFuture();
    ExecutionException failed = assertThrows(ExecutionException.class, () -> late.get(30, TimeUnit.SECONDS));
    assertTrue(failed.getCause() instanceof io.rackshare.access.BlockDeviceException, String.valueOf(failed.getCause()));
    blades.stop(1);
  }
}
