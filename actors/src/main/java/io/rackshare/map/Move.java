package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;

/**
 * The member at {@code position} moving to {@code target}, a part of another blade (a drain):
 * every write of the member goes to the target too, after the member (as to a member being
 * rebuilt), and the target's blade copies the member's bytes across under its range locks (the
 * target is not zeroed first: the copy covers all the member holds). When the copy is done the manager switches the map: the
 * target takes the position, in sync, and the old member's extents go back to the pool. {@code
 * since} is the map epoch the move started at: a move is known by it, as a rebuild by its
 * member's.
 */
public record Move(int position, DevicePath target, long since) implements RackshareSerializable {
  @com.fasterxml.jackson.annotation.JsonCreator
  public Move {
    if (position < 0 || target == null || since < 0) {
      throw new IllegalArgumentException("a move needs a position, a target and an epoch");
    }
  }
}
