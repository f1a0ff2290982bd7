package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;
import java.util.List;
import java.util.Map;

/**
 * Describes one global resource, here a virtual volume (0070, descriptor 612): how to reach it
 * (the layout and its lookup table of extents) and its configuration (block size, capacity). The
 * manager builds it; every blade keeps a copy in its local global resource map. {@code epoch} is
 * the map epoch at which this descriptor last changed: requests carry it so that the target blade
 * can tell a stale map from a current one (0081).
 */
public record GlobalResourceDescriptor(
    String name,
    String layout,
    int blockSize,
    long capacityBlocks,
    List<DevicePath> members,
    List<Extent> extents,
    Map<String, String> options,
    long epoch)
    implements RackshareSerializable {

  public GlobalResourceDescriptor {
    if (name == null || name.isBlank()) throw new IllegalArgumentException("volume needs a name");
    if (blockSize <= 0 || capacityBlocks < 0 || epoch < 0) {
      throw new IllegalArgumentException(
          "bad volume " + name + ": block size " + blockSize + ", capacity " + capacityBlocks);
    }
    members = List.copyOf(members);
    extents = List.copyOf(extents);
    options = Map.copyOf(options);
  }

  public long sizeBytes() {
    return capacityBlocks * blockSize;
  }

  public GlobalResourceDescriptor withEpoch(long newEpoch) {
    return new GlobalResourceDescriptor(
        name, layout, blockSize, capacityBlocks, members, extents, options, newEpoch);
  }
}
