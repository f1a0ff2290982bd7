package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names one sharable resource of one blade, as the seed's device paths do (0063): {@code
 * Rack(1)/Chassis(1)/Blade(3)/Disk(0)}. The kind is the resource kind ({@code Disk}, later {@code
 * Ram}, {@code Video}, ...) and the index numbers the resources of that kind on the blade.
 */
public record DevicePath(BladeId blade, String kind, int index)
    implements RackshareSerializable, Comparable<DevicePath> {

  private static final Pattern FORMAT =
      Pattern.compile(
          "Rack\\((\\d+)\\)/Chassis\\((\\d+)\\)/Blade\\((\\d+)\\)/([A-Z][A-Za-z]*)\\((\\d+)\\)");

  public DevicePath {
    if (blade == null) throw new IllegalArgumentException("device path needs a blade");
    if (kind == null || !kind.matches("[A-Z][A-Za-z]*")) {
      throw new IllegalArgumentException(
          "device kind must be a capitalised word such as Disk, got '" + kind + "'");
    }
    if (index < 0) throw new IllegalArgumentException("device index must be >= 0, got " + index);
  }

  public static DevicePath disk(BladeId blade, int index) {
    return new DevicePath(blade, "Disk", index);
  }

  /** A blade's shared memory (0062: volatile memory), the {@code index}-th of {@code rackshare.blade.memory}. */
  public static DevicePath memory(BladeId blade, int index) {
    return new DevicePath(blade, MEMORY, index);
  }

  /** A blade's non-volatile memory (0062), the {@code index}-th of {@code rackshare.blade.nvram}. */
  public static DevicePath nvram(BladeId blade, int index) {
    return new DevicePath(blade, "Nvram", index);
  }

  /** A blade's removable-media drive (0062), the {@code index}-th of {@code rackshare.blade.media}. */
  public static DevicePath media(BladeId blade, int index) {
    return new DevicePath(blade, MEDIA, index);
  }

  /** The kind of a blade's removable-media drives. */
  public static final String MEDIA = "Media";

  /** The kind of a blade's shared memory. */
  public static final String MEMORY = "Memory";

  /** A blade's console screen (its video device). */
  public static DevicePath video(BladeId blade) {
    return new DevicePath(blade, "Video", 0);
  }

  /** A blade's console keyboard: its pseudo-terminal's input. */
  public static DevicePath keyboard(BladeId blade) {
    return new DevicePath(blade, "Keyboard", 0);
  }

  /** A blade's console mouse: xterm mouse reports into its pseudo-terminal. */
  public static DevicePath mouse(BladeId blade) {
    return new DevicePath(blade, "Mouse", 0);
  }

  /** Parses the form {@link #toString()} writes; anything else is a clear error. */
  public static DevicePath parse(String text) {
    Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not a device path: '" + text + "' (expected e.g. Rack(1)/Chassis(1)/Blade(3)/Disk(0))");
    }
    try {
      return new DevicePath(
          new BladeId(
              Integer.parseInt(m.group(1)),
              Integer.parseInt(m.group(2)),
              Integer.parseInt(m.group(3))),
          m.group(4),
          Integer.parseInt(m.group(5)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("number out of range in device path '" + text + "'", e);
    }
  }

  /** The same as {@link #parse}: lets JSON use device paths as map keys. */
  public static DevicePath valueOf(String text) {
    return parse(text);
  }

  @Override
  public String toString() {
    return blade + "/" + kind + "(" + index + ")";
  }

  @Override
  public int compareTo(DevicePath o) {
    int c = blade.compareTo(o.blade);
    if (c == 0) c = kind.compareTo(o.kind);
    if (c == 0) c = Integer.compare(index, o.index);
    return c;
  }
}
