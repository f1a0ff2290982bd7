package io.rackshare.layout;

import static io.rackshare.layout.Raid1LayoutTest.assertMessage;
import static io.rackshare.layout.Raid1LayoutTest.devices;
import static io.rackshare.layout.Volumes.build;
import static io.rackshare.layout.Volumes.disk;
import static io.rackshare.layout.Volumes.disks;
import static io.rackshare.layout.Volumes.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** RAID-0 and RAID-10: chunks dealt round-robin over single members or mirrored sets. */
class StripedLayoutTest {

  static final int BS = 4096;
  static final int CHUNK = 64 * 1024;

  @Test
  void raid0StripesChunksOverTheMembersInOrder() {
    Raid0Layout raid0 = new Raid0Layout();
    // 3 disks of 40 blocks (160 KiB): 2 whole chunks each, the rest unused.
    GlobalResourceDescriptor v = build(raid0, disks(BS, 40, 1, 2, 3), Map.of());
    assertEquals(2L * CHUNK / BS, v.memberBlocks());
    assertEquals(6L * CHUNK, v.sizeBytes());
    // Chunk 4 is the second chunk of disk 2; a read across chunks 4 and 5 is cut at the edge.
    List<DeviceSegment> r = Plans.reads(raid0, v, 4L * CHUNK + 100, CHUNK);
    assertEquals(List.of(new DeviceSegment(disk(2, 0), CHUNK + 100, 4L * CHUNK + 100, CHUNK - 100),
        new DeviceSegment(disk(3, 0), CHUNK, 5L * CHUNK, 100)), r);
    assertTrue(raid0.owns(v, r.get(0), true));
    assertFalse(raid0.owns(v, new DeviceSegment(disk(1, 0), CHUNK + 100, 4L * CHUNK + 100, 10), false));
    // No redundancy: one member offline fails the volume, and spares are refused.
    assertTrue(raid0.health(with(v, 1, Member.State.OFFLINE)).failed());
    assertMessage("no redundancy", () -> build(raid0, disks(BS, 40, 1, 2), disks(BS, 40, 3), Map.of()));
  }

  @Test
  void stripeSizeIsAnOptionAndMustBeAMultipleOfTheBlockSize() {
    Raid0Layout raid0 = new Raid0Layout();
    GlobalResourceDescriptor v = build(raid0, disks(BS, 40, 1, 2), Map.of("stripe-size", "8KiB"));
    assertEquals(2, Plans.reads(raid0, v, 0, 16 * 1024).size());
    assertEquals(disk(2, 0), Plans.reads(raid0, v, 8192, 1).get(0).device());
    assertMessage("stripe-size = 1000 must be a positive multiple of 4096",
        () -> build(raid0, disks(BS, 40, 1, 2), Map.of("stripe-size", "1000")));
  }

  @Test
  void raid10StripesOverMirroredSetsAndReadsAlternateCopies() {
    Raid10Layout raid10 = new Raid10Layout();
    // Sets (1,2) and (3,4); chunks 0, 2, 4 on set A, 1, 3, 5 on set B.
    GlobalResourceDescriptor v = build(raid10, disks(BS, 48, 1, 2, 3, 4), Map.of());
    assertEquals(3L * CHUNK * 2, v.sizeBytes());
    List<List<DeviceSegment>> w = Plans.writes(raid10, v, 3L * CHUNK, 10);
    assertEquals(List.of(List.of(new DeviceSegment(disk(3, 0), CHUNK, 3L * CHUNK, 10),
        new DeviceSegment(disk(4, 0), CHUNK, 3L * CHUNK, 10))), w);
    // Balanced: set A's consecutive chunks (rows 0, 1, 2) come from disk 1, 2, 1.
    List<DeviceSegment> r = Plans.reads(raid10, v, 0, 6 * CHUNK);
    assertEquals(List.of(disk(1, 0), disk(3, 0), disk(2, 0), disk(4, 0), disk(1, 0), disk(3, 0)), devices(r));
    // Losing one disk of each set is survivable; losing a whole set is not.
    GlobalResourceDescriptor two = with(with(v, 0, Member.State.FAILED), 3, Member.State.FAILED);
    assertEquals(Health.Status.DEGRADED, raid10.health(two).status());
    assertEquals(List.of(disk(2, 0), disk(3, 0), disk(2, 0), disk(3, 0)), devices(Plans.reads(raid10, two, 0, 4 * CHUNK)));
    assertTrue(raid10.health(with(v, 0, Member.State.FAILED).withMember(1,
        v.member(1).with(Member.State.OFFLINE, 9), 9)).failed());
  }

  @Test
  void raid10RebuildCopiesEachChunkRowFromTheOtherCopy() {
    Raid10Layout raid10 = new Raid10Layout();
    GlobalResourceDescriptor v = with(build(raid10, disks(BS, 48, 1, 2, 3, 4), Map.of()), 3, Member.State.REBUILDING);
    List<RebuildStep> steps = raid10.rebuild(v, 3, 0, 2 * CHUNK);
    assertEquals(List.of(
        new RebuildStep.Copy(new DeviceSegment(disk(3, 0), 0, CHUNK, CHUNK), new DeviceSegment(disk(4, 0), 0, CHUNK, CHUNK)),
        new RebuildStep.Copy(new DeviceSegment(disk(3, 0), CHUNK, 3L * CHUNK, CHUNK),
            new DeviceSegment(disk(4, 0), CHUNK, 3L * CHUNK, CHUNK))), steps);
  }
}
