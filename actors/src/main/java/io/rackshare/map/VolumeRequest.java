package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;
import java.util.Map;

/**
 * A volume asked for by size, allocated from the pool (as {@code lvcreate -L} or {@code rbd
 * create --size}): its name, layout, size in bytes, and how many copies, stripe columns and hot
 * spares it has (0: the layout's default; for span, a width of 0 fills disks in device-path order
 * until the size is reached). {@code options} are layout options ({@code stripe-size},
 * {@code read-policy}, ...), as in a {@link VolumeSpec}.
 */
public record VolumeRequest(String name, String layout, long sizeBytes, int copies, int width, int spares,
    Map<String, String> options) implements RackshareSerializable {

  public VolumeRequest {
    if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw new IllegalArgumentException(
          "volume name '" + name + "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
    if (layout == null || layout.isBlank()) throw new IllegalArgumentException("volume '" + name + "' needs a layout");
    if (sizeBytes <= 0) throw new IllegalArgumentException("volume '" + name + "' needs a size above 0, got " + sizeBytes);
    if (copies < 0 || width < 0 || spares < 0 || copies > 16 || width > 1024 || spares > 16) {
      throw new IllegalArgumentException("volume '" + name + "': copies (0-16), width (0-1024) and spares (0-16)"
          + " out of range: " + copies + ", " + width + ", " + spares);
    }
    options = options == null ? Map.of() : Map.copyOf(options);
    if (options.containsKey("copies")) {
      throw new IllegalArgumentException("volume '" + name + "': give copies as copies, not as an option");
    }
  }

  private static final java.util.regex.Pattern SIZE =
      java.util.regex.Pattern.compile("(\\d{1,19})\\s*([KMGTP]?)(?:i?B)?", java.util.regex.Pattern.CASE_INSENSITIVE);

  /**
   * A size as operators write it: bytes, or a number with K, M, G, T or P (binary: 1G is 2^30
   * bytes; "GiB" and "GB" read the same). A clear error for anything else or an overflow.
   */
  public static long parseSize(String text) {
    java.util.regex.Matcher m = SIZE.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("size: a number of bytes, or with K, M, G, T or P (e.g. 1G), not '"
          + io.rackshare.util.LogText.printable(String.valueOf(text)) + "'");
    }
    int shift = 10 * "KMGTP".indexOf(m.group(2).toUpperCase(java.util.Locale.ROOT)) + 10;
    if (m.group(2).isEmpty()) shift = 0;
    try {
      long n = Long.parseLong(m.group(1));
      if (n > (Long.MAX_VALUE >> shift)) throw new NumberFormatException();
      return n << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("size '" + m.group() + "' is too large");
    }
  }
}
