package io.rackshare.layout;

import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.List;

/**
 * RAID-1 (Figures 9b/10b): members form mirrored sets of {@code copies} (default 2: the pairs A..H
 * of Figure 10b; set it to the number of members for an n-way mirror), no two copies on one
 * blade, and the sets are concatenated: 16 disks of 10 blocks make 80 blocks. Writes go to every
 * copy; reads go to the first copy in sync ({@code read-policy = primary}) or alternate between
 * the copies every {@code read-chunk} bytes (default 1 MiB; {@code balanced}, the default: the
 * seed's duplexing, 0091), except on a blade that holds an in-sync copy, which reads its own.
 */
public final class Raid1Layout extends CopiesLayout {

  public static final String NAME = "raid1";
  static final String READ_CHUNK = "read-chunk";
  /**
   * As large as the largest piece a request is cut into: a request is then read whole from one
   * copy (no gathering), and requests at different offsets go to different copies.
   */
  static final long DEFAULT_READ_CHUNK = 1024 * 1024;

  @Override
  public String name() {
    return NAME;
  }

  /** {@code width}: how many sets of copies the volume concatenates (default 1). */
  @Override
  public Shape shape(int copies, int width) {
    int c = Layout.atLeast(NAME, "copies", copies, 2, 2);
    int sets = Layout.atLeast(NAME, "a width", width, 1, 1);
    return new Shape(c * sets, sets, java.util.Map.of(LayoutOptions.COPIES, String.valueOf(c)));
  }
  /** Every member of a single set of copies; a volume of several sets maps by the member size. */
  @Override
  public List<Integer> growingMembers(GlobalResourceDescriptor volume) {
    return volume.members().size() == copies(volume) ? Layout.all(volume) : List.of();
  }


  @Override
  public boolean redundant() {
    return true;
  }

  @Override
  public GlobalResourceDescriptor build(
      VolumeSpec spec, List<ResourceDescriptor> members, List<ResourceDescriptor> spares, long epoch) {
    LayoutOptions o = LayoutOptions.checkRedundant(spec, LayoutOptions.COPIES, LayoutOptions.READ_POLICY, READ_CHUNK);
    int blockSize = Layouts.commonBlockSize(spec, members);
    int copies = o.integer(LayoutOptions.COPIES, 2, 2);
    o.choice(LayoutOptions.READ_POLICY, BALANCED, PRIMARY, BALANCED);
    o.size(READ_CHUNK, DEFAULT_READ_CHUNK, blockSize);
    List<ResourceDescriptor> placed = placeCopies(spec, members, copies);
    long memberBlocks = memberBlocks(placed, 1);
    checkSpares(spec, spares, blockSize, memberBlocks, true);
    long sets = placed.size() / copies;
    return new GlobalResourceDescriptor(spec.name(), NAME, blockSize, sets * memberBlocks, memberBlocks,
        active(placed, epoch), paths(spares), List.of(), o.normalised(), epoch);
  }

  private static int copies(GlobalResourceDescriptor v) {
    return (int) LayoutOptions.longOption(v, LayoutOptions.COPIES, 2);
  }

  @Override
  Place place(GlobalResourceDescriptor v, long volumeOffset) {
    long mb = v.memberBytes();
    long deviceOffset = volumeOffset % mb;
    return new Place(set((int) (volumeOffset / mb), copies(v)), deviceOffset, mb - deviceOffset);
  }

  @Override
  long volumeOffsetOf(GlobalResourceDescriptor v, int position, long deviceOffset) {
    return (position / copies(v)) * v.memberBytes() + deviceOffset;
  }

  @Override
  long deviceRun(GlobalResourceDescriptor v, long deviceOffset) {
    return v.memberBytes() - deviceOffset;
  }

  @Override
  long readChunk(GlobalResourceDescriptor v) {
    return LayoutOptions.longOption(v, READ_CHUNK, DEFAULT_READ_CHUNK);
  }

  @Override
  int copiesOf(GlobalResourceDescriptor v) {
    return copies(v);
  }
}
