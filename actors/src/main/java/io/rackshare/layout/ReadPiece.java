package io.rackshare.layout;

import io.rackshare.map.DeviceSegment;
import io.rackshare.map.DevicePath;

/** How a layout serves one piece of a read. */
public sealed interface ReadPiece {

  long volumeOffset();

  int length();

  /** The bytes are on one device. */
  record Direct(DeviceSegment segment) implements ReadPiece {
    @Override
    public long volumeOffset() {
      return segment.volumeOffset();
    }

    @Override
    public int length() {
      return segment.length();
    }
  }

  /**
   * The bytes' own device cannot be read (a degraded parity layout): the coordinator of stripe
   * {@code stripe} (the blade of its parity device {@code coordinator}) rebuilds them from the
   * rest of the stripe.
   */
  record Reconstructed(long volumeOffset, int length, long stripe, DevicePath coordinator) implements ReadPiece {}
}
