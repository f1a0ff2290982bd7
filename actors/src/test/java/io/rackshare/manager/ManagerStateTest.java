package io.rackshare.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.layout.Layouts;
import io.rackshare.layout.SpanLayout;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ManagerStateTest {

  static final BladeId B1 = new BladeId(1, 1, 1);
  static final BladeId B2 = new BladeId(1, 1, 2);
  static final Layouts LAYOUTS = Layouts.of(new SpanLayout());

  static ResourceDescriptor disk(BladeId b, int blockSize, long blocks) {
    return new ResourceDescriptor(DevicePath.disk(b, 0), new ResourceConfig.Block(blockSize, blocks));
  }

  static final List<VolumeSpec> SPECS = List.of(new VolumeSpec("v", "span",
      List.of(DevicePath.disk(B1, 0), DevicePath.disk(B2, 0)), Map.of()));

  static ManagerState replay(ManagerState s, List<ManagerEvent> events) {
    for (ManagerEvent e : events) s = s.apply(e);
    return s;
  }

  @Test
  void aVolumeIsBuiltOnlyWhenAllItsMembersRegistered() {
    ManagerState.Decision first = ManagerState.EMPTY.decide(
        new ManagerProtocol.RegisterResources(B1, List.of(disk(B1, 4096, 10)), GlobalResourceMap.EMPTY),
        SPECS, LAYOUTS);
    assertEquals(1, first.events().size());
    ManagerState s = replay(ManagerState.EMPTY, first.events());
    assertTrue(s.map().volume("v").isEmpty());
    assertEquals(Map.of("v", List.of(DevicePath.disk(B2, 0))), s.pendingVolumes(SPECS));

    ManagerState.Decision second = s.decide(
        new ManagerProtocol.RegisterResources(B2, List.of(disk(B2, 4096, 6)), GlobalResourceMap.EMPTY),
        SPECS, LAYOUTS);
    assertEquals(2, second.events().size());
    assertInstanceOf(ManagerEvent.VolumeCreated.class, second.events().get(1));
    s = replay(s, second.events());
    assertEquals(16, s.map().volume("v").orElseThrow().capacityBlocks());
    assertEquals(1, s.map().epoch());
    assertEquals(1, s.map().volume("v").orElseThrow().epoch());
  }

  @Test
  void reRegisteringTheSameResourcesChangesNothing() {
    ManagerState s = ManagerState.EMPTY;
    for (BladeId b : List.of(B1, B2)) {
      s = replay(s, s.decide(new ManagerProtocol.RegisterResources(b, List.of(disk(b, 4096, 10)),
          GlobalResourceMap.EMPTY), SPECS, LAYOUTS).events());
    }
    ManagerState.Decision again = s.decide(new ManagerProtocol.RegisterResources(
        B1, List.of(disk(B1, 4096, 10)), s.map()), SPECS, LAYOUTS);
    assertEquals(List.of(), again.events());
  }

  @Test
  void aBladeReportsOnlyItsOwnResources() {
    ManagerState.Decision d = ManagerState.EMPTY.decide(new ManagerProtocol.RegisterResources(
        B1, List.of(disk(B2, 4096, 10)), GlobalResourceMap.EMPTY), SPECS, LAYOUTS);
    assertEquals(List.of(), d.events());
  }

  @Test
  void membersThatDoNotFitTheLayoutAreReportedNotBuilt() {
    ManagerState s = replay(ManagerState.EMPTY, ManagerState.EMPTY.decide(
        new ManagerProtocol.RegisterResources(B1, List.of(disk(B1, 4096, 10)), GlobalResourceMap.EMPTY),
        SPECS, LAYOUTS).events());
    ManagerState.Decision d = s.decide(new ManagerProtocol.RegisterResources(
        B2, List.of(disk(B2, 512, 10)), GlobalResourceMap.EMPTY), SPECS, LAYOUTS);
    assertEquals(1, d.problems().size());
    assertTrue(d.problems().get(0).contains("different block sizes"), d.problems().get(0));
    assertTrue(replay(s, d.events()).map().volume("v").isEmpty());
  }

  @Test
  void aManagerWithoutStateAdoptsTheNewestMapABladeReports() {
    ManagerState old = ManagerState.EMPTY;
    for (BladeId b : List.of(B1, B2)) {
      old = replay(old, old.decide(new ManagerProtocol.RegisterResources(b, List.of(disk(b, 4096, 10)),
          GlobalResourceMap.EMPTY), SPECS, LAYOUTS).events());
    }
    GlobalResourceMap reported = old.map().with(old.map().volume("v").orElseThrow().withEpoch(7));
    ManagerState.Decision d = ManagerState.EMPTY.decide(new ManagerProtocol.RegisterResources(
        B1, List.of(disk(B1, 4096, 10)), reported), SPECS, LAYOUTS);
    ManagerState fresh = replay(ManagerState.EMPTY, d.events());
    assertEquals(7, fresh.map().epoch());
    assertEquals(reported.volume("v"), fresh.map().volume("v"));
  }

  @Test
  void bladesThatLeaveAreOfflineUntilTheyRegisterAgain() {
    ManagerState s = ManagerState.EMPTY;
    for (BladeId b : List.of(B1, B2)) {
      s = replay(s, s.decide(new ManagerProtocol.RegisterResources(b, List.of(disk(b, 4096, 10)),
          GlobalResourceMap.EMPTY), SPECS, LAYOUTS).events());
    }
    List<ManagerEvent> lost = s.bladesLost(Set.of(B1), LAYOUTS);
    // A span has no redundancy: the lost member stays in sync, OFFLINE, and the volume fails.
    assertEquals(List.of(new ManagerEvent.BladeLost(B2), new ManagerEvent.MemberFailed("v", 1,
        DevicePath.disk(B2, 0), Member.State.OFFLINE, B2 + " left the cluster")), lost);
    s = replay(s, lost);
    assertEquals(Set.of(B2), s.offline());
    assertEquals(List.of(), s.bladesLost(Set.of(B1), LAYOUTS));
    s = replay(s, s.decide(new ManagerProtocol.RegisterResources(B2, List.of(disk(B2, 4096, 10)),
        s.map()), SPECS, LAYOUTS).events());
    assertEquals(Set.of(), s.offline());
    assertEquals(Member.State.ACTIVE, s.map().volume("v").orElseThrow().member(1).state(), "back in sync");
  }

  static final BladeId B3 = new BladeId(1, 1, 3);
  static final Layouts ALL = Layouts.of(new SpanLayout(), new io.rackshare.layout.Raid1Layout());
  static final List<VolumeSpec> MIRROR = List.of(new VolumeSpec("m", "raid1",
      List.of(DevicePath.disk(B1, 0), DevicePath.disk(B2, 0)), List.of(DevicePath.disk(B3, 0)), Map.of()));

  static ManagerState mirrorOnThreeBlades() {
    ManagerState s = ManagerState.EMPTY;
    for (BladeId b : List.of(B1, B2, B3)) {
      s = replay(s, s.decide(new ManagerProtocol.RegisterResources(b, List.of(disk(b, 4096, 10)),
          GlobalResourceMap.EMPTY), MIRROR, ALL).events());
    }
    return s;
  }

  static List<Member.State> states(ManagerState s) {
    return s.map().volume("m").orElseThrow().members().stream().map(Member::state).toList();
  }

  @Test
  void aFailedMirrorCopyIsReplacedByTheHotSpareWhichIsRebuiltThenInSync() {
    ManagerState s = mirrorOnThreeBlades();
    assertEquals(List.of(DevicePath.disk(B3, 0)), s.map().volume("m").orElseThrow().spares());
    List<ManagerEvent> e = s.memberFailed(new ManagerProtocol.MemberFailed(B1, "m", DevicePath.disk(B2, 0), 1,
        "IO_ERROR: disk", false), ALL).events();
    assertEquals(2, e.size());
    assertEquals(Member.State.FAILED, ((ManagerEvent.MemberFailed) e.get(0)).state(), "the volume goes on: stale");
    assertEquals(new ManagerEvent.SpareActivated("m", 1, DevicePath.disk(B2, 0), DevicePath.disk(B3, 0)), e.get(1));
    s = replay(s, e);
    var v = s.map().volume("m").orElseThrow();
    assertEquals(List.of(DevicePath.disk(B1, 0), DevicePath.disk(B3, 0)), v.devices());
    assertEquals(List.of(Member.State.ACTIVE, Member.State.REBUILDING), states(s));
    assertTrue(v.spares().isEmpty());
    // A report about the old device changes nothing now.
    assertEquals(List.of(), s.memberFailed(new ManagerProtocol.MemberFailed(B1, "m", DevicePath.disk(B2, 0), 1,
        "late", false), ALL).events());
    // The rebuild of another epoch does not count; the right one makes the spare a member in sync.
    long since = v.member(1).since();
    assertEquals(List.of(), s.rebuildDone(new ManagerProtocol.RebuildDone(B3, "m", 1, DevicePath.disk(B3, 0), since - 1)));
    s = replay(s, s.rebuildDone(new ManagerProtocol.RebuildDone(B3, "m", 1, DevicePath.disk(B3, 0), since)));
    assertEquals(List.of(Member.State.ACTIVE, Member.State.ACTIVE), states(s));
    assertTrue(s.map().epoch() > since);
  }

  @Test
  void theLastCopyGoesOfflineNotFailedAndAStaleCopyIsResyncedWhenItsBladeReturns() {
    ManagerState s = mirrorOnThreeBlades();
    // The spare's blade goes first, then both copies.
    s = replay(s, s.bladesLost(Set.of(B1, B2), ALL));
    s = replay(s, s.bladesLost(Set.of(B1), ALL));
    assertEquals(List.of(Member.State.ACTIVE, Member.State.FAILED), states(s), "no usable spare");
    s = replay(s, s.bladesLost(Set.of(), ALL));
    assertEquals(List.of(Member.State.OFFLINE, Member.State.FAILED), states(s));
    assertTrue(ALL.get("raid1").health(s.map().volume("m").orElseThrow()).failed());
    // Blade 2 comes back first: its copy missed writes, so it is resynchronised, not read; the
    // volume stays failed until blade 1's in-sync copy returns.
    s = replay(s, s.decide(new ManagerProtocol.RegisterResources(B2, List.of(disk(B2, 4096, 10)), s.map()),
        MIRROR, ALL).events());
    assertEquals(List.of(Member.State.OFFLINE, Member.State.REBUILDING), states(s));
    s = replay(s, s.decide(new ManagerProtocol.RegisterResources(B1, List.of(disk(B1, 4096, 10)), s.map()),
        MIRROR, ALL).events());
    assertEquals(List.of(Member.State.ACTIVE, Member.State.REBUILDING), states(s));
  }

  static final BladeId B4 = new BladeId(1, 1, 4);
  static final List<VolumeSpec> MIRROR_NO_SPARE = List.of(new VolumeSpec("m", "raid1",
      List.of(DevicePath.disk(B1, 0), DevicePath.disk(B2, 0)), List.of(), Map.of()));

  static ResourceDescriptor disk(BladeId b, int index, int blockSize, long blocks) {
    return new ResourceDescriptor(DevicePath.disk(b, index), new ResourceConfig.Block(blockSize, blocks));
  }

  /**
   * Self-healing: a FAILED copy with no spare waits as long as it must, then takes the first free
   * disk that fits, never one on the other copy's blade, one too small, of another block size,
   * on a blade that is gone, or one some volume uses; with none that fits it keeps waiting.
   */
  @Test
  void aFailedCopyWithNoSpareTakesAFittingFreeDiskOfThePoolOnceItWaited() {
    ManagerState s = ManagerState.EMPTY;
    Map<BladeId, List<ResourceDescriptor>> disks = Map.of(
        B1, List.of(disk(B1, 0, 4096, 10), disk(B1, 1, 4096, 50)),  // Disk(1): on the surviving copy's blade
        B2, List.of(disk(B2, 0, 4096, 10)),
        B3, List.of(disk(B3, 0, 4096, 9), disk(B3, 1, 512, 80)),     // too small; another block size
        B4, List.of(disk(B4, 0, 4096, 12)));                        // fits
    for (BladeId b : List.of(B1, B2, B3, B4)) {
      s = replay(s, s.decide(new ManagerProtocol.RegisterResources(b, disks.get(b), GlobalResourceMap.EMPTY),
          MIRROR_NO_SPARE, ALL).events());
    }
    s = replay(s, s.memberFailed(new ManagerProtocol.MemberFailed(B1, "m", DevicePath.disk(B2, 0), 1, "IO_ERROR",
        false), ALL).events());
    assertEquals(List.of(Member.State.ACTIVE, Member.State.FAILED), states(s), "no spare: it waits");
    assertEquals(1, s.failedMembers().size());
    String key = s.failedMembers().iterator().next();
    assertEquals(List.of(), s.replaceFromPool(ALL, k -> false), "not waited long enough");

    // Blade 4 is gone: nothing fits, so it keeps waiting.
    ManagerState without4 = replay(s, s.bladesLost(Set.of(B1, B2, B3), ALL));
    assertEquals(List.of(), without4.replaceFromPool(ALL, key::equals));

    List<ManagerEvent> e = s.replaceFromPool(ALL, key::equals);
    assertEquals(List.of(new ManagerEvent.SpareActivated("m", 1, DevicePath.disk(B2, 0), DevicePath.disk(B4, 0))), e);
    s = replay(s, e);
    assertEquals(List.of(Member.State.ACTIVE, Member.State.REBUILDING), states(s));
    assertEquals(List.of(), s.replaceFromPool(ALL, k -> true), "nothing FAILED any more");
  }

  static List<ResourceDescriptor> console(BladeId b) {
    return List.of(new ResourceDescriptor(DevicePath.video(b), new ResourceConfig.Video(80, 25, "bash")),
        new ResourceDescriptor(DevicePath.keyboard(b), new ResourceConfig.Keyboard("utf-8")),
        new ResourceDescriptor(DevicePath.mouse(b), new ResourceConfig.Mouse("xterm")));
  }

  @Test
  void theConsoleRouteIsAMapChangeToABladeWithAConsole() {
    ManagerState s = ManagerState.EMPTY;
    s = replay(s, s.decide(new ManagerProtocol.RegisterResources(B2, console(B2), GlobalResourceMap.EMPTY), SPECS,
        LAYOUTS).events());
    s = replay(s, s.decide(new ManagerProtocol.RegisterResources(B1, List.of(disk(B1, 4096, 10)),
        GlobalResourceMap.EMPTY), SPECS, LAYOUTS).events());
    long epoch = s.map().epoch();
    String digest = s.map().digest();

    ManagerState.Decision noConsole = s.routeConsole(new ManagerProtocol.RouteConsole(B2, B1, false));
    assertEquals(List.of(), noConsole.events());
    assertEquals(1, noConsole.problems().size());
    assertTrue(noConsole.problems().get(0).startsWith(B1 + " has no console"), noConsole.problems().toString());

    ManagerState.Decision routed = s.routeConsole(new ManagerProtocol.RouteConsole(B1, B2, false));
    assertEquals(List.of(new ManagerEvent.ConsoleRouted(io.rackshare.map.ConsoleRoute.to(B1, B2, epoch + 1))),
        routed.events());
    ManagerState after = replay(s, routed.events());
    assertEquals(epoch + 1, after.map().epoch());
    assertEquals(B2, after.map().console(B1).orElseThrow().target());
    assertTrue(!digest.equals(after.map().digest()), "the digest covers the console route");
    // Routed there already, or asked to keep an existing route: no change.
    assertEquals(List.of(), after.routeConsole(new ManagerProtocol.RouteConsole(B1, B2, false)).events());
    assertEquals(List.of(), after.routeConsole(new ManagerProtocol.RouteConsole(B1, B1, true)).events());
    // A manager starting without state adopts the route from a blade's map; an older route loses.
    ManagerState fresh = ManagerState.EMPTY.apply(new ManagerEvent.MapAdopted(after.map()));
    assertEquals(after.map().consoles(), fresh.map().consoles());
    ManagerState older = fresh.apply(new ManagerEvent.MapAdopted(GlobalResourceMap.EMPTY.with(
        io.rackshare.map.ConsoleRoute.to(B1, B1, epoch))));
    assertEquals(B2, older.map().console(B1).orElseThrow().target());
  }
}
