package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;

/**
 * One row of a volume's lookup table (Figure 10a, table 1000): volume blocks {@code [volumeBlock,
 * volumeBlock + blockCount)} live on {@code device} starting at {@code deviceBlock}.
 */
public record Extent(long volumeBlock, long blockCount, DevicePath device, long deviceBlock)
    implements RackshareSerializable {

  public Extent {
    if (volumeBlock < 0 || blockCount <= 0 || deviceBlock < 0 || device == null) {
      throw new IllegalArgumentException(
          "bad extent: volume block " + volumeBlock + ", count " + blockCount + ", device "
              + device + " at " + deviceBlock);
    }
  }

  public long endBlock() {
    return volumeBlock + blockCount;
  }

  public boolean contains(long block) {
    return block >= volumeBlock && block < endBlock();
  }
}
