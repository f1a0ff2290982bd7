package io.rackshare.layout;

import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import java.util.List;

/** How a layout stores one piece of a write. */
public sealed interface WritePiece {

  long volumeOffset();

  int length();

  /**
   * The same bytes go to every device: those in sync first, in parallel, then the ones being
   * rebuilt (so that a rebuild copying the range never overwrites newer bytes with older ones).
   */
  record Copies(long volumeOffset, int length, List<DeviceSegment> inSync, List<DeviceSegment> rebuilding)
      implements WritePiece {
    public Copies {
      inSync = List.copyOf(inSync);
      rebuilding = List.copyOf(rebuilding);
    }
  }

  /**
   * A piece of one parity stripe: the stripe's coordinator (the blade of {@code coordinator}, the
   * stripe's parity device) writes data and parity under the stripe's lock, so that writers on
   * different blades and a rebuild never interleave on one stripe.
   */
  record Parity(long volumeOffset, int length, long stripe, DevicePath coordinator) implements WritePiece {}
}
