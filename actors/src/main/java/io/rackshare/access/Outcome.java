package io.rackshare.access;

import io.rackshare.map.DevicePath;
import io.rackshare.smm.DataLane;

/** How one request to one device (or stripe coordinator) ended, as {@link LaneClient} judged it. */
sealed interface Outcome {
  record Ok(DataLane.Frame reply) implements Outcome {}

  /** The target's map disagrees with ours. */
  record Wrong(String reason) implements Outcome {}

  /** The device (or its blade) failed: the manager must drop it from the volume. */
  record DeviceFailed(DevicePath device, BlockDeviceException error) implements Outcome {}

  /** Failed for a reason that is not the device's (overload, a bad request, a failed volume). */
  record Failed(BlockDeviceException error) implements Outcome {}
}
