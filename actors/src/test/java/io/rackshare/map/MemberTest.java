package io.rackshare.map;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The epoch from which a member out of sync may lack writes, through its changes of state. */
class MemberTest {

  static final DevicePath D = DevicePath.disk(new BladeId(1, 1, 2), 0);

  @Test
  void aMemberMissesWritesFromTheEpochItLeftTheInSyncCopies() {
    Member failed = Member.active(D, 1).with(Member.State.FAILED, 5);
    assertEquals(5, failed.missedFrom());
    Member back = failed.with(Member.State.REBUILDING, 7);
    assertEquals(5, back.missedFrom(), "its return does not change what it missed");
    assertEquals(5, back.with(Member.State.FAILED, 9).missedFrom(), "nor a failure of its resync");
    assertEquals(0, back.with(Member.State.ACTIVE, 11).missedFrom(), "in sync again");
    assertEquals(4, Member.active(D, 1).with(Member.State.OFFLINE, 3).with(Member.State.FAILED, 4).missedFrom());
  }

  @Test
  void aSpareMayLackAnything() {
    Member spare = new Member(D, Member.State.REBUILDING, 3);
    assertEquals(0, spare.missedFrom());
    assertEquals(0, spare.with(Member.State.FAILED, 4).missedFrom());
  }
}
