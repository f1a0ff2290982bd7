package io.rackshare.access;

/** Why a volume request failed; the NBD front end maps these to protocol errors. */
public enum IoError {
  /** No volume of that name in the map. */
  NO_SUCH_VOLUME,
  /** Negative offset or length. */
  INVALID,
  /** The request reaches past the end of the volume. */
  OUT_OF_RANGE,
  /** A resource driver reported an I/O error. */
  IO_ERROR,
  /** A target did not answer in time. */
  TIMEOUT,
  /** A target cannot serve the request. */
  UNAVAILABLE,
  /** A target's blade left the cluster or its connection closed: its process is gone. */
  UNREACHABLE,
  /** Too many requests wait for a target. */
  OVERLOADED,
  /** The maps stayed out of step after every retry. */
  STALE_MAP,
  /**
   * The volume lost more members than its redundancy covers; it serves again when a missing
   * member returns intact.
   */
  VOLUME_FAILED,
  /** The volume refuses writes (a removable medium). */
  READ_ONLY,
  /** The removable medium the request was made for was ejected or replaced. */
  MEDIUM_CHANGED
}
