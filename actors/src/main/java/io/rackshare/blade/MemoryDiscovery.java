package io.rackshare.blade;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.rackshare.driver.DiskDriver;
import io.rackshare.driver.MemoryBlockStore;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Discovers the memory a blade shares (0062: volatile memory), {@code rackshare.blade.memory}:
 * each entry {@code { size = 256MiB, block-size = 4096 }} becomes {@code .../Memory(n)}, a block
 * device of that much off-heap memory ({@link MemoryBlockStore}), allocated at start-up. The
 * whole of it must fit both the JVM's direct memory ({@code -XX:MaxDirectMemorySize}, by default
 * the heap's maximum) and the host's memory, or the blade does not start, saying which. Each
 * allocation has a new incarnation, so a restarted blade's memory is known to be empty.
 */
public final class MemoryDiscovery implements ResourceDiscovery {

  /** Direct memory left for the blade's own buffers (lanes, NBD) besides shared memory. */
  static final long HEADROOM = 64L << 20;

  @Override
  public List<DiscoveredResource> discover(BladeId blade, Config rackshare) {
    Config bladeConfig = rackshare.getConfig("blade");
    if (!bladeConfig.hasPath("memory")) return List.of();
    List<? extends Config> entries = bladeConfig.getConfigList("memory");
    List<long[]> sizes = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < entries.size(); i++) {
      Config m = entries.get(i);
      String where = "rackshare.blade.memory[" + i + "]";
      try {
        int blockSize = m.hasPath("block-size") ? io.rackshare.ConfigSizes.intBytes(m, "block-size", "block-size") : 4096;
        long size = m.getBytes("size");
        if (size < blockSize || size % blockSize != 0) {
          throw new IllegalArgumentException("size " + size + " must be a whole number of blocks of " + blockSize);
        }
        new ResourceConfig.Block(blockSize, size / blockSize); // checks the block size
        sizes.add(new long[] {blockSize, size});
        total += size;
      } catch (ConfigException | IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    checkRoom(total);
    List<DiscoveredResource> out = new ArrayList<>();
    for (int i = 0; i < sizes.size(); i++) {
      int blockSize = (int) sizes.get(i)[0];
      long size = sizes.get(i)[1];
      String incarnation = UUID.randomUUID().toString();
      MemoryBlockStore store;
      try {
        store = new MemoryBlockStore(size, incarnation);
      } catch (OutOfMemoryError e) {
        throw new IllegalArgumentException("rackshare.blade.memory[" + i + "]: this JVM cannot hold " + size
            + " more bytes off the heap (" + e.getMessage() + "); raise -XX:MaxDirectMemorySize or share less", e);
      }
      DevicePath path = DevicePath.memory(blade, i);
      ResourceConfig.Block config = new ResourceConfig.Block(blockSize, size / blockSize, incarnation);
      out.add(new DiscoveredResource(new ResourceDescriptor(path, config), store, DiskDriver.create(path, store)));
    }
    return out;
  }

  /** Fails clearly when {@code total} bytes fit neither the JVM's direct memory nor the host. */
  static void checkRoom(long total) {
    if (total == 0) return;
    long direct = maxDirectMemory();
    long used = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    if (total > direct - used - HEADROOM) {
      throw new IllegalArgumentException("rackshare.blade.memory: " + total + " bytes do not fit this JVM's direct"
          + " memory (" + direct + " bytes, " + used + " in use, " + HEADROOM + " kept for the blade's buffers);"
          + " raise -XX:MaxDirectMemorySize or share less");
    }
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        && total > os.getTotalMemorySize()) {
      throw new IllegalArgumentException("rackshare.blade.memory: " + total + " bytes are more than this host's"
          + " memory (" + os.getTotalMemorySize() + " bytes)");
    }
  }

  /** {@code -XX:MaxDirectMemorySize}, or the heap's maximum where it is not set (the JVM's rule). */
  static long maxDirectMemory() {
    try {
      com.sun.management.HotSpotDiagnosticMXBean hs =
          ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      long set = Long.parseLong(hs.getVMOption("MaxDirectMemorySize").getValue());
      return set > 0 ? set : Runtime.getRuntime().maxMemory();
    } catch (RuntimeException e) {
      return Runtime.getRuntime().maxMemory();
    }
  }
}
