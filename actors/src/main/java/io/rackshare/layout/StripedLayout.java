package io.rackshare.layout;

import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.List;
import java.util.Set;

/**
 * Chunks of {@code stripe-size} bytes dealt round-robin over sets of {@code copies} members:
 * RAID-0 with one copy, RAID-10 (striped mirrors) with more. Chunk {@code k} lives on set {@code
 * k % sets}, at row {@code k / sets} of each of its members.
 */
abstract class StripedLayout extends CopiesLayout {

  static final long DEFAULT_STRIPE = 64 * 1024;

  /** The copies per set this layout builds with, from the checked options. */
  abstract int copies(LayoutOptions o);

  /** Options beyond {@code stripe-size}. */
  abstract Set<String> moreOptions();

  @Override
  public GlobalResourceDescriptor build(
      VolumeSpec spec, List<ResourceDescriptor> members, List<ResourceDescriptor> spares, long epoch) {
    Set<String> allowed = new java.util.HashSet<>(moreOptions());
    allowed.add(LayoutOptions.STRIPE_SIZE);
    LayoutOptions o = LayoutOptions.check(spec, allowed);
    int blockSize = Layouts.commonBlockSize(spec, members);
    long chunk = o.size(LayoutOptions.STRIPE_SIZE, DEFAULT_STRIPE, blockSize);
    int copies = copies(o);
    if (copies > 1) {
      o.choice(LayoutOptions.READ_POLICY, BALANCED, PRIMARY, BALANCED);
      o.rebuildOptions();
    }
    List<ResourceDescriptor> placed = placeCopies(spec, members, copies);
    long memberBlocks = memberBlocks(placed, chunk / blockSize);
    checkSpares(spec, spares, blockSize, memberBlocks, copies > 1);
    long sets = placed.size() / copies;
    return new GlobalResourceDescriptor(spec.name(), name(), blockSize, sets * memberBlocks, memberBlocks,
        active(placed, epoch), paths(spares), List.of(), o.normalised(), epoch);
  }

  static long chunk(GlobalResourceDescriptor v) {
    return LayoutOptions.longOption(v, LayoutOptions.STRIPE_SIZE, DEFAULT_STRIPE);
  }

  static int copies(GlobalResourceDescriptor v) {
    return (int) LayoutOptions.longOption(v, LayoutOptions.COPIES, 1);
  }

  @Override
  Place place(GlobalResourceDescriptor v, long volumeOffset) {
    long c = chunk(v);
    int copies = copies(v);
    int sets = v.members().size() / copies;
    long k = volumeOffset / c;
    long within = volumeOffset % c;
    return new Place(set((int) (k % sets), copies), (k / sets) * c + within, c - within);
  }

  @Override
  long volumeOffsetOf(GlobalResourceDescriptor v, int position, long deviceOffset) {
    long c = chunk(v);
    int copies = copies(v);
    int sets = v.members().size() / copies;
    long k = (deviceOffset / c) * sets + position / copies;
    return k * c + deviceOffset % c;
  }

  @Override
  long deviceRun(GlobalResourceDescriptor v, long deviceOffset) {
    long c = chunk(v);
    return c - deviceOffset % c;
  }

  @Override
  long readChunk(GlobalResourceDescriptor v) {
    return chunk(v);
  }

  @Override
  int copiesOf(GlobalResourceDescriptor v) {
    return copies(v);
  }
}
