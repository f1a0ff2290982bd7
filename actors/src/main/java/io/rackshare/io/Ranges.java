package io.rackshare.io;

/** Byte ranges checked against a size without computing their end, which may overflow a long. */
public final class Ranges {
  private Ranges() {}

  /**
   * Whether {@code [offset, offset + length)} lies within {@code [0, size)}: false for a negative
   * offset or length, and for a range whose end is past {@code size} even where {@code offset +
   * length} would wrap around to a negative number.
   */
  public static boolean fits(long offset, long length, long size) {
    return offset >= 0 && length >= 0 && length <= size && offset <= size - length;
  }
}
