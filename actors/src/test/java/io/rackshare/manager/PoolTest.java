package io.rackshare.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.layout.Layouts;
import io.rackshare.layout.Raid0Layout;
import io.rackshare.layout.Raid10Layout;
import io.rackshare.layout.Raid1Layout;
import io.rackshare.layout.Raid5Layout;
import io.rackshare.layout.SpanLayout;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.Extent;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Part;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeRequest;
import io.rackshare.map.VolumeSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Placement of volumes asked for by size on the pool's extents ({@link Pool}). */
class PoolTest {
  static final Layouts LAYOUTS = Layouts.of(new SpanLayout(), new Raid0Layout(), new Raid1Layout(),
      new Raid10Layout(), new Raid5Layout());
  static final long MIB = 1 << 20;
  /** Extents of 1 MiB, members on different blades. */
  static final Pool.Settings ONE_MIB = new Pool.Settings(MIB, Pool.Domain.BLADE);

  static ResourceDescriptor disk(BladeId b, int index, long bytes) {
    return new ResourceDescriptor(DevicePath.disk(b, index), new ResourceConfig.Block(4096, bytes / 4096));
  }

  /** A cluster of the given blades, each with one disk of {@code bytes}, every blade up. */
  static ManagerState pool(List<BladeId> blades, long bytes) {
    ManagerState s = ManagerState.EMPTY;
    for (BladeId b : blades) s = s.apply(new ManagerEvent.ResourceRegistered(disk(b, 0, bytes)));
    return s;
  }

  static List<BladeId> blades(int racks, int chassisPerRack, int slotsPerChassis) {
    List<BladeId> out = new ArrayList<>();
    for (int r = 1; r <= racks; r++) {
      for (int c = 1; c <= chassisPerRack; c++) {
        for (int s = 1; s <= slotsPerChassis; s++) out.add(new BladeId(r, c, s));
      }
    }
    return out;
  }

  static VolumeRequest request(String name, String layout, long bytes, int copies, int width, int spares) {
    return new VolumeRequest(name, layout, bytes, copies, width, spares, Map.of());
  }

  static GlobalResourceDescriptor created(ManagerState s, VolumeRequest r, Pool.Settings settings) {
    ManagerState.Decision d = s.createVolume(r, List.of(), LAYOUTS, settings);
    assertEquals(List.of(), d.problems());
    assertEquals(1, d.events().size());
    return ((ManagerEvent.VolumeCreated) d.events().get(0)).volume();
  }

  @Test
  void threeCopiesLandOnThreeBladesWithTheSizeAskedFor() {
    ManagerState s = pool(blades(1, 1, 4), 64 * MIB);
    GlobalResourceDescriptor v = created(s, request("m", "raid1", 10 * MIB, 3, 0, 0), ONE_MIB);
    assertEquals(10 * MIB, v.sizeBytes());
    assertEquals(3, v.members().size());
    assertEquals(3, v.parts().size());
    Set<BladeId> blades = new HashSet<>();
    for (Part p : v.parts()) {
      blades.add(p.path().blade());
      assertEquals(p.path().blade(), p.disk().blade());
      assertEquals(10 * MIB / 4096, p.blocks());
      assertEquals(0, p.readyBlocks(), "a new part is ready only once its blade zeroed it");
    }
    assertEquals(3, blades.size(), "no two copies on one blade");
    assertEquals("3", v.options().get("copies"));
    assertTrue(!v.partsReady());
  }

  @Test
  void copiesSpreadOverRacksThenChassisBeforeSharingOne() {
    // 16 blades as the seed's example (0088): two racks of two chassis of four blades.
    ManagerState s = pool(blades(2, 2, 4), 64 * MIB);
    GlobalResourceDescriptor v = created(s, request("m", "raid1", 8 * MIB, 4, 0, 0), ONE_MIB);
    Set<List<Integer>> chassis = new HashSet<>();
    Set<Integer> racks = new HashSet<>();
    for (DevicePath d : v.devices()) {
      chassis.add(List.of(d.blade().rack(), d.blade().chassis()));
      racks.add(d.blade().rack());
    }
    assertEquals(2, racks.size());
    assertEquals(4, chassis.size(), "four copies in four chassis: " + v.devices());
  }

  @Test
  void theSeedsSixteenBladeSpanFillsEveryDiskInDevicePathOrder() {
    // 0088: blades 1-16 each host one disk; volume V: spans all sixteen.
    List<BladeId> blades = blades(1, 1, 16);
    ManagerState s = pool(blades, 10 * MIB);
    GlobalResourceDescriptor v = created(s, request("V", "span", 160 * MIB, 0, 0, 0), ONE_MIB);
    assertEquals(16, v.members().size());
    for (int i = 0; i < 16; i++) {
      assertEquals(blades.get(i), v.member(i).blade());
      assertEquals(List.of(new Extent(0, 10 * MIB / 4096, DevicePath.disk(blades.get(i), 0), 0)),
          v.parts().get(i).extents());
    }
    assertEquals(160 * MIB, v.sizeBytes());
    // One extent more than the pool has: a clear error, nothing placed.
    ManagerState.Decision d = s.createVolume(request("W", "span", 161 * MIB, 0, 0, 0), List.of(), LAYOUTS, ONE_MIB);
    assertEquals(List.of(), d.events());
    assertTrue(d.problems().get(0).contains("the pool cannot hold span 'W'"), d.problems().toString());
  }

  @Test
  void aPoolTooSmallIsAClearErrorNeverAPartialVolume() {
    ManagerState s = pool(blades(1, 1, 2), 64 * MIB);
    ManagerState.Decision d = s.createVolume(request("m", "raid1", 8 * MIB, 3, 0, 0), List.of(), LAYOUTS, ONE_MIB);
    assertEquals(List.of(), d.events());
    String why = d.problems().get(0);
    assertTrue(why.contains("needs 3 disk(s) in different blades") && why.contains("found 2"), why);
    // Large enough in all, but not on enough blades with room for a member each.
    d = s.createVolume(request("m", "raid1", 65 * MIB, 2, 0, 0), List.of(), LAYOUTS, ONE_MIB);
    assertTrue(d.problems().get(0).contains("65 free extent(s)"), d.problems().toString());
  }

  @Test
  void volumesShareDisksWithoutSharingExtents() {
    ManagerState s = pool(blades(1, 1, 3), 16 * MIB);
    List<GlobalResourceDescriptor> made = new ArrayList<>();
    for (String name : List.of("a", "b", "c")) {
      GlobalResourceDescriptor v = created(s, request(name, "raid1", 5 * MIB, 3, 0, 0), ONE_MIB);
      s = s.apply(new ManagerEvent.VolumeCreated(v));
      made.add(v);
    }
    Set<String> usedExtents = new HashSet<>();
    for (GlobalResourceDescriptor v : made) {
      for (Part p : v.parts()) {
        for (Extent e : p.extents()) {
          for (long b = e.deviceBlock(); b < e.deviceBlock() + e.blockCount(); b += MIB / 4096) {
            assertTrue(usedExtents.add(e.device() + "@" + b), "extent used twice: " + e.device() + "@" + b);
          }
        }
      }
    }
    // Part names are not reused on a blade.
    Set<DevicePath> parts = new HashSet<>();
    made.forEach(v -> parts.addAll(v.devices()));
    assertEquals(9, parts.size());
    // 15 of 16 extents per disk are used: a fourth of 5 MiB does not fit, one of 1 MiB does.
    ManagerState full = s;
    assertTrue(!full.createVolume(request("d", "raid1", 5 * MIB, 3, 0, 0), List.of(), LAYOUTS, ONE_MIB)
        .problems().isEmpty());
    created(full, request("d", "raid1", MIB, 3, 0, 0), ONE_MIB);
  }

  @Test
  void partsOfOneDiskFollowOneAnotherAndAreNumberedPerBlade() {
    BladeId b = new BladeId(1, 1, 1);
    ManagerState s = pool(List.of(b), 8 * MIB);
    GlobalResourceDescriptor first = created(s, request("a", "span", 2 * MIB, 0, 1, 0), ONE_MIB);
    s = s.apply(new ManagerEvent.VolumeCreated(first));
    GlobalResourceDescriptor second = created(s, request("b", "span", 2 * MIB, 0, 1, 0), ONE_MIB);
    s = s.apply(new ManagerEvent.VolumeCreated(second));
    // Extents 0-1 are a's, 2-3 b's; a 4-extent volume takes 4-7 in one run.
    GlobalResourceDescriptor third = created(s, request("c", "span", 4 * MIB, 0, 1, 0), ONE_MIB);
    assertEquals(List.of(new Extent(0, 4 * MIB / 4096, DevicePath.disk(b, 0), 4 * MIB / 4096)),
        third.parts().get(0).extents());
    assertEquals(new DevicePath(b, Part.KIND, 2), third.devices().get(0));
  }

  @Test
  void stripedAndParityLayoutsSizeTheirMembersFromTheirShareOfData() {
    ManagerState s = pool(blades(1, 1, 8), 64 * MIB);
    GlobalResourceDescriptor r5 = created(s, request("p", "raid5", 12 * MIB, 0, 4, 0), ONE_MIB);
    assertEquals(4, r5.members().size());
    assertEquals(4 * MIB / 4096, r5.parts().get(0).blocks(), "a third of 12 MiB per member, plus parity");
    assertEquals(12 * MIB, r5.sizeBytes());
    GlobalResourceDescriptor r10 = created(s, request("t", "raid10", 8 * MIB, 2, 3, 1), ONE_MIB);
    assertEquals(6, r10.members().size());
    assertEquals(1, r10.spares().size());
    assertEquals(7, r10.parts().size());
    Set<BladeId> all = new HashSet<>();
    r10.parts().forEach(p -> all.add(p.path().blade()));
    assertEquals(7, all.size(), "members and spare on seven different blades: " + r10.devices());
  }

  @Test
  void aFailureDomainOfChassisKeepsMembersInDifferentChassis() {
    ManagerState s = pool(blades(1, 2, 4), 64 * MIB);
    Pool.Settings chassis = new Pool.Settings(MIB, Pool.Domain.CHASSIS);
    GlobalResourceDescriptor v = created(s, request("m", "raid1", 4 * MIB, 2, 0, 0), chassis);
    assertEquals(2, v.devices().stream().map(d -> d.blade().chassis()).distinct().count());
    ManagerState.Decision d = s.createVolume(request("n", "raid1", 4 * MIB, 3, 0, 0), List.of(), LAYOUTS, chassis);
    assertTrue(d.problems().get(0).contains("needs 3 disk(s) in different chassis with"), d.problems().toString());
  }

  @Test
  void disksOfVolumesInTheConfigAndDownBladesAreNotPooled() {
    List<BladeId> blades = blades(1, 1, 3);
    ManagerState s = pool(blades, 64 * MIB);
    VolumeSpec declared = new VolumeSpec("cfg", "span", List.of(DevicePath.disk(blades.get(0), 0)), Map.of());
    s = s.apply(new ManagerEvent.BladeLost(blades.get(1)));
    Map<DevicePath, Pool.Space> space = Pool.space(s, List.of(declared), ONE_MIB);
    assertEquals(Set.of(DevicePath.disk(blades.get(1), 0), DevicePath.disk(blades.get(2), 0)), space.keySet());
    assertTrue(!space.get(DevicePath.disk(blades.get(1), 0)).online());
    ManagerState.Decision d = s.createVolume(request("m", "raid1", MIB, 2, 0, 0), List.of(declared), LAYOUTS, ONE_MIB);
    assertTrue(d.problems().get(0).contains("(down)"), d.problems().toString());
    d = s.createVolume(request("cfg", "span", MIB, 0, 0, 0), List.of(declared), LAYOUTS, ONE_MIB);
    assertTrue(d.problems().get(0).contains("exists already"), d.problems().toString());
  }

  @Test
  void partsBecomeReadyAsTheirBladesReportThemZeroed() {
    ManagerState s = pool(blades(1, 1, 2), 16 * MIB);
    GlobalResourceDescriptor v = created(s, request("m", "raid1", 2 * MIB, 2, 0, 0), ONE_MIB);
    s = s.apply(new ManagerEvent.VolumeCreated(v));
    long epoch = s.map().epoch();
    for (Part p : v.parts()) {
      List<ManagerEvent> events = s.partReady("m", p.path(), p.blocks());
      assertEquals(1, events.size());
      s = s.apply(events.get(0));
      assertEquals(List.of(), s.partReady("m", p.path(), p.blocks()), "reported twice, journalled once");
    }
    assertTrue(s.map().volumes().get("m").partsReady());
    assertEquals(epoch + 2, s.map().epoch(), "each part's readiness is a new map epoch");
    assertThrows(IllegalArgumentException.class, () -> request("bad name", "raid1", MIB, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> request("x", "raid1", 0, 0, 0, 0));
  }

  @Test
  void aFailedPartWithNoSpareIsReplacedByANewPartOnAnotherBladeAndGoesBackToThePool() {
    List<BladeId> three = blades(1, 1, 3);
    ManagerState s = pool(three, 16 * MIB);
    GlobalResourceDescriptor v = created(s, request("m", "raid1", 4 * MIB, 2, 0, 0), ONE_MIB);
    s = s.apply(new ManagerEvent.VolumeCreated(v));
    for (Part p : v.parts()) s = s.apply(s.partReady("m", p.path(), p.blocks()).get(0));
    DevicePath failed = s.map().volumes().get("m").member(1).device();
    DevicePath kept = s.map().volumes().get("m").member(0).device();
    for (ManagerEvent e : s.memberFailed(new ManagerProtocol.MemberFailed(kept.blade(), "m", failed, s.map().epoch(),
        "I/O error", false), LAYOUTS).events()) {
      s = s.apply(e);
    }
    assertEquals(io.rackshare.map.Member.State.FAILED, s.map().volumes().get("m").member(1).state());
    assertEquals(List.of(), s.replaceFromPool(LAYOUTS, k -> false, List.of(), ONE_MIB), "not waited long enough");
    List<ManagerEvent> e = s.replaceFromPool(LAYOUTS, k -> true, List.of(), ONE_MIB);
    assertEquals(2, e.size(), e.toString());
    Part fresh = ((ManagerEvent.PartAllocated) e.get(0)).part();
    BladeId third = three.stream().filter(b -> !b.equals(failed.blade()) && !b.equals(kept.blade())).findFirst()
        .orElseThrow();
    assertEquals(third, fresh.path().blade(), "the blade with the most free extents that holds no copy");
    assertEquals(4 * MIB / 4096, fresh.blocks());
    assertTrue(fresh.ready(), "a rebuild writes all of it");
    assertEquals(new ManagerEvent.SpareActivated("m", 1, failed, fresh.path()), e.get(1));
    for (ManagerEvent x : e) s = s.apply(x);
    GlobalResourceDescriptor after = s.map().volumes().get("m");
    assertEquals(io.rackshare.map.Member.State.REBUILDING, after.member(1).state());
    assertEquals(fresh.path(), after.member(1).device());
    assertTrue(after.part(failed).isEmpty(), "the failed part went back to the pool");
    assertEquals(16, Pool.space(s, List.of(), ONE_MIB).get(DevicePath.disk(failed.blade(), 0)).free(),
        "its extents are free again");
  }

  @Test
  void aHotSparePartTakesAFailedMembersPlaceAtOnce() {
    ManagerState s = pool(blades(1, 1, 3), 16 * MIB);
    GlobalResourceDescriptor v = created(s, request("m", "raid1", 2 * MIB, 2, 0, 1), ONE_MIB);
    assertEquals(1, v.spares().size());
    s = s.apply(new ManagerEvent.VolumeCreated(v));
    DevicePath failed = v.member(0).device();
    List<ManagerEvent> events = s.memberFailed(new ManagerProtocol.MemberFailed(v.member(1).blade(), "m", failed,
        s.map().epoch(), "I/O error", false), LAYOUTS).events();
    assertEquals(new ManagerEvent.SpareActivated("m", 0, failed, v.spares().get(0)), events.get(events.size() - 1));
    for (ManagerEvent e : events) s = s.apply(e);
    assertEquals(v.spares().get(0), s.map().volumes().get("m").member(0).device());
    assertTrue(s.map().volumes().get("m").part(failed).isEmpty(), "the failed part went back to the pool");
  }

  /** Creates {@code r} and makes its parts ready, as their blades would. */
  static ManagerState createdReady(ManagerState s, VolumeRequest r) {
    s = s.apply(new ManagerEvent.VolumeCreated(created(s, r, ONE_MIB)));
    for (Part p : s.map().volumes().get(r.name()).parts()) {
      for (ManagerEvent e : s.partReady(r.name(), p.path(), p.blocks())) s = s.apply(e);
    }
    return s;
  }

  @Test
  void aMirrorGrowsEveryCopyOnItsOwnDiskAndTakesTheSizeOnceTheNewExtentsAreZeroed() {
    ManagerState s = createdReady(pool(blades(1, 1, 3), 16 * MIB), request("m", "raid1", 3 * MIB, 3, 0, 0));
    GlobalResourceDescriptor before = s.map().volumes().get("m");
    ManagerState.Decision d = s.growVolume("m", 7 * MIB, List.of(), LAYOUTS, ONE_MIB);
    assertEquals(List.of(), d.problems());
    for (ManagerEvent e : d.events()) s = s.apply(e);
    GlobalResourceDescriptor growing = s.map().volumes().get("m");
    assertEquals(3 * MIB, growing.sizeBytes(), "not before the new extents are zeroed");
    assertEquals(new io.rackshare.map.Growth(7 * MIB / 4096, 7 * MIB / 4096, List.of()), growing.growth());
    for (int i = 0; i < 3; i++) {
      Part was = before.parts().get(i);
      Part now = growing.parts().get(i);
      assertEquals(was.path(), now.path());
      assertEquals(was.disk(), now.disk(), "a part stays on its disk");
      assertEquals(was.extents(), now.extents().subList(0, was.extents().size()), "its old extents stay where they were");
      assertEquals(7 * MIB / 4096, now.blocks());
      assertEquals(was.blocks(), now.readyBlocks(), "the old blocks are ready, the new ones are zeroed first");
    }
    // A second grow while this one is under way is refused.
    assertTrue(s.growVolume("m", 9 * MIB, List.of(), LAYOUTS, ONE_MIB).problems().get(0).contains("being prepared or grown"));
    List<ManagerEvent> last = List.of();
    for (Part p : growing.parts()) {
      last = s.partReady("m", p.path(), p.blocks());
      for (ManagerEvent e : last) s = s.apply(e);
    }
    assertEquals(new ManagerEvent.VolumeGrown("m"), last.get(last.size() - 1), "the last part ready ends the growth");
    GlobalResourceDescriptor grown = s.map().volumes().get("m");
    assertEquals(7 * MIB, grown.sizeBytes());
    assertEquals(7 * MIB / 4096, grown.memberBlocks());
    assertEquals(null, grown.growth());
  }

  @Test
  void aSpanGrowsItsLastMemberOnlyAndKeepsItsLookupTablesPrefix() {
    ManagerState s = createdReady(pool(blades(1, 1, 2), 8 * MIB), request("V", "span", 12 * MIB, 0, 0, 0));
    GlobalResourceDescriptor before = s.map().volumes().get("V");
    assertEquals(2, before.members().size());
    ManagerState.Decision d = s.growVolume("V", 14 * MIB, List.of(), LAYOUTS, ONE_MIB);
    assertEquals(List.of(), d.problems());
    for (ManagerEvent e : d.events()) s = s.apply(e);
    for (Part p : s.map().volumes().get("V").parts()) {
      for (ManagerEvent e : s.partReady("V", p.path(), p.blocks())) s = s.apply(e);
    }
    GlobalResourceDescriptor grown = s.map().volumes().get("V");
    assertEquals(14 * MIB, grown.sizeBytes());
    assertEquals(before.parts().get(0), grown.parts().get(0), "the first member is as it was");
    assertEquals(before.extents().get(0), grown.extents().get(0), "its blocks keep their place in the volume");
    assertEquals(6 * MIB / 4096, grown.parts().get(1).blocks());
  }

  @Test
  void growingIsRefusedClearlyWhereItCannotBeDone() {
    ManagerState s = createdReady(pool(blades(1, 1, 3), 8 * MIB), request("m", "raid1", 4 * MIB, 3, 0, 0));
    assertTrue(s.growVolume("m", 20 * MIB, List.of(), LAYOUTS, ONE_MIB).problems().get(0)
        .contains("needs 16 more extent(s)"), "no room on a part's disk");
    assertTrue(s.growVolume("m", 2 * MIB, List.of(), LAYOUTS, ONE_MIB).problems().get(0).contains("only grow"));
    assertTrue(s.growVolume("nope", 8 * MIB, List.of(), LAYOUTS, ONE_MIB).problems().get(0).contains("no volume 'nope'"));
    ManagerState sets = createdReady(pool(blades(1, 1, 4), 8 * MIB), request("two", "raid1", 4 * MIB, 2, 2, 0));
    assertTrue(sets.growVolume("two", 6 * MIB, List.of(), LAYOUTS, ONE_MIB).problems().get(0)
        .contains("cannot grow in place"));
    // Not every copy in sync: refused.
    GlobalResourceDescriptor v = s.map().volumes().get("m");
    for (ManagerEvent e : s.memberFailed(new ManagerProtocol.MemberFailed(v.member(0).blade(), "m", v.member(1).device(),
        s.map().epoch(), "I/O error", false), LAYOUTS).events()) {
      s = s.apply(e);
    }
    assertTrue(s.growVolume("m", 5 * MIB, List.of(), LAYOUTS, ONE_MIB).problems().get(0)
        .contains("every member in sync"));
  }

  @Test
  void aRemovedVolumeFreesItsExtentsAndStaysRemovedWhenAStaleMapIsAdopted() {
    ManagerState s = createdReady(pool(blades(1, 1, 2), 8 * MIB), request("m", "raid1", 4 * MIB, 2, 0, 0));
    ManagerState before = s;
    assertTrue(s.removeVolume("nope", List.of()).problems().get(0).contains("no volume 'nope'"));
    VolumeSpec declared = new VolumeSpec("m", "span", List.of(DevicePath.disk(new BladeId(9, 9, 9), 0)), Map.of());
    assertTrue(s.removeVolume("m", List.of(declared)).problems().get(0).contains("declared in rackshare.volumes"));
    ManagerState.Decision d = s.removeVolume("m", List.of());
    assertEquals(List.of(new ManagerEvent.VolumeRemoved("m")), d.events());
    s = s.apply(d.events().get(0));
    assertTrue(s.map().volume("m").isEmpty());
    assertEquals(8, Pool.space(s, List.of(), ONE_MIB).get(DevicePath.disk(new BladeId(1, 1, 1), 0)).free(),
        "its extents are free again");
    // A blade that missed the removal reports its older map (a new manager adopts the blades' maps):
    // the volume stays removed.
    ManagerState adopted = s.apply(new ManagerEvent.MapAdopted(before.map()));
    assertTrue(adopted.map().volume("m").isEmpty(), "not brought back by a stale copy");
    // A manager that only knows the stale copy learns the removal from a blade that has it.
    ManagerState stale = ManagerState.EMPTY.apply(new ManagerEvent.MapAdopted(before.map()));
    assertTrue(stale.map().volume("m").isPresent());
    ManagerState learnt = stale.apply(new ManagerEvent.MapAdopted(s.map()));
    assertTrue(learnt.map().volume("m").isEmpty(), "the tombstone wins over the older descriptor");
    // The name can be used again; the new volume's parts start unready (zeroed first).
    GlobalResourceDescriptor again = created(s, request("m", "raid1", 4 * MIB, 2, 0, 0), ONE_MIB);
    assertTrue(!again.partsReady());
    s = s.apply(new ManagerEvent.VolumeCreated(again));
    assertTrue(s.map().removed().isEmpty(), "the new volume outlives the tombstone");
  }
}
