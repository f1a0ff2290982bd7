package io.rackshare.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import io.rackshare.layout.Layouts;
import io.rackshare.layout.Raid1Layout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The manager's journal is JSON: every event and the state (snapshots) round-trip, and events
 * written in an earlier shape still read, so a journal survives the code that wrote it.
 */
class ManagerEventsEvolveTest {

  static final ActorTestKit kit = ActorTestKit.create("evolve");
  static final Serialization serialization = SerializationExtension.get(kit.system().classicSystem());

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static final BladeId B1 = new BladeId(1, 1, 1);
  static final BladeId B2 = new BladeId(1, 1, 2);
  static final List<VolumeSpec> SPECS = List.of(new VolumeSpec("m", "raid1",
      List.of(DevicePath.disk(B1, 0), DevicePath.disk(B2, 0)), Map.of()));
  static final Layouts LAYOUTS = Layouts.of(new Raid1Layout());

  /** A history with every kind of event, and the state it leads to. */
  static List<ManagerEvent> history() {
    List<ManagerEvent> events = new ArrayList<>();
    ManagerState s = ManagerState.EMPTY;
    for (BladeId b : List.of(B1, B2)) {
      List<ManagerEvent> e = s.decide(new ManagerProtocol.RegisterResources(b, List.of(new ResourceDescriptor(
          DevicePath.disk(b, 0), new ResourceConfig.Block(4096, 10))), GlobalResourceMap.EMPTY), SPECS, LAYOUTS).events();
      for (ManagerEvent x : e) s = s.apply(x);
      events.addAll(e);
    }
    events.add(new ManagerEvent.MemberFailed("m", 1, DevicePath.disk(B2, 0), Member.State.FAILED, "I/O error"));
    events.add(new ManagerEvent.MemberReturned("m", 1, DevicePath.disk(B2, 0), Member.State.REBUILDING));
    events.add(new ManagerEvent.RebuildCompleted("m", 1, DevicePath.disk(B2, 0)));
    events.add(new ManagerEvent.BladeLost(B2));
    events.add(new ManagerEvent.SpareActivated("m", 1, DevicePath.disk(B2, 0), DevicePath.disk(B1, 1)));
    for (ManagerEvent e : events.subList(events.size() - 5, events.size())) s = s.apply(e);
    events.add(new ManagerEvent.ResourceRegistered(new ResourceDescriptor(DevicePath.video(B2),
        new ResourceConfig.Video(80, 25, "bash -i"))));
    events.add(new ManagerEvent.ResourceRegistered(new ResourceDescriptor(DevicePath.keyboard(B2),
        new ResourceConfig.Keyboard("utf-8"))));
    events.add(new ManagerEvent.ResourceRegistered(new ResourceDescriptor(DevicePath.mouse(B2),
        new ResourceConfig.Mouse("xterm"))));
    events.add(new ManagerEvent.ResourceRegistered(new ResourceDescriptor(DevicePath.audio(B2, 0),
        new ResourceConfig.Audio(16000, 1, "s16le", "sox -q -n -t raw - synth sine 440"))));
    for (ManagerEvent e : events.subList(events.size() - 4, events.size())) s = s.apply(e);
    List<ManagerEvent> routed = s.routeConsole(new ManagerProtocol.RouteConsole(B1, B2, false)).events();
    assertEquals(1, routed.size());
    events.addAll(routed);
    s = s.apply(routed.get(0));
    // A volume on the pool: parts of two blades' third disks, then each part zeroed.
    for (BladeId b : List.of(B1, B2)) {
      ManagerEvent e = new ManagerEvent.ResourceRegistered(new ResourceDescriptor(DevicePath.disk(b, 2),
          new ResourceConfig.Block(4096, 1024)));
      events.add(e);
      s = s.apply(e);
    }
    List<ManagerEvent> created = s.createVolume(new io.rackshare.map.VolumeRequest("p", "raid1", 1 << 20, 2, 0, 0,
        Map.of()), SPECS, LAYOUTS, new Pool.Settings(1 << 20, Pool.Domain.BLADE)).events();
    assertEquals(1, created.size());
    events.addAll(created);
    s = s.apply(created.get(0));
    for (io.rackshare.map.Part p : s.map().volume("p").orElseThrow().parts()) {
      ManagerEvent e = s.partReady("p", p.path(), p.blocks()).get(0);
      events.add(e);
      s = s.apply(e);
    }
    events.add(new ManagerEvent.MapAdopted(s.map()));
    s = s.apply(events.get(events.size() - 1));
    List<ManagerEvent> removed = s.removeVolume("p", SPECS).events();
    assertEquals(1, removed.size());
    events.addAll(removed);
    s = s.apply(removed.get(0));
    events.add(new ManagerEvent.MapAdopted(s.map()));
    return events;
  }

  static Object roundTrip(Object o) {
    Serializer s = serialization.findSerializerFor(o);
    assertInstanceOf(org.apache.pekko.serialization.jackson.JacksonJsonSerializer.class, s, "serializer of " + o.getClass());
    String manifest = ((SerializerWithStringManifest) s).manifest(o);
    return serialization.deserialize(s.toBinary(o), s.identifier(), manifest).get();
  }

  @Test
  void everyEventAndTheStateRoundTripAsJson() {
    ManagerState s = ManagerState.EMPTY;
    for (ManagerEvent e : history()) {
      assertEquals(e, roundTrip(e));
      s = s.apply(e);
    }
    assertEquals(s, roundTrip(s), "a snapshot of the state");
  }

  @Test
  void aMapWrittenBeforeConsolesWereInItStillReads() {
    Serializer s = serialization.findSerializerFor(history().get(0));
    String old = """
        {"map":{"epoch":7,"volumes":{}}}
        """;
    Object back = serialization.deserialize(old.getBytes(StandardCharsets.UTF_8), s.identifier(),
        ManagerEvent.MapAdopted.class.getName()).get();
    GlobalResourceMap m = assertInstanceOf(ManagerEvent.MapAdopted.class, back).map();
    assertEquals(7, m.epoch());
    assertEquals(Map.of(), m.consoles());
  }

  @Test
  void aVolumeWrittenBeforeVolumesHadPartsStillReads() throws Exception {
    ManagerEvent.VolumeCreated now = history().stream().filter(e -> e instanceof ManagerEvent.VolumeCreated)
        .map(e -> (ManagerEvent.VolumeCreated) e).findFirst().orElseThrow();
    Serializer s = serialization.findSerializerFor(now);
    String json = new String(s.toBinary(now), StandardCharsets.UTF_8);
    String old = json.replace(",\"parts\":[]", "");
    assertEquals(false, old.contains("parts"), old);
    Object back = serialization.deserialize(old.getBytes(StandardCharsets.UTF_8), s.identifier(),
        ManagerEvent.VolumeCreated.class.getName()).get();
    assertEquals(now, back);
  }

  @Test
  void eventsWrittenInAnEarlierShapeStillRead() {
    Serializer s = serialization.findSerializerFor(history().get(0));
    // As an earlier version wrote it: no "reason" yet, and a field this version no longer has.
    String old = """
        {"volume":"m","position":1,"device":{"blade":{"rack":1,"chassis":1,"slot":2},"kind":"Disk","index":0},
         "state":"FAILED","retired":"a field dropped since"}
        """;
    Object back = serialization.deserialize(old.getBytes(StandardCharsets.UTF_8), s.identifier(),
        ManagerEvent.MemberFailed.class.getName()).get();
    ManagerEvent.MemberFailed f = assertInstanceOf(ManagerEvent.MemberFailed.class, back);
    assertEquals(DevicePath.disk(B2, 0), f.device());
    assertEquals(Member.State.FAILED, f.state());
    assertNull(f.reason(), "added later: reads as its default");
    // And it replays: the member fails in the state rebuilt from the journal.
    ManagerState state = ManagerState.EMPTY;
    for (ManagerEvent e : history().subList(0, 5)) state = state.apply(e);
    state = state.apply(f);
    assertEquals(Member.State.FAILED, state.map().volume("m").orElseThrow().member(1).state());
  }
}
