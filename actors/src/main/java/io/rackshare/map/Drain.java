package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;

/**
 * An operator's drain ({@code on}) or undrain of a blade, at map epoch {@code epoch}. A draining
 * blade takes no new extents, and the manager moves what its disks hold to other blades until it
 * holds nothing; the map keeps the undrain too, so that the newer of the two wins when maps are
 * merged after a failover.
 */
public record Drain(boolean on, long epoch) implements RackshareSerializable {
  @com.fasterxml.jackson.annotation.JsonCreator
  public Drain {
    if (epoch < 0) throw new IllegalArgumentException("a drain needs an epoch");
  }
}
