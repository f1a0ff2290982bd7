package io.rackshare.layout;

import static io.rackshare.layout.Volumes.build;
import static io.rackshare.layout.Volumes.disk;
import static io.rackshare.layout.Volumes.disks;
import static io.rackshare.layout.Volumes.resource;
import static io.rackshare.layout.Volumes.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceDescriptor;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class Raid1LayoutTest {

  static final int BS = 512;
  final Raid1Layout raid1 = new Raid1Layout();

  /** Figures 9b/10b: blades 1-16, one disk of 10 blocks each, mirrored in pairs A..H. */
  GlobalResourceDescriptor patentVolume(String policy) {
    return build(raid1, disks(BS, 10, IntStream.rangeClosed(1, 16).toArray()), Map.of("read-policy", policy));
  }

  @Test
  void sixteenDisksOfTenBlocksMirroredInPairsMakeEightyBlocks() {
    GlobalResourceDescriptor v = patentVolume("primary");
    assertEquals(80, v.capacityBlocks());
    assertEquals(16, v.members().size());
    // Pair C (blocks 20-29) is blades 5 and 6; block 27 is block 7 of both.
    List<List<DeviceSegment>> w = Plans.writes(raid1, v, 27L * BS, BS);
    assertEquals(List.of(List.of(new DeviceSegment(disk(5, 0), 7L * BS, 27L * BS, BS),
        new DeviceSegment(disk(6, 0), 7L * BS, 27L * BS, BS))), w);
  }

  @Test
  void primaryReadsTheFirstCopyInSyncAndBalancedAlternatesChunks() {
    GlobalResourceDescriptor primary = patentVolume("primary");
    assertEquals(List.of(disk(5, 0)), devices(Plans.reads(raid1, primary, 20L * BS, 10 * BS)));
    // With 512-byte chunks (read-chunk), a balanced read of pair C goes to both disks in turn.
    GlobalResourceDescriptor balanced = build(raid1, disks(BS, 10, IntStream.rangeClosed(1, 16).toArray()),
        Map.of("read-policy", "balanced", "read-chunk", "1024"));
    List<DeviceSegment> r = Plans.reads(raid1, balanced, 20L * BS, 10 * BS);
    assertEquals(5, r.size());
    assertEquals(List.of(disk(5, 0), disk(6, 0), disk(5, 0), disk(6, 0), disk(5, 0)), devices(r));
    assertEquals(10 * BS, r.stream().mapToInt(DeviceSegment::length).sum());
  }

  /** A blade that holds an in-sync copy reads its own (as DRBD does); the others still alternate. */
  @Test
  void balancedReadsTheReadersOwnCopyWhenItHoldsOne() {
    GlobalResourceDescriptor balanced = build(raid1, disks(BS, 10, IntStream.rangeClosed(1, 16).toArray()),
        Map.of("read-policy", "balanced", "read-chunk", "1024"));
    io.rackshare.map.BladeId six = disk(6, 0).blade();
    List<ReadPiece> own = raid1.reads(balanced, 20L * BS, 10 * BS, six);
    assertEquals(List.of(disk(6, 0)), own.stream().map(p -> ((ReadPiece.Direct) p).segment().device()).distinct().toList());
    io.rackshare.map.BladeId other = disk(9, 0).blade(); // holds pair E, not C
    assertEquals(List.of(disk(5, 0), disk(6, 0), disk(5, 0), disk(6, 0), disk(5, 0)),
        raid1.reads(balanced, 20L * BS, 10 * BS, other).stream().map(p -> ((ReadPiece.Direct) p).segment().device())
            .toList());
    // A copy being rebuilt is not the reader's to read.
    GlobalResourceDescriptor rebuilding = with(balanced, 5, Member.State.REBUILDING);
    assertEquals(List.of(disk(5, 0)), raid1.reads(rebuilding, 20L * BS, 10 * BS, six).stream()
        .map(p -> ((ReadPiece.Direct) p).segment().device()).distinct().toList());
    // primary keeps to the first copy in sync wherever the read is planned.
    assertEquals(List.of(disk(5, 0)), raid1.reads(patentVolume("primary"), 20L * BS, 10 * BS, six).stream()
        .map(p -> ((ReadPiece.Direct) p).segment().device()).distinct().toList());
  }

  @Test
  void aFailedCopyIsNeitherReadNorWrittenAndTheVolumeSurvivesUntilBothAreGone() {
    GlobalResourceDescriptor v = with(patentVolume("balanced"), 4, Member.State.FAILED); // blade 5
    assertEquals(Health.Status.DEGRADED, raid1.health(v).status());
    assertEquals(List.of(disk(6, 0)), devices(Plans.reads(raid1, v, 20L * BS, 10 * BS)).stream().distinct().toList());
    assertEquals(List.of(List.of(new DeviceSegment(disk(6, 0), 0, 20L * BS, BS))), Plans.writes(raid1, v, 20L * BS, BS));
    assertFalse(raid1.owns(v, new DeviceSegment(disk(5, 0), 0, 20L * BS, BS), false), "a failed copy is never read");
    GlobalResourceDescriptor both = with(v, 5, Member.State.OFFLINE);
    assertTrue(raid1.health(both).failed(), raid1.health(both).detail());
  }

  @Test
  void aRebuildingCopyIsWrittenAfterTheOthersAndRebuiltFromThem() {
    GlobalResourceDescriptor v = with(patentVolume("balanced"), 5, Member.State.REBUILDING); // blade 6
    WritePiece.Copies w = (WritePiece.Copies) raid1.writes(v, 21L * BS, BS).get(0);
    assertEquals(List.of(disk(5, 0)), devices(w.inSync()));
    assertEquals(List.of(disk(6, 0)), devices(w.rebuilding()));
    assertFalse(raid1.owns(v, new DeviceSegment(disk(6, 0), BS, 21L * BS, BS), false), "not read while rebuilt");
    assertTrue(raid1.owns(v, new DeviceSegment(disk(6, 0), BS, 21L * BS, BS), true), "but written");
    List<RebuildStep> steps = raid1.rebuild(v, 5, 0, 10 * BS);
    assertEquals(List.of(new RebuildStep.Copy(new DeviceSegment(disk(5, 0), 0, 20L * BS, 10 * BS),
        new DeviceSegment(disk(6, 0), 0, 20L * BS, 10 * BS))), steps);
  }

  @Test
  void noTwoCopiesOfABlockShareABladeAndSparesMustNotEither() {
    // Two disks on each of blades 1 and 2, listed blade by blade: the pairs cross the blades.
    List<ResourceDescriptor> members = List.of(resource(disk(1, 0), BS, 10), resource(disk(1, 1), BS, 10),
        resource(disk(2, 0), BS, 10), resource(disk(2, 1), BS, 10));
    GlobalResourceDescriptor v = build(raid1, members, List.of(resource(disk(3, 0), BS, 10)), Map.of());
    assertEquals(List.of(disk(1, 0), disk(2, 0), disk(1, 1), disk(2, 1)), v.devices());
    assertTrue(raid1.mayHold(v, 0, disk(3, 0)));
    assertFalse(raid1.mayHold(v, 0, disk(2, 5)), "blade 2 holds the other copy");
    // Three disks of one blade cannot be mirrored at all.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> build(raid1,
        List.of(resource(disk(1, 0), BS, 10), resource(disk(1, 1), BS, 10)), Map.of()));
    assertTrue(e.getMessage().contains("share a blade"), e.getMessage());
  }

  @Test
  void nWayMirrorsAndBadOptionsAndSmallSpares() {
    GlobalResourceDescriptor three = build(raid1, disks(BS, 10, 1, 2, 3), Map.of("copies", "3"));
    assertEquals(10, three.capacityBlocks());
    assertEquals(3, Plans.writes(raid1, three, 0, BS).get(0).size());
    assertMessage("no option [stripes]", () -> build(raid1, disks(BS, 10, 1, 2), Map.of("stripes", "2")));
    assertMessage("read-policy = fastest must be one of primary, balanced",
        () -> build(raid1, disks(BS, 10, 1, 2), Map.of("read-policy", "fastest")));
    assertMessage("do not divide into sets of 2", () -> build(raid1, disks(BS, 10, 1, 2, 3), Map.of()));
    assertMessage("is smaller than a member", () -> build(raid1, disks(BS, 10, 1, 2),
        List.of(resource(disk(3, 0), BS, 9)), Map.of()));
  }

  static void assertMessage(String part, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }

  static List<DevicePath> devices(List<DeviceSegment> s) {
    return s.stream().map(DeviceSegment::device).toList();
  }
}
