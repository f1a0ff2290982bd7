package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;

/** A blade's physical identity: the rack, the chassis in the rack and the slot in the chassis. */
public record BladeId(int rack, int chassis, int slot) implements RackshareSerializable, Comparable<BladeId> {

  public BladeId {
    if (rack < 0 || chassis < 0 || slot < 0) {
      throw new IllegalArgumentException(
          "rack, chassis and slot must be >= 0, got " + rack + "/" + chassis + "/" + slot);
    }
  }

  /** {@code Rack(1)/Chassis(1)/Blade(3)}, the prefix of every device path of this blade. */
  @Override
  public String toString() {
    return "Rack(" + rack + ")/Chassis(" + chassis + ")/Blade(" + slot + ")";
  }

  @Override
  public int compareTo(BladeId o) {
    int c = Integer.compare(rack, o.rack);
    if (c == 0) c = Integer.compare(chassis, o.chassis);
    if (c == 0) c = Integer.compare(slot, o.slot);
    return c;
  }

  private static final java.util.regex.Pattern FORMAT =
      java.util.regex.Pattern.compile("Rack\\((\\d+)\\)/Chassis\\((\\d+)\\)/Blade\\((\\d+)\\)");

  /** {@code Rack(r)/Chassis(c)/Blade(s)}, as {@link #toString} writes it. */
  public static BladeId parse(String text) {
    java.util.regex.Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a blade: '" + text + "' (expected e.g. Rack(1)/Chassis(1)/Blade(3))");
    }
    try {
      return new BladeId(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a blade: '" + text + "'");
    }
  }
}
