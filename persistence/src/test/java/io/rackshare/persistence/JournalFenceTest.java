package io.rackshare.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rackshare.layout.Layouts;
import io.rackshare.layout.Raid1Layout;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.manager.ManagerState;
import io.rackshare.manager.ResourceManager;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import io.rackshare.smm.SmmHandler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two managers forced to meet one journal (as after a split brain that downing did not settle in
 * time): the one that recovered first and wrote first keeps the journal; the deposed one's write
 * is refused by the journal's key on (persistence id, sequence number), and it stops instead of
 * forking the map.
 */
class JournalFenceTest {

  static final BladeId B1 = new BladeId(1, 1, 1);
  static final BladeId B2 = new BladeId(1, 1, 2);
  static final BladeId B3 = new BladeId(1, 1, 3);

  @TempDir Path dir;
  JournalServer server;
  ActorTestKit a;
  ActorTestKit b;
  ActorTestKit c;

  @AfterEach
  void stop() {
    for (ActorTestKit k : new ActorTestKit[] {a, b, c}) if (k != null) k.shutdownTestKit();
    if (server != null) server.close();
  }

  Config config() {
    return Journals.apply(ConfigFactory.parseString("""
            rackshare.%s
            """.formatted(server.hocon())).withFallback(ConfigFactory.load()));
  }

  static ResourceManager.Settings settings(Config c) {
    return new ResourceManager.Settings(
        List.of(new VolumeSpec("m", "raid1", List.of(DevicePath.disk(B1, 0), DevicePath.disk(B2, 0)), Map.of())),
        Layouts.of(new Raid1Layout()), Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(5),
        c.getString("rackshare.manager.journal-plugin"), c.getString("rackshare.manager.snapshot-plugin"), 0);
  }

  record Manager(ActorRef<ResourceManager.Command> ref, ActorRef<SmmHandler.Delivery> inbox, TestProbe<SmmHandler.Command> smm) {}

  static Manager start(ActorTestKit kit, String name) {
    TestProbe<SmmHandler.Command> smm = kit.createTestProbe();
    ActorRef<ResourceManager.Command> m = kit.spawn(ResourceManager.create(smm.ref(), settings(kit.system().settings().config())), name);
    smm.expectMessageClass(SmmHandler.SubscribeTopology.class, Duration.ofSeconds(20));
    SmmHandler.ManagerStarted started = smm.expectMessageClass(SmmHandler.ManagerStarted.class, Duration.ofSeconds(20));
    return new Manager(m, started.manager(), smm);
  }

  static void register(Manager m, BladeId blade) {
    m.inbox().tell(new SmmHandler.Delivery(blade, new ManagerProtocol.RegisterResources(blade, List.of(
        new ResourceDescriptor(DevicePath.disk(blade, 0), new ResourceConfig.Block(4096, 16))), GlobalResourceMap.EMPTY),
        new SmmHandler.Responder(m.smm().ref(), blade, 0)));
  }

  static ManagerState state(ActorTestKit kit, Manager m) {
    TestProbe<ManagerState> p = kit.createTestProbe();
    m.ref().tell(new ResourceManager.GetState(p.ref()));
    return p.receiveMessage(Duration.ofSeconds(10));
  }

  @Test
  void aDeposedManagersWriteIsRefusedAndTheMapDoesNotFork() {
    server = JournalServer.start(dir.resolve("journal"), 0);
    a = ActorTestKit.create("a", config());
    Journals.prepare(a.system(), Duration.ofSeconds(30));
    b = ActorTestKit.create("b", config());

    Manager first = start(a, "manager");
    register(first, B1);
    ManagerState shared = state(a, first);
    // The second manager recovers the same history...
    Manager second = start(b, "manager");
    assertEquals(shared, state(b, second));
    // ...the first writes on...
    register(first, B2);
    ManagerState written = state(a, first);
    assertNotEquals(shared, written);
    // ...and the second, deposed without knowing it, tries to write from its stale state.
    TestProbe<Object> watcher = b.createTestProbe();
    register(second, B3);
    watcher.expectTerminated(second.ref(), Duration.ofSeconds(20));

    // A manager that starts now sees the first one's history only.
    c = ActorTestKit.create("c", config());
    Manager third = start(c, "manager");
    assertEquals(written, state(c, third));
  }
}
