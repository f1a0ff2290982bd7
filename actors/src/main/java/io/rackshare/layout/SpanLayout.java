package io.rackshare.layout;

import io.rackshare.map.DeviceSegment;
import io.rackshare.map.Extent;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The spanned volume of Figures 9a/10a: members are concatenated in order, so the lookup table has
 * one extent per member. 16 members of 10 blocks give 160 blocks, and block 57 is block 7 of the
 * sixth member.
 */
public final class SpanLayout implements Layout {

  public static final String NAME = "span";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public GlobalResourceDescriptor build(
      VolumeSpec spec, List<ResourceDescriptor> members, long epoch) {
    int blockSize = Layouts.commonBlockSize(spec, members);
    List<Extent> extents = new ArrayList<>();
    long next = 0;
    for (ResourceDescriptor m : members) {
      ResourceConfig.Block b = m.block();
      extents.add(new Extent(next, b.blockCount(), m.path(), 0));
      next += b.blockCount();
    }
    return new GlobalResourceDescriptor(
        spec.name(), NAME, blockSize, next, spec.members(), extents, spec.options(), epoch);
  }

  @Override
  public List<DeviceSegment> segments(GlobalResourceDescriptor v, long offset, int length) {
    List<DeviceSegment> out = new ArrayList<>(2);
    List<Extent> extents = v.extents();
    long bs = v.blockSize();
    int i = indexOf(extents, offset / bs);
    long pos = offset;
    long end = offset + length;
    while (pos < end) {
      Extent e = extents.get(i++);
      long extentEnd = e.endBlock() * bs;
      int n = (int) (Math.min(end, extentEnd) - pos);
      long deviceOffset = e.deviceBlock() * bs + (pos - e.volumeBlock() * bs);
      out.add(new DeviceSegment(e.device(), deviceOffset, pos, n));
      pos += n;
    }
    return out;
  }

  /** The index of the extent holding {@code block}: a binary search of the lookup table. */
  static int indexOf(List<Extent> extents, long block) {
    int lo = 0;
    int hi = extents.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      Extent e = extents.get(mid);
      if (block < e.volumeBlock()) hi = mid - 1;
      else if (block >= e.endBlock()) lo = mid + 1;
      else return mid;
    }
    throw new IllegalArgumentException("block " + block + " is outside the volume");
  }
}
