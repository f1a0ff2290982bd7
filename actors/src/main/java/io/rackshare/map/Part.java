package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;
import java.util.List;

/**
 * A part of a pooled disk that one volume uses as a member or a hot spare: a device of its own,
 * {@code Rack(r)/Chassis(c)/Blade(b)/Part(n)}, whose blocks lie in {@code extents} of one disk of
 * the same blade, in order (as an LVM logical volume's physical extents). In each {@link Extent},
 * {@code volumeBlock} is the block within the part, {@code device} the disk, {@code deviceBlock}
 * where the run starts on it. The manager allocates parts from the pool's free extents ({@code
 * manager.Pool}); the blade that holds one serves it through {@code driver.PartStore}.
 *
 * <p>{@code readyBlocks}: how many of the part's first blocks hold what the volume expects (zeros,
 * for blocks it never wrote). Extents come to a part with whatever an earlier volume left in them;
 * the blade that holds the part zeroes the rest before the manager lets the volume use it.
 *
 * <p>{@code since} is the map epoch at which the part was allocated: a part of a later volume on
 * the same extents, even under the same path, is another part (its blade zeroes it again).
 */
public record Part(DevicePath path, List<Extent> extents, long readyBlocks, long since)
    implements RackshareSerializable {

  /** The kind of a part's device path. */
  public static final String KIND = "Part";

  @com.fasterxml.jackson.annotation.JsonCreator
  public Part {
    if (path == null || !KIND.equals(path.kind())) throw new IllegalArgumentException("not a part's path: " + path);
    extents = List.copyOf(extents);
    if (extents.isEmpty()) throw new IllegalArgumentException(path + " has no extents");
    long at = 0;
    DevicePath disk = extents.get(0).device();
    for (Extent e : extents) {
      if (e.volumeBlock() != at || !e.device().equals(disk) || !disk.blade().equals(path.blade())) {
        throw new IllegalArgumentException(path + ": extents must follow one another on one disk of its blade: "
            + extents);
      }
      at += e.blockCount();
    }
    if (readyBlocks < 0 || readyBlocks > at) {
      throw new IllegalArgumentException(path + ": " + readyBlocks + " ready blocks of " + at);
    }
  }

  /** A part allocated at epoch 0 (tests, and parts stored before {@code since} existed). */
  public Part(DevicePath path, List<Extent> extents, long readyBlocks) {
    this(path, extents, readyBlocks, 0);
  }

  /** The disk the part lies on. */
  public DevicePath disk() {
    return extents.get(0).device();
  }

  public long blocks() {
    return extents.get(extents.size() - 1).endBlock();
  }

  public boolean ready() {
    return readyBlocks == blocks();
  }

  public Part withReady(long blocks) {
    return new Part(path, extents, blocks, since);
  }

  public static boolean isPart(DevicePath device) {
    return KIND.equals(device.kind());
  }
}
