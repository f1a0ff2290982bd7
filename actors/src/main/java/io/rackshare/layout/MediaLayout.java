package io.rackshare.layout;

import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.List;
import java.util.Set;

/**
 * The volume of a removable-media drive (0062): its one member is the drive with its medium,
 * read-only. The manager makes it when a blade registers a drive with a medium in it, and removes
 * it (or replaces it) when the medium is ejected (or changed); it cannot grow, move or be
 * rebuilt. Reads are a span's of one member.
 */
public final class MediaLayout extends SpanLayout {

  public static final String NAME = "media";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean readOnly() {
    return true;
  }

  @Override
  public List<Integer> growingMembers(GlobalResourceDescriptor volume) {
    return List.of();
  }

  @Override
  public GlobalResourceDescriptor build(
      VolumeSpec spec, List<ResourceDescriptor> members, List<ResourceDescriptor> spares, long epoch) {
    if (spec.members().size() != 1 || !spec.spares().isEmpty()) {
      throw new IllegalArgumentException("a media volume is one drive, no spares: " + spec.devices());
    }
    LayoutOptions.check(spec, Set.of());
    GlobalResourceDescriptor span = super.build(spec, members, spares, epoch);
    return new GlobalResourceDescriptor(span.name(), NAME, span.blockSize(), span.capacityBlocks(),
        span.memberBlocks(), span.members(), span.spares(), span.extents(), span.options(), span.epoch());
  }
}
