package io.rackshare.blade;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.rackshare.driver.DiskDriver;
import io.rackshare.driver.MappedBlockStore;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Discovers a blade's non-volatile memory (0062), {@code rackshare.blade.nvram}: each entry {@code
 * { file = ..., size = 256MiB }} (relative to {@code data-dir}; on a pmem/DAX mount, or any file)
 * becomes {@code .../Nvram(n)}, the file memory-mapped ({@link MappedBlockStore}). It keeps its
 * content through restarts, so volumes treat it as a disk.
 */
public final class NvramDiscovery implements ResourceDiscovery {

  @Override
  public List<DiscoveredResource> discover(BladeId blade, Config rackshare) {
    Config bladeConfig = rackshare.getConfig("blade");
    if (!bladeConfig.hasPath("nvram")) return List.of();
    List<? extends Config> entries = bladeConfig.getConfigList("nvram");
    Path dataDir = Path.of(bladeConfig.getString("data-dir"));
    List<DiscoveredResource> out = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      String where = "rackshare.blade.nvram[" + i + "]";
      Config n = entries.get(i);
      try {
        int blockSize = n.hasPath("block-size") ? io.rackshare.ConfigSizes.intBytes(n, "block-size", "block-size") : 4096;
        long size = n.getBytes("size");
        if (size < blockSize || size % blockSize != 0) {
          throw new IllegalArgumentException("size " + size + " must be a whole number of blocks of " + blockSize);
        }
        Path file = dataDir.resolve(n.getString("file"));
        ResourceConfig.Block config = new ResourceConfig.Block(blockSize, size / blockSize);
        MappedBlockStore store;
        try {
          store = MappedBlockStore.open(file, size);
        } catch (IOException e) {
          throw new IllegalArgumentException("cannot map " + file + ": " + e.getMessage(), e);
        }
        DevicePath path = DevicePath.nvram(blade, i);
        out.add(new DiscoveredResource(new ResourceDescriptor(path, config), store, DiskDriver.create(path, store)));
      } catch (ConfigException | IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    return out;
  }
}
