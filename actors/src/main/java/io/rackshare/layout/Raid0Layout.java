package io.rackshare.layout;

import java.util.Set;

/**
 * RAID-0: chunks of {@code stripe-size} (default 64 KiB) striped over the members in order; no
 * redundancy, so losing a member fails the volume until it returns.
 */
public final class Raid0Layout extends StripedLayout {

  public static final String NAME = "raid0";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Shape shape(int copies, int width) {
    Layout.single(NAME, copies);
    int w = Layout.atLeast(NAME, "a width", width, 2, 1);
    return new Shape(w, w, java.util.Map.of());
  }
  @Override
  public java.util.List<Integer> growingMembers(io.rackshare.map.GlobalResourceDescriptor volume) {
    return Layout.all(volume);
  }


  @Override
  public boolean redundant() {
    return false;
  }

  @Override
  int copies(LayoutOptions o) {
    return 1;
  }

  @Override
  Set<String> moreOptions() {
    return Set.of();
  }
}
