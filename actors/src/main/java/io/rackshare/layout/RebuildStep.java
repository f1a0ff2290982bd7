package io.rackshare.layout;

import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;

/** One step of rebuilding a member: how a range of the member's device gets its content back. */
public sealed interface RebuildStep {

  /** Bytes on the device being rebuilt. */
  DeviceSegment target();

  /** Copy {@code source} (an in-sync copy of the same bytes) to {@code target}. */
  record Copy(DeviceSegment source, DeviceSegment target) implements RebuildStep {}

  /**
   * Recompute {@code target}'s chunk of parity stripe {@code stripe} from the rest of the stripe,
   * at the stripe's coordinator, under the stripe's lock.
   */
  record Reconstruct(long stripe, int position, DevicePath coordinator, DeviceSegment target)
      implements RebuildStep {}
}
