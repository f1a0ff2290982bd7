package io.rackshare.layout;

import java.util.HashSet;
import java.util.Set;

/**
 * RAID-10, striped mirrors: members form sets of {@code copies} (default 2) on different blades,
 * and chunks of {@code stripe-size} (default 64 KiB) are striped over the sets. Survives the loss
 * of all but one member of every set. With {@code read-policy = balanced} (the default),
 * consecutive chunks of a set are read from alternate copies.
 */
public final class Raid10Layout extends StripedLayout {

  public static final String NAME = "raid10";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Shape shape(int copies, int width) {
    int c = Layout.atLeast(NAME, "copies", copies, 2, 2);
    int w = Layout.atLeast(NAME, "a width", width, 2, 1);
    return new Shape(c * w, w, java.util.Map.of(LayoutOptions.COPIES, String.valueOf(c)));
  }
  @Override
  public java.util.List<Integer> growingMembers(io.rackshare.map.GlobalResourceDescriptor volume) {
    return Layout.all(volume);
  }


  @Override
  public boolean redundant() {
    return true;
  }

  @Override
  int copies(LayoutOptions o) {
    return o.integer(LayoutOptions.COPIES, 2, 2);
  }

  @Override
  Set<String> moreOptions() {
    Set<String> s = new HashSet<>(LayoutOptions.REDUNDANCY);
    s.add(LayoutOptions.COPIES);
    s.add(LayoutOptions.READ_POLICY);
    return s;
  }
}
