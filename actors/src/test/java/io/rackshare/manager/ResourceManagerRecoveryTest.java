package io.rackshare.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rackshare.layout.Layouts;
import io.rackshare.layout.Raid1Layout;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import io.rackshare.smm.SmmHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manager is event-sourced: a new incarnation recovers the map, member states included, from
 * its journal and snapshots, before it announces itself. Its SMM handler is a test probe here.
 */
class ResourceManagerRecoveryTest {

  static final BladeId B1 = new BladeId(1, 1, 1);
  static final BladeId B2 = new BladeId(1, 1, 2);

  @TempDir Path snapshots;
  ActorTestKit kit;

  @AfterEach
  void stop() {
    if (kit != null) kit.shutdownTestKit();
  }

  ResourceManager.Settings settings() {
    return new ResourceManager.Settings(
        List.of(new VolumeSpec("m", "raid1", List.of(DevicePath.disk(B1, 0), DevicePath.disk(B2, 0)), Map.of())),
        Layouts.of(new Raid1Layout()), Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(5),
        "pekko.persistence.journal.inmem", "pekko.persistence.snapshot-store.local", 3);
  }

  /** Starts a manager; returns the probe standing in for its SMM handler and its OOB inbox. */
  record Started(ActorRef<ResourceManager.Command> manager, TestProbe<SmmHandler.Command> smm,
      ActorRef<SmmHandler.Delivery> inbox) {}

  Started start(String name) {
    return start(name, () -> true);
  }

  Started start(String name, java.util.function.BooleanSupplier authority) {
    TestProbe<SmmHandler.Command> smm = kit.createTestProbe();
    ActorRef<ResourceManager.Command> m = kit.spawn(
        ResourceManager.create(smm.ref(), settings(), r -> {}, System.currentTimeMillis(), authority), name);
    SmmHandler.SubscribeTopology sub = smm.expectMessageClass(SmmHandler.SubscribeTopology.class, Duration.ofSeconds(10));
    SmmHandler.ManagerStarted started = smm.expectMessageClass(SmmHandler.ManagerStarted.class);
    sub.subscriber().tell(new SmmHandler.Topology(B1, Set.of(B1, B2), java.util.Optional.of(B1)));
    return new Started(m, smm, started.manager());
  }

  ManagerState state(ActorRef<ResourceManager.Command> m) {
    TestProbe<ManagerState> p = kit.createTestProbe();
    m.tell(new ResourceManager.GetState(p.ref()));
    return p.receiveMessage();
  }

  void register(Started s, BladeId b) {
    s.inbox().tell(new SmmHandler.Delivery(b, new ManagerProtocol.RegisterResources(b, List.of(new ResourceDescriptor(
        DevicePath.disk(b, 0), new ResourceConfig.Block(4096, 16))), GlobalResourceMap.EMPTY),
        new SmmHandler.Responder(s.smm().ref(), b, 0)));
  }

  @Test
  void aNewIncarnationRecoversTheMapFromTheJournalAndSnapshots() throws Exception {
    kit = ActorTestKit.create("recovery", ConfigFactory.parseString(
        "pekko.persistence.snapshot-store.local.dir = \"" + snapshots + "\"").withFallback(ConfigFactory.load()));
    Started first = start("manager-1");
    register(first, B1);
    register(first, B2);
    // A member fails: the reporter's answer comes once blade 2 routes with the new map.
    TestProbe<SmmHandler.Command> replies = first.smm();
    first.inbox().tell(new SmmHandler.Delivery(B1, new ManagerProtocol.MemberFailed(B1, "m", DevicePath.disk(B2, 0), 1,
        "I/O error", true), new SmmHandler.Responder(replies.ref(), B1, 42)));
    replies.fishForMessage(Duration.ofSeconds(5), m -> m instanceof SmmHandler.Reply r && r.correlation() == 42
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    ManagerState before = state(first.manager());
    assertEquals(Member.State.FAILED, before.map().volume("m").orElseThrow().member(1).state());
    kit.stop(first.manager());
    assertTrue(Files.list(snapshots).findAny().isPresent(), "a snapshot was taken");

    Started second = start("manager-2");
    ManagerState after = state(second.manager());
    assertEquals(before, after, "recovered from snapshot and journal");
  }

  @Test
  void aManagerThatLostItsSeatChangesNothingAndStops() throws Exception {
    kit = ActorTestKit.create("deposed", ConfigFactory.parseString(
        "pekko.persistence.snapshot-store.local.dir = \"" + snapshots + "\"").withFallback(ConfigFactory.load()));
    java.util.concurrent.atomic.AtomicBoolean seat = new java.util.concurrent.atomic.AtomicBoolean(true);
    Started first = start("manager-1", seat::get);
    register(first, B1);
    long epoch = state(first.manager()).map().epoch();
    // The lease expired (or the quorum went): the next command finds no authority.
    seat.set(false);
    TestProbe<Object> watcher = kit.createTestProbe();
    register(first, B2);
    watcher.expectTerminated(first.manager(), Duration.ofSeconds(10));
    // Nothing of blade 2's registration reached the journal: a new incarnation has blade 1 only.
    Started second = start("manager-2");
    ManagerState after = state(second.manager());
    assertEquals(epoch, after.map().epoch());
    assertTrue(after.resources().keySet().stream().noneMatch(d -> d.blade().equals(B2)), after.resources().toString());
  }
}
