package io.rackshare.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.blade.Blade;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.ConsoleRoute;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.SmmHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The station's side of the console routers, against probes for its SMM handler and its blade: it
 * attaches where the map routes it with that map's epoch, patches the whole first frame with
 * changed rows, attaches again when a row frame does not fit what it shows, sends keys with its
 * epoch, and asks for a resync when the target refuses it.
 */
class ConsoleStationProtocolTest {

  static final ActorTestKit kit = ActorTestKit.create("station-protocol");
  static final BladeId STATION = new BladeId(1, 1, 1);
  static final BladeId TARGET = new BladeId(1, 1, 2);

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static ConsoleDriver.ScreenImage image(String firstRow, long version) {
    int n = 80 * 25;
    int[] chars = new int[n];
    Arrays.fill(chars, ' ');
    for (int i = 0; i < firstRow.length(); i++) chars[i] = firstRow.charAt(i);
    return new ConsoleDriver.ScreenImage(80, 25, chars, new int[n], new int[n], new int[n], 0, firstRow.length(), true,
        0, false, version);
  }

  /** The next message of type {@code type} the station sends through its SMM handler, others skipped. */
  static <T> T next(TestProbe<SmmHandler.Command> smm, Class<T> type) {
    Object[] found = {null};
    smm.fishForMessage(Duration.ofSeconds(5), m -> {
      Object payload = m instanceof SmmHandler.Send s ? s.message()
          : m instanceof SmmHandler.SendToManager s ? s.message() : m;
      if (type.isInstance(payload)) {
        found[0] = payload;
        return org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete();
      }
      return org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore();
    });
    return type.cast(found[0]);
  }

  @Test
  void framesKeysAndRefusals() {
    TestProbe<SmmHandler.Command> smm = kit.createTestProbe();
    TestProbe<Blade.Command> blade = kit.createTestProbe();
    ConsoleView view = new ConsoleView(b -> {});
    kit.spawn(ConsoleStation.create(STATION, smm.ref(), blade.ref(), view,
        TARGET));
    SmmHandler.RegisterHandler handler = next(smm, SmmHandler.RegisterHandler.class);
    SmmHandler.SubscribeTopology topology = next(smm, SmmHandler.SubscribeTopology.class);
    topology.subscriber().tell(new SmmHandler.Topology(STATION, Set.of(STATION, TARGET), Optional.of(STATION)));
    Blade.SubscribeMap maps = blade.expectMessageClass(Blade.SubscribeMap.class);
    maps.subscriber().tell(GlobalResourceMap.EMPTY.with(ConsoleRoute.to(STATION, TARGET, 7)));

    ConsoleProtocol.Attach attach = next(smm, ConsoleProtocol.Attach.class);
    assertEquals(STATION, attach.station());
    assertEquals(7, attach.epoch(), "attached under the map's epoch");
    ActorRef<ConsoleProtocol.Frames> viewer = attach.viewer();

    viewer.tell(new ConsoleProtocol.Frame(TARGET, image("$ ", 1)));
    viewer.tell(new ConsoleProtocol.FrameRows(TARGET, 1, ScreenRows.between(image("$ ", 1), image("$ ls", 2))));
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(() -> {
      assertEquals("$ ls", view.current() == null ? null : view.current().line(0));
      return null;
    });

    // Rows made against a frame this station does not have: it attaches again for a whole one.
    viewer.tell(new ConsoleProtocol.FrameRows(TARGET, 5, ScreenRows.between(image("$ x", 5), image("$ xy", 6))));
    ConsoleProtocol.Attach again = next(smm, ConsoleProtocol.Attach.class);
    assertEquals(viewer, again.viewer());
    assertEquals("$ ls", view.current().line(0), "nothing patched into the wrong frame");
    viewer.tell(new ConsoleProtocol.Frame(TARGET, image("$ whole", 6)));
    probe.awaitAssert(() -> {
      assertEquals("$ whole", view.current().line(0));
      return null;
    });

    // Keys travel with the station's epoch.
    view.keys("pwd\r".getBytes(StandardCharsets.UTF_8));
    ConsoleProtocol.Keys keys = next(smm, ConsoleProtocol.Keys.class);
    assertArrayEquals("pwd\r".getBytes(StandardCharsets.UTF_8), keys.bytes());
    assertEquals(7, keys.epoch());

    // The target refuses (its map routes the station elsewhere): the station asks for a resync.
    ConsoleProtocol.Refused refused = new ConsoleProtocol.Refused(TARGET, "the map routes it elsewhere", 9);
    assertTrue(handler.claims().test(refused));
    handler.handler().tell(new SmmHandler.Delivery(TARGET, refused, null));
    ManagerProtocol.ResyncRequest resync = next(smm, ManagerProtocol.ResyncRequest.class);
    assertEquals(STATION, resync.from());
    assertTrue(view.currentBanner().contains("refuses this station"), view.currentBanner());
  }
}
