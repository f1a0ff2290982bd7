package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;

/**
 * One position of a volume's layout and the device that fills it, with its state. Layouts read
 * and write members by position (a mirror group, a stripe column); a hot spare that replaces a
 * failed member takes over its position. {@code since} is the map epoch of the member's last
 * change of state or device: a rebuild is known by it.
 *
 * <p>{@code missedFrom} is, for a member that is out of sync in place (FAILED, or REBUILDING after
 * it came back), the map epoch from which it may lack writes: the epoch at which it first left
 * the in-sync copies. Its rebuild then needs only the regions written from that epoch on, as
 * md's write-intent bitmap. 0 means it may lack anything (a hot spare, or a member in sync).
 *
 * <p>{@code incarnation}, for a member on memory, is the allocation whose content it holds (null
 * for devices that keep their content, and while a rebuild has not filled it): memory that comes
 * back under another incarnation is empty, and the member is rebuilt whole ({@code
 * ManagerEvent.MemberLost}), never served as if intact.
 */
public record Member(DevicePath device, State state, long since, long missedFrom, String incarnation)
    implements RackshareSerializable {

  /** What a member may be used for. */
  public enum State {
    /** In sync: read and written. */
    ACTIVE,
    /**
     * Being rebuilt from the others (a spare that took a failed member's place, or a member that
     * came back stale): written, never read, until the rebuild is done.
     */
    REBUILDING,
    /** Out of sync (writes were acknowledged without it): neither read nor written. */
    FAILED,
    /**
     * Unreachable but in sync: its loss left the volume without enough copies, so no write was
     * acknowledged without it. It is used again as it is when its blade returns.
     */
    OFFLINE
  }

  @com.fasterxml.jackson.annotation.JsonCreator
  public Member {
    if (device == null || state == null || since < 0 || missedFrom < 0) {
      throw new IllegalArgumentException("a member needs a device, a state and an epoch");
    }
    if (state == State.ACTIVE || state == State.OFFLINE) missedFrom = 0;
  }

  /** A member of a device that keeps its content (or whose content is not known to be whole yet). */
  public Member(DevicePath device, State state, long since, long missedFrom) {
    this(device, state, since, missedFrom, null);
  }

  /**
   * This member holding the content of {@code incarnation} of its device: for memory, whose
   * content dies with its blade's process, the allocation it was written in (see {@code
   * ResourceConfig.Block}); a device registered with another incarnation has lost it.
   */
  public Member holding(String incarnation) {
    return new Member(device, state, since, missedFrom, incarnation);
  }

  /** A member that may lack anything it was not given since {@code since}. */
  public Member(DevicePath device, State state, long since) {
    this(device, state, since, 0);
  }

  public static Member active(DevicePath device, long epoch) {
    return new Member(device, State.ACTIVE, epoch);
  }

  /**
   * This member in state {@code s} from {@code epoch} on. Leaving the in-sync copies (ACTIVE or
   * OFFLINE to FAILED) starts missing writes at {@code epoch}; a member already out of sync keeps
   * the epoch it started missing them at, through its return and a failure of its rebuild.
   */
  public Member with(State s, long epoch) {
    long missed = switch (s) {
      case ACTIVE, OFFLINE -> 0;
      case FAILED, REBUILDING -> state == State.FAILED || state == State.REBUILDING ? missedFrom : epoch;
    };
    return new Member(device, s, epoch, missed, incarnation);
  }

  /** Whether reads may use it. */
  public boolean readable() {
    return state == State.ACTIVE;
  }

  /** Whether writes go to it. */
  public boolean writable() {
    return state == State.ACTIVE || state == State.REBUILDING;
  }

  public BladeId blade() {
    return device.blade();
  }
}
