package io.rackshare.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rackshare.map.BladeId;
import io.rackshare.smm.Quorum;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The seat on a one-blade cluster, against a lease and an SMM handler the test controls: it runs
 * the manager only while it holds the lease and its side has a quorum, announces it with the
 * lease's token, withdraws the manager's authority before stopping it, gives the lease back when
 * it steps down for a lost quorum, and without a lease waits until no other manager is announced.
 */
class ManagerSeatTest {

  static final BladeId SELF = new BladeId(1, 1, 1);
  static final BladeId OTHER = new BladeId(1, 1, 2);
  static ActorTestKit kit;
  static Address self;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("seat", ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        """).withFallback(ConfigFactory.load()));
    Cluster cluster = Cluster.get(kit.system());
    self = cluster.selfMember().address();
    cluster.manager().tell(Join.create(self));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** A lease the test grants, takes away and watches. */
  static final class TestLease extends Lease implements Fenced {
    volatile boolean grant = true;
    final AtomicBoolean held = new AtomicBoolean();
    final AtomicInteger releases = new AtomicInteger();
    final AtomicReference<Consumer<Optional<Throwable>>> lost = new AtomicReference<>();

    @Override
    public LeaseSettings getSettings() {
      return null;
    }

    @Override
    public CompletionStage<Boolean> acquire() {
      return acquire(t -> {});
    }

    @Override
    public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> callback) {
      lost.set(callback);
      held.set(grant);
      return CompletableFuture.completedFuture(grant);
    }

    @Override
    public CompletionStage<Boolean> release() {
      held.set(false);
      releases.incrementAndGet();
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public boolean checkLease() {
      return held.get();
    }

    @Override
    public long fencingToken() {
      return held.get() ? 42 : 0;
    }

    void lose() {
      held.set(false);
      lost.get().accept(Optional.of(new RuntimeException("taken")));
    }
  }

  /** What the test's stand-in manager tells: its start (incarnation, authority) and its stop. */
  sealed interface Event {}

  record Started(long incarnation, BooleanSupplier authority, ActorRef<ResourceManager.Command> self) implements Event {}

  record Stopped(long incarnation) implements Event {}

  static ManagerSeat.ManagerFactory watched(TestProbe<Event> events) {
    return (incarnation, authority) -> Behaviors.setup(ctx -> {
      events.getRef().tell(new Started(incarnation, authority, ctx.getSelf()));
      return Behaviors.<ResourceManager.Command>receive(ResourceManager.Command.class)
          // Wake stands for whatever makes a manager stop by itself (a refused journal write).
          .onMessage(ResourceManager.Wake.class, w -> Behaviors.stopped())
          .onSignal(PostStop.class, s -> {
            events.getRef().tell(new Stopped(incarnation));
            return Behaviors.same();
          })
          .build();
    });
  }

  static SmmHandler.Topology topology(Quorum quorum, Optional<BladeId> manager) {
    return new SmmHandler.Topology(SELF, Set.of(SELF), manager, Map.of(SELF, self), Set.of(), quorum);
  }

  static final Quorum LOST = new Quorum(3, 1, false, false, "this blade reaches 1 of 3 blades (no majority)");

  record Seat(ActorRef<ManagerSeat.Command> seat, ActorRef<SmmHandler.Topology> topology, TestProbe<Event> events,
      AtomicReference<ManagerSeat.View> view) {}

  static Seat seat(Lease lease) {
    TestProbe<SmmHandler.Command> smm = kit.createTestProbe();
    TestProbe<Event> events = kit.createTestProbe();
    AtomicReference<ManagerSeat.View> view = new AtomicReference<>(ManagerSeat.View.NONE);
    ActorRef<ManagerSeat.Command> seat = kit.spawn(ManagerSeat.create(SELF, smm.getRef(),
        new ManagerSeat.Settings("first-in", Duration.ofMillis(50), Duration.ofSeconds(2), Duration.ofMillis(200)),
        lease, watched(events), view));
    SmmHandler.SubscribeTopology sub = smm.expectMessageClass(SmmHandler.SubscribeTopology.class);
    return new Seat(seat, sub.subscriber(), events, view);
  }

  @Test
  void holdingTheLeaseRunsTheManagerWithItsTokenAndLosingItTakesAuthorityFirst() {
    TestLease lease = new TestLease();
    Seat s = seat(lease);
    s.topology().tell(topology(Quorum.ALONE, Optional.empty()));
    Started started = s.events().expectMessageClass(Started.class, Duration.ofSeconds(10));
    assertEquals(42, started.incarnation(), "announced with the lease's fencing token");
    assertTrue(started.authority().getAsBoolean());
    assertTrue(s.view().get().holding());

    lease.lose();
    assertFalse(started.authority().getAsBoolean(), "a lost lease ends the authority at once");
    assertEquals(new Stopped(42), s.events().expectMessageClass(Stopped.class, Duration.ofSeconds(10)));
    kit.stop(s.seat());
  }

  @Test
  void aLostQuorumStopsTheManagerAndGivesTheLeaseBack() {
    TestLease lease = new TestLease();
    Seat s = seat(lease);
    s.topology().tell(topology(Quorum.ALONE, Optional.empty()));
    Started started = s.events().expectMessageClass(Started.class, Duration.ofSeconds(10));
    s.topology().tell(topology(LOST, Optional.of(SELF)));
    s.events().expectMessageClass(Stopped.class, Duration.ofSeconds(10));
    assertFalse(started.authority().getAsBoolean());
    s.events().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(1, lease.releases.get(), "released after the manager stopped");
      assertFalse(s.view().get().holding());
      return null;
    });
    // Without a quorum it does not take the seat again.
    s.events().expectNoMessage(Duration.ofMillis(500));
    // With it back, it does.
    s.topology().tell(topology(Quorum.ALONE, Optional.empty()));
    s.events().expectMessageClass(Started.class, Duration.ofSeconds(10));
    kit.stop(s.seat());
  }

  @Test
  void aLeaseHeldElsewhereStartsNothingUntilItIsFree() {
    TestLease lease = new TestLease();
    lease.grant = false;
    Seat s = seat(lease);
    s.topology().tell(topology(Quorum.ALONE, Optional.of(OTHER)));
    s.events().expectNoMessage(Duration.ofMillis(500));
    lease.grant = true;
    assertEquals(42, s.events().expectMessageClass(Started.class, Duration.ofSeconds(10)).incarnation());
    kit.stop(s.seat());
  }

  @Test
  void aManagerThatStopsByItselfStartsAgainWhileTheSeatIsHeld() {
    TestLease lease = new TestLease();
    Seat s = seat(lease);
    s.topology().tell(topology(Quorum.ALONE, Optional.empty()));
    Started first = s.events().expectMessageClass(Started.class, Duration.ofSeconds(10));
    first.self().tell(new ResourceManager.Wake());
    s.events().expectMessageClass(Stopped.class, Duration.ofSeconds(10));
    Started again = s.events().expectMessageClass(Started.class, Duration.ofSeconds(10));
    assertTrue(again.authority().getAsBoolean());
    kit.stop(s.seat());
  }

  @Test
  void withoutALeaseItWaitsUntilNoOtherManagerIsAnnounced() {
    Seat s = seat(null);
    s.topology().tell(topology(Quorum.ALONE, Optional.of(OTHER)));
    s.events().expectNoMessage(Duration.ofMillis(500));
    // The other manager said it stopped (or its blade was removed).
    s.topology().tell(topology(Quorum.ALONE, Optional.empty()));
    Started started = s.events().expectMessageClass(Started.class, Duration.ofSeconds(10));
    assertTrue(started.authority().getAsBoolean());
    assertEquals("none", s.view().get().lease());
    kit.stop(s.seat());
  }
}
