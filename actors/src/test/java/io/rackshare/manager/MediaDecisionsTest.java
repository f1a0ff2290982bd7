package io.rackshare.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.layout.Layouts;
import io.rackshare.layout.MediaLayout;
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
import org.junit.jupiter.api.Test;

/** The manager's decisions about removable-media drives ({@code ManagerState.media}, on a blade's registration). */
class MediaDecisionsTest {
  static final Layouts LAYOUTS = Layouts.of(new SpanLayout(), new Raid1Layout(), new MediaLayout());
  static final BladeId B = new BladeId(1, 1, 2);
  static final DevicePath DRIVE = DevicePath.media(B, 0);

  static ResourceDescriptor medium(String image, long blocks, String incarnation) {
    return new ResourceDescriptor(DRIVE, image == null ? ResourceConfig.Medium.empty("cd0", 2048)
        : new ResourceConfig.Medium("cd0", image, 2048, blocks, incarnation));
  }

  static ManagerState registered(ManagerState s, List<VolumeSpec> specs, ResourceDescriptor... resources) {
    ManagerState.Decision d = s.decide(new ManagerProtocol.RegisterResources(B, List.of(resources), GlobalResourceMap.EMPTY),
        specs, LAYOUTS);
    assertEquals(List.of(), d.problems());
    for (ManagerEvent e : d.events()) s = s.apply(e);
    return s;
  }

  @Test
  void anInsertedMediumHasItsReadOnlyVolumeStampedWithItsIncarnationAndAnotherMediumReplacesIt() {
    ManagerState s = registered(ManagerState.EMPTY, List.of(), medium("a.iso", 100, "medium-a"));
    GlobalResourceDescriptor v = s.map().volume("cd0").orElseThrow();
    assertEquals(MediaLayout.NAME, v.layout());
    assertEquals(100 * 2048, v.sizeBytes());
    assertEquals("medium-a", v.member(0).incarnation());
    // The same medium registered again (a new manager, the blade back) changes nothing.
    ManagerState.Decision same = s.decide(new ManagerProtocol.RegisterResources(B, List.of(medium("a.iso", 100,
        "medium-a")), s.map()), List.of(), LAYOUTS);
    assertEquals(List.of(), same.events());
    // Another medium: the volume is removed and made again, at a later epoch.
    ManagerState t = registered(s, List.of(), medium("b.iso", 50, "medium-b"));
    GlobalResourceDescriptor w = t.map().volume("cd0").orElseThrow();
    assertEquals("medium-b", w.member(0).incarnation());
    assertEquals(50 * 2048, w.sizeBytes());
    assertTrue(w.epoch() > v.epoch());
    // Ejected: no volume.
    ManagerState u = registered(t, List.of(), medium(null, 0, null));
    assertTrue(u.map().volume("cd0").isEmpty());
  }

  @Test
  void aNameTakenByAnotherVolumeIsAProblemAndTheDriveIsNotShared() {
    VolumeSpec taken = new VolumeSpec("cd0", "span", List.of(DevicePath.disk(B, 0)), Map.of());
    ManagerState.Decision d = ManagerState.EMPTY.decide(new ManagerProtocol.RegisterResources(B,
        List.of(medium("a.iso", 100, "medium-a")), GlobalResourceMap.EMPTY), List.of(taken), LAYOUTS);
    assertEquals(1, d.problems().size(), d.problems().toString());
    assertTrue(d.problems().get(0).contains("another volume has that name"), d.problems().get(0));
    assertTrue(d.events().stream().noneMatch(e -> e instanceof ManagerEvent.VolumeCreated));
  }

  @Test
  void aMediumsReadErrorFailsTheRequestNotTheDriveAndADrainOrARemovalLeavesIt() {
    ManagerState s = registered(ManagerState.EMPTY, List.of(), medium("a.iso", 100, "medium-a"));
    long epoch = s.map().volume("cd0").orElseThrow().epoch();
    ManagerState.Decision failed = s.memberFailed(new ManagerProtocol.MemberFailed(new BladeId(1, 1, 1), "cd0", DRIVE,
        epoch, "I/O error", false), LAYOUTS);
    assertEquals(List.of(), failed.events());
    // Its blade gone: the drive is offline, as any span's member.
    ManagerState.Decision gone = s.memberFailed(new ManagerProtocol.MemberFailed(new BladeId(1, 1, 1), "cd0", DRIVE,
        epoch, "closed", true), LAYOUTS);
    ManagerEvent.MemberFailed f = assertInstanceOf(ManagerEvent.MemberFailed.class, gone.events().get(0));
    assertEquals(Member.State.OFFLINE, f.state());

    ManagerState drained = s.apply(s.drain(B, true).events().get(0));
    assertEquals(List.of(), drained.drainMoves(LAYOUTS, List.of(), Pool.Settings.DEFAULT, 2));
    assertEquals(List.of(), drained.map().heldBy(B), "a drained blade keeps its media");
    ManagerState.Decision removal = s.removeVolume("cd0", List.of());
    assertTrue(removal.problems().get(0).contains("eject it instead"), removal.problems().toString());
  }
}
