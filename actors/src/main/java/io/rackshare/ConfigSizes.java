package io.rackshare;

import com.typesafe.config.Config;

/**
 * Sizes from the configuration that must fit in an {@code int} (block sizes, payload and segment
 * limits): a larger value is refused with its setting's name, rather than wrapping round to a
 * negative or tiny number that some later check would report as something else.
 */
public final class ConfigSizes {
  private ConfigSizes() {}

  /**
   * {@code path} of {@code c} in bytes (HOCON sizes: {@code 64KiB}, {@code 1MiB}, ...).
   *
   * @param name the setting's full name, for the error ({@code rackshare.nbd.max-payload})
   * @throws IllegalArgumentException the value is 2 GiB or more
   */
  public static int intBytes(Config c, String path, String name) {
    long bytes = c.getBytes(path);
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + " = " + c.getValue(path).unwrapped() + " (" + bytes
          + " bytes) is too large: at most 2147483647 bytes (2 GiB - 1)");
    }
    return (int) bytes;
  }
}
