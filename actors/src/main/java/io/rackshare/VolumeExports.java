package io.rackshare;

import io.rackshare.access.BlockDevice;
import io.rackshare.access.Volumes;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.nbd.NbdExports;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The volumes of this blade's local map as NBD exports, one per volume, named after it: the glue
 * between the access path and the NBD front end, which knows only {@link BlockDevice}. A volume
 * whose parts are still being zeroed (just created on the pool) is not exported until they are.
 */
final class VolumeExports implements NbdExports {
  private final Supplier<GlobalResourceMap> map;
  private final Volumes volumes;

  VolumeExports(Supplier<GlobalResourceMap> map, Volumes volumes) {
    this.map = map;
    this.volumes = volumes;
  }

  @Override
  public List<String> names() {
    return map.get().volumes().values().stream().filter(GlobalResourceDescriptor::partsReady)
        .map(GlobalResourceDescriptor::name).sorted().toList();
  }

  @Override
  public Optional<BlockDevice> open(String name) {
    if (name.isEmpty()) {
      List<String> all = names();
      return all.size() == 1 ? volumes.volume(all.get(0)) : Optional.empty();
    }
    return map.get().volume(name).filter(GlobalResourceDescriptor::partsReady).flatMap(v -> volumes.volume(name));
  }

  @Override
  public String describe(String name) {
    return map.get().volume(name)
        .map(GlobalResourceDescriptor::layout)
        .map(layout -> "Rackshare " + layout + " volume " + name)
        .orElse(name);
  }
}
