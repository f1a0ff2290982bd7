package io.rackshare.layout;

import io.rackshare.map.Extent;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The spanned volume of Figures 9a/10a: members are concatenated in order, so the lookup table has
 * one extent per member. 16 members of 10 blocks give 160 blocks, and block 57 is block 7 of the
 * sixth member. No redundancy: losing a member fails the volume until it returns.
 */
public class SpanLayout extends CopiesLayout {

  public static final String NAME = "span";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Shape shape(int copies, int width) {
    Layout.single(NAME, copies);
    return new Shape(width, width, java.util.Map.of());
  }
  /** Its last member: the blocks of the others keep their places in the lookup table. */
  @Override
  public List<Integer> growingMembers(GlobalResourceDescriptor volume) {
    return List.of(volume.members().size() - 1);
  }


  @Override
  public boolean redundant() {
    return false;
  }

  @Override
  public GlobalResourceDescriptor build(
      VolumeSpec spec, List<ResourceDescriptor> members, List<ResourceDescriptor> spares, long epoch) {
    LayoutOptions.check(spec, Set.of());
    int blockSize = Layouts.commonBlockSize(spec, members);
    checkSpares(spec, spares, blockSize, 0, false);
    List<Extent> extents = new ArrayList<>();
    long next = 0;
    for (ResourceDescriptor m : members) {
      ResourceConfig.Block b = m.block();
      extents.add(new Extent(next, b.blockCount(), m.path(), 0));
      next += b.blockCount();
    }
    return new GlobalResourceDescriptor(
        spec.name(), NAME, blockSize, next, 0, active(members, epoch), List.of(), extents, spec.options(), epoch);
  }

  /** A span's member holds its extent of the lookup table (a span has no common member size). */
  @Override
  public long[] moveRange(GlobalResourceDescriptor v, int position) {
    Extent e = v.extents().get(position);
    return new long[] {e.deviceBlock() * v.blockSize(), (e.deviceBlock() + e.blockCount()) * v.blockSize()};
  }

  @Override
  Place place(GlobalResourceDescriptor v, long volumeOffset) {
    long bs = v.blockSize();
    int i = indexOf(v.extents(), volumeOffset / bs);
    Extent e = v.extents().get(i);
    long deviceOffset = e.deviceBlock() * bs + (volumeOffset - e.volumeBlock() * bs);
    return new Place(new int[] {i}, deviceOffset, e.endBlock() * bs - volumeOffset);
  }

  @Override
  long volumeOffsetOf(GlobalResourceDescriptor v, int position, long deviceOffset) {
    Extent e = v.extents().get(position);
    return (e.volumeBlock() - e.deviceBlock()) * v.blockSize() + deviceOffset;
  }

  @Override
  long deviceRun(GlobalResourceDescriptor v, long deviceOffset) {
    return Long.MAX_VALUE;
  }

  @Override
  int copiesOf(GlobalResourceDescriptor v) {
    return 1;
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
