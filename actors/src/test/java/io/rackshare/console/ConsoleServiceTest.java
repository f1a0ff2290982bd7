package io.rackshare.console;

import io.rackshare.blade.Blade;
import io.rackshare.blade.DiscoveredResource;
import io.rackshare.map.BladeId;
import io.rackshare.map.ConsoleRoute;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A blade's console service (the video and keyboard routers of Figures 12-13) against probes. */
class ConsoleServiceTest {

  static final ActorTestKit kit = ActorTestKit.create();
  static final BladeId STATION = new BladeId(1, 1, 1);
  static final BladeId SELF = new BladeId(1, 1, 2);

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /**
   * A blade that just joined may get a station's attach (under the station's newer map) before its
   * own copy of that map: an older map arriving meanwhile must not detach the station, or its
   * screen stops while its keys still run here (ConsoleAcrossJvmsIT saw exactly that).
   */
  @Test
  void aStationThatAttachedUnderANewerMapStaysAttachedWhileOlderMapsArrive() {
    TestProbe<SmmHandler.Command> smm = kit.createTestProbe();
    TestProbe<Blade.Command> blade = kit.createTestProbe();
    kit.spawn(ConsoleService.create(new DiscoveredResource.DriverContext(SELF, smm.getRef(), blade.getRef()),
        new ConsoleDriver.Settings(List.of("cat"), 80, 25, 4096, Duration.ofSeconds(1))));
    SmmHandler.RegisterHandler handler = smm.expectMessageClass(SmmHandler.RegisterHandler.class);
    Blade.SubscribeMap sub = blade.expectMessageClass(Blade.SubscribeMap.class);
    ActorRef<GlobalResourceMap> maps = sub.subscriber();

    TestProbe<ConsoleProtocol.Frames> viewer = kit.createTestProbe();
    GlobalResourceMap routedHere = GlobalResourceMap.EMPTY.with(ConsoleRoute.to(STATION, SELF, 2));
    handler.handler().tell(new SmmHandler.Delivery(STATION, new ConsoleProtocol.Attach(STATION, viewer.getRef(), 2), null));
    // This blade's first map (epoch 1) routes the station nowhere; the one it attached under follows.
    maps.tell(GlobalResourceMap.EMPTY.atEpoch(1));
    maps.tell(routedHere);
    handler.handler().tell(new SmmHandler.Delivery(STATION, new ConsoleProtocol.Keys("echo routed\n".getBytes(), 2), null));
    awaitScreen(viewer, "routed");

    // A map at or past the attach's epoch that routes it elsewhere does detach it: the next
    // output reaches the console (its log) but no frame reaches the viewer.
    maps.tell(routedHere.with(ConsoleRoute.to(STATION, new BladeId(1, 1, 3), 3)));
    handler.handler().tell(new SmmHandler.Delivery(STATION, new ConsoleProtocol.Keys("echo x\n".getBytes(), 2), null));
    viewer.expectNoMessage(Duration.ofMillis(500));
  }

  /** Follows the viewer's frames (a whole screen, then changed rows) until the screen shows {@code text}. */
  static void awaitScreen(TestProbe<ConsoleProtocol.Frames> viewer, String text) {
    ConsoleDriver.ScreenImage[] screen = {null};
    viewer.fishForMessage(Duration.ofSeconds(10), f -> {
      if (f instanceof ConsoleProtocol.Frame whole) screen[0] = whole.image();
      else if (f instanceof ConsoleProtocol.FrameRows rows && screen[0] != null) screen[0] = rows.rows().applyTo(screen[0]);
      return screen[0] != null && screen[0].text().contains(text)
          ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
          : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore();
    });
  }
}
