package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;

/** What a blade sends the manager for each sharable resource: its device path and configuration. */
public record ResourceDescriptor(DevicePath path, ResourceConfig config)
    implements RackshareSerializable {

  public ResourceDescriptor {
    if (path == null || config == null) {
      throw new IllegalArgumentException("a resource descriptor needs a path and a config");
    }
  }

  /** The block configuration, or a clear error if this is not a block resource. */
  public ResourceConfig.Block block() {
    if (config instanceof ResourceConfig.Block b) return b;
    if (config instanceof ResourceConfig.Medium m && m.inserted()) return m.block();
    throw new IllegalArgumentException(path + " is not a block resource: " + config);
  }
}
