package io.rackshare.manager;

/**
 * A lease that numbers its holders: every acquisition gets a fencing token greater than any
 * before it (the lease's generation), so whoever compares two managers' tokens knows which one
 * came later, whatever the blades' clocks say. {@link ManagerSeat} announces its manager with it.
 */
public interface Fenced {
  /** The token of the current holding; 0 when not held. */
  long fencingToken();
}
