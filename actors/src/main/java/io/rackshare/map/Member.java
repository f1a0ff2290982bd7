package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;

/**
 * One position of a volume's layout and the device that fills it, with its state. Layouts read
 * and write members by position (a mirror group, a stripe column); a hot spare that replaces a
 * failed member takes over its position. {@code since} is the map epoch of the member's last
 * change of state or device: a rebuild is known by it.
 */
public record Member(DevicePath device, State state, long since) implements RackshareSerializable {

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

  public Member {
    if (device == null || state == null || since < 0) {
      throw new IllegalArgumentException("a member needs a device, a state and an epoch");
    }
  }

  public static Member active(DevicePath device, long epoch) {
    return new Member(device, State.ACTIVE, epoch);
  }

  public Member with(State s, long epoch) {
    return new Member(device, s, epoch);
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
