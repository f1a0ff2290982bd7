package io.rackshare.layout;

import static io.rackshare.layout.Raid1LayoutTest.assertMessage;
import static io.rackshare.layout.Volumes.build;
import static io.rackshare.layout.Volumes.disk;
import static io.rackshare.layout.Volumes.disks;
import static io.rackshare.layout.Volumes.resource;
import static io.rackshare.layout.Volumes.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Raid5LayoutTest {

  static final int BS = 4096;
  static final int CHUNK = 64 * 1024;
  final Raid5Layout raid5 = new Raid5Layout();

  GlobalResourceDescriptor fourDisks() {
    return build(raid5, disks(BS, 64, 1, 2, 3, 4), Map.of()); // 4 chunks per disk
  }

  @Test
  void parityRotatesLeftSymmetricLikeMdsDefault() {
    GlobalResourceDescriptor v = fourDisks();
    assertEquals(3L * 4 * CHUNK, v.sizeBytes());
    // md's left-symmetric layout on 4 disks: parity on disk 3, 2, 1, 0; data follows it.
    int[][] expected = {{3, 0, 1, 2}, {2, 3, 0, 1}, {1, 2, 3, 0}, {0, 1, 2, 3}};
    for (int s = 0; s < 4; s++) {
      ParityLayout.Stripe st = raid5.stripe(v, s);
      assertEquals(expected[s][0], st.parityPosition(), "parity of stripe " + s);
      assertArrayEquals(new int[] {expected[s][1], expected[s][2], expected[s][3]}, st.dataPositions());
    }
    // Volume chunk 4 is data chunk 1 of stripe 1: disk 0 (blade 1), device offset of row 1.
    assertEquals(List.of(new DeviceSegment(disk(1, 0), CHUNK + 5, 4L * CHUNK + 5, 10)), Plans.reads(raid5, v, 4L * CHUNK + 5, 10));
  }

  @Test
  void writesGoToTheStripesCoordinatorTheBladeOfItsParity() {
    GlobalResourceDescriptor v = fourDisks();
    // Bytes across stripes 0 and 1: one piece per stripe.
    List<WritePiece> w = raid5.writes(v, 3L * CHUNK - 10, 20);
    assertEquals(List.of(new WritePiece.Parity(3L * CHUNK - 10, 10, 0, disk(4, 0)),
        new WritePiece.Parity(3L * CHUNK, 10, 1, disk(3, 0))), w);
    // Parity segments are owned by the parity member only.
    assertTrue(raid5.owns(v, DeviceSegment.parity(disk(4, 0), 100, 10), true));
    assertFalse(raid5.owns(v, DeviceSegment.parity(disk(1, 0), 100, 10), true));
    assertFalse(raid5.owns(v, DeviceSegment.parity(disk(4, 0), CHUNK - 5, 10), true), "crosses a chunk");
  }

  @Test
  void aMissingDataChunkIsReconstructedAtTheCoordinatorAndAMissingParityIsSkipped() {
    GlobalResourceDescriptor v = with(fourDisks(), 1, Member.State.FAILED); // disk of blade 2
    assertEquals(Health.Status.DEGRADED, raid5.health(v).status());
    // Stripe 0: data chunk 1 is on position 1; its parity is on blade 4.
    ReadPiece p = raid5.reads(v, CHUNK + 7, 100).get(0);
    assertEquals(new ReadPiece.Reconstructed(CHUNK + 7, 100, 0, disk(4, 0)), p);
    // Stripe 2's parity is on position 1: its writes go straight to the data members.
    WritePiece direct = raid5.writes(v, 6L * CHUNK, 10).get(0);
    assertInstanceOf(WritePiece.Copies.class, direct);
    assertEquals(disk(3, 0), ((WritePiece.Copies) direct).inSync().get(0).device());
    // A second member lost: failed.
    assertTrue(raid5.health(with(v, 3, Member.State.OFFLINE)).failed());
  }

  @Test
  void aRebuildReconstructsEveryChunkOfTheMemberAtItsStripesCoordinator() {
    GlobalResourceDescriptor v = with(fourDisks(), 0, Member.State.REBUILDING);
    List<RebuildStep> steps = raid5.rebuild(v, 0, 0, 4 * CHUNK);
    assertEquals(4, steps.size());
    RebuildStep.Reconstruct s0 = (RebuildStep.Reconstruct) steps.get(0);
    assertEquals(disk(4, 0), s0.coordinator());
    assertEquals(new DeviceSegment(disk(1, 0), 0, 0, CHUNK), s0.target());
    RebuildStep.Reconstruct s3 = (RebuildStep.Reconstruct) steps.get(3);
    assertTrue(s3.target().isParity(), "stripe 3 keeps its parity on position 0");
    assertEquals(disk(1, 0), s3.coordinator(), "which coordinates its own stripe");
  }

  @Test
  void membersMustBeThreeOrMoreOnDifferentBlades() {
    assertMessage("at least 3 members", () -> build(raid5, disks(BS, 64, 1, 2), Map.of()));
    assertMessage("different blades", () -> build(raid5,
        List.of(resource(disk(1, 0), BS, 64), resource(disk(1, 1), BS, 64), resource(disk(2, 0), BS, 64)), Map.of()));
  }
}
