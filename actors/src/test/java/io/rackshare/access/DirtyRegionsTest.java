package io.rackshare.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a copy in sync can say about the regions a failed copy missed, and when it cannot. */
class DirtyRegionsTest {

  static final long REGION = 64 * 1024;
  static final BladeId SELF = new BladeId(1, 1, 1);
  static final DevicePath MINE = DevicePath.disk(SELF, 0);
  static final DevicePath OTHER = DevicePath.disk(new BladeId(1, 1, 2), 0);

  static GlobalResourceMap map(long epoch, Member mine, Member other) {
    GlobalResourceDescriptor v = new GlobalResourceDescriptor("m", "raid1", 4096, 256, 256,
        List.of(mine, other), List.of(), List.of(), Map.of(), epoch);
    return new GlobalResourceMap(epoch, Map.of("m", v));
  }

  static final GlobalResourceMap BOTH = map(1, Member.active(MINE, 1), Member.active(OTHER, 1));
  /** The other copy failed at epoch 2. */
  static final GlobalResourceMap FAILED = map(2, Member.active(MINE, 1), Member.active(OTHER, 1).with(Member.State.FAILED, 2));
  /** It came back at epoch 3 and is being resynchronised. */
  static final GlobalResourceMap BACK = map(3, Member.active(MINE, 1), FAILED.volumes().get("m").member(1)
      .with(Member.State.REBUILDING, 3));

  static DirtyRegions regions(Duration window) {
    return new DirtyRegions(SELF, Map.of(MINE, 1L << 20), REGION, window);
  }

  static List<String> since(DirtyRegions d, long epoch) {
    List<long[]> r = d.writtenSince("m", 1, OTHER, epoch, MINE);
    return r == null ? null : r.stream().map(x -> x[0] / REGION + "-" + x[1] / REGION).toList();
  }

  @Test
  void aFailedCopyMissesTheRegionsWrittenFromItsFailureOn() {
    DirtyRegions d = regions(Duration.ZERO);
    d.mapInstalled(GlobalResourceMap.EMPTY, BOTH);
    d.writing(MINE, 0, 4096, 1);
    d.mapInstalled(BOTH, FAILED);
    d.writing(MINE, 3 * REGION - 10, 20, 2);
    d.writing(MINE, 5 * REGION, 4096, 2);
    d.writing(MINE, 15 * REGION + 1, 8, 3);
    d.mapInstalled(FAILED, BACK);
    assertEquals(2, BACK.volumes().get("m").member(1).missedFrom());
    // Region 0 was written before the failure, by a write that reached both copies.
    assertEquals(List.of("2-4", "5-6", "15-16"), since(d, 2));
  }

  /**
   * Found by DataLaneFuzzTest: a peer's ZERO near 2^63 (offset plus length overflowing) is noted
   * before the target refuses it, and its overflowing end once made a region index out of the
   * table, which ended the lane connection's thread. Past the device, nothing is noted; a range
   * that runs past it is noted up to its end.
   */
  @Test
  void rangesPastTheDeviceOrOverflowingAreNotedOnlyWhereTheDeviceIs() {
    DirtyRegions d = regions(Duration.ZERO);
    d.mapInstalled(GlobalResourceMap.EMPTY, BOTH);
    d.mapInstalled(BOTH, FAILED);
    d.writing(MINE, Long.MAX_VALUE - 99, 822083584, 2);
    d.writing(MINE, 1L << 20, 4096, 2);
    d.writing(MINE, (1L << 20) - REGION, Long.MAX_VALUE, 2);
    d.mapInstalled(FAILED, BACK);
    assertEquals(List.of("15-16"), since(d, 2), "only the last region, by the range that starts on the device");
  }

  @Test
  void writesJustBeforeTheFailureCountAsMissedWithinTheWindow() {
    DirtyRegions d = regions(Duration.ofHours(1));
    d.mapInstalled(GlobalResourceMap.EMPTY, BOTH);
    // Reached this copy under epoch 1; its requester may have stopped before the other copy got it.
    d.writing(MINE, 7 * REGION, 4096, 1);
    d.mapInstalled(BOTH, FAILED);
    assertEquals(List.of("7-8"), since(d, 2));
  }

  @Test
  void aBladeThatDidNotSeeTheFailureCannotSay() {
    DirtyRegions d = regions(Duration.ZERO);
    // It started after the failure: it knows nothing of the writes before it started.
    d.mapInstalled(GlobalResourceMap.EMPTY, FAILED);
    d.writing(MINE, 0, 4096, 2);
    d.mapInstalled(FAILED, BACK);
    assertNull(since(d, 2));
    // Nor about a failure at another epoch than the one it saw.
    DirtyRegions e = regions(Duration.ZERO);
    e.mapInstalled(GlobalResourceMap.EMPTY, BOTH);
    e.mapInstalled(BOTH, FAILED);
    assertEquals(List.of(), since(e, 2));
    assertNull(since(e, 1));
  }

  @Test
  void aCopyFailingAgainDuringItsResyncStillMissesFromItsFirstFailure() {
    GlobalResourceMap failedAgain = map(4, Member.active(MINE, 1),
        BACK.volumes().get("m").member(1).with(Member.State.FAILED, 4));
    assertEquals(2, failedAgain.volumes().get("m").member(1).missedFrom());
    DirtyRegions d = regions(Duration.ofHours(1));
    d.mapInstalled(GlobalResourceMap.EMPTY, BOTH);
    d.mapInstalled(BOTH, FAILED);
    d.writing(MINE, 4 * REGION, 4096, 2);
    d.mapInstalled(FAILED, BACK);
    d.writing(MINE, 9 * REGION, 4096, 3);
    d.mapInstalled(BACK, failedAgain);
    assertEquals(List.of("4-5", "9-10"), since(d, 2));

    // A blade that only saw the second failure knows nothing of the writes before it.
    DirtyRegions late = regions(Duration.ofHours(1));
    late.mapInstalled(GlobalResourceMap.EMPTY, BACK);
    late.writing(MINE, 9 * REGION, 4096, 3);
    late.mapInstalled(BACK, failedAgain);
    assertNull(since(late, 2));
  }

  @Test
  void itForgetsWhenItsOwnCopyLeftTheInSyncCopiesOrTheFailedOneIsBackInSync() {
    DirtyRegions d = regions(Duration.ZERO);
    d.mapInstalled(GlobalResourceMap.EMPTY, BOTH);
    d.mapInstalled(BOTH, FAILED);
    GlobalResourceMap mineOffline = map(4, Member.active(MINE, 1).with(Member.State.OFFLINE, 4),
        FAILED.volumes().get("m").member(1));
    GlobalResourceMap mineBack = map(5, Member.active(MINE, 5), FAILED.volumes().get("m").member(1));
    d.mapInstalled(FAILED, mineOffline);
    d.mapInstalled(mineOffline, mineBack);
    assertNull(since(d, 2), "writes acknowledged while this copy was offline are not known here");

    DirtyRegions e = regions(Duration.ZERO);
    e.mapInstalled(GlobalResourceMap.EMPTY, BOTH);
    e.mapInstalled(BOTH, FAILED);
    GlobalResourceMap synced = map(6, Member.active(MINE, 1), BACK.volumes().get("m").member(1).with(Member.State.ACTIVE, 6));
    e.mapInstalled(FAILED, synced);
    assertNull(since(e, 2));
  }
}
