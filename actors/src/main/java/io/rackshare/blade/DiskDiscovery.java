package io.rackshare.blade;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.rackshare.driver.BlockStore;
import io.rackshare.driver.DiskDriver;
import io.rackshare.driver.FileBlockStore;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Discovers the disks listed in {@code rackshare.blade.disks}: each entry is either a {@code file}
 * (relative to {@code data-dir}, created and sized if absent) or an existing block {@code device}.
 * The n-th entry becomes {@code .../Disk(n)}.
 */
public final class DiskDiscovery implements ResourceDiscovery {

  @Override
  public List<DiscoveredResource> discover(BladeId blade, Config rackshare) {
    Config bladeConfig = rackshare.getConfig("blade");
    List<DiscoveredResource> out = new ArrayList<>();
    List<? extends Config> disks = bladeConfig.getConfigList("disks");
    Path dataDir = Path.of(bladeConfig.getString("data-dir"));
    for (int i = 0; i < disks.size(); i++) {
      String where = "rackshare.blade.disks[" + i + "]";
      Config d = disks.get(i);
      try {
        int blockSize = d.hasPath("block-size") ? io.rackshare.ConfigSizes.intBytes(d, "block-size", "block-size") : 4096;
        Path file;
        long sizeBytes;
        if (d.hasPath("device")) {
          file = Path.of(d.getString("device"));
          sizeBytes = blockDeviceSize(file);
          if (d.hasPath("size")) sizeBytes = Math.min(sizeBytes, d.getBytes("size"));
        } else if (d.hasPath("file")) {
          file = dataDir.resolve(d.getString("file"));
          sizeBytes = d.getBytes("size");
          prepareFile(file, sizeBytes);
        } else {
          throw new IllegalArgumentException("needs either file = ... (with size) or device = ...");
        }
        if (sizeBytes < blockSize) {
          throw new IllegalArgumentException(
              "size " + sizeBytes + " is smaller than one block of " + blockSize);
        }
        ResourceConfig.Block config = new ResourceConfig.Block(blockSize, sizeBytes / blockSize);
        DevicePath path = DevicePath.disk(blade, i);
        BlockStore store = open(file, config.sizeBytes());
        out.add(new DiscoveredResource(
            new ResourceDescriptor(path, config), store, DiskDriver.create(path, store)));
      } catch (ConfigException | IllegalArgumentException | UncheckedIOException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static BlockStore open(Path file, long size) {
    try {
      return new FileBlockStore(file, size);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
    }
  }

  /** Creates the file if absent and grows it (sparsely) to {@code size}; never shrinks it. */
  static void prepareFile(Path file, long size) {
    try {
      if (file.getParent() != null) Files.createDirectories(file.getParent());
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
        if (raf.length() < size) raf.setLength(size);
        raf.getFD().sync();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare disk file " + file + ": " + e.getMessage(), e);
    }
  }

  /** The size of a block device, from sysfs (a block device's file size reads as 0). */
  static long blockDeviceSize(Path device) {
    try {
      Path real = device.toRealPath();
      Path sectors = Path.of("/sys/class/block", real.getFileName().toString(), "size");
      if (!Files.exists(sectors)) {
        throw new IllegalArgumentException(device + " is not a block device (no " + sectors + ")");
      }
      return Long.parseLong(Files.readString(sectors).trim()) * 512L;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the size of " + device + ": " + e.getMessage(), e);
    }
  }
}
