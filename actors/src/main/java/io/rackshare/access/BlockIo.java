package io.rackshare.access;

import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.smm.OobMessage;

/**
 * Block requests between access drivers over the OOB channel. Each names the volume and the map
 * epoch the requester routed it with, so that the target can verify it really holds that piece
 * (0081, block 714) before its resource driver serves it.
 */
public final class BlockIo {
  private BlockIo() {}

  public record ReadSegment(String volume, long epoch, DeviceSegment segment) implements OobMessage {}

  public record WriteSegment(String volume, long epoch, DeviceSegment segment, byte[] data, boolean fua)
      implements OobMessage {}

  /** Zeroes the segment (NBD WRITE_ZEROES and TRIM): no payload crosses the channel. */
  public record ZeroSegment(String volume, long epoch, DeviceSegment segment, boolean fua)
      implements OobMessage {}

  public record FlushDevice(String volume, long epoch, DevicePath device) implements OobMessage {}

  /**
   * The target does not hold that piece under the request's epoch: the maps disagree. The
   * requester retries on a resynchronised map.
   */
  public record WrongTarget(String volume, long targetEpoch, String reason) implements OobMessage {}
}
