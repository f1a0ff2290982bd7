package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;
import java.util.List;

/**
 * A volume on the pool growing: its parts have their new extents, which their blades zero; once
 * every part is ready the volume takes {@code memberBlocks}, {@code capacityBlocks} and its
 * lookup table {@code extents} (a span's; empty for the other layouts).
 */
public record Growth(long memberBlocks, long capacityBlocks, List<Extent> extents) implements RackshareSerializable {
  public Growth {
    if (memberBlocks < 0 || capacityBlocks <= 0) {
      throw new IllegalArgumentException("a growth needs a member size and a capacity, got " + memberBlocks + ", "
          + capacityBlocks);
    }
    extents = extents == null ? List.of() : List.copyOf(extents);
  }
}
