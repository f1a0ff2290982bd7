package io.rackshare.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.layout.Layouts;
import io.rackshare.layout.Raid1Layout;
import io.rackshare.layout.SpanLayout;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Members on memory (issue 16): a member holds the content of one incarnation of its memory;
 * memory that registers under another (its blade restarted) is empty, and the member is rebuilt
 * whole, never taken back as it was, whether the manager saw the old incarnation or only a map
 * that names it.
 */
class MemoryMembersTest {
  static final BladeId B1 = new BladeId(1, 1, 1);
  static final BladeId B2 = new BladeId(1, 1, 2);
  static final Layouts LAYOUTS = Layouts.of(new SpanLayout(), new Raid1Layout());
  static final List<VolumeSpec> SPECS = List.of(new VolumeSpec("ram", "raid1",
      List.of(DevicePath.memory(B1, 0), DevicePath.memory(B2, 0)), Map.of()));

  static ResourceDescriptor memory(BladeId b, String incarnation) {
    return new ResourceDescriptor(DevicePath.memory(b, 0), new ResourceConfig.Block(4096, 256, incarnation));
  }

  static ManagerState register(ManagerState s, BladeId b, String incarnation, GlobalResourceMap map) {
    ManagerState.Decision d = s.decide(new ManagerProtocol.RegisterResources(b, List.of(memory(b, incarnation)), map),
        SPECS, LAYOUTS);
    for (ManagerEvent e : d.events()) s = s.apply(e);
    return s;
  }

  static ManagerState built() {
    return register(register(ManagerState.EMPTY, B1, "one-a", GlobalResourceMap.EMPTY), B2, "two-a",
        GlobalResourceMap.EMPTY);
  }

  @Test
  void aVolumeOnMemoryHoldsItsMembersIncarnations() {
    GlobalResourceDescriptor v = built().map().volumes().get("ram");
    assertEquals("one-a", v.member(0).incarnation());
    assertEquals("two-a", v.member(1).incarnation());
  }

  @Test
  void memoryBackUnderAnotherIncarnationIsRebuiltWholeThenHoldsTheNewOne() {
    ManagerState s = built();
    // Blade 2 restarts before anyone noticed it gone: its member is still ACTIVE.
    s = register(s, B2, "two-b", s.map());
    Member m = s.map().volumes().get("ram").member(1);
    assertEquals(Member.State.REBUILDING, m.state(), "never taken back as it was: " + m);
    assertEquals(0, m.missedFrom(), "rebuilt whole, not just what it missed");
    List<ManagerEvent> done = s.rebuildDone(new ManagerProtocol.RebuildDone(B2, "ram", 1, m.device(), m.since()));
    for (ManagerEvent e : done) s = s.apply(e);
    assertEquals(new Member(m.device(), Member.State.ACTIVE, s.map().epoch(), 0, "two-b"),
        s.map().volumes().get("ram").member(1));
    // The same incarnation registering again (a network blip) changes nothing.
    ManagerState again = register(s, B2, "two-b", s.map());
    assertEquals(s.map(), again.map());
  }

  @Test
  void anOfflineMemberOnMemoryThatCameBackEmptyIsNotTakenBackAsItWas() {
    ManagerState s = built();
    // Both copies lost to blade failures: blade 1's member is the last in sync, so OFFLINE.
    s = s.apply(new ManagerEvent.MemberFailed("ram", 1, DevicePath.memory(B2, 0), Member.State.FAILED, "gone"));
    s = s.apply(new ManagerEvent.BladeLost(B1));
    s = s.apply(new ManagerEvent.MemberFailed("ram", 0, DevicePath.memory(B1, 0), Member.State.OFFLINE, "gone"));
    s = register(s, B1, "one-b", s.map());
    GlobalResourceDescriptor v = s.map().volumes().get("ram");
    assertEquals(Member.State.REBUILDING, v.member(0).state(), "empty memory: " + v.member(0));
    assertTrue(LAYOUTS.get("raid1").health(v).failed(), "no copy holds the data any more: the volume is lost");
    assertEquals(List.of(), s.offlineBack(Set.of(B1, B2)));
  }

  @Test
  void aResyncOfOnlyWhatWasMissedNeedsTheSameIncarnation() {
    ManagerState s = built();
    s = s.apply(new ManagerEvent.MemberFailed("ram", 1, DevicePath.memory(B2, 0), Member.State.FAILED, "gone"));
    s = s.apply(new ManagerEvent.MemberReturned("ram", 1, DevicePath.memory(B2, 0), Member.State.REBUILDING));
    Member resync = s.map().volumes().get("ram").member(1);
    assertTrue(resync.missedFrom() != 0 && "two-a".equals(resync.incarnation()), resync.toString());
    // A new manager, which never saw blade 2's old registration, hears from its new process.
    ManagerState fresh = register(ManagerState.EMPTY, B2, "two-b", s.map());
    Member m = fresh.map().volumes().get("ram").member(1);
    assertEquals(0, m.missedFrom(), "rebuilt whole: the regions it missed are not all it lacks now: " + m);
    assertTrue(m.since() > resync.since(), "a new rebuild");
  }

  @Test
  void aManagerThatKnowsOnlyTheBladesMapStillSeesTheMemoryRestarted() {
    GlobalResourceMap map = built().map();
    // A new manager with no journal adopts the map a blade reports; blade 1 restarted meanwhile.
    ManagerState s = register(ManagerState.EMPTY, B1, "one-c", map);
    assertEquals(Member.State.REBUILDING, s.map().volumes().get("ram").member(0).state());
    assertEquals(Member.State.ACTIVE, s.map().volumes().get("ram").member(1).state(), "blade 2 has not registered");
  }
}
